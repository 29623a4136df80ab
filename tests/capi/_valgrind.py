"""Reading valgrind's XML report: which errors and definite leaks are on the C side.

The C side is the program under test and libllmkit.so (its C glue, cffi's generated
wrappers) and cffi's backend; the Python side is the embedded interpreter (libpython).
An error belongs where its stack first leaves the allocator and the C library: a
``malloc`` called by the library's glue (``_cffi_f_malloc``: the strings llmkit hands
out) is the C side's, one called by ``PyMem_RawMalloc`` is the interpreter's. The
interpreter is never finalised in an embedding library, so what it holds at exit is its
own business; what the C side loses, and every invalid access it makes, is a failure.

Possible leaks count too, but only for blocks the program or libllmkit.so allocated:
llmkit notes the strings it hands out by address, as Python ints, which valgrind cannot
read as pointers, so a string the caller never frees shows as possibly lost (a stray
interior pointer) rather than definitely lost. cffi's backend keeps callbacks and
cdata for the life of the process behind interior pointers, so its possible leaks are
not counted (its definite ones are).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import PurePath

__all__ = ["Finding", "c_side", "read_findings"]

# Frames that never decide a side: valgrind's replacement allocator and the C library.
_NEUTRAL = ("vgpreload_", "libc.so", "libc-", "ld-linux")
_C_SIDE = ("libllmkit", "_cffi_backend")
_OURS = ("libllmkit",)


@dataclass(frozen=True, slots=True)
class Finding:
    """One error of valgrind's report: its kind, bytes lost (leaks), and its stack as text."""

    kind: str
    bytes: int
    frames: tuple[tuple[str, str], ...]
    """(function, object file) from the innermost frame out."""

    def owner(self) -> str:
        """The object file of the first frame that is neither the allocator nor libc ("" if none)."""
        for _fn, obj in self.frames:
            if not any(name in PurePath(obj).name for name in _NEUTRAL):
                return obj
        return ""

    def describe(self) -> str:
        """The kind, the bytes and the top of the stack, for an assertion message."""
        stack = "\n".join(f"    {fn} ({PurePath(obj).name})" for fn, obj in self.frames[:12])
        return f"{self.kind}, {self.bytes} bytes\n{stack}"


def read_findings(xml_text: str) -> list[Finding]:
    """Every error of a valgrind ``--xml=yes`` report (leaks included)."""
    root = ET.fromstring(xml_text)
    found = []
    for error in root.iter("error"):
        kind = error.findtext("kind", "")
        leaked = error.findtext("xwhat/leakedbytes") or "0"
        stack = error.find("stack")
        frames = tuple(
            (frame.findtext("fn", "?"), frame.findtext("obj", ""))
            for frame in (stack.iter("frame") if stack is not None else ())
        )
        found.append(Finding(kind, int(leaked), frames))
    return found


def c_side(findings: list[Finding], program: str) -> list[Finding]:
    """The findings that belong to the C side (see the module's docstring for the rules).

    Memory still reachable at exit, and blocks lost only through a lost block (indirectly),
    are left out.
    """
    mine = []
    for finding in findings:
        if finding.kind in ("Leak_StillReachable", "Leak_IndirectlyLost"):
            continue
        owner = finding.owner()
        name = PurePath(owner).name
        sides = _OURS if finding.kind == "Leak_PossiblyLost" else _C_SIDE
        if owner == program or any(part in name for part in sides):
            mine.append(finding)
    return mine
