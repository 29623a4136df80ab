"""Turning measurements into the report: the Markdown tables (the verdicts are in ``_targets``)."""

from __future__ import annotations

from typing import Any

from bench._cases import AIOHTTP_FLOOR, FLOOR, LLMKIT, LLMKIT_AGENTS, LOCAL_FLOOR
from bench._serve import serve_table
from bench._stats import ratio
from bench._targets import (
    LOAD_LEVEL,
    TOP_LEVEL,
    UNAVAILABLE,
    cpu_ratio,
    level,
    rss,
    status,
    targets,
    variant,
)

__all__ = ["markdown"]


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
        f"{settings['reps']} repetitions. Ratios are against the raw httpx2 floor (`x httpx2`) "
        "and the raw aiohttp + orjson floor (`x aiohttp`) of this run.",
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
    lines += _overhead_table(results)
    lines += _fresh_tables(results)
    lines += _import_table(results)
    lines += _pool_table(results)
    lines += _vector_tables(results)
    lines += serve_table(results)
    return "\n".join(lines).rstrip() + "\n"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _rss_cell(entry: dict[str, Any]) -> str:
    found = rss(entry)
    if found is None:
        return "-"
    return _num(found[0], ".1f") + ("" if found[1] >= 500 else f" ({found[1]} runs)")


def _cost_row(results: dict[str, Any], case: str, name: str, m: dict[str, Any]) -> list[str]:
    entry = variant(results, case, name) or {}
    return [
        case,
        name,
        _num(m["cpu_ms"]),
        _times(cpu_ratio(results, case, name, FLOOR)),
        _times(cpu_ratio(results, case, name, AIOHTTP_FLOOR)),
        _num(m["wall_ms_median"]),
        _num(m["wall_ms_p95"]),
        _rss_cell(entry),
        str(m["runs"]),
    ]


def _load_row(
    results: dict[str, Any], case: str, name: str, levels: list[str], c: dict[str, Any]
) -> list[str]:
    top = c.get(levels[-1], {})
    busy = [k for k in levels if k != "1"]
    row = [
        case,
        name,
        *(_num(c[k]["runs_per_s"], ".0f") if k in c else "-" for k in levels),
        *(_num(c[k]["cpu_ms"]) if k in c else "-" for k in busy),
    ]
    if LOAD_LEVEL in levels:
        ours = c.get(LOAD_LEVEL)
        theirs = level(variant(results, case, AIOHTTP_FLOOR), LOAD_LEVEL)
        both = ours is not None and theirs is not None
        row += [
            _times(ratio(ours["runs_per_s"], theirs["runs_per_s"]) if both else None),
            _times(ratio(ours["cpu_ms"], theirs["cpu_ms"]) if both else None),
        ]
    row += [
        str(sum(v["errors"] for v in c.values())),
        _num(top.get("mem_per_inflight_kib"), ".1f"),
    ]
    return row


def _cost_tables(results: dict[str, Any]) -> list[str]:
    cost: list[list[str]] = []
    load: list[list[str]] = []
    levels: list[str] = results["settings"].get("levels", ["1", "50", "1000"])
    for entry in results.get("cases", []):
        for name, found in entry["variants"].items():
            why = status(found)
            if why is not None:
                cost.append([entry["name"], name, why, *[""] * 6])
                continue
            if found.get("measure") is not None:
                cost.append(_cost_row(results, entry["name"], name, found["measure"]))
            c = (found.get("concurrency") or {}).get("levels")
            if c:
                load.append(_load_row(results, entry["name"], name, levels, c))
    lines: list[str] = []
    if cost:
        head = ["case", "variant", "CPU ms/run", "x httpx2", "x aiohttp", "wall p50 ms"]
        head += ["wall p95 ms", "peak RSS MiB, 500 runs", "runs"]
        lines += ["## Client cost per run (one at a time)", "", *_table(head, cost), ""]
    if load:
        busy = [k for k in levels if k != "1"]
        head = ["case", "variant", *(f"runs/s c={k}" for k in levels)]
        head += [f"CPU ms/run c={k}" for k in busy]
        if LOAD_LEVEL in levels:
            head += [f"runs/s c={LOAD_LEVEL} x aiohttp", f"CPU c={LOAD_LEVEL} x aiohttp"]
        head += ["errors", "KiB per in-flight run"]
        lines += ["## Throughput under concurrency", "", *_table(head, load), ""]
    return lines


def overhead_base(entry: dict[str, Any]) -> str:
    """What a workflow case's runner cost is taken against: plain Python with no model
    call, else the same agents called by hand."""
    return LOCAL_FLOOR if not entry.get("calls") else LLMKIT_AGENTS


def _overhead_table(results: dict[str, Any]) -> list[str]:
    rows: list[list[str]] = []
    for entry in results.get("cases", []):
        steps = entry.get("steps")
        if not steps:
            continue
        base_name = overhead_base(entry)
        base, ours = entry["variants"].get(base_name), entry["variants"].get(LLMKIT)
        if base is None or ours is None:
            continue
        why = status(ours) or status(base)
        if why is not None:
            rows.append([entry["name"], str(steps), base_name, why, "", "", ""])
            continue
        floor_ms, llmkit_ms = base["measure"]["cpu_ms"], ours["measure"]["cpu_ms"]
        added_us = (llmkit_ms - floor_ms) * 1e3
        rows.append(
            [
                entry["name"],
                str(steps),
                base_name,
                _num(floor_ms),
                _num(llmkit_ms),
                _num(added_us, ".1f"),
                _num(added_us / steps, ".2f"),
            ]
        )
    if not rows:
        return []
    head = ["case", "steps per run", "against", "its CPU ms/run", "llmkit CPU ms/run"]
    head += ["runner us/run", "runner us/step"]
    return ["## Workflow overhead per step", "", *_table(head, rows), ""]


