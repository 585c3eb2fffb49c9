"""A pull-request comment on GitHub: the verification as one Markdown comment a CI job posts.

The comment opens with ``MARKER``, an HTML comment the Action searches for to edit its earlier
comment instead of adding another. Then a title, the counts by verdict and by flag, and one
folded ``<details>`` block per finding, problems first: false positives and refuted findings,
then doubtful, unverifiable and unchecked ones, confirmed ones last.

GitHub refuses a comment over 65,536 characters, so the comment stays under ``BUDGET``: the
header is small and bounded (outside text in it is clipped), and finding blocks are added in
order until the next one would not fit; a last line then counts, by verdict, the findings left
out and gives the command that shows them all. What is cut is the confirmed tail.

Outside text (titles, reasons, paths, agents' names) never opens a tag: ``<``, ``>`` and ``&``
become entities, Markdown punctuation is escaped, control characters are spelled out
(``escape.visible``). Code the text quotes between backticks stays a code span, with a fence
longer than any backtick run inside it. GitHub notifies every user named ``@name`` in a
comment's text but not inside code, so each ``@name`` of outside text is put in a code span
(in the summary line, which is HTML, in ``<code>``).
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Callable
from html import escape as html_escape

from reviewvet.model.challenge import ChallengeOutcome
from reviewvet.model.checks import FindingVerdict, primary_location
from reviewvet.model.rules import Decision
from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions
from reviewvet.report.escape import visible
from reviewvet.report.links import lines_url, rule_url
from reviewvet.report.text import (
    EVIDENCE_NAMES,
    describe_challenge,
    describe_decision,
    describe_line,
    describe_provenance,
    describe_quote,
    describe_symbol,
    describe_verdict,
    severity_tag,
    verdict_word,
)

MARKER = "<!-- reviewvet -->"
BUDGET = 60_000  # characters of the whole comment; GitHub's own limit is 65,536
VERDICTS = ("false positive", "refuted", "doubtful", "unverifiable", "confirmed", "unchecked")
# Sections in the order a reader should look at them; a finding's verdict word picks its section.
SECTIONS = (
    ("False positives and refuted", ("false positive", "refuted")),
    ("Doubtful", ("doubtful",)),
    ("Unverifiable or unchecked", ("unverifiable", "unchecked")),
    ("Confirmed", ("confirmed",)),
)
RANK = {word: rank for rank, (_, words) in enumerate(SECTIONS) for word in words}
# Clip lengths for outside text, so that the header and any one block stay small whatever the review holds.
TITLE_CHARS = 300
SENTENCE_CHARS = 600
COMMAND_CHARS = 1_000
CHECKED_ITEMS = 12  # list items under "Checked" in one finding's block

_TICKS = re.compile("`+")
# An ``@name`` (with the word it is glued to, as in ``user@host``): GitHub would notify the user ``name``, so
# every match is put in a code span (``<code>`` in HTML), where GitHub looks for no mentions.
_MENTION = re.compile(r"[\w.+-]*@[A-Za-z0-9](?:[\w./-]*[A-Za-z0-9])?")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]~])")

Row = tuple[FindingVerdict, str]  # a finding and its verdict word


def render(v: Verification, options: RenderOptions = PLAIN) -> str:
    rows = [(fv, verdict_word(fv, v.decisions.get(fv.finding.key))) for fv in v.verdicts]
    ordered = sorted(rows, key=lambda row: RANK[row[1]])
    out = _header(v, rows)
    left_out = Counter(word for _, word in ordered)
    for index, (fv, word) in enumerate(ordered):
        first = index == 0 or RANK[ordered[index - 1][1]] != RANK[word]
        block = (_section_heading(word, rows) if first else "") + _finding(v, fv, word)
        left_out[word] -= 1
        if len(out) + len(block) + len(_footer(v, options, left_out)) > BUDGET:
            left_out[word] += 1
            break
        out += block
    return out + _footer(v, options, left_out)


# -- header and footer --------------------------------------------------------------------------


def _header(v: Verification, rows: list[Row]) -> str:
    rv = v.revisions
    title = _md(_clip(v.review.title or v.review.source, TITLE_CHARS))
    lines = [MARKER, f"## reviewvet: {title} at {_code(rv.head[:12])}", "", _checked_at(v)]
    lines += [f"- note: {_md(_clip(note, SENTENCE_CHARS))}" for note in rv.notes[:3]]
    counts = Counter(word for _, word in rows)
    lines += ["", "| " + " | ".join([*VERDICTS, "all"]) + " |", "|" + "---:|" * (len(VERDICTS) + 1),
              "| " + " | ".join(str(counts[word]) for word in VERDICTS) + f" | {len(rows)} |"]
    flags = Counter(flag for fv, _ in rows for flag in fv.flags)
    if flags:
        lines += ["", "| flag | findings |", "|---|---:|"]
        lines += [f"| {_code(flag)} | {count} |" for flag, count in sorted(flags.items())]
    return "\n".join(lines) + "\n\n"


def _checked_at(v: Verification) -> str:
    rv = v.revisions
    where = EVIDENCE_NAMES.get(rv.head_evidence, rv.head_evidence)
    text = f"Checked {where}: {_code(_clip(rv.head_rev, 100))} = {_code(rv.head[:12])}"
    if rv.base:
        text += f", base {_code(_clip(rv.base_rev or rv.base, 100))} = {_code(rv.base[:12])}"
    if rv.merge_base:
        text += f", merge base {_code(rv.merge_base[:12])}"
    return text + ". Problems first."


def _section_heading(word: str, rows: list[Row]) -> str:
    name, words = SECTIONS[RANK[word]]
    return f"### {name} ({sum(1 for _, w in rows if w in words)})\n\n"


def _footer(v: Verification, options: RenderOptions, left_out: Counter[str]) -> str:
    lines = []
    missing = sum(left_out.values())
    if missing:
        by_verdict = ", ".join(f"{left_out[word]} {word}" for word in VERDICTS if left_out[word])
        command = options.command or f"reviewvet verify {shlex.quote(v.review.source)} --format markdown"
        lines.append(f"**{missing} finding{'s' if missing != 1 else ''} not shown** ({by_verdict}): "
                     f"{_code(_clip(command, COMMAND_CHARS))} shows them all.")
    warnings = len(v.review.warnings)
    if warnings:
        lines.append(f"{warnings} parse warning{'s' if warnings != 1 else ''}; {_code('--format json')} lists them.")
    return "\n\n".join(lines) + "\n" if lines else ""


# -- one finding ----------------------------------------------------------------------------------


def _finding(v: Verification, fv: FindingVerdict, word: str) -> str:
    decision = v.decisions.get(fv.finding.key)
    marks = _known_code(fv, decision.merged_into if decision is not None else None)
    body = [*_verdict(fv, marks), *_located(v, fv), *_rules(decision, marks),
            *_challenge(v.challenge(fv.finding.key), marks), *_checks(fv, marks), _about(fv)]
    return "\n".join(["<details>", _summary(fv, word), "", *body, "", "</details>", "", ""])


def _summary(fv: FindingVerdict, word: str) -> str:
    f = fv.finding
    title = _html(_clip(f.title, TITLE_CHARS))
    severity = _html(severity_tag(f.severity, f.label))
    return f"<summary><b>{word}</b> · <code>{_html_text(f.key)}</code> · {title} {severity}".rstrip() + "</summary>"


def _verdict(fv: FindingVerdict, marks: re.Pattern[str] | None) -> list[str]:
    lines = describe_verdict(fv.verdict)
    if not lines:
        return ["**Verdict:** none: nothing was checked", ""]
    return [f"**Verdict:** {_marked(lines[0], marks)}", *(f"- {_marked(r, marks)}" for r in lines[1:]), ""]


def _located(v: Verification, fv: FindingVerdict) -> list[str]:
    location = primary_location(fv)
    if location is None:
        return []
    path, start, end = location
    url = lines_url(v, path, start, end)
    if url is None:
        return [f"**Code:** {_code(f'{path}:{start}' + (f'-{end}' if end != start else ''))}", ""]
    anchor = f"#L{start}" + (f"-L{end}" if end != start else "")
    return [f"**Code:** [{_code(path + anchor)}]({url})", ""]


def _rules(decision: Decision | None, marks: re.Pattern[str] | None) -> list[str]:
    lines = describe_decision(decision) if decision is not None else []
    if not lines:
        return []
    out = [f"**Rules:** {_marked(lines[0].removeprefix('decision: '), marks)}"]
    for hit, line in zip(decision.hits if decision else (), lines[1:], strict=True):
        detail = line.removeprefix(f"{hit.code} {hit.name}")
        out.append(f"- [{_code(f'{hit.code} {hit.name}')}]({rule_url(hit.code)}){_marked(detail, marks)}")
    return [*out, ""]


def _challenge(c: ChallengeOutcome | None, marks: re.Pattern[str] | None) -> list[str]:
    """What came of the finding's challenge: one line, clipped like every sentence of outside text."""
    if c is None:
        return []
    return [f"**Challenge:** {_marked(describe_challenge(c), marks)}", ""]


