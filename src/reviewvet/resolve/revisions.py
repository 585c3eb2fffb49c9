"""Which commits a verification runs against: head, base, merge base, and the review's own head."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from reviewvet.errors import RevisionError
from reviewvet.git import Git
from reviewvet.model.source import EvidenceLevel, LogEntry
from reviewvet.model.review import Review
from reviewvet.model.source import HeadCandidate, HeadCheck, Revisions
from reviewvet.remotes import public_url
from reviewvet.resolve.facts import RefState, RepositoryFacts

DEFAULT_BASES = ("main", "master", "origin/main", "origin/master")
AUTO_HEAD_MIN_CONFIDENCE = 0.5


def resolve_revisions(
    git: Git,
    review: Review | None,
    *,
    head: str = "HEAD",
    base: str | None = None,
    merge_base: str | None = None,
    facts: RepositoryFacts | None = None,
    substitute: bool = False,
) -> Revisions:
    """The revisions to verify ``review`` against; what depends only on the repository (its refs, the
    subjects of its history) is asked of ``facts``, shared between reviews (default: one for this call).
    ``substitute``: the head is known to stand in for the one reviewed (taken from another report of
    the same branch), so it is never taken at its word, even for a review that names no head."""
    notes: list[str] = []
    refs = _refs_now(git, facts)
    # Which refs reach the review's head, and which commits share its subjects, only decide which head
    # ``auto`` picks: an explicit head asks nothing repository-wide (history is searched from the head,
    # the pull request's refs and the review's own commits).
    auto = head == "auto"
    head_check = _check_head(git, review, auto, auto, refs) if review else HeadCheck((), (), (), ())
    pr_refs = refs().pull_request_refs(review.pr_number) if review and review.pr_number else []
    head_sha, how = _pick_head(git, head, head_check, pr_refs, notes)
    base_rev, base_sha = _pick_base(git, base, head_sha, notes)
    mb: str | None
    if merge_base is not None:
        mb, source = git.resolve(merge_base, what="merge base", field="merge-base"), "given"
    elif base_sha is not None:
        mb, source = git.merge_base(base_sha, head_sha), "computed"
        if mb is None:
            notes.append(f"{base_rev!r} and the head share no history; no merge base")
    else:
        mb, source = None, "none"
    shallow = git.is_shallow()
    if shallow:
        notes.append("the repository is a shallow clone: history before its boundary is missing")
    evidence = head_evidence(git, head_check, head_sha, review)
    if substitute and evidence == "user-given-head":
        evidence = "substitute-head"  # the caller knows this head stands in for the reviewed one
    if evidence == "substitute-head":
        notes.append("the review's own head is not the one verified: a quote missing here may be code that "
                     "changed since the review, so the pull request's history is searched before any quote is "
                     "called invented")
    tips = (head_sha, *(c.sha for c in head_check.candidates), *(sha for _, sha in pr_refs),
            *(full for _, full in head_check.found))
    return Revisions(str(git.repo.resolve()), head, head_sha, base_rev, base_sha, mb, source, head_check, shallow,
                     tuple(notes), evidence, how, tuple(dict.fromkeys(tips)), public_url(git.remote_url()))


def head_evidence(git: Git, check: HeadCheck, head_sha: str, review: Review | None) -> EvidenceLevel:
    """reviewed-head when the head verified is the review's own (every commit it names is here); user-given-head
    when the review names no head at all; else substitute-head (the review's head is missing, or another one
    was chosen)."""
    if check.found and not check.missing and head_sha == newest(git, [full for _, full in check.found]):
        return "reviewed-head"
    if not check.named and not (review and review.commits):
        return "user-given-head"
    return "substitute-head"


def _pick_head(git: Git, head: str, check: HeadCheck, pr_refs: list[tuple[str, str]],
               notes: list[str]) -> tuple[str, str]:
    """The head commit and how it was chosen: review, pr-ref, subjects or user."""
    if head != "auto":
        return git.resolve(head, what="head", field="head"), "user"
    if check.status in ("found", "unreachable"):
        sha = newest(git, [full for _, full in check.found])
        unreachable = " (no ref reaches it any more, but its objects are here)" if check.unreachable else ""
        notes.append(f"head auto: the review's own head {sha[:12]} exists{unreachable} and is used")
        return sha, "review"
    if pr_refs:
        ref, sha = pr_refs[0]
        others = [f"{c.sha[:12]} ({c.refs or 'no ref'}, {c.matched}/{c.total} subjects)"
                  for c in check.candidates if c.sha != sha]
        notes.append(f"head auto: the review's head is missing; using its pull request's own ref {ref} "
                     f"({sha[:12]})" + (f"; other candidates: {', '.join(others)}" if others else ""))
        return sha, "pr-ref"
    best = check.candidates[0] if check.candidates else None
    if best is None or best.confidence < AUTO_HEAD_MIN_CONFIDENCE:
        raise RevisionError(
            "head auto: the review's head is not reachable in the repository and no commit matches its "
            "commit subjects well enough; name the head to verify against", field="head"
        )
    notes.append(f"head auto: using candidate {best.sha[:12]} ({best.matched}/{best.total} subjects match)")
    return best.sha, "subjects"


def newest(git: Git, shas: list[str]) -> str:
    """The one of ``shas`` that descends from all the others (else the first)."""
    tips = git.independent(shas) if len(shas) > 1 else shas
    return tips[0] if len(tips) == 1 else shas[0]


def _pick_base(git: Git, base: str | None, head: str, notes: list[str]) -> tuple[str | None, str | None]:
    if base is not None:
        return base, git.resolve(base, what="base", field="base")
    for name in DEFAULT_BASES:
        sha = git.try_resolve(name)
        if sha is not None:
            notes.append(f"no base given; using {name!r}")
            return name, sha
    notes.append("no base given and no main/master branch; merge-base checks are skipped")
    return None, None


def check_review_head(git: Git, review: Review, *, reachability: bool = True, candidates: bool = True,
                      facts: RepositoryFacts | None = None) -> HeadCheck:
    """Do the head SHA and commits the review names exist, reachable from a ref (asked only with
    ``reachability``)? If not, who might they be now (looked for only with ``candidates``: it reads
    the history of every ref, once per state of the refs of ``facts``)?"""
    return _check_head(git, review, reachability, candidates, _refs_now(git, facts))


def _refs_now(git: Git, facts: RepositoryFacts | None) -> Callable[[], RefState]:
    """The facts of the repository's refs as they are now, read when first wanted and then kept."""
    shared = facts if facts is not None else RepositoryFacts()
    return cache(lambda: shared.state(git))


