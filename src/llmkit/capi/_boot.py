"""What libllmkit.so runs when its embedded interpreter starts: find the environment, install the exports.

The build copies this module's source into the library twice: followed by a call of
:func:`use_environment`, which ``llmkit.c`` runs as soon as Python starts, and by a call
of :func:`boot`, cffi's start-up code. It imports nothing of llmkit before the
environment is on ``sys.path``. Guarantees:

- The environment is ``$LLMKIT_PYTHON_ENV`` when set, else the one the library
  was built from; its site-packages go first on ``sys.path`` (its ``.pth`` files
  are read, so an editable install works).
- :func:`boot` never raises: when llmkit cannot start (no environment, llmkit
  missing, a Python of another version), every Python twin is defined to
  fail with ``LLMKIT_ERR_INIT`` and the reason as the last error, instead of
  cffi's default of returning 0 (which would read as ``LLMKIT_OK``).
"""

from __future__ import annotations

import contextlib
import os
import site
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ENV_VARIABLE", "boot", "site_dirs", "use_environment"]

ENV_VARIABLE = "LLMKIT_PYTHON_ENV"
"""The environment variable that names the Python environment (a virtualenv's folder) to run."""

_ERR_INIT = 10
_KEEP: list[Any] = []


def site_dirs(env: str) -> list[str]:
    """The site-packages folders of the environment ``env`` for this interpreter's Python version."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    found: list[str] = []
    for lib in ("lib", "lib64"):
        path = os.path.join(env, lib, version, "site-packages")
        if os.path.isdir(path) and os.path.realpath(path) not in map(os.path.realpath, found):
            found.append(path)
    return found


def _use(env: str) -> None:
    dirs = site_dirs(env)
    if not dirs:
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        raise RuntimeError(
            f"no Python {version} environment at {env!r} (no lib/python{version}/site-packages): "
            f"set {ENV_VARIABLE} to a virtual environment of Python {version} where "
            "'llmkit[capi]' is installed"
        )
    before = list(sys.path)
    for path in dirs:
        site.addsitedir(path)
    added = [p for p in sys.path if p not in before]
    sys.path[:] = added + before


def _fallback(ffi: Any, message: str, exports: Mapping[str, str]) -> None:
    text = ffi.new("char[]", message.encode("utf-8", "replace"))
    _KEEP.append(text)
    answers: dict[str, Any] = {"status": _ERR_INIT, "client": ffi.NULL, "void": None, "text": text}
    for name, kind in exports.items():
        ffi.def_extern(name=name)(_constant(answers[kind]))


def _constant(answer: Any) -> Callable[..., Any]:
    def export(*args: Any) -> Any:
        return answer

    return export


def use_environment(env: str) -> None:
    """Put ``$LLMKIT_PYTHON_ENV`` (or ``env``) on ``sys.path``, quietly: :func:`boot` reports failures.

    ``llmkit.c`` runs this right after Python starts, before cffi imports its backend, so
    the environment's cffi serves it. Running it again changes nothing.
    """
    with contextlib.suppress(Exception):  # boot() meets the same failure and explains it
        _use(os.environ.get(ENV_VARIABLE) or env)


def boot(ffi: Any, lib: Any, *, env: str, exports: Mapping[str, str]) -> None:
    """Put the environment on ``sys.path`` and install the exports (see the module's guarantees).

    ``exports`` maps the name of each Python twin to the kind of value it returns.
    """
    chosen = os.environ.get(ENV_VARIABLE) or env
    try:
        _use(chosen)
        from llmkit.capi._exports import install

        install(ffi, lib)
    except BaseException as exc:  # any failure at all must become LLMKIT_ERR_INIT
        message = f"llmkit could not start in {chosen!r}: {type(exc).__name__}: {exc}"
        _fallback(ffi, message, exports)
