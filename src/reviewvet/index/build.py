"""Index one revision: parse every source file once (cached by blob id), place its symbols.

Blobs are read with one ``git cat-file --batch``; files not in the cache are parsed in
worker processes when there are enough of them to pay for the start-up. Which files are
source, and how each is parsed, is the language registry's to say (``languages``).
"""

from __future__ import annotations

import os
import posixpath
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from reviewvet.git import Git
from reviewvet.index.cache import ParseCache
from reviewvet.index.languages import LANGUAGES, language_of, warm_up
from reviewvet.index.files import SourceFiles
from reviewvet.index.model import Counts as _Counts
from reviewvet.index.model import IndexStats, ModuleRoots, ParsedFile, RepoIndex
from reviewvet.model.source import TreeEntry

DEFAULT_MAX_BYTES = 1024 * 1024
PARALLEL_MIN_BYTES = 256 * 1024
PARSE_BATCH_BYTES = 16 * 1024 * 1024  # source read, parsed and cached at a time
Source = tuple[TreeEntry, str]  # a tree entry and the language it is indexed as


def parse_file(path: str, language: str, data: bytes) -> ParsedFile:
    return LANGUAGES[language].parse(path, data)


def _parse_batch(batch: list[tuple[str, str, bytes]]) -> list[ParsedFile]:
    return [parse_file(path, language, data) for path, language, data in batch]


def index_revision(
    git: Git,
    rev: str,
    *,
    cache: ParseCache | None = None,
    jobs: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    tree: dict[str, TreeEntry] | None = None,
) -> RepoIndex:
    """Every source file of ``rev`` parsed, or in the cache: only the files the cache lacks are read
    and parsed, and cached files stay unread until a question needs them (``files.SourceFiles``)."""
    started = time.perf_counter()
    tree = tree if tree is not None else git.tree(rev)
    languages_by_extension: dict[str, str | None] = {}
    sources = [(e, lang) for e in tree.values() if (lang := _language(e.path, languages_by_extension)) is not None]
    usable, skipped = _usable(sources, max_bytes)
    notes = [f"skipped {path!r}: {why}" for path, why in sorted(skipped.items())]
    marker = f"{rev}:{max_bytes}"  # the files a commit has to parse depend on the size limit too
    complete = cache is not None and _is_commit_id(rev) and cache.complete(marker)
    known = cache.known((e.oid, lang) for e, lang in usable) if cache and not complete else set()
    todo = [] if complete else [(e, lang) for e, lang in usable if (e.oid, lang) not in known]
    fresh = _parse_todo(git, todo, jobs, cache)
    if cache is not None:
        if cache.problem:
            notes.append(cache.problem)
        elif not complete and _is_commit_id(rev):
            cache.mark_complete(marker)
    languages = {entry.path: lang for entry, lang in sources}
    files = SourceFiles(usable, fresh,
                        {path: ParsedFile(path, languages[path], skipped=why) for path, why in skipped.items()},
                        cache, lambda lost: _reparse(git, lost), _repath)
    manifests = _manifests(tree)
    modules = _module_roots(manifests, git.read_blobs([m.oid for m, _ in manifests]))
    counts = _Counts(len(sources), len(todo), len(usable) - len(todo), len(skipped), sum(e.size for e, _ in usable),
                     time.perf_counter() - started)
    return RepoIndex(rev, files, modules, counts, notes, frozenset(skipped))


def _parse_todo(git: Git, todo: list[Source], jobs: int | None, cache: ParseCache | None) -> dict[str, ParsedFile]:
    """Read and parse ``todo`` a batch at a time, each batch written to the cache before the next is
    read; returns the files the cache does not hold (all of them without a cache, or once it fails),
    so that neither the blobs nor the results of a large revision are in memory all at once."""
    kept: dict[str, ParsedFile] = {}
    for batch in _batches(todo, PARSE_BATCH_BYTES):
        blobs = git.read_blobs([e.oid for e, _ in batch])
        parsed = _parse_all([(e.path, lang, blobs.get(e.oid, b"")) for e, lang in batch], jobs)
        if cache is not None:
            cache.put_many({(e.oid, lang): pf for (e, lang), pf in zip(batch, parsed, strict=True)})
        if cache is None or cache.problem:
            kept.update((pf.path, pf) for pf in parsed)
    return kept


def _batches(todo: list[Source], size: int) -> Iterator[list[Source]]:
    batch: list[Source] = []
    total = 0
    for item in todo:
        batch.append(item)
        total += item[0].size
        if total >= size:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def _language(path: str, by_extension: dict[str, str | None]) -> str | None:
    """``language_of``, remembered per extension for one revision's paths."""
    extension = posixpath.splitext(path)[1]
    if extension not in by_extension:
        by_extension[extension] = language_of(path)
    return by_extension[extension]


def _is_commit_id(rev: str) -> bool:
    """A full object id: the one kind of revision whose files never change."""
    return len(rev) in (40, 64) and all(c in "0123456789abcdef" for c in rev)


def _reparse(git: Git, lost: list[Source]) -> list[ParsedFile]:
    """Files the cache said it held but could not give back: read and parsed now."""
    blobs = git.read_blobs([e.oid for e, _ in lost])
    return [parse_file(e.path, lang, blobs.get(e.oid, b"")) for e, lang in lost]


def _usable(sources: list[Source], max_bytes: int) -> tuple[list[Source], dict[str, str]]:
    """The sources to parse, and why each other one is left out (never read: links, submodules)."""
    usable: list[Source] = []
    skipped: dict[str, str] = {}
    for entry, lang in sources:
        if entry.is_symlink or entry.is_submodule:
            skipped[entry.path] = "a symbolic link" if entry.is_symlink else "a submodule"
        elif entry.size > max_bytes:
            skipped[entry.path] = f"{entry.size} bytes, over the {max_bytes}-byte limit"
        else:
            usable.append((entry, lang))
    return usable, skipped


def _manifests(tree: dict[str, TreeEntry]) -> list[Source]:
    """The files that mark module roots (``go.mod``), with the language each belongs to."""
    owners = {language.manifest: language.name for language in LANGUAGES.values() if language.manifest}
    return [(e, owners[name]) for e in tree.values()
            if (name := posixpath.basename(e.path)) in owners and not e.is_symlink]


def _module_roots(manifests: list[Source], blobs: dict[str, bytes]) -> ModuleRoots:
    roots: ModuleRoots = {}
    for entry, lang in manifests:
        roots.setdefault(lang, {})[posixpath.dirname(entry.path)] = LANGUAGES[lang].module_path(
            blobs.get(entry.oid, b""))
    return roots


def _parse_all(items: list[tuple[str, str, bytes]], jobs: int | None) -> list[ParsedFile]:
    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    total = sum(len(data) for _, _, data in items)
    if jobs <= 1 or total < PARALLEL_MIN_BYTES or len(items) < 4:
        return _parse_batch(items)
    batches: list[list[tuple[str, str, bytes]]] = [[] for _ in range(jobs)]
    for i, item in enumerate(sorted(items, key=lambda it: -len(it[2]))):
        batches[i % len(batches)].append(item)
    import multiprocessing

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
    """A cached parse of the same blob, found under another path."""
    return pf if pf.path == path else LANGUAGES[pf.language].relocate(pf, path)


def stats_line(stats: IndexStats) -> str:
    return (f"{stats.files} files ({stats.parsed} parsed, {stats.cached} cached, {stats.skipped} skipped), "
            f"{stats.symbols} symbols, {stats.edges} call sites, {stats.bytes:,} bytes in {stats.seconds:.3f} s")

