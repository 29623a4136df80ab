"""``llmkit replay run.jsonl``: a recording printed as a readable trace, at its recorded pace or faster.

A recording without workflows prints one block of lines per event, as it always did. Each
workflow run prints as a tree of its steps (each with its status, attempts, duration and
tokens, from the final trace on ``workflow.end`` when the run ended, else from the step
lines), the lines of its agent runs indented under the step that made them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from llmkit._plural import plural
from llmkit._recording.reader import RecordedLine, RecordedRun
from llmkit.errors import UsageError
from llmkit.types import JSONDict, Message, Response

if TYPE_CHECKING:
    from llmkit._recording.workflows import RecordedWorkflow
    from llmkit.recording import Recording

__all__ = ["add_replay_command", "describe", "play", "play_recording", "workflow_tree"]

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


@dataclass(slots=True)
class _Node:
    record: JSONDict
    index: int
    children: list[_Node] = field(default_factory=list)
    runs: list[RecordedRun] = field(default_factory=list)


def _up(path: str) -> str | None:
    cut = max(path.rfind("/"), path.rfind("["))
    return path[:cut] if cut > 0 else None


def _records(flow: RecordedWorkflow) -> list[JSONDict]:
    """The step records: the final trace, else one per step made from its lines."""
    trace = flow.trace_data
    if trace is not None:
        return trace
    found: dict[tuple[str, str], JSONDict] = {}
    for step in flow.steps():
        record = found.setdefault(
            (step.path, step.kind),
            {"path": step.path, "kind": step.kind, "status": "unfinished", "attempts": 0},
        )
        record["attempts"] = max(int(record["attempts"]), step.attempt)
        outcome = step.outcome
        if outcome is None:
            record["status"] = "unfinished"
        elif step.ok:
            record["status"] = "ok"
            record["duration"] = outcome.data.get("duration", 0.0)
        else:
            record["status"] = "failed"
            record["error"] = {
                "error_type": outcome.data.get("error_type"),
                "message": outcome.data.get("message", ""),
            }
    return list(found.values())


def _tree(flow: RecordedWorkflow) -> list[_Node]:
    roots: list[_Node] = []
    by_path: dict[str, _Node] = {}
    for record in _records(flow):
        path = str(record.get("path", ""))
        parent = by_path.get(path)  # the same path: a nested workflow's root inside its step
        if parent is None:
            up = _up(path)
            while up is not None and up not in by_path:
                up = _up(up)
            parent = by_path.get(up) if up is not None else None
        index = 0
        if parent is not None:
            rest = path[len(str(parent.record.get("path", ""))) :]
            if rest.startswith("["):
                digits = rest[1:].partition("]")[0]
                index = int(digits) if digits.isdigit() else 0
        node = _Node(record, index)
        (parent.children if parent is not None else roots).append(node)
        by_path[path] = node
    for run in flow.runs:
        owner = by_path.get(str(run.start.data.get("path", "")))
        if owner is None and roots:
            owner = roots[0]
        if owner is not None:
            owner.runs.append(run)
    return roots


def _step_line(record: JSONDict, shown: str) -> str:
    text = f"{shown} ({record.get('kind', '?')}) {record.get('status', '?')}"
    attempts = int(record.get("attempts") or 0)
    if attempts > 1:
        text += f", {attempts} attempts"
    if record.get("reason"):
        text += f" ({record['reason']})"
    if "duration" in record:
        text += f", {float(record['duration'] or 0):.2f} s"
    usage = record.get("usage") or {}
    if usage.get("input_tokens") or usage.get("output_tokens"):
        text += f", {_tokens(usage)}"
    error = record.get("error")
    if isinstance(error, dict) and record.get("status") != "ok":
        text += f": {error.get('error_type')}: {_short(str(error.get('message', '')), 80)}"
    return text


def _node_lines(node: _Node, parent: str, depth: int) -> list[str]:
    path = str(node.record.get("path", ""))
    shown = path[len(parent) :].lstrip("/") if parent and path.startswith(parent) else path
    pad = "  " * depth
    out = [pad + _step_line(node.record, shown or path)]
    for run in node.runs:
        attempt = run.start.data.get("attempt")
        if isinstance(attempt, int) and attempt > 1:
            out.append(f"{pad}  (attempt {attempt})")
        for line in run.lines:
            out.extend(f"{pad}  {text}" for text in describe(line))
    for child in sorted(node.children, key=lambda n: n.index):
        out.extend(_node_lines(child, path, depth + 1))
    return out


def workflow_tree(flow: RecordedWorkflow) -> list[str]:
    """The trace lines of a recorded workflow run: a header, its steps as a tree, its end."""
    out = [f"workflow {flow.name!r} run {flow.run_id[:12]}: {flow.status}"]
    for root in _tree(flow):
        out.extend(_node_lines(root, "", 1))
    end = flow.end
    if end is None:
        return out
    if end.data.get("status") == "complete":
        result = flow.result_data or {}
        output = result.get("output")
        shown = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        out.append(f"  => complete: {_short(str(shown))}")
        out.append(f"     {_tokens(result.get('usage') or {})}")
    else:
        where = end.data.get("failed_at") or flow.name
        out.append(
            f"  => failed at {where}: {end.data.get('error_type')}: "
            f"{_short(str(end.data.get('message', '')))}"
        )
    return out


def play_recording(
    recording: Recording,
    *,
    speed: float = 0.0,
    out: IO[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Print ``recording``: its agent runs as :func:`play` does, each workflow run as a tree."""
    if not recording.workflows:
        play(recording.lines, speed=speed, out=out, sleep=sleep)
        return
    stream = out if out is not None else sys.stdout
    owned = {line.line for flow in recording.workflows for line in flow.lines}
    owned.update(
        line.line for flow in recording.workflows for run in flow.runs for line in run.lines
    )
    starts = {flow.start.line: flow for flow in recording.workflows}
    pending: list[RecordedLine] = []
    for line in recording.lines:
        flow = starts.get(line.line)
        if flow is not None:
            play(pending, speed=speed, out=stream, sleep=sleep)
            pending = []
            for text in workflow_tree(flow):
                print(text, file=stream, flush=True)
        elif line.line not in owned:
            pending.append(line)
    play(pending, speed=speed, out=stream, sleep=sleep)


def _replay(args: argparse.Namespace) -> int:
    from llmkit.recording import Recording

    if args.speed < 0:
        raise UsageError("--speed takes 0 (no waiting), 1 (recorded pace) or more.")
    recording = Recording.load(args.path)
    if args.only is None:
        play_recording(recording, speed=args.speed)
        return 0
    which: int | str = int(args.only) if args.only.isdigit() else args.only
    if recording.workflows and (
        isinstance(which, int) or any(flow.run_id == which for flow in recording.workflows)
    ):
        for text in workflow_tree(recording.workflow(which)):
            print(text, flush=True)
        return 0
    play(recording.run(which).lines, speed=args.speed)
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
        "--run",
        dest="only",
        default=None,
        help="only this run (its position from 0, or its id); in a recording of workflows, "
        "a position picks a workflow run",
    )
    parser.set_defaults(run=_replay)