def _check_head(git: Git, review: Review, reachability: bool, candidates: bool,
                refs: Callable[[], RefState]) -> HeadCheck:
    named = [review.head_sha] if review.head_sha else [c.sha for c in review.commits]
    found: list[tuple[str, str]] = []
    missing: list[str] = []
    for sha in named:
        full = git.try_resolve(sha) if _looks_like_sha(sha) else None
        if full:
            found.append((sha, full))
        else:
            missing.append(sha)
    unreachable: tuple[str, ...] = ()
    if reachability and found and not refs().refs_containing(git, newest(git, [full for _, full in found]), limit=1):
        unreachable = tuple(named_sha for named_sha, _ in found)
    found_by_subjects: tuple[HeadCandidate, ...] = ()
    if candidates and (missing or unreachable) and review.commits:
        found_candidates = _candidates(git, refs, [c.subject for c in review.commits])
        own = f"pull/{review.pr_number}/" if review.pr_number else None
        # The review's own pull request first: a stacked PR may carry a commit with the same subject.
        found_by_subjects = tuple(sorted(found_candidates, key=lambda c: not (own and own in c.refs)))
    return HeadCheck(tuple(named), tuple(found), tuple(missing), found_by_subjects, unreachable)


def _looks_like_sha(text: str) -> bool:
    return 4 <= len(text) <= 40 and all(c in "0123456789abcdef" for c in text)


def find_head_candidates(git: Git, subjects: list[str], limit: int = 5, *, facts: RepositoryFacts | None = None
                         ) -> list[HeadCandidate]:
    """Commits (on any ref) whose recent history repeats the review's commit subjects in order."""
    return _candidates(git, _refs_now(git, facts), subjects, limit)


def _candidates(git: Git, refs: Callable[[], RefState], subjects: list[str], limit: int = 5) -> list[HeadCandidate]:
    wanted = {s.strip() for s in subjects if s.strip()}
    if not wanted:
        return []
    state = refs()
    tips = state.subject_history(git).with_subjects({subjects[0], subjects[-1]})
    scored = []
    for tip in tips[:50]:
        history = state.first_parent_subjects(git, tip.sha, limit=len(subjects) * 3 + 10)
        matched = max(_in_order(subjects, history), _in_order(list(reversed(subjects)), history))
        scored.append(HeadCandidate(tip.sha, tip.subject, tip.refs, matched, len(subjects)))
    scored.sort(key=lambda c: (-c.matched, c.sha))
    return scored[:limit]


def _in_order(subjects: list[str], history: list[LogEntry]) -> int:
    """How many of ``subjects`` appear, in order, among the history's subjects (oldest first)."""
    position, count = 0, 0
    names = [e.subject.strip() for e in history]
    for subject in subjects:
        try:
            position = names.index(subject.strip(), position) + 1
            count += 1
        except ValueError:
            continue
    return count

