"""The report files reviewvet writes, its one error boundary, and outside text on a terminal.

- ``--output``: a regular file is replaced whole (temporary file + rename) and keeps its mode, a
  new one gets ``0666 & ~umask``; a symbolic link is followed to the file it names; devices and
  FIFOs are written in place; a directory, an unwritable place or a full device is exit 2.
- ``reviewvet.cli.main`` is the one place errors become exit codes: 0 done, 1 ``--fail-on``,
  2 bad input (one line naming it), 3 an internal error (a bug; the traceback only with
  ``--debug`` or ``REVIEWVET_DEBUG=1``), 130 interrupted.

Everything runs the real CLI on real repositories built in tmp_path; device nodes are made in
tmp_path too (never /dev itself), so a broken writer cannot replace a system file.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reviewvet.audit.store import Store
from reviewvet.cli import main
from reviewvet.report import FORMATS

SCRIPT = Path(sys.executable).with_name("reviewvet")

GO = "package m\n\n// Twice doubles.\nfunc Twice(a int) int {\n\treturn a + a\n}\n"

REVIEW = """\
# Deep Review: twice

## Important Issues

I1. **Twice adds instead of multiplying** — `a.go:4-6` [Claude]

```go
func Twice(a int) int {
\treturn a * 2
}
```

*(important, regression — the change is on this branch.)*
"""


@pytest.fixture
def repo(make_repo):
    repo = make_repo()
    repo.commit("m: add", {"go.mod": "module example.com/m\n\ngo 1.21\n", "a.go": GO},
                date="2025-03-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("m: multiply", {"a.go": GO.replace("a + a", "a * 2")}, date="2025-03-02T09:00:00+00:00")
    return repo


@pytest.fixture
def review(tmp_path: Path) -> Path:
    path = tmp_path / "inputs" / "review.md"
    path.parent.mkdir()
    path.write_text(REVIEW, encoding="utf-8")
    return path


def verify_args(repo, review: Path, *extra: str) -> list[str]:
    return ["verify", str(review), "--repo", str(repo.path), "--base", "main", "--head", "pr", *extra]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def printed(capsys, repo, review) -> str:
    """The Markdown report as verify prints it to standard output."""
    code, out, err = run(capsys, *verify_args(repo, review, "--format", "markdown"))
    assert code == 0, err
    assert out.startswith("# reviewvet: Deep Review: twice")
    return out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def refused(code: int, out: str, err: str) -> str:
    """The common shape of exit 2: one line on stderr, nothing on stdout, no traceback."""
    assert code == 2, (code, err)
    assert out == ""
    assert err.startswith("reviewvet: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


# -- regular files and links --------------------------------------------------------------------


def test_a_new_output_file_gets_the_mode_the_umask_gives(capsys, tmp_path, repo, review, printed):
    target = tmp_path / "out" / "report.md"
    target.parent.mkdir()
    previous = os.umask(0o027)
    try:
        code, out, err = run(capsys, *verify_args(repo, review, "--format", "markdown", "-o", str(target)))
    finally:
        os.umask(previous)
    assert (code, out) == (0, ""), err
    assert target.read_text("utf-8") == printed
    assert mode(target) == 0o640
    assert os.listdir(target.parent) == ["report.md"]


def test_an_existing_report_is_replaced_whole_and_keeps_its_mode(capsys, tmp_path, repo, review, printed):
    target = tmp_path / "report.md"
    target.write_text("an older report\n", encoding="utf-8")
    target.chmod(0o604)
    before = target.stat().st_ino
    code, out, err = run(capsys, *verify_args(repo, review, "--format", "markdown", "-o", str(target)))
    assert (code, out) == (0, ""), err
    assert target.read_text("utf-8") == printed
    assert mode(target) == 0o604
    assert target.stat().st_ino != before  # a new file renamed over it: never half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "repo", "report.md"]


def test_a_symbolic_link_is_followed_and_stays_a_link(capsys, tmp_path, repo, review, printed):
    reports = tmp_path / "reports"
    reports.mkdir()
    real = reports / "2026-03-02.md"
    real.write_text("an older report\n", encoding="utf-8")
    real.chmod(0o640)
    latest = tmp_path / "latest.md"
    latest.symlink_to(Path("reports") / real.name)
    again = tmp_path / "again.md"  # a link to a link
    again.symlink_to(latest)
    for link in (latest, again):
        code, out, err = run(capsys, *verify_args(repo, review, "--format", "markdown", "-o", str(link)))
        assert (code, out) == (0, ""), err
        assert latest.is_symlink() and os.readlink(latest) == str(Path("reports") / real.name)
        assert again.is_symlink() and os.readlink(again) == str(latest)
        assert real.read_text("utf-8") == printed
        assert mode(real) == 0o640
        assert os.listdir(reports) == [real.name]
        real.write_text("an older report\n", encoding="utf-8")


def test_a_dangling_link_creates_the_file_it_names(capsys, tmp_path, repo, review, printed):
    link = tmp_path / "latest.md"
    link.symlink_to("new.md")
    code, out, err = run(capsys, *verify_args(repo, review, "--format", "markdown", "-o", str(link)))
    assert (code, out) == (0, ""), err
    assert link.is_symlink()
    assert (tmp_path / "new.md").read_text("utf-8") == printed


# -- devices, FIFOs, descriptors ------------------------------------------------------------------


def make_device(path: Path, minor: int) -> Path:
    """A character device like /dev/null (1, 3) or /dev/full (1, 7), made in tmp_path."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except (PermissionError, AttributeError):
        pytest.skip("making a device node needs root")
    try:
        os.close(os.open(path, os.O_WRONLY))
    except PermissionError:
        pytest.skip("tmp_path is mounted nodev")
    return path


