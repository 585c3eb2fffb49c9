"""reviewvet's own structured claims format (JSON, versioned, with a JSON Schema)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from reviewvet.errors import ReviewInputError
from reviewvet.ingest.findings import make_block, unique_keys
from reviewvet.model.review import Commit, Finding, ParseWarning, Reference, Review, Reviewer
from reviewvet.ingest.vocabulary import agent_family

CLAIMS_VERSION = 1


@lru_cache(maxsize=1)
def claims_schema() -> dict[str, Any]:
    text = resources.files("reviewvet.schemas").joinpath("claims-1.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def looks_like_claims(text: str) -> bool:
    return text.lstrip().startswith("{") and '"reviewvet_claims"' in text[:4096]


def parse_claims(text: str, source: str = "<claims>") -> Review:
    import jsonschema

    try:
        data = json.loads(text)
        validator = jsonschema.Draft202012Validator(claims_schema())
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    except json.JSONDecodeError as exc:
        raise ReviewInputError(f"claims file {source!r} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError as exc:
        raise ReviewInputError(f"claims file {source!r} nests arrays or objects too deeply to read") from exc
    except ValueError as exc:  # a number too long to convert (Python refuses integers over 4300 digits)
        raise ReviewInputError(f"claims file {source!r} is not usable JSON: {str(exc).split(':')[0]}") from exc
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ReviewInputError(f"claims file {source!r} does not match claims schema v{CLAIMS_VERSION} "
                               f"at {where}: {first.message}")
    warnings: list[ParseWarning] = []
    findings = tuple(unique_keys([_finding(item, warnings) for item in data["findings"]], warnings))
    return Review(
        source=source,
        format="claims-json",
        title=data.get("title", ""),
        repository=data.get("repository"),
        pr_number=data.get("pr"),
        reviewers=tuple(Reviewer(name, agent_family(name)) for name in data.get("reviewers", [])),
        commits=tuple(Commit(c["sha"], c["subject"]) for c in data.get("commits", [])),
        head_sha=data.get("head"),
        findings=findings,
        warnings=tuple(warnings),
    )


def _finding(item: dict[str, Any], warnings: list[ParseWarning]) -> Finding:
    severity = item.get("severity")
    section = item.get("section") or severity or "suggestion"
    refs = tuple(
        Reference(loc["path"], loc.get("start"), loc.get("end", loc.get("start")),
                  _written(loc), 0)
        for loc in item.get("locations", [])
    )
    blocks = []
    for number, q in enumerate(item.get("quotes", []), start=1):
        role = q.get("role", "evidence")
        if q.get("verbatim") is False and role != "proposal":
            warnings.append(ParseWarning(0, f"finding {item['id']}: quote {number} is not in the review as written "
                                            "(rewritten when the review was read), so it is not checked"))
            role = "proposal"
        blocks.append(make_block(role, q.get("language", ""), q["text"], 0, q.get("path")))
    # Claims list only the identifiers they assert exist: version 1 has no other role.
    identifiers = tuple(item.get("identifiers", []))
    asserted = tuple(dict.fromkeys(identifiers))
    return Finding(
        id=item["id"], section=section, title=item["title"], agents=tuple(item.get("agents", [])),
        severity=severity, label=item.get("label"), scope=None, references=refs,
        identifiers=identifiers, blocks=tuple(blocks), line=0, end_line=0,
        body=item.get("body", ""), asserted=asserted,
        identifier_roles=tuple((name, "asserted") for name in asserted),
    )


def _written(loc: dict[str, Any]) -> str:
    if "start" not in loc:
        return str(loc["path"])
    end = loc.get("end", loc["start"])
    return f"{loc['path']}:{loc['start']}" + (f"-{end}" if end != loc["start"] else "")
