"""Verify reviews on a Dask distributed cluster: one job per review, rows back to one writer.

``ingest`` stays the only writer of the store: it sends each review to the cluster as a
:class:`Job` of plain data (the review's text and source, where the repository is, the
options), and a worker turns it into rows with the function local ingest runs in its worker
processes (``ingest._work``, which calls ``verify_item``). The answers come back in the
reviews' order, as from ``workers.run``, and are written one review per transaction by the
same loop.

A worker finds the repository by the client's path when it can read it (a shared file
system; used read-only, as locally), else by the origin URL, mirrored once into its own
reviewvet cache (``reviewvet.audit.mirrors``). Its parse cache is its own too
(``$REVIEWVET_CACHE_DIR`` or ``~/.cache/reviewvet`` on that machine). A worker verifies one
review at a time, within the budget: a review over it is reported at once and its work left
to finish in the background (a worker thread cannot be killed), the next waits for it.

Dask distributed needs the ``cluster`` extra: ``pip install 'reviewvet[cluster]'``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewvet.audit.workers import Stopped
from reviewvet.errors import ReviewvetError, UsageError
from reviewvet.model.verification import CacheOptions

if TYPE_CHECKING:
    from distributed import Client

    from reviewvet.audit.ingest import Options

# This module does not import ``ingest`` (which imports it): among a job's arguments, the ingest
# options are the dataclass with these fields, and the review the one with a text and a source.
_OPTION_FIELDS = {"repo", "executor", "address", "cache", "mapping"}

INSTALL = "pip install 'reviewvet[cluster]'"
CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler at --address
WINDOW_PER_WORKER = 4  # jobs in flight per worker thread: enough to keep them busy, few results held


@dataclass(frozen=True)
class Where:
    """Where a worker finds the repository: the client's path, used where it can be read, else
    its origin URL, mirrored ("" when the repository has none)."""

    path: str
    url: str


@dataclass(frozen=True)
class Job:
    """One review's work as plain data: the function local ingest runs in its worker processes,
    its arguments (the review, the options: repository, cache folder and executor left to the
    worker), where the repository is, and the review's time budget."""

    fn: Callable[[Any], Any]
    args: tuple[Any, ...]
    where: Where | None
    budget: float


# -- the client side ----------------------------------------------------------------------------


def run(fn: Callable[[Any], Any], args: list[tuple[Any, ...]], options: Options) -> Generator[Any, None, None]:
    """``fn(a)`` for each of ``args`` on the cluster at ``options.address`` (a local cluster of
    ``options.jobs`` workers without one), answered in order; :class:`Stopped` with the reason
    for a review whose work did not finish."""
    if not args:
        return
    jobs = make_jobs(fn, args, options)
    with connect(options.address, workers=options.jobs, cache=options.cache.directory) as client:
        yield from results(client, jobs)


def make_jobs(fn: Callable[[Any], Any], args: list[tuple[Any, ...]], options: Options) -> list[Job]:
    where = _where(options.repo) if options.repo is not None else None
    return [Job(fn, tuple(_shipped(a) for a in arg), where, options.budget) for arg in args]


def _shipped(arg: Any) -> Any:
    """What of an argument goes to a worker: of the options, not the client's repository path
    (``Where`` says where it is), cache folder or executor."""
    if _is_options(arg):
        return replace(arg, repo=None, executor="local", address=None, cache=CacheOptions(None, use=arg.cache.use))
    return arg


def _where(repo: Path) -> Where:
    from reviewvet.git import Git

    return Where(str(repo.resolve()), Git(repo).remote_url())


@contextmanager
def connect(address: str | None, *, workers: int = 2, cache: Path | None = None) -> Iterator[Client]:
    """A client of the scheduler at ``address``; without one, of a cluster of ``workers`` local
    worker processes (one thread each, on 127.0.0.1, parse cache ``cache`` when given)."""
    distributed = engine()
    if address is None:
        env = {"REVIEWVET_CACHE_DIR": str(cache.resolve())} if cache is not None else {}
        with (distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=":0", env=env) as cluster,
              distributed.Client(cluster) as client):
            yield client
        return
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"no Dask scheduler answered at {address!r}: {exc}", field="address") from exc
    with client:
        yield client


