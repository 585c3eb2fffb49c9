"""Ingest many reviews into the audit store: find them, verify each at its head, write it.

Verification runs in worker processes (``jobs``); every write happens here, one review per
transaction. A review whose text is already stored is skipped; a changed report from the
same source replaces its old rows.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewvet.audit.rows import Rows, review_id, review_rows
from reviewvet.audit.store import Store
from reviewvet.errors import ReviewvetError, UsageError

REVIEW_SUFFIXES = (".md", ".markdown", ".txt", ".json")


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
    repo: Path | None
    base: str | None = None
    mapping: dict[str, dict[str, str]] = field(default_factory=dict)
    jobs: int = 1
    cache_dir: Path | None = None
    context: Path | None = None
    rule_dirs: tuple[Path, ...] = ()


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

    git = Git(repo)
    sha = git.resolve(branch, what="--git-branch")
    tree = git.tree(sha)
    wanted = [e for e in tree.values() if e.path.lower().endswith(REVIEW_SUFFIXES) and not e.is_symlink]
    blobs = git.read_blobs([e.oid for e in wanted])
    items, skipped = [], []
    for entry in sorted(wanted, key=lambda e: e.path):
        data = blobs.get(entry.oid, b"")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            skipped.append(Outcome(f"{branch}:{entry.path}", "skipped", "not UTF-8"))
            continue
        items.append(Item(f"{branch}:{entry.path}", posixpath.basename(entry.path), text))
    skipped += [Outcome(f"{branch}:{p}", "skipped", "not a review file") for p in sorted(tree)
                if not p.lower().endswith(REVIEW_SUFFIXES)]
    return items, skipped


def load_mapping(path: Path | None) -> dict[str, dict[str, str]]:
    """A mapping file: review file name (or source) -> {"head": REV, "base": REV}, in YAML or JSON."""
    if path is None:
        return {}
    from reviewvet.rules.yamlfile import load_yaml, read_yaml_file

    try:
        text = read_yaml_file(path)  # the YAML reader's limits: size, no aliases, anchors or tags, depth
        data = load_yaml(str(path), text) if path.suffix != ".json" else json.loads(text)
    except (OSError, ValueError, RecursionError, ReviewvetError) as exc:
        raise UsageError(f"--map {str(path)!r} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) and "head" in v for v in data.values()):
        raise UsageError(f"--map {str(path)!r} must map review names to {{head: REV, base: REV}}")
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
        return None, None, "no --repo given"
    mapped = options.mapping.get(item.name) or options.mapping.get(item.source)
    if mapped:
        return mapped["head"], mapped.get("base", options.base), ""
    mismatch = _other_repository(options.repo, review.repository)
    if mismatch:
        return None, None, mismatch
    from reviewvet.git import Git
    from reviewvet.resolve.revisions import check_review_head, newest

    git = Git(options.repo)
    check = check_review_head(git, review)
    if check.status == "found":
        return newest(git, [full for _, full in check.found]), options.base, ""
    if check.status == "none-named":
        return None, None, "the review names no head commit and --map gives none"
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
    from reviewvet.pipeline import VerifyOptions, verify

    assert options.repo is not None
    return verify(review, options.repo, VerifyOptions(head=head, base=base, cache_dir=options.cache_dir,
                                                      context=options.context, rule_dirs=options.rule_dirs))


def _worker(args: tuple[Item, Options]) -> tuple[str, tuple[str, str, Rows, int]]:
    item, options = args
    return item.source, verify_item(item, options)


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
            # A stored unverified review that --map now gives a head for is verified again.
            replaces = [old for old in store.reviews_from(item.source) if old != rid]
            todo.append((item, replaces + ([rid] if store.has_review(rid) else [])))
    done = 0
    for (item, replaces), (status, reason, rows, findings) in zip(todo, _run(todo, options), strict=True):
        done += 1
        if progress is not None:
            progress(done, len(todo), item.source)
        if status == "skipped":
            summary.outcomes.append(Outcome(item.source, "skipped", reason))
            continue
        store.write_review(rows, replaces)
        outcome = "replaced" if replaces else ("added" if status == "verified" else "unverified")
        summary.outcomes.append(Outcome(item.source, outcome, reason, findings))
    return summary


def _run(todo: list[tuple[Item, list[str]]], options: Options) -> Iterator[tuple[str, str, Rows, int]]:
    if options.jobs <= 1 or len(todo) < 2:
        for item, _ in todo:
            yield verify_item(item, options)
        return
    import multiprocessing

    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=options.jobs, mp_context=context) as pool:
        for _, result in pool.map(_worker, [(item, options) for item, _ in todo]):
            yield result
