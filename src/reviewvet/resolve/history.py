"""Quote history: the surviving versions of claimed files along the pull request's history.

When the commit a review was written against is gone (a force-pushed branch), the code it
quoted may have changed since. Before a quote that is absent at head is called invented,
it is looked up in every version the claimed files had between the merge base and each
head that could stand for the reviewed one (the head verified, the candidates found by
commit subjects, the pull request's own refs). Each distinct blob is read once, in bulk,
newest first and within limits (``max_versions``, ``max_bytes`` per set of paths): versions
beyond them are counted, not read, and a quote not found in what was read is not refuted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from reviewvet.checks.matching import index_lines
from reviewvet.git import Git
from reviewvet.model.source import FileText, FileVersion, Version
from reviewvet.resolve.snapshot import decode_text


@dataclass
class FileHistory:
    """The versions of files between ``exclude`` (the merge base) and each of ``tips``."""

    git: Git
    tips: tuple[str, ...]
    exclude: str | None
    max_bytes: int = 64 * 1024 * 1024  # blob bytes read for the versions of one set of paths
    max_versions: int = 200  # versions read for one set of paths, newest first
    _by_path: dict[str, list[Version]] = field(default_factory=dict)
    _texts: dict[str, FileText | None] = field(default_factory=dict)
    _unread: dict[str, int] = field(default_factory=dict)  # path -> versions left unread by the limits

    def versions(self, paths: list[str]) -> list[Version]:
        """Every surviving version of ``paths`` in the history (newest commit first), read in bulk."""
        todo = [p for p in dict.fromkeys(paths) if p and p not in self._by_path]
        if todo:
            self._load(todo)
        return [v for p in dict.fromkeys(paths) if p for v in self._by_path.get(p, [])]

    def unread(self, paths: list[str]) -> int:
        """How many versions of ``paths`` the limits left unread (after ``versions``)."""
        return sum(self._unread.get(p, 0) for p in dict.fromkeys(paths))

    def _load(self, paths: list[str]) -> None:
        found = self.git.file_versions(list(self.tips), self.exclude, paths)
        read, total = 0, 0
        while read < min(len(found), self.max_versions) and total < self.max_bytes:
            batch = found[read:min(read + 16, self.max_versions)]
            blobs = self.git.read_blobs([v.blob for v in batch if v.blob not in self._texts])
            for v in batch:
                if v.blob not in self._texts:
                    self._texts[v.blob] = decode_text(v.path, blobs.get(v.blob))
            total += sum(map(len, blobs.values()))
            read += len(batch)
        for path in paths:
            self._by_path[path] = [_version(v, self._texts[v.blob]) for v in found[:read] if v.path == path
                                   and self._texts.get(v.blob) is not None]
            self._unread[path] = sum(1 for v in found[read:] if v.path == path)

    def normalised_lines(self, paths: list[str]) -> set[str]:
        """Every normalised non-blank line the versions of ``paths`` ever held."""
        out: set[str] = set()
        for v in self.versions(paths):
            out.update(index_lines(v.text.lines).norm)
        return out


def _version(v: FileVersion, text: FileText | None) -> Version:
    assert text is not None
    day = datetime.datetime.fromtimestamp(v.time, tz=datetime.timezone.utc).date().isoformat()
    return Version(v.path, v.commit, day, text)
