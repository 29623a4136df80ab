"""Nothing of a Ray run leaves loopback: every ``connect`` of every process is traced.

``strace -f -e trace=connect`` follows the driver and every process it starts, Ray's C++
GCS server and raylet, its Python agents and workers included (Python hooks would see none of
the C++ ones). Any connection to an address off loopback fails the test; a second run plants
one (a worker connects a UDP socket to 192.0.2.1) to prove the check catches it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ray

SCRIPT = Path(__file__).parent / "loopback_run.py"
_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def outside_connects(trace: str) -> list[str]:
    """The ``connect`` lines of an strace log whose address is off loopback."""
    found = []
    for line in trace.splitlines():
        if "connect(" not in line:
            continue
        for v4, v6 in _ADDRESS.findall(line):
            address = ipaddress.ip_address(v4 or v6)
            mapped = getattr(address, "ipv4_mapped", None)
            if not (address.is_loopback or (mapped is not None and mapped.is_loopback)):
                found.append(line.strip())
    return found


def traced_run(tmp_path: Path, *args: str) -> tuple[str, str]:
    """Run the script under strace; its stdout and the trace."""
    strace = shutil.which("strace")
    if strace is None:
        if os.geteuid() != 0:
            pytest.skip("strace is missing and installing it needs root (make strace)")
        pytest.fail("strace is missing: make strace installs it (make test does)")
    log = tmp_path / "connect.trace"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ADDRESS")}
    done = subprocess.run(
        [
            strace,
            "-f",
            "-qq",
            "-e",
            "trace=connect",
            "-o",
            str(log),
            sys.executable,
            str(SCRIPT),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, log.read_text()


def test_a_batch_on_a_local_cluster_connects_only_to_loopback(tmp_path: Path) -> None:
    stdout, trace = traced_run(tmp_path)
    assert "done" in stdout
    assert "echo item 5" in stdout
    assert "connect(" in trace  # the trace saw the run's connections
    assert outside_connects(trace) == []


def test_the_check_catches_a_planted_outside_connection(tmp_path: Path) -> None:
    stdout, trace = traced_run(tmp_path, "--plant")
    assert "planted" in stdout
    outside = outside_connects(trace)
    assert outside and all("192.0.2.1" in line for line in outside)
