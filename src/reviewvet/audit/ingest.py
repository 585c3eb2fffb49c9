"""Ingest many reviews into the audit store: find them, verify each at its head, write it.

Verification runs in worker processes (``jobs``), each review within a time budget: a review
over it is stopped and skipped, and the batch goes on. Every write happens here, one review
per transaction; a review whose rows do not fit the store is skipped with the reason. A review
whose text is already stored is left alone; a changed report from the same source replaces
its old rows.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewvet.audit.rows import Rows, review_id, review_rows
from reviewvet.audit.store import Store, StoreRowsError
from reviewvet.audit import DEFAULT_BUDGET
from reviewvet.audit.workers import Stopped
from reviewvet.errors import ReviewvetError, UsageError, about
from reviewvet.model.verification import CacheOptions, VerifyOptions

if TYPE_CHECKING:
    from reviewvet.resolve.facts import RepositoryFacts

REVIEW_SUFFIXES = (".md", ".markdown", ".txt", ".json")
MAX_REPOSITORIES = 4  # repositories whose facts a worker process keeps


@dataclass(frozen=True)
class Item:
    source: str
    name: str
    text: str


@dataclass(frozen=True)
class Outcome:
    source: str
    status: str  # added, replaced, unchanged, unverified, skipped
    reason: str = ""
    findings: int = 0


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass(frozen=True)
class Options:
    """How to ingest: ``verify`` is what every review is verified with (checks, rules, context,
    parse cache); its head and base are replaced by each review's own (its named head, or the
    mapping's head and base, else ``base``)."""

    repo: Path | None
    base: str | None = None
    mapping: dict[str, dict[str, str]] = field(default_factory=dict)
    jobs: int = 1
    budget: float = DEFAULT_BUDGET  # seconds to read and verify one review
    verify: VerifyOptions = field(default_factory=VerifyOptions)
    cache: CacheOptions = field(default_factory=CacheOptions)


Result = tuple[str, str, Rows, int]  # status, reason, rows, findings: verify_item's answer


# -- finding the reviews ------------------------------------------------------------------------


def from_paths(paths: list[Path]) -> tuple[list[Item], list[Outcome]]:
    """Review files named or found under folders; other files are listed as skipped."""
    items, skipped = [], []
    for path in paths:
        if not path.exists():
            raise UsageError(f"{str(path)!r} does not exist")
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if any(part.startswith(".") for part in file.relative_to(path if path.is_dir() else file.parent).parts):
                continue
            if file.suffix.lower() not in REVIEW_SUFFIXES:
                skipped.append(Outcome(str(file), "skipped", f"not a review file ({file.suffix or 'no suffix'})"))
                continue
            try:
                from reviewvet.ingest.parse import read_review_file

                items.append(Item(str(file.resolve()), file.name, read_review_file(file)))
            except ReviewvetError as exc:
                skipped.append(Outcome(str(file), "skipped", str(exc)))
    return items, skipped


def from_branch(repo: Path, branch: str) -> tuple[list[Item], list[Outcome]]:
    """Reviews committed on a branch of the repository, read from git objects (no checkout)."""
    from reviewvet.git import Git
    from reviewvet.ingest.parse import MAX_REVIEW_BYTES, review_text

    git = Git(repo)
    with about("branch"):
        sha = git.resolve(branch, what="branch")
    tree = git.tree(sha)
    items, skipped = [], []
    wanted = []
    for entry in sorted(tree.values(), key=lambda e: e.path):
        source = f"{branch}:{entry.path}"
        if not entry.path.lower().endswith(REVIEW_SUFFIXES):
            skipped.append(Outcome(source, "skipped", "not a review file"))
        elif entry.is_symlink or entry.is_submodule:
            skipped.append(Outcome(source, "skipped", "a symbolic link" if entry.is_symlink else "a submodule"))
        else:
            wanted.append(entry)
    # Blobs over the size limit are never read; the check itself is the one every review goes through.
    blobs = git.read_blobs([e.oid for e in wanted if e.size <= MAX_REVIEW_BYTES])
    for entry in wanted:
        source = f"{branch}:{entry.path}"
        try:
            text = review_text(source, entry.size, partial(_blob, blobs, entry.oid))
        except ReviewvetError as exc:
            skipped.append(Outcome(source, "skipped", str(exc)))
            continue
        items.append(Item(source, posixpath.basename(entry.path), text))
    return items, skipped


