"""The Python API end to end, importing nothing of reviewvet but ``reviewvet.api``: what a script,
a service or a worker sees."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from reviewvet import api
from tests.conftest import REVIEWS


def demo_review() -> api.Review:
    return api.read_review((REVIEWS / "demo-review.md").read_text("utf-8"), source="demo-review.md")


def grades(result: api.Verification) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {v.finding.key: (v.verdict.grade if v.verdict else "", v.flags) for v in result.verdicts}


@pytest.fixture(scope="module")
def first(demo_repo) -> api.Verification:
    with api.open_workspace(demo_repo.path, head=demo_repo.head, base=demo_repo.base, use_cache=False) as ws:
        return api.verify(ws, demo_review(), api.VerifyOptions(context=REVIEWS / "demo-context.yaml"))


def test_the_demo_review_is_verified_end_to_end(first: api.Verification, demo_repo) -> None:
    assert first.revisions.head == demo_repo.head_sha and first.revisions.merge_base == demo_repo.merge_base
    found = grades(first)
    assert found["consolidated/I1"] == ("confirmed", ())
    assert len(found) == len(demo_review().all_findings())
    # the demo's "$*"-for-"$@" finding (and the agent's own copy of it) is the one false positive declared
    false_positives = sorted(key for key, d in first.decisions.items() if d.false_positive)
    assert false_positives == ["Gemini/S3", "consolidated/S2"]
    assert first.git_processes > 0 and [name for name, _ in first.timings] == [
        "resolve", "checks", "provenance", "rules"]


def test_every_output_format_renders_the_result_without_the_repository(first: api.Verification) -> None:
    sarif = api.render("sarif", first)
    assert '"version": "2.1.0"' in sarif and "primaryLocationLineHash" in sarif
    assert "consolidated/I1" in api.render("markdown", first)
    assert api.render("json", first).startswith("{")
    with pytest.raises(ValueError, match="unknown output format 'html'"):
        api.render("html", first)


def test_a_warm_workspace_reverifies_one_amended_finding_with_fewer_git_processes(demo_repo) -> None:
    review = demo_review()
    with api.open_workspace(demo_repo.path, head=demo_repo.head, base=demo_repo.base, use_cache=False) as ws:
        whole = api.verify(ws, review)
        target = review.findings[0]
        moved = dataclasses.replace(target.references[0], start=(target.references[0].start or 1) + 40,
                                    end=(target.references[0].end or 1) + 40)
        amended = dataclasses.replace(target, references=(moved, *target.references[1:]))
        again = api.verify_findings(ws, [amended], review=review)
    assert [v.finding.key for v in again.verdicts] == [target.key]
    [line] = [c for c in again.verdicts[0].lines if c.reference == moved]
    assert line.status == "wrong"  # the amended claim is judged, not the original one
    assert again.git_processes < whole.git_processes


def test_one_workspace_is_safe_to_share_between_threads(demo_repo, tmp_path: Path) -> None:
    review = demo_review()
    results: list[api.Verification] = []
    with api.open_workspace(demo_repo.path, head=demo_repo.head, base=demo_repo.base, cache_dir=tmp_path) as ws:
        threads = [threading.Thread(target=lambda: results.append(api.verify(ws, review))) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert ws.cache is not None and ws.cache.problem == ""  # the parse cache served every thread
    assert len(results) == 3
    assert grades(results[0]) == grades(results[1]) == grades(results[2])


def test_a_closed_workspace_refuses_work(demo_repo) -> None:
    with api.open_workspace(demo_repo.path, head=demo_repo.head, base=demo_repo.base, use_cache=False) as ws:
        pass
    with pytest.raises(ValueError, match="closed"):
        api.verify(ws, demo_review())


def test_blame_and_index_through_the_api(demo_repo) -> None:
    with api.open_workspace(demo_repo.path, head=demo_repo.head, base=demo_repo.base, use_cache=False) as ws:
        blamed = api.blame(ws, ["agent/internal/retry/budget.go:58-62"])
        parsed = api.index(ws)
        with pytest.raises(api.ReviewvetError) as bad:
            api.blame(ws, ["agent/internal/retry/budget.go:0-3"])
    [location] = blamed.locations
    assert location.path == "agent/internal/retry/budget.go" and location.status in ("regression", "gap", "mixed",
                                                                                      "widened")
    assert bad.value.field == "locations" and "--" not in str(bad.value)
    assert any(s.path == "agent/internal/retry/budget.go" for s in parsed.symbols)


def test_a_library_error_names_the_input_not_a_flag(demo_repo, tmp_path: Path) -> None:
    with api.open_workspace(demo_repo.path, head=demo_repo.head, base=demo_repo.base, use_cache=False) as ws:
        with pytest.raises(api.ReviewvetError) as missing:
            api.verify(ws, demo_review(), api.VerifyOptions(context=tmp_path / "absent.yaml"))
    assert missing.value.field == "context"
    assert "absent.yaml" in str(missing.value) and "--context" not in str(missing.value)


def test_each_review_in_a_warm_workspace_is_judged_by_its_own_head(demo_repo) -> None:
    """The same head is the reviewed one for a review that names it, a given one for a review naming none:
    a workspace that verified the first must not carry that certainty over to the second."""
    named = demo_review()
    unnamed = dataclasses.replace(named, head_sha=None, commits=())
    with api.open_workspace(demo_repo.path, head=demo_repo.head, base=demo_repo.base, use_cache=False) as ws:
        first = api.verify(ws, named).revisions.head_evidence
        second = api.verify(ws, unnamed).revisions.head_evidence
    assert (first, second) == ("reviewed-head", "user-given-head")

