"""The Condition element: operators over context keys, with AWS's missing-key rules."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .context import ContextKeys
from .errors import LEGACY, Problems, Stage, syntax
from .operators import OPERATORS, Operator
from .patterns import literal
from .variables import Template, parse_value

_IF_EXISTS = "IfExists"
_NULL = "Null"


class SetOperator(enum.Enum):
    """The qualifier for multi-valued keys."""

    FOR_ALL_VALUES = "ForAllValues"
    FOR_ANY_VALUE = "ForAnyValue"


@dataclass(frozen=True, slots=True)
class ConditionClause:
    """One `operator: {key: values}` pair; values are OR-ed, NOR-ed when negated."""

    operator: str
    key: str
    values: tuple[str | Template, ...]
    base: Operator | None
    set_operator: SetOperator | None
    if_exists: bool
    # Values prepared at parse time; None where a value holds variables.
    prepared: tuple[object | None, ...]
    lookup: str = ""
    has_templates: bool = False

    def __post_init__(self) -> None:
        # Key names are case-insensitive; lowercase once, not per request.
        object.__setattr__(self, "lookup", self.key.lower())
        object.__setattr__(self, "has_templates", any(value is None for value in self.prepared))

    def holds(self, keys: ContextKeys) -> bool:
        """Whether the request satisfies this clause."""
        raw = keys.get_lower(self.lookup)
        present = raw is not None and raw != ()
        if self.base is None:
            # Null: "true" asks for the key to be absent, "false" present.
            return any((value == "true") != present for value in self.prepared)
        if not present:
            if self.set_operator is SetOperator.FOR_ALL_VALUES:
                return True
            if self.set_operator is SetOperator.FOR_ANY_VALUE:
                return False
            return self.if_exists or self.base.negated
        policy_values = self._policy_values(keys) if self.has_templates else self.prepared
        matches = self.base.comparison.matches
        negated = self.base.negated
        if isinstance(raw, str) and self.set_operator is None:
            # The common case: one request value, no qualifier.
            for prepared in policy_values:
                if matches(prepared, raw):
                    return not negated
            return negated
        requested = (raw,) if isinstance(raw, str) else raw

        def satisfied(value: str) -> bool:
            hit = any(matches(prepared, value) for prepared in policy_values)
            return not hit if negated else hit

        if self.set_operator is SetOperator.FOR_ALL_VALUES:
            return all(satisfied(value) for value in requested)
        if self.set_operator is SetOperator.FOR_ANY_VALUE or not negated:
            return any(satisfied(value) for value in requested)
        # A negated operator without a qualifier is a NOR over every pair.
        return all(satisfied(value) for value in requested)

    def _policy_values(self, keys: ContextKeys) -> tuple[object, ...]:
        values: list[object] = []
        for written, prepared in zip(self.values, self.prepared):
            if prepared is not None:
                values.append(prepared)
                continue
            assert isinstance(written, Template)
            chunks = written.resolve(keys.get_lower)
            if chunks is None:
                continue  # an unresolvable variable never matches
            try:
                values.append(self.base.comparison.prepare(chunks))  # type: ignore[union-attr]
            except ValueError:
                continue
        return tuple(values)


@dataclass(frozen=True, slots=True)
class ConditionBlock:
    """Every clause must hold (AND across operators and keys)."""

    clauses: tuple[ConditionClause, ...]

    def holds(self, keys: ContextKeys) -> bool:
        """Whether the request satisfies the whole Condition element."""
        for clause in self.clauses:
            if not clause.holds(keys):
                return False
        return True

    def keys(self) -> tuple[str, ...]:
        """Context keys the block reads, in conditions and variables, as written."""
        found: list[str] = []
        for clause in self.clauses:
            found.append(clause.key)
            for value in clause.values:
                if isinstance(value, Template):
                    found.extend(value.keys)
        return tuple(found)


def parse_condition(block: object, version: str, path: str, problems: Problems | None = None) -> ConditionBlock | None:
    """A Condition element -> ConditionBlock (None when it holds no clause), or MalformedPolicyDocument.

    IAM accepts `{}`, an operator mapping to `{}` (even an unknown one) and
    keys without a `prefix:`; it refuses an unknown operator that maps keys.
    """
    own = problems is None
    problems = Problems() if problems is None else problems
    if not isinstance(block, dict):
        raise syntax(path, "Condition must be an object")
    clauses: list[ConditionClause] = []
    for name, keys in block.items():
        where = f"{path}.{name}"
        if not isinstance(keys, dict):
            raise syntax(where, f"condition operator {name} must map context keys to values")
        if not keys:
            continue
        base, set_operator, if_exists = _parse_operator(name, where)
        for key, raw in keys.items():
            clause = _parse_clause(name, key, raw, base, set_operator, if_exists, version, f"{where}.{key}", problems)
            if clause is not None:
                clauses.append(clause)
    if own:
        problems.raise_first()
    return ConditionBlock(tuple(clauses)) if clauses else None


def _parse_operator(name: str, where: str) -> tuple[Operator | None, SetOperator | None, bool]:
    set_operator = None
    base_name = name
    prefix, separator, rest = name.partition(":")
    if separator:
        try:
            set_operator = SetOperator(prefix)
        except ValueError:
            raise syntax(where, f"unknown condition set operator {prefix!r}") from None
        base_name = rest
    if_exists = base_name.endswith(_IF_EXISTS) and base_name != _IF_EXISTS
    if if_exists:
        base_name = base_name[: -len(_IF_EXISTS)]
    if base_name == _NULL:
        if if_exists or set_operator:
            raise syntax(where, f"condition operator {name} is not allowed: Null takes no qualifier")
        return None, None, False
    if base_name not in OPERATORS:
        raise syntax(where, f"unknown condition operator {name!r}")
    return OPERATORS[base_name], set_operator, if_exists


def _parse_clause(
    name: str,
    key: str,
    raw: object,
    base: Operator | None,
    set_operator: SetOperator | None,
    if_exists: bool,
    version: str,
    where: str,
    problems: Problems,
) -> ConditionClause | None:
    texts = _value_texts(raw, where)
    if base is None:
        lowered = tuple(text.lower() for text in texts)
        if any(text not in ("true", "false") for text in lowered):
            problems.note(LEGACY, where, f"Null takes true or false, got {raw!r}", Stage.LEGACY)
            return None
        return ConditionClause(name, key, texts, None, None, False, lowered)
    values = tuple(parse_value(text, version) for text in texts)
    prepared: list[object | None] = []
    for value in values:
        if isinstance(value, Template):
            prepared.append(None)
            continue
        try:
            prepared.append(base.comparison.prepare(literal(value)))
        except ValueError as error:
            # IAM's "legacy parsing" refuses values its operator cannot read (known for Date*).
            problems.note(LEGACY, where, f"invalid value for {name}: {error}", Stage.LEGACY)
            return None
    return ConditionClause(name, key, values, base, set_operator, if_exists, tuple(prepared))


def _value_texts(raw: object, where: str) -> tuple[str, ...]:
    # An empty list is accepted by IAM: no value, so a positive operator never matches.
    items = raw if isinstance(raw, list) else [raw]
    texts: list[str] = []
    for item in items:
        if isinstance(item, bool):
            texts.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            texts.append(str(item))
        else:
            raise syntax(where, f"a condition value must be a string, number or boolean, got {type(item).__name__}")
    return tuple(texts)