def _checks(fv: FindingVerdict, marks: re.Pattern[str] | None) -> list[str]:
    out = []
    for q in fv.quotes:
        where = f"block {q.block + 1} ({q.role}, review line {q.block_line})"
        out.append(f"- {_md(where)}: {_marked(describe_quote(q), marks)}")
        for d in q.near_miss.differences[:3] if q.near_miss else ():
            out.append(f"  - quoted {_snippet(d.quoted)}, source has {_snippet(d.actual)}")
    for c in fv.lines:
        out.append(f"- {_code(c.reference.written)}: {_marked(describe_line(c), marks)}")
    for s in fv.symbols:
        if s.status not in ("found", "text-only", "external"):
            out.append(f"- {_marked(describe_symbol(s), _pattern([s.identifier, *(x.text() for x in s.locations)]))}")
    if fv.provenance is not None and fv.provenance.claims:
        out.append(f"- {_md(describe_provenance(fv.provenance))}")
    if len(out) > CHECKED_ITEMS:
        out[CHECKED_ITEMS:] = [f"- and {len(out) - CHECKED_ITEMS} more (the Markdown report lists them)"]
    return ["**Checked:**", *out, ""] if out else []


def _snippet(text: str) -> str:
    """One side of a near miss's difference, trimmed unless it is nothing but spaces."""
    return _code(_clip(text.strip() or text, SENTENCE_CHARS)) if text else "nothing"


