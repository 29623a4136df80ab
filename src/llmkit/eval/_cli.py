"""``llmkit eval FILE --model provider/model``: run an evaluation set from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_command"]


def add_command(commands: Any) -> None:
    """Add the ``eval`` subcommand to the ``llmkit`` command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "eval",
        help="run an evaluation set (YAML/JSON) and report scores",
        description=(
            "Run every case of an evaluation set through its agent, score the answers "
            "(trajectory, token F1, ROUGE-1, JSON schema, LLM judge), print a table, and "
            "exit with status 1 when a threshold is missed (3 when the set file is wrong)."
        ),
    )
    parser.add_argument("file", help="the evaluation set: a .yaml, .yml or .json file")
    parser.add_argument("--model", help="the model to evaluate, e.g. openai/gpt-4.1-mini")
    parser.add_argument("--judge-model", help="the model that grades answers (default: --model)")
    parser.add_argument("--concurrency", type=int, default=4, help="cases run at once (default 4)")
    parser.add_argument("--report", metavar="PATH", help="also write the report as JSON here")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from llmkit._cli.codes import ExitCode, as_configuration
    from llmkit.eval._cases import load_eval_set
    from llmkit.eval._runner import evaluate_sync

    with as_configuration():
        eval_set = load_eval_set(args.file)
    report = evaluate_sync(
        eval_set,
        model=args.model,
        judge_model=args.judge_model,
        concurrency=args.concurrency,
        progress=not args.quiet,
    )
    print(report.table())
    if args.report:
        report.write_json(args.report)
        print(f"Report written to {args.report}.", file=sys.stderr)
    return ExitCode.OK if report.passed else ExitCode.FAILURE
