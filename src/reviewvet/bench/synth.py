"""Synthetic repositories and reviews of a requested size, for benchmarks.

The repository is written with one ``git fast-import`` process into a folder the
benchmark owns (never a user's repository). Files are Go, shell and BATS of a fixed
shape, so every generated quote's true location is known without reading it back.
Files are streamed to fast-import as they are generated, so git hashes and compresses
while Python writes the next file: 30,000 files (about 150 MB) take about ten seconds.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

EPOCH = 1767607200  # 2026-01-05 10:00 UTC


@dataclass
class Unit:
    """A function in a generated file: where it is at head and its lines."""

    path: str
    start: int
    lines: list[str]


@dataclass
class SynthRepo:
    path: Path
    head: str = "pr"
    base: str = "main"
    units: list[Unit] = field(default_factory=list)
    removed: list[Unit] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def _go_file(rng: random.Random, pkg: str, n: int, stem: str) -> tuple[list[str], list[tuple[int, int]]]:
    lines = [f"package {pkg}", "", 'import "fmt"', ""]
    spans = []
    counts = rng.choices(range(8, 17), k=n)  # drawn in bulk: one call per file, not one per line
    muls = rng.choices(range(2, 98), k=sum(counts))
    adds = rng.choices(range(1, 1000), k=sum(counts))
    at = 0
    for k, count in enumerate(counts):
        start = len(lines) + 1
        name = f"{stem.capitalize()}Step{k}"
        lines += [f"// {name} applies step {k} of the {stem} pipeline.", f"func {name}(x int) (int, error) {{"]
        lines += [f"\tx = x*{muls[at + j]} + {adds[at + j]} // mix {j}" for j in range(count)]
        at += count
        lines += ["\tif x < 0 {", f'\t\treturn 0, fmt.Errorf("{stem}: step {k} overflowed: %d", x)', "\t}",
                  "\treturn x, nil", "}", ""]
        spans.append((start, len(lines) - 1))
    return lines, spans


def _sh_file(rng: random.Random, n: int, stem: str, bats: bool) -> tuple[list[str], list[tuple[int, int]]]:
    lines = ["#!/usr/bin/env bash", "set -euo pipefail", ""] if not bats else ["load helpers", ""]
    spans = []
    counts = rng.choices(range(4, 10), k=n)
    defaults = rng.choices(range(1, 1000), k=sum(counts))
    at = 0
    for k, count in enumerate(counts):
        start = len(lines) + 1
        lines.append(f'@test "{stem} case {k} succeeds" {{' if bats else f"{stem}_step_{k}() {{")
        lines += [f'    local v{j}="${{{j + 1}:-{defaults[at + j]}}}"' for j in range(count)]
        at += count
        lines += [f'    echo "{stem} {k}: $v0"', "}", ""]
        spans.append((start, len(lines) - 1))
    return lines, spans


def _generated_file(rng: random.Random, i: int, functions: int) -> tuple[str, list[str], list[tuple[int, int]]]:
    """File ``i``: seven in ten Go (25 to a package), two shell scripts, one BATS file."""
    kind = i % 10
    if kind < 7:
        return (f"svc/pkg/mod{i // 25}/file{i}.go", *_go_file(rng, f"mod{i // 25}", functions, f"file{i}"))
    if kind < 9:
        return (f"scripts/tool{i}.sh", *_sh_file(rng, functions, f"tool{i}", bats=False))
    return (f"tests/suite{i}.bats", *_sh_file(rng, functions, f"suite{i}", bats=True))


def generate_repo(dest: Path, files: int, seed: int = 7, functions: int = 12, history: int = 0) -> SynthRepo:
    """A repository of ``files`` files on ``main`` and a ``pr`` branch of three commits.

    ``history`` more commits on ``main`` before the branch point each rewrite one line of one
    Go file in place, so blame has a long history to walk.
    """
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True,
                   env=_env(), capture_output=True)
    repo = SynthRepo(dest)
    contents: dict[str, list[str]] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    with _FastImport(dest) as stream:
        fork = stream.commit("refs/heads/main", "import the generated tree", EPOCH, None)
        for i in range(files):
            path, contents[path], spans[path] = _generated_file(rng, i, functions)
            stream.file(path, contents[path])
        for k, changed in enumerate(_history(rng, contents, history)):
            fork = stream.commit("refs/heads/main", f"history {k + 1}", EPOCH + 60 * (k + 1), fork, changed)
        later = EPOCH + 60 * (history + 1)
        tip = fork
        for k, changed in enumerate(_pr_changes(rng, contents, spans, repo)):
            tip = stream.commit("refs/heads/pr", f"pr change {k + 1}", later + 3600 * (k + 1), tip, changed)
        stream.commit("refs/heads/main", "main moves on", later + 3600 * 9, fork, {"README.md": ["generated"]})
    for path, lines in contents.items():
        for start, end in spans[path]:
            repo.units.append(Unit(path, start, lines[start - 1:end]))
    repo.files = len(contents)
    repo.bytes = sum(len("\n".join(c)) + 1 for c in contents.values())
    return repo


class _FastImport:
    """One ``git fast-import`` process the stream is written to as it is generated."""

    def __init__(self, dest: Path) -> None:
        self.argv = ["git", "-C", str(dest), "fast-import", "--quiet"]
        self.mark = 0
        self.errors: IO[bytes] = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.errors,
                                     env=_env())
        assert self.proc.stdin is not None
        self.sink: IO[bytes] = self.proc.stdin

    def __enter__(self) -> _FastImport:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            self.sink.close()
        except BrokenPipeError:  # git stopped early; its message says why
            pass
        code = self.proc.wait()
        self.errors.seek(0)
        stderr = self.errors.read()
        self.errors.close()
        if code != 0 and kind is None:
            raise subprocess.CalledProcessError(code, self.argv, stderr=stderr)

    def commit(self, ref: str, message: str, when: int, parent: int | None,
               files: dict[str, list[str]] | None = None) -> int:
        """Start a commit on ``ref`` (its files follow with ``file``, or are given here); its mark."""
        self.mark += 1
        msg = message.encode()
        head = [f"commit {ref}\nmark :{self.mark}\n".encode(),
                f"author Bench <bench@example.com> {when} +0000\n".encode(),
                f"committer Bench <bench@example.com> {when} +0000\n".encode(),
                f"data {len(msg)}\n".encode() + msg + b"\n"]
        head += [f"from :{parent}\n".encode()] if parent is not None else []
        self.sink.write(b"".join(head))
        for path, lines in sorted((files or {}).items()):
            self.file(path, lines)
        return self.mark

    def file(self, path: str, lines: list[str]) -> None:
        data = ("\n".join(lines) + "\n").encode()
        self.sink.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")


def _history(rng: random.Random, contents: dict[str, list[str]], count: int) -> list[dict[str, list[str]]]:
    go_files = sorted(p for p in contents if p.endswith(".go"))
    commits = []
    for k in range(count):
        path = rng.choice(go_files)
        lines = contents[path]
        mixes = [i for i, line in enumerate(lines) if "// mix" in line]
        i = rng.choice(mixes)
        lines[i] = lines[i].split("// mix")[0] + f"// mix, revision {k}"
        commits.append({path: list(lines)})
    return commits


def _pr_changes(rng: random.Random, contents: dict[str, list[str]], spans: dict[str, list[tuple[int, int]]],
                repo: SynthRepo) -> list[dict[str, list[str]]]:
    """Three PR commits: edit a line in a few files, and remove the last function of one Go file."""
    commits: list[dict[str, list[str]]] = []
    go_files = sorted(p for p in contents if p.endswith(".go"))
    for c in range(3):
        changed: dict[str, list[str]] = {}
        for path in rng.sample(go_files, k=min(3, len(go_files))):
            lines = contents[path]
            start, _ = spans[path][0]
            lines[start] = lines[start].replace("(x int)", f"(x int) /* pr {c} */", 1)
            changed[path] = list(lines)
        if c == 2 and go_files:
            victim = go_files[-1]
            start, end = spans[victim][-1]
            repo.removed.append(Unit(victim, start, contents[victim][start - 1:end]))
            del contents[victim][start - 1:end]
            spans[victim] = spans[victim][:-1]
            changed[victim] = list(contents[victim])
        commits.append(changed)
    return commits


def _env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


# -- the review ----------------------------------------------------------------------------

VARIANTS = ("correct", "near-miss", "wrong-lines", "wrong-path", "removed", "correct")


def generate_review(repo: SynthRepo, findings: int, seed: int = 11, head: str = "", date: str = "2026-01-05",
                    round_: int = 1) -> str:
    """A deep-review Markdown document with ``findings`` findings of known truth."""
    rng = random.Random(seed)
    units = rng.sample(repo.units, k=min(findings, len(repo.units)))
    out = [f"# Deep Review: synthetic {seed}", "", "| | |", "|---|---|", f"| **Date** | {date} 10:00 |",
           "| **Repo** | bench/synthetic |", f"| **Round** | {round_} |",
           "| **Reviewers** | Claude Opus 4.7, Codex GPT 5.4 |"]
    out += [f"| **Head** | `{head}` |"] if head else []
    out += ["", "## Important Issues", ""]
    for i, unit in enumerate(units):
        variant = VARIANTS[i % len(VARIANTS)]
        if variant == "removed" and repo.removed:
            unit = repo.removed[0]
        quote = list(unit.lines[:6])
        path, start = unit.path, unit.start
        if variant == "near-miss":
            last = quote[1][-1:]
            quote[1] = quote[1][:-1] + ("%" if last == "#" else "#")  # one character differs
        elif variant == "wrong-lines":
            start += 40
        elif variant == "wrong-path":
            others = [u.path for u in repo.units if u.path != unit.path and u.path[-3:] == unit.path[-3:]]
            path = others[i % len(others)] if others else path
        language = {"go": "go", ".sh": "bash", "ats": "bats"}[unit.path[-2:] if unit.path.endswith(".go")
                                                               else unit.path[-3:]]
        agent = "Claude Opus 4.7" if i % 2 else "Codex GPT 5.4"
        out += [f"I{i + 1}. **Generated finding {i + 1} ({variant})** — `{path}:{start}-{start + len(quote) - 1}` "
                f"[{agent}]", "", f"```{language}", *quote, "```", "", "*(important, enhancement — generated.)*", ""]
    return "\n".join(out) + "\n"


def change_files(repo: SynthRepo, count: int, branch: str = "pr") -> str:
    """Commit a one-line change to ``count`` Go files on ``branch``; return the new commit id."""
    paths = sorted({u.path for u in repo.units if u.path.endswith(".go")})[:count]
    show = subprocess.run(["git", "-C", str(repo.path), "cat-file", "--batch"], env=_env(), check=True,
                          capture_output=True, input="".join(f"{branch}:{p}\n" for p in paths).encode()).stdout
    out: list[bytes] = [f"commit refs/heads/{branch}\n".encode(),
                        f"author Bench <bench@example.com> {EPOCH + 86400} +0000\n".encode(),
                        f"committer Bench <bench@example.com> {EPOCH + 86400} +0000\n".encode(),
                        b"data 12\nbench change\n", f"from refs/heads/{branch}^0\n".encode()]
    pos = 0
    for path in paths:
        end = show.index(b"\n", pos)
        size = int(show[pos:end].split()[2])
        data = show[end + 1:end + 1 + size] + b"// changed for the benchmark\n"
        pos = end + 1 + size + 1
        out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    subprocess.run(["git", "-C", str(repo.path), "fast-import", "--quiet", "--force"], input=b"".join(out),
                   env=_env(), check=True, capture_output=True)
    sha = subprocess.run(["git", "-C", str(repo.path), "rev-parse", branch], env=_env(), check=True,
                         capture_output=True).stdout.decode().strip()
    return sha
