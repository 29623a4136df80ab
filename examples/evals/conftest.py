"""Lets the tests here import the agent beside them (``support_agent``, ``offline_model``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
