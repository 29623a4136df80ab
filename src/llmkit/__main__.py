"""``python -m llmkit``: the ``llmkit`` command."""

from __future__ import annotations

import sys

from llmkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
