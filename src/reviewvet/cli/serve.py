"""``reviewvet serve``: the HTTP API (and the MCP server, when ``mcp`` is installed) for named repositories.

FastAPI and uvicorn are imported only when the command runs, so the command line (and the rest of
reviewvet) works without the service extra.
"""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from reviewvet.cli.emit import say
from reviewvet.errors import UsageError

if TYPE_CHECKING:
    from reviewvet.cli.options import Subparsers
    from reviewvet.service.core import Service

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8077
GRACE_SECONDS = 30  # on SIGTERM/SIGINT, how long requests in flight may take to finish
BACKLOG = 2048
NEEDS_EXTRA = "reviewvet serve needs the service extra: pip install 'reviewvet[service]'"

DESCRIPTION = f"""\
Serve reviewvet over HTTP for the repositories of --config and --repo. Clients name a repository;
they never pass a path, and nothing they send reaches git as an option.

routes (their documentation, with every field, at /docs):
  POST /v1/verify               verify a review (Markdown or claims JSON); the report in any --format
  POST /v1/claims:check         check small claims (path, lines, quote, symbol): verdict first, then evidence
  POST /v1/blame                regression, gap, mixed or widened for PATH:LINES locations
  GET  /v1/symbols              the symbols a name can name
  GET  /v1/callers, /v1/callees the call graph around a symbol
  GET  /v1/repos                the repositories the token may see
  POST /v1/repos/NAME:fetch     refresh a mirror from its configured URL
  GET  /healthz                 liveness, without a token
  GET  /metrics                 Prometheus metrics: requests, latency, workspace pool, git processes
  /mcp                          the MCP server (streamable HTTP), when the mcp package is installed

With tokens (--token-file, --token-env or the config file) every route but /healthz needs
'Authorization: Bearer TOKEN'; without one, only a loopback address may be served. Errors are
application/problem+json naming the field they are about. The limits of the config file bound a
request's body, findings, time and the requests at work at once (429 past it).

A repository with a fetch_interval is fetched when the server starts and then every interval.
SIGTERM or SIGINT stops the server: it takes no new connection, lets the requests in flight finish
(at most {GRACE_SECONDS} seconds) and exits 0."""


def add_parser(sub: Subparsers) -> None:
    serve = sub.add_parser("serve", help="serve the verifier over HTTP (and MCP) for named repositories",
                           description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    served = serve.add_argument_group("what is served, to whom")
    served.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="serve.yaml: repositories, tokens, limits, cache_dir")
    served.add_argument("--repo", action="append", default=[], metavar="NAME=PATH",
                        help="serve the local repository PATH as NAME (repeatable; added to the config file's)")
    served.add_argument("--token-file", type=Path, default=None, metavar="FILE",
                        help="bearer tokens, one a line, each optionally followed by the repositories it may see")
    served.add_argument("--token-env", default=None, metavar="VAR",
                        help="bearer tokens from the environment variable VAR (one a line)")
    served.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                        help="folder of the parse cache (default the config file's, else as the other commands)")
    where = serve.add_argument_group("where")
    where.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to listen on (default {DEFAULT_HOST}); other than loopback only with tokens")
    where.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"port to listen on (default {DEFAULT_PORT}; 0: any free port, named on stderr)")
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from reviewvet.service.config import config_from_options

    _require_service_extra()
    config = config_from_options(args.repo, args.token_file, args.token_env, args.config, args.cache_dir)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port!r} must be between 0 and 65535")
    if not config.tokens and not is_loopback(args.host):
        raise UsageError(f"--host {args.host!r} is not a loopback address: serving it needs a token "
                         "(--token-file, --token-env or tokens in the config file)")
    from reviewvet.service.core import Service

    # uvicorn's and the service's warnings and errors (a request that failed, with its traceback) on stderr
    logging.basicConfig(level=logging.WARNING, format="reviewvet: %(message)s")
    service = Service(config)
    try:
        serve(service, args.host, args.port)
    finally:
        service.close()
    return 0


