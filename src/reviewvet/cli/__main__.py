"""``python -m reviewvet.cli``: the same as the ``reviewvet`` command."""

from __future__ import annotations

import sys

from reviewvet.cli import main

sys.exit(main())
