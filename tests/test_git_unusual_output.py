"""``reviewvet.git`` on real repositories holding what its output parsers once misread.

Each test builds the case where the old parsing went wrong: names git quotes (a quote, a
control character) that also hold non-ASCII characters, content lines that look like the
``---``/``+++`` file headers, a commit subject holding the old record separator, a remote's
copy of a pull request's refs, and file names that are not even UTF-8.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from gitbuild import RepoBuilder

from reviewvet.git import Git
from reviewvet.model.source import FileChange

MakeRepo = Callable[..., RepoBuilder]


def blob_id(text: str) -> str:
    """The object id git gives a blob holding ``text``."""
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

# Long lines so that ``blame -C`` sees them as copied (it wants 40 alphanumeric characters).
MOVED = "".join(f"moved line number {n} of the block, long enough for blame to follow it\n" for n in range(3))


def test_changed_lines_unquote_names_with_non_ascii_characters(make_repo: MakeRepo) -> None:
    """git quotes a name with a quote, tab or control character; its non-ASCII characters stay raw UTF-8
    (core.quotepath=off) beside the escapes, and both decode into the real name."""
    repo = make_repo()
    names = ['é"q.txt', "naïve\tdoc.md", '日本/"x".go', "bell\a.txt", "del\x7f.txt", "ok é.txt"]
    base = repo.commit("base", {**{name: "one\ntwo\n" for name in names}, "café.txt": "1\n2\n3\n4\n5\n"})
    head = repo.commit("head", {**{name: "one\nTWO\n" for name in names}, "café.txt": None,
                                'ca"fé.txt': "1\n2\n3\n4\n5\n6\n"})
    changes = Git(repo.path).changed_lines(base, head)
    assert changes == {
        **{name: FileChange(name, name, ((2, 2),), ((2, 2),), ((2, 1, 2, 1),)) for name in names},
        'ca"fé.txt': FileChange('ca"fé.txt', "café.txt", ((6, 6),), (), ((5, 0, 6, 1),)),
    }


def test_changed_lines_read_content_that_looks_like_file_headers_as_content(make_repo: MakeRepo) -> None:
    """A removed ``-- `` line prints as ``--- ``, an added ``++ `` line as ``+++ ``: neither is a header."""
    repo = make_repo()
    base = repo.commit("base", {"schema.sql": "-- the users table\nSELECT 1;\n",
                                "query.sql": "SELECT 2;\n-- a/other.sql\n-- old\n",
                                "notes.md": "a\nb\nc\n"})
    head = repo.commit("head", {"schema.sql": None,
                                "query.sql": "SELECT 2;\n++ b/elsewhere.sql\n++ new\n",
                                "notes.md": "a\nb\nc\n++ counter\n"})
    changes = Git(repo.path).changed_lines(base, head)
    assert changes == {
        "schema.sql": FileChange("", "schema.sql", (), ((1, 2),), ((1, 2, 0, 0),)),
        "query.sql": FileChange("query.sql", "query.sql", ((2, 3),), ((2, 3),), ((2, 2, 2, 2),)),
        "notes.md": FileChange("notes.md", "notes.md", ((4, 4),), (), ((3, 0, 4, 1),)),
    }


def test_blame_names_quoted_files_by_their_real_names(make_repo: MakeRepo) -> None:
    """Porcelain quotes ``filename`` like a diff does: a blamed file's own name and the name of a file
    lines were moved from (``-C``) both come back unquoted."""
    repo = make_repo()
    source, target = 'src/"old" é.go', "src/new\té.go"
    first = repo.commit("first", {source: "keep\n" + MOVED})
    second = repo.commit("move the block", {source: "keep\n", target: "header\n" + MOVED})
    lines, commits = Git(repo.path).blame(second, target, [(1, 4)])
    assert [(bl.line, bl.sha, bl.orig_line, bl.path) for bl in lines] == [
        (1, second, 1, target), (2, first, 2, source), (3, first, 3, source), (4, first, 4, source)]
    assert set(commits) == {first, second}


def test_logs_keep_a_subject_holding_any_separator(make_repo: MakeRepo) -> None:
    """Records and fields are NUL-separated, which no subject can hold: every listing keeps every commit."""
    repo = make_repo()
    subjects = ["plain", "record\x1eseparator", "unit\x1fseparator", "start\x01of heading", "tab\tand é"]
    shas = [repo.commit(subject, {"a.txt": f"{n}\n"}) for n, subject in enumerate(subjects)]
    repo.tag("v1")
    git = Git(repo.path)
    listed = git.log_all()
    assert [(e.sha, e.subject) for e in listed] == list(zip(reversed(shas), reversed(subjects), strict=True))
    assert [e.refs for e in listed] == ["tag: v1, main", "", "", "", ""]
    assert [e.subject for e in git.first_parent_subjects(shas[-1], shas[0])] == subjects[1:]
    assert [e.subject for e in git.commits_touching(shas[0], shas[-1], "a.txt")] == subjects[1:]


def test_pull_request_refs_include_every_remotes_copy(make_repo: MakeRepo) -> None:
    """``refs/remotes/<remote>/pull/N/head`` is found for any remote; merges and other numbers are not."""
    repo = make_repo()
    sha = repo.commit("pr", {"a": "1\n"})
    for ref in ("refs/pull/7/head", "refs/pull/7/merge", "refs/pull/70/head", "refs/remotes/origin/pull/7/head",
                "refs/remotes/origin/pull/7/merge", "refs/remotes/origin/pull/70/head", "refs/remotes/fork/pull/7/head",
                "refs/remotes/up/pr/7", "refs/remotes/up/pr/70"):
        repo.run("update-ref", ref, sha)
    assert Git(repo.path).pull_request_refs(7) == [
        ("refs/pull/7/head", sha), ("refs/remotes/fork/pull/7/head", sha), ("refs/remotes/origin/pull/7/head", sha),
        ("refs/remotes/up/pr/7", sha)]


def test_file_versions_name_files_by_their_real_names(make_repo: MakeRepo) -> None:
    """Names git would quote, and one that is not UTF-8, come back as the names asked for."""
    repo = make_repo()
    names = ['q"uote.txt', "é.txt", "new\nline.txt", ":colon.txt", "caf\udce9.txt"]
    first = repo.commit("first", {name: f"{n} one\n" for n, name in enumerate(names)})
    second = repo.commit("second", {name: f"{n} two\n" for n, name in enumerate(names)})
    versions = Git(repo.path).file_versions([second], None, names)
    assert sorted((v.path, v.commit, v.blob) for v in versions) == sorted(
        (name, commit, blob_id(f"{n} {word}\n")) for n, name in enumerate(names)
        for commit, word in ((first, "one"), (second, "two")))
