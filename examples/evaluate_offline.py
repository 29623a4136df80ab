"""Evaluate an agent with `llmkit eval`, offline: the fake provider server plays the model.

    python examples/evaluate_offline.py

starts llmkit's fake provider server with a stand-in model
(examples/evals/offline_model.py), points the OpenAI protocol at it, and runs

    llmkit eval examples/evals/support.yaml --model openai/gpt-4.1-mini

which prints a table of scores per case (tool trajectory, token F1, ROUGE-1,
LLM judge) and exits with status 1 if a threshold is missed. Against a real
model, run that command yourself with OPENAI_API_KEY set.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from llmkit.cli import main as llmkit_command
from llmkit.testing import FakeProviderServer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "evals"))

from offline_model import reply  # noqa: E402  (beside the eval set, found through the path above)


def main() -> int:
    with FakeProviderServer(reply) as server, tempfile.TemporaryDirectory() as folder:
        print(f"Offline: the model is llmkit's fake provider server at {server.url}.\n")
        os.environ["OPENAI_BASE_URL"] = server.openai_base_url
        os.environ["OPENAI_API_KEY"] = "offline"
        report = Path(folder) / "report.json"
        status = llmkit_command(
            [
                "eval",
                str(HERE / "evals" / "support.yaml"),
                "--model",
                "openai/gpt-4.1-mini",
                "--concurrency",
                "2",
                "--report",
                str(report),
            ]
        )
        print(
            f"\nllmkit eval exited with status {status}; the JSON report has {report.stat().st_size} bytes."
        )
        return status


if __name__ == "__main__":
    sys.exit(main())
