"""Parse a deep-review document into a Review.

The document is first turned into blocks (real Markdown through markdown-it-py, or the
line classifier for flattened documents); one walker then follows the sections, opens
one raw review per agent in the appendix, and hands each finding section to
``findings.split_findings``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from reviewvet.errors import ReviewInputError
from reviewvet.ingest import header as hdr
from reviewvet.ingest.blocks import Block, detect_format, flat_blocks, markdown_blocks
from reviewvet.ingest.findings import SectionText, split_findings
from reviewvet.ingest.model import AgentReview, Finding, ParseWarning, Review
from reviewvet.ingest.vocabulary import AGENT_NAME, agent_family, heading_category, normalise_heading

MAX_REVIEW_BYTES = 16 * 1024 * 1024
_FINDING_CATEGORIES = ("critical", "important", "suggestion", "design", "testing", "documentation")
_AGENT_HEADING = re.compile(r"^\[?(?P<name>[^\]\u2014\u2013]+?)\]?\s*(?:[\u2014\u2013-]+\s*(?:pass|round)\b.*)?$", re.I)


def read_review_file(path: Path) -> str:
    """The text of a review document; ReviewInputError when it cannot be one."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReviewInputError(f"cannot read review {str(path)!r}: {exc.strerror}") from exc
    if path.is_dir():
        raise ReviewInputError(f"review {str(path)!r} is a directory, not a file")
    if size > MAX_REVIEW_BYTES:
        raise ReviewInputError(f"review {str(path)!r} is {size} bytes; the limit is {MAX_REVIEW_BYTES}")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ReviewInputError(f"review {str(path)!r} is a binary file, not a Markdown review")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReviewInputError(f"review {str(path)!r} is not UTF-8 (byte {exc.start}: {data[exc.start]:#04x})") from exc
    if not text.strip():
        raise ReviewInputError(f"review {str(path)!r} is empty")
    return text


def parse_review(text: str, source: str = "<review>") -> Review:
    """A Review from a document's text; what cannot be read becomes a warning."""
    fmt = detect_format(text)
    head = hdr.read_header(text.splitlines())
    blocks = markdown_blocks(text) if fmt == "markdown" else flat_blocks(text)
    reviewers = hdr.parse_reviewers(head.get("reviewers"))
    known = tuple(dict.fromkeys([r.name for r in reviewers] + [r.family for r in reviewers]))
    walker = _Walker(markdown=fmt == "markdown", known_agents=known)
    walker.walk(blocks)
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
        findings=tuple(walker.findings["consolidated"]),
        agent_reviews=tuple(walker.agent_reviews()),
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
        found = sum(1 for f in walker.findings["consolidated"] if f.section == section)
        if found != count:
            warnings.append(ParseWarning(line, f"the summary declares {count} {section} finding(s); "
                                         f"{found} were parsed"))
    return warnings


def _head_sha(value: str | None) -> str | None:
    match = re.search(r"\b[0-9a-f]{7,40}\b", value or "")
    return match.group(0) if match else None


class _Walker:
    """Follows headings; collects finding sections per origin (consolidated or an agent)."""

    def __init__(self, *, markdown: bool, known_agents: tuple[str, ...]) -> None:
        self.markdown = markdown
        self.known_agents = known_agents
        self.warnings: list[ParseWarning] = []
        self.findings: dict[str, list[Finding]] = {"consolidated": []}
        self.agent_headings: dict[str, tuple[str, int]] = {}
        self.origin = "consolidated"
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
        if self.in_appendix and (agent := self._agent_heading(block.text)):
            self._close()
            self.origin = agent
            self.agent_headings[agent] = (block.text, block.line)
            self.findings.setdefault(agent, [])
            return
        if self.in_appendix and normalise_heading(block.text) == "resolution":
            self._close()
            self.closed = True
            return
        if category == "appendix":
            self._close()
            self.in_appendix = True
            return
        if category in _FINDING_CATEGORIES:
            self._close()
            self.saw_section = True
            self.section = SectionText(category, self.origin, markdown=self.markdown)
            self.section_level = block.level
            return
        if category == "sub":
            return
        if category == "other" or (self.markdown and self.section and block.level <= self.section_level):
            self._close()
            return
        self._add(block)  # an unknown heading inside a section: a finding's title

    def _agent_heading(self, text: str) -> str | None:
        match = _AGENT_HEADING.match(text.strip())
        if not match:
            return None
        name = match["name"].strip()
        found = AGENT_NAME.fullmatch(name)
        return agent_family(name) if found else None

    def _close(self) -> None:
        if self.section is None:
            return
        found = split_findings(self.section, self.known_agents, self.warnings)
        self.findings.setdefault(self.section.origin, []).extend(found)
        self.section = None

    def agent_reviews(self) -> list[AgentReview]:
        reviews = []
        for agent, (heading, line) in self.agent_headings.items():
            own = [replace(f, origin=agent) for f in self.findings.get(agent, [])]
            reviews.append(AgentReview(agent, heading, line, tuple(own)))
        return reviews


def _inline_heading(block: Block) -> tuple[Block, Block | None] | None:
    """A paragraph or list item whose first line is a section name (``- **Important Issues**``)."""
    first, _, rest = block.text.partition("\n")
    if heading_category(first) not in _FINDING_CATEGORIES or len(first) > 60:
        return None
    heading = Block("heading", first, block.line, block.line, level=99)
    remainder = replace(block, text=rest, line=block.line + 1, kind="para") if rest.strip() else None
    return heading, remainder
