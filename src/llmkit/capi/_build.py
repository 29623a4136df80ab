"""Building libllmkit.so: cffi writes the embedding library's C source, the system's C compiler builds it.

Guarantees:

- Nothing but a C compiler (``$CC``, else ``cc``) and the Python headers and
  shared libpython of the building interpreter is needed: no setuptools, no
  network.
- The library's exports are exactly the functions between the
  ``llmkit-api-begin`` and ``llmkit-api-end`` lines of ``llmkit.h`` (the header
  shipped beside it), and those are exactly :data:`~llmkit.capi._abi.EXPORTS`;
  a drift between the two fails the build.
- The library runs the environment of the building interpreter (``sys.prefix``)
  unless ``$LLMKIT_PYTHON_ENV`` names another one when it starts; it finds the
  shared libpython through an rpath to the building interpreter's.
- Every failure is a :class:`~llmkit.errors.UsageError` (or
  ``MissingExtraError``) that says what to install or pass.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from llmkit._optional import require
from llmkit._version import __version__
from llmkit.capi._abi import ABI_VERSION, EXPORTS
from llmkit.errors import UsageError

__all__ = ["HEADER", "MODULE", "Built", "api_block", "build"]

HEADER = Path(__file__).with_name("llmkit.h")
"""The header, shipped with the package and copied beside every library built."""

MODULE = "_llmkit_capi"
"""The name of the embedded module cffi makes (what the start-up code imports ``ffi`` from)."""

_BEGIN = "/* llmkit-api-begin"
_END = "/* llmkit-api-end */"
_DECLARED = re.compile(r"^\s*(?:const\s+)?[a-z_]+\s*\*?\s*(llmkit_[a-z_]+)\s*\(", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Built:
    """What :func:`build` made: the shared library and the header beside it."""

    library: Path
    header: Path


def api_block(header: str) -> str:
    """The declarations between the header's ``llmkit-api-begin`` and ``llmkit-api-end`` lines."""
    start, end = header.find(_BEGIN), header.find(_END)
    if start < 0 or end < start:
        raise UsageError("llmkit.h lost its llmkit-api-begin / llmkit-api-end lines.")
    block = header[header.index("\n", start) + 1 : end]
    declared = _DECLARED.findall(block)
    if sorted(declared) != sorted(EXPORTS):
        raise UsageError(
            f"llmkit.h declares {sorted(declared)}, but llmkit.capi._abi.EXPORTS lists "
            f"{sorted(EXPORTS)}: change both together."
        )
    return block


def _python_build_flags() -> tuple[list[str], list[str]]:
    """Compiler and linker flags for this interpreter's headers and shared libpython."""
    include = sysconfig.get_paths()["include"]
    if not Path(include, "Python.h").is_file():
        raise UsageError(
            f"The Python headers are missing (no {include}/Python.h): install them (Debian: "
            "apt-get install python3-dev, or `make capi-deps`), or build with a Python that has them."
        )
    if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        raise UsageError(
            "This Python has no shared libpython (it was built without --enable-shared), and "
            "libllmkit.so embeds one: build with a Python that has libpython3.X.so (Debian's has)."
        )
    libdir = str(sysconfig.get_config_var("LIBDIR"))
    ldversion = str(sysconfig.get_config_var("LDVERSION"))
    return [f"-I{include}"], [f"-L{libdir}", f"-Wl,-rpath,{libdir}", f"-lpython{ldversion}"]


def _boot_code(env: str) -> str:
    source = Path(__file__).with_name("_boot.py").read_text(encoding="utf-8")
    call = (
        f"\nfrom {MODULE} import ffi, lib\n"
        f"boot(ffi, lib, env={env!r}, version={__version__!r}, abi={ABI_VERSION!r}, "
        f"exports={dict(EXPORTS)!r})\n"
    )
    return source + call


def _compiler() -> list[str]:
    command = shlex.split(os.environ.get("CC") or "cc")
    if not command or shutil.which(command[0]) is None:
        raise UsageError(
            f"No C compiler {command[0] if command else ''!r} on PATH: install one (Debian: "
            "apt-get install gcc, or `make capi-deps`), or name it in $CC."
        )
    return command


def build(out: str | os.PathLike[str], *, env: str | None = None) -> Built:
    """Build ``libllmkit.so`` and copy ``llmkit.h`` into the folder ``out`` (made if missing).

    ``env`` is the Python environment the library runs by default (a virtualenv's
    folder; default: this interpreter's ``sys.prefix``). ``$LLMKIT_PYTHON_ENV``
    overrides it when the library starts.
    """
    if sys.maxsize < 2**32:
        raise UsageError("The C ABI needs a 64-bit platform (its handles are 64-bit ids).")
    cffi = require("cffi", extra="capi", feature="Building the C library")
    compiler = _compiler()
    cflags, ldflags = _python_build_flags()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    header = folder / "llmkit.h"
    shutil.copyfile(HEADER, header)
    ffi = cffi.FFI()
    ffi.embedding_api(api_block(HEADER.read_text(encoding="utf-8")))
    ffi.cdef("void *malloc(size_t size); void free(void *ptr);")
    ffi.set_source(MODULE, '#include <stdlib.h>\n#include "llmkit.h"\n')
    ffi.embedding_init_code(_boot_code(env or sys.prefix))
    library = folder / "libllmkit.so"
    with tempfile.TemporaryDirectory(prefix="llmkit-capi-") as tmp:
        source = Path(tmp, f"{MODULE}.c")
        with contextlib.redirect_stdout(io.StringIO()):  # cffi prints "generating <file>"
            ffi.emit_c_code(str(source))
        partial = Path(tmp, "libllmkit.so")
        command = [
            *compiler,
            "-shared",
            "-fPIC",
            "-O2",
            "-fvisibility=hidden",
            f"-I{folder}",
            *cflags,
            str(source),
            "-o",
            str(partial),
            *ldflags,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise UsageError(
                f"The C compiler failed ({shlex.join(command)}):\n{done.stderr.strip()[-4000:]}"
            )
        # Moved into place whole, so a process loading the old library never sees half a file.
        os.replace(partial, library)
    return Built(library=library, header=header)
