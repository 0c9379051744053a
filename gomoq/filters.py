"""The one filter language: text -> a polars expression over the contacts (search, segments,
audience refresh, export).

Grammar (informal EBNF; spaces separate terms)::

    filter   := or_expr?
    or_expr  := and_expr ( ("|" | ",") and_expr )*    a lone | or , between terms is OR
    and_expr := unary+                                 terms side by side are AND
    unary    := "-" unary | "(" or_expr ")" | term     - negates (binds tightest)
    term     := NAME op values | KEYWORD | WORD | "quoted phrase"
    op       := ":" | ">" | ">=" | "<" | "<="
    values   := value ( ("," | "|") value )*           no space around the separator: OR of values
    value    := WORD | "quoted text"

Precedence, tightest first: `-`, juxtaposition (AND), `|`/`,` (OR); parentheses group.
`city:rabat,fes` is one term (either city); `city:rabat, fes` is "city rabat, or the word fes".

Terms:

- a plain word or a quoted phrase searches the name, phone, email, city and occupation
  (case-insensitive substring; `"ahmed alaoui"` keeps the space);
- `FIELD:VALUE` compares a contact field (`first_name`, `city`, `gender`, ... or the short names
  `name`, `phone`, `email`) or a custom attribute (`customer_tier:gold,platinum`) with a value:
  case-insensitive equality of the whole value, `*` as a wildcard (`city:casa*`), and the special
  values `empty` (missing or blank; `-email:empty` for "has an email") and, for the phone,
  `foreign` (a valid number of another country than the profile's region), `invalid`, `valid`.
  A quoted value is always literal (`city:"empty"`);
- `FIELD>V`, `>=`, `<`, `<=` compare numbers (`loyalty_points>5000`), dates
  (`birth_date<1990-01-01`) or, on a date field, an age (`created_at<30d`: created less than 30
  days ago; units d and w);
- `audience:"Premium Customers"`: active member of that audience (names as in the cache,
  case-insensitive); `-audience:…` for non-members;
- `band:active|cooling|at-risk|inactive|never-answered|never-called`: the engagement band of
  `gomoq.checks.inactivity.engagement` (thresholds from the profile's `checks.inactivity`);
- `calls>=3` (attempts), `calls.failed>=3`, `calls.answered:0` (also `calls.other`,
  `calls.unknown`): call counts;
- `last_answer<30d` (answered less than 30 days ago), `last_answer>90d` (last answer more than
  90 days ago; never-answered contacts match neither), `last_answer<2026-01-01` (before that
  date); `last_call` the same for any attempt; `never_called`, `never_answered`;
- `check:phones`, `severity:error`, `kind:invalid`: contacts with a finding whose column contains
  the value (case-insensitive, as the Contacts search always did); such terms side by side must
  hold for the same finding (`check:phones severity:error` = a phones finding of severity error).

An error names the offending spot: `FilterError.position` (0-based) and a message such as
"unknown attribute 'tierr' — did you mean 'customer_tier'?".

`compile_filter(text, vocabulary)` returns a `Compiled`: the expression and the derived columns
(`Need`s) it reads beyond the contacts table; `gomoq.services.selection` builds those columns
from a snapshot and evaluates the expression.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import polars as pl

from gomoq.errors import UsageError

SEARCH_COLUMNS: Final = ("full_name", "primary_phone", "primary_email", "city", "occupation")
"""The columns a plain word searches (joined, lower-cased, in `HAYSTACK`)."""
HAYSTACK: Final = "_hay"
LOWER: Final = "lower:"
"""Prefix of a text column's lower-cased twin (`lower:city`), read by equality terms."""

FIELDS: Final = (
    "id",
    "primary_phone",
    "first_name",
    "last_name",
    "full_name",
    "primary_email",
    "address",
    "city",
    "state",
    "zip",
    "occupation",
    "preferred_channel",
    "gender",
    "channels",
    "created_at",
    "updated_at",
)
"""Contact columns a term may name."""
ALIASES: Final = {"name": "full_name", "phone": "primary_phone", "email": "primary_email"}
DATE_FIELDS: Final = frozenset({"created_at", "updated_at"})

