"""``reviewvet extract``: review text that is not a deep-review report (a bot's pull-request
comment, an agent's free answer, a linter summary) read into reviewvet's claims by a model.

The text is cut into chunks at its section headings (Markdown ``#`` lines, or flattened headings
ending in ``¶``), at most ``MAX_CHUNK_CHARS`` each, and each chunk is sent once with
``EXTRACT_SCHEMA``: the model lists the findings it sees, with their places, quoted code and named
identifiers. A reply that does not match the schema is sent back once with the validation error;
a second failure is reported (``ModelReplyError``). The findings become a claims-v1 document,
validated by the same schema as a claims file.

The model reads; it never judges. What it returns is checked like any review: a quote is kept as
the reviewer's evidence only when its text is in the review (whitespace aside). A quote the model
rewrote, completed or "improved" is marked ``"verbatim": false`` — verify then reports it as not
from the review and does not hold the reviewer to it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from reviewvet.llm.client import Message, ModelClient, ModelReplyError, Usage

MAX_CHUNK_CHARS = 16_000
SEVERITIES = ("critical", "important", "suggestion")
_HEADING = re.compile(r"^(#{1,6} |.*¶\s*$)")

EXTRACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["findings"],
    "properties": {"findings": {"type": "array", "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "severity", "label", "body", "locations", "quotes", "identifiers"],
        "properties": {
            "title": {"type": "string", "description": "the finding in one line, as the review states it"},
            "severity": {"type": ["string", "null"],
                         "description": "critical, important or suggestion, as the review gives it; or null"},
            "label": {"type": ["string", "null"],
                      "description": "regression, gap, enhancement ... as the review labels it, or null"},
            "body": {"type": "string", "description": "the review's explanation, shortened if long"},
            "locations": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["path", "start", "end"],
                "properties": {"path": {"type": "string"}, "start": {"type": ["integer", "null"]},
                               "end": {"type": ["integer", "null"]}}}},
            "quotes": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["text", "role"],
                "properties": {"text": {"type": "string", "description": "code copied exactly from the review"},
                               "role": {"type": "string", "enum": ["evidence", "diff", "proposal"]}}}},
            "identifiers": {"type": "array", "items": {"type": "string"},
                            "description": "functions, types, variables the finding says exist in the code"},
        },
    }}},
}

SYSTEM = """You turn a code review into a list of its findings, for a tool that checks each finding \
against the repository. You only read: never judge whether a finding is right, never add a finding \
the text does not make, never fix or complete code.

