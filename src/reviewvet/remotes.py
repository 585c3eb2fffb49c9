"""What a repository's remote URL may say in a report: the hosted repository it names, never a path
on this machine nor the credentials a URL can carry.

``public_url`` turns a remote as git reads it (``https://user:token@host/o/r.git``,
``git@host:o/r.git``, ``ssh://host/o/r``, a path, a bundle) into ``https://host/o/r`` or None;
``github_web`` keeps it only when the host is GitHub's (links to files and lines are built from it).
"""

from __future__ import annotations

import re

GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
_SCP = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>[^/].*)$")
_URL = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?:[^@/]*@)?(?P<host>[^/:]+)(?::\d+)?(?P<path>/.*)?$")
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._~/-]+$")


def is_local_url(url: str) -> bool:
    """Whether a remote URL is a path on this machine (or a file:// URL) rather than a hosted
    repository, read as git reads it: ``scheme://`` is a URL, ``host:path`` with no slash before
    the colon is ssh (a one-letter host is a Windows drive), anything else a path."""
    scheme, sep, _ = url.partition("://")
    if sep:
        return scheme.lower() == "file"
    host, colon, _ = url.partition(":")
    return not colon or "/" in host or "\\" in host or len(host) == 1


def public_url(remote: str | None) -> str | None:
    """``https://host/owner/name`` for a hosted remote (user, password, port and ``.git`` left out);
    None for a local path, a file:// URL, or anything that does not read as a repository URL."""
    remote = (remote or "").strip()
    if not remote or is_local_url(remote):
        return None
    match = _URL.match(remote) or _SCP.match(remote)
    if match is None:
        return None
    host = match["host"].lower()
    path = (match["path"] or "").strip("/").removesuffix(".git").strip("/")
    if not path or not _SAFE_PATH.match(path) or ".." in path.split("/"):
        return None
    return f"https://{host}/{path}"


def github_web(remote: str | None) -> str | None:
    """``https://github.com/owner/name`` when the remote is a GitHub repository, else None."""
    url = public_url(remote)
    if url is None:
        return None
    host, _, path = url.removeprefix("https://").partition("/")
    if host not in GITHUB_HOSTS or path.count("/") != 1:
        return None
    return f"https://github.com/{path}"