def _blob(blobs: dict[str, bytes], oid: str) -> bytes:
    return blobs.get(oid, b"")


def load_mapping(path: Path | None) -> dict[str, dict[str, str]]:
    """A mapping file: review file name (or source) -> {"head": REV, "base": REV}, in YAML or JSON."""
    if path is None:
        return {}
    from reviewvet.rules.yamlfile import load_yaml, read_yaml_file

    try:
        text = read_yaml_file(path)  # the YAML reader's limits: size, no aliases, anchors or tags, depth
        data = load_yaml(str(path), text) if path.suffix != ".json" else json.loads(text)
    except (OSError, ValueError, RecursionError, ReviewvetError) as exc:
        raise UsageError(f"mapping file {str(path)!r} cannot be read: {exc}", field="map") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) and "head" in v for v in data.values()):
        raise UsageError(f"mapping file {str(path)!r} must map review names to {{head: REV, base: REV}}",
                         field="map")
    return {str(k): {kk: str(vv) for kk, vv in v.items()} for k, v in data.items()}


# -- verifying one review (in a worker) -------------------------------------------------------------


def verify_item(item: Item, options: Options) -> tuple[str, str, Rows, int]:
    """(status, reason, rows, findings) for one review; never raises for a bad review."""
    from reviewvet.audit.consolidator import consolidator_rows
    from reviewvet.ingest.claims import looks_like_claims, parse_claims
    from reviewvet.ingest.parse import parse_review

    rid = review_id(item.text)
    try:
        review = parse_claims(item.text, item.source) if looks_like_claims(item.text) else parse_review(
            item.text, item.source)
    except ReviewvetError as exc:
        return "skipped", str(exc), {}, 0
    if not review.all_findings():
        return "skipped", "no findings (not a review?)", {}, 0
    head, base, reason = _head_for(item, review, options)
    verification = None
    if head is not None:
        try:
            verification = _verify(review, head, base, options)
        except ReviewvetError as exc:
            reason = f"verification failed: {exc}"
        except Exception as exc:  # one review's failure is reported; the batch goes on
            reason = f"verification failed: internal error {type(exc).__name__}: {exc}"
    status = "verified" if verification is not None else "unverified"
    rows = review_rows(rid, item.source, review, status, reason, verification)
    decisions = verification.decisions if verification else {}
    rows["consolidator"] = consolidator_rows(rid, review, review.all_findings(), decisions)
    return status, reason, rows, len(review.all_findings())


def _head_for(item: Item, review: Any, options: Options) -> tuple[str | None, str | None, str]:
    if options.repo is None:
        return None, None, "no repository given"
    mapped = options.mapping.get(item.name) or options.mapping.get(item.source)
    if mapped:
        return mapped["head"], mapped.get("base", options.base), ""
    mismatch = _other_repository(options.repo, review.repository)
    if mismatch:
        return None, None, mismatch
    from reviewvet.git import Git
    from reviewvet.resolve.revisions import check_review_head, newest

    git = Git(options.repo)
    # The review's own commits, when their objects are here: no repository-wide scan (which refs
    # reach them, which other commits share their subjects) is needed to verify at them.
    check = check_review_head(git, review, reachability=False, candidates=False, facts=_facts_of(options.repo))
    if check.status == "found":
        return newest(git, [full for _, full in check.found]), options.base, ""
    if check.status == "none-named":
        return None, None, "the review names no head commit and the mapping file gives none"
    return None, None, f"the review's head ({', '.join(check.missing or check.unreachable)}) is not in the repository"


