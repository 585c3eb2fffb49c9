"""Evidence levels and graded verdicts: a false positive only when nothing but the reviewer's error explains it."""

from __future__ import annotations

from reviewvet.checks.matching import find_abbreviated
from reviewvet.ingest.parse import parse_review
from reviewvet.api import verify_repository

ROUND_ONE = (
    "package pool\n\n"
    "// Acquire hands out a connection, dialling a new one when the pool is empty.\n"
    "func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {\n"
    "\tp.mu.Lock()\n"
    "\tdefer p.mu.Unlock()\n"
    "\tif len(p.idle) == 0 {\n"
    "\t\treturn p.dial(ctx)\n"
    "\t}\n"
    "\tc := p.idle[len(p.idle)-1]\n"
    "\tp.idle = p.idle[:len(p.idle)-1]\n"
    "\treturn c, nil\n"
    "}\n"
)
# Round two fixes what the review complained about: the empty pool now dials within its limit.
ROUND_TWO = ROUND_ONE.replace("\t\treturn p.dial(ctx)\n", "\t\treturn p.dialWithinLimit(ctx)\n")
RUN_SH = '#!/bin/sh\n# Start the job in the background.\n"$@" &\nchild=$!\nwait "$child"\n'


def pool_repo(make_repo):
    """main: the pool without Acquire; PR 7: round one, then round two (the head that survives)."""
    repo = make_repo()
    repo.commit("pool: types", {"pool/pool.go": "package pool\n\ntype Pool struct{}\n", "run.sh": RUN_SH})
    repo.branch("feature")
    repo.checkout("feature")
    first = repo.commit("pool: acquire connections", {"pool/acquire.go": ROUND_ONE})
    repo.commit("pool: respect the limit", {"pool/acquire.go": ROUND_TWO})
    repo.run("update-ref", "refs/pull/7/head", "feature")
    return repo, first


def review(head: str, code: str, *, prose: str = "Acquire dials without checking the pool's limit.",
           ref: str = "pool/acquire.go:7-9") -> str:
    return (f"# Deep Review: pool\n\n| | |\n|---|---|\n| **PR** | #7 — pool |\n"
            f"| **Commits** | `{head}` pool: acquire connections |\n\n"
            f"## Important Issues\n\nI1. **Unbounded dialling** — `{ref}` [Claude]\n\n{prose}\n\n"
            f"```go\n{code}```\n\n*(important, regression.)*\n")


def only(result):
    (fv,) = [v for v in result.verdicts if v.finding.origin == "consolidated"]
    return fv, result.decisions[fv.finding.key]


def test_a_quote_of_code_changed_since_the_review_is_unverifiable_not_false(make_repo) -> None:
    repo, _ = pool_repo(make_repo)
    code = "\tif len(p.idle) == 0 {\n\t\treturn p.dial(ctx)\n\t}\n"
    text = review("abcdef1", code)  # the reviewed commit was force-pushed away
    result = verify_repository(repo.path, parse_review(text), head="refs/pull/7/head", base="main")
    fv, decision = only(result)
    assert result.revisions.head_evidence == "substitute-head"
    assert fv.quotes[0].status == "earlier-version"
    assert fv.quotes[0].span is not None and fv.quotes[0].span.side == "history"
    assert "gone by head" in fv.quotes[0].reason
    assert fv.verdict is not None and fv.verdict.grade == "unverifiable"
    assert "quote-changed" in fv.flags
    assert not decision.false_positive


def test_the_same_quote_at_the_reviewed_head_is_confirmed(make_repo) -> None:
    repo, first = pool_repo(make_repo)
    code = "\tif len(p.idle) == 0 {\n\t\treturn p.dial(ctx)\n\t}\n"
    result = verify_repository(repo.path, parse_review(review(first[:7], code)), head=first, base="main")
    fv, decision = only(result)
    assert result.revisions.head_evidence == "reviewed-head"
    assert fv.verdict is not None and fv.verdict.grade == "confirmed"
    assert not decision.false_positive


INVENTED = ("\tfor _, c := range p.borrowed {\n\t\tc.reapStale(p.clock.Now())\n\t}\n"
            "\tp.metrics.RecordLease(len(p.borrowed))\n")


