"""The system tools: machine facts without secrets, allow-listed variables, dates and time zones.

python examples/tools_system.py
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from llmkit.tools.builtin import Refused, system


def main() -> None:
    os.environ["APP_REGION"] = "eu-west"
    fixed = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # a pinned clock, so the output is stable
    tools = {t.name: t for t in system(env_allow=["APP_REGION"], clock=lambda: fixed)}
    print("Tools:", ", ".join(tools))
    info = tools["system_info"]()
    print("Keys of system_info:", ", ".join(sorted(info)))
    print("APP_REGION =", tools["get_env"]("APP_REGION"))
    try:
        tools["get_env"]("OPENAI_API_KEY")
    except Refused as exc:
        print(f"[{exc.rule}] {exc}")
    print("Now in Paris:", tools["current_time"]("Europe/Paris")["iso"])
    print(
        "09:00 New York is",
        tools["convert_time"]("2025-03-30T09:00", "Asia/Tokyo", "America/New_York"),
        "in Tokyo",
    )
    print("31 Jan + 1 month:", tools["date_add"]("2025-01-31", months=1))
    print("Days to new year:", tools["date_diff"]("2025-03-30", "2026-01-01")["days"])


if __name__ == "__main__":
    main()
