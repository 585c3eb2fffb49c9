"""``reviewvet blame``: provenance of locations, without a review."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict
from pathlib import Path

from reviewvet.errors import UsageError

_LOCATION = re.compile(r"^(?P<path>[^:]+):(?P<start>\d+)(?:-(?P<end>\d+))?$")


def add_blame_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    blame = sub.add_parser(
        "blame", help="regression or gap for locations: blame against the merge base",
        description="For each PATH:LINES, blame just those lines at --head, bounded by the merge base of --base "
                    "and --head: regression (every line new in the pull request, commits named), gap (every "
                    "line older; the newest old commit and its date), mixed (split by line), widened (a gap "
                    "whose callers or callees the pull request changed), or unknown with the reason.",
    )
    blame.add_argument("locations", nargs="+", metavar="PATH:LINES", help="e.g. cmd/x/main.go:40-52 or a.sh:7")
    blame.add_argument("--repo", type=Path, default=Path("."), help="the git repository (default: .)")
    blame.add_argument("--head", default="HEAD", help="the pull request's head (default HEAD)")
    blame.add_argument("--base", default=None, help="base revision (default main or master)")
    blame.add_argument("--merge-base", dest="merge_base", default=None, metavar="SHA", help="use this merge base")
    blame.add_argument("--no-ignore-whitespace", action="store_true", help="do not pass -w to git blame")
    blame.add_argument("--no-move-detection", action="store_true", help="do not pass -M -C to git blame")
    blame.add_argument("--json", action="store_true", help="print JSON")
    blame.set_defaults(run=run_blame)


def blame_options(args: argparse.Namespace) -> tuple[str, ...]:
    options = () if args.no_ignore_whitespace else ("-w",)
    return options + (() if args.no_move_detection else ("-M", "-C"))


def run_blame(args: argparse.Namespace) -> int:
    from reviewvet.checks.context import CheckContext, CheckOptions
    from reviewvet.checks.provenance import provenance_for
    from reviewvet.git import Git
    from reviewvet.resolve.revisions import resolve_revisions
    from reviewvet.resolve.snapshot import FileText, Snapshot

    git = Git(args.repo)
    revisions = resolve_revisions(git, None, head=args.head, base=args.base, merge_base=args.merge_base)
    if revisions.merge_base is None:
        raise UsageError("no merge base between --base and --head: " + "; ".join(revisions.notes))
    ctx = CheckContext(Snapshot(git, revisions.head), Snapshot(git, revisions.merge_base),
                       CheckOptions(blame_options=blame_options(args)))
    claims = [_claim(ctx, text) for text in args.locations]
    for claim in claims:
        text = ctx.head.file(claim.path)
        if not isinstance(text, FileText):
            raise UsageError(f"{claim.path!r} cannot be read at the head: {getattr(text, 'reason', 'absent')}")
        if claim.end > len(text.lines):
            raise UsageError(f"{claim.path}:{claim.start}-{claim.end} runs past the end ({len(text.lines)} lines)")
    results = [group[0] for group in provenance_for(ctx, revisions.merge_base, revisions.head, [[c] for c in claims])]
    if args.json:
        print(json.dumps({"head": revisions.head, "merge_base": revisions.merge_base,
                          "locations": [asdict(r) for r in results]}, indent=2, sort_keys=True))
        return 0
    from reviewvet.report.escape import visible
    from reviewvet.report.text import describe_claim_provenance

    print(f"head {revisions.head[:12]}, merge base {revisions.merge_base[:12]} ({revisions.merge_base_source})")
    for result in results:
        print(visible(describe_claim_provenance(result)))
        if result.base_symbol is not None and result.base_symbol.diff:
            print("\n".join("    " + visible(line) for line in result.base_symbol.diff.splitlines()))
    return 0


def _claim(ctx, text: str):  # type: ignore[no-untyped-def]
    from reviewvet.checks.provenance import Claim

    match = _LOCATION.match(text)
    if not match:
        raise UsageError(f"location {text!r} is not PATH:LINE or PATH:START-END")
    start = int(match["start"])
    end = int(match["end"] or start)
    if start < 1 or end < start:
        raise UsageError(f"location {text!r}: the range must start at 1 or later and not run backwards")
    resolution = ctx.resolve(match["path"])
    if not resolution.usable or resolution.path is None:
        raise UsageError(f"location {text!r}: {resolution.reason}")
    return Claim(resolution.path, start, end, "location")
