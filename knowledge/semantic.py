"""How close a question is in meaning to each entry: a small sentence embedding, used to order search's best few.

Words alone miss a question put in other words: "our marketing is literally the founders tweeting, time for a real
team?" shares "market" with Market Timing and Marketing Team alike. A sentence embedding places the question near
the entry it means even when the words differ. The model is WordLlama's ``l2_supercat_256`` (MIT): a table of
256-dimensional token vectors distilled from a large language model's embeddings; a text's vector is the mean of its
tokens' vectors. Why it: it installs from PyPI with its weights inside the wheel (nothing is downloaded, which
matters on a machine without internet), it runs on numpy alone (no PyTorch, no ONNX runtime), it embeds a question in
about a tenth of a millisecond, and it loads in about a fifth of a second. Only its two data files are read (the
tokenizer with Hugging Face's ``tokenizers`` and the weights with ``safetensors``); the ``wordllama`` package
itself is never imported (its import costs a third of a second).

An entry is close to a question by two numbers, averaged: the cosine to its nearest field (the title, an alias, the
text, an item: a question often restates one alias) and the cosine to the whole entry (title, aliases and text in
one text). ``knowledge.search`` reorders its best few by these; the decision's margins then reflect both readings.

Chinese questions are not embedded: the model's vocabulary is English (a Chinese character is mostly bytes to it).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from knowledge.model import Entry

__all__ = ["SemanticIndex", "model_files", "semantic_index"]

log = logging.getLogger(__name__)

_MODEL = "l2_supercat"
_DIM = 256
_KNOWN_MAX = 20000


def model_files() -> tuple[Path, Path] | None:
    """The tokenizer and weight files inside the installed ``wordllama`` package, found without importing it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    tokenizer = root / "tokenizers" / f"{_MODEL}_tokenizer_config.json"
    weights = root / "weights" / f"{_MODEL}_{_DIM}.safetensors"
    if not (tokenizer.is_file() and weights.is_file()):
        return None
    return tokenizer, weights


class _Model:
    """The token table and its tokenizer: text -> unit vector."""

    def __init__(self, tokenizer_file: Path, weights_file: Path) -> None:
        # One matrix by one vector per question: OpenBLAS's thread pool only costs (about 0.1 s of CPU at import,
        # and threads that spin beside the bot's own). Unless the operator chose otherwise, it runs on one thread.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        import numpy as np
        from safetensors import safe_open
        from tokenizers import Tokenizer

        self._np = np
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        with safe_open(str(weights_file), framework="np") as f:
            # kept in float16 (16 MB); a text's rows are widened to float32 as they are read
            self._table = f.get_tensor("embedding.weight")
        # the entries' texts, embedded once per process: a reloaded knowledge base mostly repeats them
        self._known: dict[str, np.ndarray] = {}
        self._known_lock = threading.Lock()

    def embed_known(self, texts: Sequence[str]) -> np.ndarray:
        """``embed`` for the entries' own texts, remembered (up to ``_KNOWN_MAX`` texts; beyond, the memory starts
        again). Safe from several threads: searchers may be built side by side."""
        np = self._np
        if not texts:
            return self.embed([])
        with self._known_lock:
            found = {t: self._known[t] for t in texts if t in self._known}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            found.update(zip(missing, self.embed(missing), strict=True))
            with self._known_lock:
                if len(self._known) + len(missing) > _KNOWN_MAX:
                    self._known.clear()
                self._known.update((t, found[t]) for t in missing)
        return np.stack([found[t] for t in texts])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text (zeros for a text without tokens)."""
        np = self._np
        out = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        if not texts:
            return out
        for row, enc in enumerate(self._tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            ids = [i for i in enc.ids if 0 <= i < self._table.shape[0]]
            if not ids:
                continue
            vector = self._table[ids].astype(np.float32).mean(axis=0)
            norm = float(np.linalg.norm(vector))
            if norm > 0:
                out[row] = vector / norm
        return out


def _half(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` rounded to float16 precision, kept as float32 for the products."""
    return vectors.astype("<f2").astype(vectors.dtype)