def _other_repository(repo: Path, named: str | None) -> str:
    """A reason to refuse when the review is about another repository than the one given
    (owner/name against the origin's URL, whole path segments, ignoring case)."""
    if not named:
        return ""
    from reviewvet.git import Git

    remote = Git(repo).remote_url()
    if not remote:
        return ""
    path = remote.lower().rstrip("/").removesuffix(".git")
    wanted = named.lower().strip("/")
    if path == wanted or path.endswith("/" + wanted) or path.endswith(":" + wanted):
        return ""
    return f"the review is about {named!r}, but the repository's origin is {remote!r}"


def _verify(review: Any, head: str, base: str | None, options: Options) -> Any:
    from reviewvet.api import open_workspace, verify

    assert options.repo is not None
    with open_workspace(options.repo, head, base, cache_dir=options.cache.directory, use_cache=options.cache.use,
                        facts=_facts_of(options.repo)) as workspace:
        return verify(workspace, review, options.verify)


# What a repository's refs make true (its subject history, which refs reach a commit), kept for every
# review this process verifies: a worker serves many reviews, so each answer is worked out once per
# worker and state of the refs, not once per review.
_FACTS: dict[str, RepositoryFacts] = {}


def _facts_of(repo: Path) -> RepositoryFacts:
    """The facts this process keeps about ``repo`` (made on first use; the last few repositories kept)."""
    from reviewvet.resolve.facts import RepositoryFacts

    key = str(repo.resolve())
    if key not in _FACTS:
        _FACTS[key] = RepositoryFacts()
        while len(_FACTS) > MAX_REPOSITORIES:
            del _FACTS[next(iter(_FACTS))]
    return _FACTS[key]


def _work(args: tuple[Item, Options]) -> Result:
    item, options = args
    return verify_item(item, options)


# -- the ingest loop --------------------------------------------------------------------------------


def ingest(store: Store, items: list[Item], options: Options,
           progress: Callable[[int, int, str], None] | None = None) -> Summary:
    summary = Summary()
    todo: list[tuple[Item, list[str]]] = []
    seen: dict[str, str] = {}
    for item in items:
        rid = review_id(item.text)
        if rid in seen:
            summary.outcomes.append(Outcome(item.source, "unchanged", f"same text as {seen[rid]}"))
            continue
        seen[rid] = item.source
        mapped = item.name in options.mapping or item.source in options.mapping
        if store.has_review(rid) and not (mapped and store.status_of(rid) == "unverified"):
            summary.outcomes.append(Outcome(item.source, "unchanged", "already stored"))
        else:
            # A stored unverified review that the mapping now gives a head for is verified again.
            replaces = [old for old in store.reviews_from(item.source) if old != rid]
            todo.append((item, replaces + ([rid] if store.has_review(rid) else [])))
    with closing(_run(todo, options)) as results:  # Ctrl-C while writing stops the workers too
        for done, ((item, replaces), result) in enumerate(zip(todo, results, strict=True), 1):
            if progress is not None:
                progress(done, len(todo), item.source)
            summary.outcomes.append(_store(store, item, replaces, result))
    return summary


def _store(store: Store, item: Item, replaces: list[str], result: Result | Stopped) -> Outcome:
    """Write one verified review; its outcome, skipped with the reason when it cannot be."""
    if isinstance(result, Stopped):
        return Outcome(item.source, "skipped", result.reason)
    status, reason, rows, findings = result
    if status == "skipped":
        return Outcome(item.source, "skipped", reason)
    try:
        store.write_review(rows, replaces)
    except StoreRowsError as exc:
        return Outcome(item.source, "skipped", str(exc))
    outcome = "replaced" if replaces else ("added" if status == "verified" else "unverified")
    return Outcome(item.source, outcome, reason, findings)


def _run(todo: list[tuple[Item, list[str]]], options: Options) -> Generator[Result | Stopped, None, None]:
    """Each review verified in a worker process, within the budget, in order."""
    from reviewvet.audit import workers

    return workers.run(_work, [(item, options) for item, _ in todo], jobs=options.jobs, budget=options.budget)
