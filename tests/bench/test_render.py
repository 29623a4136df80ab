"""The prompt rendering study runs every variant and prints its table (no timing is asserted)."""

from __future__ import annotations

import pytest

from bench._render import VARIANTS, main, measure


def test_every_variant_is_measured() -> None:
    results = measure(repetitions=1, renders=3)
    assert list(results) == list(VARIANTS)
    assert all(value >= 0 for value in results.values())


def test_the_table_has_a_row_per_variant(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bench._render.measure", lambda **_: dict.fromkeys(VARIANTS, 2.0))
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "load average:" in out
    assert "| short: llmkit Prompt.render | 2.00 | 1.00x |" in out
    assert sum(line.startswith("| ") for line in out.splitlines()) == len(VARIANTS) + 1
