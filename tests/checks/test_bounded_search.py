"""The all-files quote search is bounded: over ``max_index_bytes`` a revision is searched with
``git grep`` instead of an index, with the same verdicts; what a bound cuts short (candidate files
over the scan budget, a language's files over the fuzzy budget, earlier versions over the history
limits) leaves a quote doubtful, never refuted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reviewvet.checks.context import CheckContext
from reviewvet.model.verification import CheckOptions
from reviewvet.checks.matching import _FileMemo
from reviewvet.checks.search import GrepLines, GrepWords, LineIndex
from reviewvet.checks.source import Occurrences
from reviewvet.git import Git
from reviewvet.ingest.parse import parse_review
from reviewvet.checks.finding import check_finding
from reviewvet.resolve.history import FileHistory
from reviewvet.model.source import FileText
from reviewvet.resolve.snapshot import Snapshot
from reviewvet.workspace import RevisionPair, Workspace

FILES = 24
SMALL = CheckOptions(symbols=False, provenance=False, max_index_bytes=8 * 1024)  # the corpus is ~70 KB
INDEXED = CheckOptions(symbols=False, provenance=False)

HANDLER = ("package svc\n\nfunc Handle(req *Request) error {\n\tif err := validate(req); err != nil {\n"
           "\t\treturn err\n\t}\n\treturn dispatch(req)\n}\n")
LEGACY = "package svc\n\nfunc legacyRoute(path string) string {\n\treturn strings.TrimPrefix(path, \"/v1\")\n}\n"
INVENTED = ("\tfor _, c := range p.borrowed {\n\t\tc.reapStale(p.clock.Now())\n\t}\n"
            "\tif err != nil {\n\tp.metrics.RecordLease(len(p.borrowed))\n")


def corpus_file(i: int) -> str:
    lines = [f"package part{i}", ""]
    for k in range(60):
        lines.append(f'\tresult{i}x{k} := compute{i}(input{k}, "word{i * 61 + k}")')
        if k % 10 == 9:
            lines += ["\tif err != nil {", "\t\treturn nil", "\t}"]
    return "\n".join(lines) + "\n"


def corpus_repo(make_repo):
    """main: 24 generated files and svc/legacy.go; the PR removes legacy.go and adds svc/handler.go."""
    repo = make_repo()
    files: dict[str, str | bytes | None] = {f"part{i % 4}/file{i}.go": corpus_file(i) for i in range(FILES)}
    repo.commit("corpus", {**files, "svc/legacy.go": LEGACY})
    repo.branch("feature")
    repo.checkout("feature")
    head = repo.commit("handler", {"svc/handler.go": HANDLER, "svc/legacy.go": None})
    return repo, head


def review(head: str, items: list[tuple[str, str]]) -> str:
    body = "".join(f"I{n}. **Finding {n}**{f' — `{ref}`' if ref else ''} [Claude]\n\nThe code is wrong.\n\n"
                   f"```go\n{code}```\n\n*(important, regression.)*\n\n"
                   for n, (ref, code) in enumerate(items, start=1))
    return (f"# Deep Review: svc\n\n| | |\n|---|---|\n| **PR** | #7 — svc |\n| **Commits** | `{head}` handler |\n\n"
            f"## Important Issues\n\n{body}")


def check(repo, head: str, items: list[tuple[str, str]], options: CheckOptions,
          history: FileHistory | None = None, evidence: str = "reviewed-head"):
    git = Git(repo.path)
    base = git.merge_base(repo.rev("main"), head)
    assert base is not None
    ctx = CheckContext(RevisionPair(Workspace(repo.path), Snapshot(git, head), Snapshot(git, base)), options,
                       evidence=evidence, history=history)
    findings = [f for f in parse_review(review(head[:7], items)).findings]
    return ctx, [check_finding(ctx, f).quotes[0] for f in findings]


QUOTES = {
    "invented": ("svc/handler.go:3-7", INVENTED),
    "other-file": ("svc/handler.go:10-12", "".join(corpus_file(7).splitlines(keepends=True)[5:8])),
    "edited": ("svc/handler.go:3-6", "func Handle(req *Request) error {\n\tif err := validate(req); err != nil {\n"
                                     "\t\treturn wrapInvented(err, \"handle\")\n\t\tmetrics.CountRejected(req)\n"),
    "removed": ("", LEGACY.split("\n", 2)[2]),
}
EXPECTED = {"invented": ("absent", "refuted"), "other-file": ("other-file", "confirmed"),
            "edited": ("absent", "doubtful"), "removed": ("base-only", "confirmed")}


@pytest.mark.parametrize("name", sorted(QUOTES))
def test_over_the_index_budget_git_grep_gives_the_same_verdict(make_repo, name: str) -> None:
    repo, head = corpus_repo(make_repo)
    indexed_ctx, (indexed,) = check(repo, head, [QUOTES[name]], INDEXED)
    grep_ctx, (grepped,) = check(repo, head, [QUOTES[name]], SMALL)
    assert (indexed.status, indexed.grade) == EXPECTED[name]
    assert (grepped.status, grepped.grade, grepped.span, grepped.presence) == (
        indexed.status, indexed.grade, indexed.span, indexed.presence)
    assert isinstance(indexed_ctx.line_search("head"), LineIndex)
    search = grep_ctx.line_search("head")
    assert isinstance(search, GrepLines) and search.greps > 0  # the fallback really ran


def test_candidates_over_the_scan_budget_leave_an_invented_quote_doubtful(make_repo) -> None:
    """`if err != nil {` is in every file: with room to read one file only, the search cannot finish."""
    repo, head = corpus_repo(make_repo)
    tight = CheckOptions(symbols=False, provenance=False, max_index_bytes=8 * 1024, max_scan_bytes=1024)
    _, (quote,) = check(repo, head, [QUOTES["invented"]], tight)
    assert quote.status == "absent"
    assert quote.grade == "doubtful"
    assert "the search was cut short" in quote.reason and "a refutation needs the whole search done" in quote.reason


def test_a_round_without_the_common_line_settles_the_rare_ones(make_repo) -> None:
    repo, head = corpus_repo(make_repo)
    snapshot = Snapshot(Git(repo.path), head)
    grep = GrepLines(snapshot, max_scan_bytes=4 * 1024)  # one corpus file fits, not all of them
    common, rare, invented = "if err != nil {", 'result3x7 := compute3(input7, "word190")', "c.reapStale(p.clock.Now())"
    found = grep.lookup([common, rare, invented])
    assert found[common].paths and not found[common].complete  # present, but not every holder was read
    assert found[rare].paths == ("part3/file3.go",) and found[rare].complete
    assert found[invented].absent
    assert grep.greps == 2


def test_the_index_lists_every_file_holding_a_line(make_repo) -> None:
    repo, head = corpus_repo(make_repo)
    index = LineIndex.build(Snapshot(Git(repo.path), head))
    assert len(index.lookup(["if err != nil {"])["if err != nil {"].paths) == FILES
    assert index.where('result3x7 := compute3(input7, "word190")') == ("part3/file3.go",)
    assert index.where("") == () and index.where("c.reapStale(p.clock.Now())") == ()


def test_fuzzy_matching_over_its_budget_cannot_refute(make_repo) -> None:
    """Every line has a typo: only a fuzzy search over all Go files finds the near miss."""
    repo, head = corpus_repo(make_repo)
    typos = "".join(corpus_file(5).splitlines(keepends=True)[5:8]).replace("compute5", "compuet5")
    _, (full,) = check(repo, head, [("", typos)], INDEXED)
    assert full.status == "near-miss" and full.grade == "doubtful"
    tight = CheckOptions(symbols=False, provenance=False, max_fuzzy_bytes=1024)
    _, (bounded,) = check(repo, head, [("", typos)], tight)
    assert bounded.status == "absent" and bounded.presence == 0.0
    assert bounded.grade == "doubtful"
    assert "over the 1024-byte budget for fuzzy matching" in bounded.reason


def history_repo(make_repo):
    """The PR rewrote svc/handler.go three times; the first round had a line the later ones lack."""
    repo = make_repo()
    repo.commit("base", {"svc/base.go": "package svc\n"})
    repo.branch("feature")
    repo.checkout("feature")
    repo.commit("round 1", {"svc/handler.go": HANDLER.replace("dispatch(req)", "dispatchUnbounded(req, retries)")})
    repo.commit("round 2", {"svc/handler.go": HANDLER.replace("dispatch(req)", "dispatchOnce(req)")})
    head = repo.commit("round 3", {"svc/handler.go": HANDLER})
    return repo, head


def test_unread_earlier_versions_leave_a_quote_doubtful(make_repo) -> None:
    repo, head = history_repo(make_repo)
    git = Git(repo.path)
    base = repo.rev("main")
    quote = [("svc/handler.go:7", "\treturn dispatchUnbounded(req, retries)\n}\n")]
    _, (all_read,) = check(repo, head, quote, INDEXED, FileHistory(git, (head,), base), "substitute-head")
    assert all_read.status == "earlier-version" and all_read.grade == "unverifiable"
    newest_only = FileHistory(git, (head,), base, max_versions=1)
    _, (cut,) = check(repo, head, quote, INDEXED, newest_only, "substitute-head")
    assert newest_only.unread(["svc/handler.go"]) == 2
    assert cut.status == "absent" and cut.grade == "doubtful"
    assert "2 earlier versions of the claimed files were not read" in cut.reason


def test_git_grep_reads_fixed_strings_whatever_the_repository_configures(make_repo) -> None:
    repo = make_repo()
    repo.commit("files", {"a:b.go": "x := f(y\n", "c.go": "value -e other\n", "d.go": "f(y and\nx :=\n",
                          "bin.dat": b"\x00\x01f(y x :=\n"})
    repo.run("config", "grep.patternType", "perl")
    repo.run("config", "grep.fullName", "true")
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "attributes").write_text("*.go binary\n")
    git = Git(repo.path)
    head = repo.rev("HEAD")
    assert sorted(git.grep_files(head, [["f(y", "x :="]]) or []) == ["a:b.go", "bin.dat"]
    assert git.grep_files(head, [["f(y", "x :="], ["-e"]]) == ["a:b.go", "bin.dat", "c.go"]
    assert git.grep_files(head, [["nowhere at all"]]) == []


def test_a_snapshot_keeps_at_most_its_budget_of_text_and_reads_again_what_it_dropped(make_repo) -> None:
    repo, head = corpus_repo(make_repo)
    snapshot = Snapshot(Git(repo.path), head, max_kept_bytes=8 * 1024)
    paths = [p for p in snapshot.tree if p.startswith("part")]
    snapshot.load(paths)  # a review naming every file
    assert 0 < snapshot.kept_bytes <= 8 * 1024
    first = snapshot.file(paths[0])
    assert first is not None and first == FileText(paths[0], tuple(corpus_file(0).splitlines()))


def test_per_file_memos_are_bounded_by_characters() -> None:
    calls: list[int] = []
    memo = _FileMemo(lambda lines: calls.append(len(lines)) or len(lines), max_chars=25)
    small, other = ("x" * 9,), ("y" * 9,)
    assert memo(small) == 1 and memo(small) == 1 and calls == [1]  # remembered
    memo(other)
    memo(("z" * 9,))  # 30 characters kept: the oldest goes
    memo(small)
    assert calls == [1, 1, 1, 1]


def test_a_revision_runs_a_bounded_number_of_greps(make_repo) -> None:
    repo, head = corpus_repo(make_repo)
    grep = GrepLines(Snapshot(Git(repo.path), head), max_scan_bytes=1 << 20, max_greps=1)
    rare = 'result3x7 := compute3(input7, "word190")'
    assert grep.lookup([rare])[rare].paths == ("part3/file3.go",)
    later = grep.lookup(["c.reapStale(p.clock.Now())"])
    assert grep.greps == 1 and not later["c.reapStale(p.clock.Now())"].complete  # unsettled, never "absent"


def test_a_line_git_cannot_take_as_an_argument_is_unsettled_not_a_crash(make_repo) -> None:
    repo, head = corpus_repo(make_repo)
    grep = GrepLines(Snapshot(Git(repo.path), head), max_scan_bytes=1 << 20)
    odd = "x := \ud800 // a lone surrogate"
    assert grep.lookup([odd]) == {odd: Occurrences((), complete=False)} and grep.greps == 0


def test_over_the_index_budget_words_are_looked_up_with_git_grep(make_repo) -> None:
    """A name in no file is found nowhere, a name in a string is text: the same answers as the word set."""
    repo, head = corpus_repo(make_repo)
    text = review(head[:7], [("svc/handler.go:3", "func Handle(req *Request) error {\n")]).replace(
        "**Finding 1**", "**`reapStaleLeases` never runs, and `word190` is logged**")
    answers = []
    for options in (INDEXED, SMALL):
        git = Git(repo.path)
        ctx = CheckContext(RevisionPair(Workspace(repo.path), Snapshot(git, head), Snapshot(git, repo.rev("main"))),
                           replace(options, symbols=True),
                           evidence="reviewed-head")
        verdict = check_finding(ctx, parse_review(text).findings[0])
        answers.append({s.identifier: (s.status, s.grade) for s in verdict.symbols})
        assert isinstance(ctx.words("head"), GrepWords) == (options is SMALL)
    assert answers[0] == answers[1]
    assert answers[1]["reapStaleLeases"] == ("nowhere", "refuted")
    assert answers[1]["word190"][0] == "text-only"


def test_lines_past_the_per_lookup_cap_are_looked_up_later(make_repo) -> None:
    repo, head = corpus_repo(make_repo)
    grep = GrepLines(Snapshot(Git(repo.path), head), max_scan_bytes=1 << 20)
    lines = [line.strip() for i in (3, 4) for line in corpus_file(i).splitlines() if "result" in line][:65]
    first = grep.lookup(lines)
    assert all(first[n].complete for n in lines[:64]) and not first[lines[64]].complete
    assert grep.lookup([lines[64]])[lines[64]] == Occurrences(("part0/file4.go",))
