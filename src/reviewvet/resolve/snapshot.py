"""A revision's files, read from git objects (never the work tree), and claimed-path resolution."""

from __future__ import annotations

import posixpath
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from reviewvet.git import Git
from reviewvet.model.source import TreeEntry
from reviewvet.model.source import FileText, PathResolution, Unreadable

DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
READ_BATCH_BYTES = 16 * 1024 * 1024  # blobs read by one ``cat-file --batch`` when reading many files
DEFAULT_MAX_KEPT_BYTES = 256 * 1024 * 1024  # text a snapshot keeps in memory; the least recently read goes first
# A Git LFS pointer stands for a file kept outside the repository (spec v1; pointers are under 1024 bytes).
LFS_POINTER_PREFIXES = (b"version https://git-lfs.github.com/spec/v1", b"version https://hawser.github.com/spec/v1")
LFS_POINTER_MAX_BYTES = 1024


@dataclass
class Snapshot:
    """The files of one revision; blob contents are fetched in bulk and kept, up to ``max_kept_bytes``
    (beyond it the least recently read texts are dropped, and read again when asked for)."""

    git: Git
    rev: str
    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_kept_bytes: int = DEFAULT_MAX_KEPT_BYTES
    tree: dict[str, TreeEntry] = field(init=False)
    _files: OrderedDict[str, FileText | Unreadable] = field(init=False, default_factory=OrderedDict)
    _kept_bytes: int = field(init=False, default=0)
    _by_name: dict[str, list[str]] | None = field(init=False, default=None)
    _gitlinks: list[str] = field(init=False, default_factory=list)
    _all_readable_bytes: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.tree = self.git.tree(self.rev)
        self._gitlinks = [path for path, entry in self.tree.items() if entry.is_submodule]

    def grep(self, patterns: list[list[str]]) -> list[str] | None:
        """Paths holding, on one line, every fixed string of one of ``patterns`` (``git grep -F``)."""
        return self.git.grep_files(self.rev, patterns)

    def has(self, path: str) -> bool:
        return path in self.tree

    def load(self, paths: list[str]) -> None:
        """Read every path not yet read, in bulk (one ``git cat-file --batch`` per 16 MiB)."""
        todo = [p for p in dict.fromkeys(paths) if p in self.tree and p not in self._files]
        for _ in self.stream(todo, keep=True):
            pass

    @property
    def kept_bytes(self) -> int:
        """Bytes of text the snapshot holds in memory now."""
        return self._kept_bytes

    def _keep(self, f: FileText | Unreadable) -> None:
        self._files[f.path] = f
        if isinstance(f, FileText):
            self._kept_bytes += self.tree[f.path].size
        while self._kept_bytes > self.max_kept_bytes and len(self._files) > 1:
            _, dropped = self._files.popitem(last=False)
            if isinstance(dropped, FileText):
                self._kept_bytes -= self.tree[dropped.path].size

    def _refused(self, path: str) -> Unreadable | None:
        """Why ``path`` is not read at all (a link, a submodule, too large), or None when it may be."""
        entry = self.tree[path]
        if entry.is_symlink:
            return Unreadable(path, "is a symbolic link; reviewvet does not follow links")
        if entry.is_submodule:
            return Unreadable(path, "is a submodule, not a file")
        if entry.size > self.max_bytes:
            return Unreadable(path, f"is {entry.size} bytes, over the {self.max_bytes}-byte limit")
        return None

    def readable(self, path: str) -> bool:
        """Whether ``path`` is in the revision and may be read as text (not a link, submodule or too large)."""
        return path in self.tree and self._refused(path) is None

    def readable_bytes(self, paths: list[str] | None = None) -> int:
        """How many bytes reading ``paths`` (default: every file) as text would read, from the tree's sizes."""
        if paths is None:
            if self._all_readable_bytes is None:
                self._all_readable_bytes = sum(e.size for p, e in self.tree.items() if self._refused(p) is None)
            return self._all_readable_bytes
        chosen = dict.fromkeys(p for p in paths if p in self.tree)
        return sum(self.tree[p].size for p in chosen if self._refused(p) is None)

    def stream(self, paths: list[str] | None = None, *, keep: bool = False, batch_bytes: int = READ_BATCH_BYTES
               ) -> Iterator[FileText | Unreadable]:
        """Each of ``paths`` (default: every file) as text or Unreadable, read in bulk batches; kept
        (within ``max_kept_bytes``) only when ``keep``, so a pass over every file does not stay in
        memory. Files already kept come from memory."""
        batch: list[TreeEntry] = []
        size = 0
        for path in dict.fromkeys(self.tree if paths is None else paths):
            if path not in self.tree:
                continue
            ready = self._files.get(path) or self._refused(path)
            if ready is not None:
                if keep and path not in self._files:
                    self._keep(ready)
                yield ready
                continue
            batch.append(self.tree[path])
            size += self.tree[path].size
            if size >= batch_bytes:
                yield from self._read(batch, keep)
                batch, size = [], 0
        yield from self._read(batch, keep)

    def _read(self, entries: list[TreeEntry], keep: bool) -> Iterator[FileText | Unreadable]:
        blobs = self.git.read_blobs([e.oid for e in entries])
        for entry in entries:
            f = _decode(entry.path, blobs.get(entry.oid))
            if keep:
                self._keep(f)
            yield f

    def file(self, path: str) -> FileText | Unreadable | None:
        """The text of ``path``, Unreadable with a reason, or None when the path is absent."""
        if path not in self.tree:
            return None
        known = self._files.get(path)
        return known if known is not None else next(self.stream([path], keep=True))

    def text_files(self) -> list[FileText]:
        """Every readable text file of the revision (read in bulk, and not kept by the snapshot)."""
        return [f for f in self.stream() if isinstance(f, FileText)]

    def submodule_of(self, path: str) -> str | None:
        """The submodule (gitlink) ``path`` is or lies inside, or None."""
        for link in self._gitlinks:
            if path == link or path.startswith(link + "/"):
                return link
        return None

    def submodule_under_root(self, claimed: str) -> str | None:
        """A submodule ``claimed`` would lie inside if it were relative to a module root (``lib/x.go``
        for a submodule at ``vendor/lib``), or None."""
        parts = claimed.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            for link in self._gitlinks:
                if link.endswith("/" + prefix):
                    return link
        return None

    def named(self, name: str) -> list[str]:
        """The paths whose last part is ``name`` (the index made on first use: most runs find every
        claimed path where it is claimed)."""
        if self._by_name is None:
            self._by_name = {}
            for path in self.tree:
                self._by_name.setdefault(path.rpartition("/")[2], []).append(path)
        return self._by_name.get(name, [])

    def suffix_matches(self, claimed: str) -> list[str]:
        name = posixpath.basename(claimed)
        return sorted(p for p in self.named(name) if p.endswith("/" + claimed))

    def symlink_prefix(self, claimed: str) -> str | None:
        """The first leading directory of ``claimed`` that is a symbolic link in this tree."""
        parts = claimed.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            entry = self.tree.get(prefix)
            if entry is not None and entry.is_symlink:
                return prefix
        return None

    def glued_matches(self, claimed: str) -> list[str]:
        """Paths that end ``claimed`` after a few characters of prose glued to its front."""
        name = posixpath.basename(claimed)
        return sorted(
            p for p in self.named(name)
            if claimed.endswith(p) and 0 < len(claimed) - len(p) <= 12
            and not claimed[: len(claimed) - len(p)].endswith("/")
        )