def serve(service: Service, host: str, port: int) -> None:
    """Serve ``service`` on ``host``:``port`` until SIGTERM or SIGINT."""
    from reviewvet.service.http import create_app

    app = create_app(service, mcp_app=mcp_app(service))
    with listen(host, port) as sock, Fetchers(service):
        bound = sock.getsockname()[1]
        count = len(service.config.repositories)
        shown = f"[{host}]" if ":" in host else host
        say(f"serving {count} repositor{'y' if count == 1 else 'ies'} on http://{shown}:{bound} (docs: /docs)")
        run_server(app, sock)


def _require_service_extra() -> None:
    try:
        importlib.import_module("fastapi")
        importlib.import_module("uvicorn")
    except ImportError as exc:
        raise UsageError(NEEDS_EXTRA) from exc


def mcp_app(service: Service) -> Any:
    """The MCP server's ASGI app for ``service``, or None when the mcp package (or the module) is absent."""
    try:
        module = importlib.import_module("reviewvet.service.mcp_server")
    except ModuleNotFoundError as exc:
        if exc.name is not None and (exc.name == "reviewvet.service.mcp_server" or exc.name.split(".")[0] == "mcp"):
            return None
        raise
    factory = getattr(module, "streamable_http_app", None)
    return factory(service) if factory is not None else None


# -- the socket -------------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UsageError(f"--host {host!r} cannot be resolved: {exc}") from exc
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


@contextmanager
def listen(host: str, port: int) -> Iterator[socket.socket]:
    """A listening socket on ``host``:``port`` (``port`` 0: any free one), bound here so its port is known."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc}") from exc
    with sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        yield sock


def run_server(app: Any, sock: socket.socket) -> None:
    """uvicorn on ``sock`` until SIGTERM or SIGINT, then a graceful shutdown of at most GRACE_SECONDS."""
    server = uvicorn_server(app)
    with _signals_to(server):
        server.run(sockets=[sock])


def uvicorn_server(app: Any) -> Any:
    """A uvicorn server for ``app``: no access log, warnings and errors on stderr, no websockets (none is
    served), the lifespan run (the MCP server's session manager lives in it)."""
    import uvicorn

    config = uvicorn.Config(app, lifespan="on", ws="none", access_log=False, log_config=None, log_level="warning",
                            timeout_graceful_shutdown=GRACE_SECONDS, server_header=False)
    return uvicorn.Server(config)


@contextmanager
def _signals_to(server: Any) -> Iterator[None]:
    """SIGINT and SIGTERM ask ``server`` to shut down. uvicorn sets its own handlers while it serves and
    raises the signal it caught again when it is done; these handlers (in place before and after it)
    take that one too, so a graceful shutdown ends the command with exit 0, not with the signal."""
    previous = {sig: signal.signal(sig, server.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- fetching mirrors --------------------------------------------------------------------------------


class Fetchers:
    """One thread per repository with a fetch_interval: it fetches at once, then every interval, until the
    server stops. A failed fetch is said on stderr and tried again at the next interval."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(r.name, r.fetch_interval), daemon=True,
                                         name=f"reviewvet-fetch-{r.name}")
                        for r in service.config.repositories.values() if r.fetch_interval and r.fetch_url]

    def __enter__(self) -> Fetchers:
        for r in self.service.config.repositories.values():
            if r.fetch_interval and not r.fetch_url:
                say(f"repository {r.name!r} has a fetch_interval but no fetch URL: it is not fetched")
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(GRACE_SECONDS)  # a fetch under way finishes first (daemon threads: never past exit)

    def _loop(self, name: str, interval: float) -> None:
        while not self.stop.is_set():
            try:
                self.service.fetch(name)
            except Exception as exc:  # never let a failed fetch end the thread or the server
                say(f"fetching {name!r} failed: {exc}")
            if self.stop.wait(interval):
                return
