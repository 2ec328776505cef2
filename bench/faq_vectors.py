"""A candidate word-vector signal for the FAQ ranker (chiVe vectors from ja-ginza), kept with its experiment.

The vectors are the chiVe-derived table that the `ja-ginza` wheel ships (20,000 distinct 300-d
float32 rows shared by 480,443 Sudachi normalised forms; MIT, chiVe Apache-2.0). They are read
without spaCy: `vocab/vectors` is a .npy array, `vocab/key2row` a msgpack map from spaCy's
string key to a row, and the key of a string is MurmurHash64A(UTF-8 bytes, seed 1), computed
here in pure Python, so only the words of a text are ever hashed. Nothing is downloaded.

A text is embedded as the IDF-weighted mean of its content words' vectors (Sudachi words from
faq.tokenize.morphemes; a word without a vector falls back to its mode-A parts). FAQs are
embedded from question + keywords + category + paraphrases + answer, with the direction all FAQ
vectors share projected out; the ranker would add the cosine to max-normalised BM25 (`fuse`).

Loading takes ~0.5 s and ~50 MB (the 23 MB table, the 5.8 MB key index); a query costs one
more Sudachi pass and a (slots x 300) float32 mat-vec, ~0.2 ms at 1,786 FAQs.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import struct
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from faq.tokenize import STOPWORDS, morphemes

PACKAGE = "ja_ginza"
_M = 0xC6A4A7935BD1E995
_MASK = 0xFFFFFFFFFFFFFFFF


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A, the 64-bit hash spaCy uses for string keys (seed 1)."""
    h = (seed ^ (len(data) * _M)) & _MASK
    end = len(data) - len(data) % 8
    for i in range(0, end, 8):
        k = (int.from_bytes(data[i : i + 8], "little") * _M) & _MASK
        k = ((k ^ (k >> 47)) * _M) & _MASK
        h = ((h ^ k) * _M) & _MASK
    if end < len(data):
        h = ((h ^ int.from_bytes(data[end:], "little")) * _M) & _MASK
    h = ((h ^ (h >> 47)) * _M) & _MASK
    return h ^ (h >> 47)


