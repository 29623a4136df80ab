"""The C ABI: the agent case run through libllmkit.so, and the boundary's own cost.

- ``capi``: the ``agent`` case's run (one tool call, two model calls) made through
  ``llmkit_run`` with the tool a C function (``get_weather`` compiled here with ``cc``),
  against the same run from Python (``llmkit-python``) and the floors. The worker is a
  Python process, so the library joins its interpreter (cffi's embedding mode uses the
  one that is running) and ``ctypes`` calls it with the interpreter lock released, as a C
  host's thread would; the client CPU counts every thread. Goal: within 1.1x of Python.
- ``python -m bench._capi URL``: a C program (compiled here) against the fake server at
  ``URL`` prints the boundary's cost per call in µs (CPU and wall: a call that enters
  Python and has nothing to do, ``llmkit_cancel`` of an idle client; one that fails in
  Python with a message, ``llmkit_run`` of text that is not JSON) and the CPU per agent
  run from a C host. Print the load average with the figures (``python -m bench capi`` starts the
  server itself; this one is for a server already running).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._llmkit_side import Unavailable
from bench._workload import (
    AGENT_PROMPT,
    API_KEY,
    INSTRUCTIONS,
    MODEL,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_PARAMETERS,
)

__all__ = ["CAPIAgent", "main"]

# The tool, in C: the same result as bench._workload.get_weather("Paris").
_TOOL_C = r"""
#define _POSIX_C_SOURCE 200809L
#include <string.h>
char *get_weather(const char *args_json, void *userdata) {
    (void)args_json;
    (void)userdata;
    return strdup("{\"city\":\"Paris\",\"temperature_c\":18,\"sky\":\"sunny\"}");
}
"""

# The C host: the boundary's cost and the agent run, timed by the process's CPU clock.
_PROBE_C = r"""
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "llmkit.h"

char *get_weather(const char *args_json, void *userdata);

