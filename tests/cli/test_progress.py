"""Workflow progress on stderr: the live tree (rich) and the plain lines, fed scripted events."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from rich.console import Console

from llmkit._cli.progress import (
    HINT,
    LiveProgress,
    PlainProgress,
    QuietProgress,
    attempt_limits,
    static_path,
)
from llmkit._cli.workflow import open_progress
from llmkit.cli import main
from llmkit.errors import MissingExtraError
from llmkit.events import (
    ErrorEvent,
    Event,
    TextDelta,
    WorkflowEnd,
    WorkflowStart,
    WorkflowStepEnd,
    WorkflowStepRetry,
    WorkflowStepStart,
)
from llmkit.types import Usage
from llmkit.workflow import Retry, parallel, sequence, step

RUN = "r1"


def stopped_run() -> list[Event]:
    """A run whose critic_a failed while critic_b waited to retry, after a skipped step."""
    return [
        WorkflowStart(RUN, "article", {}, path="article"),
        WorkflowStepStart(RUN, "sequence", path="article"),
        WorkflowStepStart(RUN, "agent", path="article/researcher"),
        TextDelta("Tides are caused by the pull of the moon", path="article/researcher"),
        WorkflowStepEnd(
            RUN,
            "agent",
            "ok",
            duration=1.25,
            usage=Usage(input_tokens=300, output_tokens=12),
            path="article/researcher",
        ),
        WorkflowStepStart(RUN, "function", path="article/notify"),
        WorkflowStepEnd(
            RUN,
            "function",
            "skipped",
            duration=0.5,
            error_type="ValueError",
            message="no hook",
            path="article/notify",
        ),
        WorkflowStepStart(RUN, "parallel", path="article/reviews"),
        WorkflowStepStart(RUN, "agent", path="article/reviews[0]/critic_a"),
        WorkflowStepStart(RUN, "agent", path="article/reviews[1]/critic_b"),
        TextDelta("The draft reads", path="article/reviews[1]/critic_b"),
        WorkflowStepRetry(
            RUN, 1, "RateLimitError", "slow\ndown", 0.75, path="article/reviews[1]/critic_b"
        ),
        WorkflowStepEnd(
            RUN,
            "agent",
            "failed",
            duration=2.0,
            error_type="ValueError",
            message="bad review",
            path="article/reviews[0]/critic_a",
        ),
    ]


def ticks() -> Callable[[], float]:
    """A clock that advances 0.25 s per reading."""
    now = [0.0]

    def clock() -> float:
        now[0] += 0.25
        return now[0]

    return clock


def final_frame(text: str, rows: int) -> list[str]:
    """The last frame a live display drew (each frame starts by erasing the one before)."""
    last = text.rsplit("\x1b[2K", 1)[-1]
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", last)
    lines = [line.rstrip() for line in plain.splitlines() if line.strip()]
    assert len(lines) == rows, lines
    return lines


def test_the_live_tree_shows_each_path_with_its_glyph() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    limits = {"article/reviews/critic_b": 3}
    progress = LiveProgress(console, clock=ticks(), limits=limits, auto_refresh=False)
    for event in stopped_run():
        progress.event(event)
    assert progress.running() == ["article/reviews[1]/critic_b"]
    progress.close()
    frame = final_frame(out.getvalue(), 6)
    assert frame[1:] == [
        "├── ✓ researcher  1.2s  312 tokens",
        "├── \u2013 notify  0.5s",
        "└── " + frame[3][4] + " reviews  " + frame[3].split("reviews  ", 1)[1],
        "    ├── ✗ [0]/critic_a  2.0s",
        "    └── ↻ [1]/critic_b  " + frame[5].split("critic_b  ", 1)[1],
    ]
    assert re.fullmatch(r"\S article  \d+\.\ds", frame[0])  # the spinner of a running root
    assert frame[5].endswith("retrying 2/3")
    assert frame[3][4] not in "✓✗↻\u2013"  # still running: a spinner


def test_the_live_tree_shows_what_a_running_agent_writes() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    progress = LiveProgress(console, clock=ticks(), auto_refresh=False)
    for event in stopped_run()[:4]:
        progress.event(event)
    progress.close()
    frame = final_frame(out.getvalue(), 2)
    assert frame[1].endswith("Tides are caused by the pull of the moon")


def test_a_finished_run_leaves_only_ticks() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    progress = LiveProgress(console, clock=ticks(), auto_refresh=False)
    events = [
        *stopped_run()[:5],
        WorkflowStepEnd(RUN, "sequence", "ok", duration=1.5, path="article"),
        WorkflowEnd(RUN, "article", "complete", path="article"),
    ]
    for event in events:
        progress.event(event)
    progress.close()
    assert final_frame(out.getvalue(), 2) == [
        "✓ article  1.5s",
        "└── ✓ researcher  1.2s  312 tokens",
    ]


def test_plain_lines_one_per_workflow_event() -> None:
    out = io.StringIO()
    progress = PlainProgress(out, clock=ticks())
    events = [
        *stopped_run(),
        ErrorEvent("WorkflowError", "failed", RUN, path="article/reviews[0]/critic_a"),
        WorkflowEnd(RUN, "article", "failed", None, "WorkflowError", "failed", path="article"),
    ]
    for event in events:
        progress.event(event)
    progress.close()
    assert out.getvalue().splitlines() == [
        "  0.50s start   article",
        "  1.00s start   article/researcher",
        "  1.25s ok      article/researcher  (1 attempt, 312 tokens)",
        "  1.75s start   article/notify",
        "  2.00s skipped article/notify  (1 attempt): ValueError: no hook",
        "  2.50s start   article/reviews",
        "  3.00s start   article/reviews[0]/critic_a",
        "  3.50s start   article/reviews[1]/critic_b",
        "  3.75s retry   article/reviews[1]/critic_b  attempt 1 failed: RateLimitError: "
        "slow down; next in 0.8s",
        "  4.00s failed  article/reviews[0]/critic_a  (1 attempt): ValueError: bad review",
        "  4.25s failed  article",
    ]


def test_quiet_progress_writes_nothing_and_knows_where_the_run_is() -> None:
    progress = QuietProgress()
    for event in stopped_run()[:3]:
        progress.event(event)
    assert progress.running() == ["article/researcher"]


def test_attempt_limits_follow_the_retry_each_leaf_gets() -> None:
    inner = sequence(lambda s: 1, name="inner")
    flow = sequence(
        step(lambda s: 1, name="own", retry=Retry(attempts=5)),
        parallel(lambda s: 1, step(lambda s: 2, name="b"), name="p", retry=Retry(attempts=2)),
        step(inner, name="nested", retry=Retry(attempts=4)),
        name="f",
    )
    assert attempt_limits(flow.node) == {
        "f/own": 5,
        "f/p/<lambda>": 2,
        "f/p/b": 2,
        "f/nested": 4,
    }
    assert static_path("f/p[1]/b") == "f/p/b"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_rich_a_terminal_gets_plain_lines_and_one_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "rich.console", None)
    flow = sequence(lambda s: 1, name="f")
    err = Terminal()
    assert isinstance(open_progress("auto", flow, err), PlainProgress)
    assert err.getvalue() == HINT + "\n"
    piped = io.StringIO()
    assert isinstance(open_progress("auto", flow, piped), PlainProgress)
    assert piped.getvalue() == ""
    with pytest.raises(MissingExtraError, match=r"llmkit\[workflow\]"):
        open_progress("live", flow, err)


def test_live_progress_without_rich_exits_3(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich.console", None)
    app = __import__("pathlib").Path(str(tmp_path)) / "richless.py"
    app.write_text(
        "from llmkit.workflow import sequence\nflow = sequence(lambda s: 1, name='f')\n",
        encoding="utf-8",
    )
    assert main(["workflow", "run", f"{app}:flow", "--progress", "live"]) == 3
    assert "pip install 'llmkit[workflow]'" in capsys.readouterr().err


def test_a_terminal_with_rich_gets_the_live_tree() -> None:
    flow = sequence(lambda s: 1, name="f")
    progress = open_progress("auto", flow, Terminal())
    try:
        assert isinstance(progress, LiveProgress)
    finally:
        progress.close()


def test_the_command_loads_no_rich_until_live_progress_is_shown() -> None:
    code = (
        "import sys, llmkit.cli; llmkit.cli._parser(); import llmkit._cli.workflow; "
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith('rich.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
