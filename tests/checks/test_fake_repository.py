"""The checks see the repository only through ``checks.source``: an in-memory stand-in, with no git
anywhere, is enough to verify a finding's quotes and lines."""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, Sequence

from reviewvet.checks.context import CheckContext
from reviewvet.checks.finding import check_finding
from reviewvet.checks.search import LineIndex
from reviewvet.checks.source import Blamed, LineSearch, Repository, RevisionFiles, Side
from reviewvet.index.model import RepoIndex
from reviewvet.ingest.parse import parse_review
from reviewvet.model.source import FileChange, FileText, LogEntry, PathResolution, TreeEntry, Unreadable
from reviewvet.model.verification import CheckOptions

HANDLER = """package svc

// Handle answers one request.
func Handle(req *Request) error {
\tif req == nil {
\t\treturn errNoRequest
\t}
\treturn req.Serve()
}
"""


class MemoryFiles:
    """One revision held in a dict: path -> text."""

    def __init__(self, rev: str, files: dict[str, str]) -> None:
        self._rev = rev
        self.texts = {path: FileText(path, tuple(text.rstrip("\n").split("\n"))) for path, text in files.items()}
        self._tree = {path: TreeEntry(path, "100644", f"{i:040x}", len(text)) for i, (path, text)
                      in enumerate(files.items())}

    @property
    def rev(self) -> str:
        return self._rev

    @property
    def tree(self) -> Mapping[str, TreeEntry]:
        return self._tree

    def file(self, path: str) -> FileText | Unreadable | None:
        return self.texts.get(path)

    def load(self, paths: list[str]) -> None:
        pass

    def stream(self, paths: list[str] | None = None, *, keep: bool = False) -> Iterator[FileText | Unreadable]:
        yield from (self.texts[p] for p in (paths if paths is not None else list(self.texts)) if p in self.texts)

    def readable_bytes(self, paths: list[str] | None = None) -> int:
        return sum(self._tree[p].size for p in (paths if paths is not None else list(self._tree)) if p in self._tree)

    def grep(self, patterns: list[list[str]]) -> list[str] | None:
        return [p for p, f in self.texts.items() if any(all(w in line for w in group)
                                                       for group in patterns for line in f.lines)]


class MemoryRepository:
    """A head and a merge base in memory; blame and the parser are not offered (and not asked for)."""

    def __init__(self, head: MemoryFiles, base: MemoryFiles) -> None:
        self._head, self._base = head, base
        self.asked: list[str] = []

    @property
    def head(self) -> RevisionFiles:
        return self._head

    @property
    def base(self) -> RevisionFiles | None:
        return self._base

    def resolve(self, claimed: str) -> PathResolution:
        self.asked.append(claimed)
        if claimed in self._head.texts:
            return PathResolution(claimed, "exact", claimed)
        return PathResolution(claimed, "missing", None, reason="no such file in memory")

    def never_had(self, claimed: str) -> bool:
        return False

    def line_search(self, side: Side, max_index_bytes: int, max_scan_bytes: int) -> LineSearch:
        return LineIndex.build(self._head if side == "head" else self._base)

    def words(self, side: Side, max_index_bytes: int, max_scan_bytes: int) -> Container[str]:
        return set()

    def index(self, side: Side) -> RepoIndex | None:
        raise AssertionError("the parser is off in this test")

    def shallow_boundaries(self) -> set[str]:
        return set()

    def changes(self, old: str, new: str) -> dict[str, FileChange]:
        raise AssertionError("provenance is off in this test")

    def blame(self, rev: str, path: str, ranges: Sequence[tuple[int, int]], *, options: tuple[str, ...],
              full_history: bool) -> Blamed:
        raise AssertionError("provenance is off in this test")

    def commits_touching(self, old: str, new: str, path: str) -> list[LogEntry]:
        raise AssertionError("provenance is off in this test")


def review(quote: str, where: str) -> str:
    return ("# Deep Review: svc\n\n## Important Issues\n\n"
            f"I1. **Handle trusts its request** [Claude] — `{where}`\n\n```go\n{quote}\n```\n\n"
            "*(important, regression — nil check.)*\n")


def check(quote: str, where: str) -> tuple[MemoryRepository, list[str], list[str]]:
    repo = MemoryRepository(MemoryFiles("h" * 40, {"svc/handler.go": HANDLER}),
                            MemoryFiles("b" * 40, {"svc/handler.go": HANDLER.replace("req.Serve()", "nil")}))
    assert isinstance(repo, Repository)
    ctx = CheckContext(repo, CheckOptions(symbols=False, provenance=False), evidence="reviewed-head")
    verdict = check_finding(ctx, parse_review(review(quote, where)).findings[0])
    return repo, [q.status for q in verdict.quotes], [c.status for c in verdict.lines]


def test_a_true_quote_is_found_through_the_protocol_alone() -> None:
    repo, quotes, lines = check("\tif req == nil {\n\t\treturn errNoRequest\n\t}", "svc/handler.go:5-7")
    assert quotes == ["exact"] and lines == ["exact"]
    assert set(repo.asked) == {"svc/handler.go"}  # only the claimed path was asked about


def test_an_invented_quote_is_absent_through_the_protocol_alone() -> None:
    _, quotes, lines = check("\tif req.Deadline.IsZero() {\n\t\treturn errNoDeadline\n\t}", "svc/handler.go:5-7")
    assert quotes == ["absent"] and lines == ["unverified"]
