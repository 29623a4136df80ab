"""The C ABI: ``libllmkit.so`` and ``llmkit.h``, so C, Zig, LuaJIT and any FFI run llmkit agents.

::

    from llmkit.capi import build

    built = build("build/capi")        # or: llmkit capi build --out build/capi; make capi
    built.library, built.header        # link C programs with -lllmkit
    compiler()                         # the C compiler's command ($CC, else cc)

The library embeds Python with cffi's embedding mode; the functions, their
ownership and thread rules are documented in ``llmkit.h`` and ``docs/c-api.md``.
Guarantees of the build are in ``llmkit.capi._build``; those of the running
library in ``llmkit.capi._exports``. Building needs the ``capi`` extra (cffi),
a C compiler and the Python headers; nothing here is imported by ``import llmkit``.
"""

from __future__ import annotations

from llmkit.capi._abi import ABI_VERSION, Status
from llmkit.capi._boot import ENV_VARIABLE
from llmkit.capi._build import HEADER, Built, build, compiler

__all__ = ["ABI_VERSION", "ENV_VARIABLE", "HEADER", "Built", "Status", "build", "compiler"]
