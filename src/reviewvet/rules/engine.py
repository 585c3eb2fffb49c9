"""Apply the rules to every finding: facts in, a Decision with the rules that fired out."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from reviewvet.model.checks import FindingVerdict
from reviewvet.rules.condition import fact_size
from reviewvet.rules.context import MAX_MATCHED_LINE, Convention, unmatched_lines, violations
from reviewvet.rules.duplicates import group_duplicates
from reviewvet.rules.facts import facts_of
from reviewvet.model.rules import Decision, Effect, Rule, RuleHit, severity_rank


def apply_rules(verdicts: tuple[FindingVerdict, ...], rules: list[Rule], conventions: list[Convention],
                memo: DecisionMemo | None = None) -> dict[str, Decision]:
    """The decision for every finding, by finding key. ``memo`` (a workspace's) remembers decisions by
    their inputs: the same facts under the same rules decide the same way, so a repeated claim is
    not evaluated again."""
    duplicates = group_duplicates(verdicts)
    decisions: dict[str, Decision] = {}
    for v in verdicts:
        targets = [p.path for p in v.paths if p.path] + [b.path_hint for b in v.finding.blocks if b.path_hint]
        facts = facts_of(v, duplicates[v.finding.key], violations(v.finding, targets, conventions))
        decision = memo.decide(rules, facts, v) if memo is not None else decide(rules, facts, v)
        if skipped := unmatched_lines(v.finding, targets, conventions):
            note = (f"context: {skipped} proposed line(s) longer than {MAX_MATCHED_LINE} characters were not "
                    "matched against the repository's conventions")
            decision = replace(decision, notes=(*decision.notes, note))
        decisions[v.finding.key] = decision
    return decisions


class DecisionMemo:
    """Decisions by rules, facts and claimed severity and label, least recently used out past ``size``."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._known: OrderedDict[tuple[object, ...], Decision] = OrderedDict()

    def decide(self, rules: list[Rule], facts: dict[str, Any], verdict: FindingVerdict) -> Decision:
        finding = verdict.finding
        key = (tuple((r.code, r.when, r.source) for r in rules), finding.severity, finding.label,
               json.dumps(facts, sort_keys=True, default=repr))
        known = self._known.get(key)
        if known is not None:
            self._known.move_to_end(key)
            return known
        decision = decide(rules, facts, verdict)
        self._known[key] = decision
        if len(self._known) > self.size:
            self._known.popitem(last=False)
        return decision


def decide(rules: list[Rule], facts: dict[str, Any], verdict: FindingVerdict) -> Decision:
    finding = verdict.finding
    outcome = _Outcome(finding.severity, finding.severity, finding.label)
    hits: list[RuleHit] = []
    size = fact_size(facts)
    for rule in rules:
        try:
            fired = rule.program.execute(facts, size) is True
        except Exception as exc:  # a rule that cannot be evaluated on these facts is reported, not fatal
            why = (str(exc).splitlines() or [type(exc).__name__])[0]
            outcome = _noted(outcome, f"{rule.code} could not be evaluated: {why}")
            continue
        if fired:
            outcome, effects = _apply_actions(rule, facts, outcome)
            hits.append(RuleHit(rule.code, rule.name, effects))
    return Decision(finding.severity, outcome.severity, finding.label, outcome.label, outcome.false_positive,
                    outcome.merged_into, outcome.notes, tuple(hits))


@dataclass(frozen=True)
class _Outcome:
    """What the rules that fired so far made of one finding."""

    claimed_severity: str | None  # the finding's own: a rule raises a severity above it only with a reason
    severity: str | None
    label: str | None
    false_positive: bool = False
    merged_into: str | None = None
    notes: tuple[str, ...] = ()


def _noted(outcome: _Outcome, note: str) -> _Outcome:
    return replace(outcome, notes=(*outcome.notes, note))


_Applied = tuple[_Outcome, Effect | None]  # the outcome after one action, and its effect (None when it changed nothing)


def _apply_actions(rule: Rule, facts: dict[str, Any], outcome: _Outcome) -> tuple[_Outcome, tuple[Effect, ...]]:
    """A fired rule's actions, in the order the rule lists them; unknown actions do nothing."""
    effects: list[Effect] = []
    for action, value in rule.actions.items():
        apply = _ACTIONS.get(action)
        if apply is None:
            continue
        outcome, effect = apply(outcome, value, rule, facts)
        if effect is not None:
            effects.append(effect)
    return outcome, tuple(effects)


def _max_severity(outcome: _Outcome, value: Any, rule: Rule, facts: dict[str, Any]) -> _Applied:
    if severity_rank(outcome.severity) <= severity_rank(value):
        return outcome, None
    return replace(outcome, severity=value), Effect("severity", outcome.severity, value)


def _severity(outcome: _Outcome, value: Any, rule: Rule, facts: dict[str, Any]) -> _Applied:
    if value == outcome.severity:
        return outcome, None
    if severity_rank(value) > severity_rank(outcome.claimed_severity) and not rule.raise_reason:
        return outcome, Effect("kept-severity", outcome.severity)
    return replace(outcome, severity=value), Effect("severity", outcome.severity, value)


def _false_positive(outcome: _Outcome, value: Any, rule: Rule, facts: dict[str, Any]) -> _Applied:
    if not value:
        return outcome, None
    return replace(outcome, false_positive=True), Effect("false-positive")


def _relabel(outcome: _Outcome, value: Any, rule: Rule, facts: dict[str, Any]) -> _Applied:
    if value == outcome.label:
        return outcome, None
    return replace(outcome, label=value), Effect("relabel", outcome.label, value)


def _note(outcome: _Outcome, value: Any, rule: Rule, facts: dict[str, Any]) -> _Applied:
    return _noted(outcome, f"{rule.code}: {_fill(value, facts)}"), Effect("note")


def _merge(outcome: _Outcome, value: Any, rule: Rule, facts: dict[str, Any]) -> _Applied:
    if not value or facts["duplicate"]["primary"]:
        return outcome, None
    group = facts["duplicate"]["group"]
    return replace(outcome, merged_into=group), Effect("merge", after=group)


# What each rule action does to the outcome, by action name.
_ACTIONS: dict[str, Callable[[_Outcome, Any, Rule, dict[str, Any]], _Applied]] = {
    "max_severity": _max_severity,
    "severity": _severity,
    "false_positive": _false_positive,
    "relabel": _relabel,
    "note": _note,
    "merge": _merge,
}


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
