"""The lookup store: every text blob read once, ever; later runs answer from it with the same verdicts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reviewvet import api
from reviewvet.checks.search import LineIndex, normalised_lines
from reviewvet.checks.symbols import words_of
from reviewvet.git import Git
from reviewvet.index.lookups import LOOKUPS_FILE, BlobLookups, RevisionLines, RevisionWords, line_hash
from reviewvet.resolve.snapshot import Snapshot
from tests.conftest import REVIEWS


def _verify(demo_repo, cache: Path | None) -> tuple[api.Verification, BlobLookups | None]:
    review = api.read_review((REVIEWS / "demo-review.md").read_text("utf-8"), source="demo-review.md")
    with api.open_workspace(demo_repo.path, head=demo_repo.head, base=demo_repo.base, cache_dir=cache,
                            use_cache=cache is not None) as ws:
        lookups = ws.lookups
        return api.verify(ws, review, api.VerifyOptions(context=REVIEWS / "demo-context.yaml")), lookups


def _outcome(result: api.Verification) -> dict[str, object]:
    return {v.finding.key: (v.verdict, v.quotes, v.symbols, v.flags, result.decisions[v.finding.key])
            for v in result.verdicts}


def test_a_second_run_reads_no_blob_and_decides_the_same(demo_repo, tmp_path: Path) -> None:
    without, _ = _verify(demo_repo, None)
    first, recorded = _verify(demo_repo, tmp_path / "cache")
    again, second = _verify(demo_repo, tmp_path / "cache")
    assert recorded is not None and second is not None
    assert recorded.blobs_recorded > 0 and (tmp_path / "cache" / LOOKUPS_FILE).is_file()
    assert second.blobs_recorded == 0
    assert _outcome(first) == _outcome(without) == _outcome(again)


def test_a_new_revision_records_only_the_blobs_it_changed(make_repo, tmp_path: Path) -> None:
    repo = make_repo()
    files = {f"pkg/f{i}.go": f"package pkg\n\n// File{i} is number {i}.\nfunc File{i}() int {{ return {i} }}\n"
             for i in range(12)}
    old = repo.commit("twelve files", files)
    new = repo.commit("one changed", {"pkg/f3.go": "package pkg\n\nfunc Renamed() int { return 33 }\n"})
    git = Git(repo.path)
    lookups = BlobLookups(tmp_path / "cache", words_of, normalised_lines)
    assert lookups.prepare(Snapshot(git, old)) and lookups.blobs_recorded == 12
    head = Snapshot(git, new)
    assert lookups.prepare(head) and lookups.blobs_recorded == 13
    lines = RevisionLines(lookups, head)
    assert lines.lookup(["func Renamed() int { return 33 }"])["func Renamed() int { return 33 }"].paths == (
        "pkg/f3.go",)
    # A line only the old revision had is absent here, for certain.
    gone = lines.lookup(["func File3() int { return 3 }"])["func File3() int { return 3 }"]
    assert gone.absent
    words = RevisionWords(lookups, head)
    assert "Renamed" in words and "File3" not in words and "File4" in words


def test_the_store_answers_as_the_in_memory_index(demo_repo, tmp_path: Path) -> None:
    snapshot = Snapshot(Git(demo_repo.path), demo_repo.head_sha)
    memory = LineIndex.build(snapshot)
    lookups = BlobLookups(tmp_path / "cache", words_of, normalised_lines)
    assert lookups.prepare(snapshot)
    stored = RevisionLines(lookups, snapshot)
    asked = sorted({n for f in snapshot.text_files() for n in normalised_lines(f.lines)})
    assert len(asked) > 100
    assert stored.lookup(asked) == memory.lookup(asked)


def test_line_hashes_are_the_same_in_every_process() -> None:
    line = "if err := run(ctx); err != nil {"
    other = subprocess.run([sys.executable, "-c", "from reviewvet.index.lookups import line_hash; "
                            f"print(line_hash({line!r}))"], capture_output=True, text=True, check=True)
    assert int(other.stdout) == line_hash(line)


def test_an_unusable_store_is_reported_and_bypassed(demo_repo, tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    lookups = BlobLookups(blocked, words_of, normalised_lines)
    assert not lookups.usable and str(blocked) in lookups.problem
    assert not lookups.prepare(Snapshot(Git(demo_repo.path), demo_repo.head_sha))
    without, _ = _verify(demo_repo, None)
    broken, _ = _verify(demo_repo, blocked)
    assert _outcome(broken) == _outcome(without)
