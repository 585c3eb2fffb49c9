"""Parse a deep-review document into a Review.

The document is first turned into blocks (real Markdown through markdown-it-py, or the
line classifier for flattened documents); one walker then follows the sections, opens
one raw review per agent in the appendix, and hands each finding section to
``findings.split_findings``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewvet.errors import ReviewInputError
from reviewvet.streams import read_at_most
from reviewvet.ingest import header as hdr
from reviewvet.ingest.blocks import Block, detect_format, flat_blocks, markdown_blocks
from reviewvet.ingest.findings import SectionText, split_findings, unique_keys
from reviewvet.model.review import AgentReview, Finding, ParseWarning, Review
from reviewvet.ingest.vocabulary import (
    AGENT_NAME,
    agent_family,
    heading_category,
    normalise_heading,
    review_title_agent,
)

MAX_REVIEW_BYTES = 16 * 1024 * 1024
_FINDING_CATEGORIES = ("critical", "important", "suggestion", "design", "testing", "documentation")
# An agent heading is a name, bracketed or not, maybe followed by "— Pass 1" / "- round 2". Each
# pattern starts only where a run of its first characters starts, so none is quadratic on long runs.
_PASS_SUFFIX = re.compile(r"(?<![\u2014\u2013-])[\u2014\u2013-]++\s*+(?:pass|round)\b", re.I)
_PARENTHESISED = re.compile(r"(?<!\s)\s*+\([^()]*\)")
MAX_KNOWN_AGENTS = 32  # reviewer names from the header tried at the end of each title


def read_review_file(path: Path) -> str:
    """The text of a review document; ReviewInputError when it cannot be one."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReviewInputError(f"cannot read review {str(path)!r}: {exc.strerror}") from exc
    if path.is_dir():
        raise ReviewInputError(f"review {str(path)!r} is a directory, not a file")
    return review_text(str(path), size, lambda: _read_at_most(path, MAX_REVIEW_BYTES + 1))


def review_text(name: str, size: int, read: Callable[[], bytes]) -> str:
    """The one check of a review's bytes, whatever they come from (a file, a git blob): the size
    limit before ``read`` is called, then binary, UTF-8 and empty; ReviewInputError naming ``name``."""
    if size > MAX_REVIEW_BYTES:
        raise ReviewInputError(f"review {name!r} is {size} bytes; the limit is {MAX_REVIEW_BYTES}")
    data = read()
    if len(data) > MAX_REVIEW_BYTES:
        raise ReviewInputError(f"review {name!r} is over {MAX_REVIEW_BYTES} bytes, the limit")
    if b"\x00" in data[:8192]:
        raise ReviewInputError(f"review {name!r} is a binary file, not a Markdown review")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReviewInputError(f"review {name!r} is not UTF-8 (byte {exc.start}: {data[exc.start]:#04x})") from exc
    if not text.strip():
        raise ReviewInputError(f"review {name!r} is empty")
    return text


