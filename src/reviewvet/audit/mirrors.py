"""Mirrors of remote repositories, kept in a machine's reviewvet cache for the cluster workers.

A cluster worker that cannot read the client's repository path verifies against a mirror of
the repository's URL: ``git clone --mirror`` the first time, ``git fetch`` only when a
revision a review needs is missing (both through ``reviewvet.git.transport``); every other git
command reads the mirror as any repository. These two commands are the only ones reviewvet runs
with a transport, and only into folders it created itself (``<cache>/mirrors/``); a
repository given by path is never fetched into.

The workers of one machine share its mirrors: a lock file per mirror lets one of them clone or
fetch at a time, and a clone is made in a temporary folder and renamed into place whole, so no
worker ever reads a half-made mirror.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reviewvet.errors import UsageError

def mirror_path(url: str, cache: Path) -> Path:
    """Where the mirror of ``url`` lives in the cache folder ``cache``."""
    return cache / "mirrors" / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()[:24]}.git"


def mirror(url: str, wanted: list[str], cache: Path | None = None) -> Path:
    """The path of an up-to-date-enough mirror of ``url``: cloned when there is none, fetched
    when one of the ``wanted`` revisions is not in it."""
    from reviewvet.index.cache import default_cache_dir

    if not url or url.startswith("-"):
        raise UsageError(f"repository URL {url!r} cannot be mirrored", field="repo")
    path = mirror_path(url, cache or default_cache_dir())
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.with_suffix(".lock")):
        if not path.exists():
            _clone(url, path)
        elif _missing(path, wanted):
            _git(["fetch", "--quiet", "--prune", "origin"], url, inside=path)
    return path


def _missing(path: Path, wanted: list[str]) -> bool:
    from reviewvet.git import Git

    git = Git(path)
    return any(git.try_resolve(rev) is None for rev in wanted)


def _clone(url: str, path: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=".clone-", dir=path.parent))
    try:
        _git(["clone", "--mirror", "--no-local", "--quiet", "--", url, str(scratch / "mirror.git")], url)
        os.rename(scratch / "mirror.git", path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _git(args: list[str], url: str, inside: Path | None = None) -> None:
    """Run a transport command (in the mirror ``inside``, for a fetch)."""
    from reviewvet.git import transport

    transport(args, inside=inside, what=f"cannot mirror {url!r}")


@contextmanager
def _locked(lock: Path) -> Iterator[None]:
    with open(lock, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
