"""``llmkit script run|repl|test``: run scripts (Lua, JavaScript), an interactive prompt, spec files.

::

    llmkit script run research.lua -p topic="tidal energy" --sandbox strict --timeout 30s --max-memory 64MB
    llmkit script run chat.lua --fake --json      # offline, on the fake provider server
    llmkit script run tool.lua --watch            # rerun whenever a script of its folder changes
    llmkit script repl                            # a prompt; a chunk may span lines
    llmkit script repl --lang js                  # the same in JavaScript
    llmkit script test spec/                      # *_spec.lua and *_spec.js files, like pytest
    llmkit script test spec/ --watch              # again whenever a script below spec/ changes

The engine comes from the file's extension. ``-p k=v`` parameters reach the
script as strings in ``params``. stdout holds only what the script printed and
its output (each ``output(...)`` value: text as it is, tables as JSON; with no
output, the value the script returned); ``--json`` prints instead
``{"value", "outputs", "printed", "logs"}``. Errors go to stderr. Exit status
(the command's one table): 0 ok, 1 a script error (or a failed spec), 2 a wrong
command line, 4 a timeout, 5 a sandbox violation, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from llmkit._cli.codes import ExitCode, error_line, exit_code_for
from llmkit._cli.session import is_tty
from llmkit.errors import LLMKitError, UsageError

__all__ = ["add_command", "parse_params", "watch_loop", "watched"]


def add_command(subparsers: Any) -> None:
    """Add ``llmkit script`` and its actions to the command's subparsers."""
    command = subparsers.add_parser(
        "script",
        help="run Lua or JavaScript scripts, a REPL, or spec files",
        description=__doc__.split("\n\n")[0],
    )
    actions = command.add_subparsers(dest="action", required=True)
    run = actions.add_parser("run", help="run a script file", description="Run a script file.")
    run.add_argument("file", metavar="FILE")
    _engine_options(run)
    run.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help="a parameter for the script (repeatable)",
    )
    run.add_argument("--json", action="store_true", help="print the whole result as JSON")
    run.add_argument(
        "--watch", action="store_true", help="run again whenever a script of its folder changes"
    )
    run.set_defaults(run=_run)
    repl = actions.add_parser(
        "repl", help="an interactive prompt", description="A Lua or JavaScript prompt."
    )
    repl.add_argument("--lang", choices=("lua", "js"), default="lua", help="the language (lua)")
    _engine_options(repl)
    repl.set_defaults(run=_repl)
    test = actions.add_parser(
        "test", help="run *_spec.lua and *_spec.js files", description="Run spec files."
    )
    test.add_argument("paths", metavar="PATH", nargs="+", help="spec files or folders")
    test.add_argument("--sandbox", choices=("strict", "standard", "permissive"), default="strict")
    test.add_argument(
        "--watch", action="store_true", help="run again whenever a script below the paths changes"
    )
    test.set_defaults(run=_test)


def _engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        choices=("strict", "standard", "permissive"),
        default="strict",
        help="what the script may reach (strict)",
    )
    parser.add_argument("--timeout", help="time limit, e.g. 30s (none)")
    parser.add_argument("--max-memory", help="heap limit, e.g. 64MB (none)")
    parser.add_argument("--max-instructions", type=int, help="instruction limit (none)")
    parser.add_argument(
        "--fake",
        action="store_true",
        help="answer every model call from the offline fake provider server",
    )


def parse_params(items: list[str]) -> dict[str, str]:
    """``["k=v", ...]`` as a dict; a UsageError for an item without ``=``."""
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"-p takes key=value, not {item!r}.")
        params[key] = value
    return params


@contextlib.contextmanager
def _engine(args: argparse.Namespace, engine: str, **extra: Any) -> Iterator[Any]:
    from llmkit.scripting import create_engine

    with contextlib.ExitStack() as stack:
        options: dict[str, Any] = {
            "sandbox": args.sandbox,
            "timeout": args.timeout,
            "max_memory": args.max_memory,
            "max_instructions": args.max_instructions,
            **extra,
        }
        if args.fake:
            from llmkit.testing import FakeProviderServer, default_responder, fake_model

            server = stack.enter_context(FakeProviderServer(default_responder, record=False))
            options["model"] = fake_model(server)
        yield stack.enter_context(create_engine(engine, **options))


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _run_once(args: argparse.Namespace) -> int:
    live = None if args.json else _write
    with _engine(args, args.file, stdout=live) as engine:
        result = engine.run_file_sync(args.file, params=parse_params(args.param))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, default=str), flush=True)
    elif result.outputs:
        for value in result.outputs:
            print(_show(value), flush=True)
    elif result.value is not None:
        print(_show(result.value), flush=True)
    return ExitCode.OK


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _run(args: argparse.Namespace) -> int:
    if not Path(args.file).is_file():
        raise UsageError(f"No script at {args.file!r}: check the path.")
    if not args.watch:
        return _run_once(args)
    from llmkit.scripting import engine_for

    stamp = watched([args.file], engines=[engine_for(args.file)])
    return watch_loop(stamp, lambda: _report(_run_once, args))


