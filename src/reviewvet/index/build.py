"""Index one revision: parse every source file once (cached by blob id), place its symbols.

Blobs are read with one ``git cat-file --batch``; files not in the cache are parsed in
worker processes when there are enough of them to pay for the start-up.
"""

from __future__ import annotations

import os
import posixpath
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from reviewvet.git import Git, TreeEntry
from reviewvet.index.cache import ParseCache
from reviewvet.index.model import IndexStats, ParsedFile, Symbol

if TYPE_CHECKING:
    import networkx

    from reviewvet.index.graph import Edge, Neighbours
    from reviewvet.index.symbols import SymbolTable

LANGUAGES = {".go": "go", ".sh": "shell", ".bash": "shell", ".bats": "bats", ".py": "python"}
DEFAULT_MAX_BYTES = 1024 * 1024
PARALLEL_MIN_BYTES = 256 * 1024


def language_of(path: str) -> str | None:
    return LANGUAGES.get(posixpath.splitext(path)[1])


def parse_file(path: str, language: str, data: bytes) -> ParsedFile:
    """The registry of parsers: one entry per language."""
    if language == "go":
        from reviewvet.index.treesitter import parse_go

        return parse_go(path, data)
    if language in ("shell", "bats"):
        from reviewvet.index.treesitter import parse_shell

        return parse_shell(path, data, bats=language == "bats")
    from reviewvet.index.python import parse_python

    return parse_python(path, data)


def _parse_batch(batch: list[tuple[str, str, bytes]]) -> list[ParsedFile]:
    return [parse_file(path, language, data) for path, language, data in batch]


@dataclass
class RepoIndex:
    """The parsed files and placed symbols of one revision."""

    rev: str
    files: dict[str, ParsedFile]
    go_modules: dict[str, str]  # module root dir ("" for the repo root) -> module path
    stats: IndexStats
    notes: list[str] = field(default_factory=list)

    @cached_property
    def symbols(self) -> list[Symbol]:
        return place_symbols(self.files, self.go_modules)

    @cached_property
    def by_id(self) -> dict[str, Symbol]:
        return {s.id: s for s in self.symbols}

    @cached_property
    def table(self) -> SymbolTable:
        from reviewvet.index.symbols import SymbolTable

        return SymbolTable(self.symbols)

    @cached_property
    def python_roots(self) -> set[str]:
        """Top-level Python packages and modules of the repository itself."""
        return {f.package.split(".", 1)[0] for f in self.files.values() if f.language == "python" and f.package}

    @cached_property
    def edges(self) -> list[Edge]:
        from reviewvet.index.graph import call_edges

        return call_edges(self)

    @cached_property
    def neighbours(self) -> Neighbours:
        from reviewvet.index.graph import neighbours

        return neighbours(self)

    @cached_property
    def graph(self) -> networkx.MultiDiGraph:
        from reviewvet.index.graph import build_graph

        return build_graph(self)


_MEMO: dict[tuple[str, str, int, str], RepoIndex] = {}
_MEMO_SIZE = 4


def index_revision_memo(git: Git, rev: str, *, cache: ParseCache | None, tree: dict[str, TreeEntry] | None = None,
                        max_bytes: int = DEFAULT_MAX_BYTES) -> RepoIndex:
    """``index_revision``, remembered for the last few revisions of this process: a commit's files
    never change, and a batch of reviews of one pull request shares its head and merge base."""
    key = (str(git.repo.resolve()), rev, max_bytes, str(cache.path) if cache else "")
    if key not in _MEMO:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = index_revision(git, rev, cache=cache, tree=tree, max_bytes=max_bytes)
    return _MEMO[key]