For each finding give its one-line title, the severity and label the review gives (null when it \
gives none), a short body, every file location it cites (path, first and last line; null lines \
when it names only the file), every block or snippet of code it quotes, and the identifiers it says \
exist. Copy quoted code character for character from the review, including its indentation and \
mistakes: role "evidence" for code the review says is in the repository, "diff" for a diff (keep \
its +/- markers), "proposal" for code the review suggests writing. Text that is not a finding \
(greetings, summaries, praise) gives no finding."""


@dataclass
class Extraction:
    """The claims a model read from a text, and what reading them cost."""

    claims: dict[str, Any]
    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    rewritten_quotes: list[str] = field(default_factory=list)  # "E3 quote 1": not in the review as written


def extract(client: ModelClient, text: str, *, title: str = "") -> Extraction:
    """Claims (a claims-v1 document) for the findings of ``text``, read by ``client`` chunk by chunk."""
    import jsonschema

    findings: list[dict[str, Any]] = []
    result = Extraction({})
    validator = jsonschema.Draft202012Validator(EXTRACT_SCHEMA)
    for chunk in chunks(text):
        data = _ask(client, chunk, validator, result)
        findings += [_claim_finding(item) for item in data["findings"]]
    for number, finding in enumerate(findings, start=1):
        finding["id"] = f"E{number}"
        for index, quote in enumerate(finding.get("quotes", []), start=1):
            if not quoted_in(quote["text"], text):
                quote["verbatim"] = False
                result.rewritten_quotes.append(f"E{number} quote {index}")
    result.claims = {"reviewvet_claims": 1, "title": title or "extracted claims", "findings": findings}
    return result


def _ask(client: ModelClient, chunk: str, validator: Any, result: Extraction) -> dict[str, Any]:
    """The model's findings for one chunk; the schema's complaint is sent back once."""
    messages = [Message("system", SYSTEM), Message("user", f"The review text:\n\n{chunk}")]
    for attempt in range(2):
        reply = client.structured(messages, EXTRACT_SCHEMA, "review_findings")
        result.calls += 1
        result.usage = _add(result.usage, reply.usage)
        problems = sorted(validator.iter_errors(reply.data), key=lambda e: list(e.absolute_path))
        if not problems:
            return reply.data
        where = "/".join(str(p) for p in problems[0].absolute_path) or "(top level)"
        complaint = f"at {where}: {problems[0].message}"
        if attempt == 0:
            messages += [Message("assistant", json.dumps(reply.data)),
                         Message("user", f"That reply does not match the schema ({complaint}). Answer again, "
                                         "with the whole list, matching the schema exactly.")]
    raise ModelReplyError(f"{client.provider}:{client.model} answered twice with findings that do not match the "
                          f"schema; the second time {complaint}", field="model")


def _claim_finding(item: dict[str, Any]) -> dict[str, Any]:
    """One finding of the model's reply as a claims-v1 finding (nulls and empty lists left out)."""
    finding: dict[str, Any] = {"title": item["title"].strip() or "untitled finding"}
    for key in ("label", "body"):
        if item.get(key):
            finding[key] = item[key]
    severity = str(item.get("severity") or "").strip().lower()
    if severity in SEVERITIES:
        finding["severity"] = severity
    locations = [{k: v for k, v in loc.items() if v is not None and (k != "end" or loc.get("start"))}
                 for loc in item["locations"] if loc.get("path")]
    for loc in locations:
        if "end" in loc and loc["end"] < loc["start"]:
            loc["end"] = loc["start"]
    quotes = [{"text": q["text"], "role": q["role"]} for q in item["quotes"] if q["text"].strip()]
    identifiers = [name for name in item["identifiers"] if name.strip()]
    finding |= {k: v for k, v in (("locations", locations), ("quotes", quotes), ("identifiers", identifiers)) if v}
    return finding


def quoted_in(quote: str, text: str) -> bool:
    """Whether every line of ``quote`` is in ``text`` as written, leading and trailing whitespace aside
    (a diff's +/- markers included), in order."""
    lines = [line.strip() for line in quote.splitlines() if line.strip()]
    position = 0
    for line in lines:
        found = text.find(line, position)
        if found < 0:
            return False
        position = found + len(line)
    return bool(lines)


def chunks(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """``text`` cut at section headings into pieces of at most ``limit`` characters (a longer section at
    blank lines, and a longer paragraph where it must)."""
    sections: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if _HEADING.match(line) and sections[-1]:
            sections.append([])
        sections[-1].append(line)
    out: list[str] = []
    for section in ("".join(lines) for lines in sections):
        for piece in _split(section, limit):
            if out and len(out[-1]) + len(piece) <= limit:
                out[-1] += piece
            else:
                out.append(piece)
    return [c for c in out if c.strip()]


def _split(section: str, limit: int) -> list[str]:
    if len(section) <= limit:
        return [section]
    pieces: list[str] = []
    for paragraph in re.split(r"(?<=\n\n)", section):
        while len(paragraph) > limit:
            pieces.append(paragraph[:limit])
            paragraph = paragraph[limit:]
        if pieces and len(pieces[-1]) + len(paragraph) <= limit:
            pieces[-1] += paragraph
        else:
            pieces.append(paragraph)
    return pieces


def _add(a: Usage, b: Usage) -> Usage:
    cost = None if a.cost_usd is None and b.cost_usd is None else (a.cost_usd or 0.0) + (b.cost_usd or 0.0)
    return Usage(a.input_tokens + b.input_tokens, a.output_tokens + b.output_tokens, cost)
