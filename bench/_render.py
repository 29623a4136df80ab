"""Rendering a cached prompt template: llmkit's Prompt against Jinja2 alone (the floor).

    python -m bench._render            # 7 repetitions of 20,000 renders per variant
    python -m bench._render --quick    # 3 repetitions of 5,000

Every variant renders a template compiled beforehand, so the figure is the
cost of one rendering, which an agent pays before every model request when
its instructions are a ``Prompt``. Each repetition times a loop of renders
with ``time.process_time`` (CPU of this process only, so another program on
the machine moves it little); the figure is the median over repetitions, in
microseconds per render. The floor is the same template compiled once by a
plain Jinja2 ``Environment`` (no sandbox, no strictness) and rendered with
the same values; ``str.format`` is a reference for what no template engine costs.

Templates: ``short`` (two values, one line), ``instructions`` (an agent's
instructions with a condition, a loop over three items and attribute reads),
and ``agent call`` (the ``instructions`` prompt called with a run context,
as the agent calls it).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench._machine import load_average
from bench._stats import median

__all__ = ["VARIANTS", "main", "measure"]

SHORT = "Summarise for {{ audience }}:\n{{ text }}"
INSTRUCTIONS = (
    "You help {{ deps.name }} of {{ shop }}.\n"
    "{% if deps.plan == 'pro' %}Offer the priority line.\n{% endif %}"
    "Known orders:\n{% for order in deps.orders %}- {{ order }}\n{% endfor %}"
    "Answer in {{ language }}."
)


@dataclass
class _Customer:
    name: str = "Ada {{ admin }}"
    plan: str = "pro"
    orders: list[str] = field(default_factory=lambda: ["A-1", "B-2", "C-3"])


def _variants() -> dict[str, Callable[[], Callable[[], object]]]:
    """Each variant's name and a builder that compiles its template and returns one render."""
    import jinja2

    from llmkit.context import RunContext
    from llmkit.prompt import Prompt

    values = {"audience": "kids", "text": "Cats {sleep} a lot {{ really }}."}
    deps = _Customer()
    full = {"deps": deps, "shop": "Acme", "language": "English"}
    plain = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

    def short_llmkit() -> Callable[[], object]:
        prompt = Prompt(SHORT)
        return lambda: prompt.render(**values)

    def short_floor() -> Callable[[], object]:
        template = plain.from_string(SHORT)
        return lambda: template.render(values)

    def short_format() -> Callable[[], object]:
        text = "Summarise for {audience}:\n{text}"
        return lambda: text.format(**values)

    def instructions_llmkit() -> Callable[[], object]:
        prompt = Prompt(INSTRUCTIONS)
        return lambda: prompt.render(**full)

    def instructions_floor() -> Callable[[], object]:
        template = plain.from_string(INSTRUCTIONS)
        return lambda: template.render(full)

    def agent_call() -> Callable[[], object]:
        prompt = Prompt(INSTRUCTIONS, variables={"shop": "Acme", "language": "English"})
        ctx = RunContext(deps=deps, step=1)
        return lambda: prompt(ctx)

    return {
        "short: llmkit Prompt.render": short_llmkit,
        "short: floor (plain Jinja2)": short_floor,
        "short: str.format (reference)": short_format,
        "instructions: llmkit Prompt.render": instructions_llmkit,
        "instructions: floor (plain Jinja2)": instructions_floor,
        "agent call: llmkit Prompt(ctx)": agent_call,
    }


VARIANTS: tuple[str, ...] = (
    "short: llmkit Prompt.render",
    "short: floor (plain Jinja2)",
    "short: str.format (reference)",
    "instructions: llmkit Prompt.render",
    "instructions: floor (plain Jinja2)",
    "agent call: llmkit Prompt(ctx)",
)
"""The variants, in report order."""


def measure(*, repetitions: int, renders: int) -> dict[str, float]:
    """Microseconds of CPU per render, the median over ``repetitions`` loops of ``renders``."""
    builders = _variants()
    results: dict[str, float] = {}
    for name in VARIANTS:
        render = builders[name]()
        for _ in range(min(renders, 1000)):  # warm-up: caches, first-call paths
            render()
        samples = []
        for _ in range(repetitions):
            start = time.process_time()
            for _ in range(renders):
                render()
            samples.append((time.process_time() - start) / renders * 1e6)
        results[name] = median(samples)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every variant and print a table with the load average."""
    parser = argparse.ArgumentParser(prog="python -m bench._render", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 repetitions of 5,000 renders")
    args = parser.parse_args(argv)
    repetitions, renders = (3, 5_000) if args.quick else (7, 20_000)
    before = load_average()
    results = measure(repetitions=repetitions, renders=renders)
    after = load_average()
    print(f"Rendering a cached template, CPU per render ({repetitions} x {renders:,} renders)")
    print(f"load average: {before} at the start, {after} at the end\n")
    print("| variant | us per render | vs its floor |\n|---|---|---|")
    for name in VARIANTS:
        case = name.split(":")[0]
        floor = results.get(f"{case}: floor (plain Jinja2)")
        ratio = f"{results[name] / floor:.2f}x" if floor and "floor" not in name else "-"
        print(f"| {name} | {results[name]:.2f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
