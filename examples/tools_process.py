"""The process tool: allow-listed programs, an argument list (no shell), a confined directory.

Refused: programs off the list, paths outside the root in any spelling, the forms by which
sed, awk, find, tar and sort run commands or open files of their own choosing, any command
while the root holds a symbolic link that leads out of it, and commands past their time limit.


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
        commands = {"wc": None, "echo": None, "sleep": None, "sed": None}
        [run] = process(commands=commands, root=root, timeout=1)
        print(run.description)
        print("wc -l:", (await run.function(command="wc", args=["-l", "a.txt"]))["stdout"].strip())
        echoed = await run.function(command="echo", args=["hello; rm -rf *"])
        print("echo:", echoed["stdout"].strip(), "(the ';' is just a character)")
        refused = [
            ("ls; rm -rf /", []),
            ("wc", ["/etc/passwd"]),
            ("wc", ["-l", "--files0-from=names.txt"]),  # file names read from a file
            ("sed", ["-n", "1e cat /etc/passwd", "a.txt"]),  # sed's e runs a command
            ("sed", ["-n", "wcopy.txt", "a.txt"]),  # and w writes a file of its choosing
            ("sleep", ["5"]),
        ]
        for command, args in refused:
            try:
                await run.function(command=command, args=args)
            except Refused as exc:
                print(f"[{exc.rule}] {exc}")
        (root / "shared").symlink_to(root.parent)  # a link that leads out of the root
        try:
            await run.function(command="wc", args=["-l", "a.txt"])
        except Refused as exc:
            print(f"[{exc.rule}] {exc}")
        (root / "shared").unlink()
        print("a.txt still there:", (root / "a.txt").exists())


if __name__ == "__main__":
    asyncio.run(main())
