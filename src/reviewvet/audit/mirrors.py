"""Mirrors of remote repositories, kept in a machine's reviewvet cache for the cluster workers.

A cluster worker that cannot read the client's repository path verifies against a mirror of
the repository's URL: ``git clone --mirror`` the first time, ``git fetch`` only when a
revision a review needs is missing; every other git command reads the mirror through
``reviewvet.git``, as any repository. These two commands are the only ones reviewvet runs
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
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reviewvet.errors import GitError, UsageError

# Settings for the transport commands: no hook, fsmonitor or pager runs, no prompt, and only the
# usual transports (no ``ext::`` helper command, no other remote helper).
_SETTINGS = tuple(arg for setting in (
    f"core.hooksPath={os.devnull}",
    "core.fsmonitor=false",
    "core.pager=cat",
    "gc.auto=0",
    "maintenance.auto=false",
    "protocol.allow=never",
    "protocol.file.allow=always",
    "protocol.git.allow=always",
    "protocol.ssh.allow=always",
    "protocol.http.allow=always",
    "protocol.https.allow=always",
) for arg in ("-c", setting))
_UNSET_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
              "GIT_NAMESPACE")


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
    where = ["-C", str(inside)] if inside is not None else []
    env = {k: v for k, v in os.environ.items() if k not in _UNSET_ENV}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        proc = subprocess.run(["git", "--no-pager", *where, *_SETTINGS, *args], capture_output=True, env=env,
                              check=False)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"cannot mirror {url!r}: git {args[0]} failed: {stderr}")


@contextmanager
def _locked(lock: Path) -> Iterator[None]:
    with open(lock, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
