"""The measuring side of the serve study: ``python -m bench._serve_client SPEC`` (a fresh process).

``SPEC`` is JSON; the result is one JSON line on stdout, progress goes to stderr.

- ``"mode": "inprocess"``: the study's agent run in this process on the fake server,
  ``warmup`` runs, then ``reps`` repetitions of ``runs`` runs one after the other:
  CPU per run (this process, median of the repetitions), wall per run (median, p95).
- ``"mode": "http"``: the same agent behind the agent server (process ``pid`` at
  ``url``), called with a raw aiohttp client (orjson bodies), not streamed: client CPU
  (this process, median of the repetitions) plus server CPU (``/proc/PID/stat``, in
  clock ticks, so over all the repetitions) per completion, wall per completion. Then two bursts of ``streams`` concurrent streamed completions: a held
  one, whose first model answer the fake server holds ``hold`` seconds so every stream
  is open at once (the server's resident set while they are all open, against the one
  before the burst), and one that is not held (wall time of the burst). Every
  completion is checked (status 200, an answer, ``[DONE]`` and no error chunk); a
  failure is counted, never raised.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from statistics import median, quantiles
from typing import Any

from bench._responder import hold_prompt
from bench._serve_app import AGENT_NAME, TOKEN, served_agent
from bench._server import pin
from bench._workload import AGENT_PROMPT

__all__ = ["main", "process_cpu", "process_rss"]

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_SAMPLE_S = 0.005
_SAMPLES = 20
"""Resident-set samples taken while every stream of the held burst is open (the peak counts)."""


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, every thread) process ``pid`` has used so far."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        fields = stat.read().rsplit(b")", 1)[1].split()
    # Fields 14 and 15 of proc(5), counted here from field 3 (after the command name).
    return (int(fields[11]) + int(fields[12])) / _TICK


def process_rss(pid: int) -> int:
    """The resident set of process ``pid`` now, in bytes."""
    with open(f"/proc/{pid}/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _log(text: str) -> None:
    sys.stderr.write(f"  serve: {text}\n")
    sys.stderr.flush()


def _walls(walls: list[float]) -> dict[str, float]:
    p95 = quantiles(walls, n=20)[-1] if len(walls) >= 2 else walls[0]
    return {"median": median(walls) * 1000, "p95": p95 * 1000}


async def _inprocess(spec: dict[str, Any]) -> dict[str, Any]:
    agent = served_agent(spec["fake"])

    async def one() -> None:
        result = await agent.run(AGENT_PROMPT)
        if not result.output:
            raise RuntimeError("the agent gave no answer")

    for _ in range(spec["warmup"]):
        await one()
    cpu: list[float] = []
    walls: list[float] = []
    for rep in range(spec["reps"]):
        _log(f"in process, repetition {rep + 1}/{spec['reps']}")
        started = time.process_time()
        for _ in range(spec["runs"]):
            t0 = time.perf_counter()
            await one()
            walls.append(time.perf_counter() - t0)
        cpu.append((time.process_time() - started) / spec["runs"])
    from llmkit.http import aclose_clients

    await aclose_clients()
    return {"cpu_ms": median(cpu) * 1000, "wall_ms": _walls(walls), "runs": len(walls)}


class _Client:
    """A raw aiohttp client of the agent server's chat completions."""

    def __init__(self, url: str) -> None:
        import aiohttp
        import orjson

        self.url = url + "/v1/chat/completions"
        self.dumps = orjson.dumps
        self.loads = orjson.loads
        self.headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        # No connection limit: every stream of a burst has its own connection.
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=300),
        )

    def body(self, prompt: str, *, stream: bool) -> bytes:
        messages = [{"role": "user", "content": prompt}]
        payload: dict[str, Any] = {"model": AGENT_NAME, "messages": messages}
        if stream:
            payload["stream"] = True
        return self.dumps(payload)

    async def complete(self) -> None:
        """One completion, not streamed; raises when it is not a 200 with an answer."""
        data = self.body(AGENT_PROMPT, stream=False)
        async with self.session.post(self.url, data=data, headers=self.headers) as resp:
            answer = self.loads(await resp.read())
            if resp.status != 200 or not answer["choices"][0]["message"]["content"]:
                raise RuntimeError(f"status {resp.status}: {answer}")

    async def stream(self, prompt: str, opened: asyncio.Event | None = None) -> str | None:
        """One streamed completion; None when it went well, else what was wrong.

        ``opened`` is set once the first chunk (the role) has arrived: the stream is open.
        """
        data = self.body(prompt, stream=True)
        text, done = "", False
        try:
            async with self.session.post(self.url, data=data, headers=self.headers) as resp:
                if resp.status != 200:
                    return f"status {resp.status}"
                async for raw in resp.content:
                    line = raw.strip()
                    if not line.startswith(b"data: "):
                        continue
                    if opened is not None:
                        opened.set()
                    if line == b"data: [DONE]":
                        done = True
                        continue
                    chunk = self.loads(line[6:])
                    if "error" in chunk:
                        return f"error chunk {chunk['error']}"
                    for choice in chunk["choices"]:
                        text += choice["delta"].get("content") or ""
        except Exception as exc:  # counted, not raised: the burst goes on
            return f"{type(exc).__name__}: {exc}"
        if not done or not text:
            return "no answer" if done else "no [DONE]"
        return None


