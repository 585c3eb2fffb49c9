"""What a long-running reviewvet (``reviewvet serve``, ``reviewvet mcp``) serves, and to whom.

Clients name repositories; they never pass a path. The names come from a config file
(``serve.yaml``) or from ``--repo NAME=PATH`` flags:

.. code-block:: yaml

    repositories:
      beacon:
        path: /srv/mirrors/beacon.git      # a local repository, bare or not
        fetch: https://github.com/example-org/beacon.git   # optional: refreshed by POST /v1/repos/beacon:fetch
        fetch_interval: 300                 # optional: seconds between automatic fetches
    tokens:
      - file: /etc/reviewvet/ci.token       # or  env: REVIEWVET_CI_TOKEN
        repositories: [beacon]              # optional: the repositories this token may see (default all)
    limits:
      max_body_bytes: 4194304
      max_findings: 500
      timeout_seconds: 120
      max_concurrency: 8
      workspace_memory_mb: 1024
      max_workspaces: 16
    cache_dir: /var/cache/reviewvet         # optional: the parse cache (default as the CLI's)

A token file holds one token per line (blank lines and ``#`` comments skipped), optionally followed
by the repositories it may see: ``s3cret beacon,kettle``. Tokens are never logged or shown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reviewvet.errors import UsageError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")  # a repository's name: what a URL path segment may hold
MiB = 1024 * 1024


@dataclass(frozen=True)
class Repository:
    """A repository the service may read, by the name clients use."""

    name: str
    path: Path
    fetch_url: str | None = None
    fetch_interval: float | None = None  # seconds; None: only on request


@dataclass(frozen=True)
class Token:
    """A bearer token and the repositories it may see (None: every one)."""

    secret: str = field(repr=False)
    repositories: frozenset[str] | None = None

    def may_see(self, name: str) -> bool:
        return self.repositories is None or name in self.repositories


@dataclass(frozen=True)
class Limits:
    """What one request may ask, and what the service holds at once."""

    max_body_bytes: int = 4 * MiB
    max_findings: int = 500  # findings of one review, or claims of one batch
    timeout_seconds: float = 120.0
    max_concurrency: int = 8  # requests at work at once; more get 429 with Retry-After
    workspace_memory_bytes: int = 1024 * MiB  # resident memory above which idle workspaces are closed
    max_workspaces: int = 16


@dataclass(frozen=True)
class ServiceConfig:
    repositories: Mapping[str, Repository]
    tokens: tuple[Token, ...] = ()
    limits: Limits = Limits()
    cache_dir: Path | None = None

    def repository(self, name: str) -> Repository | None:
        return self.repositories.get(name)


# -- from the command line --------------------------------------------------------------------------


def repository_option(text: str) -> Repository:
    """``NAME=PATH`` as ``--repo`` gives it."""
    name, sep, path = text.partition("=")
    if not sep or not path:
        raise UsageError(f"--repo {text!r}: expected NAME=PATH, e.g. beacon=/srv/mirrors/beacon.git")
    return _repository(name, {"path": path}, where=f"--repo {text!r}")


def config_from_options(repos: Iterable[str], token_file: Path | None, token_env: str | None,
                        config_file: Path | None = None, cache_dir: Path | None = None) -> ServiceConfig:
    """The service's configuration: the config file when given, with ``--repo`` and tokens added."""
    config = load_config(config_file) if config_file is not None else ServiceConfig({})
    repositories = dict(config.repositories)
    for text in repos:
        repository = repository_option(text)
        if repository.name in repositories:
            raise UsageError(f"--repo {text!r}: the name {repository.name!r} is given twice")
        repositories[repository.name] = repository
    if not repositories:
        raise UsageError("no repository to serve: give --repo NAME=PATH or a config file with repositories")
    tokens = list(config.tokens)
    if token_file is not None:
        tokens += read_token_file(token_file, where="--token-file")
    if token_env is not None:
        tokens += _env_tokens(token_env, where="--token-env")
    return replace(config, repositories=repositories, tokens=tuple(tokens),
                   cache_dir=cache_dir if cache_dir is not None else config.cache_dir)


# -- the config file ----------------------------------------------------------------------------------


