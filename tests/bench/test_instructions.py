"""The instruction counter's own parts (the counted runs need valgrind and minutes)."""

from __future__ import annotations

import pytest

from bench._instructions import collected, main


def test_the_count_is_the_last_one_callgrind_reports() -> None:
    stderr = "==1== Events    : Ir\n==1== Collected : 12345\n==1==\n==1== I   refs:      12,345\n"
    assert collected(stderr) == 12345
    with pytest.raises(RuntimeError, match="no count"):
        collected("==1== valgrind: failed to start tool\n")


def test_an_unknown_case_is_named_with_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-case"]) == 2
    err = capsys.readouterr().err
    assert "no-such-case" in err and "agent-stream" in err
