"""The parsers of git's output in ``reviewvet.git``, fed git output written here by hand.

Every parser gets literal output with its edge cases (names with spaces, quotes, tabs and
newlines, binary content, renames, empty output, hunks with a zero-length side, CRLF), and one
real git run per parser proves that the hand-written shape is what git prints: the real output
is caught on its way into the parser and compared with a literal built the same way.

``parse_blame`` and ``parse_diff_hunks`` are functions of text. The other parsers live inside
``Git``'s methods, so a test hands them literal output by replacing one instance's process
runner (``Git._run``); the instance itself is built on a real, empty repository.

Bugs found are written as ``xfail(strict=True)`` tests: each one passes once the bug is fixed,
and then its marker must go. Each fixed bug also has a test on a real repository where the old
behaviour showed.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from gitbuild import RepoBuilder

import reviewvet.git as git_module
from reviewvet.errors import GitError
from reviewvet.model.source import BlameLine, CommitInfo, FileChange, FileVersion, LogEntry, TreeEntry
from reviewvet.git import Git, parse_blame, parse_diff_hunks

MakeRepo = Callable[..., RepoBuilder]
Completed = subprocess.CompletedProcess[bytes]
A, B, C = "a" * 40, "b" * 40, "c" * 40
ZERO = "0" * 40
MONDAY, MONDAY_11 = 1767607200, 1767610800  # RepoBuilder's first two commit times (2026-01-05 10:00, 11:00 UTC)
AT_10, AT_11 = "2026-01-05T10:00:00+00:00", "2026-01-05T11:00:00+00:00"
REFS = "tag: v1, refs/pull/7/head, main"


def blob_id(data: bytes | str) -> str:
    """The object id git gives a blob of ``data``."""
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()


@dataclass
class Canned:
    """A ``Git`` whose commands all print ``stdout`` (with ``returncode``); ``asked`` keeps each
    command's arguments and standard input."""

    stdout: bytes
    returncode: int = 0
    asked: list[tuple[list[str], bytes | None]] = field(default_factory=list)

    def run(self, args: list[str], *, input: bytes | None = None, check: bool = True) -> Completed:
        self.asked.append((args, input))
        return subprocess.CompletedProcess(["git", *args], self.returncode, self.stdout, b"")


@pytest.fixture
def git(make_repo: MakeRepo) -> Git:
    """A ``Git`` on a real, empty repository."""
    return Git(make_repo("empty").path)


def canned(git: Git, monkeypatch: pytest.MonkeyPatch, stdout: bytes, returncode: int = 0) -> Canned:
    answer = Canned(stdout, returncode)
    monkeypatch.setattr(git, "_run", answer.run)
    return answer