def load_config(path: Path) -> ServiceConfig:
    """``serve.yaml`` read and checked; UsageError naming the file and the key that is wrong."""
    from reviewvet.rules.yamlfile import load_yaml, read_yaml_file

    where = f"config file {str(path)!r}"
    try:
        data = load_yaml(str(path), read_yaml_file(path))
    except OSError as exc:
        raise UsageError(f"{where} cannot be read: {exc.strerror or exc}", field="config") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a mapping with 'repositories'", field="config")
    unknown = set(data) - {"repositories", "tokens", "limits", "cache_dir"}
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}", field="config")
    repositories = data.get("repositories") or {}
    if not isinstance(repositories, dict):
        raise UsageError(f"{where}: 'repositories' must map names to settings", field="config")
    base = path.parent
    repos = {str(name): _repository(str(name), settings, where=f"{where}, repository {name!r}", base=base)
             for name, settings in repositories.items()}
    tokens = tuple(t for i, item in enumerate(data.get("tokens") or [])
                   for t in _config_tokens(item, where=f"{where}, tokens[{i}]", base=base))
    cache = data.get("cache_dir")
    return ServiceConfig(repos, tokens, _limits(data.get("limits") or {}, where=f"{where}, limits"),
                         (base / str(cache)) if cache else None)


def _repository(name: str, settings: Any, *, where: str, base: Path | None = None) -> Repository:
    if not NAME.match(name):
        raise UsageError(f"{where}: the name {name!r} must be letters, digits, '.', '_' or '-' (at most 100)",
                         field="config")
    if isinstance(settings, str):
        settings = {"path": settings}
    if not isinstance(settings, dict) or not settings.get("path"):
        raise UsageError(f"{where}: needs a 'path'", field="config")
    unknown = set(settings) - {"path", "fetch", "fetch_interval"}
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}", field="config")
    path = Path(str(settings["path"])).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if not path.is_dir():
        raise UsageError(f"{where}: {str(path)!r} is not a folder", field="config")
    interval = settings.get("fetch_interval")
    if interval is not None and (not isinstance(interval, (int, float)) or interval < 10):
        raise UsageError(f"{where}: fetch_interval must be a number of seconds, at least 10", field="config")
    fetch = settings.get("fetch")
    return Repository(name, path.resolve(), str(fetch) if fetch else None, float(interval) if interval else None)


def _config_tokens(item: Any, *, where: str, base: Path) -> list[Token]:
    if not isinstance(item, dict) or not (("file" in item) ^ ("env" in item)):
        raise UsageError(f"{where}: a token needs either 'file' or 'env'", field="config")
    scope = item.get("repositories")
    if scope is not None and not (isinstance(scope, list) and all(isinstance(s, str) for s in scope)):
        raise UsageError(f"{where}: 'repositories' must be a list of names", field="config")
    tokens = (read_token_file(base / str(item["file"]), where=where) if "file" in item
              else _env_tokens(str(item["env"]), where=where))
    return [replace(t, repositories=frozenset(scope)) if scope is not None else t for t in tokens]


def read_token_file(path: Path, *, where: str) -> list[Token]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{where}: token file {str(path)!r} cannot be read: "
                         f"{getattr(exc, 'strerror', None) or exc}") from exc
    tokens = [_token_line(line, where=f"{where}: token file {str(path)!r}") for line in text.splitlines()
              if line.strip() and not line.lstrip().startswith("#")]
    if not tokens:
        raise UsageError(f"{where}: token file {str(path)!r} holds no token")
    return tokens


def _token_line(line: str, *, where: str) -> Token:
    secret, _, scope = line.strip().partition(" ")
    if len(secret) < 16:
        raise UsageError(f"{where}: a token must be at least 16 characters")
    names = frozenset(n for n in re.split(r"[\s,]+", scope.strip()) if n) if scope.strip() else None
    return Token(secret, names)


def _env_tokens(variable: str, *, where: str) -> list[Token]:
    value = os.environ.get(variable, "").strip()
    if not value:
        raise UsageError(f"{where}: the environment variable {variable!r} is not set")
    return [_token_line(line, where=f"{where}: ${variable}") for line in value.splitlines() if line.strip()]


def _limits(data: Any, *, where: str) -> Limits:
    if not isinstance(data, dict):
        raise UsageError(f"{where}: must be a mapping", field="config")
    names = {"max_body_bytes", "max_findings", "timeout_seconds", "max_concurrency", "workspace_memory_mb",
             "max_workspaces"}
    unknown = set(data) - names
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}", field="config")
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise UsageError(f"{where}: {key} must be a positive number", field="config")
    limits = Limits()
    memory = data.get("workspace_memory_mb")
    return Limits(int(data.get("max_body_bytes", limits.max_body_bytes)),
                  int(data.get("max_findings", limits.max_findings)),
                  float(data.get("timeout_seconds", limits.timeout_seconds)),
                  int(data.get("max_concurrency", limits.max_concurrency)),
                  int(memory * MiB) if memory else limits.workspace_memory_bytes,
                  int(data.get("max_workspaces", limits.max_workspaces)))
