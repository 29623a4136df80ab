"""``llmkit memory add|search|stats STORE``: fill a vector store from files, search it, describe it.

::

    llmkit memory add kb.db docs/ notes.md --embedder local     # chunk, embed (progress bar), store
    llmkit memory search kb.db "how do I install it?" -k 4 --where source=docs/install.md
    llmkit memory stats kb.db

``add`` reads files and folders (a folder: its ``.md``, ``.markdown`` and ``.txt`` files, at
any depth), cuts markdown at its headings and other text at paragraphs
(:func:`~llmkit.memory.chunk_markdown`, :func:`~llmkit.memory.chunk_text`; ``--size`` and
``--overlap`` in characters, or ``--chunk-tokens N`` for chunks of N tokens of
``--token-model``, the overlap then in tokens too, an eighth of N unless given) and stores each chunk with the id ``FILE#N`` and the metadata
``source`` (the file as given), ``heading`` (markdown) and ``start`` (offset in the file). A
file added again replaces its chunks, and the chunks it no longer has (``FILE#N`` past its
new last chunk) are deleted. ``--embedder`` is ``local`` (the offline
MiniLM embedder) or a model string; a store that exists uses the one it recorded.

What it guarantees: stdout holds only the result (a summary line, the hits, the stats; JSON
with ``--json``); the progress bar (rich, from ``llmkit[workflow]``, on a terminal) or plain
progress lines (``--progress plain``) go to stderr. The exit statuses are the command's one
table: 2 for a wrong command line or a file that cannot be read, 3 for a missing extra or
weights, 1 for a corrupt store file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from llmkit._cli.codes import ExitCode
from llmkit._cli.session import is_tty
from llmkit._plural import plural
from llmkit._sync import run_sync
from llmkit.errors import UsageError

__all__ = ["add_command"]

_SUFFIXES = (".md", ".markdown", ".txt")
_MARKDOWN = (".md", ".markdown")
_TOKEN_MODEL = "openai/gpt-4.1-mini"


def add_command(commands: Any) -> None:
    """Add ``llmkit memory`` (``add``, ``search``, ``stats``) to the ``llmkit`` command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "memory",
        help="fill a vector store from files, search it, describe it",
        description="Long-term memory on the command line: a SQLite vector store file.",
    )
    actions = parser.add_subparsers(dest="memory_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="chunk and embed files into the store",
        description="Chunk files (markdown at headings), embed the chunks and store them.",
    )
    add.add_argument("store", metavar="STORE", help="the store file (made if missing)")
    add.add_argument("paths", metavar="PATH", nargs="+", help="files, or folders of .md/.txt")
    add.add_argument(
        "--embedder",
        help="'local' (offline MiniLM) or a model string; default: the one the store recorded",
    )
    add.add_argument("--size", type=int, default=None, help="chunk size in characters (1000)")
    add.add_argument(
        "--overlap",
        type=int,
        default=None,
        help="what chunks share: characters (200), or tokens with --chunk-tokens (N/8)",
    )
    add.add_argument(
        "--chunk-tokens",
        type=int,
        default=None,
        metavar="N",
        help="chunk size in tokens of --token-model instead of characters",
    )
    add.add_argument(
        "--token-model",
        default=_TOKEN_MODEL,
        metavar="MODEL",
        help=f"the model whose tokens --chunk-tokens counts ({_TOKEN_MODEL})",
    )
    add.add_argument(
        "--progress",
        choices=("auto", "bar", "plain", "off"),
        default="auto",
        help="progress on stderr: a bar (on a terminal by default), plain lines, or none",
    )
    add.set_defaults(run=_add)
    search = actions.add_parser(
        "search", help="the passages closest to a query", description="Search the store."
    )
    search.add_argument("store", metavar="STORE")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("-k", type=int, default=4, help="how many passages (4)")
    search.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="keep passages whose metadata field equals VALUE (repeatable)",
    )
    search.add_argument("--json", action="store_true", help="print the hits as JSON")
    search.set_defaults(run=_search)
    stats = actions.add_parser("stats", help="items, embedder, sources", description="Describe.")
    stats.add_argument("store", metavar="STORE")
    stats.add_argument("--json", action="store_true", help="print the stats as JSON")
    stats.set_defaults(run=_stats)


def _open(path: str, embedder: str | None, *, must_exist: bool) -> Any:
    from llmkit.memory import SQLiteVectorStore, local_embedder

    if must_exist and not Path(path).is_file():
        raise UsageError(f"No store file at {path}; fill one first: llmkit memory add {path} FILES")
    chosen: Any = local_embedder() if embedder == "local" else embedder
    return SQLiteVectorStore(path, embedder=chosen)


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{name}: no such file or folder.")
    if not found:
        raise UsageError(f"No .md or .txt files under {', '.join(paths)}.")
    return found


