"""Links a report may carry: a rule's section of the documentation, and a file's lines on the
repository's web page at the verified head (GitHub only; None elsewhere, so a format leaves the
link out rather than guess one)."""

from __future__ import annotations

from urllib.parse import quote

from reviewvet import DOCS_URL
from reviewvet.model.verification import Verification
from reviewvet.remotes import github_web

RULES_DOC = f"{DOCS_URL}/rules.md"


def rule_url(code: str) -> str:
    """The section of docs/rules.md about the rule ``code`` (each has an anchor named after its code)."""
    return f"{RULES_DOC}#{code.lower()}"


def lines_url(v: Verification, path: str, start: int | None = None, end: int | None = None) -> str | None:
    """``https://github.com/o/r/blob/<head sha>/<path>#L<start>-L<end>``, or None when the verified
    repository is not on GitHub."""
    web = github_web(v.revisions.remote)
    if web is None:
        return None
    url = f"{web}/blob/{v.revisions.head}/{quote(path)}"
    if start is None:
        return url
    return url + (f"#L{start}-L{end}" if end is not None and end != start else f"#L{start}")
