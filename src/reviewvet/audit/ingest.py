"""Ingest many reviews into the audit store: find them, verify each at its head, write it.

Each review's head is the mapping's, else the one ``verify --head auto`` picks (its own, its pull
request's ref, by its commit subjects), else, for a report naming only its branch, the newest
head of another report of that branch; how it was chosen is stored beside it. A repository's
identity comes from ``repo_name`` or a hosted origin URL; a local-path origin says nothing.

Verification runs in worker processes (``jobs``), each review within a time budget: a review
over it is stopped and skipped, and the batch goes on. Every write happens here, one review
per transaction; a review whose rows do not fit the store is skipped with the reason. A review
whose text is already stored verified is left alone (a stored unverified one is tried again);
a changed report from the same source replaces its old rows.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewvet.audit.rows import HeadChoice, Rows, review_date, review_id, review_rows
from reviewvet.audit.store import Store, StoredHead, StoreRowsError
from reviewvet.audit import DEFAULT_BUDGET
from reviewvet.audit.workers import Stopped
from reviewvet.errors import ReviewvetError, RevisionError, UsageError, about
from reviewvet.model.verification import CacheOptions, VerifyOptions
from reviewvet.remotes import is_local_url

if TYPE_CHECKING:
    from reviewvet.model.review import Review
    from reviewvet.model.source import Revisions
    from reviewvet.model.verification import Verification
    from reviewvet.resolve.facts import RepositoryFacts
    from reviewvet.workspace import Workspace

REVIEW_SUFFIXES = (".md", ".markdown", ".txt", ".json")
MAX_REPOSITORIES = 4  # repositories whose facts a worker process keeps


@dataclass(frozen=True)
class Item:
    source: str
    name: str
    text: str


# Why a review is stored unverified; the summary counts reviews by these.
CAUSES = {
    "no-repository": "no repository given",
    "other-repository": "about another repository",
    "no-head": "names no head",
    "head-not-found": "head not found",
    "failed": "verification failed",
}
# A repository's identity as a review gives it: owner/name (GitHub's spelling).
REPO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Outcome:
    source: str
    status: str  # added, replaced, unchanged, unverified, skipped
    reason: str = ""
    findings: int = 0
    evidence: str = ""  # verified at: reviewed-head, substitute-head or user-given-head
    how: str = ""  # how its head was chosen: review, pr-ref, subjects, branch, map
    cause: str = ""  # unverified: one of CAUSES; "not-stored" for a review skipped after it was read


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def sample(self) -> dict[str, Any]:
        """What the reviews found amount to: how many, verified at their reviewed head or at another,
        unverified (by cause), and read but not stored."""
        reviews = [o for o in self.outcomes if o.evidence or o.cause]
        at = Counter(o.evidence for o in reviews if o.evidence)
        return {"reviews": len(reviews), "reviewed_head": at["reviewed-head"], "substitute_head": at["substitute-head"],
                "given_head": at["user-given-head"],
                "substitute_by": _counts(o.how for o in reviews if o.evidence == "substitute-head"),
                "unverified": _counts(o.cause for o in reviews if o.cause in CAUSES),
                "not_stored": sum(1 for o in reviews if o.cause == "not-stored")}


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


@dataclass(frozen=True)
class Options:
    """How to ingest: ``verify`` is what every review is verified with (checks, rules, context,
    parse cache); its head and base are each review's own: the mapping's head and base, else the
    head ``verify --head auto`` picks (or the head of another report of its branch) and ``base``
    (``{pr}`` in it is the review's pull request number). ``repo_name`` states the repository's
    owner/name (else its origin's URL tells, when it is a hosted one)."""

    repo: Path | None
    base: str | None = None
    mapping: dict[str, dict[str, str]] = field(default_factory=dict)
    jobs: int = 1
    budget: float = DEFAULT_BUDGET  # seconds to read and verify one review
    verify: VerifyOptions = field(default_factory=VerifyOptions)
    cache: CacheOptions = field(default_factory=CacheOptions)
    repo_name: str | None = None
    # branch -> head for reviews naming only their branch: the heads other reports of it were verified at.
    branch_heads: dict[str, str] = field(default_factory=dict)
    executor: str = "local"  # "local": worker processes here; "dask": the cluster at ``address`` (audit/cluster.py)
    address: str | None = None  # the Dask scheduler; None: a local cluster of ``jobs`` workers
    # provider, model, base URL and timeout of the model that challenges refuted and doubtful findings
    challenger: tuple[str, str, str | None, float] | None = None


@dataclass(frozen=True)
class Given:
    """A head chosen for a review from outside its text: by the mapping file, or by another report
    of its branch. ``base`` None: the ingest's own."""

    head: str
    base: str | None
    how: str  # map, branch


@dataclass(frozen=True)
class Checked:
    """A worker's answer for one review: its status (verified, unverified, skipped), the reason and
    rows, and what other reviews of its branch may need: its branch, date and head."""

    status: str
    reason: str
    rows: Rows = field(default_factory=dict)
    findings: int = 0
    cause: str = ""
    choice: HeadChoice | None = None
    head: str | None = None
    branch: str | None = None
    date: str | None = None

    @property
    def waits_for_branch(self) -> bool:
        """Unverified for naming no head, but another report of its branch may have one."""
        return self.cause == "no-head" and bool(self.branch)


Result = Checked  # verify_item's answer
Todo = tuple[Item, list[str]]  # a review to verify and the stored reviews its rows replace


class _NoHead(ReviewvetError):
    """No head to verify a review at: ``cause`` is no-head or head-not-found."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message, field="head")
        self.cause = cause


def valid_repo_name(name: str) -> bool:
    """``owner/name``, as a review's Repo row and a hosted repository's URL spell it."""
    return REPO_NAME.fullmatch(name) is not None and name.split("/")[1] not in (".", "..")


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


def verify_item(item: Item, options: Options) -> Checked:
    """What becomes of one review: verified at the head the mapping gives, else at the one ``verify
    --head auto`` picks, else (naming only its branch) at its branch's head in ``options``; unverified
    with the reason, or skipped. Never raises for a bad review."""
    try:
        review = _parse(item)
    except ReviewvetError as exc:
        return Checked("skipped", str(exc))
    if not review.all_findings():
        return Checked("skipped", "no findings (not a review?)")
    verification, choice, cause, reason = _verify_or_why(review, _mapped(item, options), options)
    if cause == "no-head" and review.branch in options.branch_heads:
        given = Given(options.branch_heads[review.branch], None, "branch")
        verification, choice, cause, reason = _verify_or_why(review, given, options)
    status = "verified" if verification is not None else "unverified"
    rows = item_rows(item, review, verification, reason=reason, choice=choice, repository=options.repo_name)
    return Checked(status, reason, rows, len(review.all_findings()), cause, choice,
                   verification.revisions.head if verification else None, review.branch, review_date(review))


def item_rows(item: Item, review: Review, verification: Verification | None, *, reason: str = "",
              choice: HeadChoice | None = None, repository: str | None = None) -> Rows:
    """All the rows ingest stores for one review: verified when ``verification`` is given (its findings,
    claims, rule hits and challenges), else unverified for ``reason``; and the consolidator's items, judged
    against the verification's decisions. ``Store.write_review`` writes them."""
    from reviewvet.audit.consolidator import consolidator_rows

    rid = review_id(item.text)
    status = "verified" if verification is not None else "unverified"
    rows = review_rows(rid, item.source, review, status, reason, verification, choice=choice, repository=repository)
    decisions = verification.decisions if verification else {}
    rows["consolidator"] = consolidator_rows(rid, review, review.all_findings(), decisions)
    return rows


def _parse(item: Item) -> Review:
    from reviewvet.ingest.claims import looks_like_claims, parse_claims
    from reviewvet.ingest.parse import parse_review

    return parse_claims(item.text, item.source) if looks_like_claims(item.text) else parse_review(
        item.text, item.source)


def _verify_or_why(review: Review, given: Given | None, options: Options
                   ) -> tuple[Verification | None, HeadChoice | None, str, str]:
    """(verification, how its head was chosen, "", "") or (None, None, cause, reason)."""
    if options.repo is None:
        return None, None, "no-repository", "no repository given"
    mismatch = _other_repository(options.repo, review.repository, options.repo_name)
    if mismatch:
        return None, None, "other-repository", mismatch
    try:
        return (*_verify(review, given, options), "", "")
    except _NoHead as exc:
        return None, None, exc.cause, str(exc)
    except ReviewvetError as exc:
        return None, None, "failed", f"verification failed: {exc}"
    except Exception as exc:  # one review's failure is reported; the batch goes on
        return None, None, "failed", f"verification failed: internal error {type(exc).__name__}: {exc}"


def _verify(review: Review, given: Given | None, options: Options) -> tuple[Verification, HeadChoice]:
    """The review verified at the head given, else at the head ``verify --head auto`` picks (its own,
    its pull request's ref, or by its commit subjects), with one set of repository facts per process."""
    from reviewvet.api import open_workspace, verify

    assert options.repo is not None
    head = given.head if given else "auto"
    base = (given.base if given else None) or _base_for(review, options)
    # A head taken from another report of the branch stands in for the reviewed one (the review names
    # none): it is graded as a substitute, never taken at its word.
    branch = given is not None and given.how == "branch"
    with open_workspace(options.repo, head, base, cache_dir=options.cache.directory, use_cache=options.cache.use,
                        facts=_facts_of(options.repo), substitute=branch) as workspace:
        revisions = _revisions(workspace, review, given)
        verification = verify(workspace, review, options.verify)
        if options.challenger is not None:
            verification = _challenged(workspace, verification, options)
    how = given.how if given else revisions.head_source
    return verification, HeadChoice(how, revisions.head_evidence)


def _challenged(workspace: Workspace, verification: Verification, options: Options) -> Verification:
    """The verification with its refuted and doubtful findings challenged by the ingest's model."""
    from reviewvet.llm.challenge import challenge
    from reviewvet.llm.client import open_client

    assert options.challenger is not None
    provider, model, base_url, timeout = options.challenger
    client = open_client(provider, model, base_url=base_url, timeout=timeout)
    return challenge(workspace, verification, client, options=options.verify)


def _revisions(workspace: Workspace, review: Review, given: Given | None) -> Revisions:
    try:
        return workspace.revisions(review)
    except RevisionError as exc:
        if given is not None or exc.field != "head":
            raise
        raise _no_head(review) from exc


def _no_head(review: Review) -> _NoHead:
    named = [review.head_sha] if review.head_sha else [c.sha for c in review.commits if c.sha]
    if named or review.commits:
        what = f"the review's head ({', '.join(named)})" if named else "the review's commits"
        return _NoHead(f"{what} is not in the repository, its pull request has no ref here and no commit matches "
                       "its commit subjects", "head-not-found")
    branch = f", nor has any other report of its branch {review.branch!r} a head" if review.branch else ""
    return _NoHead("the review names no head commit, its pull request has no ref here"
                   f"{branch}, and the mapping file gives none", "no-head")


def _base_for(review: Review, options: Options) -> str | None:
    """The ingest's base for this review: ``{pr}`` in it is the review's pull request number; a base
    so made that is not in the repository (or a review without a number) leaves the base to
    ``verify``'s default (main, master, origin/main, origin/master)."""
    if options.base is None or "{pr}" not in options.base:
        return options.base
    if review.pr_number is None:
        return None
    from reviewvet.git import Git

    assert options.repo is not None
    rev = options.base.replace("{pr}", str(review.pr_number))
    return rev if Git(options.repo).try_resolve(rev) else None


def _other_repository(repo: Path, named: str | None, stated: str | None = None) -> str:
    """A reason to refuse when the review is about another repository than the one given: than
    ``stated`` (owner/name), else than the one its origin's URL names (whole path segments, ignoring
    case). An origin that is a path on this machine (a mirror, a bundle, a CI checkout), or none,
    says nothing about the repository's identity."""
    if not named:
        return ""
    if stated:
        same = stated.lower().strip("/") == named.lower().strip("/")
        return "" if same else f"the review is about {named!r}, but the repository was stated to be {stated!r}"
    from reviewvet.git import Git

    remote = Git(repo).remote_url()
    if not remote or is_local_url(remote):
        return ""
    path = remote.lower().rstrip("/").removesuffix(".git")
    wanted = named.lower().strip("/")
    if path == wanted or path.endswith("/" + wanted) or path.endswith(":" + wanted):
        return ""
    return f"the review is about {named!r}, but the repository's origin is {remote!r}"


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


def _work(args: tuple[Item, Options]) -> Checked:
    item, options = args
    return verify_item(item, options)


# -- the ingest loop --------------------------------------------------------------------------------


def ingest(store: Store, items: list[Item], options: Options,
           progress: Callable[[int, int, str], None] | None = None) -> Summary:
    """Verify and store each review. One that names no head and has no pull request ref here, but
    names its branch, is verified after the others at the head of the newest report (by its date)
    of that branch verified in this ingest or stored by an earlier one."""
    summary = Summary()
    todo, unchanged = _plan(store, items, options, summary)
    held: list[tuple[Todo, Checked]] = []
    heads: list[tuple[str, str, str]] = []  # (branch, date, head) of the verified reviews
    with closing(_run(todo, options)) as results:
        for done, (job, result) in enumerate(zip(todo, results, strict=True), 1):  # Ctrl-C here stops the workers
            if progress is not None:
                progress(done, len(todo), job[0].source)
            if isinstance(result, Checked) and result.waits_for_branch:
                held.append((job, result))
                continue
            if isinstance(result, Checked) and result.status == "verified" and result.branch and result.head:
                heads.append((result.branch, result.date or "", result.head))
            summary.outcomes.append(_store(store, *job, result))
    if held:
        summary.outcomes += _by_branch(store, held, heads + _stored_heads(store, unchanged), options)
    return summary


def _plan(store: Store, items: list[Item], options: Options, summary: Summary) -> tuple[list[Todo], list[Item]]:
    """The reviews to verify (new, changed, or stored unverified while a repository is given now) and
    those left as stored; duplicates and stored ones go into ``summary`` at once."""
    todo: list[Todo] = []
    unchanged: list[Item] = []
    seen: dict[str, str] = {}
    for item in items:
        rid = review_id(item.text)
        if rid in seen:
            summary.outcomes.append(Outcome(item.source, "unchanged", f"same text as {seen[rid]}"))
            continue
        seen[rid] = item.source
        stored = store.head_of(rid)
        # A stored unverified review is verified again: the repository, the mapping or the heads
        # ingest can find may have changed since.
        if stored is not None and not (stored.status == "unverified" and options.repo is not None):
            summary.outcomes.append(_as_stored(item, stored))
            unchanged.append(item)
            continue
        replaces = [old for old in store.reviews_from(item.source) if old != rid]
        todo.append((item, replaces + ([rid] if stored else [])))
    return todo, unchanged


def _as_stored(item: Item, stored: StoredHead) -> Outcome:
    if stored.status == "verified":
        return Outcome(item.source, "unchanged", "already stored", evidence=stored.evidence or "",
                       how=stored.how or "")
    return Outcome(item.source, "unchanged", "already stored", cause="no-repository")


def _mapped(item: Item, options: Options) -> Given | None:
    mapped = options.mapping.get(item.name) or options.mapping.get(item.source)
    return Given(mapped["head"], mapped.get("base"), "map") if mapped else None


def _by_branch(store: Store, held: list[tuple[Todo, Checked]], heads: list[tuple[str, str, str]],
               options: Options) -> list[Outcome]:
    """The reviews naming only their branch: verified again at their branch's newest head, or stored
    unverified as they were."""
    newest: dict[str, tuple[str, str]] = {}
    for branch, date, head in heads:
        if branch not in newest or date >= newest[branch][0]:
            newest[branch] = (date, head)
    outcomes = [_store(store, *job, result) for job, result in held if result.branch not in newest]
    again = [job for job, result in held if result.branch in newest]
    branch_heads = {branch: head for branch, (_, head) in newest.items()}
    with closing(_run(again, replace(options, branch_heads=branch_heads))) as results:
        for job, result in zip(again, results, strict=True):
            outcomes.append(_store(store, *job, result))
    return outcomes


def _stored_heads(store: Store, items: list[Item]) -> list[tuple[str, str, str]]:
    """(branch, date, head) of the stored verified reviews among ``items`` (read again for their branch)."""
    heads = []
    for item in items:
        stored = store.head_of(review_id(item.text))
        if stored is None or stored.status != "verified" or not stored.head:
            continue
        try:
            branch = _parse(item).branch
        except ReviewvetError:
            continue
        if branch:
            heads.append((branch, stored.date or "", stored.head))
    return heads


def _store(store: Store, item: Item, replaces: list[str], result: Checked | Stopped) -> Outcome:
    """Write one verified review; its outcome, skipped with the reason when it cannot be."""
    if isinstance(result, Stopped):
        return Outcome(item.source, "skipped", result.reason, cause="not-stored")
    if result.status == "skipped":
        return Outcome(item.source, "skipped", result.reason)
    try:
        store.write_review(result.rows, replaces)
    except StoreRowsError as exc:
        return Outcome(item.source, "skipped", str(exc), cause="not-stored")
    verified = result.status == "verified"
    changed = any(old != review_id(item.text) for old in replaces)  # else the same text verified again
    outcome = "replaced" if changed or (replaces and verified) else ("added" if verified else "unverified")
    choice = result.choice
    return Outcome(item.source, outcome, result.reason, result.findings, evidence=choice.evidence if choice else "",
                   how=choice.how if choice else "", cause=result.cause)


def _run(todo: list[Todo], options: Options) -> Generator[Checked | Stopped, None, None]:
    """Each review verified in a worker process, within the budget, in order."""
    from reviewvet.audit import workers

    if options.executor == "dask":
        from reviewvet.audit import cluster

        return cluster.run(_work, [(item, options) for item, _ in todo], options)
    return workers.run(_work, [(item, options) for item, _ in todo], jobs=options.jobs, budget=options.budget)
