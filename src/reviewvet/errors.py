"""The one exception root of reviewvet.

    ReviewvetError            anything reviewvet reports to the user as unusable input
    ├── UsageError            a bad flag value or a combination that makes no sense
    ├── ReviewInputError      a review document or claims file that cannot be used
    ├── RepositoryError       not a git repository, a shallow or broken one
    │   └── RevisionError     a revision that does not exist or looks like an option
    └── GitError              git failed in a way reviewvet did not expect

The library raises these with messages that quote the bad value with ``!r``; the CLI
catches them once, prints the message and chooses the exit code.
"""

from __future__ import annotations


class ReviewvetError(Exception):
    """Root of every error reviewvet reports to its user."""


class UsageError(ReviewvetError):
    """A flag value or a combination of flags that cannot be used."""


class ReviewInputError(ReviewvetError):
    """A review document or claims file that cannot be used."""


class RepositoryError(ReviewvetError):
    """The repository cannot be inspected."""


class RevisionError(RepositoryError):
    """A revision is unknown, or looks like an option."""


class GitError(ReviewvetError):
    """git failed unexpectedly; the message carries its stderr."""
