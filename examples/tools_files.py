"""The file tools: read, write, list, search, move and delete, confined to one directory.

Works in a temporary directory and shows what the tools refuse.

    python examples/tools_files.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from llmkit.tools.builtin import Refused, files


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "work"
        root.mkdir()
        (Path(tmp) / "secret.txt").write_text("not for the model")
        tools = {t.name: t for t in files(root=root, max_read_bytes=10_000)}
        print("Tools:", ", ".join(tools))
        print(tools["write_file"]("notes/todo.md", "# Todo\n- buy milk\n- write docs\n"))
        print(tools["read_file"]("notes/todo.md").splitlines()[0])
        print("Search 'docs':", tools["search_files"]("*.md", text="docs"))
        print(tools["move_path"]("notes/todo.md", "done.md"))
        print("Listing:", tools["list_directory"](".", recursive=True))
        (root / "escape").symlink_to(Path(tmp) / "secret.txt")
        for attempt in (
            lambda: tools["read_file"]("../secret.txt"),
            lambda: tools["read_file"]("/etc/passwd"),
            lambda: tools["read_file"]("escape"),
            lambda: tools["delete_path"]("."),
        ):
            try:
                attempt()
            except Refused as exc:
                print(f"[{exc.rule}] {exc}")
        print(tools["delete_path"]("done.md"))


if __name__ == "__main__":
    main()
