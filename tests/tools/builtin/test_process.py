"""The process family: allow-listed programs, no shell, a confined working directory, limits."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from llmkit.errors import UsageError
from llmkit.tools.builtin import Refused, process

from .conftest import PY, run_tool

pytestmark = pytest.mark.anyio


async def test_runs_a_program_with_an_argument_list(root: Path) -> None:
    tool = run_tool(root)
    assert tool.name == "run_command"
    assert tool.spec.parameters["properties"]["args"]["type"] == "array"
    result = await tool.function(command="echo", args=["hello; rm -rf *", "$(id)"])
    assert result == {"exit_code": 0, "stdout": "hello; rm -rf * $(id)\n", "stderr": ""}
    listing = await tool.function(command="ls", args=[], cwd="sub")
    assert listing["stdout"] == ""
    assert (await tool.function(command="pwd"))["stdout"].strip() == str(root.resolve())


async def test_a_shell_command_line_is_not_a_command(root: Path) -> None:
    tool = run_tool(root)
    with pytest.raises(Refused) as caught:
        await tool.function(command="ls; rm -rf /")
    assert caught.value.rule == "allow_commands"
    assert "no shell" in str(caught.value)
    assert (root / "a.txt").exists() and (root.parent / "canary").exists()


@pytest.mark.parametrize("command", ["rm", "bash", "/bin/ls", "ls ", "python3 -c 1"])
async def test_programs_outside_the_allow_list_are_refused(root: Path, command: str) -> None:
    with pytest.raises(Refused) as caught:
        await run_tool(root).function(command=command, args=["-rf", "."])
    assert caught.value.rule == "allow_commands"
    assert (root / "a.txt").exists()


async def test_subcommands_can_be_allow_listed(root: Path) -> None:
    tool = run_tool(root, commands={"echo": ["status", "log"]})
    assert (await tool.function(command="echo", args=["log"]))["stdout"] == "log\n"
    for args in (["push"], []):
        with pytest.raises(Refused, match=r"Refused \(allow_commands\).*subcommands log, status"):
            await tool.function(command="echo", args=args)


@pytest.mark.parametrize(
    "arg", ["/etc/passwd", "../canary", "sub/../../canary", "--file=/etc/x", "~"]
)
async def test_path_arguments_leaving_the_root_are_refused(root: Path, arg: str) -> None:
    with pytest.raises(Refused) as caught:
        await run_tool(root).function(command="ls", args=[arg])
    assert caught.value.rule == "path_args"
    result = await run_tool(root, allow_path_args=True).function(command="echo", args=[arg])
    assert result["stdout"] == f"{arg}\n"


@pytest.mark.parametrize("cwd", ["..", "/", "../..", "a.txt"])
async def test_the_working_directory_is_confined(root: Path, cwd: str) -> None:
    with pytest.raises(Refused) as caught:
        await run_tool(root).function(command="pwd", cwd=cwd)
    assert caught.value.rule == "root"


async def test_the_environment_is_scrubbed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "s3cr3t")
    monkeypatch.setenv("LANG", "C.UTF-8")
    out = (await run_tool(root).function(command="env"))["stdout"]
    assert "s3cr3t" not in out and "SECRET_TOKEN" not in out
    assert "LANG=C.UTF-8" in out
    out = (await run_tool(root, env_allow=["SECRET_TOKEN", "PATH"]).function(command="env"))[
        "stdout"
    ]
    assert "SECRET_TOKEN=s3cr3t" in out


async def test_huge_output_is_stopped(root: Path) -> None:
    tool = run_tool(root, max_output_bytes=10_000)
    # Writes for ever: only stopping at the limit returns (else the time limit refuses).
    script = "import sys\nwhile True: sys.stdout.write('x' * 4096)"
    with pytest.raises(Refused) as caught:
        await tool.function(command=PY, args=["-c", script])
    assert caught.value.rule == "max_output_bytes"
    assert "10,000" in str(caught.value)


async def test_failing_commands_report_their_exit_code(root: Path) -> None:
    result = await run_tool(root).function(command="ls", args=["missing-file"])
    assert result["exit_code"] != 0 and "missing-file" in result["stderr"]


async def test_an_allowed_program_that_is_not_installed(root: Path) -> None:
    with pytest.raises(Refused, match="not installed"):
        await run_tool(root, commands=["no-such-program-xyz"]).function(
            command="no-such-program-xyz"
        )


def test_bad_configuration(root: Path) -> None:
    with pytest.raises(UsageError, match="list of program names"):
        process(commands="ls", root=root)
    with pytest.raises(UsageError, match="not a program name"):
        process(commands=["ls -la"], root=root)
    with pytest.raises(UsageError, match="empty"):
        process(commands=[], root=root)
    with pytest.raises(UsageError, match="timeout"):
        process(commands=["ls"], root=root, timeout=0)


@pytest.mark.parametrize(
    "args",
    [
        ["-o{outside}/x", "a.txt"],  # sort -o/tmp/x in.txt
        ["-o../x", "a.txt"],
        ["-C/", "-xf", "a.tar"],  # tar -C/
        ["-f/etc/passwd", "a.txt"],  # grep -f/etc/passwd
        ["-xf{outside}/a.tar"],  # a cluster: -x -f/tmp/a.tar
        ["-o~/x"],
        ["--output={outside}/x"],
        ["--output", "{outside}/x"],
        ["--output=../x"],
        ["if={outside}/x"],  # dd's spelling
        ["@{outside}/args"],  # a response file
        ["-Wl,-rpath,{outside}"],
        ["host:{outside}/x"],
        ["file://{outside}/x"],
        ["--url=https:///{outside}/x"],
        ["sub/.."],
        ["-I.."],
        ["r {outside}/canary"],  # sed's 'r /x': a path after a space
        ["1e cat {outside}/canary"],
        ["--checkpoint-action=exec=cat {outside}/canary"],
        ["exec=cat ../canary"],
        ["x\t~/x"],
        ["a\n{outside}/x"],
        ['print > "{outside}/x"'],  # after a quote
        ["open(F,'<{outside}/x')"],
        ["a;{outside}/x", "a|../x", "a&{outside}", "(../x)", "{{{outside}}}"],
        ["file:%2F{outside}"],  # percent-encoded: '/' as %2F
        ["file:%2e%2e/canary"],
        ["sub%2F%2E%2E%2F%2E%2E"],
    ],
)
async def test_attached_and_joined_path_values_leaving_the_root_are_refused(
    root: Path, args: list[str]
) -> None:
    filled = [a.format(outside=root.parent) for a in args]
    with pytest.raises(Refused) as caught:
        await run_tool(root).function(command="echo", args=filled)
    assert caught.value.rule == "path_args"
    assert "relative to the working directory" in str(caught.value)


@pytest.mark.parametrize(
    "args",
    [
        ["-n", "pattern", "a.txt"],
        ["-l", "a.txt"],
        ["-r", "sub/data.txt"],
        ["-n5", "-k2,3", "-t:", "--since=2.weeks", "--format=%h:%s"],
        ["-5", "-1.5", "+3", "-", "--", "."],
        ["HEAD~3..HEAD", "main...topic", "HEAD:sub/a.txt"],
        [r"\d+", "a:b", "key=value", "user@example.com", "s/a/b/", "^a.*z$"],
        ["-I./sub", "--output=sub/x", "-osub"],
        ["https://example.com/a?b=c", "--url=http://example.com/x"],
        ["a b c", "x=1 y=2", "s/a/b/ c", "say 'hi there'", "f(x, y)", "%Y-%m-%d", "100%", "%41"],
        ["see https://example.com/x", "a.b ./c", "--label=a b/c"],
    ],
)
async def test_ordinary_arguments_pass_the_path_rule(root: Path, args: list[str]) -> None:
    show = "import sys; print(' '.join(sys.argv[1:]))"
    result = await run_tool(root).function(command=PY, args=["-c", show, *args])
    assert result["stdout"] == " ".join(args) + "\n"


def _running_in(root: Path) -> set[int]:
    """The live processes (not zombies) whose working directory is ``root``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) != root.resolve():
                continue
            if (entry / "stat").read_text().rpartition(")")[2].split()[0] not in "ZX":
                found.add(int(entry.name))
        except OSError:
            continue  # gone meanwhile, or not ours to look at
    return found


