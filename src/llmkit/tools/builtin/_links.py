"""Symbolic links in a root that lead out of it, looked for before each command runs.

Programs recurse on their own (``grep -R``, ``cp -rL``, ``tar -h``,
``find -L``) and follow the links they meet on the way, not only the paths
they were given; so while the root holds a link that leads out, no argument
check can keep a command inside. :class:`LinkScan` walks the root and
refuses (rule ``root_links``) while such a link exists, naming it.

What is checked: every symbolic link under the root, to a file, a directory
or nothing yet (a dangling link is written through), resolved fully; it must
land inside the root. A link to the root or within it is fine. Hard links
are not checked: a hard link is a file, never a directory, so no walk passes
through one, and making one to an outside file takes that file's path, which
the path rule refuses; a hard link placed in the root by its owner shares
its content with the other name (a program that writes into it in place
changes both). Mount points are not links and are not checked. The walk
runs before a command, so a link that a command makes (an archive it
extracts) stops the next command, not the one that made it.

The walk is bounded (rule ``max_root_entries``) and cached: a directory's
listing (its subdirectories and links) is reused while the directory's
device, inode, modification and change times are those seen, since adding,
removing or renaming an entry changes them (the change time cannot be set
back). A listing is kept only when the directory last changed more than two
seconds before the walk began, longer than the coarsest file system's time
stamp, so a change within the same tick is not missed. Links are resolved
again on every walk: where a link leads depends on directories elsewhere.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from llmkit.tools._deadline import checkpoint
from llmkit.tools.builtin._policy import Refused

__all__ = ["LinkScan"]

_SETTLED_NS = 2_000_000_000

Stamp = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class _Listing:
    stamp: Stamp
    directories: tuple[str, ...]
    links: tuple[str, ...]
    entries: int
    settled: bool  # the directory had not changed for a while when it was listed


class LinkScan:
    """Finds a symbolic link in ``root`` that leads out of it; remembers directory listings.

    ``clock`` gives the time in seconds since the epoch (the file system's
    clock), to tell settled directories from recently changed ones.
    """

    __slots__ = ("_clock", "_listings", "_lock", "max_entries", "root")

    def __init__(
        self, root: Path, *, max_entries: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.root = str(root)
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._listings: dict[str, _Listing] = {}

    def check(self) -> None:
        """Refuse (rule ``root_links``) while the root holds a link leading out of it.

        Refuses (rule ``max_root_entries``) a root too large to check, and
        (rule ``root_links``) a directory in it that cannot be read.
        """
        with self._lock:
            seen: dict[str, _Listing] = {}
            try:
                self._walk(seen)
            except BaseException:
                self._listings.update(seen)  # keep what was read; the walk stopped part-way
                raise
            self._listings = seen  # a whole walk: forget what is gone

    def _walk(self, seen: dict[str, _Listing]) -> None:
        since = int(self._clock() * 1e9) - _SETTLED_NS
        entries = 0
        pending = [self.root]
        while pending:
            checkpoint()
            directory = pending.pop()
            listing = self._listing(directory, since)
            if listing is None:
                continue  # gone, or no longer a directory, since its parent was read
            seen[directory] = listing
            entries += listing.entries
            if entries > self.max_entries:
                raise Refused(
                    "max_root_entries",
                    f"the root holds more than {self.max_entries:,} files and directories, too "
                    "many to check for symbolic links that lead out of it before each command. "
                    "Use a smaller root, or raise max_root_entries.",
                )
            for name in listing.links:
                link = os.path.join(directory, name)
                if not self._inside(os.path.realpath(link)):
                    shown = os.path.relpath(link, self.root)
                    raise Refused(
                        "root_links",
                        f"the root holds a symbolic link that leads out of it: {shown!r}. "
                        "Commands do not run while it exists, because programs that recurse "
                        "(grep -R, cp -r, tar) follow links. Remove the link, or replace it "
                        "with a copy of what it points to.",
                    )
            pending.extend(os.path.join(directory, name) for name in listing.directories)

    def _inside(self, path: str) -> bool:
        root = self.root
        return path == root or path.startswith(root if root.endswith(os.sep) else root + os.sep)

    def _listing(self, directory: str, since: int) -> _Listing | None:
        try:
            info = os.lstat(directory)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISDIR(info.st_mode):
            return None
        stamp = (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)
        known = self._listings.get(directory)
        if known is not None and known.settled and known.stamp == stamp:
            return known
        directories: list[str] = []
        links: list[str] = []
        entries = 0
        try:
            with os.scandir(directory) as found:
                for entry in found:
                    entries += 1
                    if entries % 4096 == 0:
                        checkpoint()
                    if entry.is_symlink():
                        links.append(entry.name)
                    elif entry.is_dir(follow_symlinks=False):
                        directories.append(entry.name)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            shown = os.path.relpath(directory, self.root)
            raise Refused(
                "root_links",
                f"the directory {shown!r} in the root cannot be read ({exc.strerror}), so it "
                "cannot be checked for symbolic links that lead out of the root. Make it "
                "readable, or move it out of the root.",
            ) from None
        settled = max(info.st_mtime_ns, info.st_ctime_ns) < since
        return _Listing(stamp, tuple(directories), tuple(links), entries, settled)
