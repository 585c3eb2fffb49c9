"""Bounds on a rule's CEL condition: its shape read once from its text, its cost checked before each run.

The CEL package has no cost limit, and a comprehension nested in another multiplies their lists'
lengths (five nested ``.all()`` never finish). So:

- at load time a condition is at most ``MAX_CONDITION_CHARS`` characters and nests at most
  ``MAX_COMPREHENSION_DEPTH`` comprehensions (``all``, ``exists``, ``exists_one``, ``map``,
  ``filter``); their variables (``finding.agents.exists(a, a == "Codex")``) are no facts, and are
  known only inside their own parentheses;
- before each run a condition with comprehensions is refused when its worst case over these facts,
  ``L ** depth * (L + S / 64) * (chars / 32 + 1)`` steps (L the longest list or map, S the longest
  string, chars the condition's length), exceeds ``STEP_BUDGET``: about a second of the CEL
  interpreter's work. The rule is then "not evaluated", with the reason, never silently false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_CONDITION_CHARS = 2000
MAX_COMPREHENSION_DEPTH = 2
STEP_BUDGET = 10_000_000
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})

_TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<string>(?:[rR][bB]?|[bB][rR]?)?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|"""
    r"""'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))|(?P<name>[A-Za-z_]\w*)|(?P<number>\d[\w.]*)|(?P<other>.)""",
    re.S,
)
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


class ConditionError(ValueError):
    """A condition reviewvet will not run: too long, too deeply nested, or too costly on these facts."""


@dataclass(frozen=True)
class Shape:
    """What a condition's text says about its cost and its names."""

    depth: int  # the most comprehensions open at once
    bound: frozenset[str]  # comprehension variables
    free: frozenset[str]  # names used outside every comprehension that binds them


def shape_of(expression: str) -> Shape:
    """The nesting and names of a CEL expression, read from its tokens (strings skipped)."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(expression) if m.lastgroup != "space"]
    frames: list[tuple[str, str | None]] = []  # (closing bracket, the variable it binds)
    depth, bound, free = 0, set(), set()
    for i, (kind, text) in enumerate(tokens):
        before = tokens[i - 1][1] if i else ""
        if text in _CLOSERS and kind == "other":
            variable = _macro_variable(tokens, i)
            frames.append((_CLOSERS[text], variable))
            if variable:
                bound.add(variable)
                depth = max(depth, sum(1 for _, v in frames if v))
        elif kind == "other" and frames and text == frames[-1][0]:
            frames.pop()
        elif kind == "name" and before != "." and (i + 1 >= len(tokens) or tokens[i + 1][1] != "("):
            if not any(v == text for _, v in frames) and not _is_binding(tokens, i):
                free.add(text)
    return Shape(depth, frozenset(bound), frozenset(free))


def _macro_variable(tokens: list[tuple[str | None, str]], i: int) -> str | None:
    """The variable of a comprehension opened at ``(`` (``.all(x, ...``), else None."""
    if i < 2 or tokens[i][1] != "(" or tokens[i - 2][1] != "." or tokens[i - 1][1] not in MACROS:
        return None
    if i + 2 < len(tokens) and tokens[i + 1][0] == "name" and tokens[i + 2][1] == ",":
        return tokens[i + 1][1]
    return None


def _is_binding(tokens: list[tuple[str | None, str]], i: int) -> bool:
    """Whether the name at ``i`` is where a comprehension declares its variable."""
    return i >= 3 and tokens[i - 1][1] == "(" and _macro_variable(tokens, i - 1) == tokens[i][1]


def check_shape(expression: str) -> Shape:
    """The expression's shape; ConditionError when it is too long or nests too deeply."""
    if len(expression) > MAX_CONDITION_CHARS:
        raise ConditionError(f"condition is {len(expression)} characters; the limit is {MAX_CONDITION_CHARS}")
    shape = shape_of(expression)
    if shape.depth > MAX_COMPREHENSION_DEPTH:
        raise ConditionError(f"condition nests {shape.depth} comprehensions (all, exists, map ...); "
                             f"at most {MAX_COMPREHENSION_DEPTH} may be nested")
    return shape


@dataclass(frozen=True)
class FactSize:
    """The largest list or map and the longest string anywhere in a finding's facts."""

    items: int
    chars: int


def fact_size(facts: Any) -> FactSize:
    items = chars = 0
    stack = [facts]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            items = max(items, len(value))
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            items = max(items, len(value))
            stack.extend(value)
        elif isinstance(value, (str, bytes)):
            chars = max(chars, len(value))
    return FactSize(items, chars)


class Condition:
    """A compiled CEL program that refuses to run when its worst case over the facts is too costly."""

    def __init__(self, program: Any, expression: str, shape: Shape) -> None:
        self.program = program
        self.expression = expression
        self.shape = shape

    def steps(self, size: FactSize) -> int:
        """The worst case of this condition over facts of this size, in interpreter steps."""
        if not self.shape.depth:
            return 0  # no comprehension: linear in the facts
        longest = max(size.items, self.expression.count(",") + 1)  # a list literal counts too
        return int(longest ** self.shape.depth) * (longest + size.chars // 64) * (len(self.expression) // 32 + 1)

    def execute(self, facts: dict[str, Any], size: FactSize | None = None) -> Any:
        size = size if size is not None else fact_size(facts)
        if self.steps(size) > STEP_BUDGET:
            raise ConditionError(f"its {self.shape.depth} nested comprehension(s) over lists of up to "
                                 f"{size.items} items and text of {size.chars} characters exceed the budget of "
                                 f"{STEP_BUDGET} steps")
        return self.program.execute(facts)

    def variables(self) -> list[str]:
        return list(self.program.variables())