async def _held_burst(client: _Client, spec: dict[str, Any]) -> dict[str, Any]:
    pid, count = spec["pid"], spec["streams"]
    prompt = hold_prompt(AGENT_PROMPT, spec["hold"])
    idle = process_rss(pid)
    openings = [asyncio.Event() for _ in range(count)]
    finished = 0

    async def one(opened: asyncio.Event) -> str | None:
        nonlocal finished
        try:
            return await client.stream(prompt, opened)
        finally:
            finished += 1

    started = time.perf_counter()
    tasks = [asyncio.ensure_future(one(opened)) for opened in openings]
    samples: list[int] = []
    most_open = 0
    # Sample while no stream has ended; a new high of open streams starts the samples again.
    while finished == 0 and not (most_open == count and len(samples) >= _SAMPLES):
        now_open = sum(o.is_set() for o in openings)
        if now_open > most_open:
            most_open, samples = now_open, []
        samples.append(process_rss(pid))
        await asyncio.sleep(_SAMPLE_S)
    opened_s = time.perf_counter() - started
    failures = [f for f in await asyncio.gather(*tasks) if f is not None]
    wall = time.perf_counter() - started
    after = process_rss(pid)
    peak = max(samples) if samples else idle
    return {
        "streams": count,
        "hold_s": spec["hold"],
        "most_open": most_open,
        "open_after_s": opened_s,
        "errors": len(failures),
        "failures": failures[:5],
        "wall_s": wall,
        "idle_rss": idle,
        "open_rss": peak,
        "after_rss": after,
        "samples": len(samples),
        "bytes_per_stream": (peak - idle) / most_open if most_open else None,
    }


async def _burst(client: _Client, spec: dict[str, Any]) -> dict[str, Any]:
    pid, count = spec["pid"], spec["streams"]
    cpu0, server0 = time.process_time(), process_cpu(pid)
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(client.stream(AGENT_PROMPT) for _ in range(count)))
    wall = time.perf_counter() - started
    failures = [f for f in outcomes if f is not None]
    return {
        "streams": count,
        "errors": len(failures),
        "failures": failures[:5],
        "wall_s": wall,
        "per_s": count / wall,
        "client_cpu_ms": (time.process_time() - cpu0) / count * 1000,
        "server_cpu_ms": (process_cpu(pid) - server0) / count * 1000,
    }


async def _http(spec: dict[str, Any]) -> dict[str, Any]:
    pid = spec["pid"]
    client = _Client(spec["url"])
    try:
        for _ in range(spec["warmup"]):
            await client.complete()
        client_cpu: list[float] = []
        walls: list[float] = []
        server0 = process_cpu(pid)
        for rep in range(spec["reps"]):
            _log(f"through the server, repetition {rep + 1}/{spec['reps']}")
            cpu0 = time.process_time()
            for _ in range(spec["runs"]):
                t0 = time.perf_counter()
                await client.complete()
                walls.append(time.perf_counter() - t0)
            client_cpu.append((time.process_time() - cpu0) / spec["runs"])
        # The kernel counts another process's CPU in clock ticks (10 ms): over every
        # repetition at once, not per repetition.
        server_ms = (process_cpu(pid) - server0) / len(walls) * 1000
        result: dict[str, Any] = {
            "client_cpu_ms": median(client_cpu) * 1000,
            "server_cpu_ms": server_ms,
            "cpu_ms": median(client_cpu) * 1000 + server_ms,
            "wall_ms": _walls(walls),
            "runs": len(walls),
        }
        _log(f"{spec['streams']} streams held open {spec['hold']:g} s")
        result["held"] = await _held_burst(client, spec)
        _log(f"{spec['streams']} concurrent streams")
        result["burst"] = await _burst(client, spec)
        return result
    finally:
        await client.session.close()


def main(argv: list[str]) -> int:
    """Run the spec in ``argv[0]`` and print its result as one JSON line."""
    spec = json.loads(argv[0])
    pin(0, frozenset(spec.get("cores", ())))
    measure = _inprocess if spec["mode"] == "inprocess" else _http
    result = asyncio.run(measure(spec))
    print(json.dumps({"status": "ok", **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
