"""The C ABI under valgrind (``make test-valgrind``): no definite leak, no invalid access, C side.

tests/capi/valgrind_paths.c drives a run with a C tool, a stream, the error statuses and
the ownership rules; it runs under valgrind's memcheck with ``PYTHONMALLOC=malloc`` (so
every Python allocation is valgrind's to see) and CPython's own suppressions. Those come
from Debian's ``python3`` package (``/usr/lib/valgrind/python3.supp``: CPython's
``Misc/valgrind-python.supp``, as Debian ships it), used only when that package is of
this interpreter's Python version. CPython under valgrind is 20-50x slower, so this runs
only when asked (marker ``valgrind``). The reading of the report is checked on its own,
in the ordinary suite, against a report made up here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from llmkit.testing import FakeProviderServer, default_responder

from ._langs import ROOT, which_or_skip
from ._valgrind import c_side, read_findings

PYTHON_SUPPRESSIONS = Path("/usr/lib/valgrind/python3.supp")
PROGRAM_SOURCE = Path(__file__).with_name("valgrind_paths.c")


def _python_suppressions() -> Path:
    """Debian's CPython suppressions, when its python3 package is this interpreter's version."""
    if not PYTHON_SUPPRESSIONS.is_file():
        pytest.fail(f"{PYTHON_SUPPRESSIONS} is missing: `make valgrind` installs Debian's python3")
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "python3"], capture_output=True, text=True
    )
    wanted = f"{sys.version_info[0]}.{sys.version_info[1]}."
    if not done.stdout.startswith(wanted):
        pytest.skip(
            f"Debian's python3 is {done.stdout or 'not installed'}, this interpreter is "
            f"{sys.version.split()[0]}: its suppressions would not match"
        )
    return PYTHON_SUPPRESSIONS


def _memcheck(program: Path, args: list[str], xml: Path, suppressions: Path) -> str:
    valgrind = which_or_skip("valgrind", "make valgrind")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["PYTHONMALLOC"] = "malloc"
    done = subprocess.run(
        [
            valgrind,
            "--tool=memcheck",
            "--leak-check=full",
            "--show-leak-kinds=definite,possible",
            "--num-callers=40",
            f"--suppressions={suppressions}",
            "--xml=yes",
            f"--xml-file={xml}",
            str(program),
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        cwd=ROOT,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.mark.valgrind
def test_the_c_side_has_no_definite_leak_and_no_invalid_access_under_valgrind(
    compile_c: Callable[[Path], Path],
    llmkit_fake_server: FakeProviderServer,
    tmp_path: Path,
) -> None:
    suppressions = _python_suppressions()
    program = compile_c(PROGRAM_SOURCE)
    out = tmp_path
    llmkit_fake_server.script(default_responder)
    xml = out / "memcheck.xml"
    stdout = _memcheck(program, [llmkit_fake_server.openai_base_url], xml, suppressions)
    assert stdout.rstrip().endswith("ok"), stdout
    findings = read_findings(xml.read_text())
    mine = c_side(findings, str(program))
    assert not mine, "\n\n".join(f.describe() for f in mine)

    # The same program keeping one result without llmkit_free: the check sees that string.
    leaky_xml = out / "memcheck-leak.xml"
    _memcheck(program, [llmkit_fake_server.openai_base_url, "leak"], leaky_xml, suppressions)
    leaks = c_side(read_findings(leaky_xml.read_text()), str(program))
    assert len(leaks) == 1, [f.describe() for f in leaks]
    assert leaks[0].kind.startswith("Leak_") and "libllmkit" in leaks[0].owner()


_REPORT = """<?xml version="1.0"?>
<valgrindoutput>
<error><kind>Leak_DefinitelyLost</kind><xwhat><leakedbytes>120</leakedbytes></xwhat>
<stack>
<frame><fn>malloc</fn><obj>/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so</obj></frame>
<frame><fn>strdup</fn><obj>/usr/lib/x86_64-linux-gnu/libc.so.6</obj></frame>
<frame><fn>_cffi_f_llmkit_strdup</fn><obj>/tmp/capi/libllmkit.so</obj></frame>
<frame><fn>_PyEval_EvalFrameDefault</fn><obj>/usr/lib/libpython3.11.so.1.0</obj></frame>
<frame><fn>main</fn><obj>/tmp/prog</obj></frame>
</stack></error>
<error><kind>Leak_DefinitelyLost</kind><xwhat><leakedbytes>64</leakedbytes></xwhat>
<stack>
<frame><fn>malloc</fn><obj>/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so</obj></frame>
<frame><fn>_PyMem_RawMalloc</fn><obj>/usr/lib/libpython3.11.so.1.0</obj></frame>
<frame><fn>main</fn><obj>/tmp/prog</obj></frame>
</stack></error>
<error><kind>InvalidRead</kind>
<stack>
<frame><fn>main</fn><obj>/tmp/prog</obj></frame>
</stack></error>
<error><kind>Leak_PossiblyLost</kind><xwhat><leakedbytes>8</leakedbytes></xwhat>
<stack>
<frame><fn>malloc</fn><obj>/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so</obj></frame>
<frame><fn>_cffi_f_malloc</fn><obj>/tmp/capi/libllmkit.so</obj></frame>
</stack></error>
<error><kind>Leak_PossiblyLost</kind><xwhat><leakedbytes>96</leakedbytes></xwhat>
<stack>
<frame><fn>malloc</fn><obj>/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so</obj></frame>
<frame><fn>cffi_closure_alloc</fn><obj>/x/_cffi_backend.cpython-311-x86_64-linux-gnu.so</obj></frame>
</stack></error>
<error><kind>Leak_StillReachable</kind><xwhat><leakedbytes>4</leakedbytes></xwhat>
<stack>
<frame><fn>malloc</fn><obj>/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so</obj></frame>
<frame><fn>main</fn><obj>/tmp/prog</obj></frame>
</stack></error>
</valgrindoutput>
"""


def test_the_report_reading_blames_the_c_side_for_its_own_allocations_only() -> None:
    findings = read_findings(_REPORT)
    assert [f.kind for f in findings] == [
        "Leak_DefinitelyLost",
        "Leak_DefinitelyLost",
        "InvalidRead",
        "Leak_PossiblyLost",
        "Leak_PossiblyLost",
        "Leak_StillReachable",
    ]
    mine = c_side(findings, "/tmp/prog")
    assert mine == [findings[0], findings[2], findings[3]]
    assert mine[0].bytes == 120
    assert mine[0].owner() == "/tmp/capi/libllmkit.so"
    assert "_cffi_f_llmkit_strdup (libllmkit.so)" in mine[0].describe()
    assert findings[1].owner().endswith("libpython3.11.so.1.0")
    assert mine[1].kind == "InvalidRead"
