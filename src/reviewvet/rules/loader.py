"""Read and validate rule files. Every error names the file and the line of the YAML.

A rule file holds ``rules:``, a list of mappings::

    rules:
      - code: RV101                 # RV + family digit + two digits, unique
        name: hallucinated-quote    # kebab-case, reads well after "allow"
        family: quotes
        description: >
          One paragraph: what the rule catches and why.
        when: 'quotes.exists(q, q.status == "absent")'   # a CEL expression over the facts
        actions:
          false_positive: true
          note: "the quoted code exists neither at head nor at the merge base"

Conditions are CEL (the Common Expression Language of Kubernetes admission policies),
compiled once with the ``common-expression-language`` package; no user text is ever
passed to ``eval``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from reviewvet.errors import RuleFileError
from reviewvet.rules.condition import Condition, ConditionError, check_shape
from reviewvet.rules.facts import FACT_NAMES
from reviewvet.model.rules import ACTIONS, FAMILIES, SEVERITIES, Rule
from reviewvet.rules.yamlfile import compose_yaml, node_data, read_yaml_file

__all__ = ["compose_yaml", "default_rules", "load_rules", "parse_rule_file"]

_CODE = re.compile(r"^RV(\d)\d{2}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_REQUIRED = ("code", "name", "family", "description", "when", "actions")


def default_rule_files() -> list[tuple[str, str]]:
    """(name, text) of the shipped rule files, in name order."""
    folder = resources.files("reviewvet.ruleset")
    return sorted((entry.name, entry.read_text("utf-8")) for entry in folder.iterdir()
                  if entry.name.endswith((".yaml", ".yml")))


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    """The shipped rules, parsed and compiled once per process."""
    return tuple(r for name, text in default_rule_files() for r in parse_rule_file(f"reviewvet/ruleset/{name}", text))


def load_rules(extra_dirs: list[Path] | None = None, *, defaults: bool = True) -> list[Rule]:
    sources: list[tuple[str, str]] = []
    for folder in extra_dirs or []:
        if not folder.is_dir():
            raise RuleFileError(str(folder), 0, "is not a folder of rule files")
        for path in sorted(folder.glob("*.y*ml")):
            sources.append((str(path), read_rule_text(path)))
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    parsed = [list(default_rules())] if defaults else []
    parsed += [parse_rule_file(name, text) for name, text in sources]
    for group in parsed:
        for rule in group:
            if rule.code in seen:
                raise RuleFileError(rule.source.rsplit(":", 1)[0], int(rule.source.rsplit(":", 1)[1]),
                                    f"rule code {rule.code!r} is already used at {seen[rule.code]}")
            seen[rule.code] = rule.source
            rules.append(rule)
    return sorted(rules, key=lambda r: r.code)


def read_rule_text(path: Path) -> str:
    """A rule or context file's text; RuleFileError when it is too large or not UTF-8 (at its line)."""
    return read_yaml_file(path)


def parse_rule_file(path: str, text: str) -> list[Rule]:
    import yaml

    root = compose_yaml(path, text)
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode) or "rules" not in _keys(root):
        raise RuleFileError(path, _line(root), "a rule file is a mapping with a 'rules:' list")
    rules_node = _keys(root)["rules"]
    if not isinstance(rules_node, yaml.SequenceNode):
        raise RuleFileError(path, _line(rules_node), "'rules:' must be a list of rules")
    return [_rule(path, node) for node in rules_node.value]


def _keys(node: Any) -> dict[str, Any]:
    return {k.value: v for k, v in node.value}


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