static double now(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *options = argv[1], *schema = argv[2], *request = argv[3];
    int calls = atoi(argv[4]), runs = atoi(argv[5]);
    llmkit_client *client = llmkit_client_new(options);
    if (!client) { fprintf(stderr, "%s\n", llmkit_last_error(NULL)); return 1; }
    if (llmkit_tool_register(client, "get_weather", schema, get_weather, NULL) != LLMKIT_OK) {
        fprintf(stderr, "%s\n", llmkit_last_error(client)); return 1;
    }
    int sink = 0;
    for (int i = 0; i < calls / 10; i++) sink += llmkit_cancel(client);
    double cpu = now(CLOCK_PROCESS_CPUTIME_ID), wall = now(CLOCK_MONOTONIC);
    for (int i = 0; i < calls; i++) sink += llmkit_cancel(client);
    printf("cancel_cpu_us %f\ncancel_wall_us %f\n",
           (now(CLOCK_PROCESS_CPUTIME_ID) - cpu) / calls * 1e6,
           (now(CLOCK_MONOTONIC) - wall) / calls * 1e6);
    char *out = NULL;
    int bad = calls / 10;
    cpu = now(CLOCK_PROCESS_CPUTIME_ID), wall = now(CLOCK_MONOTONIC);
    for (int i = 0; i < bad; i++) sink += llmkit_run(client, "{not json", &out);
    printf("failed_run_cpu_us %f\nfailed_run_wall_us %f\n",
           (now(CLOCK_PROCESS_CPUTIME_ID) - cpu) / bad * 1e6,
           (now(CLOCK_MONOTONIC) - wall) / bad * 1e6);
    for (int i = 0; i < runs / 5 + 1; i++) {
        if (llmkit_run(client, request, &out) != LLMKIT_OK) {
            fprintf(stderr, "%s\n", llmkit_last_error(client)); return 1;
        }
        llmkit_free(out);
    }
    cpu = now(CLOCK_PROCESS_CPUTIME_ID), wall = now(CLOCK_MONOTONIC);
    for (int i = 0; i < runs; i++) {
        if (llmkit_run(client, request, &out) != LLMKIT_OK) {
            fprintf(stderr, "%s\n", llmkit_last_error(client)); return 1;
        }
        if (!strstr(out, "\"output\"")) { fprintf(stderr, "no output\n"); return 1; }
        llmkit_free(out);
    }
    printf("agent_run_cpu_ms %f\nagent_run_wall_ms %f\n",
           (now(CLOCK_PROCESS_CPUTIME_ID) - cpu) / runs * 1e3,
           (now(CLOCK_MONOTONIC) - wall) / runs * 1e3);
    llmkit_client_free(client);
    return sink == 42 ? 2 : 0;
}
"""


def _options(base_url: str) -> str:
    return json.dumps(
        {
            "model": f"openai/{MODEL}",
            "base_url": base_url + "/v1",
            "api_key": API_KEY,
            "instructions": INSTRUCTIONS,
        }
    )


def _schema() -> str:
    return json.dumps({**TOOL_PARAMETERS, "description": TOOL_DESCRIPTION})


def _request() -> str:
    return json.dumps({"input": AGENT_PROMPT})


def _compiler() -> list[str]:
    from llmkit.capi import compiler
    from llmkit.errors import UsageError

    try:
        return compiler()
    except UsageError as exc:
        raise Unavailable(str(exc)) from None


def _build(folder: Path) -> Path:
    """libllmkit.so and llmkit.h built into ``folder``, with the C tool beside them."""
    try:
        from llmkit.capi import build
    except ImportError as exc:
        raise Unavailable(f"llmkit has no C ABI yet ({exc})") from None
    built = build(folder)
    tool_c = folder / "tool.c"
    tool_c.write_text(_TOOL_C)
    subprocess.run(
        [*_compiler(), "-O2", "-shared", "-fPIC", "-o", str(folder / "libtool.so"), str(tool_c)],
        check=True,
    )
    return built.library


class CAPIAgent:
    """The agent run through ``llmkit_run``: one client, a C tool, the result read and freed."""

    LOOP_BOUND = False
    """One runner serves any event loop: the library keeps its own."""

    def __init__(self, base_url: str) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="llmkit-bench-capi-"))
        library = _build(self._folder)
        # RTLD_GLOBAL, as a host that embeds Python must: extension modules find libpython.
        lib = ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)
        tool = ctypes.CDLL(str(self._folder / "libtool.so"))
        lib.llmkit_client_new.restype = ctypes.c_void_p
        lib.llmkit_client_new.argtypes = [ctypes.c_char_p]
        lib.llmkit_client_free.argtypes = [ctypes.c_void_p]
        lib.llmkit_tool_register.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.llmkit_run.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_void_p),
        ]
        lib.llmkit_last_error.restype = ctypes.c_char_p
        lib.llmkit_last_error.argtypes = [ctypes.c_void_p]
        lib.llmkit_free.argtypes = [ctypes.c_void_p]
        self._lib = lib
        self._client = lib.llmkit_client_new(_options(base_url).encode())
        if not self._client:
            raise RuntimeError(lib.llmkit_last_error(None).decode())
        fn = ctypes.cast(tool.get_weather, ctypes.c_void_p)
        status = lib.llmkit_tool_register(
            self._client, TOOL_NAME.encode(), _schema().encode(), fn, None
        )
        if status:
            raise RuntimeError(lib.llmkit_last_error(self._client).decode())
        self._request = _request().encode()
        self._out = ctypes.c_void_p()

    async def run(self) -> None:
        lib = self._lib
        if lib.llmkit_run(self._client, self._request, ctypes.byref(self._out)):
            raise RuntimeError(lib.llmkit_last_error(self._client).decode())
        try:
            if b'"output"' not in ctypes.string_at(self._out):
                raise RuntimeError("no output")
        finally:
            lib.llmkit_free(self._out)

    async def aclose(self) -> None:
        self._lib.llmkit_client_free(self._client)
        shutil.rmtree(self._folder, ignore_errors=True)


def probe(base_url: str, *, calls: int = 100_000, runs: int = 200) -> dict[str, float]:
    """Compile and run the C host against the server at ``base_url``; its figures."""
    with tempfile.TemporaryDirectory(prefix="llmkit-bench-capi-") as name:
        folder = Path(name)
        _build(folder)
        probe_c = folder / "probe.c"
        probe_c.write_text(_PROBE_C)
        program = folder / "probe"
        subprocess.run(
            [
                *_compiler(),
                "-O2",
                f"-I{folder}",
                "-o",
                str(program),
                str(probe_c),
                f"-L{folder}",
                "-lllmkit",
                "-ltool",
                f"-Wl,-rpath,{folder}",
            ],
            check=True,
        )
        done = subprocess.run(
            [str(program), _options(base_url), _schema(), _request(), str(calls), str(runs)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the C probe failed ({done.returncode}): {done.stderr.strip()}")
    figures = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        figures[key] = float(value)
    return figures


def main(argv: list[str] | None = None) -> None:
    """Print the C host's figures (see the module docstring) with the load average."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        raise SystemExit("usage: python -m bench._capi BASE_URL (the fake server's, without /v1)")
    figures = probe(args[0])
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"llmkit_cancel of an idle client (into Python and back, nothing to do): "
        f"{figures['cancel_cpu_us']:.2f} µs CPU, {figures['cancel_wall_us']:.2f} µs wall"
    )
    print(
        f"llmkit_run of text that is not JSON (fails in Python, message kept): "
        f"{figures['failed_run_cpu_us']:.2f} µs CPU, {figures['failed_run_wall_us']:.2f} µs wall"
    )
    print(
        f"agent run from a C host: {figures['agent_run_cpu_ms']:.3f} ms CPU, "
        f"{figures['agent_run_wall_ms']:.3f} ms wall"
    )


if __name__ == "__main__":
    main()
