"""The options of a verification and its result: what every front end passes in and gets back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reviewvet.model.challenge import ChallengeOutcome
from reviewvet.model.checks import FindingVerdict
from reviewvet.model.review import Review
from reviewvet.model.rules import AgentRow, Decision, Rule
from reviewvet.model.source import Revisions

MiB = 1024 * 1024


@dataclass(frozen=True)
class CheckOptions:
    """How the checks match, and how much of a repository they may read.

    The all-files search (a quote in another file, a quote's lines anywhere) indexes a
    revision when its text fits in ``max_index_bytes``; the index keeps about 2.5 bytes of
    memory per byte of text (3.2 while it is built; measured on short, all-distinct lines),
    so at most ~0.65 GB per side by default, and is built at ~20 MB/s on one core. A larger
    revision is searched with ``git grep`` instead (~5 s per 465 MB scanned), reading at most
    ``max_scan_bytes`` of candidate files per lookup. The same scan budget bounds the
    earlier versions read for one quote and the files read to confirm where a quote is;
    ``max_fuzzy_bytes`` bounds the files compared fuzzily with one quote.
    """

    near_miss_threshold: float = 0.8
    max_drift: int = 5
    min_global_chars: int = 20
    symbols: bool = True
    provenance: bool = True
    blame_options: tuple[str, ...] = ("-w", "-M", "-C")
    max_index_bytes: int = 256 * MiB
    max_scan_bytes: int = 64 * MiB
    max_fuzzy_bytes: int = 32 * MiB


@dataclass(frozen=True)
class CacheOptions:
    """Where a workspace keeps parsed files between runs (default ``$REVIEWVET_CACHE_DIR`` or
    ``~/.cache/reviewvet``), and whether it keeps them at all."""

    directory: Path | None = None
    use: bool = True


@dataclass(frozen=True)
class VerifyOptions:
    """How one review is verified. Where (repository, head, base) and the parse cache belong to the
    workspace (``reviewvet.api.open_workspace``)."""

    include_agents: bool = True
    checks: CheckOptions = field(default_factory=CheckOptions)
    rule_dirs: tuple[Path, ...] = ()
    default_rules: bool = True
    context: Path | None = None  # conventions file; default: .reviewvet.yaml at the head revision


@dataclass(frozen=True)
class Verification:
    review: Review
    revisions: Revisions
    verdicts: tuple[FindingVerdict, ...]
    timings: tuple[tuple[str, float], ...]
    git_seconds: float
    git_processes: int
    decisions: dict[str, Decision] = field(default_factory=dict)
    accounting: tuple[AgentRow, ...] = ()
    rules: tuple[Rule, ...] = ()
    conventions: tuple[str, ...] = ()  # names of the repository conventions in force
    challenges: tuple[ChallengeOutcome, ...] = ()  # refuted and doubtful findings a model answered (llm.challenge)

    def challenge(self, key: str) -> ChallengeOutcome | None:
        """The challenge of the finding ``key``, if it was challenged."""
        return next((c for c in self.challenges if c.key == key), None)
