"""Start-up stays light: building the command line (what `reviewvet --help` does) loads none of the
libraries or layers a verification needs. Measured in a fresh interpreter, so nothing another test
imported counts."""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("multiprocessing", "duckdb", "tree_sitter", "rich", "markdown_it", "libcst", "networkx", "yaml",
         "re2", "jsonschema", "rapidfuzz", "tempfile", "reviewvet.model.checks", "reviewvet.audit.workers",
         "reviewvet.api", "reviewvet.git", "reviewvet.workspace")

PROBE = """
import sys
from reviewvet.cli import build_parser
build_parser().format_help()
print("\\n".join(sorted(sys.modules)))
"""


def test_the_command_line_is_built_without_loading_the_verifier() -> None:
    # Without the coverage measurement `make test` gives child processes: it imports modules of its own.
    env = {k: v for k, v in os.environ.items() if k not in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")}
    loaded = set(subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, env=env,
                                text=True).stdout.split())
    assert "reviewvet.cli.verify" in loaded  # the probe really built every command's parser
    assert sorted(m for m in HEAVY if m in loaded) == []
