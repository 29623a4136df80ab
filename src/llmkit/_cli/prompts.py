"""``llmkit prompts list [DIR]`` and ``llmkit prompts render NAME --var k=v [--dir DIR]``.

``list`` prints every prompt of a directory of prompt files (default
``prompts``), one per line: ``name@version``, its description and model.
``render`` prints one prompt's text, rendered with the ``--var`` values
(text); NAME is ``name``, ``name@version`` or ``name@latest``.

Exit statuses are the command's table (:mod:`llmkit._cli.codes`): a value
the template needs and was not given, or an unknown prompt, is a usage
error (2); a malformed prompt file (front-matter, template syntax, two
files with one version) is a configuration error (3); a template the
sandbox refuses is a sandbox refusal (5).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from llmkit._cli.codes import ExitCode, error_line
from llmkit.errors import ConfigurationError, UsageError

__all__ = ["add_command", "parse_variables"]


def parse_variables(pairs: list[str]) -> dict[str, str]:
    """``--var`` values (``name=value``) as a mapping; a pair without ``=`` is a usage error."""
    variables: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise UsageError(f"--var takes NAME=VALUE (--var audience=kids), not {pair!r}.")
        variables[name.strip()] = value
    return variables


def add_command(commands: Any) -> None:
    """Add ``llmkit prompts`` (``list``, ``render``) to the ``llmkit`` command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "prompts",
        help="list or render the prompt files of a directory",
        description="List the prompt files of a directory, or print one rendered.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the prompts (name@version, description)")
    listing.add_argument(
        "dir", nargs="?", default="prompts", metavar="DIR", help="the directory (default: prompts)"
    )
    listing.set_defaults(run=_list)
    render = actions.add_parser("render", help="print a prompt rendered with --var values")
    render.add_argument("name", metavar="NAME", help="name, name@version or name@latest")
    render.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for the template (repeat for more)",
    )
    render.add_argument("--dir", default="prompts", help="the directory (default: prompts)")
    render.set_defaults(run=_render)


def _list(args: argparse.Namespace) -> int:
    from llmkit.prompt import PromptFileError, load_prompts

    try:
        infos = load_prompts(args.dir).infos()
    except PromptFileError as exc:
        raise ConfigurationError(str(exc)) from exc
    if not infos:
        print(f"No prompt files in {args.dir} (*.md, *.yaml, *.yml).")
        return ExitCode.OK
    width = max(len(info.key) for info in infos)
    for info in infos:
        model = f"  [{info.model}]" if info.model else ""
        print(f"{info.key:<{width}}  {info.description}{model}".rstrip())
    return ExitCode.OK


def _render(args: argparse.Namespace) -> int:
    from llmkit.prompt import PromptFileError, PromptSandboxError, PromptSyntaxError, load_prompts

    variables = parse_variables(args.var)
    library = load_prompts(args.dir)
    try:
        text = library[args.name].render(**variables)
    except PromptSandboxError as exc:
        print(error_line(exc), file=sys.stderr, flush=True)
        return ExitCode.SANDBOX
    except (PromptFileError, PromptSyntaxError) as exc:
        raise ConfigurationError(str(exc)) from exc
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return ExitCode.OK
