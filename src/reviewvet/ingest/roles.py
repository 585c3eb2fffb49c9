"""What a finding says about each identifier it names, and so which ones must exist.

Each mention is read in its clause (a sentence, or the part of one after ``;``, ``:`` or a
dash): ``there is no `X```, ``without a `X` call`` and ``never calls `X``` say X is
**missing**; ``use `X```, ``should call `X```, ``rename it to `X``` **propose** it; ``Moby's
`X```, ``upstream `X``` and ```X` in k8s.io/…`` are **external**; names shaped like an HTTP
header, a flag, an environment variable, a configuration key, a file or a literal are
**not-a-symbol**. Any other mention in the title or the diagnosis **asserts** the identifier
exists here; mentions only in the Fix / proposal paragraphs make it **proposed**. One role per
identifier, the first of: not-a-symbol, missing, external, asserted, proposed.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from reviewvet.ingest.vocabulary import code_spans, identifier_spans

_PRIORITY = ("not-a-symbol", "missing", "external", "asserted", "proposed")
_ID = "\u27e8id\u27e9"  # what another mention looks like in a clause's text

# -- clauses ---------------------------------------------------------------------------------

_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf)\.", re.I)
_BOUNDARY = re.compile(r"[.!?](?=\s|$)|[;:](?=\s|$)|\n[^\S\n]*+\n|\s[\u2014\u2013]\s|\s--\s|^[^\S\n]*+[-*]\s", re.M)
# The words around a mention that decide its role are near it: each side is read up to this far, so
# the patterns below cost a bounded time per mention however long the clause.
WINDOW = 300


def _clauses(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of each clause; dots inside code and abbreviations never end one."""
    masked = list(_ABBREVIATION.sub(lambda m: "x" * len(m.group(0)), text))
    for start, end in spans:
        masked[start:end] = "x" * (end - start)
    cuts = [0, *(m.end() for m in _BOUNDARY.finditer("".join(masked))), len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _with_placeholders(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """text[start:end] with every code span inside it written as one placeholder word (spans in order)."""
    out, at = [], start
    for s, e in spans[bisect.bisect_left(spans, (start, start)):]:
        if s >= end:
            break
        if e <= end:
            out += [text[at:s], _ID]
            at = e
    out.append(text[at:end])
    return re.sub(r"\s+", " ", "".join(out).replace("*", ""))


# -- contexts -------------------------------------------------------------------------------

_DET = r"(?:\s++(?:a|an|any|the|its|their|such|one|corresponding|matching|equivalent|separate|single|deferred)\b)*+"
_MISSING_BEFORE = re.compile(
    r"(?:\bno|\bwithout|\black(?:s|ing)?|\bmissing|\babsen(?:ce|t)\s+of|\bnothing\s+calls|"
    r"\bnever\s+(?:calls?|uses?|invokes?|sets?|checks?|defines?|registers?|closes?|implements?|reaches)|"
    r"\b(?:does|do|did|is|are)\s*(?:not|n['\u2019]t)\s+(?:call(?:ing|ed)?|use[sd]?|invoke[sd]?|have|define[sd]?|"
    r"set|check(?:ed)?|implement(?:ed)?|register(?:ed)?|expose[sd]?|contain|include[sd]?))"
    + _DET + r"\s*+$",
    re.I,
)
_MISSING_AFTER = re.compile(
    rf"^\s*+(?:\(\))?(?:\s*+(?:,|and|or)\s*+{_ID})*+\s*+(?:"
    r"(?:is|are|was|were)\s+(?:missing|absent|undefined|nowhere|not\s+(?:defined|declared|present|implemented))"
    r"(?!\s+(?:a|an|the|any|its|their|some)\b)|"
    r"(?:does|do)\s*(?:not|n['\u2019]t)\s+exist|(?:isn['\u2019]t|aren['\u2019]t)\s+(?:defined|declared))",
    re.I,
)
_PROJECTS = r"(?:moby|docker|kubernetes|k8s|containerd|lima|podman|cri-o|golang|go|rust|python|node)"
_MODULE = r"(?<![a-z0-9.-])(?:[a-z0-9-]++\.)++(?:io|com|org|net|dev|in|sh|cloud)/[\w./-]*\w"
_EXTERNAL_BEFORE = re.compile(
    rf"(?:\b{_PROJECTS}['\u2019]s|\b{_MODULE}['\u2019]s|\bupstream|\bin\s+{_MODULE},?|\bfrom\s+{_MODULE},?)"
    r"(?:\s+(?:own|new|old|package|module|helper|function|method|type))?\s*$",
    re.I,
)
# Moby's `X`: a capitalised one-word possessive (not a CamelCase type name such as HostWatcher's).
_PROPER_POSSESSIVE = re.compile(r"(?<![\w.])[A-Z][a-z0-9-]+['\u2019]s(?:\s+(?:own|new|old|package|helper))?\s*$")
_EXTERNAL_AFTER = re.compile(
    rf"^\s*+(?:\(\))?\s*+[(,]?\s*+(?:(?:in|from|of)\s+(?:the\s+)?(?:upstream\b|{_PROJECTS}\b|{_MODULE}|"
    r"[\w-]+\s+(?:library|project|repo(?:sitory)?|upstream)\b)|upstream\b)",
    re.I,
)
_MODULE_PATH = re.compile(_MODULE, re.I)
_RECOMMEND_VERB = (r"(?:use|add|call|invoke|introduce|adopt|prefer|consider|define|create|implement|reuse|"
                   r"switch\s+to|move\s+to|migrate\s+to|fall\s+back\s+to|go\s+through|delegate\s+to|"
                   r"wrap\s+(?:it|this|them|that)\s+(?:in|with))")
_LEADERS = (r"(?:^\W*+|[(\[]\s*+|\b(?:should|must|needs?\s+to|ought\s+to|better\s+to|has\s+to|have\s+to|instead|"
            r"simply|just|please|then|either|or|and|to(?=\s+(?:use|add|introduce|call)\b)))")
# Each article a whole word, the run taken whole: "a new" is "a" then "new", never two ways (exponential).
_ARTICLES = r"(?:\s++(?:(?:a|an|the|its|another|some|something\s+like|like|new)\b|e\.g\.))*+\s*+$"
_PROPOSED_BEFORE = re.compile(
    # strong: "should return `X`", "Use `X`"; weak: "could use `X`" (but "could return `X`" describes code)
    rf"{_LEADERS}\s*+(?:also\s+|just\s+|simply\s+|instead\s+|rather\s+)?(?:{_RECOMMEND_VERB}|return|be|become){_ARTICLES}|"
    rf"\b(?:could|would|might|can|want\s+to|prefer\s+to)\s+(?:also\s+|instead\s+)?{_RECOMMEND_VERB}{_ARTICLES}|"
    rf"\bwould\s+be(?:\s+to\s+{_RECOMMEND_VERB})?{_ARTICLES}",
    re.I,
)
_RECOMMENDING = re.compile(
    r"\b(?:consider(?:ing)?|recommend(?:ed|s|ing)?|suggest(?:ed|s|ing)?|propos(?:e|ed|es|al|ing)|"
    r"preferabl[ey])\b|\b(?:e\.g\.,?|such\s+as|something\s+like)\s*$",
    re.I,
)
_RETARGET = re.compile(
    r"\b(?:replace|replacing|swap|substitute|rename|renaming|change|changing|switch|switching|convert|"
    r"move|moving|migrate)\b.*\b(?:with|to|by|into)(?:\s+(?:a|an|the|new))?\s*$",
    re.I,
)
# "(or a `X` helper)", "(e.g. `X`)": an alternative offered in passing.
_ALTERNATIVE = re.compile(r"[(\[]\s*(?:or|e\.g\.,?|like|say)(?:\s+(?:a|an|the|some))?\s*$", re.I)
_COORDINATED = re.compile(rf"{_ID}\s*(?:\(\))?\s*(?:,\s*(?:and|or|nor)?|and|or|nor|/)\s*$", re.I)


def _mention_role(before: str, after: str, name: str, in_remedy: bool, previous: str | None) -> str:
    """The role one mention gives its identifier, from the words around it in its clause."""
    if _MISSING_BEFORE.search(before) or _MISSING_AFTER.match(after):
        return "missing"
    if _is_external(before, after, name):
        return "external"
    if previous in ("missing", "external", "proposed") and _COORDINATED.search(before):
        return previous
    if (_PROPOSED_BEFORE.search(before) or _RETARGET.search(before) or _RECOMMENDING.search(before)
            or _ALTERNATIVE.search(before)):
        return "proposed"
    return "proposed" if in_remedy else "asserted"


def _is_external(before: str, after: str, name: str) -> bool:
    if _EXTERNAL_BEFORE.search(before) or _PROPER_POSSESSIVE.search(before) or _EXTERNAL_AFTER.match(after):
        return True
    qualifier = name.lstrip("*").split(".", 1)[0] if "." in name else ""
    return bool(qualifier) and any(m.group(0).rstrip("/").rsplit("/", 1)[-1] == qualifier
                                   for m in _MODULE_PATH.finditer(before + " " + after))


# -- shapes that are not symbols ---------------------------------------------------------------

_HEADERS = frozenset(
    "Origin Host Referer Authorization Cookie Accept Upgrade Connection Location Server Allow Expect Range "
    "Via Forwarded Etag ETag Vary Date Link Trailer".split()
)
_LITERALS = frozenset("nil true false null None True False iota undefined".split())
_FILE_EXTENSIONS = (
    "pid log lock toml conf cfg ini sock bats sh bash zsh go py md yaml yml json txt js ts tsx rs html css xml csv "
    "tgz gz zip pem crt plist mod sum tmpl tpl env".split()
)
_CONFIG_ROOTS = frozenset("spec status metadata data config settings values annotations labels".split())
_KEY_NOUN = r"(?:key|field|setting|option|property|annotation|label|preference|entry|path)s?"
_CONFIG_FILE = re.compile(r"\b(?:yaml|json|toml|manifest|crd|configuration|config\s+file|settings\s+file)\b", re.I)


def not_a_symbol(name: str, before: str = "", after: str = "") -> bool:
    """Names that are not symbols: headers, flags, environment variables, keys, files, literals."""
    bare = name.lstrip("*")
    clause = f"{before} {after}"
    if bare.startswith(("-", "$")) or bare in _LITERALS:
        return True
    if re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", bare):
        return True  # RDD_INSTANCE: an environment variable
    if re.fullmatch(r"E[A-Z0-9]{3,}|SIG[A-Z0-9]{2,}", bare):
        return True  # ENOENT, SIGKILL: an operating system's error code or signal
    if re.fullmatch(r"[A-Z][A-Z0-9]+", bare) and re.search(r"\benv(?:ironment)?\b|\bvariable", clause, re.I):
        return True
    if bare in _HEADERS and re.search(r"\bheaders?\b", clause, re.I):
        return True
    if "." in bare and bare.rsplit(".", 1)[1] in _FILE_EXTENSIONS:
        return True
    return _config_key(bare, before, after)


def _config_key(name: str, before: str, after: str) -> bool:
    """spec.state, containerEngine.name: a lowercase dotted path that is no ``pkg.Func``."""
    parts = name.split(".")
    if len(parts) < 2 or not all(p[:1].islower() for p in parts):
        return False
    if parts[0] in _CONFIG_ROOTS or _CONFIG_FILE.search(f"{before} {after}"):
        return True
    if re.match(rf"^\s*(?:\(\))?\s*{_KEY_NOUN}\b", after, re.I) or re.search(rf"\b{_KEY_NOUN}\s*$", before, re.I):
        return True
    return bool(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]+)+", parts[0])) and all(p.isalnum() for p in parts[1:])


def _drop_home(text: str, home: str | None) -> str:
    """The repository's own module path (github.com/owner/name/...) is not another project."""
    if not home:
        return text
    return re.sub(rf"(?<![\w.-])[\w.-]+/{re.escape(home)}(?:/[\w./-]*)?", "(this module)", text, flags=re.I)


# -- a finding ---------------------------------------------------------------------------------


def mention_roles(
    text: str, *, markdown: bool, in_remedy: bool, home: str | None = None
) -> list[tuple[str, str]]:
    """(identifier, role) for every mention in text, in order; home is the repository's owner/name."""
    mentions = identifier_spans(text, markdown=markdown)
    spans = code_spans(text, markdown=markdown)
    out: list[tuple[str, str]] = []
    at = 0  # mentions and clauses are both in text order
    for start, end in _clauses(text, spans):
        previous = None
        while at < len(mentions) and mentions[at][1] < start:
            at += 1
        while at < len(mentions) and mentions[at][1] < end:
            name, s, e = mentions[at]
            at += 1
            before = _drop_home(_with_placeholders(text, max(start, s - WINDOW), s, spans), home)
            after = _drop_home(_with_placeholders(text, e, min(end, e + WINDOW), spans), home)
            if not_a_symbol(name, before, after):
                role = "not-a-symbol"
            else:
                role = _mention_role(before, after, name, in_remedy, previous)
            out.append((name, role))
            previous = role
    return out


def identifier_roles(
    identifiers: Sequence[str], diagnosis: str, remedy: str, *, markdown: bool, home: str | None = None
) -> tuple[tuple[str, str], ...]:
    """One role per identifier, from all its mentions in the diagnosis (title included) and the remedy."""
    votes: dict[str, set[str]] = {name: set() for name in identifiers}
    for text, in_remedy in ((diagnosis, False), (remedy, True)):
        for name, role in mention_roles(text, markdown=markdown, in_remedy=in_remedy, home=home):
            if name in votes:
                votes[name].add(role)
    roles = []
    for name in identifiers:
        found = votes[name] or {"not-a-symbol" if not_a_symbol(name) else "asserted"}
        roles.append((name, next(role for role in _PRIORITY if role in found)))
    return tuple(roles)


def asserted_identifiers(roles: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(name for name, role in roles if role == "asserted")
