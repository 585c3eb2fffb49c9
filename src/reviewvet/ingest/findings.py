"""Split a section's blocks into findings and read each finding's parts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from reviewvet.ingest.blocks import Block
from reviewvet.model.review import CodeBlock, Finding, ParseWarning, Reference
from reviewvet.ingest.roles import asserted_identifiers, identifier_roles
from reviewvet.ingest.vocabulary import (
    FINDING_SECTIONS,
    REFERENCE,
    TAG,
    _MORE,
    identifiers_in,
    parse_tag,
    split_trailing_agents,
)

_ID_START = re.compile(r"^\s*(?:\*\*)?(?P<id>[CIS]\d{1,5}|\d{1,4})[.):]\s*(?:\*\*)?\s*(?=\S)")
_TAG_ONLY = re.compile(r"^\s*+[*_]?\s*+\((?:critical|important|suggestion)\b.*\)\s*+[*_]?\s*+\.?$", re.I | re.S)
_FIX_LEAD = re.compile(
    r"^\s*(?:\*\*)?(?:suggested |proposed |recommended )?(?:fix|fixes|fix options|drop-in change)\b", re.I
)
_PROPOSAL_END = re.compile(r"(example|form|change|like this|instead|becomes|would be)\s*:\s*\**$", re.I)
# A lead ending in ':' introduces code that exists ("The current code:", "`run()` does:") ...
_EXISTING_LEAD = re.compile(
    r"\b(?:current(?:ly)?|today|existing|already|as\s+written|right\s+now|at\s+present|at\s+line|"
    r"on\s+lines?|in\s+lines?|lines?\s+\d|reads|does|did|before|(?:this|the)\s+pr|merge\s+base|previously|"
    r"originally|used\s+to|old)\b",
    re.I,
)
# ... or code that should (``Missing case:``, ``The check should be:``, ``Add a test like:``, ``e.g.:``).
_DESIRED_LEAD = re.compile(
    r"^(?:use|try)\b|"
    r"\b(?:should|could|would|add|suggest\w*|propos\w*|consider|rename|replace|instead|becomes|"
    r"expect(?:ed)?|example|something\s+like|like\s+this|alternative(?:ly)?|recommend\w*|prefer(?:red)?|"
    r"desired|ideal(?:ly)?|want(?:ed)?|after(?!\s+(?:this|the)\s+(?:pr|pull|commit)))\b|"
    r"\be\.g\.|^(?:the\s+)?missing\b|"
    r"\b(?:a|an|one|another|new|regression|unit|integration|table|missing|extra|additional)"
    r"(?:\s+[\w-]+)?\s+tests?\b",
    re.I,
)
_REMEDY_LEAD = re.compile(
    r"^\W*(?:suggested |proposed |recommended |possible )?(?:fix(?:es)?|fix options|remediation|"
    r"recommendations?|mitigation|options|alternatives?|drop-in change|how to fix|to fix)\b",
    re.I,
)
_PATH_COMMENT = re.compile(r"^\s*(?://|#)\s*(?P<path>(?:[\w@+.-]+/)+[\w@+.-]+\.\w+)\s*$")
PREFIX = {"critical": "C", "important": "I", "suggestion": "S", "design": "D", "testing": "T",
          "documentation": "Doc"}


@dataclass
class SectionText:
    """The blocks of one finding-bearing section, as the walker collected them."""

    category: str
    origin: str
    blocks: list[Block] = field(default_factory=list)
    markdown: bool = True
    repository: str | None = None  # the review's owner/name: its own module paths are not other projects


def split_findings(
    section: SectionText, known_agents: tuple[str, ...], warnings: list[ParseWarning]
) -> list[Finding]:
    groups = _group(section, warnings)
    findings = []
    for number, group in enumerate(groups, start=1):
        finding = build_finding(section, group, number, known_agents, warnings)
        if finding is not None:
            findings.append(finding)
    return findings


def _is_start(block: Block, section: SectionText) -> bool:
    if block.kind == "heading":
        return True
    if section.category not in FINDING_SECTIONS:
        return block.kind == "item" and bool(block.number)
    numbered = block.kind == "item" and block.number.isdigit() and not section.markdown
    if numbered or (block.kind in ("para", "item") and _ID_START.match(block.text)):
        return section.markdown or bool(TAG.search(block.text)) or _has_trailing_agent(block.text)
    return False


def _has_trailing_agent(text: str) -> bool:
    return bool(split_trailing_agents(text.split("\n", 1)[0])[1])


def _group(section: SectionText, warnings: list[ParseWarning]) -> list[list[Block]]:
    blocks = [b for b in section.blocks if not _is_none(b)]
    if not blocks:
        return []
    if section.category not in FINDING_SECTIONS:
        starts = {i for i, b in enumerate(blocks) if _is_start(b, section)}
        return [_take(blocks, i, starts) for i in sorted(starts)]
    starts = {i for i, b in enumerate(blocks) if _is_start(b, section)}
    if section.markdown:
        if not starts:
            starts = {i for i, b in enumerate(blocks) if b.kind == "item" and b.number}
        if not starts:
            return [blocks]
        if 0 not in starts:
            warnings.append(ParseWarning(blocks[0].line, "text before the first finding was skipped"))
        ordered = sorted(starts)
        return [blocks[s:e] for s, e in zip(ordered, [*ordered[1:], len(blocks)], strict=True)]
    return _flat_groups(blocks, starts, section.category, warnings)


def _flat_groups(
    blocks: list[Block], starts: set[int], category: str, warnings: list[ParseWarning]
) -> list[list[Block]]:
    """Titles and tag lines delimit findings; runs with neither are split at their Fix paragraphs."""
    boundaries = set(starts) | {0}
    for i, block in enumerate(blocks):
        if block.kind == "para" and _TAG_ONLY.match(block.text) and i + 1 < len(blocks):
            boundaries.add(i + 1)
    ordered = sorted(boundaries)
    groups: list[list[Block]] = []
    for s, e in zip(ordered, [*ordered[1:], len(blocks)], strict=True):
        run = blocks[s:e]
        delimited = s in starts or any(b.kind == "para" and _TAG_ONLY.match(b.text) for b in run)
        if delimited:
            groups.append(run)
            continue
        warnings.append(ParseWarning(run[0].line, f"{category} text without finding titles or tags "
                                     f"(lines {run[0].line}-{run[-1].end_line}); split at its 'Fix' paragraphs"))
        groups.extend(_split_at_fixes(run))
    return groups


def _take(blocks: list[Block], i: int, starts: set[int]) -> list[Block]:
    end = next((j for j in range(i + 1, len(blocks)) if j in starts or blocks[j].kind == "heading"), len(blocks))
    return blocks[i:end]


def _is_none(block: Block) -> bool:
    return block.kind in ("para", "item") and block.text.strip().strip("*_").strip() in ("None.", "None", "none.")


def _split_at_fixes(blocks: list[Block]) -> list[list[Block]]:
    """For documents that lost titles and tags: a finding ends after its Fix and one code block."""
    groups: list[list[Block]] = [[]]
    after_fix = 0  # 0: not in a fix tail; 1: just saw the Fix paragraph; 2: saw its code
    for block in blocks:
        if after_fix == 2 or (after_fix == 1 and block.kind != "code"):
            groups.append([])
            after_fix = 0
        groups[-1].append(block)
        if block.kind in ("para", "item") and _FIX_LEAD.match(block.text):
            after_fix = 1
        elif after_fix == 1 and block.kind == "code":
            after_fix = 2
    return [g for g in groups if g]


# -- one finding ------------------------------------------------------------------------


def build_finding(
    section: SectionText,
    blocks: list[Block],
    number: int,
    known_agents: tuple[str, ...],
    warnings: list[ParseWarning],
) -> Finding | None:
    first = blocks[0]
    prose = [b for b in blocks if b.kind != "code"]
    prose_text = "\n".join(b.text for b in prose)
    if not prose and section.category not in FINDING_SECTIONS:
        return None
    title_line = first.text.split("\n", 1)[0] if first.kind != "code" else ""
    written_id, title, agents, tag = _read_title(title_line, first, known_agents)
    if tag is None:
        tag = _first_tag(blocks)
    if not title:
        title = _summary_title(prose)
        if section.category in FINDING_SECTIONS:
            warnings.append(ParseWarning(first.line, f"finding without a title in {section.category}; "
                                         f"titled by its first sentence"))
    if not agents and section.origin != "consolidated":
        agents = (section.origin,)
    references = tuple(read_references(prose, warnings))
    identifiers = tuple(identifiers_in(prose_text, markdown=section.markdown))
    diagnosis, remedy = diagnosis_and_remedy(blocks)
    roles = identifier_roles(identifiers, diagnosis, remedy, markdown=section.markdown, home=section.repository)
    return Finding(
        id=_finding_id(section.category, written_id, number),
        section=section.category,
        title=title,
        agents=agents,
        severity=(tag[0] or None) if tag else None,
        label=tag[1] if tag else None,
        scope=tag[2] if tag else None,
        references=references,
        identifiers=identifiers,
        blocks=tuple(read_code_blocks(blocks)),
        line=first.line,
        end_line=blocks[-1].end_line,
        origin=section.origin,
        body=prose_text,
        asserted=asserted_identifiers(roles),
        identifier_roles=roles,
    )


def diagnosis_and_remedy(blocks: list[Block]) -> tuple[str, str]:
    """A finding's prose in two parts: up to its first Fix / fix-options / proposal paragraph, and the rest.

    A paragraph that only ends by introducing proposed code ("… so it misbehaves. Drop-in
    change:") gives its last sentence to the remedy and the rest to the diagnosis.
    """
    diagnosis: list[str] = []
    remedy: list[str] = []
    for i, block in enumerate(blocks):
        if block.kind == "code":
            continue
        if remedy or (i > 0 and _REMEDY_LEAD.match(block.text)):
            remedy.append(block.text)
        elif i > 0 and i + 1 < len(blocks) and blocks[i + 1].kind == "code" and is_proposal_lead(block.text):
            head, tail = _split_last_sentence(block.text)
            diagnosis.append(head)
            remedy.append(tail)
        else:
            diagnosis.append(block.text)
    return "\n\n".join(diagnosis), "\n\n".join(remedy)


def _split_last_sentence(text: str) -> tuple[str, str]:
    masked = re.sub(r"\b(?:e\.g|i\.e|etc|vs)\.", lambda m: m.group(0).replace(".", "\x00"), text, flags=re.I)
    cuts = [m.end() for m in re.finditer(r"[.!?](?=\s+\S)", masked)]
    return (text[: cuts[-1]], text[cuts[-1]:].strip()) if cuts else ("", text)


def unique_keys(findings: Sequence[Finding], warnings: list[ParseWarning]) -> list[Finding]:
    """The findings with unique keys: a repeated origin and id gets ``#2``, ``#3`` … and a warning."""
    first: dict[str, str] = {}  # key -> where its first finding is
    tried: dict[str, int] = {}  # key -> the occurrence its next repeat starts from (repeats are not rescanned)
    out = []
    for index, finding in enumerate(findings):
        keyed = finding
        if finding.key in first:
            occurrence = max(finding.occurrence + 1, tried.get(finding.key, 0))
            base = f"{finding.origin}/{finding.id}"
            while f"{base}#{occurrence}" in first:
                occurrence += 1
            tried[finding.key] = occurrence + 1
            keyed = replace(finding, occurrence=occurrence)
        where = f"line {finding.line}" if finding.line else f"finding {index + 1}"
        if keyed is not finding:
            warnings.append(ParseWarning(finding.line, f"{finding.key} at {where} repeats the key of the finding "
                                         f"at {first[finding.key]}; keyed {keyed.key}"))
        first[keyed.key] = where
        out.append(keyed)
    return out


def _finding_id(category: str, written: str | None, number: int) -> str:
    prefix = PREFIX[category]
    if category not in FINDING_SECTIONS:
        return f"{prefix}{number}"
    if written and not written.isdigit():
        return written
    return f"{prefix}{written or number}"


def _read_title(
    line: str, first: Block, known_agents: tuple[str, ...]
) -> tuple[str | None, str, tuple[str, ...], tuple[str, str | None, str | None] | None]:
    if not line:
        return None, "", (), None
    written_id = None
    match = _ID_START.match(line)
    if match:
        written_id = match["id"]
        line = line[match.end():]
    elif first.kind == "item" and first.number.isdigit():
        written_id = first.number
    tag = parse_tag(line)
    if tag:
        line = TAG.sub(" ", line, count=1)
    line, agents = split_trailing_agents(line, known_agents)
    title = re.split(r"\s+[\u2014\u2013]\s+(?=[`(\w./-]*[\w/.-]+:\d)", line, maxsplit=1)[0]
    if first.kind not in ("heading",) and not match and not (first.kind == "item" and first.number):
        if len(title) > 160 and not agents:
            return written_id, "", agents, tag
    scope_note = re.search(r"\s*`?\((in-scope|out-of-scope|future|pre-existing)\)`?\s*$", title)
    if scope_note:
        title = title[: scope_note.start()]
        tag = tag or ("", None, scope_note.group(1))
    title = re.sub(r"\*\*|__", "", title).strip().rstrip(" \u2014\u2013-:").strip()
    return written_id, title, agents, tag


def _first_tag(blocks: list[Block]) -> tuple[str, str | None, str | None] | None:
    for block in blocks:
        if block.kind == "para" and _TAG_ONLY.match(block.text):
            return parse_tag(block.text)
    return None


def _summary_title(prose: list[Block]) -> str:
    text = next((b.text for b in prose if b.text.strip()), "")
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return sentence if len(sentence) <= 120 else sentence[:117].rstrip() + "..."


def read_references(prose: list[Block], warnings: list[ParseWarning]) -> list[Reference]:
    """Every ``path:a-b`` claim in order; ``:a-b`` and ``, a-b`` reuse the previous path."""
    refs: list[Reference] = []
    last_path: str | None = None
    for block in prose:
        for offset, text in enumerate(block.text.split("\n")):
            lineno = block.line + offset
            for match in REFERENCE.finditer(text):
                path = match["path"] or last_path
                if path is None:
                    warnings.append(ParseWarning(lineno, f"{match.group(0).split(',')[0]!r} reuses a path, "
                                                 "but the finding names none before it"))
                    path = ""
                else:
                    last_path = path
                refs.append(_reference(path, match["start"], match["end"], match.group(0).split(",")[0], lineno))
                for more in _MORE.finditer(match["more"] or ""):
                    refs.append(_reference(path, more.group(1), more.group(2), more.group(0), lineno))
    return refs


def _reference(path: str, start: str, end: str | None, written: str, line: int) -> Reference:
    first, last = int(start), int(end) if end else None
    return Reference(path=path, start=first, end=last if last is not None else first, written=written.strip(),
                     line=line)


# -- code blocks --------------------------------------------------------------------------


def read_code_blocks(blocks: list[Block]) -> list[CodeBlock]:
    code_blocks = []
    lead = ""
    for block in blocks:
        if block.kind != "code":
            lead = block.text
            continue
        code_blocks.append(classify_code(block, lead))
        lead = ""
    return code_blocks


def classify_code(block: Block, lead: str) -> CodeBlock:
    lines = block.text.rstrip("\n").split("\n")
    path_hint = None
    if lines and (hint := _PATH_COMMENT.match(lines[0])):
        path_hint = hint["path"]
        lines = lines[1:]
    if _is_diff(lines, block.language):
        claimed, proposed = _diff_sides(lines)
        return CodeBlock("diff", block.language, block.text, block.line, claimed, proposed, path_hint)
    if is_proposal_lead(lead):
        return CodeBlock("proposal", block.language, block.text, block.line, (), tuple(lines), path_hint)
    return CodeBlock("evidence", block.language, block.text, block.line, tuple(lines), (), path_hint)


def is_proposal_lead(lead: str) -> bool:
    """Whether the paragraph before a code block introduces code to add rather than code that exists.

    A Fix paragraph always does; otherwise the lead's last clause must end in ':' and read as
    new or desired code ("The check should be:", "Missing case:", "e.g.:") without pointing at
    existing code ("The current code:", "At line 40:", "`run()` does:").
    """
    if _FIX_LEAD.match(lead):
        return True
    text = lead.strip().rstrip("*_ ").strip()
    if not text.endswith(":"):
        return False
    clause = re.split(r"(?<=;)\s+|\s[\u2014\u2013]\s", _split_last_sentence(text)[1])[-1]
    clause = clause.strip().lstrip("*_(").strip()
    if _EXISTING_LEAD.search(clause):
        return False
    return bool(_PROPOSAL_END.search(text) or _DESIRED_LEAD.search(clause))


def make_block(role: str, language: str, text: str, line: int, path_hint: str | None = None) -> CodeBlock:
    """A code block whose role is given rather than guessed (structured claims)."""
    lines = text.rstrip("\n").split("\n")
    if role == "diff":
        claimed, proposed = _diff_sides(lines)
        return CodeBlock("diff", language, text, line, claimed, proposed, path_hint)
    if role == "proposal":
        return CodeBlock("proposal", language, text, line, (), tuple(lines), path_hint)
    return CodeBlock("evidence", language, text, line, tuple(lines), (), path_hint)


def diff_lines(block: CodeBlock) -> list[tuple[str, str]]:
    """A diff block's lines in order as (marker, text): "-" removed, "+" added, " " context."""
    out = []
    for line in block.text.rstrip("\n").split("\n"):
        mark = _marker(line)
        if mark == "header":
            continue
        out.append((mark or " ", line[1:] if mark or line.startswith(" ") else line))
    return out


def _marker(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return "header"
    if line.startswith(("++", "--")):
        return ""
    return line[:1] if line[:1] in "+-" else ""


def _is_diff(lines: list[str], language: str) -> bool:
    if language.lower() in ("diff", "patch"):
        return True
    marks = [_marker(line) for line in lines]
    plus, minus = marks.count("+"), marks.count("-")
    return plus >= 1 and (minus >= 1 or plus >= 2) and plus + minus >= 2


def _diff_sides(lines: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(claimed, proposed): ``-`` and context lines, ``+`` lines. Hunks are apart in the file, so
    each ``@@`` after the first hunk puts an elision line ``...`` between their claimed lines."""
    claimed: list[str] = []
    proposed: list[str] = []
    for line in lines:
        mark = _marker(line)
        if mark == "header":
            if line.startswith("@@") and claimed and claimed[-1] != "...":
                claimed.append("...")
            continue
        if mark == "+":
            proposed.append(line[1:])
        elif mark == "-" or line.startswith(" "):
            claimed.append(line[1:])
        else:
            claimed.append(line)
    return tuple(claimed), tuple(proposed)

