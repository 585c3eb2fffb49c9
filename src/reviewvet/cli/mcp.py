"""``reviewvet mcp``: reviewvet's tools for coding agents, served over MCP on standard input and output."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

from reviewvet.errors import RepositoryError, UsageError

if TYPE_CHECKING:
    from reviewvet.cli.options import Subparsers

NEEDS_EXTRA = "reviewvet mcp needs the service extra: pip install 'reviewvet[service]'"

REGISTER = """\
The agent starts the server itself; register it once. Give the full path of reviewvet when it is
not on the agent's PATH (e.g. the one in your virtual environment), and one --repo per repository.

Claude Code:
  claude mcp add reviewvet -- reviewvet mcp --repo beacon=/src/beacon
  (add --scope user before the name to have it in every project)

Codex CLI, in ~/.codex/config.toml:
  [mcp_servers.reviewvet]
  command = "reviewvet"
  args = ["mcp", "--repo", "beacon=/src/beacon"]

Gemini CLI, in ~/.gemini/settings.json:
  {
    "mcpServers": {
      "reviewvet": {"command": "reviewvet", "args": ["mcp", "--repo", "beacon=/src/beacon"]}
    }
  }

Without --repo and --config, it serves the repository of the folder it is started in (its top
level, named by its folder's name): registered as `reviewvet mcp` alone, it serves whichever project
the agent starts it in (Codex CLI and Gemini CLI also take a "cwd" key to fix the folder). With one
repository served, the tools may leave out the repository's name.

Tools: check_claim (one claim: path, lines, quote, symbol, regression/gap label), verify_review (a
whole review report), blame_lines (regression or gap), find_symbol, callers, callees. Each answer
starts with the verdict in one sentence, then the evidence. Nothing but the protocol is written to
standard output; messages go to standard error."""


def add_parser(sub: Subparsers) -> None:
    mcp = sub.add_parser(
        "mcp", help="serve reviewvet's tools to coding agents over MCP (stdio)",
        description="Serve reviewvet's claim-checking tools over the Model Context Protocol on standard input\n"
                    "and output, for coding agents to check what they are about to write in a review.\n"
                    "Repositories are named; the tools never take a path.",
        epilog=REGISTER, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    served = mcp.add_argument_group("what is served")
    served.add_argument("--repo", action="append", default=[], metavar="NAME=PATH",
                        help="a repository and the name the tools know it by (repeatable); default: the "
                             "repository of the current folder")
    served.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="a serve.yaml naming the repositories, and the limits (its tokens play no part on stdio)")
    served.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                        help="folder of the parse cache (default $REVIEWVET_CACHE_DIR or ~/.cache/reviewvet)")
    mcp.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from reviewvet.cli.emit import say
    from reviewvet.service.config import config_from_options

    try:
        from reviewvet.service.mcp_server import run_stdio
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in ("mcp", "mcp_types"):
            raise
        raise UsageError(NEEDS_EXTRA) from exc
    from reviewvet.service.core import Service

    repos: list[str] = args.repo
    if not repos and args.config is None:
        repos = [current_repository()]
    config = config_from_options(repos, None, None, args.config, args.cache_dir)
    default = next(iter(config.repositories)) if len(config.repositories) == 1 else None
    service = Service(config)
    try:
        say(f"serving {', '.join(sorted(config.repositories))} over MCP on standard input and output"
            + (f" (default repository {default!r})" if default else ""))
        run_stdio(service, default)
    finally:
        service.close()
    return 0


def current_repository() -> str:
    """``NAME=PATH`` for the repository of the current folder: its top level (a bare one: itself), named
    by its folder."""
    from reviewvet.git import Git

    try:
        git = Git(Path.cwd())
    except RepositoryError as exc:
        raise UsageError(f"{exc}; give --repo NAME=PATH or --config FILE") from exc
    bare = git.output(["rev-parse", "--is-bare-repository"]).strip() == "true"
    top = Path(git.output(["rev-parse", "--absolute-git-dir" if bare else "--show-toplevel"]).strip())
    return f"{repository_name(top)}={top}"


def repository_name(path: Path) -> str:
    """A folder's name as a repository name: what ``serve.yaml`` names may hold (``foo.git`` is ``foo``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.name.removesuffix(".git")).lstrip("._-")[:100]
    return name or "repository"