BANDS: Final = {
    "active": "Active",
    "cooling": "Cooling",
    "at-risk": "At risk",
    "inactive": "Inactive",
    "never-answered": "Never answered",
    "never-called": "Never called",
}
"""Band words of the language -> band names of `gomoq.checks.inactivity`."""
CALL_COUNTS: Final = {
    "calls": "calls.attempts",
    "calls.attempts": "calls.attempts",
    "calls.answered": "calls.answered",
    "calls.failed": "calls.failed",
    "calls.other": "calls.other",
    "calls.unknown": "calls.unknown",
}
CALL_TIMES: Final = {"last_answer": "last_answered_at", "last_call": "last_called_at"}
KEYWORDS: Final = ("never_called", "never_answered")
FINDING_NAMES: Final = ("check", "severity", "kind")
PHONE_VALUES: Final = ("foreign", "invalid", "valid")
OPERATORS: Final = (">=", "<=", ":", ">", "<")

_SEPARATORS: Final = " \t\r\n\f\v"
_NAME_STOP: Final = frozenset(_SEPARATORS + '()"|,:<>=')
_VALUE_STOP: Final = frozenset(_SEPARATORS + '()"|,')
_AGE: Final = re.compile(r"^(\d+)([dw])$")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER: Final = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class FilterError(UsageError):
    """A filter that does not parse or names something unknown; `position` is 0-based."""

    def __init__(self, message: str, position: int, text: str = "") -> None:
        self.detail = message
        self.position = position
        self.text = text
        super().__init__(f"The filter is not valid at column {position + 1}: {message}")

    def caret(self) -> str:
        """The filter and a `^` under the offending spot (two lines)."""
        return f"{self.text}\n{' ' * self.position}^"


# ---------------------------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True)
class Value:
    """One value of a term; `quoted` values are literal (never `empty`, never wildcards)."""

    text: str
    quoted: bool
    position: int


@dataclass(frozen=True)
class Term:
    """`name op values`, a keyword (`op` None, no values) or a plain word (`name` None)."""

    name: str | None
    op: str | None
    values: tuple[Value, ...]
    position: int


@dataclass(frozen=True)
class Not:
    child: Node
    position: int


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass(frozen=True)
class _Token:
    kind: str  # "term", "not", "(", ")", "or"
    position: int
    term: Term | None = None


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SEPARATORS:
            i += 1
        elif ch in "()":
            out.append(_Token(ch, i))
            i += 1
        elif ch in "|,":
            out.append(_Token("or", i))
            i += 1
        elif ch == "-":
            if i + 1 >= n or text[i + 1] in _SEPARATORS or text[i + 1] == ")":
                raise FilterError("'-' must be followed by what it negates", i, text)
            out.append(_Token("not", i))
            i += 1
        elif ch == '"':
            phrase, i = _quoted(text, i)
            out.append(
                _Token("term", phrase.position, Term(None, None, (phrase,), phrase.position))
            )
        else:
            term, i = _term(text, i)
            out.append(_Token("term", term.position, term))
    return out


def _quoted(text: str, start: int) -> tuple[Value, int]:
    """The quoted string at `start` (a `"`); `\\"` and `\\\\` are escapes."""
    i, chars = start + 1, []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            chars.append(text[i + 1])
            i += 2
        elif ch == '"':
            return Value("".join(chars), True, start), i + 1
        else:
            chars.append(ch)
            i += 1
    raise FilterError("this quote is never closed", start, text)


def _term(text: str, start: int) -> tuple[Term, int]:
    i, n = start, len(text)
    while i < n and text[i] not in _NAME_STOP:
        i += 1
    name = text[start:i]
    op = next((o for o in OPERATORS if text.startswith(o, i)), None)
    if op is None:
        if i < n and text[i] in "=<>:":
            raise FilterError(f"'{text[i]}' is not an operator here (use : > >= < <=)", i, text)
        if name in KEYWORDS:
            return Term(name, None, (), start), i
        return Term(None, None, (Value(name, False, start),), start), i
    if not name:
        raise FilterError(f"'{op}' needs a field or attribute name before it", i, text)
    i += len(op)
    values: list[Value] = []
    while True:
        if i < n and text[i] == '"':
            value, i = _quoted(text, i)
        else:
            begin = i
            while i < n and text[i] not in _VALUE_STOP:
                i += 1
            if begin == i:
                raise FilterError(f"a value is missing after '{name}{op}'", begin, text)
            value = Value(text[begin:i], False, begin)
        values.append(value)
        more = i + 1 < n and text[i] in ",|" and text[i + 1] not in _SEPARATORS + ")"
        if not more:
            break
        i += 1
    return Term(name, op, tuple(values), start), i


