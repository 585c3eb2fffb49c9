"""Apply the rules to every finding: facts in, a Decision with the rules that fired out."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reviewvet.checks.model import FindingVerdict
from reviewvet.rules.condition import fact_size
from reviewvet.rules.context import MAX_MATCHED_LINE, Convention, unmatched_lines, violations
from reviewvet.rules.duplicates import group_duplicates
from reviewvet.rules.facts import facts_of
from reviewvet.rules.model import Decision, Rule, RuleHit, severity_rank


def apply_rules(verdicts: tuple[FindingVerdict, ...], rules: list[Rule],
                conventions: list[Convention]) -> dict[str, Decision]:
    """The decision for every finding, by finding key."""
    duplicates = group_duplicates(verdicts)
    decisions: dict[str, Decision] = {}
    for v in verdicts:
        targets = [p.path for p in v.paths if p.path] + [b.path_hint for b in v.finding.blocks if b.path_hint]
        facts = facts_of(v, duplicates[v.finding.key], violations(v.finding, targets, conventions))
        decision = decide(rules, facts, v)
        if skipped := unmatched_lines(v.finding, targets, conventions):
            note = (f"context: {skipped} proposed line(s) longer than {MAX_MATCHED_LINE} characters were not "
                    "matched against the repository's conventions")
            decision = replace(decision, notes=(*decision.notes, note))
        decisions[v.finding.key] = decision
    return decisions


def decide(rules: list[Rule], facts: dict[str, Any], verdict: FindingVerdict) -> Decision:
    finding = verdict.finding
    severity, label = finding.severity, finding.label
    false_positive, merged_into = False, None
    notes: list[str] = []
    hits: list[RuleHit] = []
    size = fact_size(facts)
    for rule in rules:
        try:
            fired = rule.program.execute(facts, size) is True
        except Exception as exc:  # a rule that cannot be evaluated on these facts is reported, not fatal
            notes.append(f"{rule.code} could not be evaluated: {str(exc).splitlines()[0]}")
            continue
        if not fired:
            continue
        effects: list[str] = []
        for action, value in rule.actions.items():
            if action == "max_severity" and severity_rank(severity) > severity_rank(value):
                effects.append(f"severity {severity} -> {value}")
                severity = value
            elif action == "severity" and value != severity:
                if severity_rank(value) > severity_rank(finding.severity) and not rule.raise_reason:
                    effects.append(f"kept {severity}: never raised above the claimed severity without a reason")
                    continue
                effects.append(f"severity {severity} -> {value}")
                severity = value
            elif action == "false_positive" and value:
                false_positive = True
                effects.append("false positive")
            elif action == "relabel" and value != label:
                effects.append(f"label {label or 'none'} -> {value}")
                label = value
            elif action == "note":
                notes.append(f"{rule.code}: {_fill(value, facts)}")
                effects.append("note")
            elif action == "merge" and value and not facts["duplicate"]["primary"]:
                merged_into = facts["duplicate"]["group"]
                effects.append(f"merged into {merged_into}")
        hits.append(RuleHit(rule.code, rule.name, "; ".join(effects)))
    return Decision(finding.severity, severity, finding.label, label, false_positive, merged_into,
                    tuple(notes), tuple(hits))


def _fill(template: str, facts: dict[str, Any]) -> str:
    """Notes may name facts: ``{duplicate.agents}``, ``{context.violations}``, ``{provenance.status}``."""
    def value(path: str) -> str:
        current: Any = facts
        for part in path.split("."):
            current = current.get(part, "") if isinstance(current, dict) else ""
        if isinstance(current, list):
            return ", ".join(c.get("convention", str(c)) if isinstance(c, dict) else str(c) for c in current)
        return str(current)

    import re

    return re.sub(r"\{([a-z_.]+)\}", lambda m: value(m.group(1)), template)
