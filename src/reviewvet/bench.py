"""Benchmarks, as a command: ``reviewvet bench``."""

from __future__ import annotations

import argparse


def add_bench_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = sub.add_parser("bench", help="measure reviewvet on a generated repository and review")
    bench.set_defaults(run=lambda args: 0)