def _report(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return run(args)
    except LLMKitError as exc:
        print(error_line(exc), file=sys.stderr, flush=True)
        return exit_code_for(exc)


def watched(
    paths: list[str], *, engines: list[str] | None = None
) -> Callable[[], tuple[tuple[str, float], ...]]:
    """What ``--watch`` compares: the files of the ``engines``' languages (all by default) by mtime.

    A file stands for its folder (the modules it requires sit beside it); a folder is
    watched with every folder below it. Each extension of an engine counts (``.js`` and
    ``.mjs`` for JavaScript).
    """
    from llmkit.scripting import engine_class, known_engines

    globs = sorted(
        {"*" + e for name in engines or known_engines() for e in engine_class(name).extensions}
    )
    places = [(p, True) if p.is_dir() else (p.parent, False) for p in map(Path, paths)]

    def stamp() -> tuple[tuple[str, float], ...]:
        found = {
            f
            for folder, below in places
            for glob in globs
            for f in (folder.rglob(glob) if below else folder.glob(glob))
        }
        return tuple(sorted((str(f), t) for f in found if (t := _mtime(f)) is not None))

    return stamp


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime if path.is_file() else None
    except OSError:  # removed since it was listed
        return None


def watch_loop(
    stamp: Callable[[], Any],
    run: Callable[[], int],
    *,
    sleep: Callable[[float], Any] = time.sleep,
    runs: int | None = None,
    interval: float = 0.5,
) -> int:
    """Run, then run again each time ``stamp()`` changes; until Ctrl-C (or ``runs`` runs).

    Returns the last run's status.
    """
    seen = stamp()
    status = run()
    done = 1
    print("watching for changes (Ctrl-C to stop)", file=sys.stderr, flush=True)
    while runs is None or done < runs:
        sleep(interval)
        now = stamp()
        if now != seen:
            seen = now
            status = run()
            done += 1
    return status


def _repl(args: argparse.Namespace) -> int:
    prompt = is_tty(sys.stdin)
    evaluate = _evaluate_js if args.lang == "js" else _evaluate
    with _engine(args, args.lang, stdout=_write, interactive=True) as engine:
        pending = ""
        while True:
            if prompt:
                print(">> " if pending else "> ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:
                if pending:
                    evaluate(engine, pending, final=True)
                return ExitCode.OK
            if not pending and not line.strip():
                continue
            chunk = pending + line
            pending = chunk if evaluate(engine, chunk, final=False) else ""


def _evaluate(engine: Any, chunk: str, *, final: bool) -> bool:
    """Run one REPL chunk (as an expression if it is one) and print its value or its error.

    True when the chunk is not finished (Lua's syntax error at ``<eof>``) and more lines
    should follow; never when ``final`` (the input ended).
    """
    from llmkit.scripting import ScriptSyntaxError

    unfinished = False
    try:
        try:
            result = engine.run_sync("return " + chunk, name="repl")
        except ScriptSyntaxError as exc:
            unfinished = exc.message.endswith("<eof>")
            result = engine.run_sync(chunk, name="repl")
        if result.value is not None:
            print(_show(result.value), flush=True)
    except ScriptSyntaxError as exc:
        if not final and (unfinished or exc.message.endswith("<eof>")):
            return True
        print(error_line(exc), file=sys.stderr, flush=True)
    except LLMKitError as exc:
        print(error_line(exc), file=sys.stderr, flush=True)
    return False


# A JavaScript chunk that starts with one of these is a statement: it is run as it is.
_JS_STATEMENT = re.compile(
    r"\s*(?:async\s+function|function|class|let|const|var|if|for|while|do|try|switch|throw|return)\b"
)
_JS_PAIRS = {")": "(", "]": "[", "}": "{"}
# A script's let/const/var is local to its run; at the prompt, a name declared at the start of
# a line lives on for the next chunks, as functions do.
_JS_DECLARATION = re.compile(r"^(?:let|const|var)\s+([A-Za-z_$][\w$]*)\s*=", re.MULTILINE)


def _evaluate_js(engine: Any, chunk: str, *, final: bool) -> bool:
    """Run one JavaScript REPL chunk (as an expression if it is one), print its value or its error.

    True when the chunk is not finished (a bracket left open, or a trailing operator) and more
    lines should follow; never when ``final``.
    """
    from llmkit.scripting import ScriptSyntaxError

    try:
        result = None
        if not _JS_STATEMENT.match(chunk):
            with contextlib.suppress(ScriptSyntaxError):
                result = engine.run_sync(f"return ({chunk}\n)", name="repl")
        if result is None:
            code = _JS_DECLARATION.sub(r"globalThis.\1 =", chunk)
            result = engine.run_sync(code, name="repl")
        if result.value is not None:
            print(_show(result.value), flush=True)
    except ScriptSyntaxError as exc:
        if not final and _js_unfinished(chunk):
            return True
        print(error_line(exc), file=sys.stderr, flush=True)
    except LLMKitError as exc:
        print(error_line(exc), file=sys.stderr, flush=True)
    return False


def _js_unfinished(chunk: str) -> bool:
    """Whether a chunk leaves a bracket open or ends on an operator (strings and comments skipped)."""
    code = re.sub(
        r"//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"", "", chunk, flags=re.S
    )
    depth: list[str] = []
    for char in code:
        if char in "([{":
            depth.append(char)
        elif char in _JS_PAIRS and (not depth or depth.pop() != _JS_PAIRS[char]):
            return False
    return bool(depth) or code.rstrip()[-1:] in tuple("+-*/%=&|<>,.?:!")


def _test(args: argparse.Namespace) -> int:
    if not args.watch:
        return _test_once(args)
    return watch_loop(watched(args.paths), lambda: _report(_test_once, args))


def _test_once(args: argparse.Namespace) -> int:
    from llmkit.testing.scripts import run_specs

    report = run_specs(args.paths, sandbox=args.sandbox)
    for case in report.cases:
        print(f"{case.id} {'PASSED' if case.passed else 'FAILED'}")
    for case in report.failed:
        print(f"\n___ {case.id} ___\n{case.message}")
    print(report.summary())
    return ExitCode.OK if not report.failed else ExitCode.FAILURE
