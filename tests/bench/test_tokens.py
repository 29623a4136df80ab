"""The token counting and trimming study runs every variant and prints its table (no timing is asserted)."""

from __future__ import annotations

import pytest

from bench._tokens import VARIANTS, main, measure


def test_every_variant_is_measured() -> None:
    results = measure(repetitions=1, trims=1)
    assert list(results) == list(VARIANTS)
    assert all(value >= 0 for value in results.values())


def test_the_table_has_a_row_per_variant(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bench._tokens.measure", lambda **_: dict.fromkeys(VARIANTS, 2.0))
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "load average:" in out
    assert "| count 1 MB: llmkit count_tokens | 2.000 | 1.00x |" in out
    assert sum(line.startswith("| ") for line in out.splitlines()) == len(VARIANTS) + 1
