"""The process tool: allow-listed programs, an argument list (no shell), a confined directory.

python examples/tools_process.py
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from llmkit.tools.builtin import Refused, process


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "a.txt").write_text("one\ntwo\nthree\n")
        [run] = process(commands={"wc": None, "echo": None, "sleep": None}, root=root, timeout=1)
        print(run.description)
        print("wc -l:", (await run.function(command="wc", args=["-l", "a.txt"]))["stdout"].strip())
        echoed = await run.function(command="echo", args=["hello; rm -rf /"])
        print("echo:", echoed["stdout"].strip(), "(the ';' is just a character)")
        refused = [
            ("ls; rm -rf /", []),
            ("wc", ["/etc/passwd"]),
            ("wc", ["--files0-from=/etc/passwd"]),  # a path in an option's value counts too
            ("sleep", ["5"]),
        ]
        for command, args in refused:
            try:
                await run.function(command=command, args=args)
            except Refused as exc:
                print(f"[{exc.rule}] {exc}")
        print("a.txt still there:", (root / "a.txt").exists())


if __name__ == "__main__":
    asyncio.run(main())
