"""Building libllmkit.so: cffi writes the embedding library's C source, the system's C compiler builds it.

Guarantees:

- Nothing but a C compiler (:func:`compiler`: ``$CC``, else ``cc``) and the Python headers and
  shared libpython of the building interpreter is needed: no setuptools, no
  network.
- The library's exports are exactly the functions between the
  ``llmkit-api-begin`` and ``llmkit-api-end`` lines of ``llmkit.h`` (the header
  shipped beside it), written in ``llmkit.c``; those are exactly
  :data:`~llmkit.capi._abi.EXPORTS` and ``C_ONLY``, and each of ``EXPORTS`` gets
  a Python twin with the header's signature (cffi's ``extern "Python"``): a drift
  fails the build.
- The library is linked ``-z nodelete``: once loaded, it stays until the
  process ends (``dlclose`` does not unload it).
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
from llmkit.capi._abi import C_ONLY, EXPORTS, twin
from llmkit.errors import UsageError

__all__ = ["HEADER", "MODULE", "Built", "api_block", "build", "cffi_declarations", "compiler"]

HEADER = Path(__file__).with_name("llmkit.h")
"""The header, shipped with the package and copied beside every library built."""

MODULE = "_llmkit_capi"
"""The name of the embedded module cffi makes (what the start-up code imports ``ffi`` from)."""

_BEGIN = "/* llmkit-api-begin"
_END = "/* llmkit-api-end */"
_DECLARATION = re.compile(
    r"^(?P<returns>(?:const\s+)?\w+\s*\*?)\s*(?P<name>llmkit_\w+)\((?P<params>[^;]*)\);",
    re.MULTILINE,
)


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
    declared = sorted(m["name"] for m in _DECLARATION.finditer(block))
    if declared != sorted([*EXPORTS, *C_ONLY]):
        raise UsageError(
            f"llmkit.h declares {declared}, but llmkit.capi._abi lists "
            f"{sorted([*EXPORTS, *C_ONLY])}: change both together."
        )
    return block


def cffi_declarations(block: str) -> str:
    """``block`` for cffi: its types, and each function of ``EXPORTS`` as its Python twin
    (``extern "Python"``, which cffi writes in C); the functions of ``C_ONLY`` left out."""

    def turn(match: re.Match[str]) -> str:
        if match["name"] in C_ONLY:
            return ""
        return f'extern "Python" {match["returns"]} {twin(match["name"])}({match["params"]});'

    return _DECLARATION.sub(turn, block)


def _twin_prototypes(block: str) -> str:
    """The C prototypes of the Python twins, for llmkit.c (cffi defines them after it)."""
    return "\n".join(
        f"static {m['returns']} {twin(m['name'])}({' '.join(m['params'].split())});"
        for m in _DECLARATION.finditer(block)
        if m["name"] not in C_ONLY
    )


def _c_string(text: str) -> str:
    """``text`` as a C string literal, one source line per line of it."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return "\n".join(f'"{line}\\n"' for line in escaped.split("\n"))


def _build_header(block: str, env: str) -> str:
    """``_llmkit_build.h``: what llmkit.c takes from the build."""
    boot = Path(__file__).with_name("_boot.py").read_text(encoding="utf-8")
    code = f"{boot}\nuse_environment({env!r})\n"
    return (
        f'#define LLMKIT_VERSION_TEXT "{__version__}"\n'
        f"static const char LLMKIT_BOOT_CODE[] =\n{_c_string(code)};\n"
        f"{_twin_prototypes(block)}\n"
    )


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
    exports = {twin(name): kind for name, kind in EXPORTS.items()}
    return f"{source}\nfrom {MODULE} import ffi, lib\nboot(ffi, lib, env={env!r}, exports={exports!r})\n"


def compiler() -> list[str]:
    """The C compiler's command: ``$CC`` (split as a shell would), else ``cc``.

    :class:`UsageError` when it is not on ``PATH``, saying what to install. The
    build, the tests and the benchmarks of the C ABI all use this one.
    """
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
    cc = compiler()
    cflags, ldflags = _python_build_flags()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    header = folder / "llmkit.h"
    shutil.copyfile(HEADER, header)
    block = api_block(HEADER.read_text(encoding="utf-8"))
    environment = env or sys.prefix
    ffi = cffi.FFI()
    ffi.embedding_api("")  # the exports are llmkit.c's; cffi gives their Python twins
    ffi.cdef(cffi_declarations(block))
    ffi.cdef("void *malloc(size_t size); void free(void *ptr);")
    ffi.cdef("void llmkit_set_running(int running);")  # llmkit.c's fork gate
    glue = Path(__file__).with_name("llmkit.c").read_text(encoding="utf-8")
    ffi.set_source(MODULE, f'#include "llmkit.h"\n#include "_llmkit_build.h"\n{glue}')
    ffi.embedding_init_code(_boot_code(environment))
    library = folder / "libllmkit.so"
    with tempfile.TemporaryDirectory(prefix="llmkit-capi-") as tmp:
        Path(tmp, "_llmkit_build.h").write_text(_build_header(block, environment), encoding="utf-8")
        source = Path(tmp, f"{MODULE}.c")
        with contextlib.redirect_stdout(io.StringIO()):  # cffi prints "generating <file>"
            ffi.emit_c_code(str(source))
        partial = Path(tmp, "libllmkit.so")
        command = [
            *cc,
            "-shared",
            "-fPIC",
            "-O2",
            "-fvisibility=hidden",
            # dlclose never unloads the library: a worker thread may still be returning
            # from a tool callback into its code.
            "-Wl,-z,nodelete",
            f"-I{folder}",
            f"-I{tmp}",
            *cflags,
            str(source),
            "-o",
            str(partial),
            *ldflags,
            "-ldl",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise UsageError(
                f"The C compiler failed ({shlex.join(command)}):\n{done.stderr.strip()[-4000:]}"
            )
        # Moved into place whole, so a process loading the old library never sees half a file.
        os.replace(partial, library)
    return Built(library=library, header=header)
