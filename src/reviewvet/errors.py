"""The one exception root of reviewvet.

    ReviewvetError            anything reviewvet reports to the user as unusable input
    ├── UsageError            a bad flag value or a combination that makes no sense
    ├── ReviewInputError      a review document or claims file that cannot be used
    ├── RuleFileError         a rule or repository-context file with an error (file and line given)
    ├── RepositoryError       not a git repository, a shallow or broken one
    │   └── RevisionError     a revision that does not exist or looks like an option
    ├── GitError              git failed in a way reviewvet did not expect
    ├── OutputError           a report file that cannot be written (the path and the reason given)
    └── StoreError            the audit store cannot be opened or written (defined in audit/store.py)
        └── StoreRowsError    one review's rows do not fit the store: ingest skips that review (same module)

The library raises these with messages that quote the bad value with ``!r``; the CLI
catches them once, in ``reviewvet.cli.main``, prints the message and exits 2. Any other
exception is a bug in reviewvet: exit 3, with the traceback only under ``--debug``.
"""

from __future__ import annotations


class ReviewvetError(Exception):
    """Root of every error reviewvet reports to its user."""


class UsageError(ReviewvetError):
    """A flag value or a combination of flags that cannot be used."""


class ReviewInputError(ReviewvetError):
    """A review document or claims file that cannot be used."""


class RuleFileError(ReviewvetError):
    """A rule file or repository-context file that cannot be used; names the file and line."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
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
