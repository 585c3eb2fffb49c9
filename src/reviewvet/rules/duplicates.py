"""Group findings that report the same thing: the same place, and the same names or words.

Two findings of different origins (an agent's own and the consolidated one, or two agents')
are duplicates when they cite exactly the same lines, or when their locations overlap and
they share an identifier or a title word. Findings of one origin never merge with each
other: an agent does not repeat itself, and the consolidator has already merged. Groups
are closed transitively. The primary of a group is its consolidated finding when there is
one, else its first finding; the group's agents are every agent in it.
"""

from __future__ import annotations

import re
from typing import Any

from reviewvet.model.checks import FindingVerdict
from reviewvet.ingest.vocabulary import agent_family

FINDING_SECTIONS = ("critical", "important", "suggestion")
_WORD = re.compile(r"[a-z][a-z0-9]{3,}")
_STOP = frozenset("when with that this from into have does then than only also they their there which while "
                  "before after should would could still every where what".split())


def locations(v: FindingVerdict) -> set[tuple[str, int, int]]:
    found = {(q.span.path, q.span.start, q.span.end) for q in v.quotes
             if q.span is not None and q.span.side == "head" and q.found}
    found |= {(c.path, c.reference.start, c.reference.end) for c in v.lines
              if c.path and c.reference.start is not None and c.reference.end is not None
              and c.status not in ("file-missing", "unknown")}
    return found


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _same_place(a: set[tuple[str, int, int]], b: set[tuple[str, int, int]]) -> bool:
    return any(p == q and s <= e2 and s2 <= e for p, s, e in a for q, s2, e2 in b)


def _sharing_a_path(candidates: list[FindingVerdict], places: dict[str, set[tuple[str, int, int]]]
                    ) -> list[tuple[str, str]]:
    """Pairs of findings of different origins that cite a common file, in the order of ``candidates``:
    only those can be at the same place, so findings about other files are never compared."""
    order = {v.finding.key: i for i, v in enumerate(candidates)}
    origin = {v.finding.key: v.finding.origin for v in candidates}
    by_path: dict[str, list[str]] = {}
    for v in candidates:
        for path in {p for p, _, _ in places[v.finding.key]}:
            by_path.setdefault(path, []).append(v.finding.key)
    pairs = {(a, b) for keys in by_path.values() for i, a in enumerate(keys) for b in keys[i + 1:]
             if origin[a] != origin[b]}
    return sorted(pairs, key=lambda pair: (order[pair[0]], order[pair[1]]))


def group_duplicates(verdicts: tuple[FindingVerdict, ...]) -> dict[str, dict[str, Any]]:
    """For each finding key, its ``duplicate`` facts: size, agents, primary, unique, group."""
    candidates = [v for v in verdicts if v.finding.section in FINDING_SECTIONS]
    facts: dict[str, dict[str, Any]] = {}
    for members in _groups(candidates, _matching_pairs(candidates)):
        facts.update(_group_facts(members))
    for v in verdicts:
        facts.setdefault(v.finding.key, {"size": 1, "agents": sorted({agent_family(a) for a in v.finding.agents}),
                                         "primary": True, "unique": False, "group": v.finding.key})
    return facts


def _matching_pairs(candidates: list[FindingVerdict]) -> list[tuple[str, str]]:
    """The pairs of findings that report the same thing, strongest matches first: most lines in
    common, then most identifiers and title words in common."""
    places = {v.finding.key: locations(v) for v in candidates}
    names = {v.finding.key: {i.lower() for i in v.finding.identifiers} for v in candidates}
    words = {v.finding.key: _words(v.finding.title) for v in candidates}
    pairs = []
    for ka, kb in _sharing_a_path(candidates, places):
        same_lines = len(places[ka] & places[kb])
        related = len(names[ka] & names[kb]) + len(words[ka] & words[kb])
        if same_lines or (_same_place(places[ka], places[kb]) and related):
            pairs.append((-same_lines, -related, ka, kb))
    return [(ka, kb) for _, _, ka, kb in sorted(pairs)]


def _groups(candidates: list[FindingVerdict], pairs: list[tuple[str, str]]) -> list[list[FindingVerdict]]:
    """Close ``pairs`` transitively (in their order), never merging two consolidated findings, into
    groups of candidates, each in the order of ``candidates``."""
    parent = {v.finding.key: v.finding.key for v in candidates}
    consolidated = {v.finding.key: v.finding.origin == "consolidated" for v in candidates}
    for ka, kb in pairs:
        ra, rb = _root(parent, ka), _root(parent, kb)
        if ra != rb and not (consolidated[ra] and consolidated[rb]):  # never merge two consolidated findings
            parent[rb] = ra
            consolidated[ra] = consolidated[ra] or consolidated[rb]
    groups: dict[str, list[FindingVerdict]] = {}
    for v in candidates:
        groups.setdefault(_root(parent, v.finding.key), []).append(v)
    return list(groups.values())


def _root(parent: dict[str, str], key: str) -> str:
    """The representative of ``key``'s group (halving the path to it on the way)."""
    while parent[key] != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


def _group_facts(members: list[FindingVerdict]) -> dict[str, dict[str, Any]]:
    """Each member's facts: the primary is the consolidated finding, else the first by key."""
    members = sorted(members, key=lambda v: (v.finding.origin != "consolidated", v.finding.key))
    primary = members[0].finding.key
    agents = sorted({agent_family(a) for v in members for a in v.finding.agents})
    return {v.finding.key: {"size": len(members), "agents": agents, "primary": v.finding.key == primary,
                            "unique": len(agents) == 1, "group": primary} for v in members}
