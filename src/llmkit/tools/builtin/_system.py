"""The system family: what machine this is, allowed environment variables, dates and times.

::

    from llmkit.tools.builtin import system

    tools = system()                                  # info, clock, time zones, date arithmetic
    tools = system(env_allow=["APP_REGION"])          # plus get_env for that variable only

``system_info`` tells the OS, Python, CPU count and memory, and nothing that
identifies a person or holds a secret (no host name, user or environment).
``get_env`` reads only the variables the caller allowed. Times use IANA zone
names through :mod:`zoneinfo`.
"""

from __future__ import annotations

import calendar
import os
import platform
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from llmkit.errors import ToolError, UsageError
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._policy import Refused

__all__ = ["system"]

_Zone = Annotated[str, Field(description="An IANA time zone, e.g. 'Europe/Paris' or 'UTC'.")]
_When = Annotated[
    str,
    Field(description="An ISO 8601 date or date-time, e.g. '2025-03-01' or '2025-03-01T09:30'."),
]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolError(
            f"Unknown time zone {name!r}; use an IANA name such as 'Europe/Paris', "
            "'America/New_York' or 'UTC'."
        ) from None


def _parse(text: str, zone: ZoneInfo | None = None) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(
            f"Cannot read {text!r} as a date; use ISO 8601, e.g. '2025-03-01T09:30:00'."
        ) from None
    if value.tzinfo is None and zone is not None:
        value = value.replace(tzinfo=zone)
    return value


def _is_date_only(text: str) -> bool:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _add_months(value: datetime, months: int) -> datetime:
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ToolError("The date would fall outside the years 1 to 9999.")
    day = min(value.day, calendar.monthrange(year, month + 1)[1])  # 31 Jan + 1 month: 28/29 Feb
    return value.replace(year=year, month=month + 1, day=day)


def _memory() -> dict[str, int]:
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        total = os.sysconf("SC_PHYS_PAGES") * page
        available = os.sysconf("SC_AVPHYS_PAGES") * page
    except (AttributeError, ValueError, OSError):
        return {}
    return {"memory_total_bytes": total, "memory_available_bytes": available}


def system(
    *,
    env_allow: Iterable[str] = (),
    clock: Callable[[], datetime] | None = None,
) -> list[Tool[..., Any]]:
    """The system tools; ``get_env`` is included when ``env_allow`` names variables.

    ``clock`` returns the current time (timezone-aware); give one to pin the
    time in tests and demos.
    """
    allowed = tuple(env_allow)
    if isinstance(env_allow, str):
        raise UsageError("env_allow= takes a list of variable names, not one string.")
    now = clock or (lambda: datetime.now(UTC))

    def system_info() -> dict[str, Any]:
        """The operating system, Python version, CPU count and memory of this machine."""
        return {
            "os": platform.system(),
            "os_release": platform.release(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "python_implementation": platform.python_implementation(),
            "cpu_count": os.cpu_count(),
            **_memory(),
        }

    def get_env(name: str) -> str | None:
        if name not in allowed:
            raise Refused(
                "allow_env",
                f"{name!r} is not an allowed environment variable (allowed: {', '.join(allowed)}).",
            )
        return os.environ.get(name)

    def current_time(timezone: _Zone = "UTC") -> dict[str, Any]:
        """The current date and time in a time zone."""
        value = now().astimezone(_zone(timezone))
        return {
            "iso": value.isoformat(timespec="seconds"),
            "timezone": timezone,
            "weekday": value.strftime("%A"),
            "utc_offset": value.strftime("%z"),
        }

    def convert_time(time: _When, to_timezone: _Zone, from_timezone: _Zone = "UTC") -> str:
        """Convert a date-time from one time zone to another (ISO 8601 out)."""
        value = _parse(time, _zone(from_timezone))
        return value.astimezone(_zone(to_timezone)).isoformat(timespec="seconds")

    def date_add(
        start: _When,
        years: int = 0,
        months: int = 0,
        weeks: int = 0,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
        seconds: int = 0,
    ) -> str:
        """Add (or, with negative numbers, subtract) a span to a date or date-time."""
        value = _parse(start)
        try:
            value = _add_months(value, years * 12 + months)
            value += timedelta(
                weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds
            )
        except OverflowError:
            raise ToolError("The date would fall outside the years 1 to 9999.") from None
        if _is_date_only(start) and not (hours or minutes or seconds):
            return value.date().isoformat()
        return value.isoformat()

    def date_diff(start: _When, end: _When) -> dict[str, Any]:
        """The time from ``start`` to ``end``, in days and seconds (negative if ``end`` is earlier)."""
        first, second = _parse(start, ZoneInfo("UTC")), _parse(end, ZoneInfo("UTC"))
        span = second - first
        return {
            "days": span.total_seconds() / 86400,
            "total_seconds": span.total_seconds(),
            "text": str(span),
        }

    chosen: list[Callable[..., Any]] = [
        system_info,
        current_time,
        convert_time,
        date_add,
        date_diff,
    ]
    made = [Tool(fn, category="system", run_in_thread=False) for fn in chosen]
    if allowed:
        described = (
            "The value of an allowed environment variable (null when it is not set). "
            f"Allowed: {', '.join(allowed)}."
        )
        made.insert(1, Tool(get_env, description=described, category="system", run_in_thread=False))
    return made
