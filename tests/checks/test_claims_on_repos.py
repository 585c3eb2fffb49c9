"""Quote and line checks on small repositories built for one behaviour each."""

from __future__ import annotations

import json
from pathlib import Path

from reviewvet.ingest.parse import parse_review
from reviewvet.api import load_review, verify_repository

WORKER = "".join(f"// filler line {i}\n" for i in range(1, 6)) + (
    "func drain(q *Queue) int {\n"
    "\tn := 0\n"
    "\tfor q.Len() > 0 {\n"
    "\t\tq.Pop()\n"
    "\t\tn++\n"
    "\t}\n"
    "\treturn n\n"
    "}\n"
)
DOC = (
    "# Draining\n\n"
    "When the worker stops it **drains** the queue:\n"
    "every item still waiting is popped and\n"
    "counted, then `drain` returns the count.\n"
)


def two_branch_repo(make_repo):
    """main: worker.go with drain at lines 6-13; feature: six lines inserted above it, docs added."""
    repo = make_repo()
    repo.commit("worker: add drain", {"worker.go": WORKER})
    repo.branch("feature")
    repo.checkout("feature")
    header = "".join(f"// header {i}\n" for i in range(6))
    repo.commit("worker: document the file", {"worker.go": header + WORKER, "docs/drain.md": DOC})
    return repo


def run(repo, text: str):
    return verify_repository(repo.path, parse_review(text), head="feature", base="main")


def finding(ref: str, code: str, lang: str = "go") -> str:
    return (f"# Deep Review: t\n\n## Important Issues\n\nI1. **Drain** — `{ref}` [Claude]\n\n"
            f"```{lang}\n{code}```\n\n*(important, gap.)*\n")


def test_lines_cited_from_the_merge_base_are_stale(make_repo) -> None:
    repo = two_branch_repo(make_repo)
    result = run(repo, finding("worker.go:6-13", "func drain(q *Queue) int {\n\tn := 0\n"))
    (v,) = result.verdicts
    quote = v.quotes[0]
    assert quote.status == "exact" and quote.span is not None and quote.span.start == 12
    (line,) = v.lines
    assert line.status == "stale" and line.drift == -6
    assert "stale-lines" in v.flags


def test_lines_at_head_are_exact_or_contained(make_repo) -> None:
    repo = two_branch_repo(make_repo)
    exact = run(repo, finding("worker.go:12-13", "func drain(q *Queue) int {\n\tn := 0\n")).verdicts[0]
    wider = run(repo, finding("worker.go:12-19", "func drain(q *Queue) int {\n\tn := 0\n")).verdicts[0]
    assert [c.status for c in exact.lines] == ["exact"]
    assert [c.status for c in wider.lines] == ["contained"]
    assert exact.flags == wider.flags == ()


def test_reflowed_prose_quote_from_a_markdown_file(make_repo) -> None:
    repo = two_branch_repo(make_repo)
    quote = "When the worker stops it drains the queue: every item\nstill waiting is popped and counted\n"
    (v,) = run(repo, finding("docs/drain.md:3-5", quote, lang="")).verdicts
    assert v.quotes[0].status == "reflowed"
    assert v.quotes[0].span is not None and (v.quotes[0].span.start, v.quotes[0].span.end) == (3, 5)
    assert [c.status for c in v.lines] == ["exact"]


def test_absent_quote_in_an_existing_file_differs_from_a_missing_file(make_repo) -> None:
    repo = two_branch_repo(make_repo)
    invented = "func drainAll(queues []*Queue) {\n\tfor _, q := range queues { panic(q) }\n"
    absent = run(repo, finding("worker.go:12-13", invented)).verdicts[0]
    no_file = run(repo, finding("pool.go:12-13", invented)).verdicts[0]
    assert absent.quotes[0].status == "absent" and "hallucinated-quote" in absent.flags
    assert no_file.quotes[0].status == "no-file" and "missing-file" in no_file.flags
    assert [c.status for c in no_file.lines] == ["file-missing"]


def test_structured_claims_verify_like_markdown(make_repo, tmp_path: Path) -> None:
    repo = two_branch_repo(make_repo)
    claims = {"reviewvet_claims": 1, "findings": [{
        "id": "I1", "title": "drain", "severity": "important",
        "locations": [{"path": "worker.go", "start": 6, "end": 13}],
        "quotes": [{"text": "func drain(q *Queue) int {\n\tn := 0", "language": "go"}]}]}
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(claims), encoding="utf-8")
    review = load_review(path)
    assert review.format == "claims-json"
    (v,) = verify_repository(repo.path, review, head="feature", base="main").verdicts
    assert v.quotes[0].status == "exact"
    assert [c.status for c in v.lines] == ["stale"]