def engine() -> Any:
    """The ``distributed`` package, or a UsageError saying how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise UsageError(f"the dask executor needs Dask distributed: {INSTALL}", field="executor") from exc
    return distributed


def results(client: Client, jobs: list[Job]) -> Generator[Any, None, None]:
    """Each job's answer, in order; a few jobs per worker thread in flight at a time, and the
    rest cancelled when the caller stops early."""
    window = max(2, WINDOW_PER_WORKER * sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()))
    futures: deque[Any] = deque()
    try:
        for job in jobs:
            futures.append(client.submit(work, job, pure=False))
            if len(futures) >= window:
                yield _answer(futures.popleft())
        while futures:
            yield _answer(futures.popleft())
    finally:
        if futures:
            client.cancel(list(futures))  # type: ignore[no-untyped-call]


def _answer(future: Any) -> Any:
    try:
        return future.result()
    except Exception as exc:  # the worker died or the job could not reach it: this review's reason
        return Stopped(f"its cluster worker failed: {type(exc).__name__}: {exc}")


# -- the worker side ----------------------------------------------------------------------------

_ONE_AT_A_TIME = threading.Lock()  # one verification per worker process, as in a local worker


def work(job: Job) -> Any:
    """On a worker: ``job.fn`` of its arguments, with the repository as this worker reads it, or
    :class:`Stopped` with the reason there is no answer."""
    try:
        repo = repository(job) if job.where is not None else None
    except ReviewvetError as exc:
        return Stopped(f"the repository cannot be read on the cluster worker: {exc}")
    args = tuple(replace(a, repo=repo) if _is_options(a) else a for a in job.args)
    return within_budget(lambda: job.fn(args), job.budget)


def repository(job: Job) -> Path:
    """The client's path when this worker can read it, else a mirror of its URL."""
    from reviewvet.audit.mirrors import mirror

    assert job.where is not None
    if Path(job.where.path).is_dir():
        return Path(job.where.path)
    if not job.where.url:
        raise UsageError(f"{job.where.path!r} is not a folder here and the repository has no origin URL to mirror")
    return mirror(job.where.url, _wanted(job.args))


def _wanted(args: tuple[Any, ...]) -> list[str]:
    """The revisions a review is verified at, as far as they are known before verifying: a head
    given with it (the mapping's, another report's), else the commits the review names."""
    from reviewvet.api import read_review

    options = next((a for a in args if _is_options(a)), None)
    item = next((a for a in args if isinstance(getattr(a, "text", None), str) and hasattr(a, "source")), None)
    given = [a for a in args if isinstance(getattr(a, "head", None), str)]
    mapped = options.mapping.get(item.name) or options.mapping.get(item.source) if options and item else None
    if given or mapped:
        revs = [g.head for g in given] + ([mapped["head"], mapped.get("base", "")] if mapped else [])
    elif item is not None:
        try:
            review = read_review(item.text, item.source)
        except ReviewvetError:
            return []
        revs = [review.head_sha] if review.head_sha else [c.sha for c in review.commits]
    else:
        return []
    return [rev for rev in revs if rev and not rev.startswith("-")]


def _is_options(arg: Any) -> bool:
    return is_dataclass(arg) and not isinstance(arg, type) and _OPTION_FIELDS <= {f.name for f in fields(arg)}


def within_budget(verify: Callable[[], Any], budget: float) -> Any:
    """``verify()`` on a thread of its own, after the previous one ended; Stopped when it is
    not done within ``budget`` seconds (it goes on in the background, holding the turn)."""
    answer: list[Any] = []
    _ONE_AT_A_TIME.acquire()

    def turn() -> None:
        try:
            answer.append(verify())
        except Exception as exc:  # a bug in one review's work is that review's reason
            answer.append(Stopped(f"internal error, a bug in reviewvet: {type(exc).__name__}: {exc}"))
        finally:
            _ONE_AT_A_TIME.release()

    thread = threading.Thread(target=turn, name="reviewvet-review", daemon=True)
    thread.start()
    thread.join(budget)
    if answer:
        return answer[0]
    return Stopped(f"over budget: not done in {budget:g} s, the time allowed for one review")


def ping(job: Job) -> int:
    """A job that does nothing with its review: the engine's own cost of one round trip."""
    return sum(len(getattr(a, "text", "")) for a in job.args)
