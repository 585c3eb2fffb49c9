"""Input the parser layer must survive: syntax errors, huge files, bytes that are not UTF-8, empty
repositories, submodules and symbolic links. Nothing here may crash an index or leak into it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reviewvet.cli import main
from reviewvet.git import Git
from reviewvet.index.build import index_revision

DATE = "2026-02-02T09:00:00+00:00"

BROKEN_GO = """\
package calc

func Add(a, b int) int {
\treturn a + b
}

func Broken(x int) int {
\tif x > {
\t\treturn 0
\t}
\treturn x
}

func Sub(a, b int) int {
\treturn a - b
}
"""


@pytest.fixture(autouse=True)
def _no_parent_repository(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def index_of(repo, rev: str = "HEAD", **kwargs):
    return index_revision(Git(repo.path), rev, cache=None, **kwargs)


def test_go_syntax_error_keeps_the_functions_around_it(make_repo) -> None:
    repo = make_repo()
    repo.commit("calc", {"calc/calc.go": BROKEN_GO, "calc/ok.go": "package calc\n\nfunc Mul() {}\n"}, date=DATE)
    idx = index_of(repo)
    assert idx.stats.errors == 1
    errors = idx.files["calc/calc.go"].errors
    assert errors and all(7 <= a <= b <= 12 for a, b in errors)  # inside Broken, lines 7-12
    assert any(a <= 8 <= b for a, b in errors)  # `if x > {`
    assert idx.files["calc/ok.go"].errors == ()
    found = {(s.name, s.start, s.end) for s in idx.symbols}
    assert {("Add", 3, 5), ("Sub", 14, 16), ("Mul", 3, 3)} <= found


def test_python_syntax_error_gives_errors_not_a_crash(make_repo) -> None:
    repo = make_repo()
    repo.commit("tools", {"tools/bad.py": "def broken(:\n    pass\n", "tools/good.py": "def fine():\n    pass\n"},
                date=DATE)
    idx = index_of(repo)
    assert idx.files["tools/bad.py"].errors
    assert idx.stats.errors == 1
    assert [s.id for s in idx.symbols] == ["tools.good.fine"]


def test_index_does_not_promise_python_symbols_it_dropped(make_repo, capsys) -> None:
    repo = make_repo()
    repo.commit("tools", {"tools/bad.py": "def ok():\n    return 1\n\n\ndef broken(:\n    pass\n"}, date=DATE)
    assert main(["index", "--repo", str(repo.path), "--no-cache"]) == 0
    out, _ = capsys.readouterr()
    (message,) = [line for line in out.splitlines() if line.startswith("parse errors in tools/bad.py")]
    kept = [s.name for s in index_of(repo).symbols]
    assert "ok" in kept or "are kept" not in message, (message, kept)


def test_python_syntax_error_region_is_the_broken_line(make_repo) -> None:
    source = "def ok():\n    return 1\n\n\ndef broken(:\n    pass\n\n\ndef later():\n    return 2\n"
    repo = make_repo()
    repo.commit("tools", {"tools/bad.py": source}, date=DATE)
    with pytest.raises(SyntaxError) as python_says:
        compile(source, "bad.py", "exec")
    assert python_says.value.lineno == 5
    errors = index_of(repo).files["tools/bad.py"].errors
    assert any(a <= 5 <= b for a, b in errors), errors


def test_a_file_over_the_size_limit_is_skipped_with_a_note(make_repo) -> None:
    generated = "package gen\n\n" + "".join(f"func Generated{i}() int {{ return {i} }}\n" for i in range(200))
    repo = make_repo()
    repo.commit("gen", {"gen/tables.go": generated, "gen/small.go": "package gen\n\nfunc Small() {}\n"}, date=DATE)
    idx = index_of(repo, max_bytes=2000)
    assert idx.stats.skipped == 1 and idx.stats.parsed == 1
    (note,) = idx.notes
    assert "gen/tables.go" in note and "2000-byte limit" in note and str(len(generated)) in note
    assert idx.files["gen/tables.go"].skipped and idx.files["gen/tables.go"].definitions == ()
    assert [s.name for s in idx.symbols] == ["Small"]


def test_go_and_shell_with_bytes_that_are_not_utf8_still_give_symbols(make_repo) -> None:
    go = (b"package enc\n\n// caf\xe9 \xff comment\nfunc Encode() string {\n\treturn \"\xfe\xff\"\n}\n\n"
          b"func Decode() {}\n")
    sh = b"#!/bin/bash\n# r\xe9sum\xe9\nhello() {\n    echo \"\xff\"\n}\nworld() { hello; }\n"
    repo = make_repo()
    repo.commit("latin-1", {"enc/enc.go": go, "bin/greet.sh": sh}, date=DATE)
    idx = index_of(repo)
    found = {(s.path, s.name, s.start, s.end) for s in idx.symbols}
    assert found == {("enc/enc.go", "Encode", 4, 6), ("enc/enc.go", "Decode", 8, 8),
                     ("bin/greet.sh", "hello", 3, 5), ("bin/greet.sh", "world", 6, 6)}
    assert idx.stats.errors == 0
    assert ("bin/greet.sh::world", "bin/greet.sh::hello") in idx.graph.edges()


def test_python_with_bytes_that_are_not_utf8_does_not_stop_the_index(make_repo) -> None:
    legacy = b"import os\n\n\ndef greet():\n    return 'caf\xe9'\n"
    repo = make_repo()
    repo.commit("legacy", {"tools/legacy.py": legacy, "ok/ok.go": "package ok\n\nfunc Ok() {}\n"}, date=DATE)
    idx = index_of(repo)
    assert "Ok" in {s.name for s in idx.symbols}
    legacy_file = idx.files["tools/legacy.py"]
    assert legacy_file.definitions or legacy_file.skipped or legacy_file.errors


def test_deeply_nested_python_does_not_stop_the_index(make_repo) -> None:
    nested = "TABLE = " + "[" * 150 + "]" * 150 + "\n\n\ndef lookup():\n    return TABLE\n"
    compile(nested, "table.py", "exec")  # valid Python
    repo = make_repo()
    repo.commit("table", {"data/table.py": nested}, date=DATE)
    idx = index_of(repo)  # libcst alone raises RecursionError here
    table = idx.files["data/table.py"]
    assert table.skipped or table.errors or "lookup" in {s.name for s in idx.symbols}


def test_pathological_python_does_not_kill_the_process(make_repo) -> None:
    # libcst's native parser overflows its stack (SIGSEGV) on this file; it must never be handed to it.
    repo = make_repo()
    repo.commit("bomb", {"bomb.py": "(" * 100_000 + "\n", "ok.go": "package ok\n\nfunc Ok() {}\n"}, date=DATE)
    proc = subprocess.run([sys.executable, "-m", "reviewvet.cli", "index", "--repo", str(repo.path), "--no-cache"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-300:])
    assert "2 files (2 parsed" in proc.stdout


def test_a_file_the_parser_skips_is_reported(make_repo) -> None:
    repo = make_repo()
    repo.commit("legacy", {"tools/legacy.py": b"import os\n\n\ndef greet():\n    return 'caf\xe9'\n"}, date=DATE)
    idx = index_of(repo)
    assert idx.files["tools/legacy.py"].skipped  # so it was not parsed ...
    assert idx.stats.skipped == 1  # ... and the counts and notes should say so
    assert any("tools/legacy.py" in note for note in idx.notes)


def test_empty_repository_is_refused_with_a_clear_message(make_repo, capsys) -> None:
    repo = make_repo()  # git init, no commit
    code = main(["index", "--repo", str(repo.path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("reviewvet: error: ") and "'HEAD' is not a commit" in err and str(repo.path) in err
    assert "Traceback" not in err and out == ""


def test_a_commit_without_source_files_has_no_symbols(make_repo, capsys) -> None:
    repo = make_repo()
    repo.commit("docs", {"README.md": "# notes\n", "data/rows.json": "[1, 2]\n", "Makefile": "all:\n\ttrue\n"},
                date=DATE)
    idx = index_of(repo)
    assert (idx.stats.files, idx.stats.symbols, idx.symbols, idx.notes) == (0, 0, [], [])
    assert main(["symbols", "--repo", str(repo.path), "--no-cache"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "no symbols match" in err


def test_submodules_and_symlinks_are_skipped_not_read_or_followed(make_repo, tmp_path) -> None:
    (tmp_path / "outside.go").write_text("package outside\n\nfunc Outside() {}\n")
    repo = make_repo()  # at tmp_path / "repo", so ../outside.go is the file above
    first = repo.commit("lib", {"lib/lib.go": "package lib\n\nfunc Lib() {}\n"}, date=DATE)
    repo.symlink("link.go", "../outside.go")
    repo.commit("link", date="2026-02-03T09:00:00+00:00")
    for path in ("vendor/sub", "third_party/tool.go"):  # gitlinks to a commit that holds lib/lib.go
        repo.run("update-index", "--add", "--cacheinfo", f"160000,{first},{path}")
    repo.run("commit", "-q", "--no-verify", "-m", "vendor: submodules")
    modes = repo.run("ls-tree", "-r", "HEAD")
    assert "120000 blob" in modes and modes.count("160000 commit") == 2

    idx = index_of(repo)
    assert idx.files["link.go"].skipped == "a symbolic link"
    assert idx.files["third_party/tool.go"].skipped == "a submodule"
    assert "vendor/sub" not in idx.files  # not named like a source file
    # Parsed as Go, the link's text "../outside.go" would be a syntax error: it was never read.
    assert idx.files["link.go"].errors == () and idx.stats.errors == 0
    assert (idx.stats.files, idx.stats.parsed, idx.stats.skipped) == (3, 1, 2)
    assert sorted(idx.notes) == ["skipped 'link.go': a symbolic link", "skipped 'third_party/tool.go': a submodule"]
    assert [(s.path, s.name) for s in idx.symbols] == [("lib/lib.go", "Lib")]  # nothing from outside.go or lib twice
