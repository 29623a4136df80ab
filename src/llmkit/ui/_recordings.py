"""The read-only JSON API over a folder of recordings and evaluation reports.

::

    GET /ui/api/recordings            {"files": [{"name", "kind", "size"}, ...]}
    GET /ui/api/recordings/{name}     {"kind": "recording", "header", "lines", "runs"}
                                      or {"kind": "report", "report": {...}}

Guarantees:

- read-only: nothing is written, moved or deleted;
- only files inside the folder are read: a name is looked up among the files
  the listing finds (``*.jsonl`` recordings, ``*.json`` evaluation reports), never
  joined to a path, so ``..`` or an absolute path finds nothing (404);
- a file that cannot be read as what its name says (cut short, corrupt, from
  a newer llmkit, not an evaluation report) answers 422 with the reader's
  message, which names the line; the page shows it, never a blank view;
- the folder is walked (hidden and linked folders skipped, a linked file only
  when it stays inside) and files are read in a worker thread
  (:func:`asyncio.to_thread`), so a big folder or recording never stalls the
  server's other routes; the listing is walked afresh on each
  ``GET /ui/api/recordings`` and kept for opening files, which walk again only
  for a name the kept listing lacks;
- every answer passes through :func:`llmkit._redact.redact` before it leaves
  (recordings are redacted when written; this is the second net), and a
  message never names the folder's place on the server's disk.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from llmkit._json import body_bytes
from llmkit._redact import redact
from llmkit.errors import RecordingError, UsageError

__all__ = ["Folder", "UnreadableFile", "redacted_json"]

_MAX_FILES = 2000
_MAX_BYTES = 50_000_000


class UnreadableFile(Exception):
    """A file of the folder that is not what its name says; the message says why."""


class Folder:
    """A folder of recordings (``*.jsonl``) and evaluation reports (``*.json``), read on demand."""

    __slots__ = ("_found", "root")

    def __init__(self, root: str | Path) -> None:
        path = Path(root)
        if not path.is_dir():
            raise UsageError(
                f"--recordings takes a folder of recordings (.jsonl) and evaluation reports "
                f"(.json); {str(root)!r} is not a folder."
            )
        self.root = path.resolve()
        self._found: dict[str, Path] | None = None

    def files(self) -> dict[str, Path]:
        """The readable files by name (their path under the folder, with ``/``), sorted; walks the folder.

        Hidden entries (``.name``) and linked folders are skipped; a linked
        file counts only when it leads to a file inside the folder.
        """
        found: dict[str, Path] = {}
        for top, folders, names in os.walk(self.root):  # links to folders are not followed
            base = Path(top)
            folders[:] = sorted(
                f for f in folders if not f.startswith(".") and not (base / f).is_symlink()
            )
            for file_name in sorted(names):
                if len(found) >= _MAX_FILES:
                    break
                path = base / file_name
                if file_name.startswith(".") or path.suffix not in (".jsonl", ".json"):
                    continue
                if path.is_symlink() and not path.resolve().is_relative_to(self.root):
                    continue
                if path.is_file():
                    found[path.relative_to(self.root).as_posix()] = path
            if len(found) >= _MAX_FILES:
                break
        self._found = found = dict(sorted(found.items()))
        return found

    def find(self, name: str) -> Path | None:
        """The path of the file called ``name``: from the kept listing, walking again only if it lacks it."""
        kept = self._found
        if kept is not None and name in kept:
            return kept[name]
        return self.files().get(name)

    def listing(self) -> dict[str, Any]:
        """The JSON of ``GET /ui/api/recordings`` (walks the folder afresh)."""
        return {
            "files": [
                {
                    "name": name,
                    "kind": "recording" if path.suffix == ".jsonl" else "report",
                    "size": path.stat().st_size,
                }
                for name, path in self.files().items()
            ]
        }

    def open(self, name: str) -> dict[str, Any] | None:
        """The JSON of ``GET /ui/api/recordings/{name}``; None for a name the folder lacks.

        Raises :class:`UnreadableFile` for a file that is not a readable recording or report.
        """
        path = self.find(name)
        if path is None or not path.is_file():
            return None
        if path.stat().st_size > _MAX_BYTES:
            raise UnreadableFile(f"{name} is larger than the UI reads ({_MAX_BYTES} bytes).")
        if path.suffix == ".jsonl":
            return self._recording(name, path)
        return self._report(name, path)

    def _recording(self, name: str, path: Path) -> dict[str, Any]:
        from llmkit.recording import Recording

        try:
            recording = Recording.load(path)
        except RecordingError as exc:
            raise UnreadableFile(self._hide(str(exc), path, name)) from None
        return {
            "kind": "recording",
            "name": name,
            "header": recording.header,
            "lines": [
                {"line": line.line, "t": line.t, "topic": line.topic, "data": line.data}
                for line in recording.lines
            ],
            "runs": [
                {"run_id": run.run_id, "agent": run.agent, "lines": [x.line for x in run.lines]}
                for run in recording.runs
            ],
        }

    def _report(self, name: str, path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise UnreadableFile(
                f"{name} is not JSON ({type(exc).__name__}: {exc}); an evaluation report is the "
                "JSON that 'llmkit eval --report PATH' writes."
            ) from None
        if not (isinstance(data, dict) and isinstance(data.get("cases"), list)):
            raise UnreadableFile(
                f"{name} is JSON but not an evaluation report (no 'cases' list); the UI reads "
                "the reports 'llmkit eval --report PATH' and EvalReport.write_json write."
            )
        problem = _report_problem(data)
        if problem is not None:
            raise UnreadableFile(
                f"{name} is not an evaluation report the UI can show: {problem}. The UI reads "
                "the reports 'llmkit eval --report PATH' and EvalReport.write_json write."
            )
        return {"kind": "report", "name": name, "report": data}

    def _hide(self, message: str, path: Path, name: str) -> str:
        """``message`` naming the file by its name in the folder, not its place on disk."""
        return message.replace(str(path), name).replace(str(self.root), ".")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _report_problem(report: dict[str, Any]) -> str | None:
    """What in ``report`` (JSON with a ``cases`` list) the page could not show; None if nothing."""
    metrics = report.get("metrics", {})
    if not isinstance(metrics, dict):
        return "'metrics' is not an object of metric summaries"
    for metric, summary in metrics.items():
        if not isinstance(summary, dict):
            return (
                f"metric {metric!r} is not an object ({{'mean', 'cases', 'threshold', 'passed'}})"
            )
        for key in ("mean", "threshold"):
            if summary.get(key) is not None and not _is_number(summary[key]):
                return f"metric {metric!r} has a {key} that is not a number"
    for index, case in enumerate(report["cases"], 1):
        if not isinstance(case, dict):
            return f"case {index} is not an object ({{'id', 'input', 'output', 'scores', ...}})"
        scores = case.get("scores", {})
        if not isinstance(scores, dict) or not all(
            v is None or _is_number(v) for v in scores.values()
        ):
            return f"case {index} has 'scores' that are not an object of numbers"
        notes = case.get("notes", {})
        if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
            return f"case {index} has 'notes' that are not an object of texts"
        calls = case.get("tool_calls", [])
        if not isinstance(calls, list) or not all(isinstance(c, str) for c in calls):
            return f"case {index} has 'tool_calls' that are not a list of tool names"
        if case.get("error") is not None and not isinstance(case["error"], str):
            return f"case {index} has an 'error' that is not a text"
    return None


def redacted_json(data: Any) -> bytes:
    """``data`` as JSON bytes with every secret the redaction nets catch removed."""
    return redact(body_bytes(data).decode("utf-8")).encode("utf-8")