def printed(git: Git, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Let ``git`` run for real, collecting what each of its commands prints."""
    outputs: list[bytes] = []
    real = git._run

    def run(args: list[str], *, input: bytes | None = None, check: bool = True) -> Completed:
        proc = real(args, input=input, check=check)
        outputs.append(proc.stdout)
        return proc

    monkeypatch.setattr(git, "_run", run)
    return outputs


def parser_input(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Collect the text that ``Git`` hands to the module's parser ``name``."""
    texts: list[str] = []
    real = getattr(git_module, name)

    def spy(text: str) -> object:
        texts.append(text)
        return real(text)

    monkeypatch.setattr(git_module, name, spy)
    return texts


# -- git diff -U0 ---------------------------------------------------------------------------------

def change(path: str, added: tuple[tuple[int, int], ...], deleted: tuple[tuple[int, int], ...],
           hunks: tuple[tuple[int, int, int, int], ...], old_path: str | None = None) -> FileChange:
    return FileChange(path, path if old_path is None else old_path, added, deleted, hunks)


DIFFS = {
    "empty output": ("", {}),
    "one line changed, counts left out": (
        "diff --git a/a.txt b/a.txt\nindex 587be6b..975fbec 100644\n--- a/a.txt\n+++ b/a.txt\n"
        "@@ -3 +3 @@ context\n-x\n+y\n",
        {"a.txt": change("a.txt", ((3, 3),), ((3, 3),), ((3, 1, 3, 1),))}),
    "insertion: zero-length old side": (
        "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -5,0 +6,2 @@ func f() {\n+one\n+two\n",
        {"a.txt": change("a.txt", ((6, 7),), (), ((5, 0, 6, 2),))}),
    "deletion: zero-length new side": (
        "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -2,3 +1,0 @@\n-p\n-q\n-r\n",
        {"a.txt": change("a.txt", (), ((2, 4),), ((2, 3, 1, 0),))}),
    "several hunks in two files": (
        "diff --git a/a.go b/a.go\n--- a/a.go\n+++ b/a.go\n@@ -2,0 +3,2 @@\n+x\n+y\n@@ -5,2 +7 @@\n-p\n-q\n+r\n"
        "diff --git a/b.go b/b.go\n--- a/b.go\n+++ b/b.go\n@@ -10,2 +10,3 @@\n-s\n-t\n+u\n+v\n+w\n",
        {"a.go": change("a.go", ((3, 4), (7, 7)), ((5, 6),), ((2, 0, 3, 2), (5, 2, 7, 1))),
         "b.go": change("b.go", ((10, 12),), ((10, 11),), ((10, 2, 10, 3),))}),
    "new file": (
        "diff --git a/n.txt b/n.txt\nnew file mode 100644\nindex 0000000..8ba3a16\n--- /dev/null\n+++ b/n.txt\n"
        "@@ -0,0 +1,2 @@\n+n\n+m\n",
        {"n.txt": change("n.txt", ((1, 2),), (), ((0, 0, 1, 2),))}),
    "deleted file, under its old path": (
        "diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\nindex b023018..0000000\n--- a/gone.txt\n"
        "+++ /dev/null\n@@ -1,2 +0,0 @@\n-bye\n-now\n",
        {"gone.txt": change("", (), ((1, 2),), ((1, 2, 0, 0),), old_path="gone.txt")}),
    "rename with an edit": (
        "diff --git a/old.txt b/moved.txt\nsimilarity index 83%\nrename from old.txt\nrename to moved.txt\n"
        "index 8a1218a..b414108 100644\n--- a/old.txt\n+++ b/moved.txt\n@@ -5,0 +6 @@\n+6\n",
        {"moved.txt": change("moved.txt", ((6, 6),), (), ((5, 0, 6, 1),), old_path="old.txt")}),
    "name with a space: git ends the ---/+++ lines with a tab": (
        "diff --git a/sp ace.txt b/sp ace.txt\n--- a/sp ace.txt\t\n+++ b/sp ace.txt\t\n@@ -1 +1 @@\n-x\n+y\n",
        {"sp ace.txt": change("sp ace.txt", ((1, 1),), ((1, 1),), ((1, 1, 1, 1),))}),
    "quoted names: quote, backslash, tab, newline": (
        'diff --git "a/q\\"uote.txt" "b/q\\"uote.txt"\n--- "a/q\\"uote.txt"\n+++ "b/q\\"uote.txt"\n'
        "@@ -1 +1 @@\n-x\n+y\n"
        'diff --git "a/back\\\\slash" "b/back\\\\slash"\n--- "a/back\\\\slash"\n+++ "b/back\\\\slash"\n'
        "@@ -1 +1 @@\n-x\n+y\n"
        'diff --git "a/t\\tab" "b/t\\tab"\n--- "a/t\\tab"\n+++ "b/t\\tab"\n@@ -2 +2 @@\n-x\n+y\n'
        'diff --git "a/new\\nline" "b/new\\nline"\nnew file mode 100644\n--- /dev/null\n+++ "b/new\\nline"\n'
        "@@ -0,0 +1 @@\n+n\n",
        {'q"uote.txt': change('q"uote.txt', ((1, 1),), ((1, 1),), ((1, 1, 1, 1),)),
         "back\\slash": change("back\\slash", ((1, 1),), ((1, 1),), ((1, 1, 1, 1),)),
         "t\tab": change("t\tab", ((2, 2),), ((2, 2),), ((2, 1, 2, 1),)),
         "new\nline": change("new\nline", ((1, 1),), (), ((0, 0, 1, 1),))}),
    "non-ASCII name, left unquoted by core.quotepath=off": (
        "diff --git a/café.txt b/café.txt\n--- a/café.txt\n+++ b/café.txt\n@@ -1 +1 @@\n-x\n+y\n",
        {"café.txt": change("café.txt", ((1, 1),), ((1, 1),), ((1, 1, 1, 1),))}),
    "CRLF content lines": (
        "diff --git a/w.txt b/w.txt\n--- a/w.txt\n+++ b/w.txt\n@@ -2 +2,2 @@ one\r\n-two\r\n+TWO\r\n+three\r\n",
        {"w.txt": change("w.txt", ((2, 3),), ((2, 2),), ((2, 1, 2, 2),))}),
    "no newline at end of file": (
        "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n",
        {"a.txt": change("a.txt", ((1, 1),), ((1, 1),), ((1, 1, 1, 1),))}),
    "binary file without --text, then a text file": (
        "diff --git a/img.png b/img.png\nindex 1111111..2222222 100644\nBinary files a/img.png and b/img.png differ\n"
        "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -4 +4 @@\n-x\n+y\n",
        {"a.txt": change("a.txt", ((4, 4),), ((4, 4),), ((4, 1, 4, 1),))}),
    "binary content shown as text (--text)": (
        "diff --git a/blob.bin b/blob.bin\n--- a/blob.bin\n+++ b/blob.bin\n@@ -1 +1 @@\n-\x00\x01\n+\x00\x02\n",
        {"blob.bin": change("blob.bin", ((1, 1),), ((1, 1),), ((1, 1, 1, 1),))}),
}


@pytest.mark.parametrize("text, expected", list(DIFFS.values()), ids=list(DIFFS))
def test_diff_hunks(text: str, expected: dict[str, FileChange]) -> None:
    assert parse_diff_hunks(text) == expected


@pytest.mark.parametrize("text", [
    "diff --git a/old.txt b/new.txt\nsimilarity index 100%\nrename from old.txt\nrename to new.txt\n",
    "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n",
    "diff --git a/e.txt b/e.txt\nnew file mode 100644\nindex 0000000..e69de29\n",
], ids=["pure rename", "mode change only", "empty new file"])
def test_diffs_without_hunks_change_no_line(text: str) -> None:
    assert all(not c.added and not c.deleted and not c.hunks for c in parse_diff_hunks(text).values())


def test_diff_quoted_name_with_non_ascii_characters() -> None:
    text = 'diff --git "a/é\\"q.txt" "b/é\\"q.txt"\n--- "a/é\\"q.txt"\n+++ "b/é\\"q.txt"\n@@ -1 +1 @@\n-x\n+y\n'
    assert list(parse_diff_hunks(text)) == ['é"q.txt']


@pytest.mark.parametrize("text, expected", [
    ("diff --git a/schema.sql b/schema.sql\ndeleted file mode 100644\n--- a/schema.sql\n+++ /dev/null\n"
     "@@ -1,2 +0,0 @@\n--- the users table\n-SELECT 1;\n",
     {"schema.sql": change("", (), ((1, 2),), ((1, 2, 0, 0),), old_path="schema.sql")}),
    ("diff --git a/notes.md b/notes.md\n--- a/notes.md\n+++ b/notes.md\n@@ -3,0 +4 @@\n+++ counter\n",
     {"notes.md": change("notes.md", ((4, 4),), (), ((3, 0, 4, 1),))}),
], ids=["deleted SQL file with a '-- ' comment", "added line starting '++ '"])
def test_diff_content_lines_that_look_like_file_headers(text: str, expected: dict[str, FileChange]) -> None:
    assert parse_diff_hunks(text) == expected


def test_diff_shape_is_what_git_prints(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo()
    old: dict[str, str | bytes | None] = {
        "notes.txt": "a\nb\nc\n", "sp ace.txt": "x\n", 'q"uote.txt': "x\n", "crlf.txt": "one\r\ntwo\r\n",
        "old.txt": "1\n2\n3\n4\n5\n", "gone.txt": "bye\n", "blob.bin": b"\x00\x01\n"}
    new: dict[str, str | bytes | None] = {
        "notes.txt": "a\nc\nd\n", "sp ace.txt": "y\n", 'q"uote.txt': "y\n", "new\nline.txt": "n\n",
        "crlf.txt": "one\r\nTWO\r\n", "moved.txt": "1\n2\n3\n4\n5\n6\n", "blob.bin": b"\x00\x02\n"}
    base = repo.commit("base", old)
    head = repo.commit("head", {**new, "old.txt": None, "gone.txt": None})

    def ids(was: str | bytes | None, now: str | bytes | None) -> str:
        short = [blob_id(data)[:7] if data is not None else "0000000" for data in (was, now)]
        return f"index {short[0]}..{short[1]}"

    index = {name: ids(old.get(name), new.get(name)) for name in {*old, *new}}
    index["moved.txt"] = ids(old["old.txt"], new["moved.txt"])
    expected = "".join([
        "diff --git a/blob.bin b/blob.bin\n", index["blob.bin"], " 100644\n--- a/blob.bin\n+++ b/blob.bin\n",
        "@@ -1 +1 @@\n-\x00\x01\n+\x00\x02\n",
        "diff --git a/crlf.txt b/crlf.txt\n", index["crlf.txt"], " 100644\n--- a/crlf.txt\n+++ b/crlf.txt\n",
        "@@ -2 +2 @@ one\n-two\r\n+TWO\r\n",
        "diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n", index["gone.txt"], "\n--- a/gone.txt\n",
        "+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n",
        "diff --git a/old.txt b/moved.txt\nsimilarity index 83%\nrename from old.txt\nrename to moved.txt\n",
        index["moved.txt"], " 100644\n--- a/old.txt\n+++ b/moved.txt\n@@ -5,0 +6 @@\n+6\n",
        'diff --git "a/new\\nline.txt" "b/new\\nline.txt"\nnew file mode 100644\n', index["new\nline.txt"],
        '\n--- /dev/null\n+++ "b/new\\nline.txt"\n@@ -0,0 +1 @@\n+n\n',
        "diff --git a/notes.txt b/notes.txt\n", index["notes.txt"], " 100644\n--- a/notes.txt\n+++ b/notes.txt\n",
        "@@ -2 +1,0 @@ a\n-b\n@@ -3,0 +3 @@ c\n+d\n",
        'diff --git "a/q\\"uote.txt" "b/q\\"uote.txt"\n', index['q"uote.txt'], " 100644\n",
        '--- "a/q\\"uote.txt"\n+++ "b/q\\"uote.txt"\n@@ -1 +1 @@\n-x\n+y\n',
        "diff --git a/sp ace.txt b/sp ace.txt\n", index["sp ace.txt"], " 100644\n",
        "--- a/sp ace.txt\t\n+++ b/sp ace.txt\t\n@@ -1 +1 @@\n-x\n+y\n",
    ])
    texts = parser_input(monkeypatch, "parse_diff_hunks")
    changes = Git(repo.path).changed_lines(base, head)
    assert texts == [expected]
    assert changes == {
        "blob.bin": change("blob.bin", ((1, 1),), ((1, 1),), ((1, 1, 1, 1),)),
        "crlf.txt": change("crlf.txt", ((2, 2),), ((2, 2),), ((2, 1, 2, 1),)),
        "gone.txt": change("", (), ((1, 1),), ((1, 1, 0, 0),), old_path="gone.txt"),
        "moved.txt": change("moved.txt", ((6, 6),), (), ((5, 0, 6, 1),), old_path="old.txt"),
        "new\nline.txt": change("new\nline.txt", ((1, 1),), (), ((0, 0, 1, 1),)),
        "notes.txt": change("notes.txt", ((3, 3),), ((2, 2),), ((2, 1, 1, 0), (3, 0, 3, 1))),
        'q"uote.txt': change('q"uote.txt', ((1, 1),), ((1, 1),), ((1, 1, 1, 1),)),
        "sp ace.txt": change("sp ace.txt", ((1, 1),), ((1, 1),), ((1, 1, 1, 1),)),
    }


@pytest.mark.parametrize("old, new", [(1, 1), (2, None), (3, 2), (4, 3), (5, 4), (6, 6), (7, None), (8, 8)])
def test_old_lines_follow_a_deletion_an_insertion_and_a_change(old: int, new: int | None) -> None:
    """Line 2 deleted ("-2 +1,0"), one line inserted after line 5 ("-5,0 +5"), line 7 changed ("-7 +7")."""
    (notes,) = parse_diff_hunks("diff --git a/n b/n\n--- a/n\n+++ b/n\n@@ -2 +1,0 @@\n-b\n@@ -5,0 +5 @@\n+e\n"
                                "@@ -7 +7 @@\n-g\n+G\n").values()
    assert notes.new_line(old) == new


# -- git blame --porcelain ------------------------------------------------------------------------

def commit_lines(sha: str, author: str, time: int, tz: str, summary: str) -> str:
    email = author.split()[0].lower() + "@example.com"
    return (f"author {author}\nauthor-mail <{email}>\nauthor-time {time}\nauthor-tz {tz}\n"
            f"committer {author}\ncommitter-mail <{email}>\ncommitter-time {time}\ncommitter-tz {tz}\n"
            f"summary {summary}\n")


BLAME = (
    f"{A} 1 1 2\n" + commit_lines(A, "Ada Reviewer", MONDAY, "+0100", "first") + "boundary\nfilename docs/a b.txt\n"
    "\tone\n"
    f"{A} 2 2\n\ttwo\n"
    f"{B} 2 3 1\n" + commit_lines(B, "Bob Two", MONDAY_11, "-0530", "second\tpart") +
    f"previous {A} docs/a b.txt\nfilename docs/a b.txt\n"
    f"\t{A} 9 9 9\n"  # a source line that looks like a header: content lines start with a tab
    f"{A} 3 4 1\n\tthree\r\n"  # a commit seen before: no commit lines, no filename
)


def test_blame_lines_and_commits() -> None:
    lines, commits = parse_blame(BLAME)
    assert lines == [BlameLine(1, A, 1, "docs/a b.txt"), BlameLine(2, A, 2, "docs/a b.txt"),
                     BlameLine(3, B, 2, "docs/a b.txt"), BlameLine(4, A, 3, "docs/a b.txt")]
    assert commits == {A: CommitInfo(A, "Ada Reviewer", MONDAY, "first", True, "+0100"),
                       B: CommitInfo(B, "Bob Two", MONDAY_11, "second\tpart", False, "-0530")}


def test_blame_of_lines_copied_from_two_files_of_one_commit() -> None:
    """With -C, one commit can give lines of several files: git repeats ``filename`` for it."""
    text = (f"{A} 10 1 1\n" + commit_lines(A, "Ada Reviewer", MONDAY, "+0000", "first") +
            "filename src/one.go\n\tx\n"
            f"{A} 20 2 1\nfilename src/two.go\n\ty\n"
            f"{A} 11 3 1\nfilename src/one.go\n\tz\n")
    lines, _ = parse_blame(text)
    assert [(bl.line, bl.orig_line, bl.path) for bl in lines] == [(1, 10, "src/one.go"), (2, 20, "src/two.go"),
                                                                   (3, 11, "src/one.go")]


def test_blame_with_sha256_ids_and_empty_output() -> None:
    sha = "e" * 64
    lines, commits = parse_blame(f"{sha} 1 1 1\n" + commit_lines(sha, "Ada Reviewer", MONDAY, "+0000", "s") +
                                 "filename a\n\tx\n")
    assert lines == [BlameLine(1, sha, 1, "a")] and commits[sha].summary == "s"
    assert parse_blame("") == ([], {})


def test_blame_quoted_filename() -> None:
    lines, _ = parse_blame(f"{A} 1 1 1\n" + commit_lines(A, "Ada Reviewer", MONDAY, "+0000", "s") +
                           'filename "docs/q\\"uote\\nd.txt"\n\tx\n')
    assert lines[0].path == 'docs/q"uote\nd.txt'


def test_blame_shape_is_what_git_prints(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo()
    first = repo.commit("first", {"sp ace.txt": "one\ntwo\nthree\n"})
    second = repo.commit("second\tpart", {"sp ace.txt": "one\nTWO\r\nthree\n"}, author="Bob Two <bob@example.com>")
    texts = parser_input(monkeypatch, "parse_blame")
    lines, commits = Git(repo.path).blame(second, "sp ace.txt", [(1, 3)])
    assert texts == [
        f"{first} 1 1 1\n" + commit_lines(first, "Ada Reviewer", MONDAY, "+0000", "first") +
        "boundary\nfilename sp ace.txt\n\tone\n"
        f"{second} 2 2 1\n" + commit_lines(second, "Bob Two", MONDAY_11, "+0000", "second\tpart") +
        f"previous {first} sp ace.txt\nfilename sp ace.txt\n\tTWO\r\n"
        f"{first} 3 3 1\n\tthree\n"
    ]
    assert [(bl.line, bl.sha, bl.path) for bl in lines] == [(1, first, "sp ace.txt"), (2, second, "sp ace.txt"),
                                                            (3, first, "sp ace.txt")]
    assert commits[first].boundary and not commits[second].boundary and commits[second].author == "Bob Two"


# -- git ls-tree -r -z --long ---------------------------------------------------------------------

def tree_record(mode: str, kind: str, oid: str, size: str, path: bytes) -> bytes:
    return f"{mode} {kind} {oid} {size:>7}\t".encode() + path + b"\0"


def test_tree_entries(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = b"".join([
        tree_record("100644", "blob", A, "0", b"caf\xe9.txt"),  # not UTF-8: kept with surrogateescape
        tree_record("120000", "blob", B, "6", b"link"),
        tree_record("100644", "blob", C, "2", b'new\nline "q".txt'),
        tree_record("100755", "blob", A, "12345678", b"run.sh"),  # wider than git's padding
        tree_record("160000", "commit", B, "-", b"vendor/sub"),
    ])
    canned(git, monkeypatch, stdout)
    tree = git.tree("HEAD")
    assert tree == {"caf\udce9.txt": TreeEntry("caf\udce9.txt", "100644", A, 0),
                    "link": TreeEntry("link", "120000", B, 6),
                    'new\nline "q".txt': TreeEntry('new\nline "q".txt', "100644", C, 2),
                    "run.sh": TreeEntry("run.sh", "100755", A, 12345678),
                    "vendor/sub": TreeEntry("vendor/sub", "160000", B, 0)}
    assert tree["link"].is_symlink and tree["vendor/sub"].is_submodule and not tree["run.sh"].is_symlink


def test_tree_of_an_empty_commit(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    canned(git, monkeypatch, b"")
    assert git.tree("HEAD") == {}


def test_tree_shape_is_what_git_prints(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo()
    files: dict[str, str | bytes | None] = {"sp ace.txt": "one\ntwo\n", "run.sh": "#!/bin/sh\n",
                                            'new\nline "q".txt': "n\n", "caf\udce9.txt": b"\x00\xff"}
    inner = repo.commit("files", files)
    repo.symlink("link", "run.sh")
    repo.run("add", "link")
    repo.run("update-index", "--add", "--cacheinfo", f"160000,{inner},vendor/sub")  # a gitlink: no work tree
    repo.run("commit", "-q", "-m", "a link and a submodule")  # not RepoBuilder.commit: its "add -A" drops the gitlink
    git = Git(repo.path)
    outputs = printed(git, monkeypatch)
    tree = git.tree(repo.rev("HEAD"))
    assert outputs == [b"".join([
        tree_record("100644", "blob", blob_id(b"\x00\xff"), "2", b"caf\xe9.txt"),
        tree_record("120000", "blob", blob_id("run.sh"), "6", b"link"),
        tree_record("100644", "blob", blob_id("n\n"), "2", b'new\nline "q".txt'),
        tree_record("100755", "blob", blob_id("#!/bin/sh\n"), "10", b"run.sh"),
        tree_record("100644", "blob", blob_id("one\ntwo\n"), "8", b"sp ace.txt"),
        tree_record("160000", "commit", inner, "-", b"vendor/sub"),
    ])]
    assert tree["vendor/sub"] == TreeEntry("vendor/sub", "160000", inner, 0)
    assert tree["caf\udce9.txt"].size == 2 and tree['new\nline "q".txt'].oid == blob_id("n\n")


# -- git cat-file --batch -------------------------------------------------------------------------

def test_blobs_are_framed_by_their_sizes(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    text, empty, binary = "1" * 40, "2" * 40, "3" * 40
    tricky = f"{ZERO} missing\n".encode()  # content that looks like a header line
    binary_data = b"\x00\n\x01\r\nno newline at the end"
    stdout = (f"{text} blob {len(tricky)}\n".encode() + tricky + b"\n" +
              f"{ZERO} missing\n".encode() +
              f"{empty} blob 0\n\n".encode() +
              b"abc ambiguous\n" +
              f"{binary} blob {len(binary_data)}\n".encode() + binary_data + b"\n")
    answer = canned(git, monkeypatch, stdout)
    blobs = git.read_blobs([text, ZERO, text, empty, "abc", binary])
    assert blobs == {text: tricky, empty: b"", binary: binary_data}
    assert [stdin for _, stdin in answer.asked] == [f"{text}\n{ZERO}\n{empty}\nabc\n{binary}\n".encode()]


def test_no_blobs_asked_runs_no_git(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = canned(git, monkeypatch, b"")
    assert git.read_blobs([]) == {} and answer.asked == []


def test_blob_shape_is_what_git_prints(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo()
    data = {"a.txt": b"one\r\ntwo", "empty": b"", "bin": b"\x00\x01\n\xff"}
    repo.commit("blobs", dict(data))
    oids = [blob_id(content) for content in data.values()]
    git = Git(repo.path)
    outputs = printed(git, monkeypatch)
    blobs = git.read_blobs([*oids, ZERO])
    framed = [f"{blob_id(content)} blob {len(content)}\n".encode() + content + b"\n" for content in data.values()]
    assert outputs == [b"".join(framed) + f"{ZERO} missing\n".encode()]
    assert blobs == {blob_id(content): content for content in data.values()}


# -- git log --format -----------------------------------------------------------------------------

def log_record(*fields: str) -> bytes:
    """One commit of ``git log -z --format=<fields separated by %x00>``: every field ends with a NUL."""
    return "".join(f"{value}\0" for value in fields).encode()


def test_log_with_refs(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    india = "2026-01-05T11:00:00+05:30"
    canned(git, monkeypatch, log_record(A, "second\tpart", india, REFS) + log_record(B, "", AT_10, ""))
    assert git.log_all() == [LogEntry(A, "second\tpart", india, REFS), LogEntry(B, "", AT_10, "")]


def test_logs_without_refs_come_oldest_first(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    canned(git, monkeypatch, log_record(A, "newer", "2026-01-06T10:00:00+00:00")
           + log_record(B, "older", "2026-01-05T10:00:00+00:00"))
    expected = [LogEntry(B, "older", "2026-01-05T10:00:00+00:00"), LogEntry(A, "newer", "2026-01-06T10:00:00+00:00")]
    assert git.first_parent_subjects(A, C) == expected
    assert git.commits_touching(C, A, "sp ace.txt") == expected


def test_log_of_nothing(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    canned(git, monkeypatch, b"")
    assert git.log_all() == [] and git.first_parent_subjects(A, None) == []


def test_log_subject_holding_the_record_separator(make_repo: MakeRepo) -> None:
    repo = make_repo()
    odd = repo.commit("odd\x1esubject", {"a": "1\n"})
    assert [e.sha for e in Git(repo.path).log_all()] == [odd]


def test_log_shape_is_what_git_prints(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo()
    first = repo.commit("first", {"a": "1\n"})
    second = repo.commit("second\tpart", {"a": "2\n"})
    repo.tag("v1")
    repo.run("update-ref", "refs/pull/7/head", second)
    git = Git(repo.path)
    outputs = printed(git, monkeypatch)
    entries = git.log_all()
    assert outputs == [log_record(second, "second\tpart", AT_11, REFS) + log_record(first, "first", AT_10, "")]
    assert entries == [LogEntry(second, "second\tpart", AT_11, REFS), LogEntry(first, "first", AT_10, "")]


# -- git for-each-ref -----------------------------------------------------------------------------

def test_pull_request_refs_put_the_head_first_and_leave_merges_out(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    canned(git, monkeypatch, f"refs/pull/7/merge {C}\nrefs/remotes/up/pr/7 {B}\nrefs/pull/7/head {A}\n".encode())
    assert git.pull_request_refs(7) == [("refs/pull/7/head", A), ("refs/remotes/up/pr/7", B)]


def test_refs_containing(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    canned(git, monkeypatch, b"refs/heads/main\nrefs/tags/v1\n")
    assert git.refs_containing(A) == ["refs/heads/main", "refs/tags/v1"]
    canned(git, monkeypatch, b"")
    assert git.refs_containing(A) == [] and git.pull_request_refs(7) == []


def pr_refs_repo(make_repo: MakeRepo) -> tuple[RepoBuilder, str]:
    repo = make_repo()
    sha = repo.commit("pr", {"a": "1\n"})
    for ref in ("refs/pull/7/head", "refs/pull/7/merge", "refs/pull/70/head", "refs/remotes/up/pr/7",
                "refs/remotes/origin/pull/7/head"):
        repo.run("update-ref", ref, sha)
    return repo, sha


def test_for_each_ref_shape_is_what_git_prints(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, sha = pr_refs_repo(make_repo)
    git = Git(repo.path)
    outputs = printed(git, monkeypatch)
    refs = git.pull_request_refs(7)
    assert outputs[0] == (f"refs/pull/7/head {sha}\nrefs/pull/7/merge {sha}\nrefs/remotes/origin/pull/7/head {sha}\n"
                          f"refs/remotes/up/pr/7 {sha}\n").encode()
    assert ("refs/pull/7/head", sha) == refs[0] and ("refs/remotes/up/pr/7", sha) in refs
    assert git.refs_containing(sha, limit=2) == ["refs/heads/main", "refs/pull/7/head"]


def test_pull_request_refs_find_a_remotes_copy(make_repo: MakeRepo) -> None:
    repo, sha = pr_refs_repo(make_repo)
    assert ("refs/remotes/origin/pull/7/head", sha) in Git(repo.path).pull_request_refs(7)


# -- git log --raw (file versions) ----------------------------------------------------------------

def raw_commit(sha: str, time: int) -> str:
    """A commit's line in ``git log -z --raw --format=%x01%H %ct``; a newline comes before its first raw line."""
    return f"\x01{sha} {time}\0\n"


def raw_line(old_mode: str, new_mode: str, old: str, new: str, status: str, path: str) -> str:
    """One file's raw line with ``-z``: the path is its own NUL-ended field, never quoted."""
    return f":{old_mode} {new_mode} {old} {new} {status}\0{path}\0"


def test_file_versions_newest_first_each_blob_once(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = (raw_commit(A, MONDAY_11) + raw_line("100644", "100644", B, C, "M", "sp ace.txt")
              + raw_line("100644", "000000", "d" * 40, ZERO, "D", "gone.txt")
              + raw_commit(B, MONDAY) + raw_line("000000", "100644", ZERO, B, "A", "sp ace.txt")
              + raw_line("000000", "100644", ZERO, C, "A", "copy.txt"))
    canned(git, monkeypatch, stdout.encode())
    assert git.file_versions([A], None, ["sp ace.txt", "gone.txt", "copy.txt"]) == [
        FileVersion("sp ace.txt", C, A, MONDAY_11), FileVersion("sp ace.txt", B, B, MONDAY)]


def test_file_versions_refuse_unresolved_revisions(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = canned(git, monkeypatch, b"")
    assert git.file_versions(["main"], None, ["a"]) == []
    assert git.file_versions([A], "--all", ["a"]) == []
    assert git.file_versions([A], None, []) == [] and answer.asked == []


def test_file_versions_of_a_quoted_name(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    """With -z git prints names verbatim; a name that looks like a commit or raw line is still a name."""
    names = ['q"uote.txt', "new\nline.txt", ":colon", "\x01start", "\nfirst", "caf\udce9.txt"]
    stdout = raw_commit(A, MONDAY) + "".join(raw_line("000000", "100644", ZERO, blob_id(str(i)), "A", name)
                                             for i, name in enumerate(names))
    canned(git, monkeypatch, stdout.encode("utf-8", "surrogateescape"))
    versions = git.file_versions([A], None, names)
    assert [v.path for v in versions] == names  # "caf\xe9.txt" is not UTF-8: kept with surrogateescape
    assert {v.commit for v in versions} == {A}


def test_file_versions_shape_is_what_git_prints(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo()
    first = repo.commit("first", {"sp ace.txt": "one\n"})
    second = repo.commit("second", {"sp ace.txt": "two\n"})
    git = Git(repo.path)
    outputs = printed(git, monkeypatch)
    versions = git.file_versions([second], None, ["sp ace.txt"])
    one, two = blob_id("one\n"), blob_id("two\n")
    assert outputs == [(raw_commit(second, MONDAY_11) + raw_line("100644", "100644", one, two, "M", "sp ace.txt")
                        + raw_commit(first, MONDAY) + raw_line("000000", "100644", ZERO, one, "A", "sp ace.txt"))
                       .encode()]
    assert versions == [FileVersion("sp ace.txt", two, second, MONDAY_11),
                        FileVersion("sp ace.txt", one, first, MONDAY)]


# -- git grep -l -z -------------------------------------------------------------------------------

def test_grep_names(git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    canned(git, monkeypatch, f"{A}:sp ace.txt\0{A}:new\nline:colon.txt\0".encode())
    assert git.grep_files(A, [["x"]]) == ["sp ace.txt", "new\nline:colon.txt"]


@pytest.mark.parametrize("returncode, expected", [(1, []), (2, None)], ids=["nothing found", "grep failed"])
def test_grep_exit_codes(git: Git, monkeypatch: pytest.MonkeyPatch, returncode: int,
                         expected: list[str] | None) -> None:
    canned(git, monkeypatch, b"", returncode)
    assert git.grep_files(A, [["x"]]) == expected


def test_grep_refuses_an_unresolved_revision(git: Git) -> None:
    with pytest.raises(GitError):
        git.grep_files("HEAD", [["x"]])


def test_grep_shape_is_what_git_prints(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo()
    head = repo.commit("files", {"sp ace.txt": "needle\n", "new\nline.txt": "needle and thread\n", "other": "hay\n"})
    git = Git(repo.path)
    outputs = printed(git, monkeypatch)
    found = git.grep_files(head, [["needle"]])
    assert outputs == [f"{head}:new\nline.txt\0{head}:sp ace.txt\0".encode()]
    assert found == ["new\nline.txt", "sp ace.txt"]
