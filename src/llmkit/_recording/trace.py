"""``llmkit replay run.jsonl``: a recording printed as a readable trace, at its recorded pace or faster."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from llmkit._plural import plural
from llmkit._recording.reader import RecordedLine
from llmkit.errors import UsageError
from llmkit.types import Message, Response

__all__ = ["add_replay_command", "describe", "play"]

_WIDTH = 100


def _short(text: str, width: int = _WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _call(name: str, arguments: Any) -> str:
    return f"{name}({_short(json.dumps(arguments, ensure_ascii=False), 70)})"


def _answer(response: Response) -> str:
    calls = response.tool_calls
    if calls:
        return ", ".join(_call(c.name, c.arguments) for c in calls)
    return json.dumps(_short(response.text), ensure_ascii=False)


def _tokens(usage: dict[str, Any]) -> str:
    return f"{usage.get('input_tokens', 0)}+{usage.get('output_tokens', 0)} tokens"


def describe(line: RecordedLine) -> list[str]:
    """The trace lines for one recorded event (none for events the trace skips)."""
    d = line.data
    step = f"[{d.get('step')}]" if d.get("step") else "   "
    topic = line.topic
    if topic == "run.start":
        model = f" on {d['model']}" if d.get("model") else ""
        out = [f"run {d['run_id'][:12]} agent {d['agent']!r}{model}"]
        history = d.get("history") or []
        if history:
            out.append(f"  (continues {plural(len(history), 'earlier message')})")
        for m in d.get("input") or []:
            message = Message.from_dict(m)
            out.append(f"  {message.role}: {_short(message.text)}")
        return out
    if topic == "model.request":
        request = d["request"]
        n, tools = len(request.get("messages", [])), len(request.get("tools", []))
        who = f" ({d['agent']})" if d.get("agent") else ""
        counts = f"{plural(n, 'message')}, {plural(tools, 'tool')}"
        return [f"  {step} -> {d.get('model', 'model')}{who}: {counts}"]
    if topic == "model.response":
        response = Response.from_dict(d["response"])
        return [
            f"  {step} <- {response.finish_reason}: {_answer(response)} "
            f"({_tokens(d['response'].get('usage', {}))})"
        ]
    if topic == "tool.call":
        call = d["call"]
        return [f"  {step}    tool {_call(call['name'], call.get('arguments', {}))}"]
    if topic == "tool.progress":
        total = d.get("total")
        done = f"{d['progress']:g}" + (f"/{total:g}" if total is not None else "")
        words = f" {_short(d['message'], 60)}" if d.get("message") else ""
        return [f"  {step}    ... {d.get('tool', '')}: {done}{words}"]
    if topic == "tool.result":
        result = d["result"]
        content = result.get("content")
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        status = "error" if result.get("is_error") else "ok"
        ms = float(d.get("duration") or 0) * 1000
        return [f"  {step}    {status} {result.get('name', '')}: {_short(text, 80)} ({ms:.1f} ms)"]
    if topic == "error":
        return [
            f"  {step} failed ({d.get('where', '?')}): {d['error_type']}: {_short(d['message'])}"
        ]
    if topic == "run.end":
        result = d.get("result") or {}
        output = result.get("output")
        shown = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        usage = result.get("usage", {})
        return [
            f"  => {result.get('status', '?')}: {_short(str(shown))}",
            f"     {plural(usage.get('requests', 0), 'model call')}, {_tokens(usage)}",
        ]
    return []


def play(
    lines: list[RecordedLine],
    *,
    speed: float = 0.0,
    out: IO[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Print ``lines`` as a trace; with ``speed`` > 0, wait as recorded (divided by ``speed``)."""
    stream = out if out is not None else sys.stdout
    previous: float | None = None
    for line in lines:
        if speed > 0 and previous is not None and line.t > previous:
            sleep((line.t - previous) / speed)
        previous = line.t
        for text in describe(line):
            print(text, file=stream, flush=True)


def _replay(args: argparse.Namespace) -> int:
    from llmkit.recording import Recording

    if args.speed < 0:
        raise UsageError("--speed takes 0 (no waiting), 1 (recorded pace) or more.")
    recording = Recording.load(args.path)
    lines = recording.lines
    if args.only is not None:
        which: int | str = int(args.only) if args.only.isdigit() else args.only
        lines = recording.run(which).lines
    play(lines, speed=args.speed)
    return 0


def add_replay_command(commands: Any) -> None:
    """Add ``llmkit replay`` to the ``llmkit`` command."""
    parser = commands.add_parser("replay", help="print a recorded run as a readable trace")
    parser.add_argument("path", help="a recording written by llmkit.record()")
    parser.add_argument(
        "--speed",
        type=float,
        default=0.0,
        help="0: as fast as possible (default); 1: at the recorded pace; N: N times faster",
    )
    parser.add_argument(
        "--run", dest="only", default=None, help="only this run (its position from 0, or its id)"
    )
    parser.set_defaults(run=_replay)
