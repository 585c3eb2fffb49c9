"""The header of a deep review: a two-column table, or its flattened ``Key value`` lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reviewvet.model.review import Commit, ParseWarning, Reviewer
from reviewvet.ingest.vocabulary import agent_family, is_known_heading

_KEYS = ("wall-clock time", "reviewers", "verdict", "commits", "branch", "author", "round", "repo",
         "date", "head", "pr")
_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")  # no nesting: each scan stops at the next bracket


@dataclass
class Header:
    title: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    extra_commit_lines: list[str] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        return self.fields.get(key)


def read_header(lines: list[str]) -> Header:
    """Read the title and key/value header that precede the first section heading."""
    header = Header()
    last_key = ""
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if not header.title and "review" in line.lower() and not line.startswith("|"):
            header.title = line.lstrip("#").strip()
            continue
        if is_known_heading(line) or line.startswith("#") or lineno > 80:
            break
        pair = _row(line) if line.startswith("|") else _flat_pair(line)
        if pair:
            last_key = pair[0]
            header.fields.setdefault(pair[0], pair[1])
        elif last_key == "commits" and re.match(r"^`?[0-9a-f]{7,40}`?\s", line):
            header.extra_commit_lines.append(line)
    return header


def _row(line: str) -> tuple[str, str] | None:
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
    if len(cells) < 2:
        return None
    key = clean_inline(cells[0]).lower()
    return (key, clean_inline("|".join(cells[1:]).replace("\\|", "|"))) if key in _KEYS else None


def _flat_pair(line: str) -> tuple[str, str] | None:
    lowered = line.lower()
    for key in _KEYS:
        if lowered.startswith(key) and len(line) > len(key):
            rest = line[len(key):]
            if key == "pr" and not rest.lstrip().startswith("#"):
                continue
            return key, rest.strip()
    return None


def clean_inline(text: str) -> str:
    """Markdown inline markup removed: links keep their text, bold and code marks go."""
    text = _LINK.sub(r"\1", text)
    return re.sub(r"\*\*|__|`", "", text).strip()


def parse_commits(value: str | None, extra: list[str]) -> tuple[Commit, ...]:
    """Commits written as ``sha subject``, one a line or run together by a flattening."""
    if not value:
        return ()
    text = re.sub(r"<br\s*/?>", " ", " ".join([value, *extra]), flags=re.I)
    first = re.match(r"\s*([0-9a-f]{7,40})\s", text)
    if not first:
        return ()
    length = len(first.group(1))
    starts = [m for m in re.finditer(rf"([0-9a-f]{{{length}}}) ", text) if re.search(r"\d", m.group(1))]
    commits = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        commits.append(Commit(match.group(1), text[match.end():end].strip()))
    return tuple(commits)


def parse_reviewers(value: str | None) -> tuple[Reviewer, ...]:
    if not value:
        return ()
    parts, depth, start = [], 0, 0
    for at, char in enumerate(value):  # commas outside parentheses separate reviewers
        if char in "()":
            depth += 1 if char == "(" else -1
        elif char == "," and depth == 0:
            parts.append(value[start:at])
            start = at + 1
    parts.append(value[start:])
    reviewers = []
    for part in (p.strip() for p in parts if p.strip()):
        effort = re.search(r"\(effort:\s*([^)]+)\)", part)
        # "Name (effort: high)": the name is what comes before the parenthesis that runs to the end.
        name = part[: part.find("(")].strip() if part.endswith(")") and "(" in part else part
        reviewers.append(Reviewer(name, agent_family(name), effort.group(1).strip() if effort else None))
    return tuple(reviewers)


def parse_pr(value: str | None) -> tuple[int | None, str | None]:
    if not value:
        return None, None
    match = re.match(r"#?(\d+)\s*(?:[\u2014\u2013-]+\s*(.*))?$", value.strip())
    if not match:
        return None, value
    return int(match.group(1)), (match.group(2) or "").strip() or None