def _survivors(root: Path) -> set[int]:
    """What still runs in ``root`` after a few seconds' grace for SIGKILL to land; killed after."""
    for _ in range(500):  # a signal lands at once; the retries only absorb scheduling
        left = _running_in(root)
        if not left:
            return left
        time.sleep(0.01)
    for pid in left:  # leave nothing behind when the test fails
        os.kill(pid, signal.SIGKILL)
    return left


def _pid(path: Path) -> int | None:
    text = path.read_text().strip() if path.exists() else ""
    return int(text) if text else None


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/cwd").exists(), reason="finds processes through /proc"
)
BACKGROUND = "sleep 987 & echo $! > child.pid; wait"


@needs_proc
@pytest.mark.parametrize("redirect", ["", " >out.log 2>&1"])
async def test_children_a_finished_command_leaves_running_are_killed(
    root: Path, redirect: str
) -> None:
    tool = run_tool(root, timeout=20)
    try:
        result = await tool.function(command="sh", args=["-c", f"sleep 987{redirect} & echo bg"])
    finally:
        left = _survivors(root)
    assert (result["exit_code"], result["stdout"]) == (0, "bg\n")
    assert not left


@needs_proc
async def test_a_command_past_its_time_limit_is_killed_with_its_children(root: Path) -> None:
    for timeout in (0.5, 5.0, 60.0):  # a slower machine gets a longer limit, never a failure
        with pytest.raises(Refused) as caught:
            await run_tool(root, timeout=timeout).function(command="sh", args=["-c", BACKGROUND])
        assert caught.value.rule == "timeout"
        if _pid(root / "child.pid") is not None:
            break
    assert _pid(root / "child.pid") is not None, "the shell never started its child"
    assert not _survivors(root)


@needs_proc
async def test_a_cancelled_command_is_killed_with_its_children(root: Path) -> None:
    task = asyncio.create_task(run_tool(root).function(command="sh", args=["-c", BACKGROUND]))
    for _ in range(6000):  # until the shell has started its child (a state, not a duration)
        if _pid(root / "child.pid") is not None:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.wait([task], timeout=60)  # bounds a hang; the time is not asserted
    left = _survivors(root)
    assert task.cancelled()
    assert not left


@needs_proc
async def test_a_command_cancelled_while_it_starts_is_killed_with_its_children(
    root: Path,
) -> None:
    task = asyncio.create_task(run_tool(root).function(command="sh", args=["-c", BACKGROUND]))
    for _ in range(100_000):  # one loop step at a time, until the program exists
        await asyncio.sleep(0)
        if _running_in(root):
            break
    # Hold the event loop (so the call cannot finish starting) until the shell's child runs.
    for _ in range(6000):
        if _pid(root / "child.pid") is not None:
            break
        time.sleep(0.01)
    assert _pid(root / "child.pid") is not None, "the shell never started its child"
    task.cancel()
    await asyncio.wait([task], timeout=60)  # bounds a hang; the time is not asserted
    left = _survivors(root)
    assert task.cancelled()
    assert not left
