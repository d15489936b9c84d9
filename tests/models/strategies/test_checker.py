"""The condition checker: every rejection case names the strategy, its file and the fault."""

import pytest
from pyspark.sql import types as T

from creator_governance.models.strategies.checker import check_condition
from creator_governance.models.strategies.spec import ConditionError
from creator_governance.settings.strategies import StrategyDefinition

SCHEMA = T.StructType([
    T.StructField("account_id", T.StringType()),
    T.StructField("posts_1d", T.LongType()),
    T.StructField("posts_7d", T.LongType()),
    T.StructField("likes_7d", T.LongType()),
    T.StructField("views_7d", T.LongType()),
    T.StructField("score", T.DoubleType()),
    T.StructField("reason_codes", T.ArrayType(T.StringType())),
])
LISTS = ("trusted_partners", "known_bad_accounts")
WHERE = "strategy 'spam_burst' (conf/strategies/spam.yaml): "


def check(spark, condition):
    spec = StrategyDefinition(id="spam_burst", version=1, status="active", target="account", condition=condition,
                              action="limit", severity=3, source="conf/strategies/spam.yaml", owner="t&s",
                              description="a burst of posts")
    return check_condition(spark, spec, SCHEMA, known_lists=LISTS)


def rejected(spark, condition) -> str:
    with pytest.raises(ConditionError) as info:
        check(spark, condition)
    assert str(info.value).startswith(WHERE)
    return str(info.value).removeprefix(WHERE)


def test_unknown_column_is_named_with_a_suggestion(spark):
    assert rejected(spark, "post_7d >= 20") == "unknown column 'post_7d' in condition (did you mean 'posts_7d'?)"


def test_non_boolean_result(spark):
    assert rejected(spark, "score * 2") == "condition must be boolean, got double"
    assert rejected(spark, "posts_1d") == "condition must be boolean, got bigint"


@pytest.mark.parametrize("condition", [
    "account_id IN (SELECT account_id FROM accounts)",
    "EXISTS (SELECT 1)",
    "(SELECT max(score) FROM creator_scores) < score",
])
def test_subqueries(spark, condition):
    assert rejected(spark, condition) == "subqueries are not allowed"


def test_a_statement(spark):
    assert rejected(spark, "DROP TABLE accounts") == (
        "statements are not allowed: 'DROP ...' is a statement, the condition must be one boolean expression")
    assert rejected(spark, "SELECT 1").startswith("statements are not allowed: 'SELECT ...'")


def test_several_statements(spark):
    assert rejected(spark, "posts_1d > 1; DROP TABLE accounts") == (
        "statements are not allowed: the condition must be one boolean expression (found ';')")


def test_a_semicolon_inside_a_string_is_not_a_statement(spark):
    assert check(spark, "account_id = 'a;b'").columns == ("account_id",)


@pytest.mark.parametrize("condition,name", [("rand() > 0.5", "rand"), ("current_date() IS NOT NULL", "current_date"),
                                            ("max(score) > 0.5", "max")])
def test_functions_outside_the_allow_list(spark, condition, name):
    assert rejected(spark, condition) == f"function '{name}' is not allowed (see strategies.allowed_functions)"


def test_window_functions(spark):
    assert rejected(spark, "count(*) OVER () > 1") == "window functions are not allowed"


def test_plain_division_points_at_try_divide(spark):
    assert rejected(spark, "likes_7d / views_7d > 0.1").startswith("'/' is not allowed")
    assert check(spark, "try_divide(likes_7d, views_7d) > 0.1").columns == ("likes_7d", "views_7d")


def test_unknown_list(spark):
    assert rejected(spark, "in_list('vip', account_id)") == (
        "unknown list 'vip' in in_list (known lists: known_bad_accounts, trusted_partners)")


def test_in_list_needs_a_name_and_a_column(spark):
    assert rejected(spark, "in_list(account_id, 'trusted_partners')").startswith("in_list takes a quoted list name")


def test_syntax_error(spark):
    assert rejected(spark, "posts_1d >= ").startswith("syntax error in condition: [PARSE_SYNTAX_ERROR]")


def test_empty_condition(spark):
    assert rejected(spark, "  ") == "condition is empty"


def test_a_good_condition_is_rewritten_for_evaluation(spark):
    checked = check(spark, "posts_1d >= 20 AND NOT in_list('trusted_partners', account_id) "
                           "AND array_contains(reason_codes, 'burst') AND score BETWEEN 0.5 AND 1")
    assert checked.columns == ("posts_1d", "reason_codes", "score")
    assert checked.lists == (("trusted_partners", "account_id"),)
    assert "`__in_list__trusted_partners__account_id`" in checked.expression
    assert checked.fired_columns == ("posts_1d", "reason_codes", "score", "account_id")


def test_strings_quoted_names_and_comments_are_not_read_as_constructs(spark):
    checked = check(spark, "account_id = 'a/b (SELECT x) rand()' /* likes_7d / views_7d */ AND `score` > 0.5 -- a/b")
    assert checked.columns == ("account_id", "score")


def test_function_names_are_read_case_insensitively(spark):
    assert rejected(spark, "RAND() > 0.5") == "function 'rand' is not allowed (see strategies.allowed_functions)"
    assert check(spark, "COALESCE(score, 0) > 0.5 AND CAST(posts_1d AS DOUBLE) > 1").columns == ("score", "posts_1d")


@pytest.mark.parametrize("condition,fault", [
    ("`rand`() > 0.5", "function 'rand' is not allowed (see strategies.allowed_functions)"),
    ("system.builtin.rand() > 0.5", "qualified function names are not allowed: call 'rand' by its plain name "
                                    "(see strategies.allowed_functions)"),
    ("(TABLE accounts) IS NOT NULL", "subqueries are not allowed"),
    ("current_date IS NOT NULL", "function 'current_date' is not allowed (see strategies.allowed_functions)"),
    ("score > ( /* hidden */ SELECT max(score) FROM creator_scores)", "subqueries are not allowed"),
])
def test_calls_and_subqueries_however_they_are_spelled(spark, condition, fault):
    assert rejected(spark, condition) == fault
