"""The one front door to git.

Every git process reviewvet starts is built here, as an argument list (never a shell
string), with ``--end-of-options`` before anything that came from input, and with
settings that keep git from writing into the repository it inspects (no optional
locks, no auto-gc, no auto-maintenance). Blobs are read in bulk through one
``git cat-file --batch`` process per request, never one process per file.

The inspected repository is hostile until proven otherwise. Its configuration (and the
user's) is read by git, so every setting that could run a program or change what
reviewvet parses is fixed here with ``git -c``, which outranks every configuration file
and every ``include``: no hooks, pager, fsmonitor, gpg, ssh or transport; textconv,
external diff and binary attributes turned off per command (``--no-textconv``,
``--no-ext-diff``, ``--text``), so neither ``.gitattributes`` in the work tree nor
``info/attributes`` matters; clean/smudge filters only run on work-tree conversions,
which no command here does; diff, blame and log presentation pinned to git's defaults.
Replace refs and grafts are ignored: objects are read as they are stored.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from reviewvet.errors import GitError, RepositoryError, RevisionError
from reviewvet.model.source import BlameLine, CommitInfo, FileChange, FileVersion, LogEntry, TreeEntry

_SETTINGS = tuple(arg for setting in (
    "core.quotepath=off",
    # Nothing is written into the repository.
    "gc.auto=0",
    "maintenance.auto=false",
    # None of the programs the repository (or the user) configures may run.
    "core.fsmonitor=false",
    f"core.hooksPath={os.devnull}",
    "core.pager=cat",
    f"core.attributesFile={os.devnull}",
    f"gpg.program={os.devnull}",
    f"gpg.openpgp.program={os.devnull}",
    f"gpg.x509.program={os.devnull}",
    f"gpg.ssh.program={os.devnull}",
    "log.showSignature=false",
    "protocol.allow=never",  # no transport at all: no ssh command, credential helper or fetch
    "core.useReplaceRefs=false",
    # No configuration changes what reviewvet parses: git's defaults, pinned.
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "diff.context=3",
    "diff.interHunkContext=0",
    "diff.algorithm=myers",
    "diff.indentHeuristic=true",
    "diff.renames=true",
    "diff.renameLimit=1000",
    "diff.suppressBlankEmpty=false",
    "diff.submodule=short",
    "diff.ignoreSubmodules=none",
    "color.ui=false",
    "color.diff=false",
    "core.abbrev=auto",
    "i18n.logOutputEncoding=UTF-8",
    "log.follow=false",
    "log.decorate=short",
    "log.abbrevCommit=false",
    "log.mailmap=false",
    "blame.showRoot=false",
    "blame.blankBoundary=false",
    "blame.coloring=none",
    "blame.date=iso",
    "blame.showEmail=false",
    "blame.markUnblamableLines=false",
    "blame.markIgnoredLines=false",
) for arg in ("-c", setting))

# Diff options that make the repository's attributes irrelevant (no textconv, no external
# diff, no binary driver) and fix the hunks' shape whatever the configuration says.
_DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--no-textconv", "--text", "--inter-hunk-context=0",
                 "--diff-algorithm=myers", "--indent-heuristic", "--submodule=short", "--ignore-submodules=none")
# Log options: no signature is verified (``gpg.program`` never runs) and nothing is colored.
_LOG_OPTIONS = ("--no-show-signature", "--no-color")

# Environment variables that would change what git reads or run a program; the user's, not ours.
_UNSET_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
              "GIT_NAMESPACE", "GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_PAGER", "GIT_ATTR_SOURCE",
              "GIT_REPLACE_REF_BASE")


# The only commands with a transport: cloning and fetching the mirrors reviewvet creates itself for
# cluster workers (audit/mirrors.py), never a repository it inspects. No hook, fsmonitor or pager
# runs, nothing prompts, and only the usual transports (no ``ext::`` or other remote helper).
_TRANSPORT_SETTINGS = tuple(arg for setting in (
    f"core.hooksPath={os.devnull}",
    "core.fsmonitor=false",
    "core.pager=cat",
    "gc.auto=0",
    "maintenance.auto=false",
    "protocol.allow=never",
    "protocol.file.allow=always",
    "protocol.git.allow=always",
    "protocol.ssh.allow=always",
    "protocol.http.allow=always",
    "protocol.https.allow=always",
) for arg in ("-c", setting))


def transport(args: list[str], *, inside: Path | None, what: str) -> None:
    """Run a clone (``inside`` None) or a fetch in the mirror ``inside``; GitError led by ``what``."""
    where = ["-C", str(inside)] if inside is not None else []
    env = {k: v for k, v in os.environ.items() if k not in _UNSET_ENV}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        proc = subprocess.run(["git", "--no-pager", *where, *_TRANSPORT_SETTINGS, *args], capture_output=True,
                              env=env, check=False)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"{what}: git {args[0]} failed: {stderr}")


@dataclass
class Git:
    """Runs read-only git commands against one repository and times them."""

    repo: Path
    process_seconds: float = field(default=0.0)
    process_count: int = field(default=0)

    def __post_init__(self) -> None:
        self.repo = Path(self.repo)
        if not self.repo.exists():
            raise RepositoryError(f"repository path {str(self.repo)!r} does not exist")
        if not self.repo.is_dir():
            raise RepositoryError(f"repository path {str(self.repo)!r} is not a directory")
        out = self._run(["rev-parse", "--is-bare-repository", "--git-dir"], check=False)
        if out.returncode != 0:
            raise RepositoryError(_not_a_repository(self.repo, out.stderr.decode("utf-8", "replace")))
        promisor = self._run(["config", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$"],
                             check=False)
        if any(value not in ("", "false") for value in promisor.stdout.decode().split()[1::2]):
            raise RepositoryError(
                f"{str(self.repo)!r} is a partial clone: reading its missing blobs would fetch them into it, "
                "and reviewvet never writes into a repository it inspects; use a full clone")

    # -- process plumbing -------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_NO_LAZY_FETCH="1", LC_ALL="C",
                   GIT_ATTR_NOSYSTEM="1", GIT_NO_REPLACE_OBJECTS="1", GIT_GRAFT_FILE=os.devnull)
        for name in _UNSET_ENV:
            env.pop(name, None)
        return env

    def _run(
        self, args: list[str], *, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        argv = ["git", "--no-pager", "-C", str(self.repo), *_SETTINGS, *args]
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                argv, input=input, capture_output=True, env=self._env(), check=False
            )
        except FileNotFoundError as exc:  # git itself is missing
            raise GitError("git is not installed or not on PATH") from exc
        finally:
            self.process_seconds += time.perf_counter() - started
            self.process_count += 1
        if check and proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git {args[0]} failed: {stderr}")
        return proc

    def output(self, args: list[str]) -> str:
        return self._run(args).stdout.decode("utf-8", "replace")

    # -- revisions --------------------------------------------------------------

    def resolve(self, rev: str, *, what: str = "revision", field: str | None = None) -> str:
        """The full commit id of ``rev``; RevisionError (about the input ``field``) when it is unusable."""
        if not rev or rev.startswith("-"):
            raise RevisionError(f"{what} {rev!r} looks like an option, not a revision", field=field)
        sha = self.try_resolve(rev)
        if sha is None:
            raise RevisionError(f"{what} {rev!r} is not a commit in {str(self.repo)!r}", field=field)
        return sha

    def try_resolve(self, rev: str) -> str | None:
        """The full commit id of ``rev``, or None when it names no commit."""
        if not rev or rev.startswith("-"):
            return None
        proc = self._run(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
            check=False,
        )
        if proc.returncode != 0:
            return None
        return proc.stdout.decode().strip() or None

    def merge_base(self, a: str, b: str) -> str | None:
        proc = self._run(["merge-base", "--end-of-options", a, b], check=False)
        if proc.returncode != 0:
            return None
        return proc.stdout.decode().strip() or None

    def is_shallow(self) -> bool:
        return self.output(["rev-parse", "--is-shallow-repository"]).strip() == "true"

    def log_all(self, limit: int = 200_000) -> list[LogEntry]:
        """Every commit reachable from any ref (pull-request refs included), newest first."""
        return self._log(["--all", "--decorate-refs=refs/", f"--max-count={limit}"], [], with_refs=True)

    def first_parent_subjects(self, head: str, stop: str | None, limit: int = 500) -> list[LogEntry]:
        """Commits of ``stop..head`` (or the last ``limit``), oldest first."""
        rng = f"{stop}..{head}" if stop else head
        return list(reversed(self._log(["--first-parent", f"--max-count={limit}"], [rng])))

    def _log(self, options: list[str], revs: list[str], *, with_refs: bool = False) -> list[LogEntry]:
        """``git log`` with our own fixed options; ``revs`` (from input) come after --end-of-options.

        Fields are separated by NUL and, with ``-z``, so are records: a subject can hold any other
        character (a record separator, say), never a NUL, so entries are read by counting fields.
        """
        fields = "%H%x00%s%x00%aI" + ("%x00%D" if with_refs else "")
        tail = ["--end-of-options", *revs] if revs else []
        decorate = ["--decorate=short"] if with_refs else []
        out = self._run(["log", "-z", *_LOG_OPTIONS, *decorate, *options, f"--format={fields}", *tail], check=False)
        return _log_entries(out.stdout.decode("utf-8", "replace"), 4 if with_refs else 3)

    def pull_request_refs(self, number: int) -> list[tuple[str, str]]:
        """(ref name, commit id) of the refs of pull request ``number`` (``refs/pull/N/head``, remotes' copies)."""
        # A pattern without a wildcard matches as a prefix; one with a wildcard must match the whole name
        # (``*`` stops at a slash), so a remote's copies are spelled out to their last component.
        patterns = [f"refs/pull/{number}/", f"refs/remotes/*/pull/{number}/*", f"refs/remotes/*/pr/{number}"]
        out = self._run(["for-each-ref", "--format=%(refname) %(objectname)", *patterns],
                        check=False).stdout.decode("utf-8", "replace")
        refs = [tuple(line.split(" ", 1)) for line in out.splitlines() if " " in line]
        heads = [(r, sha) for r, sha in refs if not r.endswith("/merge")]
        return sorted(heads, key=lambda r: not r[0].endswith("/head"))

    def refs_containing(self, sha: str, limit: int = 5) -> list[str]:
        out = self._run(
            ["for-each-ref", f"--count={limit}", "--format=%(refname)", f"--contains={sha}"], check=False
        ).stdout.decode("utf-8", "replace")
        return [line for line in out.splitlines() if line]

    def blame(
        self, rev: str, path: str, ranges: list[tuple[int, int]], *, options: tuple[str, ...] = ("-w", "-M", "-C"),
        full_history: bool = False,
    ) -> tuple[list[BlameLine], dict[str, CommitInfo]]:
        """Blame only ``ranges`` of ``path`` at ``rev`` (a commit id or ``base..head`` of commit ids).

        git blame takes no ``--end-of-options``; ``rev`` is always built from resolved commit ids
        and the path comes after ``--``, so nothing from input can be read as an option.
        """
        if not all(c in "0123456789abcdef." for c in rev):
            raise GitError(f"blame needs resolved commit ids, not {rev!r}")
        # --no-ignore-revs-file: a blame.ignoreRevsFile in the user's configuration must not change the answer;
        # --no-textconv: a textconv driver named by the repository's attributes must neither run nor change lines
        args = ["blame", "--porcelain", "--no-ignore-revs-file", "--no-textconv", *options,
                *(["--root"] if full_history else [])]
        for start, end in ranges:
            args += ["-L", f"{start},{end}"]
        out = self._run([*args, rev, "--", path], check=False)
        if out.returncode != 0:
            raise GitError(f"git blame {path!r} failed: {out.stderr.decode('utf-8', 'replace').strip()}")
        return parse_blame(out.stdout.decode("utf-8", "replace"))

    def changed_lines(self, base: str, head: str) -> dict[str, FileChange]:
        """What each file changed between two commits (one ``git diff -U0``)."""
        out = self._run(["diff", "-U0", *_DIFF_OPTIONS, "-M",
                         "--src-prefix=a/", "--dst-prefix=b/", "--end-of-options", base, head])
        return parse_diff_hunks(out.stdout.decode("utf-8", "replace"))

    def commits_touching(self, base: str, head: str, path: str) -> list[LogEntry]:
        """Commits of ``base..head`` that changed ``path``, oldest first."""
        return list(reversed(self._log([], [f"{base}..{head}", "--", path])))

    def file_versions(self, tips: list[str], exclude: str | None, paths: list[str]) -> list[FileVersion]:
        """Every blob ``paths`` had in the commits of ``tips`` not reachable from ``exclude`` (one ``git log``).

        ``tips`` and ``exclude`` must be resolved commit ids; paths are passed as literal
        pathspecs after ``--``. Newest commits first; a blob seen again is listed once.
        """
        revs = [*tips, *([f"^{exclude}"] if exclude else [])]
        if not paths or not tips or not all(all(c in "0123456789abcdef^" for c in r) for r in revs):
            return []
        specs = [f":(literal){p}" for p in paths]
        out = self._run(["log", "-z", *_LOG_OPTIONS, "--no-renames", "--raw", "--no-abbrev", "--format=%x01%H %ct",
                         "--end-of-options", *revs, "--", *specs], check=False)
        return _file_versions(out.stdout.decode("utf-8", "surrogateescape"))

    def remote_url(self, remote: str = "origin") -> str:
        """The URL of a remote ("" when there is none), read from the repository's config."""
        proc = self._run(["config", "--get", f"remote.{remote}.url"], check=False)
        return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else ""

    def shallow_boundaries(self) -> set[str]:
        """The commits at which a shallow clone's history is cut (empty for a full clone)."""
        path = self.output(["rev-parse", "--git-path", "shallow"]).strip()
        shallow = Path(path) if Path(path).is_absolute() else self.repo / path
        try:
            return set(shallow.read_text().split())
        except OSError:
            return set()

    def independent(self, shas: list[str]) -> list[str]:
        """The commits of ``shas`` that no other one of them descends from (one process)."""
        out = self._run(["merge-base", "--independent", "--end-of-options", *shas], check=False)
        return out.stdout.decode().split() if out.returncode == 0 else list(shas)

    # -- trees and blobs --------------------------------------------------------

    def tree(self, rev: str) -> dict[str, TreeEntry]:
        """All files of ``rev``'s tree by path (read from git objects, not the work tree)."""
        out = self._run(["ls-tree", "-r", "-z", "--long", "--full-tree", "--end-of-options", rev]).stdout
        entries: dict[str, TreeEntry] = {}
        for record in out.split(b"\x00"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, _kind, oid, size = meta.split()
            path = raw_path.decode("utf-8", "surrogateescape")
            entries[path] = TreeEntry(path, mode.decode(), oid.decode(), _size(size))
        return entries

    def read_blobs(self, oids: list[str]) -> dict[str, bytes]:
        """The contents of many blobs, read by one ``git cat-file --batch``."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        out = self._run(["cat-file", "--batch"], input="".join(f"{o}\n" for o in wanted).encode()).stdout
        blobs: dict[str, bytes] = {}
        pos = 0
        for oid in wanted:
            header_end = out.index(b"\n", pos)
            header = out[pos:header_end].split()
            pos = header_end + 1
            if len(header) < 3 or header[1] == b"missing":
                continue
            size = int(header[2])
            blobs[oid] = out[pos:pos + size]
            pos += size + 1
        return blobs

    def grep_files(self, rev: str, groups: list[list[str]]) -> list[str] | None:
        """The files of ``rev`` with a line holding every string of one of ``groups`` (fixed strings),
        by one ``git grep -l``; None when git grep fails.

        ``rev`` must be a resolved commit id (git grep takes no ``--end-of-options``); every pattern
        follows ``-e``. No textconv program runs, submodules are not entered, and binary files are
        searched too (no ``-I``): the repository's attributes must not hide a file.
        """
        if not rev or not all(c in "0123456789abcdef" for c in rev) or not all(groups):
            raise GitError(f"grep needs a resolved commit id and patterns, not {rev!r}")
        args = ["grep", "-l", "-z", "-F", "--no-color", "--no-textconv", "--no-recurse-submodules"]
        for i, group in enumerate(groups):
            args += ["--or"] if i else []
            for k, term in enumerate(group):
                args += [*(["--and"] if k else []), "-e", term]
        out = self._run([*args, rev, "--"], check=False)
        if out.returncode not in (0, 1):
            return None
        prefix = f"{rev}:"
        names = out.stdout.decode("utf-8", "surrogateescape").split("\x00")
        return [name.removeprefix(prefix) for name in names if name]


def parse_blame(text: str) -> tuple[list[BlameLine], dict[str, CommitInfo]]:
    """``git blame --porcelain`` output as lines and the commits they name."""
    lines: list[BlameLine] = []
    commits: dict[str, CommitInfo] = {}
    fields: dict[str, dict[str, str]] = {}
    current: list[str] = []
    for raw in text.split("\n"):
        if raw.startswith("\t"):
            sha, orig, final = current[0], int(current[1]), int(current[2])
            info = fields.setdefault(sha, {})
            lines.append(BlameLine(final, sha, orig, info.get("filename", "")))
            continue
        parts = raw.split(" ")
        if len(parts[0]) in (40, 64) and len(parts) >= 3 and parts[1].isdigit():
            current = parts
            fields.setdefault(parts[0], {})
        elif current and raw:
            key, _, value = raw.partition(" ")
            fields[current[0]][key] = _unquote(value) if key == "filename" else value
    for sha, info in fields.items():
        commits[sha] = CommitInfo(sha, info.get("author", ""), int(info.get("author-time", "0") or 0),
                                  info.get("summary", ""), "boundary" in info, info.get("author-tz", "+0000"))
    return lines, commits


def parse_diff_hunks(text: str) -> dict[str, FileChange]:
    """``git diff -U0`` as, per file (new path; a deleted file under its old path), the added line
    ranges, the deleted ones and the hunks."""
    changes: dict[str, FileChange] = {}
    for section in _file_sections(text):
        change = _file_change(section)
        if change is not None:
            changes[change.path or change.old_path] = change
    return changes


def _file_sections(text: str) -> list[list[str]]:
    """The lines of each file's part of a diff, each from its ``diff --git`` line on (and whatever
    comes before the first). A content line starts with a space, ``+``, ``-`` or a backslash, so
    it never looks like a ``diff --git`` line."""
    sections: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            sections.append([])
        sections[-1].append(line)
    return sections


def _file_change(section: list[str]) -> FileChange | None:
    """What one file's part of a diff changed; None when it names no file (no ``---``/``+++``
    lines: a pure rename, a mode change, an empty new file, binary files shown without --text)."""
    first_hunk = next((i for i, line in enumerate(section) if line.startswith("@@")), len(section))
    old_path, new_path = _header_paths(section[:first_hunk])
    if old_path is None and new_path is None:
        return None
    hunks = tuple(_hunk(line) for line in section[first_hunk:] if line.startswith("@@"))
    deleted = tuple((old, old + count - 1) for old, count, _new, _count in hunks if count)
    if new_path is None:
        return FileChange("", old_path or "", (), deleted, hunks)
    added = tuple((new, new + count - 1) for _old, _count, new, count in hunks if count)
    return FileChange(new_path, old_path or new_path, added, deleted, hunks)


def _header_paths(header: list[str]) -> tuple[str | None, str | None]:
    """The old and new paths named by the ``---``/``+++`` lines of a file's header (the lines
    before its first hunk, so no content line is ever read as one); None for /dev/null."""
    old_path = new_path = None
    for line in header:
        if line.startswith("--- "):
            old_path = _diff_path(line[4:], "a/")
        elif line.startswith("+++ "):
            new_path = _diff_path(line[4:], "b/")
    return old_path, new_path


def _hunk(line: str) -> tuple[int, int, int, int]:
    """``@@ -old[,count] +new[,count] @@`` as (old start, old count, new start, new count); a count
    left out is 1."""
    old, new = line.split(" ")[1:3]
    old_start, old_count = _hunk_side(old[1:])
    new_start, new_count = _hunk_side(new[1:])
    return old_start, old_count, new_start, new_count


def _hunk_side(side: str) -> tuple[int, int]:
    start, _, count = side.partition(",")
    return int(start), int(count) if count else 1


def _diff_path(raw: str, prefix: str) -> str | None:
    """The path of a ``---``/``+++`` line: without its prefix, the tab git adds after names with
    spaces, and C-style quoting for unusual names; None for /dev/null."""
    text = _unquote(raw.rstrip("\t"))
    return text[len(prefix):] if text.startswith(prefix) else None


# git's C-style escapes (quote.c): a named control character, a quote or backslash, or a byte in octal.
_C_ESCAPE = re.compile(rb'\\(?:([0-3][0-7]{2})|(.))', re.DOTALL)
_C_NAMED = {b"a": b"\a", b"b": b"\b", b"t": b"\t", b"n": b"\n", b"v": b"\v", b"f": b"\f", b"r": b"\r"}


def _unquote(name: str) -> str:
    """A file name as git printed it, C-style quoted (``"q\\"uote\\303\\251"``) when it holds a quote,
    a backslash or a control character (or, under core.quotepath, a non-ASCII byte), else as is.

    Escapes stand for bytes, and the bytes of the name are UTF-8: the unquoting is done on bytes
    (a character left unescaped is its own UTF-8 bytes) and the result decoded once. Characters
    the caller could not decode (surrogate escapes) go through unchanged.
    """
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("utf-8", "surrogateescape")
    return _C_ESCAPE.sub(_unescape, raw).decode("utf-8", "surrogateescape")


def _unescape(match: re.Match[bytes]) -> bytes:
    octal, char = match.groups()
    if octal is not None:
        return bytes([int(octal, 8)])
    return _C_NAMED.get(char, char)


def _log_entries(text: str, width: int) -> list[LogEntry]:
    """``git log -z`` output of ``width`` NUL-separated fields a commit, each commit ended by a NUL."""
    values = text.split("\x00")
    return [LogEntry(*values[i:i + width]) for i in range(0, len(values) - width, width)]


def _file_versions(text: str) -> list[FileVersion]:
    """``git log -z --raw --format=%x01%H %ct`` as each blob's first (newest) version.

    Every field ends with a NUL: a commit line (``\\x01`` id and time; the first raw line after
    it starts with a newline), then per file its raw line and its path, verbatim. A path is always
    the field after a raw line, so a path starting with ``:`` or ``\\x01`` is still a path.
    """
    versions: dict[str, FileVersion] = {}
    commit, when = "", 0
    values = iter(text.split("\x00"))
    for value in values:
        record = value.lstrip("\n")
        if record.startswith("\x01"):
            commit, _, stamp = record[1:].partition(" ")
            when = int(stamp or 0)
        elif record.startswith(":"):
            path, blob = next(values, ""), _new_blob(record)
            if blob and blob not in versions:
                versions[blob] = FileVersion(path, blob, commit, when)
    return list(versions.values())


def _new_blob(raw: str) -> str:
    """The new side's blob of a raw line (``:old_mode new_mode old new status``); "" when the file is gone."""
    fields = raw.split()
    return fields[3] if len(fields) >= 4 and set(fields[3]) != {"0"} else ""


def _not_a_repository(repo: Path, stderr: str) -> str:
    """Why git refused ``repo``: another user's repository (git's safe.directory check) or none at all."""
    marker = "detected dubious ownership in repository at '"
    if marker in stderr:
        at = stderr.split(marker, 1)[1].split("'\n", 1)[0].rstrip("'")
        return (f"{str(repo)!r} is owned by another user, and git refuses to read it (dubious ownership of {at!r}); "
                f"if you trust it, allow it with: git config --global --add safe.directory {at}")
    return f"{str(repo)!r} is not a git repository"


def _size(raw: bytes) -> int:
    return int(raw) if raw.isdigit() else 0