def parse_key2row(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """spaCy's msgpack key2row (map of uint -> uint) as sorted uint64 keys and int32 rows."""
    pos, count = _map_header(data)
    keys = np.empty(count, dtype=np.uint64)
    rows = np.empty(count, dtype=np.int32)
    for i in range(count):
        keys[i], pos = _uint(data, pos)
        rows[i], pos = _uint(data, pos)
    order = np.argsort(keys)
    return keys[order], rows[order]


def _map_header(data: bytes) -> tuple[int, int]:
    tag = data[0]
    if 0x80 <= tag <= 0x8F:
        return 1, tag & 0x0F
    if tag == 0xDE:
        return 3, struct.unpack_from(">H", data, 1)[0]
    if tag == 0xDF:
        return 5, struct.unpack_from(">I", data, 1)[0]
    raise ValueError(f"key2row: not a msgpack map (0x{tag:02x})")


_UINT = {0xCC: (">B", 1), 0xCD: (">H", 2), 0xCE: (">I", 4), 0xCF: (">Q", 8)}


def _uint(data: bytes, pos: int) -> tuple[int, int]:
    tag = data[pos]
    if tag < 0x80:
        return tag, pos + 1
    fmt, size = _UINT.get(tag, (None, 0))
    if fmt is None:
        raise ValueError(f"key2row: unexpected msgpack tag 0x{tag:02x} at {pos}")
    return struct.unpack_from(fmt, data, pos + 1)[0], pos + 1 + size


@dataclass(frozen=True, eq=False)
class WordVectors:
    """Unit-length word vectors, looked up by Sudachi normalised form."""

    keys: np.ndarray  # uint64, sorted
    rows: np.ndarray  # int32, row of each key
    table: np.ndarray  # float32 (rows, dim), L2-normalised

    @classmethod
    def load(cls, package: str = PACKAGE) -> "WordVectors":
        """Read the table from the installed package's data (no spaCy, no download)."""
        vocab = _find_vocab(package_root(package))
        keys, rows = parse_key2row(vocab.joinpath("key2row").read_bytes())
        with vocab.joinpath("vectors").open("rb") as f:
            table = np.load(f).astype(np.float32, copy=False)
        norms = np.linalg.norm(table, axis=1, keepdims=True)
        table = table / np.maximum(norms, 1e-12)
        return cls(keys, rows, table)

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def row(self, word: str) -> int:
        """Row of `word`, trying it as given and with its hiragana turned into katakana; -1 if none."""
        for candidate in dict.fromkeys((word, to_katakana(word))):
            key = np.uint64(murmurhash64a(candidate.encode("utf-8")))
            i = int(np.searchsorted(self.keys, key))
            if i < len(self.keys) and self.keys[i] == key:
                return int(self.rows[i])
        return -1


def package_root(package: str = PACKAGE) -> Traversable:
    """The installed package's directory, found without importing it (ja_ginza's __init__
    imports spaCy, which this module does not need)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} (the word vectors) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _find_vocab(root: Traversable) -> Traversable:
    if root.joinpath("vocab", "vectors").is_file():
        return root.joinpath("vocab")
    for child in sorted(root.iterdir(), key=lambda p: p.name):
        if child.is_dir() and child.joinpath("vocab", "vectors").is_file():
            return child.joinpath("vocab")
    raise FileNotFoundError(f"no vocab/vectors in package {root}")


def to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def content_rows(text: str, vectors: WordVectors) -> list[tuple[str, int]]:
    """(word, vector row) for the content words of `text`; words without a vector use their mode-A parts."""
    out: list[tuple[str, int]] = []
    for surface, norm, parts in morphemes(text):
        if norm in STOPWORDS or (len(norm) == 1 and "\u3041" <= norm <= "\u30ff"):
            continue
        row = _cached_row(vectors, norm)
        if row < 0:
            row = _cached_row(vectors, surface)
        if row >= 0:
            out.append((norm, row))
            continue
        for part in parts:
            if part not in STOPWORDS and (r := _cached_row(vectors, part)) >= 0:
                out.append((part, r))
    return out


@lru_cache(maxsize=65536)
def _cached_row(vectors: WordVectors, word: str) -> int:
    return vectors.row(word)


@dataclass(frozen=True, eq=False)
class DenseIndex:
    """One unit vector per FAQ slot (zero for FAQs without known words), the word IDFs and the
    common direction removed from every vector.

    Texts are embedded as the IDF-weighted mean of their word vectors; the first principal
    component of the FAQ matrix (what every FAQ text shares: 申請, 手続き, ...) is then projected
    out of FAQs and questions alike (as in SIF embeddings), which is what makes the cosine useful.
    `with_text` adds or replaces one slot keeping IDF and the component as built: a full `build`
    refreshes them.
    """

    matrix: np.ndarray  # float32 (slots, dim), unit rows
    idf: Mapping[str, float]
    default_idf: float
    common: np.ndarray  # float32 (dim,), unit; zeros when nothing is removed
    vectors: WordVectors

    @classmethod
    def build(cls, texts: Sequence[str], vectors: WordVectors, *, remove_common: bool = True) -> "DenseIndex":
        """Embed one text per slot (e.g. FAQ question + keywords + paraphrases)."""
        words = [content_rows(t, vectors) for t in texts]
        df = Counter(w for ws in words for w in {w for w, _ in ws})
        n = max(len(texts), 1)
        idf = {w: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
        default = math.log(1.0 + (n + 0.5) / 0.5)
        raw = np.zeros((len(texts), vectors.dim), np.float32)
        for slot, ws in enumerate(words):
            raw[slot] = _weighted_mean(ws, idf, default, vectors)
        common = np.zeros(vectors.dim, np.float32)
        if remove_common and len(texts) > 1 and raw.any():
            common = np.linalg.svd(_unit(raw).astype(np.float64), full_matrices=False)[2][0].astype(np.float32)
        index = cls(raw, idf, default, common, vectors)
        return dataclasses.replace(index, matrix=index._finish(raw))

    def _finish(self, raw: np.ndarray) -> np.ndarray:
        m = _unit(raw)
        m = m - np.outer(m @ self.common, self.common)
        return _unit(m)

    def embed(self, text: str) -> np.ndarray:
        """Unit vector of a question or FAQ text (zeros when none of its words has a vector)."""
        v = _weighted_mean(content_rows(text, self.vectors), self.idf, self.default_idf, self.vectors)
        v = _unit(v)
        v = v - float(np.dot(v, self.common)) * self.common
        return _unit(v)

    def cosine(self, text: str) -> np.ndarray:
        """Cosine of `text` to every slot (0 where either side has no known word).

        einsum, not `@`: a matrix-vector product goes to the BLAS thread pool, whose hand-offs
        cost up to 10-20 ms at p99 on a busy 2-core machine; einsum stays on the calling thread
        (~0.05 ms at 1,786 FAQs, ~0.6 ms at 20,000).
        """
        return np.einsum("ij,j->i", self.matrix, self.embed(text))

    def top(self, text: str, k: int = 10) -> list[tuple[int, float]]:
        """The k most similar slots, best first."""
        cos = self.cosine(text)
        k = min(k, len(cos))
        if k <= 0:
            return []
        top = np.argpartition(-cos, k - 1)[:k]
        top = top[np.argsort(-cos[top], kind="stable")]
        return [(int(s), float(cos[s])) for s in top]

    def with_text(self, slot: int, text: str) -> "DenseIndex":
        """A new index with `slot` set to `text` (slot == len appends); IDF and component unchanged."""
        row = self.embed(text)[None, :]
        if slot == len(self.matrix):
            matrix = np.vstack([self.matrix, row])
        else:
            matrix = self.matrix.copy()
            matrix[slot] = row
        return dataclasses.replace(self, matrix=matrix)


def _weighted_mean(words: Iterable[tuple[str, int]], idf: Mapping[str, float], default: float,
                   vectors: WordVectors) -> np.ndarray:
    total = np.zeros(vectors.dim, np.float32)
    for word, row in words:
        total += idf.get(word, default) * vectors.table[row]
    return total


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-12)


# Fusion weight of the cosine against max-normalised BM25, for FAQs embedded from question +
# paraphrases + answer: what 5-fold CV chose on LocalgovFAQ (all five folds picked 1.25; see
# bench/faq_vectors_experiment.py).
FUSION_WEIGHT = 1.25


def fuse(bm25: np.ndarray, cosine: np.ndarray, weight: float = FUSION_WEIGHT) -> np.ndarray:
    """BM25 scaled to its query's maximum, plus `weight` × cosine."""
    top = float(np.max(bm25)) if len(bm25) else 0.0
    base = bm25 / top if top > 0 else np.zeros_like(bm25)
    return base + weight * cosine
