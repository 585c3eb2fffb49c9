"""``reviewvet bench calibrate``: reviewvet's verdicts against what each review's consolidator decided.

Verifies every review given with --reviews against --repo (at the head and base a --map file
gives for it, else at --head / --base) and prints, per review and for all of them, how many
findings the consolidator kept, dropped, downgraded, upgraded, relabelled or saw fixed, by
reviewvet's verdict grade, with how many reviewvet declared false positives.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_calibrate_parser(kinds: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = kinds.add_parser("calibrate", help="compare reviewvet's verdicts with the consolidators' own decisions",
                         description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repo", type=Path, required=True, help="the git repository the reviews are about")
    p.add_argument("--reviews", type=Path, nargs="+", required=True, metavar="PATH", help="review documents")
    p.add_argument("--map", type=Path, default=None, metavar="FILE",
                   help="YAML or JSON: review file name -> {head: REV, base: REV}, overriding --head/--base")
    p.add_argument("--head", default="auto",
                   help="head for reviews the map does not name (default 'auto': the review's own head, "
                        "or the best candidate found by its commit subjects)")
    p.add_argument("--base", default=None, help="base for reviews the map gives no base (default: main or master)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    from reviewvet.audit.calibration import calibrate, confusion, format_calibration, format_table
    from reviewvet.audit.ingest import load_mapping
    from reviewvet.errors import ReviewInputError
    from reviewvet.ingest.parse import read_review_file
    from reviewvet.pipeline import VerifyOptions, load_review, verify

    mapping = load_mapping(args.map)
    texts = [(path, read_review_file(path)) for path in args.reviews]  # every input read before any work
    reviews = [(path, text, load_review(path)) for path, text in texts]
    for path, _, review in reviews:
        if not review.all_findings():
            raise ReviewInputError(f"review {str(path)!r} has no findings to calibrate")
    results, out = [], []
    for path, text, review in reviews:
        mapped = mapping.get(path.name) or mapping.get(str(path)) or {}
        head, base = mapped.get("head", args.head), mapped.get("base", args.base)
        verification = verify(review, args.repo, VerifyOptions(head=head, base=base))
        calibration = calibrate(verification, path.name, text)
        revisions = verification.revisions
        results.append((calibration, revisions.head, revisions.head_evidence, head, base))
    findings = [f for c, *_ in results for f in c.findings]
    if args.format == "json":
        print(json.dumps(_as_json(results, confusion(findings)), indent=2, sort_keys=True))
        return 0
    for calibration, sha, evidence, head, base in results:
        title = (f"{calibration.name}: {len(calibration.findings)} findings, head {head} ({sha[:12]}, {evidence}), "
                 f"base {base or 'default'}")
        out.append(format_calibration(calibration, title))
    unlinked = sum(len(c.unlinked) for c, *_ in results)
    out.append(format_table(confusion(findings), f"all {len(results)} reviews: {len(findings)} findings, "
                                                 f"{unlinked} consolidator items linked to no finding"))
    print("\n".join(out), end="")
    return 0


def _as_json(results: list[Any], total: dict[str, dict[str, int]]) -> dict[str, Any]:
    from reviewvet.audit.calibration import calibration_dict

    reviews = []
    for calibration, sha, evidence, head, base in results:
        reviews.append({**calibration_dict(calibration), "head": head, "head_sha": sha, "head_evidence": evidence,
                        "base": base})
    return {"reviews": reviews, "total": total}
