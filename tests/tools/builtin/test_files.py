"""The file family: confined to a root, atomic writes, bounded reads, and the classic escapes."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from llmkit.errors import ToolError, UsageError
from llmkit.tools import Tool
from llmkit.tools._deadline import call_limit
from llmkit.tools.builtin import Refused, files

from .conftest import TickingClock


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "root"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "a.txt").write_text("alpha\nBeta line\n")
    (root / "notes" / "b.md").write_text("# title\nbeta\n")
    (root / "empty").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    return {"root": root, "outside": outside}


def tools_of(root: Path, **options: Any) -> dict[str, Tool[..., Any]]:
    return {t.name: t for t in files(root=root, **options)}


def snapshot(path: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(path)): (None if p.is_dir() or p.is_symlink() else p.read_bytes())
        for p in sorted(path.rglob("*"))
    }


def test_the_toolset() -> None:
    names = [t.name for t in files(root=".")]
    assert names == [
        "read_file",
        "list_directory",
        "search_files",
        "write_file",
        "move_path",
        "delete_path",
    ]
    assert [t.name for t in files(root=".", read_only=True)] == names[:3]
    assert all(t.category == "files" for t in files(root="."))


def test_read_write_list_search_move_delete(tree: dict[str, Path]) -> None:
    t = tools_of(tree["root"])
    assert t["read_file"]("notes/a.txt") == "alpha\nBeta line\n"
    assert t["read_file"]("notes/a.txt", offset=6, length=4) == "Beta"
    assert t["write_file"]("new/deep/c.txt", "gamma") == "Wrote 5 bytes to new/deep/c.txt."
    assert (tree["root"] / "new/deep/c.txt").read_text() == "gamma"
    listing = t["list_directory"]("notes")
    assert listing == [
        {"path": "notes/a.txt", "type": "file", "size": 16},
        {"path": "notes/b.md", "type": "file", "size": 13},
    ]
    assert {e["path"] for e in t["list_directory"](".", recursive=True)} >= {"new/deep/c.txt"}
    assert [e["path"] for e in t["search_files"]("*.md")] == ["notes/b.md"]
    hits = t["search_files"]("*", text="beta")
    assert hits == [
        {"path": "notes/a.txt", "lines": ["2: Beta line"]},
        {"path": "notes/b.md", "lines": ["2: beta"]},
    ]
    assert t["move_path"]("notes/b.md", "empty") == "Moved notes/b.md to empty/b.md."
    assert t["move_path"]("empty/b.md", "renamed.md") == "Moved empty/b.md to renamed.md."
    assert t["delete_path"]("renamed.md") == "Deleted renamed.md."
    assert not (tree["root"] / "renamed.md").exists()


def test_writes_are_atomic_and_leave_no_temporary_files(tree: dict[str, Path]) -> None:
    t = tools_of(tree["root"])
    t["write_file"]("notes/a.txt", "replaced", overwrite=True)
    assert (tree["root"] / "notes/a.txt").read_text() == "replaced"
    assert sorted(p.name for p in (tree["root"] / "notes").iterdir()) == ["a.txt", "b.md"]


def test_images_come_back_as_media(tree: dict[str, Path]) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
    (tree["root"] / "pic.png").write_bytes(png)
    assert tools_of(tree["root"])["read_file"]("pic.png") == png


ESCAPES = [
    "../outside/secret.txt",
    "notes/../../outside/secret.txt",
    "..",
    "/etc/passwd",
    "\\windows\\system32",
    "C:\\Windows\\win.ini",
    "notes/\x00a.txt",
]


@pytest.mark.parametrize("path", ESCAPES)
@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("read_file", {}),
        ("list_directory", {}),
        ("search_files", {"pattern": "*"}),
        ("write_file", {"content": "pwned", "overwrite": True}),
        ("delete_path", {"recursive": True}),
    ],
)
def test_escapes_are_refused_by_every_tool(
    tree: dict[str, Path], path: str, tool: str, args: dict[str, Any]
) -> None:
    before = snapshot(tree["outside"]), snapshot(tree["root"])
    with pytest.raises(Refused) as caught:
        tools_of(tree["root"])[tool](path=path, **args)
    assert caught.value.rule == "root"
    assert (snapshot(tree["outside"]), snapshot(tree["root"])) == before


@pytest.mark.parametrize("path", ESCAPES[:4])
def test_move_refuses_escapes_on_both_ends(tree: dict[str, Path], path: str) -> None:
    t = tools_of(tree["root"])
    before = snapshot(tree["outside"]), snapshot(tree["root"])
    with pytest.raises(Refused, match=r"Refused \(root\)"):
        t["move_path"]("notes/a.txt", path, overwrite=True)
    with pytest.raises(Refused, match=r"Refused \(root\)"):
        t["move_path"](path, "stolen.txt")
    assert (snapshot(tree["outside"]), snapshot(tree["root"])) == before


def test_symlinks_pointing_out_of_the_root_are_refused(tree: dict[str, Path]) -> None:
    root, outside = tree["root"], tree["outside"]
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    t = tools_of(root)
    before = snapshot(outside)
    for call in (
        lambda: t["read_file"]("link.txt"),
        lambda: t["read_file"]("linkdir/secret.txt"),
        lambda: t["write_file"]("link.txt", "pwned", overwrite=True),
        lambda: t["write_file"]("linkdir/new.txt", "pwned"),
        lambda: t["list_directory"]("linkdir"),
        lambda: t["delete_path"]("linkdir/secret.txt"),
        lambda: t["delete_path"]("link.txt"),
        lambda: t["move_path"]("link.txt", "moved.txt"),
        lambda: t["move_path"]("notes/a.txt", "linkdir/a.txt"),
    ):
        with pytest.raises(Refused) as caught:
            call()
        assert caught.value.rule == "root"
    assert snapshot(outside) == before
    assert (root / "notes/a.txt").exists()
    # Listing shows the links without following them; a search never reads through them.
    types = {e["path"]: e["type"] for e in t["list_directory"](".")}
    assert types["link.txt"] == "symlink (outside the root)"
    assert t["search_files"]("*", text="secret") == []


def test_symlinks_inside_the_root_work(tree: dict[str, Path]) -> None:
    root = tree["root"]
    (root / "alias.txt").symlink_to(root / "notes" / "a.txt")
    t = tools_of(root)
    assert t["read_file"]("alias.txt").startswith("alpha")
    assert t["delete_path"]("alias.txt") == "Deleted alias.txt."
    assert (root / "notes/a.txt").exists()  # the link went, not its target


def test_a_root_that_is_itself_a_symlink_is_resolved(tree: dict[str, Path], tmp_path: Path) -> None:
    link = tmp_path / "root-link"
    link.symlink_to(tree["root"], target_is_directory=True)
    assert tools_of(link)["read_file"]("notes/a.txt").startswith("alpha")


def test_size_limits(tree: dict[str, Path]) -> None:
    root = tree["root"]
    (root / "big.txt").write_text("x" * 5000)
    t = tools_of(root, max_read_bytes=1000, max_write_bytes=10)
    with pytest.raises(Refused) as caught:
        t["read_file"]("big.txt")
    assert caught.value.rule == "max_read_bytes"
    assert "offset and length" in str(caught.value)
    assert t["read_file"]("big.txt", offset=4000, length=1000) == "x" * 1000
    with pytest.raises(Refused, match="max_read_bytes"):
        t["read_file"]("big.txt", length=1001)
    with pytest.raises(Refused) as caught:
        t["write_file"]("c.txt", "y" * 11)
    assert caught.value.rule == "max_write_bytes"
    assert not (root / "c.txt").exists()


def test_nothing_is_replaced_or_removed_without_asking(tree: dict[str, Path]) -> None:
    root = tree["root"]
    t = tools_of(root)
    before = snapshot(root)
    with pytest.raises(Refused) as caught:
        t["write_file"]("notes/a.txt", "new")
    assert caught.value.rule == "overwrite"
    with pytest.raises(Refused, match=r"Refused \(overwrite\)"):
        t["move_path"]("notes/a.txt", "notes/b.md")
    with pytest.raises(Refused) as caught:
        t["delete_path"]("notes")
    assert caught.value.rule == "recursive"
    with pytest.raises(Refused, match=r"Refused \(root\).*cannot be deleted"):
        t["delete_path"](".", recursive=True)
    with pytest.raises(Refused, match=r"Refused \(root\).*cannot be moved"):
        t["move_path"](".", "elsewhere")
    with pytest.raises(Refused, match=r"Refused \(root\).*into itself"):
        t["move_path"]("notes", "notes/inner")
    with pytest.raises(Refused, match=r"Refused \(not_found\)"):
        t["read_file"]("nope.txt")
    with pytest.raises(Refused, match=r"Refused \(root\).*is a directory"):
        t["write_file"]("notes", "x", overwrite=True)
    assert snapshot(root) == before
    assert t["delete_path"]("notes", recursive=True) == "Deleted notes."


def test_read_only_has_no_writers(tree: dict[str, Path]) -> None:
    t = tools_of(tree["root"], read_only=True)
    assert set(t) == {"read_file", "list_directory", "search_files"}


def test_listing_and_searching_are_bounded(tree: dict[str, Path]) -> None:
    root = tree["root"]
    for n in range(10):
        (root / "empty" / f"f{n}.txt").write_text("hit")
    t = tools_of(root, max_results=3)
    listing = t["list_directory"]("empty")
    assert len(listing) == 4 and "truncated" in listing[-1]
    found = t["search_files"]("*.txt", text="hit")
    assert len(found) == 4 and "truncated" in found[-1]


def test_bad_configuration_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        files(root=tmp_path / "missing")
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match="not a directory"):
        files(root=tmp_path / "f")
    with pytest.raises(UsageError, match="max_read_bytes"):
        files(root=tmp_path, max_read_bytes=0)


def test_a_path_that_becomes_a_symlink_later_is_checked_again(tree: dict[str, Path]) -> None:
    root = tree["root"]
    t = tools_of(root)
    assert t["read_file"]("notes/a.txt")
    os.rename(root / "notes", root / "notes-old")
    (root / "notes").symlink_to(tree["outside"], target_is_directory=True)
    (tree["outside"] / "a.txt").write_text("outside")
    with pytest.raises(Refused, match=r"Refused \(root\)"):
        t["read_file"]("notes/a.txt")


def _in_a_thread(call: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = call()
        except BaseException as exc:  # reported by the test, not lost in the thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=60)  # generous: the call itself takes milliseconds
    return thread, outcome


def _release(fifo: Path) -> None:
    """Unblock a reader stuck opening ``fifo``: open the writing end and close it at once."""
    with contextlib.suppress(OSError):  # no reader waits (any more)
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_search_skips_fifos_and_other_files_that_are_not_regular(tree: dict[str, Path]) -> None:
    root = tree["root"]
    fifo = root / "notes" / "pipe.txt"
    os.mkfifo(fifo)
    (root / "notes" / "link-to-pipe.txt").symlink_to(fifo)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(root / "notes" / "sock.txt"))
    t = tools_of(root)
    thread, outcome = _in_a_thread(lambda: t["search_files"]("*.txt", text="beta"))
    blocked = thread.is_alive()
    for _ in range(10):  # only when it blocked: let the stuck thread go
        if not thread.is_alive():
            break
        _release(fifo)
        thread.join(timeout=1)
    listener.close()
    assert not blocked, "search_files blocked on a named pipe"
    assert outcome == {"result": [{"path": "notes/a.txt", "lines": ["2: Beta line"]}]}
    names = [e["path"] for e in t["search_files"]("*.txt")]
    assert names == ["notes/a.txt"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # looked at, never opened or changed
    with pytest.raises(Refused, match="not a file"):
        t["read_file"]("notes/pipe.txt")
    listed = {e["path"]: e["type"] for e in t["list_directory"]("notes")}
    assert listed["notes/pipe.txt"] == listed["notes/sock.txt"] == "other (not a regular file)"


@contextlib.contextmanager
def _umask(mask: int) -> Any:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002], ids=["022", "027", "002"])
def test_new_files_follow_the_umask(tree: dict[str, Path], mask: int) -> None:
    t = tools_of(tree["root"])
    with _umask(mask):
        t["write_file"]("fresh.txt", "new")
        t["write_file"]("deeper/fresh.txt", "new")
    for name in ("fresh.txt", "deeper/fresh.txt"):
        assert stat.S_IMODE((tree["root"] / name).stat().st_mode) == 0o666 & ~mask


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
def test_overwriting_keeps_the_mode_of_the_file(tree: dict[str, Path]) -> None:
    script = tree["root"] / "run.sh"
    script.write_text("#!/bin/sh\necho old\n")
    script.chmod(0o755)
    private = tree["root"] / "notes" / "a.txt"
    private.chmod(0o600)
    t = tools_of(tree["root"])
    with _umask(0o022):
        t["write_file"]("run.sh", "#!/bin/sh\necho new\n", overwrite=True)
        t["write_file"]("notes/a.txt", "still private", overwrite=True)
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert script.read_text() == "#!/bin/sh\necho new\n"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert sorted(p.name for p in tree["root"].iterdir()) == ["empty", "notes", "run.sh"]


@pytest.mark.parametrize("offset", [17, 10**18, 2**63, 2**64])
def test_an_offset_past_the_end_is_refused_with_the_size(
    tree: dict[str, Path], offset: int
) -> None:
    read_file = tools_of(tree["root"])["read_file"]
    with pytest.raises(Refused) as caught:
        read_file("notes/a.txt", offset=offset)
    assert caught.value.rule == "offset"
    assert "16 bytes" in str(caught.value) and "from 0 to 16" in str(caught.value)
    # The same through validation, as an agent calls it.
    with pytest.raises(Refused, match=r"Refused \(offset\)"):
        anyio.run(
            read_file.call, None, read_file.validate({"path": "notes/a.txt", "offset": offset})
        )
    assert read_file("notes/a.txt", offset=16) == ""
    assert read_file("notes/a.txt", offset=6, length=10**19) == "Beta line\n"


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("write_file", {"path": "notes/a.txt/b.txt", "content": "x"}),
        ("write_file", {"path": "notes/a.txt/deeper/b.txt", "content": "x", "overwrite": True}),
        ("move_path", {"source": "notes/b.md", "destination": "notes/a.txt/b.md"}),
        ("move_path", {"source": "notes/b.md", "destination": "notes/a.txt/x/b.md"}),
    ],
)
def test_writing_under_a_file_is_refused_and_changes_nothing(
    tree: dict[str, Path], tool: str, args: dict[str, Any]
) -> None:
    before = snapshot(tree["root"])
    with pytest.raises(Refused) as caught:
        tools_of(tree["root"])[tool](**args)
    assert caught.value.rule == "not_a_directory"
    assert "'notes/a.txt' is a file" in str(caught.value)
    assert snapshot(tree["root"]) == before


@pytest.mark.parametrize("tool", ["read_file", "write_file", "list_directory", "delete_path"])
def test_errors_of_the_file_system_become_tool_errors(tree: dict[str, Path], tool: str) -> None:
    args = {"content": "x"} if tool == "write_file" else {}
    with pytest.raises(ToolError) as caught:
        tools_of(tree["root"])[tool]("n" * 300, **args)
    assert "too long" in str(caught.value).lower()
    assert str(tree["root"]) not in str(caught.value)  # the root's real path stays private


@pytest.fixture
def wide_tree(tmp_path: Path) -> Path:
    root = tmp_path / "wide"
    for d in range(10):
        (root / f"d{d}").mkdir(parents=True)
        for f in range(30):
            (root / f"d{d}" / f"f{f}.txt").write_text("nothing to find\n")
    return root


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("search_files", {"pattern": "*", "text": "not there"}),
        ("search_files", {"pattern": "*.md"}),
        ("list_directory", {"recursive": True}),
        ("list_directory", {"path": "d0"}),
    ],
)
def test_a_time_limit_stops_a_walk_of_a_large_tree_part_way(
    wide_tree: Path, name: str, arguments: dict[str, Any]
) -> None:
    clock = TickingClock()
    t = tools_of(wide_tree, max_results=100_000)
    with pytest.raises(TimeoutError, match="20 s time limit"), call_limit(20, clock=clock):
        t[name](**arguments)
    assert clock.now < 40  # stopped at the check after the limit, not at the end of the tree


def test_a_time_limit_stops_searching_a_long_file_part_way(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("a line without it\n" * 100_000)
    clock = TickingClock()
    search = tools_of(tmp_path, max_read_bytes=10_000_000)["search_files"]
    with pytest.raises(TimeoutError), call_limit(20, clock=clock):
        search(text="not there")
    assert clock.now < 40


def test_an_abandoned_call_stops_a_search(wide_tree: Path) -> None:
    with call_limit(None) as limit:
        limit.abandon()  # what a caller does when it stops waiting
        with pytest.raises(TimeoutError, match="abandoned"):
            tools_of(wide_tree)["search_files"](text="nothing")


def test_a_search_shows_the_first_twenty_matching_lines_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "many.txt").write_text("".join(f"hit {n}\n" for n in range(1, 50)))
    (found,) = tools_of(tmp_path)["search_files"](text="HIT")
    assert found["lines"] == [f"{n}: hit {n}" for n in range(1, 21)]