def _about(fv: FindingVerdict) -> str:
    f = fv.finding
    parts = ["flags: " + ", ".join(_code(flag) for flag in fv.flags)] if fv.flags else []
    parts += [f"reported by {_md(_clip(', '.join(f.agents), SENTENCE_CHARS))}"] if f.agents else []
    text = " · ".join([*parts, f"review line {f.line}"])
    return text[0].upper() + text[1:]


# -- outside text made safe -----------------------------------------------------------------------


def _known_code(fv: FindingVerdict, merged_into: str | None) -> re.Pattern[str] | None:
    """The paths, line spans and symbols the finding's checks name, and the finding it is merged into:
    sentences about it show them as code."""
    names = [p.claimed for p in fv.paths] + [p.path for p in fv.paths if p.path] + [merged_into or ""]
    for q in fv.quotes:
        names += [q.span.text(), q.span.path] if q.span else []
        names += [q.symbol] if q.symbol else []
    for c in fv.lines:
        names += [c.reference.written] + ([c.path] if c.path else []) + ([c.actual.text()] if c.actual else [])
    return _pattern(names)


def _pattern(names: list[str]) -> re.Pattern[str] | None:
    """A pattern for any of ``names`` standing alone, a path followed by its ``:line`` or ``:start-end``."""
    names = sorted({n for n in names if len(n) > 2}, key=len, reverse=True)
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w/.-])(?:{alternatives})(?::\d+(?:-\d+)?)?(?![\w/-])(?!\.\w)")


def _marked(text: str, marks: re.Pattern[str] | None) -> str:
    """Outside text as inline Markdown, the names ``marks`` matches in its plain parts as code spans."""
    return _md(_clip(text, SENTENCE_CHARS), marks)


def _md(text: str, marks: re.Pattern[str] | None = None) -> str:
    """Outside text as inline Markdown: its code spans kept as code spans, the rest escaped."""
    return "".join(_code(piece) if is_code else _md_text(piece, marks) for is_code, piece in _code_spans(text))


def _md_text(text: str, marks: re.Pattern[str] | None) -> str:
    """Plain outside text: known names and every ``@name`` become code spans, the rest is escaped."""
    def plain(rest: str) -> str:
        return _substitute(rest, _MENTION, _code, _md_escape)

    return plain(text) if marks is None else _substitute(text, marks, _code, plain)


def _md_escape(text: str) -> str:
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", _html_text(text))


def _html(text: str) -> str:
    """Outside text inside HTML (the summary line): code spans become ``<code>``, so does every ``@name``."""
    def code(piece: str) -> str:
        return f"<code>{_html_text(piece)}</code>"

    return "".join(code(piece) if is_code else _substitute(piece, _MENTION, code, _html_text)
                   for is_code, piece in _code_spans(text))


def _substitute(text: str, pattern: re.Pattern[str], matched: Callable[[str], str],
                between: Callable[[str], str]) -> str:
    """``text`` with each match of ``pattern`` through ``matched`` and the text around them through ``between``."""
    out, start = [], 0
    for match in pattern.finditer(text):
        out += [between(text[start:match.start()]), matched(match.group())]
        start = match.end()
    return "".join(out) + between(text[start:])


def _html_text(text: str) -> str:
    return html_escape(visible(text.replace("\n", " ")), quote=False)


def _code(text: str) -> str:
    """A Markdown code span holding ``text`` as it is: its fence one backtick longer than any run inside,
    padded with a space where the text starts or ends with a backtick or a space (CommonMark strips one)."""
    text = visible(text.replace("\n", " "))
    fence = "`" * (max((len(run) for run in _TICKS.findall(text)), default=0) + 1)
    pad = " " if not text or text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _code_spans(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into plain and code pieces the way CommonMark reads backticks: a run of n backticks
    opens a span that the next run of exactly n closes; a run no other run closes is literal."""
    pieces: list[tuple[bool, str]] = []
    start = position = 0
    while (opening := _TICKS.search(text, position)) is not None:
        closing = next((m for m in _TICKS.finditer(text, opening.end()) if m.group() == opening.group()), None)
        if closing is None:
            position = opening.end()
            continue
        pieces += [(False, text[start:opening.start()]), (True, _strip_one_space(text[opening.end():closing.start()]))]
        start = position = closing.end()
    pieces.append((False, text[start:]))
    return [piece for piece in pieces if piece[1]]


def _strip_one_space(code: str) -> str:
    if len(code) > 1 and code[0] == code[-1] == " " and code.strip():
        return code[1:-1]
    return code


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
