"""The condition checker: a strategy's Spark SQL condition is read token by token for forbidden constructs,
then parsed and resolved by Spark against the evaluation schema, before any job evaluates it.

Rejected, with a message naming the strategy, its file and the fault: syntax errors, statements (or several
of them), subqueries, window functions, functions outside the allow-list, unknown lists, unknown columns,
plain division (ANSI mode fails on a zero denominator: use try_divide) and non-boolean results.

Only public DataFrame APIs are used (no JVM parser), so the check runs the same on Spark Classic and Spark
Connect: the constructs are found by a small SQL tokenizer (strings, quoted names and comments skipped), and
Spark itself reports syntax errors, unknown columns and the result type when the condition is resolved against
an empty frame of the evaluation schema.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import SparkSession, functions as F, types as T

from creator_governance.models.strategies.spec import CheckedStrategy, ConditionError, named

if TYPE_CHECKING:  # annotations only
    from creator_governance.settings.strategies import StrategyDefinition

# Deterministic, row-level functions: no clock, no randomness, no aggregates, no I/O.
DEFAULT_FUNCTIONS: frozenset[str] = frozenset({
    "abs", "array_contains", "arrays_overlap", "between", "ceil", "ceiling", "coalesce", "contains", "element_at",
    "endswith", "exp", "floor", "greatest", "if", "ifnull", "in_list", "isnan", "isnotnull", "isnull", "least",
    "length", "ln", "log", "log10", "lower", "nanvl", "nullif", "nvl", "nvl2", "pow", "power", "round", "size",
    "sqrt", "startswith", "try_divide", "upper", "zeroifnull",
})

SUBQUERY = "subqueries are not allowed"
WINDOW = "window functions are not allowed"
STAR = "'*' is not allowed: name the columns"
DIVIDE = "'/' is not allowed: ANSI mode fails on a zero denominator, use try_divide(a, b)"

# Words followed by '(' that are SQL syntax, not function calls (`x IN (1, 2)`, `CAST(x AS DOUBLE)`, ...).
SYNTAX_BEFORE_PAREN = frozenset({"and", "or", "not", "in", "is", "when", "then", "else", "case", "between", "like",
                                 "ilike", "rlike", "regexp", "cast", "try_cast", "any", "all", "some", "as",
                                 "distinct", "escape", "div"})
# Functions Spark also calls without parentheses (`current_date`): a bare word that is not a column is a call.
NILADIC = frozenset({"current_date", "current_timestamp", "current_time", "current_user", "user", "session_user",
                     "current_catalog", "current_database", "current_schema", "localtimestamp"})
# Words that open a query: after '(' they make a subquery.
QUERY_WORDS = frozenset({"select", "with", "table", "values", "from"})
# First words of SQL statements: a condition that Spark cannot parse and starts with one is a statement.
STATEMENT_WORDS = frozenset({"select", "with", "insert", "update", "delete", "merge", "drop", "create", "alter",
                             "truncate", "set", "reset", "use", "show", "describe", "desc", "explain", "cache",
                             "uncache", "refresh", "grant", "revoke", "msck", "analyze", "load", "add", "list",
                             "values", "from", "table", "call", "declare", "execute", "replace", "comment",
                             "optimize", "vacuum", "restore", "clone"})

TOKEN = re.compile(r"""
    (?P<space>\s+) | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`(?:[^`]|``)*`)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[A-Za-z]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>->|<=>|<=|>=|!=|<>|==|\|\||&&|::|[-+*/%=<>!&|^~(),.\[\]:{}?])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
IN_LIST = re.compile(r"\bin_list\s*\(\s*'([^']*)'\s*,\s*`?([A-Za-z_][A-Za-z0-9_]*)`?\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    kind: str  # word, quoted, string, number, op, other
    text: str

    @property
    def word(self) -> str:
        """Lower-case text of a bare word, '' otherwise."""
        return self.text.lower() if self.kind == "word" else ""


def tokens(text: str) -> list[Token]:
    """The condition's tokens, without whitespace and comments."""
    return [Token(m.lastgroup, m.group()) for m in TOKEN.finditer(text) if m.lastgroup not in ("space", "comment")]


def list_flag_column(list_name: str, column: str) -> str:
    """The boolean column that stands for `in_list('list_name', column)` in the evaluation frame."""
    return f"__in_list__{list_name}__{column}"


def check_condition(
    spark: SparkSession,
    spec: StrategyDefinition,
    schema: T.StructType,
    *,
    known_lists: Collection[str] = (),
    allowed_functions: Iterable[str] = DEFAULT_FUNCTIONS,
) -> CheckedStrategy:
    """Check `spec.condition` against `schema`; return it rewritten for evaluation or raise `ConditionError`."""
    text = (spec.condition or "").strip()

    def fail(fault: str) -> ConditionError:
        return ConditionError(f"{named(spec)}: {fault}")

    if not text:
        raise fail("condition is empty")
    if ";" in STRING_LITERAL.sub("''", text):
        raise fail("statements are not allowed: the condition must be one boolean expression (found ';')")
    toks = tokens(text)
    _forbidden(toks, fail)
    allowed = {f.lower() for f in allowed_functions}
    columns = {f.name.lower() for f in schema.fields}
    for tok in toks:
        if tok.word in NILADIC and tok.word not in columns and tok.word not in allowed:
            raise fail(f"function '{tok.word}' is not allowed (see strategies.allowed_functions)")
    lists = _lists(toks, set(known_lists), allowed, fail)
    expression = IN_LIST.sub(lambda m: f"`{list_flag_column(m.group(1), m.group(2))}`", text)
    frame_schema = T.StructType([*schema.fields, *(T.StructField(list_flag_column(n, c), T.BooleanType())
                                                   for n, c in lists)])
    result_type = _resolve(spark, expression, frame_schema, text, fail)
    if not isinstance(result_type, T.BooleanType):
        raise fail(f"condition must be boolean, got {result_type.simpleString()}")
    return CheckedStrategy(spec=spec, expression=expression, columns=_columns(toks, schema),
                           lists=tuple(dict.fromkeys(lists)))


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "desc", None) or str(exc)
    return next((line.strip() for line in str(text).splitlines() if line.strip()), type(exc).__name__)


def _forbidden(toks: list[Token], fail) -> None:
    """Subqueries, window functions, '*' and plain division, wherever they are (in that order of report)."""
    after = lambda i: toks[i + 1] if i + 1 < len(toks) else None  # noqa: E731
    before = lambda i: toks[i - 1] if i > 0 else None  # noqa: E731
    for i, tok in enumerate(toks):  # `(SELECT ...)`, `IN (SELECT ...)`, `EXISTS (SELECT ...)`, `(TABLE t)`
        if tok.word in QUERY_WORDS and before(i) is not None and before(i).text == "(":
            raise fail(SUBQUERY)
    for i, tok in enumerate(toks):  # `... OVER (...)`, `... OVER w`
        if tok.word == "over" and i > 0 and before(i).text == ")" and after(i) is not None \
                and (after(i).text == "(" or after(i).kind in ("word", "quoted")):
            raise fail(WINDOW)
    for i, tok in enumerate(toks):  # `*` as an operand (count(*), t.*), not multiplication
        if tok.text == "*" and tok.kind == "op" and (before(i) is None or before(i).text in ("(", ",", ".")):
            raise fail(STAR)
    if any(tok.kind == "op" and tok.text == "/" for tok in toks):
        raise fail(DIVIDE)


def _lists(toks: list[Token], known_lists: set, allowed: set, fail) -> list[tuple[str, str]]:
    """Check every function call against `allowed`; return the (list, column) of each in_list call."""
    usage = "in_list takes a quoted list name and a column, e.g. in_list('trusted_partners', account_id)"
    found: list[tuple[str, str]] = []
    for i, tok in enumerate(toks):
        if tok.kind not in ("word", "quoted") or i + 1 == len(toks) or toks[i + 1].text != "(":
            continue
        # a call: `f(`, `` `f`( `` or a qualified `system.builtin.f(` (judged by its last part, as Spark resolves it)
        name = tok.text.strip("`").replace("``", "`").lower()
        qualified = i > 0 and toks[i - 1].text == "."
        if tok.kind == "word" and not qualified and name in SYNTAX_BEFORE_PAREN:
            continue
        if name == "exists":  # `EXISTS (SELECT ...)` was reported above: this is the higher-order function
            raise fail("function 'exists' is not allowed (see strategies.allowed_functions)")
        if qualified:
            raise fail(f"qualified function names are not allowed: call '{name}' by its plain name "
                       "(see strategies.allowed_functions)")
        if name != "in_list":
            if name not in allowed:
                raise fail(f"function '{name}' is not allowed (see strategies.allowed_functions)")
            continue
        args = toks[i + 2:i + 6]
        if [t.text for t in args[1::2]] != [",", ")"] or args[0].kind != "string" or not args[0].text.startswith("'") \
                or args[2].kind not in ("word", "quoted"):
            raise fail(usage)
        name, column = args[0].text[1:-1], args[2].text.strip("`")
        if name not in known_lists:
            raise fail(f"unknown list '{name}' in in_list (known lists: {', '.join(sorted(known_lists)) or 'none'})")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column):
            raise fail(usage)
        found.append((name, column))
    return found


def _columns(toks: list[Token], schema: T.StructType) -> tuple[str, ...]:
    """The schema's columns the condition reads, as written, in order (in_list arguments excepted)."""
    names = {f.name.lower() for f in schema.fields}
    out: list[str] = []
    skip = 0
    for i, tok in enumerate(toks):
        if skip:
            skip -= 1
            continue
        if tok.word == "in_list" and i + 1 < len(toks) and toks[i + 1].text == "(":
            skip = 5  # ( 'list' , column )
            continue
        if tok.kind not in ("word", "quoted") or (i > 0 and toks[i - 1].text.lower() in (".", "as")):
            continue
        if i + 1 < len(toks) and toks[i + 1].text == "(":
            continue
        name = tok.text.strip("`")
        if name.lower() in names:
            out.append(name)
    return tuple(dict.fromkeys(out))


def _resolve(spark: SparkSession, expression: str, schema: T.StructType, text: str, fail) -> T.DataType:
    empty = spark.createDataFrame([], schema)
    try:
        return empty.select(F.expr(expression).alias("fired")).schema["fired"].dataType
    except ParseException as exc:
        first = tokens(text)[0]
        if first.word in STATEMENT_WORDS:
            raise fail(f"statements are not allowed: '{first.text.upper()} ...' is a statement, "
                       "the condition must be one boolean expression") from None
        raise fail(f"syntax error in condition: {_first_line(exc)}") from None
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
