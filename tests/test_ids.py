"""Run ids: the text of a version-4 UUID, each one new."""

from __future__ import annotations

import re
import uuid

from llmkit._ids import new_id


def test_an_id_reads_back_as_a_version_4_uuid() -> None:
    for _ in range(200):
        text = new_id()
        assert re.fullmatch(r"[0-9a-f]{32}", text)
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and parsed.hex == text


def test_ids_do_not_repeat() -> None:
    assert len({new_id() for _ in range(10_000)}) == 10_000
