"""``reviewvet bench callgraph``: reviewvet's Go call graph against ``callgraph -algo=static``.

The reference is the ``callgraph`` tool of golang.org/x/tools with its ``static`` algorithm:
every call whose callee is known without any type flow (plain function calls and method calls
on a concrete receiver type), computed by the Go type checker itself. Interface dispatch and
calls of function values are not in it.

For each standard-library package asked for (``net/http`` ...), the benchmark

1. asks ``go list`` which non-test files the package builds from for linux/amd64 (cgo off),
2. copies those files into a git repository it builds in its own temporary folder, under the
   package's import path (``net/http/server.go``; no go.mod, so the folder is the import path,
   the same ids reviewvet gives a module's packages), and indexes it with reviewvet,
3. runs ``callgraph -algo=static`` on the same packages (with the same GOOS, GOARCH and cgo
   setting, and a temporary GOPATH, GOCACHE and HOME: nothing is written into the Go
   installation or the user's home),

and compares the two sets of (caller, callee) pairs, each pair counted once however many call
sites it has.

Normalisation, so both sides name a function the same way (reviewvet's symbol ids):

- ``(*net/http.Server).Serve`` -> ``net/http.(*Server).Serve``;
  ``(net/http.Header).Get`` -> ``net/http.Header.Get``; type arguments (``F[int]``) dropped;
- a closure, ``F$1`` (or ``F$1$2``), is its enclosing function ``F``: reviewvet attributes the
  calls inside a function literal to the function around it. Calls *of* a closure are dropped
  (a function literal is no symbol of reviewvet's);
- the package initialiser ``pkg.init`` and each ``func init`` (``pkg.init#1``) are ``pkg.init``;
  on reviewvet's side the top-level code of a file (``path::<main>``, package-level variable
  initialisers) is ``pkg.init`` of the file's package, and a symbol id made unique by its file
  (``pkg.init@path``) loses the ``@path``. Edges *to* an ``init`` are dropped: nothing calls it
  in the source;
- other synthetic functions of the reference (method wrappers, ``$bound`` and ``$thunk``) are
  dropped at either end;
- only pairs whose two ends are functions or methods of the analysed packages are kept, on both
  sides (a call into ``fmt`` or ``sync`` says nothing about reviewvet's resolution of the
  repository's own calls).

reviewvet's edges come from ``call_edges``. The figures compare its call edges resolved
without guessing (``exact`` and ``by-type``) with the reference: precision = matched / ours,
recall = matched / reference. ``by-name-only`` edges (a method call with an unknown receiver,
linked to every method of that name) are counted apart, with the figures they would give if
they were counted too; ``reference`` edges (a function used as a value, not called) are
counted apart and never compared, since the static algorithm reports calls only. A pair
found both by a resolved edge and by a by-name-only one counts as resolved.

The reference lists a function only when it makes a static call, and leaves out functions no
root of the program reaches (the methods of an unexported type that nothing turns into an
interface value). Our call pairs from a caller it never lists are left out of the comparison
and counted apart (``caller_not_analysed``): mostly functions whose only calls are interface
calls, plus those unreachable ones.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewvet.errors import UsageError

DEFAULT_PACKAGES = ("net/http", "encoding/json", "text/template", "go/parser")
RESOLVED = frozenset({"exact", "by-type"})
EPOCH = 1767607200  # the benchmark repository's fixed commit date (2026-01-05 10:00 UTC)
_FORMAT = "{{.Caller}}\t{{.Caller.Synthetic}}\t{{.Callee}}\t{{.Callee.Synthetic}}"
_RECEIVER = re.compile(r"^\((\*?)(.+)\.([^.]+)\)\.([^.]+)$")  # (*pkg.T).M / (pkg.T).M
_CLOSURE = re.compile(r"\$\d+(?:\$\d+)*$")
_INIT = re.compile(r"\.init#\d+$")
_INSTANCE = re.compile(r"\[[^\[\]]*\]")

Pair = tuple[str, str]


@dataclass(frozen=True)
class GoTools:
    """The Go toolchain to run, and the environment that keeps it out of every folder but its own."""

    go: str
    callgraph: str
    env: Mapping[str, str]


@dataclass
class PackageFigures:
    """One package's pairs on both sides; ``ours`` are the resolved call pairs."""

    ours: set[Pair] = field(default_factory=set)
    by_name: set[Pair] = field(default_factory=set)
    references: set[Pair] = field(default_factory=set)
    reference: set[Pair] = field(default_factory=set)
    unanalysed: set[Pair] = field(default_factory=set)  # our calls from callers the reference never analysed

    def summary(self) -> dict[str, Any]:
        matched = self.ours & self.reference
        widened = (self.ours | self.by_name) & self.reference
        return {
            "ours": len(self.ours), "reference": len(self.reference), "matched": len(matched),
            "precision": _ratio(len(matched), len(self.ours)), "recall": _ratio(len(matched), len(self.reference)),
            "by_name_only": len(self.by_name - self.ours), "reference_edges": len(self.references),
            "caller_not_analysed": len(self.unanalysed),
            "with_by_name_only": {
                "ours": len(self.ours | self.by_name), "matched": len(widened),
                "precision": _ratio(len(widened), len(self.ours | self.by_name)),
                "recall": _ratio(len(widened), len(self.reference))},
        }


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# -- the tools ------------------------------------------------------------------------------------


