"""Rules and the decisions they make. Rules are data (YAML under rules/); see loader.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

Severity = Literal["suggestion", "important", "critical"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)  # low to high
FAMILIES = {
    "quotes": 1, "locations": 2, "symbols": 3, "provenance": 4, "severity": 5, "context": 6, "duplicates": 7,
}
Action = Literal["severity", "max_severity", "false_positive", "relabel", "note", "merge"]
ACTIONS: tuple[Action, ...] = get_args(Action)
# What a rule that fired did to a finding. ``kept-severity``: it asked for a higher severity than
# the claimed one without saying why, so the severity was kept.
EffectKind = Literal["severity", "kept-severity", "false-positive", "relabel", "note", "merge"]


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
class Effect:
    """One change a rule made: ``before`` and ``after`` are severities, labels or a merge group."""

    kind: EffectKind
    before: str | None = None
    after: str | None = None

    def text(self) -> str:
        if self.kind == "severity":
            return f"severity {self.before} -> {self.after}"
        if self.kind == "kept-severity":
            return f"kept {self.before}: never raised above the claimed severity without a reason"
        if self.kind == "relabel":
            return f"label {self.before or 'none'} -> {self.after}"
        if self.kind == "merge":
            return f"merged into {self.after}"
        return "false positive" if self.kind == "false-positive" else "note"


@dataclass(frozen=True)
class RuleHit:
    code: str
    name: str
    effects: tuple[Effect, ...] = ()

    @property
    def effect(self) -> str:
        """The effects in words, as the audit store and the reports show them."""
        return "; ".join(e.text() for e in self.effects)

    @property
    def false_positive(self) -> bool:
        return any(e.kind == "false-positive" for e in self.effects)

    @property
    def changed(self) -> bool:
        """Did this rule change the finding's severity, label or group?"""
        return any(e.kind in ("severity", "relabel", "merge") for e in self.effects)


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


@dataclass(frozen=True)
class AgentRow:
    agent: str
    model: str
    source: str  # "appendix" or "attributions"
    findings: dict[str, int]  # claimed severity -> count
    final: dict[str, int]  # severity after the rules -> count (false positives excluded)
    design_observations: int
    quotes_verified: int
    quotes_checked: int
    false_positives: int
    downgraded: int
    dropped: int
    mislabelled: int
    unique_insights: int
    coverage: float  # share of all distinct findings this agent reported
