"""llmkit's benchmark suite: what llmkit costs, measured against a raw httpx2 loop.

``make bench`` (or ``python -m bench``) starts the fake provider server of
:mod:`llmkit.testing` in its own process, runs every case in a fresh client
process after a warm-up, and writes a Markdown table and a JSON file to
``bench/results/``. See ``bench/README.md`` for the cases, the targets and
the latest figures.
"""

from __future__ import annotations
