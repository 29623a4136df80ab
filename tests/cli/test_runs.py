"""``llmkit runs list|show|delete|resume`` on a SQLite store: output, errors and exit statuses."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from llmkit.cli import main
from llmkit.durable import SQLiteStore


async def _fill(path: Path) -> None:
    store = SQLiteStore(path, clock=lambda: 1_700_000_000.0)
    claim = await store.start_run("article-42", kind="workflow", name="article")
    await store.checkpoint(
        claim,
        {"state": {"topic": "tides", "notes": "x" * 100}, "steps/done": ["research", "draft"]},
        steps=2,
        usage={"input_tokens": 120, "output_tokens": 30, "requests": 2},
    )
    await store.finish_run(claim, status="failed", error="the model\nrefused")
    done = await store.start_run("chat-1", kind="agent", name="helper")
    await store.finish_run(done, status="finished", result={"output": "Hi"})
    await store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "runs.db"
    asyncio.run(_fill(path))
    return path


def test_list_prints_a_table_of_the_runs(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "list", "--store", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "KIND", "NAME", "STATUS", "STARTED", "STEPS", "TOKENS"]
    assert {line.split()[0] for line in lines[1:]} == {"article-42", "chat-1"}
    row = next(line.split() for line in lines if line.startswith("article-42"))
    assert row[1:4] == ["workflow", "article", "failed"]
    assert row[-2:] == ["2", "150"]


def test_list_filters_and_prints_json_and_reads_the_store_from_the_environment(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMKIT_STORE", str(db))
    assert main(["runs", "list", "--kind", "agent", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["status"], r["result"]) for r in runs] == [
        ("chat-1", "finished", {"output": "Hi"})
    ]


def test_show_prints_the_run_and_a_summary_of_its_checkpoints(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "show", "article-42", "--store", str(db)]) == 0
    out = capsys.readouterr().out
    assert "status    failed" in out and "error     the model refused" in out
    assert "tokens    150" in out and "checkpoints (2)" in out
    assert "  state: object of 2 keys: topic, notes" in out
    assert "  steps/done: list of 2 items" in out


def test_show_json_holds_everything(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "show", "article-42", "--store", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["checkpoints"]["state"] == {"topic": "tides", "notes": "x" * 100}
    assert data["usage"]["input_tokens"] == 120 and data["error"] == "the model\nrefused"


def test_delete_removes_a_run_and_an_unknown_one_exits_1(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "delete", "chat-1", "--store", str(db)]) == 0
    assert "Deleted run 'chat-1'" in capsys.readouterr().out
    assert main(["runs", "delete", "chat-1", "--store", str(db)]) == 1
    assert "No run 'chat-1' is stored" in capsys.readouterr().err
    assert main(["runs", "show", "chat-1", "--store", str(db)]) == 1


def test_without_a_store_or_with_a_missing_file_the_command_line_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLMKIT_STORE", raising=False)
    assert main(["runs", "list"]) == 2
    assert "--store runs.db" in capsys.readouterr().err
    missing = tmp_path / "typo.db"
    assert main(["runs", "list", "--store", str(missing)]) == 2
    assert "no file" in capsys.readouterr().err
    assert not missing.exists()


def test_a_damaged_store_exits_1_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite" * 100)
    assert main(["runs", "list", "--store", str(bad)]) == 1
    assert str(bad) in capsys.readouterr().err


APP = """
class Resumable:
    def __init__(self):
        self.calls = []

    async def resume(self, run_id, *, store):
        runs = await store.list_runs()
        return Result(f"resumed {run_id} from {len(runs)} stored runs")


class Result:
    def __init__(self, output):
        self.output = output

    def to_dict(self):
        return {"output": self.output}