def decode_text(path: str, data: bytes | None) -> FileText | None:
    """A blob as text lines, or None when it is missing, binary or not UTF-8."""
    decoded = _decode(path, data)
    return decoded if isinstance(decoded, FileText) else None


def _decode(path: str, data: bytes | None) -> FileText | Unreadable:
    if data is None:
        return Unreadable(path, "its blob is missing from the object store")
    if b"\x00" in data[:8192]:
        return Unreadable(path, "is a binary file")
    if len(data) < LFS_POINTER_MAX_BYTES and data.startswith(LFS_POINTER_PREFIXES):
        return Unreadable(path, "is a Git LFS pointer: its content is not in the repository")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unreadable(path, f"is not UTF-8 (byte {exc.start})")
    lines = text.split("\n")  # as git counts lines: \f, \v, \x85 and \u2028 do not end one
    if lines and lines[-1] == "":
        lines.pop()
    return FileText(path, tuple(line.removesuffix("\r") for line in lines))


# -- claimed paths ------------------------------------------------------------------------


def unsafe_reason(claimed: str) -> str | None:
    if claimed.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:[\\/]", claimed):
        return "is an absolute path; reviewvet only reads paths inside the repository"
    if ".." in claimed.replace("\\", "/").split("/"):
        return "contains '..'; reviewvet never follows a path out of the repository"
    if "\x00" in claimed:
        return "contains a NUL byte"
    return None


