"""The system family: machine facts without secrets, allow-listed variables, dates and zones."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import pytest

from llmkit.errors import ToolError, UsageError
from llmkit.tools import Tool
from llmkit.tools.builtin import Refused, system

FIXED = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)


def tools(**options: Any) -> dict[str, Tool[..., Any]]:
    return {t.name: t for t in system(clock=lambda: FIXED, **options)}


def test_the_toolset() -> None:
    assert list(tools()) == ["system_info", "current_time", "convert_time", "date_add", "date_diff"]
    assert "get_env" in tools(env_allow=["HOME"])


def test_system_info_holds_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY", "sk-very-secret")
    info = tools()["system_info"]()
    assert info["cpu_count"] == os.cpu_count()
    assert info["python"].count(".") == 2
    assert info["memory_total_bytes"] > 0
    text = json.dumps(info)
    assert "sk-very-secret" not in text and os.uname().nodename not in text


def test_get_env_reads_only_allowed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_REGION", "eu")
    monkeypatch.setenv("API_KEY", "sk-very-secret")
    get_env = tools(env_allow=["APP_REGION", "UNSET_VAR"])["get_env"]
    assert get_env("APP_REGION") == "eu"
    assert get_env("UNSET_VAR") is None
    with pytest.raises(Refused) as caught:
        get_env("API_KEY")
    assert caught.value.rule == "allow_env"
    assert "sk-very-secret" not in str(caught.value)
    with pytest.raises(UsageError):
        system(env_allow="API_KEY")


def test_time_and_zones() -> None:
    t = tools()
    assert t["current_time"]("Europe/Paris") == {
        "iso": "2025-03-30T01:30:00+01:00",
        "timezone": "Europe/Paris",
        "weekday": "Sunday",
        "utc_offset": "+0100",
    }
    # Across the spring-forward change in Paris (02:00 -> 03:00 on 2025-03-30).
    assert t["convert_time"]("2025-03-30T01:30", "Europe/Paris") == "2025-03-30T03:30:00+02:00"
    assert (
        t["convert_time"]("2025-03-30T09:00", "UTC", "America/New_York")
        == "2025-03-30T13:00:00+00:00"
    )
    assert t["convert_time"]("2025-01-01T00:00:00Z", "Asia/Tokyo") == "2025-01-01T09:00:00+09:00"


def test_date_arithmetic() -> None:
    t = tools()
    assert t["date_add"]("2025-01-31", months=1) == "2025-02-28"
    assert t["date_add"]("2024-02-29", years=1) == "2025-02-28"
    assert t["date_add"]("2025-03-01", days=-1) == "2025-02-28"
    assert t["date_add"]("2025-03-01T10:00", hours=20) == "2025-03-02T06:00:00"
    assert t["date_diff"]("2025-01-01", "2025-03-01") == {
        "days": 59.0,
        "total_seconds": 59 * 86400.0,
        "text": "59 days, 0:00:00",
    }
    assert t["date_diff"]("2025-01-02", "2025-01-01")["days"] == -1.0


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("current_time", ("Mars/Olympus",), "Unknown time zone"),
        ("convert_time", ("yesterday", "UTC"), "Cannot read 'yesterday'"),
        ("date_add", ("9999-12-31",), None),
        ("date_add", ("9999-12-01",), "outside the years"),
    ],
)
def test_bad_input_is_a_tool_error(tool: str, args: tuple[str, ...], message: str | None) -> None:
    t = tools()
    if message is None:
        assert t[tool](*args) == "9999-12-31"
        return
    with pytest.raises(ToolError, match=message):
        t[tool](*args, months=1) if tool == "date_add" else t[tool](*args)
