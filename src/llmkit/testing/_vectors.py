"""Deterministic embedding vectors for the fakes: the same text always gives the same vector."""

from __future__ import annotations

import hashlib
import math
import sys
from array import array

__all__ = ["text_vector"]


def text_vector(text: str, dimensions: int) -> list[float]:
    """A unit-length vector of ``dimensions`` floats derived from a hash of ``text``.

    Equal texts get equal vectors and different texts (almost surely) different
    ones, which is what tests of retrieval code need; nothing more is implied.
    """
    raw = hashlib.shake_256(text.encode("utf-8")).digest(2 * dimensions)
    values = array("H")
    values.frombytes(raw)
    if sys.byteorder == "big":
        values.byteswap()  # same vectors on every machine
    vector = [v / 32767.5 - 1.0 for v in values]
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    # Rounded through float32 so a vector survives the base64 float32 wire form unchanged.
    packed = array("f", (x / norm for x in vector))
    return packed.tolist()
