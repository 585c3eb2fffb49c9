"""Recall stays: errors planted in seed 003 (the one review verified at the very code it read) are caught.

Each mutation is built from the parsed review (the finding, its code block's lines, its line claim),
not from fixed line numbers, and is verified on its own at refs/pull/295/head.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reviewvet.model.checks import FOUND, FindingVerdict, LineCheck
from reviewvet.model.review import CodeBlock
from reviewvet.ingest.parse import parse_review
from reviewvet.model.verification import Verification

from .conftest import Seed, verify_at_pr

pytestmark = pytest.mark.slow  # the real repository is cloned and the seeds verified: about 30 s

# Go of our own: braces, := and calls, with names that exist nowhere in the repository.
INVENTED_GO = """\
func (q *quorumLedger) settleWithPeers(ctx context.Context) error {
tally := q.ballotBox.countVotes(ctx)
if tally.missing > q.toleratedAbsences {
return q.escalateToArbiter(tally)
}
q.lastSettled = time.Now()
return q.sealRound(tally.round)
}"""
INVENTED_NAMES = ("quorumLedger", "settleWithPeers", "ballotBox", "countVotes", "toleratedAbsences",
                  "escalateToArbiter", "lastSettled", "sealRound")
_IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{5,}\b")
LINE_SHIFT = 150


@pytest.fixture(scope="module")
def seed_003(verified_seeds: dict[str, Seed]) -> Seed:
    return verified_seeds["003"]


def _verify_text(repo: Path, text: str) -> Verification:
    return verify_at_pr(parse_review(text, "003-mutated.txt"), repo, 295)


def _block_start(lines: list[str], block: CodeBlock) -> int:
    """The index in ``lines`` of the block's first line, looked for around the line the parser gives."""
    body = [b.strip() for b in block.text.rstrip("\n").split("\n")]
    for start in sorted(range(max(block.line - 4, 0), block.line + 3), key=lambda i: abs(i - block.line + 1)):
        if [x.strip() for x in lines[start:start + len(body)]] == body:
            return start
    raise AssertionError(f"block of review line {block.line} not found in the document")


def _pick(seed: Seed, taken: set[str], ok: Callable[[FindingVerdict], bool]) -> FindingVerdict:
    for fv in seed.verification.verdicts:
        if fv.finding.origin == "consolidated" and fv.finding.key not in taken and ok(fv):
            taken.add(fv.finding.key)
            return fv
    raise AssertionError("seed 003 has no finding to plant this error in")


@dataclass(frozen=True)
class Targets:
    invented: FindingVerdict  # its cited files all exist and an evidence block is found: replaced by invented code
    swapped: FindingVerdict  # an evidence block found, no quote flag yet: two letters of an identifier swapped
    swap: tuple[int, int, str]  # block index, line within the block, identifier
    moved: FindingVerdict  # no wrong-line flag yet: one line claim moved by LINE_SHIFT lines
    claim: LineCheck


@pytest.fixture(scope="module")
def targets(seed_003: Seed, real_repo: Path) -> Targets:
    """Three different consolidated findings to plant errors in.

    The moved claim is one checked against a located quote, the finding's only claim on that file,
    and still inside the file once moved: a claim checked only against a mentioned identifier becomes
    'unverified' when moved, and with a second claim on the same file the quote is paired with whichever
    claim is closer, so the wrong line would be reported on the other claim."""
    taken: set[str] = set()

    def movable_claims(fv: FindingVerdict) -> list[LineCheck]:
        return [c for c in fv.lines if _located_by_quote(c) and c.path is not None
                and [x.path for x in fv.lines].count(c.path) == 1
                and _line_count(real_repo, c.path) >= (c.reference.end or 0) + LINE_SHIFT]

    quote_flags = {"near-miss-quote", "hallucinated-quote"}
    invented = _pick(seed_003, taken, lambda v: bool(v.paths) and all(p.usable for p in v.paths)
                     and bool(_found_evidence(v)))
    swapped = _pick(seed_003, taken, lambda v: not quote_flags & set(v.flags) and _swappable(v) is not None)
    moved = _pick(seed_003, taken, lambda v: "wrong-line" not in v.flags and bool(movable_claims(v)))
    return Targets(invented, swapped, _swappable(swapped) or (0, 0, ""), moved, movable_claims(moved)[0])


def _located_by_quote(check: LineCheck) -> bool:
    located = check.status in ("exact", "contained", "drifted") and check.basis == "quote"
    return located and ":" in check.reference.written


def _line_count(repo: Path, path: str) -> int:
    shown = subprocess.run(["git", "-C", str(repo), "show", f"refs/pull/295/head:{path}"], capture_output=True,
                           text=True, check=True)
    return len(shown.stdout.splitlines())


