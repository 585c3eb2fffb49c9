"""Records of the repository side: tree entries, file texts, blame lines, commits, diffs and the
revisions a verification runs against. Plain data; reading git is ``reviewvet.git``'s job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How certain it is that a head is the code a review read (see ``model.checks.EVIDENCE_LEVELS``).
EvidenceLevel = Literal["reviewed-head", "user-given-head", "substitute-head", "flattened"]


@dataclass(frozen=True)
class TreeEntry:
    """One file of a tree: its path, git mode, object id and size in bytes."""

    path: str
    mode: str
    oid: str
    size: int

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"

    @property
    def is_submodule(self) -> bool:
        return self.mode == "160000"


@dataclass(frozen=True)
class LogEntry:
    """One commit of a history listing."""

    sha: str
    subject: str
    date: str
    refs: str = ""


@dataclass(frozen=True)
class FileVersion:
    """One version of a file in a history: its blob, the commit that wrote it and that commit's time."""

    path: str
    blob: str
    commit: str
    time: int


@dataclass(frozen=True)
class BlameLine:
    """Who last changed line ``line`` of the blamed file: ``sha``, as line ``orig_line`` of ``path``."""

    line: int
    sha: str
    orig_line: int
    path: str


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author: str
    time: int
    summary: str
    boundary: bool
    tz: str = "+0000"  # the author's own offset, so dates read as ``git log --date=short`` shows them


@dataclass(frozen=True)
class FileChange:
    """What a diff did to one file: lines added on the new side, lines deleted on the old side, and its
    hunks as ``(old_start, old_count, new_start, new_count)``. A deleted file has an empty ``path``."""

    path: str
    old_path: str
    added: tuple[tuple[int, int], ...]
    deleted: tuple[tuple[int, int], ...]
    hunks: tuple[tuple[int, int, int, int], ...] = ()

    def new_line(self, old: int) -> int | None:
        """Where line ``old`` of the old side is on the new side; None when the diff deleted it."""
        if not self.path:
            return None
        shift = 0
        for old_start, old_count, _new_start, new_count in self.hunks:
            if old_start <= old < old_start + old_count:
                return None
            if (old_start + old_count - 1 if old_count else old_start) < old:  # -U0: "-n,0" inserts after line n
                shift += new_count - old_count
        return old + shift


@dataclass(frozen=True)
class FileText:
    """A text file of a revision, split into lines (1-based by convention of callers)."""

    path: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Unreadable:
    """A file reviewvet will not read as text, with the reason."""

    path: str
    reason: str


PATH_STATUSES = ("exact", "suffix", "repaired", "ambiguous", "base-only", "missing", "unsafe", "submodule")


@dataclass(frozen=True)
class PathResolution:
    """Where a path a review claims lives at head (or why it cannot be used)."""

    claimed: str
    status: str
    path: str | None
    candidates: tuple[str, ...] = ()
    reason: str = ""

    @property
    def usable(self) -> bool:
        return self.status in ("exact", "suffix", "repaired")


@dataclass(frozen=True)
class HeadCandidate:
    """A commit that could be the head the review looked at, judged by commit subjects."""

    sha: str
    subject: str
    refs: str
    matched: int
    total: int

    @property
    def confidence(self) -> float:
        return self.matched / self.total if self.total else 0.0


@dataclass(frozen=True)
class HeadCheck:
    """What the review says about its head, and whether those commits exist here.

    ``found`` pairs each named SHA with its full id. ``unreachable`` lists named commits
    whose objects still exist but that no ref reaches any more (a force-push awaiting gc):
    they are as good as gone, so candidates are searched for them too.
    """

    named: tuple[str, ...]
    found: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]
    candidates: tuple[HeadCandidate, ...]
    unreachable: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        if not self.named:
            return "none-named"
        if self.missing:
            return "missing"
        return "unreachable" if self.unreachable else "found"


@dataclass(frozen=True)
class Revisions:
    """The resolved revisions of one verification, with how each was chosen."""

    repo: str
    head_rev: str
    head: str
    base_rev: str | None
    base: str | None
    merge_base: str | None
    merge_base_source: str
    head_check: HeadCheck
    shallow: bool
    notes: tuple[str, ...] = ()
    # How certain it is that ``head`` holds the code the review read (see checks.model.EVIDENCE_LEVELS),
    # how the head was chosen (review, pr-ref, subjects, user) and which other heads could stand for
    # the reviewed one (their histories are searched for quotes that head no longer has).
    head_evidence: EvidenceLevel = "user-given-head"
    head_source: str = "user"
    history_tips: tuple[str, ...] = ()
    # The hosted repository the head belongs to, as ``https://host/owner/name`` (reviewvet.remotes):
    # None when its origin is a path on this machine, or there is none. Never a credential or a local path.
    remote: str | None = None


@dataclass(frozen=True)
class Version:
    """A file's text as one commit of the history left it."""

    path: str
    commit: str
    date: str  # commit date, YYYY-MM-DD (UTC)
    text: FileText
