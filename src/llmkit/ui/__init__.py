"""The web dev UI: chat with served agents, watch their runs live, approve tool calls, read recordings.

::

    llmkit ui app.py:agent                 # the serve app plus the page at http://127.0.0.1:8000/ui/
    llmkit ui --recordings runs/           # recordings and evaluation reports, no agent

    app = ui_app(agent, tokens=["token-1"], recordings="runs/")   # an ASGI app: Server(app)

The page is a client of the serve API (``/v1/runs``, its events, approvals):
anything it shows, a script can get the same way. What this package adds is
the page itself (hand-written ES modules and CSS shipped in the wheel: no build
step, no CDN, works offline) and a small read-only JSON API under ``/ui/api/``
(what is served, the recordings folder). Guarantees:

- the serve app's token rules apply to every call the page makes; the page's
  static files hold no data and need no token. The token reaches the page in
  the URL's fragment (``/ui/#token=...``), which browsers never send to a server,
  and the page drops it from the address bar at once;
- no secret reaches the page: the serve app already sends none, and the UI's
  own answers pass through the redaction nets of :mod:`llmkit._redact`;
- model and tool text is shown as text: the page escapes everything before its
  markdown renderer adds its few tags, and its content security policy refuses
  inline and foreign scripts besides.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmkit._optional import require
from llmkit.errors import UsageError

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from llmkit.serve import Target

__all__ = ["ui_app"]


def ui_app(
    *targets: Target,
    tokens: Iterable[str],
    recordings: str | Path | None = None,
    **serve_options: Any,
) -> ASGIApp:
    """An ASGI app: the page at ``/ui/``, and ``targets`` served by ``llmkit.serve.app_for``.

    Args:
        targets: The agents and workflows to chat with (none: only recordings are browsed).
        tokens: The accepted bearer tokens, for the serve API and the UI's own API alike.
        recordings: A folder of recordings (``*.jsonl``) and evaluation reports
            (``*.json``) to browse (None: the recordings view is off).
        serve_options: Passed to :func:`llmkit.serve.app_for` (``store=``, ``rate_limit=`` …).

    Needs the ``serve`` extra (starlette, uvicorn): ``pip install 'llmkit[serve]'``.
    """
    require("starlette", extra="serve", feature="The web UI")
    from llmkit.serve import Tokens, app_for
    from llmkit.ui._mount import UIApp
    from llmkit.ui._recordings import Folder

    tokens = list(tokens) if not isinstance(tokens, str) else tokens
    checked = Tokens(tokens)
    if not targets and recordings is None:
        raise UsageError(
            "Give the UI something to show: agents or workflows to chat with, or "
            "recordings='folder' (llmkit ui --recordings DIR)."
        )
    serve = app_for(*targets, tokens=tokens, **serve_options) if targets else None
    folder = Folder(recordings) if recordings is not None else None
    return UIApp(
        serve=serve,
        tokens=checked,
        targets=[_describe(t) for t in targets],
        folder=folder,
        rate_limit=serve_options.get("rate_limit"),
    )


def _describe(target: Any) -> dict[str, Any]:
    """What the page shows of a served target before any run: its name, kind and structure."""
    from llmkit.workflow import Workflow

    if isinstance(target, Workflow):
        return {"name": target.name, "kind": "workflow", "tree": target.tree()}
    return {
        "name": target.name,
        "kind": "agent",
        "description": getattr(target, "description", None) or "",
    }
