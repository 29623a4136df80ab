"""Turning measurements into the report: ratios, target verdicts, the Markdown tables."""

from __future__ import annotations

from typing import Any

from bench._cases import FLOOR, LLMKIT
from bench._stats import ratio

__all__ = ["IMPORT_LIMIT_MS", "RSS_LIMIT_MIB", "RSS_RUNS", "markdown", "targets"]

IMPORT_LIMIT_MS = 150.0
"""``import llmkit`` must take at most this long."""
RSS_LIMIT_MIB = 60.0
"""Peak RSS of a process that ran :data:`RSS_RUNS` agent runs must stay under this."""
RSS_RUNS = 500
TOP_LEVEL = "1000"
"""The concurrency level at which every agent run must complete."""

UNAVAILABLE = "not available yet"


def _variant(results: dict[str, Any], case: str, variant: str) -> dict[str, Any] | None:
    for entry in results.get("cases", []):
        if entry["name"] == case:
            found: dict[str, Any] | None = entry["variants"].get(variant)
            return found
    return None


def _cpu(entry: dict[str, Any] | None) -> float | None:
    if entry is None or entry.get("status") != "ok" or "measure" not in entry:
        return None
    value: float = entry["measure"]["cpu_ms"]
    return value


def cpu_ratio(results: dict[str, Any], case: str, variant: str = LLMKIT) -> float | None:
    """Client CPU per run of ``variant`` over the floor's, in the same run (None if unmeasured)."""
    return ratio(_cpu(_variant(results, case, variant)), _cpu(_variant(results, case, FLOOR)))


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _status(entry: dict[str, Any] | None) -> str | None:
    """Why a variant has no figures ("not available yet", "failed: …"), or None if it has."""
    if entry is None:
        return "not measured"
    if entry.get("status") == "unavailable":
        return UNAVAILABLE
    if entry.get("status") != "ok":
        return f"failed: {entry.get('reason', '?')}"
    return None


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of bench/README.md with what this run measured and whether it was met."""
    rows: list[dict[str, Any]] = []
    for entry in results.get("cases", []):
        limit = entry.get("target")
        if limit is None or LLMKIT not in entry["variants"]:
            continue
        llmkit = entry["variants"][LLMKIT]
        value = cpu_ratio(results, entry["name"])
        row: dict[str, Any] = {
            "target": f"{entry['name']}: client CPU per run <= {limit:g}x the floor",
            "limit": limit,
            "measured": value,
            "shown": f"{value:.2f}x" if value is not None else None,
        }
        row["verdict"] = _status(llmkit) or (
            "n/a: the floor was not run" if value is None else _verdict(value <= limit)
        )
        rows.append(row)
    imports = results.get("imports", {}).get("import llmkit")
    if imports is not None:
        ms = imports.get("ms_median")
        rows.append(
            {
                "target": f"import llmkit <= {IMPORT_LIMIT_MS:g} ms",
                "limit": IMPORT_LIMIT_MS,
                "measured": ms,
                "shown": f"{ms:.1f} ms" if ms is not None else None,
                "verdict": _verdict(ms <= IMPORT_LIMIT_MS) if ms is not None else UNAVAILABLE,
            }
        )
    agent = _variant(results, "agent", LLMKIT)
    if agent is not None:
        status = _status(agent)
        measure = agent.get("measure") or {}
        runs = measure.get("runs", 0)
        rss = measure.get("peak_rss_mib")
        shown = f"{rss:.1f} MiB after {runs} runs" if rss is not None else None
        verdict = status or _verdict(rss <= RSS_LIMIT_MIB)
        if status is None and runs < RSS_RUNS:
            verdict += f" (only {runs} runs: quick mode)"
        rows.append(
            {
                "target": f"peak RSS of a process that ran {RSS_RUNS} agent runs <= {RSS_LIMIT_MIB:g} MiB",
                "limit": RSS_LIMIT_MIB,
                "measured": rss,
                "shown": shown,
                "verdict": verdict,
            }
        )
        level = ((agent.get("concurrency") or {}).get("levels") or {}).get(TOP_LEVEL)
        errors = level["errors"] if level else None
        rows.append(
            {
                "target": "1,000 concurrent agent runs complete with no errors",
                "limit": 0,
                "measured": errors,
                "shown": (
                    f"{errors} errors, {level['mem_per_inflight_kib']:.0f} KiB per in-flight run"
                    if level and "mem_per_inflight_kib" in level
                    else (f"{errors} errors" if level else None)
                ),
                "verdict": status or ("n/a" if errors is None else _verdict(errors == 0)),
            }
        )
    return rows


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "-" if value is None else format(value, fmt)


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _header(results: dict[str, Any]) -> list[str]:
    machine = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items() if v)
    settings = results["settings"]
    mode = "quick mode (fewer runs; figures are rough)" if settings.get("quick") else "full run"
    return [
        "# llmkit benchmark results",
        "",
        f"Measured {machine['date']} on {machine['cpu']} ({machine['cores']} cores), "
        f"{machine['python']}, {machine['platform']}; {mode}, {results.get('duration_s', 0):.0f} s.",
        "",
        f"Packages: {packages}.",
        "",
        *_load(machine),
        f"The fake provider server runs in its own process ({settings['cores']}); each "
        "case runs in a fresh client process after a warm-up. Client CPU is "
        "`time.process_time` of the client process per run, the median of "
        f"{settings['reps']} repetitions. Ratios are against the raw httpx2 floor of this run.",
        "",
    ]


def _load(machine: dict[str, Any]) -> list[str]:
    start, end = machine.get("load_average"), machine.get("load_average_end")
    if start is None:
        return []
    text = f"One-minute load average {start:g} at the start"
    text += f", {end:g} at the end" if end is not None else ""
    text += (
        " (other processes on these cores disturb wall-clock and throughput figures; "
        "client CPU per run much less)."
    )
    return [text, ""]


def markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    lines = _header(results)
    rows = [[r["target"], r["shown"] or "-", r["verdict"]] for r in targets(results)]
    if rows:
        lines += ["## Targets", "", *_table(["target", "measured", "verdict"], rows), ""]
    lines += _cost_tables(results)
    lines += _import_table(results)
    lines += _pool_table(results)
    return "\n".join(lines).rstrip() + "\n"


def _cost_tables(results: dict[str, Any]) -> list[str]:
    cost: list[list[str]] = []
    load: list[list[str]] = []
    levels: list[str] = results["settings"].get("levels", ["1", "50", "1000"])
    for entry in results.get("cases", []):
        for name, variant in entry["variants"].items():
            label = [entry["name"], name]
            status = _status(variant)
            if status is not None:
                cost.append([*label, status, "", "", "", "", ""])
                continue
            m = variant.get("measure")
            if m is not None:
                r = cpu_ratio(results, entry["name"], name)
                cost.append(
                    [
                        *label,
                        _num(m["cpu_ms"]),
                        _num(r, ".2f") + "x" if r is not None else "-",
                        _num(m["wall_ms_median"]),
                        _num(m["wall_ms_p95"]),
                        _num(m["peak_rss_mib"], ".1f"),
                        str(m["runs"]),
                    ]
                )
            c = (variant.get("concurrency") or {}).get("levels")
            if c:
                top = c.get(levels[-1], {})
                load.append(
                    [
                        *label,
                        *(_num(c[k]["runs_per_s"], ".0f") if k in c else "-" for k in levels),
                        str(sum(v["errors"] for v in c.values())),
                        _num(top.get("cpu_ms")),
                        _num(top.get("mem_per_inflight_kib"), ".1f"),
                    ]
                )
    lines: list[str] = []
    if cost:
        head = ["case", "variant", "CPU ms/run", "x floor", "wall p50 ms", "wall p95 ms"]
        head += ["peak RSS MiB", "runs"]
        lines += ["## Client cost per run (one at a time)", "", *_table(head, cost), ""]
    if load:
        head = ["case", "variant", *(f"runs/s c={k}" for k in levels), "errors"]
        head += [f"CPU ms/run c={levels[-1]}", "KiB per in-flight run"]
        lines += ["## Throughput under concurrency", "", *_table(head, load), ""]
    return lines


def _import_table(results: dict[str, Any]) -> list[str]:
    imports = results.get("imports")
    if not imports:
        return []
    rows = []
    for label, entry in imports.items():
        if entry.get("status") != "ok":
            rows.append([label, UNAVAILABLE, "", ""])
            continue
        rows.append(
            [
                label,
                _num(entry["ms_median"], ".1f"),
                _num(entry["ms_min"], ".1f"),
                _num(entry["ms_max"], ".1f"),
            ]
        )
    samples = next((e["samples"] for e in imports.values() if "samples" in e), 0)
    return [
        f"## Import time (fresh interpreter, {samples} samples)",
        "",
        *_table(["statement", "median ms", "min ms", "max ms"], rows),
        "",
    ]


def _pool_table(results: dict[str, Any]) -> list[str]:
    pool = results.get("pool")
    if not pool:
        return []
    rows = []
    for entry in pool:
        level = (entry.get("concurrency") or {}).get("levels", {}).get(TOP_LEVEL)
        if level is None:
            rows.append([entry["label"], entry.get("reason", "failed"), "", ""])
            continue
        rows.append(
            [
                entry["label"],
                _num(level["runs_per_s"], ".0f"),
                _num(level["cpu_ms"]),
                str(level["errors"]),
            ]
        )
    return [
        "## Connection pool: 1,000 concurrent calls on raw httpx2 (generate)",
        "",
        *_table(["pool", "calls/s", "CPU ms/call", "errors"], rows),
        "",
    ]