def _rule(path: str, node: Any) -> Rule:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise RuleFileError(path, _line(node), "each rule is a mapping (code, name, family, ...)")
    fields = _keys(node)
    missing = [k for k in _REQUIRED if k not in fields]
    if missing:
        raise RuleFileError(path, _line(node), f"rule is missing {', '.join(missing)}")
    unknown = sorted(set(fields) - set(_REQUIRED) - {"raise_reason"})
    if unknown:
        raise RuleFileError(path, _line(fields[unknown[0]]), f"unknown rule field {unknown[0]!r}")
    value = {k: node_data(v) for k, v in fields.items()}
    code, name, family = str(value["code"]), str(value["name"]), str(value["family"])
    match = _CODE.match(code)
    if not match:
        raise RuleFileError(path, _line(fields["code"]), f"rule code {code!r} is not RV followed by three digits")
    if family not in FAMILIES:
        raise RuleFileError(path, _line(fields["family"]),
                            f"family {family!r} is not one of {', '.join(FAMILIES)}")
    if int(match.group(1)) != FAMILIES[family]:
        raise RuleFileError(path, _line(fields["code"]),
                            f"rule code {code!r} does not belong to family {family!r} (RV{FAMILIES[family]}xx)")
    if not _NAME.match(name):
        raise RuleFileError(path, _line(fields["name"]), f"rule name {name!r} is not kebab-case")
    actions = value["actions"]
    _check_actions(path, fields["actions"], actions)
    program = _compile(path, fields["when"], str(value["when"]))
    return Rule(code, name, family, str(value["description"]), str(value["when"]), actions,
                f"{path}:{_line(node)}", program, str(value.get("raise_reason") or ""))


def _check_actions(path: str, node: Any, actions: Any) -> None:
    if not isinstance(actions, dict) or not actions:
        raise RuleFileError(path, _line(node), "actions must be a non-empty mapping")
    lines = {k.value: _line(k) for k, _ in node.value}
    for key, value in actions.items():
        line = lines.get(key, _line(node))
        if key not in ACTIONS:
            raise RuleFileError(path, line, f"unknown action {key!r}; known: {', '.join(ACTIONS)}")
        if key in ("severity", "max_severity") and value not in SEVERITIES:
            raise RuleFileError(path, line, f"{key} {value!r} is not one of {', '.join(SEVERITIES)}")
        if key == "relabel" and value not in ("regression", "gap"):
            raise RuleFileError(path, line, f"relabel {value!r} must be 'regression' or 'gap'")
        if key in ("false_positive", "merge") and not isinstance(value, bool):
            raise RuleFileError(path, line, f"{key} must be true or false")
        if key == "note" and not isinstance(value, str):
            raise RuleFileError(path, line, "note must be text")


@lru_cache(maxsize=1)
def cel_engine() -> Any:
    """The compiled CEL extension of the ``common-expression-language`` package.

    Importing the package itself also imports its interactive command line (typer,
    prompt_toolkit, pygments: about half a second); only the extension module is needed, so
    it is loaded on its own, falling back to the package when its layout differs.
    """
    import glob
    import importlib.util
    import os

    spec = importlib.util.find_spec("cel")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    binaries = [b for folder in folders for b in glob.glob(os.path.join(folder, "cel.*.so"))]
    if binaries:
        extension = importlib.util.spec_from_file_location("cel.cel", binaries[0])
        if extension is not None and extension.loader is not None:
            module = importlib.util.module_from_spec(extension)
            extension.loader.exec_module(module)
            return module
    import cel

    return cel


def _compile(path: str, node: Any, expression: str) -> Condition:
    try:
        shape = check_shape(expression)
    except ConditionError as exc:
        raise RuleFileError(path, _line(node), str(exc)) from exc
    cel = cel_engine()
    try:
        program = cel.compile(expression)
    except (ValueError, RuntimeError) as exc:
        raise RuleFileError(path, _line(node), f"condition does not compile: {str(exc).splitlines()[0]}") from exc
    # The package lists comprehension variables among the variables; they are facts only where no
    # comprehension binds them.
    names = {v.split(".")[0] for v in program.variables()}
    unknown = sorted(n for n in names - FACT_NAMES if n in shape.free or n not in shape.bound)
    if unknown:
        known = ", ".join(sorted(FACT_NAMES))
        raise RuleFileError(path, _line(node), f"condition uses unknown fact(s) {', '.join(unknown)}; known: {known}")
    return Condition(program, expression, shape)
