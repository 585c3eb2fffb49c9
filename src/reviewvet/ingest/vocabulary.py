"""The words of the deep-review format: section names, agents, tags, references."""

from __future__ import annotations

import re

# Section name (normalised) -> category. Finding categories are the six SECTIONS;
# "appendix" opens the raw reviews; "other" closes whatever section was open.
_HEADINGS = {
    "critical issues": "critical",
    "critical": "critical",
    "critical findings": "critical",
    "important issues": "important",
    "important": "important",
    "important findings": "important",
    "suggestions": "suggestion",
    "suggestion": "suggestion",
    "minor issues": "suggestion",
    "design observations": "design",
    "design": "design",
    "testing assessment": "testing",
    "testing": "testing",
    "test coverage": "testing",
    "documentation assessment": "documentation",
    "documentation": "documentation",
    "appendix: original reviews": "appendix",
    "original reviews": "appendix",
}
_OTHER_HEADINGS = frozenset(
    """executive summary|consolidated review|commit structure|acknowledged limitations|
    unresolved feedback|agent performance retro|summary|reconciliation|review process notes|
    skill improvements|repo context updates|improvement recommendations|header|findings|
    coverage summary|resolution|review summary|verdict|overview|notes""".replace("\n", "").split("|")
)
# Sub-headings that never change the section (Design Observations' parts).
SUBHEADINGS = frozenset({"strengths", "concerns"})
FINDING_SECTIONS = ("critical", "important", "suggestion")

AGENT_FAMILIES = ("Claude", "Codex", "Gemini", "GPT", "Copilot", "Grok", "Llama", "Mistral", "Qwen", "DeepSeek")


def normalise_heading(text: str) -> str:
    text = re.sub(r"[*_`#]", "", text).replace("\u00b6", "")
    return re.sub(r"\s+", " ", text).strip().rstrip(":").strip().lower()


def heading_category(text: str) -> str | None:
    """The category a heading opens: a finding section, appendix, sub, other or None."""
    name = normalise_heading(text)
    if name in _HEADINGS:
        return _HEADINGS[name]
    if name in SUBHEADINGS:
        return "sub"
    if name in _OTHER_HEADINGS or name.startswith("deep review") or name.startswith("deep code review"):
        return "other"
    return None


def is_known_heading(line: str) -> bool:
    """A flattened line that is exactly a section name (with or without a pilcrow)."""
    return heading_category(line) is not None and len(line) < 60


# -- agents ----------------------------------------------------------------------------

_FAMILY = "|".join(AGENT_FAMILIES)
AGENT_NAME = re.compile(
    rf"\b(?:{_FAMILY})(?:[ -](?:Opus|Sonnet|Haiku|Pro|Flash|Ultra|Mini|GPT|Code|[\d.]+[a-z]?))*", re.I
)
_TRAILING_BRACKET = re.compile(r"(?<!\s)\s*+\[(?P<name>[^\[\]]{2,40})\]\s*+$")  # starts where a space run does
MAX_TRAILING_AGENTS = 8  # attributions read from the end of one title


def agent_family(name: str) -> str:
    """``Claude`` for ``Claude Opus 4.7``; the first word otherwise."""
    for family in AGENT_FAMILIES:
        if name.strip().lower().startswith(family.lower()):
            return family
    words = name.split()
    return words[0] if words else name


_REVIEW_WORD = re.compile(
    r"^(?P<pre>.*?)\b(?:(?:deep|full|original|raw|independent)\s+)*(?:code\s+)?review\b(?P<rest>.*)$"
)
_TITLE_REST = re.compile(r"^\s*(?:$|[\u2014\u2013:(\[|,#-]|(?:by|from)\s|for\s+(?:pr|pull|#))")
_BY_AGENT = re.compile(rf"\b(?:by|from)\s+\[?(?P<name>{AGENT_NAME.pattern})", re.I)


def review_title_agent(text: str) -> str | None:
    """For a heading that titles one agent's review (``Code Review — PR #12: …``, ``Review by Codex``,
    ``Gemini Code Review``): the agent family it names, or "" when it names none. None for any
    other heading (``Review Summary`` and the report's own section names are not titles)."""
    name = normalise_heading(text)
    match = _REVIEW_WORD.match(name)
    if not match or not _TITLE_REST.match(match["rest"]):
        return None
    if heading_category(text) not in (None, "other") or (name in _OTHER_HEADINGS and name != "review"):
        return None
    pre = re.sub(r"['\u2019]s$", "", match["pre"].strip(" []")).strip(" []")
    if pre and not AGENT_NAME.fullmatch(pre):
        return None
    if pre:
        return agent_family(pre)
    if by := _BY_AGENT.search(match["rest"]):
        return agent_family(by["name"])
    for part in re.split(r"[\u2014\u2013:()\[\]|,]|\s-\s", match["rest"]):
        if AGENT_NAME.fullmatch(part.strip()):
            return agent_family(part.strip())
    return ""