def resolve_path(claimed: str, head: Snapshot, base: Snapshot | None) -> PathResolution:
    reason = unsafe_reason(claimed)
    if reason:
        return PathResolution(claimed, "unsafe", None, reason=f"{claimed!r} {reason}")
    path = claimed[2:] if claimed.startswith("./") else claimed
    resolution = _at_head(claimed, path, head) or _by_name(claimed, path, head) or _at_base(claimed, path, base)
    if resolution is not None:
        return resolution
    inside = head.submodule_under_root(path) or (base.submodule_of(path) if base is not None else None)
    if inside is not None:
        return _in_submodule(claimed, inside)
    return PathResolution(claimed, "missing", None, reason=f"{claimed!r} does not exist at head")


def _at_head(claimed: str, path: str, head: Snapshot) -> PathResolution | None:
    """The path as written at head: refused through a symbolic link, in a submodule, or exact."""
    link = head.symlink_prefix(path)
    if link is not None:
        return PathResolution(claimed, "unsafe", None, reason=f"{claimed!r} leads through the symbolic link {link!r}")
    inside = head.submodule_of(path)
    if inside is not None:
        return _in_submodule(claimed, inside)
    if not head.has(path):
        return None
    if head.tree[path].is_symlink:
        return PathResolution(claimed, "unsafe", None, reason=f"{claimed!r} is a symbolic link; not followed")
    return PathResolution(claimed, "exact", path)


def _by_name(claimed: str, path: str, head: Snapshot) -> PathResolution | None:
    """The one head file the path names under a module root, else after prose glued to its front
    (ambiguous when several match)."""
    for status, matches in (("suffix", head.suffix_matches(path)), ("repaired", head.glued_matches(path))):
        if len(matches) == 1:
            how = "under a module root" if status == "suffix" else "after removing text glued to its front"
            return PathResolution(claimed, status, matches[0], reason=f"resolved to {matches[0]!r} {how}")
        if len(matches) > 1:
            return PathResolution(claimed, "ambiguous", None, tuple(matches),
                                  f"{claimed!r} matches {len(matches)} files: {', '.join(matches[:5])}")
    return None


def _at_base(claimed: str, path: str, base: Snapshot | None) -> PathResolution | None:
    """The one merge-base file the path names, as written or under a module root."""
    if base is None:
        return None
    at_base = [path] if base.has(path) else base.suffix_matches(path)
    if len(at_base) != 1:
        return None
    return PathResolution(claimed, "base-only", at_base[0],
                          reason=f"{at_base[0]!r} exists at the merge base but not at head")


def _in_submodule(claimed: str, link: str) -> PathResolution:
    """A path inside a submodule: its files live in another repository, so nothing can be said about them."""
    return PathResolution(claimed, "submodule", None,
                          reason=f"{claimed!r} is inside submodule {link!r}: its files are not in this repository")
