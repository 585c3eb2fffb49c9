"""Golden files for the demo's reports: terminal (no colour), Markdown and SARIF.

The demo repository is built the way ``make demo`` builds it (``fixtures/demo.py DEST`` run as a
script), and ``reviewvet verify`` runs as its own process, ``python -m reviewvet.cli``, from the
project root with the Makefile's arguments (review and context paths relative to the root, as
they appear in the output). Should ``python -m reviewvet.cli`` stop being runnable, the test
calls ``reviewvet.cli.main`` in this process instead.

What changes from run to run, and the one substitution made for each (nothing else is touched):

- where the temporary demo repository is: no report prints it (SARIF names the repository by its
  hosted URL, from the demo's ``origin``, https://github.com/example-org/beacon, and the review by
  its file name); should its ``file:`` URI ever appear, that exact URI becomes
  ``file:///<demo repository>``, so the golden files would show the leak rather than a temporary path;
- reviewvet's version: it appears only as SARIF's ``tool.driver.version``; the exact text
  ``"version": "<__version__>"`` becomes ``"version": "<reviewvet version>"``, so a release needs
  no new golden file (SARIF's own ``"version": "2.1.0"`` stays).

Commit SHAs need nothing: fixtures/gitbuild.py commits with fixed authors, dates and config, so
the demo's SHAs are the same on every machine. No format prints timings or absolute paths.
The child's stdout encoding is fixed to UTF-8 (``PYTHONIOENCODING``); output is compared as
bytes decoded from UTF-8, without newline translation.

After a reviewed change to the output, regenerate the files with::

    REVIEWVET_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reviewvet import __version__

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("REVIEWVET_UPDATE_GOLDEN") == "1"
REGENERATE = "REVIEWVET_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py"

# golden file -> the format options given to `reviewvet verify`
FORMATS = {
    "demo-review.terminal.txt": ["--format", "terminal", "--color", "never"],
    "demo-review.md": ["--format", "markdown"],
    "demo-review.sarif": ["--format", "sarif"],
}


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo repository, built by running fixtures/demo.py as `make demo` does."""
    dest = tmp_path_factory.mktemp("golden") / "repo"
    proc = subprocess.run([sys.executable, str(ROOT / "fixtures" / "demo.py"), str(dest)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["path"] == str(dest)
    return dest


def module_entry_point() -> bool:
    """Can ``python -m reviewvet.cli`` run: a package with ``__main__``, or a module with a main guard."""
    spec = importlib.util.find_spec("reviewvet.cli")
    if spec is None:
        return False
    if spec.submodule_search_locations is not None:
        return importlib.util.find_spec("reviewvet.cli.__main__") is not None
    return spec.origin is not None and '__name__ == "__main__"' in Path(spec.origin).read_text(encoding="utf-8")


def run_verify(args: list[str]) -> tuple[int, str, str]:
    """``reviewvet verify ARGS`` from the project root: exit code, stdout, stderr."""
    if module_entry_point():
        # the terminal's width and colour come from the environment: the golden file's are the defaults
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "NO_COLOR")}
        env["PYTHONIOENCODING"] = "utf-8"
        proc = subprocess.run([sys.executable, "-m", "reviewvet.cli", "verify", *args],
                              cwd=ROOT, env=env, capture_output=True, check=False)
        return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace")
    from reviewvet.cli import main

    out, err = io.StringIO(newline=""), io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["verify", *args])
    return code, out.getvalue(), err.getvalue()


def normalise(text: str, repo: Path) -> str:
    """Apply the two substitutions the module docstring lists, and only those."""
    text = text.replace(json.dumps(repo.as_uri()), json.dumps("file:///<demo repository>"))
    return text.replace(f'"version": {json.dumps(__version__)}', '"version": "<reviewvet version>"')


@pytest.mark.parametrize("name", list(FORMATS))
def test_demo_report_matches_its_golden_file(name: str, demo_path: Path) -> None:
    code, out, err = run_verify(["fixtures/reviews/demo-review.md", "--repo", str(demo_path), "--base", "main",
                                 "--head", "feature/retry-budget", "--context", "fixtures/reviews/demo-context.yaml",
                                 *FORMATS[name]])
    assert (code, err) == (0, ""), err
    actual = normalise(out, demo_path)
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(actual.encode("utf-8"))
    if not golden.exists():
        pytest.fail(f"{golden.relative_to(ROOT)} is missing; write it with: {REGENERATE}", pytrace=False)
    expected = golden.read_bytes().decode("utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                            fromfile=f"tests/golden/{name}", tofile="reviewvet verify (normalised)"))
        pytest.fail(f"the {name} report changed; if the change is intended, regenerate with: {REGENERATE}\n{diff}",
                    pytrace=False)


def test_normalising_replaces_only_the_repository_uri_and_the_tool_version(tmp_path: Path) -> None:
    repo = tmp_path / "a repo"
    text = json.dumps({"repositoryUri": repo.as_uri(), "tool": {"version": __version__}, "version": "2.1.0",
                       "note": f"{repo} {__version__}"}, indent=2)
    assert json.loads(normalise(text, repo)) == {
        "repositoryUri": "file:///<demo repository>", "tool": {"version": "<reviewvet version>"}, "version": "2.1.0",
        "note": f"{repo} {__version__}"}
