"""The flags a finding's checks may raise, with what each means: the vocabulary of ``--fail-on``."""

from __future__ import annotations

FLAGS = {
    "hallucinated-quote": "a quoted block exists neither at head nor at the merge base",
    "near-miss-quote": "a quoted block differs slightly from the closest source text",
    "wrong-path": "a quoted block lives in a different file than the one claimed",
    "quote-removed": "a quoted block exists only at the merge base (the pull request removed or changed it)",
    "missing-file": "a claimed file exists neither at head nor at the merge base",
    "ambiguous-path": "a claimed path matches several files",
    "unsafe-path": "a claimed path is absolute, climbs out with '..', or goes through a symbolic link",
    "wrong-line": "a line claim points far from where the code is",
    "line-drift": "a line claim is off by a few lines",
    "stale-lines": "a line claim matches the merge base, not head",
    "quote-changed": "a quoted block exists only in an earlier version of the pull request: the code changed since",
    "hallucinated-symbol": "an identifier the finding asserts exists appears in no file at head or at the merge base",
    "mislabelled-provenance": "labelled regression while blame says the code predates the merge base, or the reverse",
    "unknown": "a check could not decide (the reason is given)",
}