def _fresh_tables(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    startup = results.get("startup")
    if startup:
        rows = []
        best = [
            v["cold_ms"]["median"]
            for name, v in startup["variants"].items()
            if name.startswith("floor-") and v.get("status") == "ok"
        ]
        for name, v in startup["variants"].items():
            if v.get("status") != "ok":
                rows.append([name, f"failed: {v.get('reason', '?')}", *[""] * 6])
                continue
            cold = v["cold_ms"]
            rows.append(
                [
                    name,
                    _num(v["imports_ms"]["median"], ".1f"),
                    _num(v["first_ms"]["median"], ".1f"),
                    _num(v["first_cpu_ms"]["median"], ".1f"),
                    _num(v["script_ms"]["median"], ".1f"),
                    f"{cold['median']:.0f} ({cold['min']:.0f}-{cold['max']:.0f})",
                    f"{cold['median'] - min(best):+.0f}" if best else "-",
                    _num(v["process_cpu_ms"]["median"], ".0f"),
                ]
            )
        head = ["variant", "imports ms", "first run ms", "first run CPU ms"]
        head += ["script start to first result ms", "cold start ms (min-max)"]
        head += ["cold start - faster floor ms", "process CPU ms"]
        title = f"## A fresh process: first run and cold start ({startup['case']}, median of {startup['count']})"
        lines += [title, "", *_table(head, rows), ""]
    loops = results.get("loops")
    if loops:
        rows = []
        for name, v in loops["variants"].items():
            if v.get("status") != "ok":
                rows.append([name, f"failed: {v.get('reason', '?')}", "", "", ""])
                continue
            rows.append(
                [
                    name,
                    _num(v["first_ms"], ".1f"),
                    _num(v["later_ms"]["median"], ".2f"),
                    _num(v["later_p95_ms"], ".2f"),
                    _num(v["later_cpu_ms"]["median"], ".2f"),
                ]
            )
        head = ["variant", "call 1 ms", "calls 2..N ms (median)", "p95 ms", "CPU ms (median)"]
        title = (
            f"## A new event loop per call ({loops['case']}, `asyncio.run` per call, "
            f"N = {loops['count']})"
        )
        lines += [title, "", *_table(head, rows), ""]
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


def _vector_tables(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for name in ("vectors", "vectors-ann", "vectors-large"):
        v = results.get(name)
        if not v:
            continue
        search = v["search"]
        rows = [
            [
                "add (one call)",
                f"{v['add']['ms']:.0f} ms ({v['add']['rows_per_s']:,.0f} rows/s)",
                f"{v['add']['floor_ms']:.0f} ms",
                _times(v["add"]["ratio"]),
            ],
            ["open (read the file)", f"{v['open_ms']:.0f} ms", "", ""],
            [
                f"search k={v['k']}, median (p95)",
                f"{search['llmkit']['median']:.2f} ms ({search['llmkit']['p95']:.2f})",
                f"{search['floor']['median']:.2f} ms ({search['floor']['p95']:.2f})",
                _times(search["ratio"]),
            ],
            [
                "search with where= (1 row in 10), median",
                f"{search['llmkit_where']['median']:.2f} ms",
                "",
                "",
            ],
            ["recall@10 (exact search)", f"{v['recall_at_10']:.3f}", "1.000", ""],
            [
                "bytes per row: matrix / process RSS / file",
                f"{v['matrix_bytes_per_row']:.0f} / {v.get('rss_bytes_per_row', 0):.0f} / "
                f"{v['file_bytes_per_row']:.0f}",
                "1536 (384 float32)",
                "",
            ],
        ]
        for label, ann in (("random", v.get("hnsw")), ("mixture", v.get("hnsw_mixture"))):
            if not ann:
                continue
            floor = ann.get("floor", search["floor"])
            rows += [
                [
                    f"index='hnsw', {label} vectors: build (first search)",
                    f"{ann['build_ms'] / 1000:.1f} s",
                    "",
                    "",
                ],
                [
                    f"index='hnsw', {label}: search k={v['k']}, median (p95) / recall@10",
                    f"{ann['search']['median']:.2f} ms ({ann['search']['p95']:.2f}) / "
                    f"{ann['recall_at_10']:.3f}",
                    f"{floor['median']:.2f} ms / 1.000",
                    _times(ann["search"]["median"] / floor["median"]),
                ],
                [
                    f"index='hnsw', {label}: with where= (1 row in 10), median",
                    f"{ann['where']['median']:.2f} ms",
                    "",
                    "",
                ],
                [
                    f"index='hnsw', {label}: graph bytes per row",
                    f"{ann['index_bytes_per_row']:.0f}",
                    "",
                    "",
                ],
            ]
        lines += [
            f"## Vector store: {v['rows']:,} x {v['dimension']} synthetic unit vectors, "
            f"SQLiteVectorStore ({v['queries']} queries)",
            "",
            *_table(["measure", "llmkit", "floor (numpy, raw SQLite)", "ratio"], rows),
            "",
        ]
    return lines