def parse(text: str) -> Node | None:
    """The syntax tree of `text` (None when it holds no term); raises `FilterError`."""
    tokens = _tokens(text)
    pos = 0

    def peek() -> _Token | None:
        return tokens[pos] if pos < len(tokens) else None

    def or_expr() -> Node:
        nonlocal pos
        parts = [and_expr()]
        while (tok := peek()) is not None and tok.kind == "or":
            pos += 1
            if peek() is None or peek().kind in ("or", ")"):  # type: ignore[union-attr]
                raise FilterError("nothing after this OR", tok.position, text)
            parts.append(and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr() -> Node:
        parts: list[Node] = []
        while (tok := peek()) is not None and tok.kind not in ("or", ")"):
            parts.append(unary())
        if not parts:
            tok = peek()
            where = tok.position if tok is not None else len(text)
            raise FilterError("a term is missing here", where, text)
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary() -> Node:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok.kind == "not":
            nxt = peek()
            if nxt is None or nxt.kind in ("or", ")"):
                raise FilterError("'-' must be followed by what it negates", tok.position, text)
            return Not(unary(), tok.position)
        if tok.kind == "(":
            if (nxt := peek()) is not None and nxt.kind == ")":
                raise FilterError("these parentheses are empty", tok.position, text)
            inner = or_expr()
            close = peek()
            if close is None or close.kind != ")":
                raise FilterError("this parenthesis is never closed", tok.position, text)
            pos += 1
            return inner
        assert tok.term is not None
        return tok.term

    if not tokens:
        return None
    if tokens[0].kind == "or":
        raise FilterError("nothing before this OR", tokens[0].position, text)
    tree = or_expr()
    if (tok := peek()) is not None:
        raise FilterError("this parenthesis closes nothing", tok.position, text)
    return tree


# ---------------------------------------------------------------------------------------------
# What a filter needs beyond the contacts table


@dataclass(frozen=True)
class Need:
    """A derived column a filter reads: `kind` is one of

    - `attribute` (`key` the attribute name): column `attr:<name>`, the value as text;
    - `audience` (`key` the audience id): column `aud:<id>`, True for active members;
    - `findings` (`conditions`: (finding column, values) pairs): column `find:<...>`, True for
      contacts with one finding whose every column contains one of its values;
    - `calls`: columns `band`, `calls.*`, `last_answered_at`, `last_called_at`;
    - `phone`: columns `phone.region` and `phone.valid` (from `gomoq.phones`).
    """

    kind: str
    key: str = ""
    conditions: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def column(self) -> str:
        """The frame column holding it (for `calls` and `phone`: a marker, no column)."""
        if self.kind == "attribute":
            return f"attr:{self.key}"
        if self.kind == "audience":
            return f"aud:{self.key}"
        if self.kind == "findings":
            body = ";".join(f"{c}={'|'.join(v)}" for c, v in self.conditions)
            return f"find:{body}"
        return self.kind


CALLS_NEED: Final = Need("calls")
PHONE_NEED: Final = Need("phone")


@dataclass(frozen=True)
class Vocabulary:
    """What names mean in one organisation: its attributes and audiences, the profile's phone
    region, and "now" for ages (`30d`)."""

    attributes: tuple[str, ...] = ()
    audiences: Mapping[str, str] = field(default_factory=dict)
    """audience name -> id."""
    region: str = "MA"
    now: datetime | None = None

    def today(self) -> datetime:
        """The reference instant for ages."""
        if self.now is None:
            return datetime.now(UTC)
        return self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)

    def names(self) -> list[str]:
        """Every name a term may start with (fields, short names, words, attributes)."""
        return sorted(
            {*FIELDS, *ALIASES, *CALL_COUNTS, *CALL_TIMES, *KEYWORDS, *FINDING_NAMES}
            | {"audience", "band"}
            | set(self.attributes)
        )


@dataclass(frozen=True)
class Compiled:
    """A parsed filter: `expr` (Boolean, over the contacts with the `needs` columns), the
    derived columns it reads, and its text."""

    text: str
    expr: pl.Expr
    needs: frozenset[Need]
    empty: bool
    """True when the filter has no term (it keeps every contact)."""


