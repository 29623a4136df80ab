"""``VectorIndex``: the in-memory half of every vector store, an exact cosine search with numpy.

What always holds:

- the vectors are float32 rows of one matrix, each scaled to unit length when added, so a
  score is the cosine similarity of the query and the item (1.0 for the same direction);
- a search scores every stored row (exact, no approximation) and returns the best ``k``,
  best first, ties in the order the rows stand;
- a ``where`` filter keeps the items whose metadata matches every field: equality, or
  ``{"$in": [...]}`` for any of several values; a field that no stored item has is an
  :class:`~llmkit.memory.UnknownFieldError` (a typo would otherwise find nothing, silently);
- adding an id already present replaces that item; removing swaps the last row into the
  freed one, so the matrix stays dense and removal costs one row copy.

Not thread-safe on its own: the stores call it under their lock. numpy is imported on first
use (the ``vectors`` extra).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmkit._optional import require
from llmkit.errors import UsageError
from llmkit.memory._errors import UnknownFieldError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Matrix = npt.NDArray[np.float32]

__all__ = ["VectorIndex", "check_where", "numpy"]

_OPERATORS = ("$in",)


def numpy() -> Any:
    """The numpy module, or :class:`~llmkit.errors.MissingExtraError` naming the ``vectors`` extra."""
    return require("numpy", extra="vectors", feature="Vector search")


def check_where(where: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``where`` checked for its shape: field -> a value, or ``{"$in": [values]}``."""
    if where is None:
        return None
    if not isinstance(where, Mapping):
        raise UsageError(
            f"where= takes a dict of metadata fields, e.g. {{'source': 'atlas'}}; "
            f"got {type(where).__name__}."
        )
    checked: dict[str, Any] = {}
    for field, condition in where.items():
        if not isinstance(field, str):
            raise UsageError(f"where= field names are strings; got {field!r}.")
        if isinstance(condition, Mapping):
            unknown = [op for op in condition if op not in _OPERATORS]
            if unknown or len(condition) != 1:
                raise UsageError(
                    f"where={{{field!r}: {dict(condition)!r}}}: a condition is a value (equality) "
                    "or {'$in': [values]} (any of them); no other operator is supported."
                )
            values = condition["$in"]
            if isinstance(values, str | bytes) or not isinstance(values, Sequence):
                raise UsageError(
                    f"where={{{field!r}: {{'$in': ...}}}} takes a list of values, "
                    f"got {type(values).__name__}."
                )
            checked[field] = ("in", list(values))
        else:
            checked[field] = ("eq", condition)
    return checked


class VectorIndex:
    """Unit-length float32 vectors with their ids, texts and metadata; exact top-k search."""

    def __init__(self, dimension: int | None = None) -> None:
        self.dimension = dimension
        self.size = 0
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self.texts: list[str] = []
        self.metadata: list[dict[str, Any]] = []
        self.fields: Counter[str] = Counter()
        self.matrix: Matrix | None = None

    def __len__(self) -> int:
        return self.size

    @property
    def nbytes(self) -> int:
        """Bytes the vectors take (the matrix's capacity, which grows by doubling)."""
        return 0 if self.matrix is None else int(self.matrix.nbytes)

    def add(
        self,
        ids: Sequence[str],
        vectors: Matrix,
        texts: Sequence[str],
        metadata: Sequence[dict[str, Any]],
    ) -> None:
        """Add (or replace, by id) items; ``vectors`` are already unit length, one row per id."""
        np = numpy()
        if self.dimension is None:
            self.dimension = int(vectors.shape[1])
        self.remove([i for i in ids if i in self.rows])
        need = self.size + len(ids)
        if self.matrix is None or need > self.matrix.shape[0]:
            capacity = max(need, 2 * (0 if self.matrix is None else self.matrix.shape[0]), 64)
            grown = np.empty((capacity, self.dimension), dtype=np.float32)
            if self.matrix is not None:
                grown[: self.size] = self.matrix[: self.size]
            self.matrix = grown
        self.matrix[self.size : need] = vectors
        for offset, item_id in enumerate(ids):
            self.rows[item_id] = self.size + offset
            self.fields.update(metadata[offset].keys())
        self.ids.extend(ids)
        self.texts.extend(texts)
        self.metadata.extend(metadata)
        self.size = need

    def remove(self, ids: Sequence[str]) -> int:
        """Remove the items with these ids (unknown ids are skipped); how many were removed."""
        removed = 0
        for item_id in ids:
            row = self.rows.pop(item_id, None)
            if row is None:
                continue
            removed += 1
            self.fields.subtract(self.metadata[row].keys())
            last = self.size - 1
            if row != last:
                assert self.matrix is not None
                self.matrix[row] = self.matrix[last]
                self.ids[row] = self.ids[last]
                self.texts[row] = self.texts[last]
                self.metadata[row] = self.metadata[last]
                self.rows[self.ids[row]] = row
            self.ids.pop()
            self.texts.pop()
            self.metadata.pop()
            self.size = last
        self.fields = +self.fields  # drop the fields no item has any more
        return removed

    def search(
        self, query: Matrix, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[int, float]]:
        """The best ``k`` rows for a unit-length ``query``, as (row, score), best first."""
        if self.size == 0 or self.matrix is None:
            return []
        if where:
            return self.search_rows(query, k, self.matching_rows(where))
        return self._top(self.matrix[: self.size] @ query, None, k)

    def search_rows(self, query: Matrix, k: int, rows: Sequence[int]) -> list[tuple[int, float]]:
        """The best ``k`` of ``rows`` (in row order) for a unit-length ``query``, best first."""
        np = numpy()
        if not rows or self.matrix is None:
            return []
        picked = np.fromiter(rows, dtype=np.int64, count=len(rows))
        return self._top(self.matrix[picked] @ query, picked, k)

    def _top(self, scores: Any, rows: Any, k: int) -> list[tuple[int, float]]:
        np = numpy()
        k = min(k, scores.shape[0])
        if k < scores.shape[0]:
            top = np.argpartition(-scores, k - 1)[:k]
        else:
            top = np.arange(scores.shape[0])
        # Best first; a stable sort on the row order breaks ties the same way every time.
        top = top[np.argsort(top, kind="stable")]
        top = top[np.argsort(-scores[top], kind="stable")]
        found = top if rows is None else rows[top]
        return [(int(row), float(score)) for row, score in zip(found, scores[top], strict=True)]

    def matching_rows(self, where: dict[str, Any]) -> list[int]:
        """The rows whose metadata matches ``where`` (checked by :func:`check_where`), in order."""
        for field in where:
            if field not in self.fields:
                known = tuple(sorted(self.fields))
                listed = ", ".join(map(repr, known)) or "none (no item has metadata)"
                raise UnknownFieldError(
                    f"where= names the field {field!r}, which no stored item has; the fields "
                    f"stored items have: {listed}. Check the spelling, or filter on one of those.",
                    field=field,
                    known=known,
                )
        conditions = list(where.items())
        keep = []
        for row, meta in enumerate(self.metadata):
            for field, (op, value) in conditions:
                if field not in meta:
                    break
                got = meta[field]
                if op == "eq":
                    if got != value:
                        break
                elif got not in value:
                    break
            else:
                keep.append(row)
        return keep
