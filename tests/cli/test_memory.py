"""``llmkit memory add|search|stats``: files into a store with progress, search, stats, refusals."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from llmkit.cli import main


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tides.md").write_text(
        "# Tides\nThe Moon's gravity pulls the oceans, raising tides.\n\n"
        "## Spring tides\nThe highest tides come at new and full moon.\n",
        encoding="utf-8",
    )
    (folder / "volcanoes.txt").write_text("Volcanoes erupt molten rock called lava.\n")
    (folder / "image.png").write_bytes(b"\x89PNG not text")
    return folder


def test_add_search_and_stats_over_a_folder(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "kb.db")
    assert (
        main(["memory", "add", store, str(docs), "--embedder", "local", "--progress", "plain"]) == 0
    )
    out, err = capsys.readouterr()
    assert out == f"added 3 chunks from 2 files to {store} (3 items in all)\n"
    assert "embedded 3/3" in err
    # Adding the same files again replaces their chunks.
    assert main(["memory", "add", store, str(docs), "--progress", "off"]) == 0
    assert "(3 items in all)" in capsys.readouterr().out
    assert main(["memory", "search", store, "What makes lava?", "-k", "1", "--json"]) == 0
    (hit,) = json.loads(capsys.readouterr().out)
    assert hit["id"] == f"{docs.as_posix()}/volcanoes.txt#0"
    assert hit["metadata"] == {"source": f"{docs.as_posix()}/volcanoes.txt", "start": 0}
    tides = f"{docs.as_posix()}/tides.md"
    assert main(["memory", "search", store, "lava", "--where", f"source={tides}"]) == 0
    out = capsys.readouterr().out
    assert "volcanoes" not in out and "(Tides > Spring tides)" in out
    assert main(["memory", "stats", store, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["items"] == 3 and stats["embedder"] == "local/all-MiniLM-L6-v2"
    assert stats["dimension"] == 384 and stats["fields"] == ["heading", "source", "start"]
    assert len(stats["sources"]) == 2


def test_the_progress_bar_goes_to_stderr(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "kb.db")
    assert (
        main(["memory", "add", store, str(docs), "--embedder", "local", "--progress", "bar"]) == 0
    )
    out, err = capsys.readouterr()
    assert out.startswith("added 3 chunks") and "3/3" in err


def test_refusals_have_their_exit_statuses(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "kb.db")
    assert main(["memory", "search", store, "x"]) == 2
    assert "No store file" in capsys.readouterr().err
    assert main(["memory", "add", store, str(docs)]) == 2  # a new store needs --embedder
    assert "pass embedder=" in capsys.readouterr().err
    assert main(["memory", "add", store, str(tmp_path / "missing.md"), "--embedder", "local"]) == 2
    assert main(["memory", "add", store, str(docs), "--embedder", "local"]) == 0
    capsys.readouterr()
    assert main(["memory", "search", store, "x", "--where", "sorce=a"]) == 2
    assert "'sorce'" in capsys.readouterr().err
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 100)
    assert main(["memory", "stats", str(bad)]) == 1
    assert "bad.db is not a readable llmkit vector store" in capsys.readouterr().err


def test_chunks_sized_in_tokens(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tiktoken")
    from llmkit.memory import SQLiteVectorStore, count_tokens

    store = str(tmp_path / "kb.db")
    args = ["memory", "add", store, str(docs), "--embedder", "local", "--progress", "off"]
    assert main([*args, "--chunk-tokens", "8", "--overlap", "0"]) == 0
    assert capsys.readouterr().out.startswith("added 6 chunks from 2 files")
    kept = SQLiteVectorStore(store)
    texts = [hit.text for hit in asyncio.run(kept.get(kept.ids()))]
    kept.close_sync()
    assert len(texts) == 6 and all(count_tokens("openai/gpt-4.1-mini", t) <= 8 for t in texts)
    assert main([*args, "--chunk-tokens", "8", "--size", "100"]) == 2
    assert "not both" in capsys.readouterr().err


def test_a_file_added_again_after_it_shrank_keeps_no_old_chunks(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "kb.db")
    tides = docs / "tides.md"
    assert (
        main(["memory", "add", store, str(docs), "--embedder", "local", "--progress", "off"]) == 0
    )
    assert "(3 items in all)" in capsys.readouterr().out
    tides.write_text("# Tides\nThe Moon pulls the oceans.\n", encoding="utf-8")
    assert main(["memory", "add", store, str(tides), "--progress", "off"]) == 0
    assert "added 1 chunk from 1 file" in capsys.readouterr().out
    assert main(["memory", "search", store, "new and full moon", "-k", "5", "--json"]) == 0
    ids = sorted(hit["id"] for hit in json.loads(capsys.readouterr().out))
    assert ids == [f"{tides.as_posix()}#0", f"{docs.as_posix()}/volcanoes.txt#0"]
    tides.write_text("", encoding="utf-8")
    assert main(["memory", "add", store, str(tides), "--progress", "off"]) == 0
    assert "(1 item in all)" in capsys.readouterr().out
