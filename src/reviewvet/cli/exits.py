"""The exit codes of every command, and the words ``--help`` explains them with."""

from __future__ import annotations

EXIT_OK = 0  # done
EXIT_FLAGGED = 1  # a finding raised --fail-on (the findings are named on stderr)
EXIT_BAD_INPUT = 2  # bad usage or unusable input (a ReviewvetError: one line naming the input)
EXIT_INTERNAL = 3  # an internal error: a bug in reviewvet
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES = ("exit codes: 0 done; 1 a finding carries a --fail-on flag; 2 bad usage or unusable input "
              "(the message names it); 3 internal error, a bug in reviewvet (--debug or REVIEWVET_DEBUG=1 "
              "prints the traceback); 130 interrupted")
