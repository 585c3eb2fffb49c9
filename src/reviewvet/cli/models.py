"""``reviewvet extract`` and ``reviewvet challenge``: the commands that ask a model.

``extract`` reads a free-form review (a bot's pull-request comment, an agent's answer) into a
claims document with a model and prints it; ``reviewvet verify`` takes that document as it takes
any claims file. ``challenge`` is ``reviewvet verify`` with a model named for its challenge step
(``--provider`` and ``--model`` instead of ``--challenge-with``): the same options, the same
verification, the same reports and ``--fail-on``, one code path (``cli.verify.run``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from reviewvet.cli.verify import (
    Models,
    add_arguments,
    add_model_connection,
    add_models,
    extracted,
    named_model,
    open_model,
    review_text,
)
from reviewvet.cli.verify import run as run_verify
from reviewvet.cli.emit import as_json, emit
from reviewvet.cli.exits import EXIT_CODES, EXIT_OK
from reviewvet.cli.options import Container, add_output

if TYPE_CHECKING:
    from reviewvet.cli.options import Subparsers

EXTRACT_DESCRIPTION = (
    "Read a review that is not a deep-review report (a bot's pull-request comment, an agent's free answer) "
    "into reviewvet's claims with a model, and print the claims document (JSON, claims schema v1). The model "
    "only reads: a quote it did not copy from the text as written is marked \"verbatim\": false, and verify "
    "does not hold the review to it. Standard error gets one line: the findings, the calls, the tokens, the "
    "approximate cost and the rewritten quotes. `reviewvet verify --extract-with PROVIDER:MODEL` does both "
    "steps at once."
)

CHALLENGE_DESCRIPTION = (
    "Verify a review as `reviewvet verify` does, then send each finding the checks refuted or left doubtful "
    "(and each one the rules judged a false positive) back to a model with its evidence: the lines really at "
    "the cited place, the nearest match of its quote with the characters that differ, git blame. The model "
    "withdraws, amends or defends the finding; an amended or defending claim is verified again in the same "
    "workspace, and the finding survives only when that claim is confirmed. The report, in any format, shows "
    "what came of each challenge; standard error gets a one-line count with the tokens and cost. The same as "
    "`reviewvet verify --challenge-with PROVIDER:MODEL`."
)


def add_parsers(sub: Subparsers) -> None:
    _add_extract(sub)
    _add_challenge(sub)


def add_provider(container: Container) -> None:
    """``--provider`` and ``--model``, both required."""
    from reviewvet.llm.client import PROVIDERS

    container.add_argument("--provider", required=True, choices=list(PROVIDERS),
                           help="the model's provider; its key is read from the SDK's usual variable "
                                "(ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY or GOOGLE_API_KEY)")
    container.add_argument("--model", required=True, help="the model, as the provider names it")


def _add_extract(sub: Subparsers) -> None:
    parser = sub.add_parser("extract", help="read a free-form review into reviewvet claims with a model",
                            description=EXTRACT_DESCRIPTION, epilog=EXIT_CODES)
    parser.add_argument("text", type=Path, help="the review text: a file, or '-' to read standard input")
    group = parser.add_argument_group("model")
    add_provider(group)
    add_model_connection(group)
    add_output(parser, ("json",), "json", help="output format: the claims document")
    parser.set_defaults(run=run_extract)


def _add_challenge(sub: Subparsers) -> None:
    from reviewvet.model.flags import FLAGS

    parser = sub.add_parser("challenge", help="verify a review, then let a model withdraw, amend or defend each "
                                              "finding that failed, and verify its answer",
                            description=CHALLENGE_DESCRIPTION,
                            epilog="flags for --fail-on: " + "; ".join(f"{k}: {v}" for k, v in FLAGS.items())
                            + ". " + EXIT_CODES)
    add_arguments(parser)
    models = add_models(parser)
    add_provider(models)
    add_model_connection(models)
    parser.set_defaults(run=run_challenge)


def run_extract(args: argparse.Namespace) -> int:
    from reviewvet.api import read_review

    reader = open_model(args, "--provider", args.provider, args.model)
    name, text = review_text(args.text)
    done = extracted(reader, text, name)
    document = json.dumps(done.claims)
    read_review(document, name)  # what is printed is a claims file verify accepts
    emit(as_json(done.claims), args.output)
    return EXIT_OK


def run_challenge(args: argparse.Namespace) -> int:
    return run_verify(args, _models)


def _models(args: argparse.Namespace) -> Models:
    """--extract-with when given, and the challenger --provider and --model name."""
    reader = named_model(args, "--extract-with", args.extract_with)
    return Models(reader, open_model(args, "--provider", args.provider, args.model))
