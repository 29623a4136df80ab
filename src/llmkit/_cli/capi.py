"""``llmkit capi build --out DIR``: build the C ABI, ``libllmkit.so`` and ``llmkit.h``, into DIR.

Exit status: 0 built; 2 the command line is wrong, or the build cannot run (no C
compiler, no Python headers, no shared libpython); 3 the ``capi`` extra (cffi) is
missing. The message says what to install.
"""

from __future__ import annotations

import argparse
from typing import Any

from llmkit._cli.codes import ExitCode

__all__ = ["add_command"]


def add_command(commands: Any) -> None:
    """Add ``llmkit capi`` to the ``llmkit`` command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "capi",
        help="the C ABI: build libllmkit.so and llmkit.h",
        description="The C ABI: libllmkit.so and llmkit.h, for C, Zig, LuaJIT and any FFI.",
    )
    actions = parser.add_subparsers(dest="capi_action", metavar="ACTION", required=True)
    build = actions.add_parser(
        "build",
        help="build libllmkit.so and llmkit.h into a folder",
        description="Build libllmkit.so and copy llmkit.h into a folder (made if missing).",
    )
    build.add_argument("--out", required=True, metavar="DIR", help="the folder to build into")
    build.add_argument(
        "--env",
        metavar="DIR",
        help="the Python environment the library runs by default (default: this one); "
        "$LLMKIT_PYTHON_ENV overrides it when the library starts",
    )
    build.set_defaults(run=_build)


def _build(args: argparse.Namespace) -> ExitCode:
    from llmkit.capi import build

    built = build(args.out, env=args.env)
    print(built.library)
    print(built.header)
    return ExitCode.OK