class SemanticIndex:
    """The entries' vectors (each field, and the entry whole) for one list of entries, in that order."""

    def __init__(self, model: _Model, entries: Sequence[Entry]) -> None:
        np = model._np
        self._np: Any = np
        self._model: _Model | None = model
        fields: list[str] = []
        starts: list[int] = []  # where each entry's fields begin: they lie side by side, entry by entry
        for entry in entries:
            starts.append(len(fields))
            fields.extend([t for t in (entry.title, *entry.aliases, entry.text, *entry.items) if t] or [entry.id])
        # kept at float16 precision whether built or read from the cache (where they are stored as float16),
        # so a cached index answers exactly as a fresh one
        self._fields = _half(model.embed_known(fields))
        self._starts = np.asarray(starts, dtype=np.intp)
        self._whole = _half(model.embed_known([". ".join((e.title, *e.aliases, e.text)) for e in entries]))
        self._size = len(entries)
        self._packed: dict[str, Any] | None = None
        self._fresh()

    def _fresh(self) -> None:
        # lru_cache stays consistent across threads; two first calls of one question may both compute it
        self._question = lru_cache(maxsize=2048)(self._closeness)

    # The knowledge cache pickles the searcher with this index: the entries' vectors are kept (as float16 bytes, so
    # reading the cache imports no numpy: a question answered by a title word for word never needs the model), the
    # model (loaded once per process) and the questions' cache are not.
    def __getstate__(self) -> dict[str, Any]:
        if self._packed is not None:  # read from the cache and not used since: still as it was read
            return self._packed
        return {
            "fields": (self._fields.astype("<f2").tobytes(), self._fields.shape),
            "starts": self._starts.astype("<i4").tobytes(),
            "whole": (self._whole.astype("<f2").tobytes(), self._whole.shape),
            "size": self._size,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._packed = state
        self._size = state["size"]
        self._model = None
        self._np = None
        self._fresh()

    def ready(self) -> bool:
        """The model is loaded (an index read from the cache loads it now); False when it cannot be."""
        if self._model is not None:
            return True
        model = _load_model()
        if model is None:
            return False
        np = model._np
        packed = self._packed
        if packed is not None:
            data, shape = packed["fields"]
            self._fields = np.frombuffer(data, dtype="<f2").astype(np.float32).reshape(shape)
            self._starts = np.frombuffer(packed["starts"], dtype="<i4").astype(np.intp)
            data, shape = packed["whole"]
            self._whole = np.frombuffer(data, dtype="<f2").astype(np.float32).reshape(shape)
            self._packed = None
        self._np = np
        self._model = model  # last: an index whose vectors could not be restored stays not ready
        return True

    def closeness(self, question: str) -> np.ndarray:
        """Per entry, how close ``question`` is in meaning: the mean of the cosine to its nearest field and the
        cosine to the whole entry (-1.0 to 1.0)."""
        return self._question(question)

    def _closeness(self, question: str) -> np.ndarray:
        np = self._np
        assert self._model is not None, "closeness() before ready()"
        vector = self._model.embed([question])[0]
        nearest = np.maximum.reduceat(self._fields @ vector, self._starts) if self._size else np.zeros(0, np.float32)
        close = 0.5 * nearest + 0.5 * (self._whole @ vector)
        close.flags.writeable = False  # shared by the cache
        return close


_model_lock = threading.Lock()
_model: _Model | None = None
_unavailable = False


def _load_model() -> _Model | None:
    global _model, _unavailable
    with _model_lock:
        if _model is None and not _unavailable:
            files = model_files()
            try:
                if files is None:
                    raise FileNotFoundError("the wordllama package's model files")
                _model = _Model(*files)
            except Exception as exc:  # noqa: BLE001 - a broken install must not stop answers: words still rank
                _unavailable = True
                log.warning("semantic ranking off: %s", type(exc).__name__)
        return _model


def semantic_index(entries: Sequence[Entry]) -> SemanticIndex | None:
    """A semantic index over ``entries``, or None when the model cannot be loaded (logged once)."""
    model = _load_model()
    return SemanticIndex(model, entries) if model is not None else None


def _reset_for_tests(*, unavailable: bool) -> Any:
    """Forget the loaded model; with ``unavailable`` the next load is refused. Returns the former model."""
    global _model, _unavailable
    with _model_lock:
        former = _model
        _model, _unavailable = None, unavailable
        return former