def compile_filter(text: str, vocabulary: Vocabulary) -> Compiled:
    """Parse `text` and turn it into a polars expression (see the module docstring)."""
    tree = parse(text)
    if tree is None:
        return Compiled(text, pl.lit(True), frozenset(), True)
    compiler = _Compiler(text, vocabulary)
    expr = compiler.node(tree)
    return Compiled(text, expr, frozenset(compiler.needs), False)


def did_you_mean(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate closest to `word` (difflib ratio, also against each `_`/`.`/`-`-separated
    part of a candidate so that 'tierr' finds 'customer_tier'), or None when none is close.
    On a tie a slug (lower case, no space: how the API names attributes) wins over a name
    such as 'Customer Tier' that only a stray value carries."""
    best, best_score = None, (0.0, False)
    low = word.lower()
    for cand in candidates:
        parts = [cand, *re.split(r"[_.\- ]", cand)]
        ratio = max(difflib.SequenceMatcher(None, low, p.lower()).ratio() for p in parts if p)
        score = (ratio, cand == cand.lower() and " " not in cand)
        if score > best_score:
            best, best_score = cand, score
    return best if best_score[0] >= 0.75 else None


def _unknown(kind: str, word: str, candidates: Sequence[str], position: int, text: str) -> None:
    guess = did_you_mean(word, candidates)
    hint = f" — did you mean '{guess}'?" if guess else ""
    raise FilterError(f"unknown {kind} '{word}'{hint}", position, text)


class _Compiler:
    def __init__(self, text: str, vocabulary: Vocabulary) -> None:
        self.text = text
        self.vocab = vocabulary
        self.needs: set[Need] = set()
        self.attributes = set(vocabulary.attributes)
        self.audiences = {name.lower(): aid for name, aid in vocabulary.audiences.items()}

    def fail(self, message: str, position: int) -> FilterError:
        return FilterError(message, position, self.text)

    # -- structure --------------------------------------------------------------------------
    def node(self, node: Node) -> pl.Expr:
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Not):
            return ~self.node(node.child)
        if isinstance(node, Or):
            return pl.any_horizontal([self.node(c) for c in node.children])
        return self.conjunction(node)

    def conjunction(self, node: And) -> pl.Expr:
        """AND of the children; positive finding terms side by side join into one condition
        on the same finding."""
        together = [
            c
            for c in node.children
            if isinstance(c, Term) and c.name in FINDING_NAMES and c.op == ":"
        ]
        others = [c for c in node.children if not any(c is t for t in together)]
        parts = [self.node(c) for c in others]
        if together:
            parts.append(self.findings(together))
        return pl.all_horizontal(parts)

    # -- terms --------------------------------------------------------------------------------
    def term(self, term: Term) -> pl.Expr:
        if term.name is None:
            needle = term.values[0].text.lower()
            return pl.col(HAYSTACK).str.contains(needle, literal=True)
        name, op = term.name, term.op
        if op is None:  # a keyword
            self.needs.add(CALLS_NEED)
            column = "calls.attempts" if name == "never_called" else "calls.answered"
            return pl.col(column) == 0
        lowered = name.lower()
        if lowered in FINDING_NAMES:
            self._only_colon(term)
            return self.findings([term])
        if lowered == "audience":
            return self.audience(term)
        if lowered == "band":
            return self.band(term)
        if lowered in CALL_COUNTS:
            self.needs.add(CALLS_NEED)
            return self.compare(pl.col(CALL_COUNTS[lowered]), term, kind="count")
        if lowered in CALL_TIMES:
            self.needs.add(CALLS_NEED)
            return self.compare(pl.col(CALL_TIMES[lowered]), term, kind="date")
        column = ALIASES.get(lowered, lowered)
        if column in FIELDS:
            return self.contact_field(column, term)
        if name in self.attributes or lowered in self.attributes:
            attr = name if name in self.attributes else lowered
            need = Need("attribute", attr)
            self.needs.add(need)
            return self.compare(pl.col(need.column), term, kind="text")
        _unknown("attribute", name, self.vocab.names(), term.position, self.text)
        raise AssertionError  # pragma: no cover

    def _only_colon(self, term: Term) -> None:
        if term.op != ":":
            raise self.fail(f"'{term.name}' takes ':' (not '{term.op}')", term.position)

    def contact_field(self, column: str, term: Term) -> pl.Expr:
        if column in DATE_FIELDS:
            return self.compare(pl.col(column), term, kind="date")
        if column == "channels":
            self._only_colon(term)
            wanted = [v.text.lower() for v in term.values]
            return (
                pl.col("channels")
                .list.eval(pl.element().str.to_lowercase().is_in(wanted))
                .list.any()
            )
        if column == "primary_phone" and term.op == ":":
            special = [v for v in term.values if not v.quoted and v.text.lower() in PHONE_VALUES]
            if special:
                plain = [v for v in term.values if v not in special]
                parts = [self.phone_kind(v.text.lower()) for v in special]
                if plain:
                    parts.append(self.equals(pl.col(column), plain))
                return pl.any_horizontal(parts)
        return self.compare(pl.col(column), term, kind="text")

    def phone_kind(self, word: str) -> pl.Expr:
        self.needs.add(PHONE_NEED)
        valid = pl.col("phone.valid").fill_null(False)
        if word == "valid":
            return valid
        if word == "invalid":
            return ~valid & pl.col("primary_phone").str.strip_chars().str.len_chars().gt(0)
        return valid & (pl.col("phone.region") != self.vocab.region.upper())

    # -- comparisons ----------------------------------------------------------------------------
    def compare(self, col: pl.Expr, term: Term, *, kind: str) -> pl.Expr:
        """`col op values` for a text, count or date column (see the module docstring)."""
        op = term.op or ":"
        if op == ":":
            if kind == "text":
                return self.equals(col, term.values)
            return pl.any_horizontal([self.equal_one(col, v, kind) for v in term.values])
        if len(term.values) != 1:
            raise self.fail(f"'{op}' compares with one value, not a list", term.values[1].position)
        value = term.values[0]
        return self.ordered(col, op, value, kind).fill_null(False)

    def equals(self, col: pl.Expr, values: Sequence[Value]) -> pl.Expr:
        """Case-insensitive equality with any of `values` (`empty` and `*` understood).

        Compares with the column's lower-cased twin `lower:<column>` (`LOWER`), which an
        evaluator builds once: lower-casing a million strings at every keystroke costs more
        than the comparison itself."""
        lower = pl.col(LOWER + col.meta.output_name())
        parts: list[pl.Expr] = []
        exact: list[str] = []
        for v in values:
            if not v.quoted and v.text.lower() == "empty":
                parts.append(col.is_null() | (col.str.strip_chars() == ""))
            elif not v.quoted and "*" in v.text:
                parts.append(_wildcard(lower, v.text.lower()))
            else:
                exact.append(v.text.lower())
        if len(exact) == 1:
            parts.append(lower == exact[0])
        elif exact:
            parts.append(lower.is_in(exact))
        return pl.any_horizontal(parts).fill_null(False)

    def equal_one(self, col: pl.Expr, value: Value, kind: str) -> pl.Expr:
        if not value.quoted and value.text.lower() == "empty":
            return col.is_null()
        if kind == "count":
            return (col == self.number(value)).fill_null(False)
        day = self.day(value)
        return (col.dt.date() == day).fill_null(False)

    def ordered(self, col: pl.Expr, op: str, value: Value, kind: str) -> pl.Expr:
        text = value.text.strip()
        if kind == "count":
            return _cmp(col, op, self.number(value))
        if kind == "date" or (kind == "text" and (_DATE.match(text) or _AGE.match(text))):
            age = _AGE.match(text)
            if age:
                if kind == "text":
                    raise self.fail("an age (30d) compares with a date field only", value.position)
                amount = int(age.group(1)) * (7 if age.group(2) == "w" else 1)
                cutoff = self.vocab.today() - timedelta(days=amount)
                # "less than 30 days ago" is "after the cutoff": the comparison turns round.
                flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
                return _cmp(col, flipped, pl.lit(cutoff).dt.cast_time_unit("ms"))
            day = self.day(value)
            if kind == "text":
                parsed = col.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
                return _cmp(parsed, op, pl.lit(day))
            return _cmp(col.dt.date(), op, pl.lit(day))
        if _NUMBER.match(text):
            return _cmp(col.cast(pl.Float64, strict=False), op, float(text))
        raise self.fail(
            f"'{op}' compares numbers or dates (YYYY-MM-DD), not '{value.text}'", value.position
        )

    def number(self, value: Value) -> int:
        try:
            return int(value.text)
        except ValueError:
            raise self.fail(f"'{value.text}' is not a whole number", value.position) from None

    def day(self, value: Value) -> date:
        text = value.text.strip()
        try:
            if not _DATE.match(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            raise self.fail(f"'{value.text}' is not a date (YYYY-MM-DD)", value.position) from None

    # -- membership, engagement, findings -----------------------------------------------------
    def audience(self, term: Term) -> pl.Expr:
        self._only_colon(term)
        parts = []
        for v in term.values:
            aid = self.audiences.get(v.text.lower())
            if aid is None:
                _unknown("audience", v.text, list(self.vocab.audiences), v.position, self.text)
            need = Need("audience", str(aid))
            self.needs.add(need)
            parts.append(pl.col(need.column))
        return pl.any_horizontal(parts)

    def band(self, term: Term) -> pl.Expr:
        self._only_colon(term)
        self.needs.add(CALLS_NEED)
        wanted = []
        for v in term.values:
            word = re.sub(r"[\s_]+", "-", v.text.strip().lower())
            if word not in BANDS:
                _unknown("band", v.text, list(BANDS), v.position, self.text)
            wanted.append(BANDS[word])
        return pl.col("band").is_in(wanted).fill_null(False)

    def findings(self, terms: Sequence[Term]) -> pl.Expr:
        conditions: dict[str, tuple[str, ...]] = {}
        for t in terms:
            assert t.name is not None
            values = tuple(v.text.lower() for v in t.values)
            name = t.name.lower()
            # Two terms on one column (check:a check:b) must both hold: keep them apart.
            while name in conditions:
                name += "+"
            conditions[name] = values
        need = Need("findings", conditions=tuple(sorted(conditions.items())))
        self.needs.add(need)
        return pl.col(need.column)


def _wildcard(lower: pl.Expr, pattern: str) -> pl.Expr:
    """`lower` matches `pattern` (`*` any text), with the cheap string tests where they fit."""
    inner = pattern.strip("*")
    if "*" not in inner:
        if pattern.startswith("*") and pattern.endswith("*"):
            return lower.str.contains(inner, literal=True)
        if pattern.endswith("*"):
            return lower.str.starts_with(inner)
        if pattern.startswith("*"):
            return lower.str.ends_with(inner)
    regex = ".*".join(re.escape(p) for p in pattern.split("*"))
    return lower.str.contains(f"^{regex}$")


def _cmp(col: pl.Expr, op: str, value: Any) -> pl.Expr:
    compare = {">": col.gt, ">=": col.ge, "<": col.lt, "<=": col.le}[op]
    return compare(value)


# ---------------------------------------------------------------------------------------------
# Completion


def complete(text: str, vocabulary: Vocabulary) -> str | None:
    """`text` with its last word completed (a name, an audience, a band), or None.

    For an input box's inline suggestion: the completion of what is being typed, never a
    change of what was typed before it."""
    match = re.search(r'(-?)([^\s()"|,:<>=]*)(:(?:[^\s()|,]*[|,])*)?("?)([^\s()|,"]*)$', text)
    if match is None:
        return None
    name, values, quote, word = match.group(2), match.group(3), match.group(4), match.group(5)
    if values is None:
        if not name or quote or word:
            return None
        cands = [n for n in vocabulary.names() if n.startswith(name.lower()) and n != name]
        return text + cands[0][len(name) :] if cands else None
    lowered = name.lower()
    if lowered == "audience":
        options = sorted(vocabulary.audiences)
    elif lowered == "band":
        options = list(BANDS)
    else:
        return None
    for opt in options:
        if opt.lower().startswith(word.lower()) and opt.lower() != word.lower():
            needs_quotes = bool(_VALUE_STOP & set(opt)) or quote
            done = f'"{opt}"' if needs_quotes else opt
            head = text[: len(text) - len(word) - len(quote)]
            return head + done
    return None


# Timezone-aware day boundaries are not needed above: date columns compare on their UTC date.
__all__ = [
    "Compiled",
    "FilterError",
    "Need",
    "Vocabulary",
    "compile_filter",
    "complete",
    "did_you_mean",
    "parse",
]
