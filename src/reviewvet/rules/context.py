"""Repository context: the target repository's own conventions, as checkable rules.

Read from ``.reviewvet.yaml`` at the head revision (from git objects), or from a file
given with ``--context``::

    conventions:
      - name: no-teardown-in-bats            # kebab-case
        files: ["*.bats"]                    # globs on the path of the file the fix is for
        forbid: '\\b(teardown|local_teardown_file)\\b'   # a proposed line must not match
        message: "tests leave the system running so failures can be inspected"
        source: docs/testing.md:11-12        # where the repository writes the rule (optional)
      - name: run-0-only-when-output-is-inspected
        files: ["*.bats"]
        when: '^\\s*run\\s+-0\\b'              # a proposed line matching this ...
        require_after: '\\$output|assert_output|assert_line'   # ... needs this within `within` lines
        within: 3

A finding breaks a convention when its proposed fix does: the ``+`` lines of its diffs, its
proposal blocks, and code it recommends inline (``Add a `teardown` ...``).

The file comes from the pull request, so its patterns are compiled by RE2 (``google-re2``), whose
matching time is linear in the text whatever the pattern: ``^(a+)+$`` cannot hang it. RE2 has no
backreferences (``\\1``) and no lookaround (``(?=``, ``(?<!``); such a pattern is an error at its
line. ``\\b``, ``\\w``, ``\\s`` and ``\\d`` are ASCII. A proposed line longer than
``MAX_MATCHED_LINE`` characters is not matched, and the finding's decision says so.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Protocol

from reviewvet.errors import RuleFileError
from reviewvet.ingest.findings import diff_lines
from reviewvet.model.review import Finding
from reviewvet.ingest.vocabulary import INLINE_CODE
from reviewvet.rules.yamlfile import node_data

CONTEXT_FILE = ".reviewvet.yaml"
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_RECOMMENDS = re.compile(r"^\s*(?:\*\*)?(?:fix|add|use|consider|suggest|recommend|replace|wrap|call|prefer|switch)\b",
                         re.I)
_FIELDS = {"name", "files", "forbid", "when", "require_after", "within", "message", "source"}
MAX_MATCHED_LINE = 16 * 1024  # characters: a longer proposed line is not matched against the conventions
_RE2_MEMORY = 8 * 1024 * 1024  # bytes RE2 may use for one compiled pattern


class Pattern(Protocol):
    """A compiled convention pattern (an RE2 regular expression)."""

    pattern: str

    def search(self, text: str) -> object | None: ...


@dataclass(frozen=True)
class Convention:
    name: str
    files: tuple[str, ...]
    message: str
    source: str
    forbid: Pattern | None = None
    when: Pattern | None = None
    require_after: Pattern | None = None
    within: int = 3

    def applies_to(self, path: str) -> bool:
        base = path.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatch(path, g) or fnmatch.fnmatch(base, g) for g in self.files)


def parse_context(path: str, text: str) -> list[Convention]:
    import yaml

    from reviewvet.rules.yamlfile import compose_yaml

    root = compose_yaml(path, text)
    if root is None:
        return []
    fields = {k.value: v for k, v in root.value} if isinstance(root, yaml.MappingNode) else None
    if fields is None or not isinstance(fields.get("conventions"), yaml.SequenceNode):
        raise RuleFileError(path, root.start_mark.line + 1, "a context file is a mapping with a 'conventions:' list")
    return [_convention(path, node) for node in fields["conventions"].value]


def _convention(path: str, node: object) -> Convention:
    import yaml

    assert isinstance(node, yaml.Node)
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise RuleFileError(path, line, "each convention is a mapping (name, files, forbid or when/require_after)")
    data = node_data(node)
    field_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    if not all(isinstance(k, str) for k in data):
        raise RuleFileError(path, line, "convention fields are names such as 'files' and 'forbid'")
    if not isinstance(data.get("within", 3), int) or data.get("within", 3) < 1:
        raise RuleFileError(path, field_lines.get("within", line),
                            "'within' must be a whole number of lines, 1 or more")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise RuleFileError(path, field_lines[unknown[0]], f"unknown convention field {unknown[0]!r}")
    name = str(data.get("name", ""))
    if not _NAME.match(name):
        raise RuleFileError(path, line, f"convention name {name!r} is missing or not kebab-case")
    files = data.get("files")
    files = [files] if isinstance(files, str) else files
    if not files or not all(isinstance(g, str) for g in files):
        raise RuleFileError(path, line, f"convention {name!r} needs 'files': a glob or a list of globs")
    if not data.get("forbid") and not (data.get("when") and data.get("require_after")):
        raise RuleFileError(path, line, f"convention {name!r} needs 'forbid', or 'when' with 'require_after'")

    def pattern(key: str) -> Pattern | None:
        if not data.get(key):
            return None
        return compile_pattern(str(data[key]), path, field_lines.get(key, line), f"convention {name!r}: {key}")

    return Convention(name, tuple(files), str(data.get("message", "")), str(data.get("source", f"{path}:{line}")),
                      pattern("forbid"), pattern("when"), pattern("require_after"), int(data.get("within", 3)))


def compile_pattern(text: str, path: str, line: int, what: str) -> Pattern:
    """An RE2 regular expression; RuleFileError at ``path:line`` when RE2 cannot compile it."""
    import re2

    options = re2.Options()
    options.log_errors = False  # the error is ours to report, not RE2's to print
    options.max_mem = _RE2_MEMORY
    try:
        compiled: Pattern = re2.compile(text, options)
    except re2.error as exc:
        try:
            re.compile(text)
        except re.error as syntax:
            raise RuleFileError(path, line, f"{what} is not a valid regular expression: {syntax}") from exc
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise RuleFileError(path, line, f"{what} {text!r} cannot be matched in linear time (RE2 has no "
                            f"backreferences or lookaround): {reason}") from exc
    return compiled


def proposed_text(finding: Finding) -> list[list[tuple[str, bool]]]:
    """Runs of (line, added) the fix proposes: a diff's new side (its ``+`` lines added, its context
    kept), a proposal block, and inline code recommended in prose (a title or a sentence that
    starts with Fix, Add, Use, Consider ...)."""
    runs: list[list[tuple[str, bool]]] = []
    for b in finding.blocks:
        if b.role == "diff":
            runs.append([(text, mark == "+") for mark, text in diff_lines(b) if mark != "-"])
        elif b.role == "proposal" and b.proposed:
            runs.append([(line, True) for line in b.proposed])
    sentences = [s for s in [finding.title, *re.split(r"(?<=[.!?])\s+|\n", finding.body)] if _RECOMMENDS.match(s)]
    inline = [code for s in sentences for code in INLINE_CODE.findall(s)]
    if inline:
        runs.append([(code, True) for code in inline])
    return runs


def violations(finding: Finding, targets: list[str], conventions: list[Convention]) -> list[dict[str, str]]:
    """The conventions a finding's proposed fix breaks, for the files the finding is about."""
    found: list[dict[str, str]] = []
    runs = proposed_text(finding)
    for convention in conventions:
        paths = [p for p in targets if convention.applies_to(p)]
        if not paths:
            continue
        if any(_breaks(convention, run) for run in runs):
            found.append({"convention": convention.name, "path": paths[0],
                          "message": convention.message, "source": convention.source})
    return found


def unmatched_lines(finding: Finding, targets: list[str], conventions: list[Convention]) -> int:
    """How many proposed lines are too long to be matched against the conventions for these files."""
    if not any(c.applies_to(p) for c in conventions for p in targets):
        return 0
    return sum(1 for run in proposed_text(finding) for line, _ in run if len(line) > MAX_MATCHED_LINE)


def _breaks(convention: Convention, run: list[tuple[str, bool]]) -> bool:
    """Forbidden text on an added line; or an added line matching ``when`` with no ``require_after``
    within the next ``within`` lines of the new text (context lines count). Lines longer than
    ``MAX_MATCHED_LINE`` are not matched."""
    run = [(line, added) if len(line) <= MAX_MATCHED_LINE else ("", False) for line, added in run]
    if convention.forbid is not None and any(added and convention.forbid.search(line) for line, added in run):
        return True
    if convention.when is not None and convention.require_after is not None:
        for i, (line, added) in enumerate(run):
            if added and convention.when.search(line):
                after = [text for text, _ in run[i + 1:i + 1 + convention.within]]
                if not any(convention.require_after.search(x) for x in after):
                    return True
    return False