app = Resumable()
not_resumable = 42
"""


def test_resume_calls_the_app_s_resume_with_the_store_and_prints_the_output(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.py").write_text(APP)
    app = f"{tmp_path / 'app.py'}:app"
    assert main(["runs", "resume", "article-42", "--app", app, "--store", str(db)]) == 0
    assert capsys.readouterr().out == "resumed article-42 from 2 stored runs\n"
    assert main(["runs", "resume", "article-42", "--app", app, "--store", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "output": "resumed article-42 from 2 stored runs"
    }


def test_resume_refuses_unknown_finished_runs_and_apps_without_resume(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.py").write_text(APP)
    app = f"{tmp_path / 'app.py'}:app"
    assert main(["runs", "resume", "nope", "--app", app, "--store", str(db)]) == 1
    assert "No run 'nope'" in capsys.readouterr().err
    assert main(["runs", "resume", "chat-1", "--app", app, "--store", str(db)]) == 1
    assert "already finished" in capsys.readouterr().err
    other = f"{tmp_path / 'app.py'}:not_resumable"
    assert main(["runs", "resume", "article-42", "--app", other, "--store", str(db)]) == 2
    assert "has no resume()" in capsys.readouterr().err
    (tmp_path / "broken.py").write_text("raise RuntimeError('import-time failure')\n")
    broken = f"{tmp_path / 'broken.py'}:app"
    assert main(["runs", "resume", "article-42", "--app", broken, "--store", str(db)]) == 3
    assert main(["runs", "resume", "article-42", "--store", str(db)]) == 2


# A made-up key in the shape the redaction nets look for, built so no key-shaped literal is committed.
KEY = "sk-" + "not-a-real-key-" + "x" * 16


def _leak(state: object) -> None:
    raise RuntimeError(f"key {KEY}")


def test_a_failed_workflow_s_stored_errors_never_hold_a_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from llmkit.workflow import sequence, step

    path = tmp_path / "runs.db"

    async def run() -> None:
        store = SQLiteStore(path)
        kept = sequence(step(_leak, on_error="continue"), name="kept")
        await kept.run({}, store=store, run_id="kept")
        failed = sequence(step(_leak), name="failed")
        with pytest.raises(Exception, match="key"):
            await failed.run({}, store=store, run_id="failed")
        await store.close()

    asyncio.run(run())
    assert KEY.encode() not in path.read_bytes()
    for run_id in ("kept", "failed"):
        for extra in ([], ["--json"]):
            assert main(["runs", "show", run_id, "--store", str(path), *extra]) == 0
            out = capsys.readouterr().out
            assert KEY not in out
            assert "[redacted]" in out or not extra


def test_delete_refuses_a_run_a_live_process_holds_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.db"

    async def hold() -> None:
        store = SQLiteStore(path)
        await store.start_run("held", kind="workflow", name="article")
        await store.close()

    asyncio.run(hold())
    assert main(["runs", "delete", "held", "--store", str(path)]) == 1
    err = capsys.readouterr().err
    assert "held by a live process" in err and "--force" in err
    assert main(["runs", "show", "held", "--store", str(path)]) == 0
    capsys.readouterr()
    assert main(["runs", "delete", "held", "--store", str(path), "--force"]) == 0
    assert "Deleted run 'held'" in capsys.readouterr().out


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_keyword_dsn_is_a_postgres_store_and_its_password_is_never_printed(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("psycopg_pool")
    dsn = f"host=127.0.0.1 port={_closed_port()} user=u password=s3cretK dbname=x"
    assert main(["runs", "list", "--store", dsn, "--json"]) == 1
    captured = capsys.readouterr()
    assert "s3cretK" not in captured.out + captured.err
    assert "PostgreSQL store at" in captured.err and "Cannot connect" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert not [r for r in caplog.records if r.name.startswith("psycopg")]


def test_a_store_that_is_neither_file_nor_dsn_is_named_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["runs", "list", "--store", "postgresq://me:s3cretK@db/x"]) == 2
    err = capsys.readouterr().err
    assert "no file" in err and "s3cretK" not in err and "me:***@db" in err
