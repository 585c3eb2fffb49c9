"""``reviewvet rules``: list the rules in force, explain one, show the facts conditions read."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from reviewvet.cli.emit import as_json, emit, lines
from reviewvet.cli.options import add_output, add_rules
from reviewvet.errors import UsageError

if TYPE_CHECKING:
    from reviewvet.cli.options import Subparsers
    from reviewvet.model.rules import Rule

_FACT_LINE = re.compile(r"^(?P<name>[a-z]+)\s{2,}(?P<text>.*)$")


def add_parser(sub: Subparsers) -> None:
    rules = sub.add_parser("rules", help="list and explain the rules that turn check facts into decisions",
                           description="Rules are YAML files (the defaults ship in reviewvet; add your own with "
                                       "--rules DIR). Each has a stable code (RV101), a kebab-case name, a CEL "
                                       "condition over the facts of a finding, and actions.")
    what = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    what.required = True
    listing = what.add_parser("list", help="every rule in force: code, name, family, where it is defined")
    explain = what.add_parser("explain", help="one rule: description, condition, actions, where it is defined")
    explain.add_argument("code", help="a rule code such as RV101, or its name")
    facts = what.add_parser("facts", help="the facts a rule condition can read")
    for parser in (listing, explain):
        add_rules(parser.add_argument_group("rules"))
    for parser in (listing, explain, facts):
        add_output(parser, ("text", "json"), "text")
    listing.set_defaults(run=run_list)
    explain.set_defaults(run=run_explain)
    facts.set_defaults(run=run_facts)


def _load(args: argparse.Namespace) -> list[Rule]:
    from reviewvet.rules.loader import load_rules

    rules: list[Rule] = load_rules(list(args.rules), defaults=not args.no_default_rules)
    return rules


def run_list(args: argparse.Namespace) -> int:
    rules = _load(args)
    if args.format == "json":
        emit(as_json([_rule_data(r) for r in rules]), args.output)
    else:
        emit(lines(*(f"{r.code}  {r.name:42} {r.family:11} {r.source}" for r in rules)), args.output)
    return 0


def run_explain(args: argparse.Namespace) -> int:
    chosen = [r for r in _load(args) if args.code in (r.code, r.name)]
    if not chosen:
        raise UsageError(f"no rule {args.code!r}; see: reviewvet rules list")
    emit(as_json(_rule_data(chosen[0])) if args.format == "json" else lines(chosen[0].explain()), args.output)
    return 0


def run_facts(args: argparse.Namespace) -> int:
    from reviewvet.rules import facts

    text = (facts.__doc__ or "").strip()
    emit(as_json(fact_table(text)) if args.format == "json" else lines(text), args.output)
    return 0


def _rule_data(rule: Rule) -> dict[str, Any]:
    return {"code": rule.code, "name": rule.name, "family": rule.family, "description": rule.description.strip(),
            "when": rule.when, "actions": rule.actions, "raise_reason": rule.raise_reason, "source": rule.source}


def fact_table(doc: str) -> dict[str, str]:
    """The facts module's table (``name   what it holds``, continued on indented lines) as name -> text."""
    table: dict[str, str] = {}
    name = ""
    for line in doc.splitlines():
        match = _FACT_LINE.match(line)
        if match:
            name = match["name"]
            table[name] = match["text"].strip()
        elif name and line.startswith(" ") and line.strip():
            table[name] += " " + line.strip()
    return table
