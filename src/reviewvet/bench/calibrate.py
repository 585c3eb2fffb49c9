"""``reviewvet bench calibrate``: reviewvet's verdicts against what each review's consolidator decided.

Verifies every review given with --reviews against --repo (at the head and base a --map file
gives for it, else at --head / --base) and prints, per review and for all of them, how many
findings the consolidator kept, dropped, downgraded, upgraded, relabelled or saw fixed, by
reviewvet's verdict grade, with how many reviewvet declared false positives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def calibration_report(repo: Path, reviews: list[Path], map_path: Path | None, head: str, base: str | None,
                       fmt: str) -> str:
    """The calibration of every review, as text or JSON (``fmt``). Every review is read before any is verified."""
    from reviewvet.api import read_review, verify_repository
    from reviewvet.audit.calibration import calibrate, confusion, format_calibration, format_table
    from reviewvet.audit.ingest import load_mapping
    from reviewvet.errors import ReviewInputError
    from reviewvet.ingest.parse import read_review_file

    mapping = load_mapping(map_path)
    texts = [(path, read_review_file(path)) for path in reviews]
    parsed = [(path, text, read_review(text, str(path))) for path, text in texts]
    for path, _, review in parsed:
        if not review.all_findings():
            raise ReviewInputError(f"review {str(path)!r} has no findings to calibrate")
    results, out = [], []
    for path, text, review in parsed:
        mapped = mapping.get(path.name) or mapping.get(str(path)) or {}
        rev, against = mapped.get("head", head), mapped.get("base", base)
        verification = verify_repository(repo, review, head=rev, base=against)
        revisions = verification.revisions
        results.append((calibrate(verification, path.name, text), revisions.head, revisions.head_evidence, rev,
                        against))
    findings = [f for c, *_ in results for f in c.findings]
    if fmt == "json":
        return json.dumps(_as_json(results, confusion(findings)), indent=2, sort_keys=True) + "\n"
    for calibration, sha, evidence, rev, against in results:
        title = (f"{calibration.name}: {len(calibration.findings)} findings, head {rev} ({sha[:12]}, {evidence}), "
                 f"base {against or 'default'}")
        out.append(format_calibration(calibration, title))
    unlinked = sum(len(c.unlinked) for c, *_ in results)
    out.append(format_table(confusion(findings), f"all {len(results)} reviews: {len(findings)} findings, "
                                                 f"{unlinked} consolidator items linked to no finding"))
    return "\n".join(out)


def _as_json(results: list[Any], total: dict[str, dict[str, int]]) -> dict[str, Any]:
    from reviewvet.audit.calibration import calibration_dict

    reviews = []
    for calibration, sha, evidence, head, base in results:
        reviews.append({**calibration_dict(calibration), "head": head, "head_sha": sha, "head_evidence": evidence,
                        "base": base})
    return {"reviews": reviews, "total": total}
