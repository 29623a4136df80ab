"""The file family: read, write, list, search, move and delete inside one root directory.

::

    from llmkit.tools.builtin import files

    tools = files(root="./work")                   # six tools, confined to ./work
    tools = files(root="./docs", read_only=True)   # read_file, list_directory, search_files
    agent = Agent(model, tools=[*files(root="./work")])

Every path is checked on every call (see :class:`~llmkit.tools.builtin._root.Root`):
``..``, absolute paths and symlinks leading out of the root are refused.
Writes are atomic (a temporary file in the same directory, then a rename)
and keep a replaced file's permissions (new files follow the umask); only
regular files are opened; reads and writes are bounded in size; nothing is
overwritten or deleted recursively unless the call asks for it. Every
failure is a :class:`~llmkit.errors.ToolError` (a ``Refused`` when a rule
says no) that names the path relative to the root, never the root's real path.

Listing and searching call :func:`~llmkit.tools.checkpoint` for every entry
they walk and every few hundred lines they read, so a tool call's time limit
(or its run's) stops a search of a large tree part-way. A move or a recursive
delete, once started, runs to its end: stopping it part-way would leave the
tree half moved or half deleted.
"""

from __future__ import annotations

import errno
import fnmatch
import functools
import os
import secrets
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from pydantic import Field

from llmkit.errors import ToolError, UsageError
from llmkit.tools._deadline import CallTimeoutError, checkpoint
from llmkit.tools._serialize import sniff_media_type
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._policy import Refused
from llmkit.tools.builtin._root import Root

__all__ = ["files"]

_Path = Annotated[
    str, Field(description="A path relative to the root directory, e.g. 'notes/a.txt'.")
]