def _sizes(args: argparse.Namespace) -> tuple[int, int, str | None]:
    """(size, overlap, token model or None) from ``--size``, ``--overlap``, ``--chunk-tokens``."""
    if args.chunk_tokens is None:
        size = 1000 if args.size is None else args.size
        return size, 200 if args.overlap is None else args.overlap, None
    if args.size is not None:
        raise UsageError(
            "--size is in characters and --chunk-tokens in tokens: pass one of them, not both."
        )
    tokens = args.chunk_tokens
    overlap = tokens // 8 if args.overlap is None else args.overlap
    return tokens, overlap, args.token_model


def _chunks(
    files: list[Path], size: int, overlap: int, model: str | None = None
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    from llmkit.memory import chunk_markdown, chunk_text

    texts: list[str] = []
    ids: list[str] = []
    metadata: list[dict[str, Any]] = []
    for path in files:
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot be read as UTF-8 text ({exc}).") from exc
        cut = chunk_markdown if path.suffix in _MARKDOWN else chunk_text
        for n, chunk in enumerate(cut(content, size=size, overlap=overlap, model=model)):
            texts.append(chunk.text)
            ids.append(f"{path.as_posix()}#{n}")
            meta: dict[str, Any] = {"source": path.as_posix(), "start": chunk.start}
            if chunk.heading is not None:
                meta["heading"] = chunk.heading
            metadata.append(meta)
    return texts, ids, metadata


def _stale(stored: list[str], files: list[Path], ids: list[str]) -> list[str]:
    """The stored ids ``FILE#N`` of these files whose N is past the file's new last chunk."""
    counts = dict.fromkeys((path.as_posix() for path in files), 0)
    for item_id in ids:
        counts[item_id.rpartition("#")[0]] += 1
    stale = []
    for item_id in stored:
        source, _, n = item_id.rpartition("#")
        if source in counts and n.isdigit() and int(n) >= counts[source]:
            stale.append(item_id)
    return stale


@contextmanager
def _progress(mode: str, total: int) -> Iterator[Callable[[int, int], None] | None]:
    if mode == "auto":
        mode = "bar" if is_tty(sys.stderr) else "off"
    if mode == "bar":
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
        except ImportError:
            mode = "plain"
        else:
            bar = Progress(
                "embedding",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            task = bar.add_task("embedding", total=total)
            with bar:
                yield lambda done, _total: bar.update(task, completed=done)
            return
    if mode == "plain":
        yield lambda done, all_: print(f"embedded {done}/{all_}", file=sys.stderr, flush=True)
        return
    yield None


def _add(args: argparse.Namespace) -> int:
    files = _files(args.paths)
    texts, ids, metadata = _chunks(files, *_sizes(args))
    store = _open(args.store, args.embedder, must_exist=False)
    try:
        with _progress(args.progress, len(texts)) as progress:
            run_sync(store.add(texts, ids=ids, metadata=metadata, progress=progress))
        run_sync(store.delete(_stale(store.ids(), files, ids)))
        total = run_sync(store.count())
    finally:
        store.close_sync()
    print(
        f"added {plural(len(texts), 'chunk')} from {plural(len(files), 'file')} to "
        f"{args.store} ({plural(total, 'item')} in all)"
    )
    return ExitCode.OK


def _where(pairs: list[str]) -> dict[str, Any] | None:
    where: dict[str, Any] = {}
    for pair in pairs:
        field, eq, value = pair.partition("=")
        if not eq or not field:
            raise UsageError(f"--where takes FIELD=VALUE, got {pair!r}.")
        try:
            where[field] = json.loads(value)  # numbers and booleans compare as such
        except ValueError:
            where[field] = value
    return where or None


def _search(args: argparse.Namespace) -> int:
    store = _open(args.store, None, must_exist=True)
    try:
        hits = run_sync(store.search(args.query, k=args.k, where=_where(args.where)))
    finally:
        store.close_sync()
    if args.json:
        rows = [
            {"id": h.id, "score": round(h.score, 4), "text": h.text, "metadata": h.metadata}
            for h in hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return ExitCode.OK
    for h in hits:
        where = f"  ({h.metadata['heading']})" if "heading" in h.metadata else ""
        print(f"{h.score:.3f}  {h.id}{where}")
        print("       " + h.text.replace("\n", "\n       "))
    if not hits:
        print("no hits")
    return ExitCode.OK


def _stats(args: argparse.Namespace) -> int:
    store = _open(args.store, None, must_exist=True)
    try:
        stats = store.stats()
        sources = sorted({str(h.source) for h in run_sync(store.get(store.ids())) if h.source})
    finally:
        store.close_sync()
    stats["sources"] = sources
    stats["file_bytes"] = Path(args.store).stat().st_size
    if args.json:
        print(json.dumps(stats, indent=2))
        return ExitCode.OK
    print(f"store      {args.store} ({stats['file_bytes']:,} bytes)")
    print(f"items      {stats['items']}")
    print(f"embedder   {stats['embedder']} ({stats['dimension']} dimensions)")
    print(f"in memory  {stats['vector_bytes']:,} bytes of vectors")
    print(f"fields     {', '.join(stats['fields']) or '-'}")
    print(f"sources    {len(sources)}")
    for source in sources:
        print(f"  {source}")
    return ExitCode.OK
