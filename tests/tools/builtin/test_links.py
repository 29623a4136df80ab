"""No command runs while the root holds a symbolic link that leads out of it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llmkit.errors import UsageError
from llmkit.tools.builtin import Refused, from_command, process
from llmkit.tools.builtin._links import LinkScan

from .conftest import run_tool

pytestmark = pytest.mark.anyio


@pytest.fixture
def outside(root: Path) -> Path:
    """A directory beside the root, with a secret in it."""
    path = root.parent / "outside"
    path.mkdir()
    (path / "secret.txt").write_text("SECRET-outside")
    return path


def _untouched(outside: Path) -> bool:
    return [p.name for p in outside.iterdir()] == ["secret.txt"] and (
        outside / "secret.txt"
    ).read_text() == "SECRET-outside"


async def test_programs_that_recurse_cannot_follow_a_link_out_of_the_root(
    root: Path, outside: Path
) -> None:
    (root / "sub" / "up").symlink_to(outside)
    tool = run_tool(root, commands=["grep", "cp", "tar"])
    for command, args in [
        ("grep", ["-R", "SECRET-outside", "."]),
        ("cp", ["-rL", "sub", "copied"]),
        ("tar", ["-chf", "copy.tar", "sub"]),
    ]:
        with pytest.raises(Refused) as caught:
            await tool.function(command=command, args=args)
        assert caught.value.rule == "root_links"
        assert "'sub/up'" in str(caught.value) and "Remove the link" in str(caught.value)
        assert str(outside) not in str(caught.value)  # where it leads is not shown
    assert not (root / "copied").exists() and not (root / "copy.tar").exists()
    assert _untouched(outside)
    (root / "sub" / "up").unlink()
    found = await tool.function(command="grep", args=["-R", "SECRET-outside", "."])
    assert (found["exit_code"], found["stdout"]) == (1, "")


@pytest.mark.parametrize(
    "make",
    [
        lambda root, outside: (root / "to-file").symlink_to(outside / "secret.txt"),
        lambda root, outside: (root / "sub" / "to-new").symlink_to(outside / "new.txt"),
        lambda root, outside: (root / "sub" / "climb").symlink_to("../../outside"),
        lambda root, outside: (root / "up").symlink_to(".."),
        lambda root, outside: (
            (root / "a").symlink_to("sub/b"),
            (root / "sub" / "b").symlink_to(outside),
        ),
    ],
    ids=["to-a-file", "dangling", "relative", "to-the-parent", "through-another-link"],
)
async def test_every_kind_of_link_out_of_the_root_is_refused(
    root: Path, outside: Path, make: object
) -> None:
    make(root, outside)  # type: ignore[operator]
    tool = run_tool(root, commands=["cp", "ls"])
    with pytest.raises(Refused) as caught:
        await tool.function(command="cp", args=["a.txt", "sub/copy.txt"])
    assert caught.value.rule == "root_links"
    assert not (root / "sub" / "copy.txt").exists()
    assert _untouched(outside)


async def test_links_that_stay_inside_the_root_are_ordinary(root: Path, outside: Path) -> None:
    (root / "inside").symlink_to("a.txt")
    (root / "sub" / "back").symlink_to("..")
    (root / "self").symlink_to(root)
    (root / "loop").symlink_to("loop")
    (root / "sub" / "later").symlink_to("not-yet")
    tool = run_tool(root, commands=["cat", "ls"])
    assert (await tool.function(command="cat", args=["inside"]))["stdout"] == "a"


async def test_a_link_made_between_two_commands_is_found(root: Path, outside: Path) -> None:
    tool = run_tool(root, commands=["ls"])
    await tool.function(command="ls", args=["-R"])
    (root / "sub" / "deeper").mkdir()
    (root / "sub" / "deeper" / "up").symlink_to(outside)
    with pytest.raises(Refused, match="'sub/deeper/up'"):
        await tool.function(command="ls", args=["-R"])


def test_a_remembered_listing_is_not_trusted_once_the_directory_changed(
    root: Path, outside: Path
) -> None:
    # A clock an hour ahead: every directory looks settled, so every listing is remembered.
    scan = LinkScan(root, max_entries=1000, clock=lambda: time.time() + 3600)
    scan.check()
    before = os.stat(root / "sub")
    (root / "sub" / "up").symlink_to(outside)
    os.utime(root / "sub", ns=(before.st_atime_ns, before.st_mtime_ns))  # mtime put back
    assert os.stat(root / "sub").st_mtime_ns == before.st_mtime_ns
    with pytest.raises(Refused, match="'sub/up'"):
        scan.check()  # the change time still tells


async def test_a_root_too_large_to_check_is_refused(root: Path) -> None:
    for index in range(5):
        (root / "sub" / f"f{index}").write_text("x")
    tool = run_tool(root, commands=["ls"], max_root_entries=4)
    with pytest.raises(Refused) as caught:
        await tool.function(command="ls")
    assert caught.value.rule == "max_root_entries"
    assert "max_root_entries" in str(caught.value)
    assert (await run_tool(root, commands=["ls"]).function(command="ls"))["exit_code"] == 0
    with pytest.raises(UsageError, match="max_root_entries"):
        process(commands=["ls"], root=root, max_root_entries=0)


# Run as its own process: the refusal printed, or nothing.
_LIST_ROOT = """
import asyncio, sys
from llmkit.tools.builtin import Refused, process

async def main() -> None:
    [tool] = process(commands=["ls"], root=sys.argv[1])
    try:
        await tool.function(command="ls")
    except Refused as exc:
        print(exc)

asyncio.run(main())
"""


async def test_a_directory_that_cannot_be_read_is_refused(root: Path) -> None:
    (root / "sub" / "closed").mkdir(mode=0)
    try:
        if os.geteuid() != 0:
            with pytest.raises(Refused, match="'sub/closed' in the root cannot be read"):
                await run_tool(root, commands=["ls"]).function(command="ls")
            return
        # Root reads any directory through two capabilities; without them it is refused
        # like any other user.
        printed = subprocess.run(
            [
                "setpriv",
                "--bounding-set",
                "-dac_override,-dac_read_search",
                sys.executable,
                "-c",
                _LIST_ROOT,
                str(root),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        assert "'sub/closed' in the root cannot be read" in printed
    finally:
        (root / "sub" / "closed").chmod(0o700)


async def test_allow_path_args_also_lets_links_lead_out(root: Path, outside: Path) -> None:
    (root / "sub" / "up").symlink_to(outside)
    tool = run_tool(root, commands=["grep"], allow_path_args=True)
    found = await tool.function(command="grep", args=["-R", "SECRET-outside", "."])
    assert found["stdout"] == "./sub/up/secret.txt:SECRET-outside\n"


async def test_command_templates_do_not_run_while_a_link_leads_out(
    root: Path, outside: Path
) -> None:
    reader = from_command("reader", ["cat", "{name}"], root=root)
    assert (await reader.function(name="a.txt"))["stdout"] == "a"
    (root / "link").symlink_to(outside / "secret.txt")
    for name in ("link", "a.txt"):
        with pytest.raises(Refused) as caught:
            await reader.function(name=name)
        assert caught.value.rule == "root_links"
