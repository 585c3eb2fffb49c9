"""What the checks share while verifying one review: snapshots, resolved paths, options."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewvet.checks.matching import index_lines
from reviewvet.resolve.snapshot import FileText, PathResolution, Snapshot, Unreadable, resolve_path


@dataclass(frozen=True)
class CheckOptions:
    near_miss_threshold: float = 0.8
    max_drift: int = 5
    min_global_chars: int = 20


@dataclass
class CheckContext:
    head: Snapshot
    base: Snapshot | None
    options: CheckOptions = field(default_factory=CheckOptions)
    _resolved: dict[str, PathResolution] = field(default_factory=dict)
    _head_index: dict[str, list[tuple[str, int]]] | None = None
    _base_index: dict[str, list[tuple[str, int]]] | None = None

    def resolve(self, claimed: str) -> PathResolution:
        if claimed not in self._resolved:
            self._resolved[claimed] = resolve_path(claimed, self.head, self.base)
        return self._resolved[claimed]

    def prefetch(self, claimed_paths: list[str]) -> None:
        """Read every claimed file at head and base in one bulk read per side."""
        resolutions = [self.resolve(p) for p in dict.fromkeys(claimed_paths)]
        head_paths = [r.path for r in resolutions if r.usable and r.path]
        head_paths += [c for r in resolutions for c in r.candidates]
        self.head.load(head_paths)
        if self.base is not None:
            self.base.load(head_paths + [r.path for r in resolutions if r.status == "base-only" and r.path])

    def text(self, snapshot: Snapshot, path: str) -> FileText | Unreadable | None:
        return snapshot.file(path)

    def line_index(self, side: str) -> dict[str, list[tuple[str, int]]]:
        """Normalised line -> (path, position among the file's non-blank lines), over every file."""
        snapshot = self.head if side == "head" else self.base
        assert snapshot is not None
        cached = self._head_index if side == "head" else self._base_index
        if cached is not None:
            return cached
        index: dict[str, list[tuple[str, int]]] = {}
        for text in snapshot.text_files():
            for pos, norm in enumerate(index_lines(text.lines).norm):
                index.setdefault(norm, []).append((text.path, pos))
        if side == "head":
            self._head_index = index
        else:
            self._base_index = index
        return index
