"""``reviewvet blame``: provenance of locations, without a review."""

from __future__ import annotations

import argparse
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reviewvet.cli.emit import as_json, emit, lines
from reviewvet.cli.options import add_blame_flags, add_output, add_pull_request, blame_options
from reviewvet.errors import UsageError

if TYPE_CHECKING:
    from reviewvet.cli.options import Subparsers
    from reviewvet.model.checks import ClaimProvenance

_LOCATION = re.compile(r"^(?P<path>[^:]+):(?P<start>\d+)(?:-(?P<end>\d+))?$")


def add_parser(sub: Subparsers) -> None:
    blame = sub.add_parser(
        "blame", help="regression or gap for locations: blame against the merge base",
        description="For each PATH:LINES, blame just those lines at --head, bounded by the merge base of --base "
                    "and --head: regression (every line new in the pull request, commits named), gap (every "
                    "line older; the newest old commit and its date), mixed (split by line), widened (a gap "
                    "whose callers or callees the pull request changed), or unknown with the reason.",
    )
    blame.add_argument("locations", nargs="+", metavar="PATH:LINES", help="e.g. cmd/x/main.go:40-52 or a.sh:7")
    add_pull_request(blame, head_help="the pull request's head (default HEAD)")
    add_blame_flags(blame.add_argument_group("blame"))
    add_output(blame, ("text", "json"), "text", json_alias=True)
    blame.set_defaults(run=run)


@dataclass(frozen=True)
class Location:
    """A ``PATH:LINE`` or ``PATH:START-END`` argument, as given."""

    written: str
    path: str
    start: int
    end: int


@dataclass(frozen=True)
class Blamed:
    head: str
    merge_base: str
    merge_base_source: str
    results: tuple[ClaimProvenance, ...]


def run(args: argparse.Namespace) -> int:
    locations = [parse_location(text) for text in args.locations]
    blamed = blame(args.repo, locations, head=args.head, base=args.base, merge_base=args.merge_base,
                   options=blame_options(args))
    emit(as_json(blamed_data(blamed)) if args.format == "json" else blamed_text(blamed), args.output)
    return 0


def parse_location(text: str) -> Location:
    match = _LOCATION.match(text)
    if not match:
        raise UsageError(f"location {text!r} is not PATH:LINE or PATH:START-END")
    start = int(match["start"])
    end = int(match["end"] or start)
    if start < 1 or end < start:
        raise UsageError(f"location {text!r}: the range must start at 1 or later and not run backwards")
    return Location(text, match["path"], start, end)


# -- the blame ------------------------------------------------------------------------------------


def blame(repo: Path, locations: list[Location], *, head: str, base: str | None, merge_base: str | None,
          options: tuple[str, ...]) -> Blamed:
    """Provenance of each location at ``head``, bounded by the merge base of ``base`` and ``head``."""
    from reviewvet import api

    with api.open_workspace(repo, head, base, merge_base, use_cache=False) as workspace:
        result = api.blame(workspace, [location.written for location in locations], options)
    revisions = result.revisions
    assert revisions.merge_base is not None
    return Blamed(revisions.head, revisions.merge_base, revisions.merge_base_source, result.locations)


# -- output ---------------------------------------------------------------------------------------


def blamed_data(blamed: Blamed) -> dict[str, object]:
    return {"head": blamed.head, "merge_base": blamed.merge_base, "locations": [asdict(r) for r in blamed.results]}


def blamed_text(blamed: Blamed) -> str:
    from reviewvet.report.escape import visible
    from reviewvet.report.text import describe_claim_provenance

    out = [f"head {blamed.head[:12]}, merge base {blamed.merge_base[:12]} ({blamed.merge_base_source})"]
    for result in blamed.results:
        out.append(visible(describe_claim_provenance(result)))
        if result.base_symbol is not None and result.base_symbol.diff:
            out += ["    " + visible(line) for line in result.base_symbol.diff.splitlines()]
    return lines(*out)
