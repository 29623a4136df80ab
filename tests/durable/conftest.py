"""Stores for the durable tests: every implementation behind one fixture, and a clock to move by hand.

``store`` is parametrised over every store: in memory, SQLite in a temporary
file, and PostgreSQL on a server these tests start themselves (``pg``
marker), skipped with the reason when PostgreSQL is not installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from llmkit.durable import MemoryStore, PostgresStore, SQLiteStore, Store


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock the ``store`` fixture's store reads."""
    return Clock()


StoreMaker = Callable[..., Store]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.pg)])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreMaker:
    """Makes stores of the parametrised kind; the SQL ones made by one test share their database."""
    kind = request.param
    if kind == "memory":
        return lambda **options: MemoryStore(**options)
    if kind == "sqlite":
        path = tmp_path / "store.db"
        return lambda **options: SQLiteStore(path, **options)
    dsn: str = request.getfixturevalue("pg_dsn")
    return lambda **options: PostgresStore(dsn, **options)


@pytest.fixture
async def store(make_store: StoreMaker, clock: Clock) -> AsyncIterator[Any]:
    """A fresh, empty store of each kind reading ``clock``, closed after the test."""
    made = make_store(clock=clock, stale_after=60)
    try:
        yield made
    finally:
        await made.close()


# ------------------------------------------------------------------ PostgreSQL

_INSTALL = "install it with `apt-get install postgresql` (make test-pg runs these tests)"


def _pg_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` with initdb and pg_ctl, else their folder on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    return _free_port()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server of its own for this test session: the DSN of its ``postgres`` database.

    Started from the machine's PostgreSQL binaries in a temporary folder, as the
    ``postgres`` user when the tests run as root (PostgreSQL refuses root),
    listening on 127.0.0.1; stopped and removed at the end. Skips the tests
    that need it when PostgreSQL is not installed (and fails them instead
    when ``LLMKIT_REQUIRE_PG`` is set, as ``make test-pg`` does).
    """
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed: install llmkit[postgres] (make install-dev does)")
    bin_dir = _pg_bin()
    if bin_dir is None:
        _missing(f"PostgreSQL's initdb and pg_ctl were not found: {_INSTALL}")
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="llmkit-pg-"))
    data = base / "data"
    if as_root:
        shutil.chown(base, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "llmkit",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://llmkit@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def _missing(reason: str) -> None:
    if os.environ.get("LLMKIT_REQUIRE_PG"):
        pytest.fail(f"PostgreSQL is required here (LLMKIT_REQUIRE_PG) but {reason}")
    pytest.skip(f"no PostgreSQL: {reason}")


@pytest.fixture
def pg_dsn(pg_server: str) -> Iterator[str]:
    """A DSN of a fresh, empty database on the test server, dropped after the test."""
    import psycopg

    name = f"test_{os.getpid()}_{_counter()}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


_made = [0]


def _counter() -> int:
    _made[0] += 1
    return _made[0]


# ------------------------------------------------------------ other processes

_CHILD = """
import asyncio, sys
from llmkit.durable import PostgresStore, RunBusyError, SQLiteStore

async def main(where, job):
    store = PostgresStore(where) if where.startswith("postgresql://") else SQLiteStore(where)
    await store.list_runs()  # open the file before the start signal
    print("ready", flush=True)
    sys.stdin.readline()
    if job == "claim":
        try:
            claim, _ = await store.claim_run("r1")
            print("won", claim.token, flush=True)
        except RunBusyError:
            print("busy", flush=True)
    elif job == "append":
        for i in range(25):
            await store.append_session("s", [{"who": sys.argv[3], "i": i}])
        print("done", flush=True)
    elif job == "start":
        await store.start_run("dead", kind="agent", name="a")
        print("done", flush=True)
    sys.stdin.readline()  # stay alive (holding what it claimed) until told to end
    await store.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def _children(where: Path | str, *jobs: tuple[str, ...]) -> list[str]:
    """Start one process per job on the store ``where``, let them go at once; their answers."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(where), *job],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for job in jobs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        answers = []
        for proc in procs:
            assert proc.stdout is not None
            answers.append(proc.stdout.readline().strip())
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.close()
            assert proc.wait(timeout=60) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return answers


@pytest.fixture
def children() -> Callable[..., list[str]]:
    """Runs jobs in other processes on one store, all at once (``children(where, ("claim",), ...)``).

    Jobs: ``("claim",)`` claims run ``r1`` and answers ``won TOKEN`` or ``busy``;
    ``("append", WHO)`` appends 25 messages to session ``s``; ``("start",)``
    starts run ``dead``. Each process stays alive until all have answered.
    """
    return _children
