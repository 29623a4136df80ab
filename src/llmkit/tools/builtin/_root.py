"""Confinement to a root directory: every path a model sends is checked on every call.

A path is refused when it is absolute, contains ``..``, holds a NUL byte, or
resolves (symlinks followed) to somewhere outside the root, including a
symlink inside the root that points out. The check runs at each call, not
once, because the tree can change between calls.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from llmkit.errors import UsageError
from llmkit.tools.builtin._policy import Refused

__all__ = ["Root"]


class Root:
    """A directory that tools may not leave."""

    __slots__ = ("path",)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        try:
            resolved = Path(path).expanduser().resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise UsageError(f"root={str(path)!r} does not exist: {exc}. Create it first.") from exc
        if not resolved.is_dir():
            raise UsageError(f"root={str(path)!r} is not a directory.")
        self.path = resolved

    def _parts(self, relative: str) -> PurePosixPath:
        if not isinstance(relative, str):
            raise Refused("root", f"a path is text, not {type(relative).__name__}.")
        if "\x00" in relative:
            raise Refused("root", "the path contains a NUL byte.")
        text = relative.strip() or "."
        windows = PureWindowsPath(text)
        if text.startswith(("/", "\\")) or windows.drive or windows.root:
            raise Refused(
                "root",
                f"{relative!r} is an absolute path; use a path relative to the root directory.",
            )
        parts = PurePosixPath(text.replace("\\", "/"))
        if ".." in parts.parts:
            raise Refused(
                "root",
                f"{relative!r} contains '..'; paths stay inside the root directory. "
                "Use a path relative to the root, without '..'.",
            )
        return parts

    def resolve(self, relative: str) -> Path:
        """The real path of ``relative`` (symlinks followed), refused unless it is inside the root."""
        parts = self._parts(relative)
        resolved = (self.path / parts).resolve()
        self._inside(resolved, relative)
        return resolved

    def locate(self, relative: str) -> Path:
        """The path of ``relative`` itself (a final symlink not followed), for moving or deleting it.

        Its directory must resolve inside the root, and when it is a symlink,
        so must its target.
        """
        parts = self._parts(relative)
        if parts.name in ("", "."):
            return self.resolve(relative)
        parent = (self.path / parts.parent).resolve()
        self._inside(parent, relative)
        located = parent / parts.name
        if located.is_symlink():
            self._inside(located.resolve(), relative)
        return located

    def _inside(self, path: Path, relative: str) -> None:
        if path != self.path and not path.is_relative_to(self.path):
            raise Refused(
                "root",
                f"{relative!r} leads outside the root directory (through a symbolic link); "
                "only paths inside the root are allowed.",
            )

    def contains(self, path: Path) -> bool:
        """Whether ``path``, resolved, is inside the root."""
        resolved = path.resolve()
        return resolved == self.path or resolved.is_relative_to(self.path)

    def show(self, path: Path) -> str:
        """``path`` relative to the root, as the model should see it."""
        try:
            return path.relative_to(self.path).as_posix() or "."
        except ValueError:
            return path.name

    def __repr__(self) -> str:
        return f"Root({str(self.path)!r})"