def find_tools(home: Path) -> GoTools:
    """``go`` and ``callgraph`` from PATH, with a private GOPATH, GOCACHE and HOME under ``home``."""
    go, callgraph = shutil.which("go"), shutil.which("callgraph")
    missing = [name for name, found in (("go", go), ("callgraph", callgraph)) if found is None]
    if go is None or callgraph is None:
        raise UsageError(f"bench callgraph needs {' and '.join(missing)} on PATH: install the Debian packages "
                         "golang-go and golang-golang-x-tools (or Go and golang.org/x/tools/cmd/callgraph)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GO", "CGO_"))}
    env.update(HOME=str(home), GOPATH=str(home / "gopath"), GOCACHE=str(home / "gocache"), GOFLAGS="",
               GOOS="linux", GOARCH="amd64", CGO_ENABLED="0", GO111MODULE="auto", GOTOOLCHAIN="local",
               GOPROXY="off", GOTELEMETRY="off")
    return GoTools(go, callgraph, env)


def _run(tools: GoTools, argv: list[str], cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, env=dict(tools.env), capture_output=True, text=True)
    if done.returncode != 0:
        raise UsageError(f"{posixpath.basename(argv[0])} failed on {argv[-1]!r}: {done.stderr.strip()[:2000]}")
    return done.stdout


def package_files(tools: GoTools, package: str, cwd: Path) -> list[Path]:
    """The non-test Go files ``go list`` builds ``package`` from."""
    listed = json.loads(_run(tools, [tools.go, "list", "-json", "--", package], cwd))
    if listed.get("Goroot") is not True:
        raise UsageError(f"bench callgraph compares standard-library packages only, not {package!r}")
    return [Path(listed["Dir"]) / name for name in listed.get("GoFiles", [])]


@dataclass(frozen=True)
class Reference:
    """The reference's pairs between functions of the analysed packages, and every function it
    analysed (a caller of any call, into any package): ``callgraph`` leaves out functions that no
    root of the program reaches, such as the methods of an unexported type nothing converts to
    an interface."""

    pairs: frozenset[Pair]
    analysed: frozenset[str]


def reference_pairs(tools: GoTools, packages: Sequence[str], cwd: Path) -> Reference:
    """The static call graph of ``packages``, normalised."""
    text = _run(tools, [tools.callgraph, "-algo=static", f"-format={_FORMAT}", "--", *packages], cwd)
    return parse_reference(text, packages)


def parse_reference(text: str, packages: Iterable[str]) -> Reference:
    """Pairs from ``callgraph`` lines of ``caller, caller synthetic, callee, callee synthetic`` (tabs)."""
    wanted = set(packages)
    pairs: set[Pair] = set()
    analysed: set[str] = set()
    for row in text.splitlines():
        parts = row.split("\t")
        if len(parts) != 4:
            continue
        caller, callee = normalise(parts[0], parts[1]), normalise(parts[2], parts[3])
        if caller is not None:
            analysed.add(caller)
        if caller is None or callee is None or _CLOSURE.search(parts[2]) or _is_init(callee):
            continue
        if package_of(caller) in wanted and package_of(callee) in wanted:
            pairs.add((caller, callee))
    return Reference(frozenset(pairs), frozenset(analysed))


def normalise(name: str, synthetic: str = "") -> str | None:
    """A function of the reference named as reviewvet names it; None for a synthetic one."""
    if synthetic and not synthetic.startswith(("package initializer", "instance of")):
        return None
    plain = _CLOSURE.sub("", _INSTANCE.sub("", name))
    plain = _INIT.sub(".init", plain)
    method = _RECEIVER.match(plain)
    if method is None:
        return plain
    star, package, type_name, method_name = method.groups()
    return f"{package}.(*{type_name}).{method_name}" if star else f"{package}.{type_name}.{method_name}"


def package_of(ident: str) -> str:
    """``net/http`` of ``net/http.(*Server).Serve``: the path up to its last slash, then up to a dot."""
    head, slash, tail = ident.rpartition("/")
    return head + slash + tail.split(".", 1)[0]


def _is_init(ident: str) -> bool:
    return ident.rsplit(".", 1)[-1] == "init"


# -- reviewvet's side -----------------------------------------------------------------------------


