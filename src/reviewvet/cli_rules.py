"""``reviewvet rules``: list the rules in force, explain one, show the facts conditions read."""

from __future__ import annotations

import argparse
from pathlib import Path

from reviewvet.errors import UsageError


def add_rules_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rules = sub.add_parser("rules", help="list and explain the rules that turn check facts into decisions",
                           description="Rules are YAML files (the defaults ship in reviewvet; add your own with "
                                       "--rules DIR). Each has a stable code (RV101), a kebab-case name, a CEL "
                                       "condition over the facts of a finding, and actions.")
    what = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    what.required = True
    listing = what.add_parser("list", help="every rule in force: code, name, family")
    explain = what.add_parser("explain", help="one rule: description, condition, actions, where it is defined")
    explain.add_argument("code", help="a rule code such as RV101, or its name")
    facts = what.add_parser("facts", help="the facts a rule condition can read")
    for p in (listing, explain):
        p.add_argument("--rules", type=Path, action="append", default=[], metavar="DIR",
                       help="a folder of rule files, added to the defaults")
        p.add_argument("--no-default-rules", action="store_true", help="only the rules given with --rules")
    listing.set_defaults(run=run_list)
    explain.set_defaults(run=run_explain)
    facts.set_defaults(run=run_facts)


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from reviewvet.rules.loader import load_rules

    return load_rules(list(args.rules), defaults=not args.no_default_rules)


def run_list(args: argparse.Namespace) -> int:
    for rule in _load(args):
        print(f"{rule.code}  {rule.name:42} {rule.family:11} {rule.source}")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    rules = _load(args)
    chosen = [r for r in rules if args.code in (r.code, r.name)]
    if not chosen:
        raise UsageError(f"no rule {args.code!r}; see: reviewvet rules list")
    print(chosen[0].explain())
    return 0


def run_facts(args: argparse.Namespace) -> int:
    from reviewvet.rules import facts

    print((facts.__doc__ or "").strip())
    return 0