def files(
    *,
    root: str | os.PathLike[str],
    read_only: bool = False,
    max_read_bytes: int = 1_000_000,
    max_write_bytes: int = 1_000_000,
    max_results: int = 200,
) -> list[Tool[..., Any]]:
    """The file tools, confined to ``root`` (which must exist).

    - ``read_only``: only ``read_file``, ``list_directory`` and ``search_files``;
    - ``max_read_bytes``: the most one read returns (larger files are read in parts
      with ``offset``/``length``), also the largest file ``search_files`` looks into;
    - ``max_write_bytes``: the largest content ``write_file`` accepts;
    - ``max_results``: the most entries a listing or a search returns.
    """
    for option, value in (
        ("max_read_bytes", max_read_bytes),
        ("max_write_bytes", max_write_bytes),
        ("max_results", max_results),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise UsageError(f"{option}={value!r}: use a positive whole number.")
    box = Root(root)

    def read_file(
        path: _Path,
        offset: Annotated[int, Field(ge=0, description="Byte to start at.")] = 0,
        length: Annotated[
            int | None, Field(ge=1, description="Bytes to read; omit to read to the end.")
        ] = None,
    ) -> str | bytes:
        """Read a file inside the root directory (text; images and PDFs come back as media)."""
        target = box.resolve(path)
        if not target.is_file():
            raise _missing(box, target, path, "file")
        size = target.stat().st_size
        if offset > size:
            raise Refused(
                "offset",
                f"offset={offset} is past the end of {path!r}, which has {size:,} bytes; "
                f"use an offset from 0 to {size}.",
            )
        want = size - offset if length is None else min(length, size - offset)
        if want > max_read_bytes:
            raise Refused(
                "max_read_bytes",
                f"{path!r} has {size:,} bytes; one read returns at most {max_read_bytes:,}. "
                f"Read a part with offset and length (length <= {max_read_bytes}), or use search_files.",
            )
        with _open_no_follow(target, path) as handle:
            handle.seek(offset)
            data: bytes = handle.read(max(want, 0))
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            if offset == 0 and sniff_media_type(data):
                return data  # an image, a PDF or audio: the model gets it as media
            return data.decode("utf-8", errors="replace")

    def write_file(
        path: _Path,
        content: Annotated[str, Field(description="The whole new content of the file.")],
        overwrite: Annotated[bool, Field(description="Replace the file if it exists.")] = False,
    ) -> str:
        """Create or replace a text file inside the root directory (atomically)."""
        data = content.encode("utf-8")
        if len(data) > max_write_bytes:
            raise Refused(
                "max_write_bytes",
                f"the content has {len(data):,} bytes; a write takes at most {max_write_bytes:,}.",
            )
        target = box.resolve(path)
        if target == box.path or target.is_dir():
            raise Refused("root", f"{path!r} is a directory; name a file inside it.")
        if target.exists() and not overwrite:
            raise Refused(
                "overwrite", f"{path!r} exists already; pass overwrite=true to replace it."
            )
        _make_parents(box, target, path)
        _atomic_write(target, data)
        return f"Wrote {len(data):,} bytes to {box.show(target)}."

    def list_directory(
        path: _Path = ".",
        recursive: Annotated[bool, Field(description="Also list subdirectories.")] = False,
    ) -> list[dict[str, Any]]:
        """List a directory inside the root: each entry's path, type and size in bytes."""
        target = box.resolve(path)
        if not target.is_dir():
            raise _missing(box, target, path, "directory")
        entries: list[dict[str, Any]] = []
        for entry in _walk(box, target, recursive):
            if len(entries) >= max_results:
                entries.append(
                    {"truncated": f"more than {max_results} entries; list a subdirectory"}
                )
                break
            entries.append(_describe(box, entry))
        return entries

    def search_files(
        pattern: Annotated[
            str, Field(description="File-name glob, e.g. '*.py' or 'notes/*.md'.")
        ] = "*",
        text: Annotated[
            str | None, Field(description="Only files containing this text (case-insensitive).")
        ] = None,
        path: _Path = ".",
    ) -> list[dict[str, Any]]:
        """Find files by name (glob) and, optionally, by the text they contain."""
        target = box.resolve(path)
        if not target.is_dir():
            raise _missing(box, target, path, "directory")
        needle = text.lower() if text else None
        found: list[dict[str, Any]] = []
        for entry in _walk(box, target, recursive=True):
            shown = box.show(entry)
            if (
                entry.is_dir()
                or _special(entry)
                or not (fnmatch.fnmatch(entry.name, pattern) or fnmatch.fnmatch(shown, pattern))
            ):
                continue
            if len(found) >= max_results:
                found.append({"truncated": f"more than {max_results} matches; narrow the search"})
                break
            if needle is None:
                found.append(_describe(box, entry))
                continue
            if entry.is_symlink() and not box.contains(entry):
                continue  # never read through a link that leads out of the root
            lines = _matching_lines(entry, needle, max_read_bytes)
            if lines:
                found.append({"path": shown, "lines": lines})
        return found

    def move_path(
        source: _Path,
        destination: _Path,
        overwrite: Annotated[
            bool, Field(description="Replace the destination if it exists.")
        ] = False,
    ) -> str:
        """Move or rename a file or directory inside the root directory."""
        origin = box.locate(source)
        if origin == box.path:
            raise Refused("root", "the root directory itself cannot be moved.")
        if not origin.exists() and not origin.is_symlink():
            raise _missing(box, origin, source, "file or directory")
        target = box.locate(destination)
        if target.is_dir() and not target.is_symlink():
            target = target / origin.name
            box.locate(box.show(target))
        if target.exists() or target.is_symlink():
            if not overwrite:
                raise Refused(
                    "overwrite",
                    f"{box.show(target)!r} exists already; pass overwrite=true to replace it.",
                )
            if target.is_dir() and not target.is_symlink():
                raise Refused(
                    "overwrite",
                    f"{box.show(target)!r} is a directory; delete it first to replace it.",
                )
        if origin.is_dir() and target.is_relative_to(origin):
            raise Refused("root", "a directory cannot be moved into itself.")
        _make_parents(box, target, destination)
        shutil.move(origin, target)
        return f"Moved {box.show(origin)} to {box.show(target)}."

    def delete_path(
        path: _Path,
        recursive: Annotated[
            bool, Field(description="Delete a non-empty directory and everything in it.")
        ] = False,
    ) -> str:
        """Delete a file, a symbolic link or a directory inside the root directory."""
        target = box.locate(path)
        if target == box.path:
            raise Refused("root", "the root directory itself cannot be deleted.")
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            if recursive:
                shutil.rmtree(target)
            else:
                try:
                    target.rmdir()
                except OSError:
                    raise Refused(
                        "recursive",
                        f"{path!r} is a directory that is not empty; pass recursive=true "
                        "to delete it with everything in it.",
                    ) from None
        else:
            raise _missing(box, target, path, "file or directory")
        return f"Deleted {box.show(target)}."

    readers: list[Callable[..., Any]] = [read_file, list_directory, search_files]
    writers: list[Callable[..., Any]] = [write_file, move_path, delete_path]
    chosen = readers if read_only else readers + writers
    return [Tool(_file_system_errors(box, fn), category="files") for fn in chosen]


_ADVICE = {
    errno.ENAMETOOLONG: "use shorter names (at most 255 bytes each)",
    errno.EACCES: "the file system does not allow it; choose another path",
    errno.EPERM: "the file system does not allow it; choose another path",
    errno.EROFS: "the file system is read-only; nothing can be written there",
    errno.ENOSPC: "the disk is full; write less or delete something first",
    errno.ENOENT: "it changed meanwhile; list the directory and try again",
}


def _file_system_errors(box: Root, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with the file system's own errors (``OSError``) turned into ToolError.

    The message names the path relative to the root: the root's real path is not
    the model's to see.
    """

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except CallTimeoutError:
            raise  # the call's time is up (a TimeoutError is an OSError): not the file system's
        except OSError as exc:
            where = f" ({box.show(Path(exc.filename))!r})" if exc.filename else ""
            advice = _ADVICE.get(exc.errno or 0, "check the path and try again")
            raise ToolError(
                f"{function.__name__} failed: {exc.strerror or type(exc).__name__}{where}; "
                f"{advice}."
            ) from None

    return guarded


def _make_parents(box: Root, target: Path, given: str) -> None:
    """Create the missing directories above ``target``; refused when a file stands in the way."""
    for ancestor in target.parents:
        if ancestor.is_dir():
            break
        if ancestor.exists() or ancestor.is_symlink():
            raise Refused(
                "not_a_directory",
                f"{box.show(ancestor)!r} is a file, not a directory, so {given!r} cannot be "
                f"created inside it. Choose another path, or move {box.show(ancestor)!r} first.",
            )
    target.parent.mkdir(parents=True, exist_ok=True)


def _missing(box: Root, target: Path, given: str, what: str) -> Refused:
    if target.exists():
        return Refused("not_found", f"{given!r} is not a {what}.")
    return Refused("not_found", f"there is no {what} {given!r} in the root directory.")


def _special(entry: Path) -> bool:
    """Whether ``entry`` (a symlink followed) is a FIFO, a socket or a device.

    Such files are never opened: opening a FIFO for reading blocks until a
    writer comes, and reading a device may never end.
    """
    try:
        mode = entry.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _open_regular(target: Path, *, follow: bool) -> BinaryIO | None:
    """``target`` opened for reading if it is a regular file, else None; never blocks on opening.

    O_NONBLOCK makes opening a FIFO swapped in after the caller's check return at
    once (regular files ignore the flag); the type is then checked on the open file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _open_no_follow(target: Path, given: str) -> BinaryIO:
    # The path was resolved already; O_NOFOLLOW refuses a symlink swapped in since then.
    try:
        handle = _open_regular(target, follow=False)
    except OSError as exc:
        raise Refused(
            "root", f"{target.name!r} changed while it was being read ({exc.strerror})."
        ) from None
    if handle is None:
        raise Refused("not_found", f"{given!r} is not a file.")
    return handle


def _atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``target``, then rename it over ``target``.

    A replaced file keeps its permission bits (set-user-ID and set-group-ID are
    dropped, as a write by another process drops them); a new file gets 0666
    less the umask, as any program's new file does.
    """
    try:
        kept: int | None = stat.S_IMODE(os.stat(target).st_mode) & 0o777
    except FileNotFoundError:
        kept = None
    fd, temporary = _new_temporary(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            if kept is not None:
                _chmod(handle.fileno(), temporary, kept)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _new_temporary(target: Path) -> tuple[int, Path]:
    # Not tempfile.mkstemp: it creates files with mode 0600 whatever the umask. Mode 0666
    # here lets the system apply the process's umask (os.umask cannot be read without
    # changing it, which would race with other threads).
    for _ in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target.name!r}")


def _chmod(fd: int, path: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows before Python 3.13
        os.chmod(path, mode)


def _walk(box: Root, top: Path, recursive: bool) -> Any:
    """Entries under ``top`` in name order; symlinked directories are not entered.

    Stops (``checkpoint``) when the tool call's time is up, before each entry.
    """
    if not recursive:
        for entry in sorted(top.iterdir()):
            checkpoint()
            yield entry
        return
    for directory, subdirectories, names in os.walk(top, followlinks=False):
        subdirectories.sort()
        base = Path(directory)
        for name in sorted(subdirectories + names):
            checkpoint()
            yield base / name


def _describe(box: Root, entry: Path) -> dict[str, Any]:
    shown = box.show(entry)
    if entry.is_symlink():
        inside = box.contains(entry)
        return {"path": shown, "type": "symlink" if inside else "symlink (outside the root)"}
    if entry.is_dir():
        return {"path": shown, "type": "directory"}
    if _special(entry):
        return {"path": shown, "type": "other (not a regular file)"}
    return {"path": shown, "type": "file", "size": entry.stat().st_size}


def _matching_lines(entry: Path, needle: str, limit: int) -> list[str]:
    if _special(entry):
        return []
    try:
        handle = _open_regular(entry, follow=True)
        if handle is None:
            return []
        with handle:
            if os.fstat(handle.fileno()).st_size > limit:
                return []
            text = handle.read(limit + 1).decode("utf-8", errors="replace")
    except OSError:
        return []
    hits: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not n % _LINES_PER_CHECK:
            checkpoint()
        if needle in line.lower():
            hits.append(f"{n}: {line.strip()[:200]}")
            if len(hits) == _MAX_LINES:
                break
    return hits


_MAX_LINES = 20
"""The most matching lines shown for one file."""
_LINES_PER_CHECK = 256
"""Lines read between two checkpoints."""