def _read_at_most(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return read_at_most(handle, limit)
    except OSError as exc:
        raise ReviewInputError(f"cannot read review {str(path)!r}: {exc.strerror}") from exc


def parse_review(text: str, source: str = "<review>") -> Review:
    """A Review from a document's text; what cannot be read becomes a warning."""
    fmt = detect_format(text)
    head = hdr.read_header(text.splitlines())
    blocks = markdown_blocks(text) if fmt == "markdown" else flat_blocks(text)
    reviewers = hdr.parse_reviewers(head.get("reviewers"))
    known = tuple(dict.fromkeys([r.name for r in reviewers] + [r.family for r in reviewers]))[:MAX_KNOWN_AGENTS]
    walker = _Walker(markdown=fmt == "markdown", known_agents=known, repository=head.get("repo"))
    walker.walk(blocks)
    findings, agent_reviews = _keyed(walker.consolidated, walker.agent_reviews(), walker.warnings)
    pr_number, pr_title = hdr.parse_pr(head.get("pr"))
    commits = hdr.parse_commits(head.get("commits"), head.extra_commit_lines)
    warnings = head.warnings + walker.warnings + _declared_count_warnings(walker)
    if not head.fields:
        warnings.insert(0, ParseWarning(1, "no header table (Date, Repo, PR, Commits ...) was found"))
    if not walker.saw_section:
        warnings.insert(0, ParseWarning(1, "no review sections (Critical Issues, Important Issues, "
                                        "Suggestions ...) were found"))
    return Review(
        source=source,
        format=fmt,
        title=head.title,
        date=head.get("date"),
        repository=head.get("repo"),
        pr_number=pr_number,
        pr_title=pr_title,
        round=head.get("round"),
        author=head.get("author"),
        branch=head.get("branch"),
        reviewers=reviewers,
        commits=commits,
        head_sha=_head_sha(head.get("head")),
        verdict=head.get("verdict"),
        findings=tuple(findings),
        agent_reviews=tuple(agent_reviews),
        warnings=tuple(sorted(warnings, key=lambda w: w.line)),
        reconciliation=tuple(walker.reconciliation),
        tables=tuple(walker.tables),
    )


_NUMBER_WORDS = {w: i for i, w in enumerate(
    "no one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split())}
_DECLARED = re.compile(
    r"(?<!round )(?<!'s )(?<!’s )\b(\d{1,2}|no|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen)\s+(?:new\s+|small\s+|minor\s+|more\s+)?(critical|important|suggestion)s?\b",
    re.I,
)


def _declared_count_warnings(walker: "_Walker") -> list[ParseWarning]:
    """Compare the counts the executive summary declares with the findings found."""
    declared: dict[str, tuple[int, int]] = {}
    for block in walker.summary:
        for match in _DECLARED.finditer(block.text.replace("*", "")):
            word = match.group(1).lower()
            count = int(word) if word.isdigit() else _NUMBER_WORDS[word]
            declared.setdefault(match.group(2).lower(), (count, block.line))
    warnings = []
    for section, (count, line) in declared.items():
        found = sum(1 for f in walker.consolidated if f.section == section)
        if found != count:
            warnings.append(ParseWarning(line, f"the summary declares {count} {section} finding(s); "
                                         f"{found} were parsed"))
    return warnings


def _keyed(
    consolidated: list[Finding], reviews: list[AgentReview], warnings: list[ParseWarning]
) -> tuple[list[Finding], list[AgentReview]]:
    """The findings again, every key unique across the review (a repeated one gets ``#2`` …)."""
    everything = unique_keys([*consolidated, *(f for r in reviews for f in r.findings)], warnings)
    findings, rest = everything[: len(consolidated)], everything[len(consolidated):]
    keyed = []
    for review in reviews:
        own, rest = rest[: len(review.findings)], rest[len(review.findings):]
        keyed.append(replace(review, findings=tuple(own)))
    return findings, keyed


def _head_sha(value: str | None) -> str | None:
    match = re.search(r"\b[0-9a-f]{7,40}\b", value or "")
    return match.group(0) if match else None


@dataclass
class _AppendixReview:
    """One agent's raw review as the walker reads it: opened by an agent heading or its own title."""

    agent: str
    heading: str
    line: int
    titled: bool = False
    findings: list[Finding] = field(default_factory=list)
    sections: int = 0


class _Walker:
    """Follows headings; collects the consolidated finding sections, then one review per agent.

    Inside the appendix a finding section always belongs to an agent's review: the one the
    nearest agent heading (``### [Codex] — Pass 1``) or review title (``# Code Review — Gemini``)
    opened, else a placeholder ``agent-N`` with a warning.
    """

    def __init__(self, *, markdown: bool, known_agents: tuple[str, ...], repository: str | None = None) -> None:
        self.markdown = markdown
        self.known_agents = known_agents
        self.repository = repository
        self.warnings: list[ParseWarning] = []
        self.consolidated: list[Finding] = []
        self.reviews: list[_AppendixReview] = []
        self.placeholders = 0  # reviews attributed to agent-1, agent-2 ...
        self.in_appendix = False
        self.closed = False
        self.section: SectionText | None = None
        self.section_level = 0
        self.saw_section = False
        self.in_summary = False
        self.summary: list[Block] = []
        self.in_reconciliation = False
        self.reconciliation: list[tuple[int, str]] = []
        self.tables: list[tuple[int, tuple[tuple[str, ...], ...]]] = []

    def walk(self, blocks: list[Block]) -> None:
        for block in blocks:
            if self.closed:
                break
            if block.kind == "heading":
                self._heading(block)
            elif block.kind in ("para", "item") and (split := _inline_heading(block)):
                self._heading(split[0])
                if split[1] is not None:
                    self._add(split[1])
            else:
                if self.in_summary and block.kind in ("para", "item"):
                    self.summary.append(block)
                self._note(block)
                self._add(block)
        self._close()

    def _note(self, block: Block) -> None:
        """Keep what the audit compares with: Reconciliation items and every table."""
        if block.kind == "table" and not self.in_appendix:
            self.tables.append((block.line, block.rows))
        elif block.kind in ("para", "item"):
            if re.match(r"^\W*reconciliation\W*[.:]", block.text, re.I) and not self.in_appendix:
                self.in_reconciliation = True
            elif self.in_reconciliation:
                self.reconciliation.append((block.line, block.text))

    def _add(self, block: Block) -> None:
        if self.section is not None and block.kind != "rule":
            self.section.blocks.append(block)

    def _heading(self, block: Block) -> None:
        category = heading_category(block.text)
        self.in_summary = not self.in_appendix and normalise_heading(block.text) == "executive summary"
        self.in_reconciliation = not self.in_appendix and normalise_heading(block.text) == "reconciliation"
        if self.in_appendix and self._appendix_heading(block):
            return
        if category == "appendix":
            self._close()
            self.in_appendix = True
            return
        if category in _FINDING_CATEGORIES:
            self._close()
            self.saw_section = True
            self.section = SectionText(category, self._origin(block), markdown=self.markdown,
                                       repository=self.repository)
            self.section_level = block.level
            return
        if category == "sub":
            return
        if category == "other" or (self.markdown and self.section and block.level <= self.section_level):
            self._close()
            return
        self._add(block)  # an unknown heading inside a section: a finding's title

    def _appendix_heading(self, block: Block) -> bool:
        """Agent headings, review titles and the Resolution that ends the appendix."""
        if agent := self._agent_heading(block.text):
            self._close()
            self.reviews.append(_AppendixReview(agent, block.text, block.line))
            return True
        if normalise_heading(block.text) == "resolution":
            self._close()
            self.closed = True
            return True
        inside_finding = self.markdown and self.section is not None and block.level > self.section_level
        titled = None if inside_finding else review_title_agent(block.text)
        if titled is None:
            return False
        self._close()
        self._title(block, titled)
        return True

    def _title(self, block: Block, agent: str) -> None:
        """A review's own title: part of the review just opened when that has no sections yet, else a new one."""
        current = self.reviews[-1] if self.reviews else None
        if current is None or current.sections or (current.titled and current.agent):
            self.reviews.append(_AppendixReview(agent, block.text, block.line, titled=True))
        elif not current.agent:
            current.agent, current.titled = agent, True
        else:
            current.titled = True
            if agent and agent != current.agent:
                self.warnings.append(ParseWarning(block.line, f"review title names {agent!r} under the agent "
                                                  f"heading of {current.agent!r}; kept {current.agent!r}"))

    def _origin(self, block: Block) -> str:
        """Who a finding section belongs to: consolidated before the appendix, an agent inside it."""
        if not self.in_appendix:
            return "consolidated"
        if not self.reviews:
            self.reviews.append(_AppendixReview("", block.text, block.line))
        current = self.reviews[-1]
        self._name(current)
        current.sections += 1
        return current.agent

    def _name(self, review: _AppendixReview) -> None:
        """A review that names no agent is attributed to a placeholder, ``agent-1`` …, with a warning."""
        if review.agent:
            return
        self.placeholders += 1  # counted, not recounted per review: thousands of titles stay linear
        review.agent = f"agent-{self.placeholders}"
        self.warnings.append(ParseWarning(review.line, f"a review in the appendix names no agent; "
                                          f"its findings are attributed to {review.agent!r}"))

    def _agent_heading(self, text: str) -> str | None:
        name = _PARENTHESISED.sub("", text.strip())
        if suffix := _PASS_SUFFIX.search(name):
            name = name[: suffix.start()]
        name = name.strip()
        name = name[1:] if name.startswith("[") else name
        name = (name[:-1] if name.endswith("]") else name).strip()
        if not name or any(c in name for c in "]\u2014\u2013"):
            return None
        return agent_family(name) if AGENT_NAME.fullmatch(name) else None

    def _close(self) -> None:
        if self.section is None:
            return
        found = split_findings(self.section, self.known_agents, self.warnings)
        if self.section.origin == "consolidated":
            self.consolidated.extend(found)
        else:
            self.reviews[-1].findings.extend(found)
        self.section = None

    def agent_reviews(self) -> list[AgentReview]:
        for review in self.reviews:
            self._name(review)
        return [AgentReview(r.agent, r.heading, r.line, tuple(r.findings)) for r in self.reviews]


def _inline_heading(block: Block) -> tuple[Block, Block | None] | None:
    """A paragraph or list item whose first line is a section name (``- **Important Issues**``)."""
    first, _, rest = block.text.partition("\n")
    if heading_category(first) not in _FINDING_CATEGORIES or len(first) > 60:
        return None
    heading = Block("heading", first, block.line, block.line, level=99)
    remainder = replace(block, text=rest, line=block.line + 1, kind="para") if rest.strip() else None
    return heading, remainder
