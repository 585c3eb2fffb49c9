"""Rules and the decisions they make. Rules are data (YAML under rules/); see loader.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITIES = ("suggestion", "important", "critical")  # low to high
FAMILIES = {
    "quotes": 1, "locations": 2, "symbols": 3, "provenance": 4, "severity": 5, "context": 6, "duplicates": 7,
}
ACTIONS = ("severity", "max_severity", "false_positive", "relabel", "note", "merge")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    family: str
    description: str
    when: str
    actions: dict[str, Any]
    source: str  # file:line where the rule is defined
    program: Any = None  # the compiled CEL condition
    raise_reason: str = ""  # why this rule may set a severity above the claimed one (else it never does)

    def explain(self) -> str:
        actions = ", ".join(f"{k}: {v}" for k, v in self.actions.items())
        return (f"{self.code} {self.name} ({self.family})\n\n{self.description.strip()}\n\n"
                f"when: {self.when}\nthen: {actions}\ndefined at {self.source}")


@dataclass(frozen=True)
class RuleHit:
    code: str
    name: str
    effect: str


@dataclass(frozen=True)
class Decision:
    """What the rules decided for one finding, and which rules decided it."""

    claimed_severity: str | None
    severity: str | None
    claimed_label: str | None
    label: str | None
    false_positive: bool
    merged_into: str | None
    notes: tuple[str, ...]
    hits: tuple[RuleHit, ...]

    @property
    def downgraded(self) -> bool:
        return severity_rank(self.severity) < severity_rank(self.claimed_severity)

    @property
    def rule_codes(self) -> tuple[str, ...]:
        return tuple(h.code for h in self.hits)


def severity_rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1