def index_revision(
    git: Git,
    rev: str,
    *,
    cache: ParseCache | None = None,
    jobs: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    tree: dict[str, TreeEntry] | None = None,
) -> RepoIndex:
    started = time.perf_counter()
    tree = tree if tree is not None else git.tree(rev)
    notes: list[str] = []
    sources = [(e, lang) for e in tree.values() if (lang := language_of(e.path)) is not None]
    usable, skipped = [], {}
    for entry, lang in sources:
        if entry.is_symlink or entry.is_submodule:
            skipped[entry.path] = "a symbolic link" if entry.is_symlink else "a submodule"
        elif entry.size > max_bytes:
            skipped[entry.path] = f"{entry.size} bytes, over the {max_bytes}-byte limit"
        else:
            usable.append((entry, lang))
    notes += [f"skipped {path!r}: {why}" for path, why in sorted(skipped.items())]
    cached = cache.get_many((e.oid, lang) for e, lang in usable) if cache else {}
    todo = [(e, lang) for e, lang in usable if (e.oid, lang) not in cached]
    mods = [e for e in tree.values() if posixpath.basename(e.path) == "go.mod" and not e.is_symlink]
    blobs = git.read_blobs([e.oid for e, _ in todo] + [m.oid for m in mods])
    parsed = _parse_all([(e.path, lang, blobs.get(e.oid, b"")) for e, lang in todo], jobs)
    if cache is not None:
        cache.put_many({(e.oid, lang): pf for (e, lang), pf in zip(todo, parsed, strict=True)})
        if cache.problem:
            notes.append(cache.problem)
    fresh = {pf.path: pf for pf in parsed}
    files: dict[str, ParsedFile] = {}
    for entry, lang in usable:
        pf = cached.get((entry.oid, lang))
        files[entry.path] = _repath(pf, entry.path) if pf is not None else fresh[entry.path]
    for path, why in skipped.items():
        files[path] = ParsedFile(path, language_of(path) or "", skipped=why)
    for path, pf in sorted(files.items()):
        if pf.skipped and path not in skipped:
            skipped[path] = pf.skipped
            notes.append(f"skipped {path!r}: {pf.skipped}")
    go_modules = {posixpath.dirname(m.path): _module_path(blobs.get(m.oid, b"")) for m in mods}
    seconds = time.perf_counter() - started
    stats = IndexStats(
        files=len(sources), parsed=len(todo), cached=len(usable) - len(todo), skipped=len(skipped),
        symbols=sum(len(f.definitions) for f in files.values()), edges=sum(len(f.calls) for f in files.values()),
        bytes=sum(e.size for e, _ in usable), seconds=seconds, errors=sum(1 for f in files.values() if f.errors),
        by_language=_count_languages(files),
    )
    return RepoIndex(rev, files, go_modules, stats, notes)


def _parse_all(items: list[tuple[str, str, bytes]], jobs: int | None) -> list[ParsedFile]:
    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    total = sum(len(data) for _, _, data in items)
    if jobs <= 1 or total < PARALLEL_MIN_BYTES or len(items) < 4:
        return _parse_batch(items)
    batches: list[list[tuple[str, str, bytes]]] = [[] for _ in range(jobs)]
    for i, item in enumerate(sorted(items, key=lambda it: -len(it[2]))):
        batches[i % len(batches)].append(item)
    import multiprocessing

    from reviewvet.index.treesitter import warm_up

    warm_up()
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_ignore_interrupts) as pool:
        with _interrupts_held():  # the workers are forked here: born deaf to Ctrl-C
            futures = [pool.submit(_parse_batch, batch) for batch in batches]
        results = [future.result() for future in futures]
    by_path = {pf.path: pf for batch in results for pf in batch}
    return [by_path[path] for path, _, _ in items]


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT held back while the parse workers are forked; delivered to this process afterwards."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _ignore_interrupts() -> None:
    """In a parse worker: Ctrl-C is the parent's to handle (exit 130), not a traceback per worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _repath(pf: ParsedFile, path: str) -> ParsedFile:
    if pf.path == path:
        return pf
    if pf.language == "python":
        from reviewvet.index.python import module_name

        return replace(pf, path=path, package=module_name(path))
    return replace(pf, path=path)


def _module_path(data: bytes) -> str:
    match = re.search(rb"^\s*module\s+(\S+)", data, re.M)
    return match.group(1).decode("utf-8", "replace").strip('"') if match else ""


def _count_languages(files: dict[str, ParsedFile]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pf in files.values():
        counts[pf.language] = counts.get(pf.language, 0) + 1
    return counts


def go_import_path(directory: str, modules: dict[str, str]) -> str:
    """The import path of the Go package in ``directory``, from the nearest go.mod above it."""
    root = directory
    while True:
        if root in modules and modules[root]:
            rel = directory[len(root):].lstrip("/")
            return f"{modules[root]}/{rel}" if rel else modules[root]
        if not root:
            return directory
        root = posixpath.dirname(root)


def place_symbols(files: dict[str, ParsedFile], modules: dict[str, str]) -> list[Symbol]:
    symbols: list[Symbol] = []
    seen: set[str] = set()
    for path in sorted(files):
        pf = files[path]
        package = go_import_path(posixpath.dirname(path), modules) if pf.language == "go" else pf.package
        for d in pf.definitions:
            ident = symbol_id(pf, package, d.local)
            if ident in seen:
                ident = f"{ident}@{path}"
            seen.add(ident)
            symbols.append(Symbol(ident, d.kind, d.name, d.local, pf.language, path, d.start, d.end, package,
                                  d.receiver, pf.package if pf.language == "go" else ""))
    return symbols


def symbol_id(pf: ParsedFile, package: str, local: str) -> str:
    if pf.language == "go":
        return f"{package}.{local}"
    if pf.language == "python":
        return f"{pf.package}.{local}" if pf.package else local
    return f"{pf.path}::{local}"


def stats_line(stats: IndexStats) -> str:
    return (f"{stats.files} files ({stats.parsed} parsed, {stats.cached} cached, {stats.skipped} skipped), "
            f"{stats.symbols} symbols, {stats.edges} call sites, {stats.bytes:,} bytes in {stats.seconds:.3f} s")

