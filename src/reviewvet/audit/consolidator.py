"""What the human consolidator decided, next to what reviewvet decided.

Two sources in a review: its Reconciliation items ("Codex I1 (…): dropped as false
positive", "Claude I3 (…) → Suggestion S2") and its retro Summary table (False positives,
Downgraded, Dropped per agent). Reconciliation ids often do not match the appendix's
numbering, so each item is linked to an agent finding by content (paths, identifiers and
title words); the id only breaks ties. Items that cannot be linked are reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviewvet.model.review import Finding, Review
from reviewvet.ingest.vocabulary import AGENT_FAMILIES, INLINE_CODE, REFERENCE, agent_family
from reviewvet.model.rules import Decision

_ITEM = re.compile(rf"^\W*(?P<agent>{'|'.join(AGENT_FAMILIES)})\w*\s+(?P<id>[CIS]\d+)\b(?P<rest>.*)$", re.S)
_WORD = re.compile(r"[a-z][a-z0-9]{3,}")
_DROPPED = re.compile(r"\b(dropped|false positive|rejected|hallucinat\w*|removed)\b", re.I)
_DOWN = re.compile(r"(downgrad\w*|demot\w*|→\s*(suggestion|S\d)|critical\s*→\s*important|i\s*→\s*s\b)", re.I)
_UP = re.compile(r"\b(promot\w*|upgrad\w*)\b|→\s*important", re.I)
MIN_SIMILARITY = 0.15
RETRO_METRICS = {"false positives": "false-positives", "downgraded": "downgraded", "dropped": "dropped"}


@dataclass(frozen=True)
class ConsolidatorItem:
    agent: str
    written: str
    decision: str
    linked_key: str | None
    link: str  # "content", "id", "id+content" or "unlinked"
    text: str


_ITEM_START = re.compile(rf"(?:^|(?<=[.:;)\]])\s*|(?<=\s)-\s*)(?=(?:{'|'.join(AGENT_FAMILIES)})\w*\s+[CIS]\d+\b)")


def _split_items(texts: list[str]) -> list[str]:
    """Items one a paragraph, or run together and broken across lines by a flattening: the text is
    joined, then cut before each ``Agent X1`` that opens a sentence or a list item."""
    text = " ".join(t.strip() for t in texts)
    cuts = sorted({m.end() for m in _ITEM_START.finditer(text)} | {0})
    pieces = (text[a:b].strip(" -") for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True))
    return [p for p in pieces if p]


def reconciliation_items(review: Review, findings: Sequence[Finding]) -> list[ConsolidatorItem]:
    items = []
    for text in _split_items([t for _, t in review.reconciliation]):
        match = _ITEM.match(text)
        if not match:
            continue
        agent, written = match["agent"], f"{match['agent']} {match['id']}"
        head = re.split(r"(?<=[.!?])\s", match["rest"], maxsplit=1)[0][:300]  # the first sentence decides
        decision = ("dropped" if _DROPPED.search(head) else
                    "downgraded" if _DOWN.search(head) else "upgraded" if _UP.search(head) else "kept")
        key, link = link_item(agent, match["id"], text, findings, dropped=decision == "dropped")
        items.append(ConsolidatorItem(agent, written, decision, key, link, " ".join(text.split())[:300]))
    return items


def link_item(agent: str, written_id: str, text: str, findings: Sequence[Finding],
              dropped: bool = False) -> tuple[str | None, str]:
    """The agent's finding the item is about: by content, the written id breaking ties.

    Without the agent's raw review (no appendix), a dropped finding is not in the review
    at all, and anything else is looked for among the consolidated findings (its agent's
    first, all of them when attributions were lost).
    """
    own = [f for f in findings if f.origin == agent]
    if not own:
        if dropped:
            return None, "unlinked"
        consolidated = [f for f in findings if f.origin == "consolidated" and f.section in ("critical", "important",
                                                                                           "suggestion")]
        own = [f for f in consolidated if agent in {agent_family(a) for a in f.agents}] or consolidated
    if not own:
        return None, "unlinked"
    clues = _clues(text)
    scored = sorted(((_similarity(clues, _clues(f"{f.title}\n{f.body}")), f.id == written_id, f.key) for f in own),
                    reverse=True)
    best_score, best_is_id, best_key = scored[0]
    by_id = next((f for f in own if f.id == written_id), None)
    if best_score < MIN_SIMILARITY:
        return (by_id.key, "id") if by_id is not None and own[0].origin == agent else (None, "unlinked")
    return best_key, "id+content" if best_is_id else "content"


def _clues(text: str) -> set[str]:
    paths = {m.group("path") for m in REFERENCE.finditer(text) if m.group("path")}
    names = {c.strip("`()").lower() for c in INLINE_CODE.findall(text)}
    return paths | names | set(_WORD.findall(text.lower()))


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def reviewvet_decision(decision: Decision | None) -> str:
    if decision is None:
        return "unverified"
    if decision.false_positive:
        return "dropped"
    if decision.downgraded:
        return "downgraded"
    return "kept"


def retro_counts(review: Review) -> dict[str, dict[str, int]]:
    """The retro Summary table: metric -> agent family -> count."""
    for _, rows in review.tables:
        if not any(row and row[0].strip("* ").lower() in RETRO_METRICS for row in rows):
            continue
        header = list(rows[0])
        if header and header[-1] == "" and header[0]:
            header = [""] + header[:-1]  # flattened tables move the empty corner cell to the end
        counts: dict[str, dict[str, int]] = {}
        for row in rows[1:]:
            metric = RETRO_METRICS.get(row[0].strip("* ").lower()) if row else None
            if metric is None:
                continue
            for name, cell in zip(header[1:], row[1:], strict=False):
                number = re.match(r"\D*?(\d+)", cell.replace("*", ""))
                if name:
                    counts.setdefault(metric, {})[agent_family(name)] = int(number.group(1)) if number else 0
        return counts
    return {}


def consolidator_rows(rid: str, review: Review, findings: Sequence[Finding],
                      decisions: dict[str, Decision]) -> list[Sequence[Any]]:
    rows: list[Sequence[Any]] = []
    for item in reconciliation_items(review, findings):
        ours = reviewvet_decision(decisions.get(item.linked_key or "")) if item.linked_key else "unlinked"
        # A consolidated finding already carries the consolidator's decision: only an agent's own
        # finding (from the appendix) can be judged against it.
        judged = item.linked_key is not None and not item.linked_key.startswith("consolidated/")
        agrees = ours == item.decision if judged and ours != "unverified" else None
        rows.append((rid, item.agent, item.written, item.decision, item.linked_key, item.link, ours, agrees,
                     item.text))
    ours_counts = _our_counts(findings, decisions)
    for metric, per_agent in retro_counts(review).items():
        for agent, count in per_agent.items():
            mine = ours_counts.get(metric, {}).get(agent) if decisions else None
            rows.append((rid, agent, f"retro:{metric}", str(count), None, "table",
                         None if mine is None else str(mine), None if mine is None else mine == count,
                         f"{metric}: consolidator {count}, reviewvet {mine}"))
    return rows


def _our_counts(findings: Sequence[Finding], decisions: dict[str, Decision]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {"false-positives": {}, "downgraded": {}, "dropped": {}}
    for f in findings:
        d = decisions.get(f.key)
        if d is None or f.origin == "consolidated":
            continue
        for metric, hit in (("false-positives", d.false_positive), ("downgraded", d.downgraded),
                            ("dropped", d.false_positive)):
            counts[metric][f.origin] = counts[metric].get(f.origin, 0) + int(hit)
    return counts