def _found_evidence(fv: FindingVerdict) -> list[int]:
    return [i for i, (b, q) in enumerate(zip(fv.finding.blocks, fv.quotes, strict=True))
            if b.role == "evidence" and q.status in FOUND]


def _same_finding(result: Verification, fv: FindingVerdict) -> FindingVerdict:
    [mutated] = [v for v in result.verdicts if v.finding.key == fv.finding.key]
    assert mutated.finding.title == fv.finding.title
    return mutated


def test_invented_code_in_an_evidence_block_is_refuted(seed_003: Seed, real_repo: Path, targets: Targets) -> None:
    fv = targets.invented
    found = subprocess.run(["git", "-C", str(real_repo), "grep", "-q", "-w", *(x for n in INVENTED_NAMES
                           for x in ("-e", n)), "refs/pull/295/head", "base/pr-295"], capture_output=True)
    assert found.returncode == 1, "an invented name exists in the repository"
    block = fv.finding.blocks[_found_evidence(fv)[0]]
    lines = seed_003.text.split("\n")
    start = _block_start(lines, block)
    count = len(block.text.rstrip("\n").split("\n"))
    lines[start:start + count] = INVENTED_GO.split("\n")
    print(f"\nplanted: {fv.finding.key} ({fv.finding.title[:50]!r}): review lines {start + 1}-{start + count} "
          f"(its evidence block) replaced by {len(INVENTED_GO.splitlines())} lines of invented Go")
    result = _verify_text(real_repo, "\n".join(lines))
    mutated = _same_finding(result, fv)
    assert mutated.verdict is not None and mutated.verdict.grade == "refuted", mutated.verdict
    assert result.decisions[mutated.finding.key].false_positive
    print(f"  caught: {mutated.verdict.grade}, false positive; {mutated.verdict.reasons[0]}")


def _swappable(fv: FindingVerdict) -> tuple[int, int, str] | None:
    """An evidence block found at head, one of its code lines, and an identifier on it the prose never names."""
    prose = f"{fv.finding.title}\n{fv.finding.body}"
    for i in _found_evidence(fv):
        for n, line in enumerate(fv.finding.blocks[i].text.split("\n")):
            if line.lstrip().startswith(("//", "#")):
                continue
            for name in _IDENTIFIER.findall(line):
                if name not in prose and _swap(name) != name:
                    return i, n, name
    return None


def _swap(name: str) -> str:
    """Two adjacent letters in the middle of the name swapped (the name itself when they are equal)."""
    i = len(name) // 2
    if not (name[i].isalpha() and name[i + 1].isalpha()):
        return name
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def test_two_swapped_letters_in_a_quoted_identifier_are_flagged(seed_003: Seed, real_repo: Path,
                                                                  targets: Targets) -> None:
    fv = targets.swapped
    block_index, offset, name = targets.swap
    block = fv.finding.blocks[block_index]
    lines = seed_003.text.split("\n")
    at = _block_start(lines, block) + offset
    lines[at] = re.sub(rf"\b{re.escape(name)}\b", _swap(name), lines[at], count=1)
    print(f"\nplanted: {fv.finding.key} ({fv.finding.title[:50]!r}): review line {at + 1}, "
          f"{name!r} -> {_swap(name)!r}")
    result = _verify_text(real_repo, "\n".join(lines))
    mutated = _same_finding(result, fv)
    assert {"near-miss-quote", "hallucinated-quote"} & set(mutated.flags), mutated.flags
    [quote] = [q for q in mutated.quotes if q.block_line == block.line]
    assert quote.status in ("near-miss", "absent"), quote
    print(f"  caught: flags {mutated.flags}; block at review line {block.line}: {quote.status}")


def test_a_line_claim_moved_by_150_lines_is_a_wrong_line(seed_003: Seed, real_repo: Path, targets: Targets) -> None:
    fv = targets.moved
    ref = targets.claim.reference
    assert ref.start is not None
    end = f"-{ref.end + LINE_SHIFT}" if ref.end is not None and ref.end != ref.start else ""
    moved = f"{ref.path}:{ref.start + LINE_SHIFT}{end}"
    lines = seed_003.text.split("\n")
    assert ref.written in lines[ref.line - 1]
    lines[ref.line - 1] = lines[ref.line - 1].replace(ref.written, moved, 1)
    print(f"\nplanted: {fv.finding.key} ({fv.finding.title[:50]!r}): review line {ref.line}, "
          f"{ref.written!r} -> {moved!r}")
    result = _verify_text(real_repo, "\n".join(lines))
    mutated = _same_finding(result, fv)
    assert "wrong-line" in mutated.flags, mutated.flags
    [claim] = [c for c in mutated.lines if c.reference.written == moved]
    assert claim.status == "wrong", claim
    print(f"  caught: flags {mutated.flags}; {moved}: {claim.status} ({claim.reason})")