def test_a_device_is_written_in_place(capsys, tmp_path, repo, review):
    null = make_device(tmp_path / "null", 3)
    code, out, err = run(capsys, *verify_args(repo, review, "-o", str(null)))
    assert (code, out, err) == (0, "", "")
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "null", "repo"]


def test_a_full_device_is_exit_2_naming_it(capsys, tmp_path, repo, review):
    full = make_device(tmp_path / "full", 7)
    err = refused(*run(capsys, *verify_args(repo, review, "-o", str(full))))
    assert f"--output {str(full)!r}" in err and "No space left on device" in err
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "inputs", "repo"]


def test_a_fifo_is_written_in_place(capsys, tmp_path, repo, review, printed):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as handle:  # blocks until reviewvet opens it for writing
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code, out, err = run(capsys, *verify_args(repo, review, "--format", "markdown", "-o", str(fifo)))
    reader.join(timeout=30)
    assert (code, out) == (0, ""), err
    assert received == [printed.encode("utf-8")]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_link_to_standard_output_writes_to_the_open_descriptor(tmp_path, repo, review):
    # Our own link with /dev/stdout's target, so that a broken writer could only replace this one.
    stdout_link = tmp_path / "stdout"
    stdout_link.symlink_to("/proc/self/fd/1")
    if not Path("/proc/self/fd/1").exists():
        pytest.skip("no /proc")
    captured = tmp_path / "captured.md"
    for output in (str(stdout_link), "/dev/fd/1"):
        with captured.open("wb") as handle:
            handle.write(b"a header the shell wrote first\n")
            handle.flush()
            proc = subprocess.run([str(SCRIPT), *verify_args(repo, review, "--format", "markdown", "-o", output)],
                                  stdout=handle, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
        assert (proc.returncode, proc.stderr) == (0, "")
        text = captured.read_text("utf-8")
        assert text.startswith("a header the shell wrote first\n# reviewvet: Deep Review: twice\n")
        assert stdout_link.is_symlink() and os.readlink(stdout_link) == "/proc/self/fd/1"


# -- places that cannot be written --------------------------------------------------------------


def test_output_to_a_directory_is_exit_2(capsys, tmp_path, repo, review):
    folder = tmp_path / "out"
    folder.mkdir()
    err = refused(*run(capsys, *verify_args(repo, review, "-o", str(folder))))
    assert err == f"reviewvet: error: --output {str(folder)!r} is a directory\n"
    assert list(folder.iterdir()) == []


def test_output_below_a_file_is_exit_2(capsys, tmp_path, repo, review):
    target = tmp_path / "inputs" / "review.md" / "report.md"
    err = refused(*run(capsys, *verify_args(repo, review, "-o", str(target))))
    assert f"--output {str(target)!r}" in err and "is not a directory" in err
    assert review.read_text("utf-8") == REVIEW


def test_output_into_a_folder_that_cannot_be_written_is_exit_2(capsys, tmp_path, repo, review):
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
    elif Path("/sys/kernel").is_dir():
        folder = Path("/sys")  # where even root cannot create a file
    else:
        pytest.skip("no folder root cannot write")
    target = folder / "reviewvet-report.md"
    err = refused(*run(capsys, *verify_args(repo, review, "-o", str(target))))
    assert f"--output {str(target)!r}" in err and "Permission denied" in err
    assert not target.exists()


def test_standard_output_on_a_full_device_is_exit_2(tmp_path, repo, review):
    if not Path("/dev/full").is_char_device():
        pytest.skip("no /dev/full")
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([str(SCRIPT), *verify_args(repo, review)], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr == "reviewvet: error: standard output: No space left on device\n"


def test_a_reader_that_leaves_early_is_no_error(tmp_path, repo, review):
    review.write_text(REVIEW.replace("func Twice(a int) int {", "func Thrice(a int) int {"), encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` having exited: every write is a broken pipe
    try:
        proc = subprocess.run([str(SCRIPT), *verify_args(repo, review, "--fail-on", "any")],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    # No word about the closed pipe; --fail-on still decides, and names the finding that raised it.
    assert proc.stderr == "reviewvet: --fail-on: raised by 1 finding:\n  consolidated/I1: near-miss-quote (a.go:4-6)\n"
    assert proc.returncode == 1  # the quote is not what the file has


# -- audit report --out ---------------------------------------------------------------------------


@pytest.fixture
def empty_store(tmp_path: Path) -> Path:
    db = tmp_path / "audit.duckdb"
    with Store(db):
        pass
    return db


def test_audit_report_out_that_is_a_file_is_exit_2(capsys, tmp_path, empty_store):
    taken = tmp_path / "report"
    taken.write_text("not a folder\n", encoding="utf-8")
    code, out, err = run(capsys, "audit", "report", "--db", str(empty_store), "--out", str(taken))
    assert code == 2 and "Traceback" not in err
    assert err.endswith(f"reviewvet: error: --out: output folder {str(taken)!r} exists and is not a directory\n")
    assert taken.read_text("utf-8") == "not a folder\n"


def test_audit_report_out_replaces_its_own_files_keeping_their_mode(capsys, tmp_path, empty_store):
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n", encoding="utf-8")
    for name in ("per-agent.csv", "audit.html"):
        (folder / name).write_text("an older report\n", encoding="utf-8")
        (folder / name).chmod(0o600)
    code, _, err = run(capsys, "audit", "report", "--by", "agent", "--db", str(empty_store), "--out", str(folder))
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == ["audit.html", "notes.txt", "per-agent.csv",
                                                         "per-agent.parquet"]
    assert (folder / "per-agent.csv").read_text("utf-8").startswith("agent,")
    assert (folder / "audit.html").read_text("utf-8").startswith("<!doctype html>")
    assert mode(folder / "per-agent.csv") == mode(folder / "audit.html") == 0o600
    assert (folder / "notes.txt").read_text("utf-8") == "mine\n"


# -- bad input: exit 2, one line naming it ----------------------------------------------------------


def test_deeply_nested_claims_are_exit_2_naming_the_file(capsys, tmp_path, repo):
    claims = tmp_path / "claims.json"
    claims.write_text('{"reviewvet_claims": 1, "findings": ' + "[" * 100_000 + "]" * 100_000 + "}")
    err = refused(*run(capsys, *verify_args(repo, claims)))
    assert f"claims file {str(claims)!r}" in err and "too deeply" in err


def test_a_rule_file_that_is_not_utf8_is_exit_2_at_its_line(capsys, tmp_path, repo, review):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "mine.yaml").write_bytes(b"rules:\n  - code: RV901\n    name: caf\xe9\n")
    err = refused(*run(capsys, *verify_args(repo, review, "--rules", str(rules))))
    assert err == f"reviewvet: error: {rules / 'mine.yaml'}:3: not UTF-8 (byte 0xe9)\n"


def test_a_context_file_that_is_not_utf8_is_exit_2_at_its_line(capsys, tmp_path, repo, review):
    context = tmp_path / "context.yaml"
    context.write_bytes(b"conventions: []\n# \xff\n")
    err = refused(*run(capsys, *verify_args(repo, review, "--context", str(context))))
    assert err == f"reviewvet: error: {context}:2: not UTF-8 (byte 0xff)\n"


def test_python_tags_in_a_rule_file_are_refused_not_run(capsys, tmp_path, repo, review):
    rules = tmp_path / "rules"
    rules.mkdir()
    marker = tmp_path / "ran"
    (rules / "evil.yaml").write_text(f'rules:\n  - !!python/object/apply:os.system ["touch {marker}"]\n')
    err = refused(*run(capsys, *verify_args(repo, review, "--rules", str(rules))))
    assert str(rules / "evil.yaml") in err
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"not a database\n", b"DUCK" * 1000], ids=["foreign", "truncated"])
def test_an_audit_store_that_is_not_one_is_exit_2(capsys, tmp_path, content):
    db = tmp_path / "audit.duckdb"
    db.write_bytes(content)
    err = refused(*run(capsys, "audit", "report", "--db", str(db)))
    assert f"{str(db)!r}" in err
    assert db.read_bytes() == content


# -- internal errors: exit 3, the traceback only on request --------------------------------------------


@pytest.fixture
def broken_format(monkeypatch: pytest.MonkeyPatch) -> str:
    """A registered output format whose module has no ``render``: a bug, as reviewvet would meet it."""
    monkeypatch.setitem(FORMATS, "broken", "reviewvet.report.data")
    return "broken"


def test_an_internal_error_is_exit_3_in_one_line(capsys, tmp_path, repo, review, broken_format, monkeypatch):
    monkeypatch.delenv("REVIEWVET_DEBUG", raising=False)
    target = tmp_path / "report.txt"
    code, out, err = run(capsys, *verify_args(repo, review, "--format", broken_format, "-o", str(target)))
    assert (code, out) == (3, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("reviewvet: internal error, a bug in reviewvet: AttributeError: ")
    assert err.endswith("run again with --debug (or REVIEWVET_DEBUG=1) for the traceback\n")
    assert not target.exists()


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_debug_prints_the_traceback_of_an_internal_error(capsys, repo, review, broken_format, monkeypatch, how):
    monkeypatch.delenv("REVIEWVET_DEBUG", raising=False)
    if how == "environment":
        monkeypatch.setenv("REVIEWVET_DEBUG", "1")
    argv = (["--debug"] if how == "flag" else []) + verify_args(repo, review, "--format", broken_format)
    code, out, err = run(capsys, *argv)
    assert (code, out) == (3, "")
    assert err.startswith("Traceback (most recent call last):")
    assert "AttributeError" in err
    assert err.endswith("AttributeError: module 'reviewvet.report.data' has no attribute 'render'; "
                        "the traceback is above\n")


def test_help_names_the_exit_codes(capsys):
    helps = []
    for argv in (["--help"], ["verify", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        helps.append(" ".join(capsys.readouterr().out.split()))
    for out in helps:
        assert "exit codes: 0 done; 1 a finding carries a --fail-on flag; 2 bad usage or unusable input" in out
        assert "3 internal error" in out and "130 interrupted" in out
    assert "--debug on an internal error, print the traceback" in helps[0]


# -- Ctrl-C: exit 130, a message, no traceback, nothing written ------------------------------------


def test_ctrl_c_while_reading_the_review(tmp_path, repo):
    fifo = tmp_path / "review.md"
    os.mkfifo(fifo)
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    with subprocess.Popen([str(SCRIPT), *verify_args(repo, fifo, "--format", "json", "-o", str(target))],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            writer = _open_when_read(fifo, proc)  # reviewvet now waits, inside its command, for the review
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
            os.close(writer)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert (proc.returncode, out, err) == (130, "", "reviewvet: interrupted\n")
    assert list(target.parent.iterdir()) == []


def test_a_review_from_a_pipe_is_read_to_its_end(tmp_path, repo, capsys):
    fifo = tmp_path / "review.md"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as pipe:  # blocks until reviewvet opens it for reading
            for part in (REVIEW[:40], REVIEW[40:]):  # in two writes, as a shell pipeline may
                pipe.write(part.encode("utf-8"))
                pipe.flush()
                time.sleep(0.05)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        code, out, err = run(capsys, *verify_args(repo, fifo, "--format", "json"))
    finally:
        writer.join(timeout=10)
    assert code == 0, err
    from_file = tmp_path / "copy.md"
    from_file.write_text(REVIEW, encoding="utf-8")
    _, whole, _ = run(capsys, *verify_args(repo, from_file, "--format", "json"))
    assert json.loads(out)["findings"] == json.loads(whole)["findings"] != []


def _open_when_read(fifo: Path, proc: subprocess.Popen[str]) -> int:
    """The FIFO's write end, opened once the process has opened it for reading."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            time.sleep(0.005)
    raise AssertionError(f"reviewvet never opened the review (exit {proc.poll()})")


@pytest.mark.slow
def test_ctrl_c_while_parse_workers_run(tmp_path):
    from reviewvet.bench.synth import generate_repo

    repo = generate_repo(tmp_path / "big", 150, functions=30)  # big enough to parse in two processes
    with subprocess.Popen([str(SCRIPT), "index", "--repo", str(repo.path), "--rev", "pr", "--no-cache",
                           "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as proc:
        try:
            _wait_for_workers(proc.pid, 2)
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert (proc.returncode, out, err) == (130, "", "reviewvet: interrupted\n")


def _wait_for_workers(pid: int, count: int) -> None:
    """Until ``pid`` has ``count`` children running its own command line (forked workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        pytest.skip("no /proc")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        own = Path(f"/proc/{pid}/cmdline").read_bytes()  # read again: at first it may not have exec'd yet
        workers = []
        for child in children.read_text().split():
            try:
                if Path(f"/proc/{child}/cmdline").read_bytes() == own:
                    workers.append(child)
            except OSError:
                continue
        if len(workers) >= count:
            return
        time.sleep(0.002)
    raise AssertionError("the parse workers never started")


# -- control characters in outside text -------------------------------------------------------------

# A screen clear, cursor home, a bell, a backspace, a carriage return, an 8-bit CSI, a right-to-left
# override and an isolate: what a hostile review or repository could try on a reader's terminal.
HOSTILE = "\x1b[2J\x1b[H\x07\x08\r\x9b31m\u202e\u2066"
SPELLED = "\\x1b[2J\\x1b[H\\x07\\x08\\x0d\\x9b31m\\u202e\\u2066"
RAW = ("\x1b[2J", "\x07", "\x08", "\r", "\x9b", "\u202e", "\u2066")


@pytest.fixture
def hostile_claims(tmp_path: Path) -> Path:
    """Claims whose title, body, agent, path, quote and identifier carry control characters."""
    import json

    claims = {"reviewvet_claims": 1, "title": f"review {HOSTILE} title", "findings": [{
        "id": "I1", "title": f"title {HOSTILE} here", "severity": "important", "body": f"body {HOSTILE}",
        "agents": [f"Claude{HOSTILE}"], "identifiers": [f"Tw{HOSTILE}ice"],
        "locations": [{"path": f"a{HOSTILE}.go", "start": 4, "end": 6}, {"path": "a.go", "start": 40}],
        "quotes": [{"text": f"func Twice(a int) int {HOSTILE} {{", "language": "go"}]}]}
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(claims), encoding="utf-8")
    return path


@pytest.mark.parametrize("options", [["--format", "terminal", "--color", "never"],
                                     ["--format", "terminal", "--color", "always"],
                                     ["--format", "markdown"]], ids=["terminal", "colour", "markdown"])
def test_control_characters_are_spelled_out(capsys, repo, hostile_claims, options):
    code, out, err = run(capsys, *verify_args(repo, hostile_claims, *options))
    assert code == 0, err
    for raw in RAW:
        assert raw not in out, (raw, out)
    if "always" not in options:
        assert "\x1b" not in out  # no colour asked for: no escape sequence at all
    for shown in (f"review {SPELLED} title", f"title {SPELLED} here", f"Claude{SPELLED}",
                  f"a{SPELLED}.go", f"Tw{SPELLED}ice"):
        assert shown in out, shown


@pytest.mark.parametrize("fmt", ["json", "sarif", "rdjsonl"])
def test_json_formats_escape_c1_and_bidi_characters_too(capsys, repo, hostile_claims, fmt):
    import json

    # its one finding is a false positive: rdjsonl posts it only when asked
    code, out, err = run(capsys, *verify_args(repo, hostile_claims, "--format", fmt, "--include-false-positives"))
    assert code == 0, err
    assert out.strip()
    for raw in RAW:
        assert raw not in out, raw
    assert "\\u009b31m\\u202e\\u2066" in out
    parsed = [json.loads(line) for line in out.splitlines()] if fmt == "rdjsonl" else [json.loads(out)]
    assert any(f"title {HOSTILE} here" in text for text in strings(parsed))  # the same strings once parsed


def strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    values = data.values() if isinstance(data, dict) else data if isinstance(data, list) else []
    return [text for value in values for text in strings(value)]


def test_an_error_message_spells_out_control_characters(capsys, tmp_path, repo, review):
    folder = tmp_path / f"rules{HOSTILE}"
    err = refused(*run(capsys, *verify_args(repo, review, "--rules", str(folder))))
    assert f"rules{SPELLED}" in err
    for raw in RAW:
        assert raw not in err


@pytest.fixture
def hostile_names(make_repo):
    """A repository whose file and function names carry control characters."""
    repo = make_repo("names")
    name = f"b{HOSTILE}.sh"
    repo.commit("b: add", {name: "#!/bin/sh\nhello() {\n  echo hi\n}\n"}, date="2025-03-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("b: louder", {name: "#!/bin/sh\nhello() {\n  echo HI\n}\n"}, date="2025-03-02T09:00:00+00:00")
    return repo, name


def test_symbols_and_blame_spell_out_control_characters_in_names(capsys, hostile_names):
    repo, name = hostile_names
    for argv in (["symbols", "--repo", str(repo.path), "--rev", "pr"],
                 ["blame", "--repo", str(repo.path), "--base", "main", "--head", "pr", f"{name}:3"]):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert f"b{SPELLED}.sh" in out
        for raw in RAW:
            assert raw not in out, (argv[0], raw)