def test_invented_code_is_refuted_at_the_reviewed_head(make_repo) -> None:
    repo, first = pool_repo(make_repo)
    result = verify_repository(repo.path, parse_review(review(first[:7], INVENTED)), head=first, base="main")
    fv, decision = only(result)
    assert fv.quotes[0].status == "absent" and fv.quotes[0].grade == "refuted"
    assert fv.verdict is not None and fv.verdict.grade == "refuted"
    assert fv.verdict.evidence == "reviewed-head"
    assert decision.false_positive and "RV101" in decision.rule_codes


def test_invented_code_in_no_surviving_version_is_refuted_at_a_substitute_head(make_repo) -> None:
    repo, _ = pool_repo(make_repo)
    result = verify_repository(repo.path, parse_review(review("abcdef1", INVENTED)), head="refs/pull/7/head",
                               base="main")
    fv, decision = only(result)
    assert result.revisions.head_evidence == "substitute-head"
    assert fv.quotes[0].grade == "refuted" and fv.quotes[0].presence == 0.0
    assert decision.false_positive


def test_a_mostly_real_edited_quote_is_doubtful_not_false(make_repo) -> None:
    repo, first = pool_repo(make_repo)
    edited = ("\tp.mu.Lock()\n\tdefer p.mu.Unlock()\n\tif len(p.idle) == 0 {\n"
              "\t\treturn p.dialWithBackoff(ctx, 3)\n\t}\n")
    result = verify_repository(repo.path, parse_review(review(first[:7], edited)), head=first, base="main")
    fv, decision = only(result)
    assert fv.quotes[0].grade == "doubtful"
    assert fv.verdict is not None and fv.verdict.grade == "doubtful"
    assert not decision.false_positive


def test_an_abbreviated_annotated_quote_is_found(make_repo) -> None:
    repo, first = pool_repo(make_repo)
    abbreviated = ("// pool/acquire.go:4-13 — Acquire()\n"
                   "func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {\n"
                   "\tp.mu.Lock()  // <- held across the dial\n"
                   "\tif len(p.idle) == 0 { return p.dial(ctx) }\n"
                   "\treturn c, nil\n}\n")
    result = verify_repository(repo.path, parse_review(review(first[:7], abbreviated, ref="pool/acquire.go:4-13")),
                               head=first, base="main")
    fv, decision = only(result)
    assert fv.quotes[0].status == "abbreviated"
    assert fv.quotes[0].span is not None and (fv.quotes[0].span.start, fv.quotes[0].span.end) == (4, 13)
    assert not decision.false_positive


def test_a_near_miss_the_finding_argues_about_is_refuted(make_repo) -> None:
    repo, first = pool_repo(make_repo)
    text = review(first[:7], '"$ @" &\n', ref="run.sh:3",
                  prose='The stray space in `"$ @"` splits the arguments, so the job never starts.')
    result = verify_repository(repo.path, parse_review(text), head=first, base="main")
    fv, decision = only(result)
    assert fv.quotes[0].status == "near-miss" and fv.quotes[0].argued
    assert fv.verdict is not None and fv.verdict.grade == "refuted"
    assert decision.false_positive and "RV102" in decision.rule_codes


def test_a_near_miss_the_finding_does_not_argue_about_is_only_flagged(make_repo) -> None:
    repo, first = pool_repo(make_repo)
    swapped = "\tc := p.idle[len(p.idle)-1]\n\tp.idle = p.idel[:len(p.idle)-1]\n\treturn c, nil\n"
    result = verify_repository(repo.path, parse_review(review(first[:7], swapped, ref="pool/acquire.go:10-12")),
                               head=first, base="main")
    fv, decision = only(result)
    assert fv.quotes[0].status == "near-miss" and not fv.quotes[0].argued
    assert "near-miss-quote" in fv.flags
    assert fv.verdict is not None and fv.verdict.grade == "doubtful"
    assert not decision.false_positive


def test_head_auto_prefers_the_reviews_own_pull_request(make_repo) -> None:
    """A stacked PR carries a commit with the same subject: the review's own PR ref must win."""
    repo, _ = pool_repo(make_repo)
    repo.branch("stacked")
    repo.checkout("stacked")
    repo.commit("pool: acquire connections", {"pool/extra.go": "package pool\n"})
    repo.run("update-ref", "refs/pull/3/head", "stacked")
    result = verify_repository(repo.path, parse_review(review("abcdef1", INVENTED)), head="auto", base="main")
    assert result.revisions.head == repo.rev("refs/pull/7/head")
    assert result.revisions.head_source == "pr-ref"
    assert any("refs/pull/7/head" in n and "other candidates" in n for n in result.revisions.notes)


