"""The one front door for the files reviewvet writes where its user asks (``verify --output``,
``audit report --out``). What is at the path decides how it is written:

- nothing yet, or a regular file: written whole or not at all — a temporary file in the same
  folder, synced, then renamed over it. An existing file keeps its mode (and its owner, when
  reviewvet may set it); a new file gets ``0666 & ~umask``, like any other program's output;
- a symbolic link: followed, and the file it ends at is written as above, so the link stays a
  link. A link into ``/proc`` (``/dev/stdout``, ``/dev/fd/N``) names an open descriptor, not a
  file: one of reviewvet's own descriptors is written directly, as a shell's ``>`` would;
- a character or block device or a FIFO: opened and written in place (``/dev/null``, a pipe);
- a directory, a socket, a missing folder, a full device, a place that cannot be written:
  ``OutputError`` naming the path and the reason. Nothing is left behind.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import sys
from pathlib import Path
from typing import NamedTuple

from reviewvet.errors import OutputError

_MAX_LINKS = 40
_OWN_DESCRIPTOR = re.compile(r"^/(?:proc/(?:self|thread-self|(?P<pid>\d+))|dev)/fd/(?P<fd>\d+)$")


class _Target(NamedTuple):
    path: Path  # where the data goes: the file a chain of links ends at, or the path as given
    status: os.stat_result | None  # None: nothing there yet
    in_place: bool  # written through an open() of the path, not by rename
    descriptor: int | None = None  # /dev/stdout, /dev/fd/N: one of reviewvet's own descriptors


def write_output(path: Path, data: str | bytes, *, option: str = "--output") -> None:
    """Write ``data`` (text is UTF-8) to ``path``; OutputError says what went wrong, naming ``path``."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    label = f"{option} {str(path)!r}"
    try:
        target = _target(path)
        if target.descriptor is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            _write_all(target.descriptor, payload)
            return
        mode = target.status.st_mode if target.status is not None else stat.S_IFREG
        if stat.S_ISDIR(mode):
            raise OutputError(f"{label} is a directory")
        if stat.S_ISSOCK(mode):
            raise OutputError(f"{label} is a socket, not a file")
        if target.in_place or not stat.S_ISREG(mode):
            _write_in_place(target.path, payload)
        else:
            _replace(target.path, payload, target.status)
    except OSError as exc:
        raise OutputError(f"{label}: {_reason(exc)}") from exc


def _reason(exc: OSError) -> str:
    folder = Path(exc.filename).parent if isinstance(exc.filename, str) else None
    if folder is not None and not folder.exists():
        return f"directory {str(folder)!r} does not exist"
    if isinstance(exc, NotADirectoryError) and folder is not None:
        return f"{str(folder)!r} is not a directory"
    return exc.strerror or str(exc)


def _target(path: Path) -> _Target:
    """Follow symbolic links to the name that holds the data, stopping at ``/proc``."""
    current = path
    for _ in range(_MAX_LINKS):
        match = _OWN_DESCRIPTOR.match(str(current))
        if match and match["pid"] in (None, str(os.getpid())):
            return _Target(current, None, True, int(match["fd"]))
        if _under_proc(current):
            return _Target(path, _status(path), True)
        status = _status(current, follow=False)
        if status is None or not stat.S_ISLNK(status.st_mode):
            return _Target(current, status, False)
        current = current.parent / os.readlink(current)
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))


def _status(path: Path, *, follow: bool = True) -> os.stat_result | None:
    try:
        return os.stat(path, follow_symlinks=follow)
    except FileNotFoundError:
        return None


def _under_proc(path: Path) -> bool:
    real = os.path.realpath(path.parent)
    return real == "/proc" or real.startswith("/proc/")


def _write_in_place(path: Path, payload: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOCTTY", 0), 0o666)
    try:
        _write_all(fd, payload)
    finally:
        os.close(fd)


def _replace(path: Path, payload: bytes, existing: os.stat_result | None) -> None:
    folder = path.parent
    fd, temporary = _create_temporary(folder, path.name)
    try:
        try:
            if existing is not None:
                _keep_owner_and_mode(fd, existing)
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """A new file beside the target; mode 0666 before the umask, as the target would get."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue


def _keep_owner_and_mode(fd: int, existing: os.stat_result) -> None:
    if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, existing.st_uid, existing.st_gid)
        except PermissionError:
            pass  # only root may give a file away; the file becomes ours, with its old mode
    os.fchmod(fd, stat.S_IMODE(existing.st_mode))


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def output_folder(path: Path, *, option: str) -> None:
    """Create the folder ``path`` (and its parents) unless it is one already; OutputError otherwise."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputError(f"{option} {str(path)!r} exists and is not a directory") from exc
    except OSError as exc:
        raise OutputError(f"{option} {str(path)!r}: {_reason(exc)}") from exc
