"""The ``llmkit`` command.

::

    llmkit models                 # known models per provider, with prices where known
    llmkit models --provider ollama   # the models a running Ollama has
    llmkit replay run.jsonl --speed 0   # a recorded run (llmkit.record) as a readable trace
    llmkit version
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from llmkit._version import __version__
from llmkit.errors import LLMKitError

__all__ = ["main"]

# Subcommands that live with their feature: "module:function", where the function
# takes the subparsers object and adds its command (with ``set_defaults(run=...)``).
_PLUGGED_COMMANDS: tuple[str, ...] = (
    "llmkit._recording.trace:add_replay_command",
    "llmkit.eval._cli:add_command",
)

# Providers whose running server can be asked for its models: name -> "module:function".
_LIVE_LISTERS: dict[str, str] = {"ollama": "llmkit.providers.ollama:OllamaModel.list_models_sync"}


def _models(args: argparse.Namespace) -> int:
    from llmkit.providers import known_providers
    from llmkit.providers._prices import PRICES, PRICES_DATE, price_of

    providers = [args.provider] if args.provider else known_providers()
    unknown = [p for p in providers if p not in known_providers()]
    if unknown:
        print(
            f"Unknown provider {unknown[0]!r}; known: {', '.join(known_providers())}.",
            file=sys.stderr,
        )
        return 2
    for provider in providers:
        lister = _LIVE_LISTERS.get(provider)
        if lister is not None and args.provider:
            names = _call(lister)()
            print(f"{provider} (running server):")
            for name in names:
                print(f"  {provider}/{name}")
            continue
        table = PRICES.get(provider, {})
        if not table:
            if args.provider:
                print(f"{provider}: any model id the service offers (llmkit has no list for it).")
            continue
        print(f"{provider} (USD per 1M tokens in/out, prices of {PRICES_DATE}):")
        for model_id in sorted(table):
            price = price_of(provider, model_id)
            cost = f"{price.input:g} / {price.output:g}" if price else "?"
            print(f"  {provider}/{model_id:<28} {cost}")
    if not args.provider:
        others = [p for p in known_providers() if p not in PRICES]
        print(f"Also: {', '.join(others)} (any model id the service offers).")
    return 0


def _call(spec: str) -> Callable[[], list[str]]:
    module, _, path = spec.partition(":")
    value = import_module(module)
    for name in path.split("."):
        value = getattr(value, name)
    fn: Callable[[], list[str]] = value  # type: ignore[assignment]
    return fn


def _version(args: argparse.Namespace) -> int:
    print(f"llmkit {__version__}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llmkit", description="llmkit command-line tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    models = commands.add_parser("models", help="list known models per provider")
    models.add_argument(
        "--provider", help="only this provider (a running Ollama is asked for its models)"
    )
    models.set_defaults(run=_models)
    version = commands.add_parser("version", help="print the llmkit version")
    version.set_defaults(run=_version)
    for spec in _PLUGGED_COMMANDS:
        module, _, name = spec.partition(":")
        getattr(import_module(module), name)(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``llmkit`` command with ``argv`` (default: the process arguments)."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except LLMKitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
