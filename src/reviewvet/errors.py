"""The one exception root of reviewvet.

    ReviewvetError            anything reviewvet reports to the user as unusable input
    ├── UsageError            a bad option value or a combination that makes no sense
    ├── ReviewInputError      a review document or claims file that cannot be used
    ├── RuleFileError         a rule or repository-context file with an error (file and line given)
    ├── RepositoryError       not a git repository, a shallow or broken one
    │   └── RevisionError     a revision that does not exist or looks like an option
    ├── GitError              git failed in a way reviewvet did not expect
    ├── OutputError           a report file that cannot be written (the path and the reason given)
    └── StoreError            the audit store cannot be opened or written (defined in audit/store.py)
        └── StoreRowsError    one review's rows do not fit the store: ingest skips that review (same module)

The library raises these with messages in terms of its own inputs (never a command-line
flag), quoting the bad value with ``!r``. ``field`` names the library input an error is
about ("context", "head", "map", "timeout", "output-folder", ...) when there is one; a front
end maps it to its own name for that input (the CLI to a flag). The CLI catches these once,
in ``reviewvet.cli.main``, prints the message and exits 2. Any other exception is a bug in
reviewvet: exit 3, with the traceback only under ``--debug``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class ReviewvetError(Exception):
    """Root of every error reviewvet reports to its user.

    ``field``: the library input the error is about (a parameter or option name such as
    "context" or "head"), or None when it is about no single input.
    """

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@contextmanager
def about(field: str) -> Iterator[None]:
    """Inside this block, a ReviewvetError that names no input is about ``field``."""
    try:
        yield
    except ReviewvetError as exc:
        if exc.field is None:
            exc.field = field
        raise


class UsageError(ReviewvetError):
    """An option value or a combination of options that cannot be used."""


class ReviewInputError(ReviewvetError):
    """A review document or claims file that cannot be used."""


class RuleFileError(ReviewvetError):
    """A rule file or repository-context file that cannot be used; names the file and line."""

    def __init__(self, path: str, line: int, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{path}:{line}: {message}", field=field)
        self.path = path
        self.line = line


class RepositoryError(ReviewvetError):
    """The repository cannot be inspected."""


class RevisionError(RepositoryError):
    """A revision is unknown, or looks like an option."""


class GitError(ReviewvetError):
    """git failed unexpectedly; the message carries its stderr."""


class OutputError(ReviewvetError):
    """A report file that cannot be written: a directory, a full device, a missing folder."""