def split_trailing_agents(text: str, known: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """Strip agent attributions from the end of a title line.

    Handles ``[Claude Opus 4.7]`` groups, bare names (``Claude Codex Gemini``) and
    names run together by a flattening (``ClaudeCodexGemini``).
    """
    agents: list[str] = []
    rest = text.rstrip().rstrip("\u00b6").rstrip()
    for _ in range(MAX_TRAILING_AGENTS):
        match = _TRAILING_BRACKET.search(rest)
        if match and AGENT_NAME.search(match["name"]):
            agents.insert(0, match["name"].strip())
            rest = rest[: match.start()].rstrip()
            continue
        bare = _trailing_bare_agent(rest, known)
        if bare is None:
            break
        name, rest = bare
        agents.insert(0, name)
    return rest.rstrip(" —-\u2013"), tuple(agents)


def _trailing_bare_agent(text: str, known: tuple[str, ...]) -> tuple[str, str] | None:
    for name in sorted({*known, *AGENT_FAMILIES}, key=len, reverse=True):
        if text.endswith(name) and len(text) > len(name):
            before = text[: -len(name)]
            # A bare family after a word must be separated by a space or follow another agent name.
            if before.endswith((" ", ")", ".", "\u2014")) or any(before.endswith(f) for f in AGENT_FAMILIES):
                return name, before.rstrip()
    return None


# -- tags --------------------------------------------------------------------------------

TAG = re.compile(
    r"\((?P<severity>critical|important|suggestion)\b\s*(?:,\s*(?P<label>[a-z][a-z-]*))?"
    r"\s*(?:[\u2014\u2013]|--| - )?\s*(?P<scope>[^()]*(?:\([^()]*\)[^()]*)*)\)",
    re.I,
)


def parse_tag(text: str) -> tuple[str, str | None, str | None] | None:
    """(severity, label, scope) of the first ``(important, regression — …)`` tag in text."""
    match = TAG.search(text)
    if not match:
        return None
    label = (match["label"] or "").strip().rstrip(".").lower() or None
    scope = (match["scope"] or "").strip().rstrip(".").strip() or None
    return match["severity"].lower(), label, scope


# -- references and identifiers ------------------------------------------------------------

_PATH = r"(?:~?/)?(?:(?:[\w@+.-]+/)*[\w@+-][\w@+.-]*\.[A-Za-z0-9]{1,8}|(?:[\w@+.-]+/)+[\w@+.-]+)|Makefile|Dockerfile"
_RANGE = r"(?P<start>\d{1,6})(?:\s*[-\u2013]\s*(?P<end>\d{1,6}))?"
# Inside backticks a path may hold spaces (`docs/with space.go:3`): it then runs from the opening
# backtick to a `:N` or `:N-M` that closes the span.
_SPACED_PATH = r"(?<=`)[^`\s:][^`:\n]*?\.[A-Za-z0-9]{1,8}(?=:\d{1,6}(?:\s*[-\u2013]\s*\d{1,6})?`)"
REFERENCE = re.compile(
    rf"(?<![\w/.:@-])(?P<path>{_SPACED_PATH}|{_PATH})?:{_RANGE}(?![\d:])(?P<more>(?:,\s*(?!\S+\.\w+:)\d{{1,6}}(?:\s*[-\u2013]\s*\d{{1,6}})?(?![\w.:/]))*)"
)
_MORE = re.compile(r"(\d{1,6})(?:\s*[-\u2013]\s*(\d{1,6}))?")

INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_IDENTIFIER_SHAPE = re.compile(r"^\*?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\(\))?$|^\(\*?\w+\)\.\w+(?:\(\))?$")
_SHA_SHAPE = re.compile(r"^(?=.*\d)[0-9a-f]{7,40}$")
_FLAT_IDENTIFIER = re.compile(
    r"(?<![\w./-])(?:\(\*?\w+\)\.\w+|[A-Za-z_]\w*\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\(\))?|"
    r"[a-z]+[A-Z]\w*(?:\(\))?|[a-z][a-z0-9]*_[a-z0-9_]+)(?![\w/-])"
)


def identifiers_in(text: str, *, markdown: bool) -> list[str]:
    """Code identifiers a finding names: backticked ones in Markdown, shaped ones otherwise."""
    return list(dict.fromkeys(name for name, _, _ in identifier_spans(text, markdown=markdown)))


def identifier_spans(text: str, *, markdown: bool) -> list[tuple[str, int, int]]:
    """Each mention of a code identifier: (name, start, end), the span including any backticks."""
    found = []
    for match in (INLINE_CODE if markdown else _FLAT_IDENTIFIER).finditer(text):
        name = (match.group(1) if markdown else match.group(0)).strip()
        if REFERENCE.fullmatch(name) or not _IDENTIFIER_SHAPE.match(name) or _SHA_SHAPE.match(name):
            continue
        if re.fullmatch(r"[\w.-]+\.(go|sh|bats|py|md|yaml|yml|json|txt)", name):
            continue
        name = name[:-2] if name.endswith("()") else name
        if len(name) > 1:
            found.append((name, match.start(), match.end()))
    return found


def code_spans(text: str, *, markdown: bool) -> list[tuple[int, int]]:
    """Where inline code (Markdown) or code-shaped words (flattened text) are: (start, end)."""
    return [m.span() for m in (INLINE_CODE if markdown else _FLAT_IDENTIFIER).finditer(text)]