def test_flattened_blocks_are_guesses(make_repo) -> None:
    repo, first = pool_repo(make_repo)
    text = (f"Deep Review: pool\n| Commits | {first[:7]} pool: acquire connections |\nImportant Issues ¶\n"
            "I1. Acquire dials without checking the limit (important, regression) Claude\n"
            "The pool keeps dialling while the limit is reached and a counter drifts.\n"
            "p.mu.Lock()\ndefer p.mu.Unlock()\nif p.open > p.limitFor(ctx) {\n"
            "Fix: check the limit first.\n")
    result = verify_repository(repo.path, parse_review(text), head=first, base="main")
    fv, decision = only(result)
    assert result.review.format == "flattened"
    graded = [q for q in fv.quotes if q.grade]
    assert graded and all(q.evidence == "flattened" for q in graded)
    assert all(q.grade != "refuted" for q in graded)
    assert not decision.false_positive


def test_abbreviated_matcher() -> None:
    lines = (
        "func run() error {",
        "\t// Open the store first.",
        "\ts, err := open(",
        "\t\tpath,",
        "\t)",
        "\tif err != nil {",
        "\t\treturn err",
        "\t} else if s == nil {",
        "\t\treturn errNoStore",
        "\t}",
        "\treturn s.Close()",
        "}",
    )
    joined = ["s, err := open(path)", "if err != nil {", "return err", "}", "return s.Close()"]
    assert find_abbreviated(joined, lines) == (2, 10)
    noted = ["if err != nil {  // the reviewer's note", "return err"]
    assert find_abbreviated(noted, lines) == (5, 6)
    assert find_abbreviated(["if err != nil {", "return errInvented"], lines) is None
    far = ["func run() error {", "return s.Close()"]
    assert find_abbreviated(far, lines) == (0, 10)
    assert find_abbreviated(far, lines[:1] + ("\tx()",) * 40 + lines[10:]) is None


def test_a_partial_match_at_a_substitute_head_is_unverifiable(make_repo) -> None:
    repo, _ = pool_repo(make_repo)
    edited = ("\tp.mu.Lock()\n\tdefer p.mu.Unlock()\n\tif len(p.idle) == 0 {\n"
              "\t\treturn p.dialWithBackoff(ctx, 3)\n\t}\n")
    result = verify_repository(repo.path, parse_review(review("abcdef1", edited)), head="refs/pull/7/head", base="main")
    fv, decision = only(result)
    assert fv.quotes[0].status in ("absent", "near-miss") and fv.quotes[0].grade == "unverifiable"
    assert "may have changed since the review" in fv.quotes[0].reason
    assert not decision.false_positive


def test_another_projects_path_excuses_only_the_blocks_about_it(make_repo) -> None:
    repo, first = pool_repo(make_repo)
    upstream = "func (s *Server) Accept(l net.Listener) error {\n\tfor {\n\t\tconn, err := l.Accept()\n"
    text = (f"# Deep Review: pool\n\n| | |\n|---|---|\n| **Commits** | `{first[:7]}` pool: acquire connections |\n\n"
            "## Important Issues\n\nI1. **Unbounded dialling** — `pool/acquire.go:4-13` [Claude]\n\n"
            "Upstream does it the other way, see `netlib/server/accept.go:40-42`:\n\n"
            f"```go\n{upstream}```\n\nWhile here, `pool/acquire.go:7-9` reads:\n\n```go\n{INVENTED}```\n\n"
            "*(important, regression.)*\n")
    result = verify_repository(repo.path, parse_review(text), head=first, base="main")
    fv, decision = only(result)
    foreign, invented = fv.quotes
    assert foreign.grade == "doubtful" and "never had" in foreign.reason
    assert invented.grade == "refuted"
    assert decision.false_positive


def test_a_pointer_type_is_its_type(make_repo) -> None:
    repo, first = pool_repo(make_repo)
    text = review(first[:7], INVENTED.replace("p.metrics", "p.stats"),
                  prose="Every `*Pool` shares one lock, so `Acquire` serialises all dials.")
    result = verify_repository(repo.path, parse_review(text), head=first, base="main")
    fv, _ = only(result)
    assert {s.identifier: s.status for s in fv.symbols}["*Pool"] == "found"