def build_repository(dest: Path, files: Mapping[str, Path]) -> Path:
    """A git repository at ``dest`` of one commit holding ``files`` (repository path -> source file)."""
    dest.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True, env=env, capture_output=True)
    stream = [b"commit refs/heads/main\n",
              f"author Bench <bench@example.com> {EPOCH} +0000\n".encode(),
              f"committer Bench <bench@example.com> {EPOCH} +0000\n".encode(),
              b"data 26\nthe packages of the bench\n"]
    for path, source in sorted(files.items()):
        data = source.read_bytes()
        stream.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    subprocess.run(["git", "-C", str(dest), "fast-import", "--quiet"], input=b"".join(stream), check=True,
                   env=env, capture_output=True)
    return dest


def our_edges(repo: Path, cache: Path) -> list[tuple[str, str, str]]:
    """reviewvet's Go edges of the repository's main branch as (caller, callee, confidence), normalised."""
    from reviewvet.api import index, open_workspace
    from reviewvet.index.graph import call_edges

    with open_workspace(repo, "main", cache_dir=cache) as workspace:
        idx = index(workspace, "main")
    go_ids = {s.id: s.package for s in idx.symbols if s.language == "go" and s.kind in ("function", "method")}
    edges = []
    for e in call_edges(idx.files, idx.symbols, idx.modules):
        if idx.files[e.path].language != "go" or e.callee not in go_ids:
            continue
        caller = _our_caller(e.caller, e.path, go_ids)
        if caller is not None:
            edges.append((caller, _unique(e.callee), e.confidence))
    return edges


def _our_caller(caller: str, path: str, go_ids: Mapping[str, str]) -> str | None:
    if caller in go_ids:
        return _unique(caller)
    if caller.endswith("::<main>"):
        return f"{posixpath.dirname(path)}.init"
    return None


def _unique(ident: str) -> str:
    """A symbol id without the ``@path`` that told two same-named definitions apart."""
    return ident.split("@", 1)[0]


def compare(packages: Sequence[str], ours: Iterable[tuple[str, str, str]], reference: Reference
            ) -> dict[str, PackageFigures]:
    """Both sides' pairs by the package of the caller, restricted to the analysed packages and,
    on our side, to callers the reference analysed (the others are counted apart)."""
    wanted = set(packages)
    figures = {package: PackageFigures() for package in packages}
    for caller, callee, confidence in ours:
        if package_of(caller) not in wanted or package_of(callee) not in wanted or _is_init(callee):
            continue
        into = figures[package_of(caller)]
        if confidence == "reference":
            into.references.add((caller, callee))
        elif caller not in reference.analysed:
            into.unanalysed.add((caller, callee))
        elif confidence == "by-name-only":
            into.by_name.add((caller, callee))
        elif confidence in RESOLVED:
            into.ours.add((caller, callee))
    for pair in reference.pairs:
        figures[package_of(pair[0])].reference.add(pair)
    return figures


# -- the benchmark --------------------------------------------------------------------------------


def bench_callgraph(packages: Sequence[str], tmp: Path) -> dict[str, Any]:
    """Precision and recall of reviewvet's Go call graph against ``callgraph -algo=static``."""
    tools = find_tools(tmp / "home")
    (tmp / "home").mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for package in packages:
        files.update({f"{package}/{source.name}": source for source in package_files(tools, package, tmp)})
    reference = reference_pairs(tools, packages, tmp)
    repo = build_repository(tmp / "repo", files)
    figures = compare(packages, our_edges(repo, tmp / "cache"), reference)
    total = PackageFigures()
    for f in figures.values():
        total.ours |= f.ours
        total.by_name |= f.by_name
        total.references |= f.references
        total.reference |= f.reference
        total.unanalysed |= f.unanalysed
    return {"tool": "callgraph -algo=static", "files": len(files),
            "packages": {p: f.summary() for p, f in figures.items()}, "total": total.summary()}


def run_bench(packages: Sequence[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="reviewvet-bench-callgraph-") as tmp:
        return bench_callgraph(packages, Path(tmp))


def format_callgraph_figures(f: dict[str, Any]) -> str:
    header = (f"{'package':16} {'ours':>6} {'reference':>9} {'matched':>7} {'precision':>9} {'recall':>6}   "
              f"{'by-name-only':>12} {'references':>10}")
    rows = [f"reviewvet's Go call edges (exact, by-type) against {f['tool']}, {f['files']} files; "
            "pairs counted once", header]
    for name, row in [*f["packages"].items(), ("total", f["total"])]:
        rows.append(f"{name:16} {row['ours']:6} {row['reference']:9} {row['matched']:7} {_pct(row['precision']):>9} "
                    f"{_pct(row['recall']):>6}   {row['by_name_only']:12} {row['reference_edges']:10}")
    wide = f["total"]["with_by_name_only"]
    rows.append(f"left out: {f['total']['caller_not_analysed']} of our call pairs whose caller the reference never "
                "analysed (no static call in it, or unreachable from the program's roots)")
    rows.append(f"counting by-name-only edges too: {wide['ours']} ours, {wide['matched']} matched, precision "
                f"{_pct(wide['precision'])}, recall {_pct(wide['recall'])}")
    return "\n".join(rows)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
