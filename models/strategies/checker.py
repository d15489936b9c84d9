"""The condition checker: a strategy's Spark SQL condition is parsed by Spark itself, walked for forbidden
constructs, then resolved against the evaluation schema, before any job evaluates it.

Rejected, with a message naming the strategy, its file and the fault: syntax errors, statements (or several
of them), subqueries, window functions, functions outside the allow-list, unknown lists, unknown columns,
plain division (ANSI mode fails on a zero denominator: use try_divide) and non-boolean results.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession, functions as F, types as T

from models.strategies.spec import CheckedStrategy, ConditionError, StrategySpec

# Deterministic, row-level functions: no clock, no randomness, no aggregates, no I/O.
DEFAULT_FUNCTIONS: frozenset[str] = frozenset({
    "abs", "array_contains", "arrays_overlap", "between", "ceil", "ceiling", "coalesce", "contains", "element_at",
    "endswith", "exp", "floor", "greatest", "if", "ifnull", "in_list", "isnan", "isnotnull", "isnull", "least",
    "length", "ln", "log", "log10", "lower", "nanvl", "nullif", "nvl", "nvl2", "pow", "power", "round", "size",
    "sqrt", "startswith", "try_divide", "upper", "zeroifnull",
})

# Parser node types that never belong in a row-level condition, and why.
FORBIDDEN_NODES: dict[str, str] = {
    "ScalarSubquery": "subqueries are not allowed",
    "Exists": "subqueries are not allowed",
    "ListQuery": "subqueries are not allowed",
    "InSubquery": "subqueries are not allowed",
    "LateralSubquery": "subqueries are not allowed",
    "WindowExpression": "window functions are not allowed",
    "UnresolvedStar": "'*' is not allowed: name the columns",
    "Divide": "'/' is not allowed: ANSI mode fails on a zero denominator, use try_divide(a, b)",
}

IN_LIST = re.compile(r"\bin_list\s*\(\s*'([^']*)'\s*,\s*`?([A-Za-z_][A-Za-z0-9_]*)`?\s*\)", re.IGNORECASE)
STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def list_flag_column(list_name: str, column: str) -> str:
    """The boolean column that stands for `in_list('list_name', column)` in the evaluation frame."""
    return f"__in_list__{list_name}__{column}"


def check_condition(
    spark: SparkSession,
    spec: StrategySpec,
    schema: T.StructType,
    *,
    known_lists: Collection[str] = (),
    allowed_functions: Iterable[str] = DEFAULT_FUNCTIONS,
) -> CheckedStrategy:
    """Check `spec.condition` against `schema`; return it rewritten for evaluation or raise `ConditionError`."""
    text = (spec.condition or "").strip()

    def fail(fault: str) -> ConditionError:
        return ConditionError(f"{spec.where()}: {fault}")

    if not text:
        raise fail("condition is empty")
    if ";" in STRING_LITERAL.sub("''", text):
        raise fail("statements are not allowed: the condition must be one boolean expression (found ';')")
    tree = _parse(spark, text, fail)
    columns: list[str] = []
    lists: list[tuple[str, str]] = []
    _walk(tree, columns, lists, {f.lower() for f in allowed_functions}, set(known_lists), fail)
    expression = IN_LIST.sub(lambda m: f"`{list_flag_column(m.group(1), m.group(2))}`", text)
    frame_schema = T.StructType([*schema.fields, *(T.StructField(list_flag_column(n, c), T.BooleanType())
                                                   for n, c in lists)])
    result_type = _resolve(spark, expression, frame_schema, fail)
    if not isinstance(result_type, T.BooleanType):
        raise fail(f"condition must be boolean, got {result_type.simpleString()}")
    return CheckedStrategy(spec=spec, expression=expression, columns=tuple(dict.fromkeys(columns)),
                           lists=tuple(dict.fromkeys(lists)))


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "desc", None) or str(exc)
    return next((line.strip() for line in str(text).splitlines() if line.strip()), type(exc).__name__)


def _parse(spark: SparkSession, text: str, fail):
    parser = spark._jsparkSession.sessionState().sqlParser()
    try:
        return parser.parseExpression(text)
    except Exception as exc:  # noqa: BLE001 - py4j raises ParseException or Py4JJavaError
        message = _first_line(exc)
    try:
        parser.parsePlan(text)
    except Exception:  # noqa: BLE001 - not a statement either: a plain syntax error
        raise fail(f"syntax error in condition: {message}") from None
    raise fail(f"statements are not allowed: '{text.split()[0].upper()} ...' is a statement, "
               "the condition must be one boolean expression") from None


def _children(node) -> list:
    seq = node.children()
    return [seq.apply(i) for i in range(seq.size())]


def _walk(node, columns: list, lists: list, allowed: set, known_lists: set, fail) -> None:
    kind = node.getClass().getSimpleName()
    if kind in FORBIDDEN_NODES:
        raise fail(FORBIDDEN_NODES[kind])
    if kind == "UnresolvedAttribute":
        columns.append(node.name())
        return
    if kind == "UnresolvedFunction":
        name = str(node.nameParts().last()).lower()
        if name == "in_list":
            lists.append(_in_list_args(node, known_lists, fail))
            return
        if name not in allowed:
            raise fail(f"function '{name}' is not allowed (see strategies.allowed_functions)")
    for child in _children(node):
        _walk(child, columns, lists, allowed, known_lists, fail)


def _in_list_args(node, known_lists: set, fail) -> tuple[str, str]:
    args = _children(node)
    usage = "in_list takes a quoted list name and a column, e.g. in_list('trusted_partners', account_id)"
    if len(args) != 2 or args[0].getClass().getSimpleName() != "Literal" \
            or args[1].getClass().getSimpleName() != "UnresolvedAttribute":
        raise fail(usage)
    if args[0].dataType().typeName() != "string":
        raise fail(usage)
    name, column = str(args[0].value()), str(args[1].name())
    if name not in known_lists:
        raise fail(f"unknown list '{name}' in in_list (known lists: {', '.join(sorted(known_lists)) or 'none'})")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column):
        raise fail(usage)
    return name, column


def _resolve(spark: SparkSession, expression: str, schema: T.StructType, fail) -> T.DataType:
    empty = spark.createDataFrame([], schema)
    try:
        return empty.select(F.expr(expression).alias("fired")).schema["fired"].dataType
    except AnalysisException as exc:
        condition = exc.getCondition() or ""
        params = exc.getMessageParameters() or {}
        if condition.startswith("UNRESOLVED_COLUMN") or condition.startswith("UNRESOLVED_FIELD"):
            column = params.get("objectName", params.get("fieldName", "?")).replace("`", "")
            hint = params.get("proposal", "")
            suggestion = f" (did you mean {hint.split(',')[0].strip().replace('`', chr(39))}?)" if hint else ""
            raise fail(f"unknown column '{column}' in condition{suggestion}") from None
        if condition.startswith("UNRESOLVED_ROUTINE"):
            raise fail(f"unknown function {params.get('routineName', '')} in condition") from None
        raise fail(f"condition does not type-check: {_first_line(exc)}") from None
