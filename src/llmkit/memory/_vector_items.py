"""The checks of ``VectorStore.add``'s arguments: texts, one JSON-able dict per text, unique ids.

Each mistake is a :class:`~llmkit.errors.UsageError` that says what to pass instead.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from llmkit.errors import UsageError

__all__ = ["check_items"]


def check_items(
    texts: Sequence[str],
    metadata: Sequence[Mapping[str, Any]] | None,
    ids: Sequence[str] | None,
) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """The texts, metadata and ids of an ``add``, checked, as lists (new ids when none given)."""
    if isinstance(texts, str):
        raise UsageError("add() takes a list of texts; wrap a single text in a list.")
    texts = list(texts)
    for text in texts:
        if not isinstance(text, str):
            raise UsageError(f"add() takes texts as str, got {type(text).__name__}.")
    if metadata is None:
        metas: list[dict[str, Any]] = [{} for _ in texts]
    else:
        if isinstance(metadata, Mapping):
            raise UsageError("metadata= takes one dict per text (a list of dicts), not one dict.")
        metas = [dict(m) if isinstance(m, Mapping) else m for m in metadata]
        if len(metas) != len(texts) or not all(isinstance(m, dict) for m in metas):
            raise UsageError(
                f"metadata= takes one dict per text: {len(texts)} texts, "
                f"{len(metas)} metadata entries."
            )
        for m in metas:
            if not all(isinstance(key, str) for key in m):
                raise UsageError(f"metadata field names are strings; got {list(m)!r}.")
            try:
                json.dumps(m, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise UsageError(
                    f"metadata must be JSON data (str keys; str, number, bool, None, lists, "
                    f"dicts): {exc}."
                ) from None
    if ids is None:
        new_ids = [uuid.uuid4().hex for _ in texts]
    else:
        if isinstance(ids, str):
            raise UsageError("ids= takes one id per text (a list of str), not one str.")
        new_ids = list(ids)
        if len(new_ids) != len(texts) or not all(isinstance(i, str) and i for i in new_ids):
            raise UsageError(
                f"ids= takes one non-empty str per text: {len(texts)} texts, {len(new_ids)} ids."
            )
        if len(set(new_ids)) != len(new_ids):
            raise UsageError("ids= holds the same id twice; each text needs its own id.")
    return texts, metas, new_ids
