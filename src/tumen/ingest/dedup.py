"""Near-duplicate detection: MinHash signatures over word shingles, LSH to find candidates.

Exact duplicates (same normalized body) are caught by the store's UNIQUE content hash;
this module finds the *near* duplicates: syndicated copies and lightly edited versions.
A report is a near-duplicate of a stored one when the Jaccard similarity of their word
shingle sets is at least ``NEAR_DUPLICATE_THRESHOLD``.  LSH (datasketch) proposes
candidates from the signatures; each candidate is then confirmed with the exact Jaccard
of the two bodies, so LSH's false positives never become links.

The store keeps each report's signature (bytes, see ``signature_bytes``) and its LSH
band hashes (``band_hashes``) in indexed tables, so finding candidates is one indexed
lookup per band and memory does not grow with the store.  ``NearDuplicateIndex`` is
the in-memory LSH, for per-run use (file-mode analysis in ``tumen.analysis.linking``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from typing import Iterable, Iterator

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from tumen.record import Report, Signature


# Words per shingle.  Calibrated on the devset (shared/data/devset): with 3-word
# shingles the syndicated pair d008/d029 (new headline, one paragraph cut, spelling
# and number edits, an added attribution line) has Jaccard 0.77, while the three
# same-incident pairs written by different outlets (d005/d012, d014/d017, d021/d026)
# score 0.016-0.031 and the closest unrelated pair 0.044.
SHINGLE_WORDS = 3
# Jaccard at or above which two reports are near-duplicates.  0.5 sits far from both
# sides of the devset gap (0.044 .. 0.77): heavier edits than d008/d029's still link,
# reports that merely share a topic or a KCNA boilerplate paragraph do not.
NEAR_DUPLICATE_THRESHOLD = 0.5
# Permutations per signature.  64 keeps the signature at 256 bytes and MinHash cost
# well under the ingest budget (2,000 reports/s); candidates are confirmed exactly,
# so fewer permutations only cost a few extra confirmations, never wrong links.
NUM_PERM = 64
SEED = 1
# LSH bands x rows per band for the store's band table.  datasketch's _optimal_param
# (what MinHashLSH(threshold=0.5, num_perm=64) uses, equal false-positive and
# false-negative weights) gives b=14, r=4: a pair at Jaccard 0.5 shares at least one
# band with probability 1-(1-0.5^4)^14 = 0.60, at 0.77 (the devset's syndicated pair)
# 0.998, at 0.9 1.0; an unrelated pair at 0.05 with probability 1e-4.  Candidates are
# confirmed with the exact Jaccard, so false positives cost one confirmation each.
# The last NUM_PERM - LSH_BANDS * LSH_ROWS = 8 values are not used by the bands.
LSH_BANDS = 14
LSH_ROWS = 4

_WORD = re.compile(r"\w+")
# Combining marks (Latin/Greek/Cyrillic diacritics, the romanization breves) dropped
# after NFKD; Hangul decomposes into jamo, which stay letters.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_MAX_HASH = np.uint64((1 << 32) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
# Odd multipliers that mix three word hashes into one shingle hash.
_MIX = (np.uint64(0x9E3779B1), np.uint64(0x85EBCA77), np.uint64(1))
# Permutations are multiply-shift hashes ((a*h + b) mod 2^64) >> 32 with odd a: no
# modulo, so a signature costs one vectorized multiply-add.  datasketch only sees the
# resulting values (label "legacy": a 32-bit scheme; LSH never recomputes them).
_SCHEME = "legacy"
_rng = np.random.RandomState(SEED)
_PERM_A = _rng.randint(1, 2**62, size=NUM_PERM, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1)
_PERM_B = _rng.randint(0, 2**62, size=NUM_PERM, dtype=np.int64).astype(np.uint64)
_SHIFT = np.uint64(32)


def _words(text: str) -> list[str]:
    """Lowercased words with diacritics dropped (a fast ``text.fold`` for shingling)."""
    text = text.lower()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _WORD.findall(text)


# Most word hashes cached (words repeat: a corpus of 20,000 reports has ~60,000
# distinct words); the cache is emptied when full, which bounds its memory (~20 MB).
WORD_CACHE_SIZE = 200_000
# Characters of a body shingled at a time, and shingles hashed by the permutations at a
# time: what bounds the memory of a signature (a few MB) whatever the body's size.  A
# whole-body N x NUM_PERM matrix took 512 bytes a word: 1.2 GB for a 6 MB body.
SHINGLE_PIECE_CHARS = 1 << 20
MINHASH_BLOCK = 4096


class _WordHashes(dict):
    def __missing__(self, word: str) -> int:
        if len(self) >= WORD_CACHE_SIZE:
            self.clear()
        value = self[word] = zlib.crc32(word.encode("utf-8"))
        return value


_word_hashes = _WordHashes()


def _pieces(text: str) -> Iterator[str]:
    """``text`` in pieces of about ``SHINGLE_PIECE_CHARS``, cut at whitespace (a word
    is never split unless a piece has no whitespace at all)."""
    start, n = 0, len(text)
    while start < n:
        end = start + SHINGLE_PIECE_CHARS
        if end < n:
            cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            end = cut + 1 if cut > start else end
        yield text[start:end]
        start = end


def _shingle_chunks(text: str, k: int = SHINGLE_WORDS) -> Iterator[np.ndarray]:
    """The shingle hashes of ``text`` (see ``shingles``), a piece of the text at a time:
    the k-1 last word hashes of a piece are carried into the next."""
    carry = np.zeros(0, dtype=np.uint64)
    first_words: list[str] = []  # only while fewer than k words were seen
    seen = 0
    for piece in _pieces(text):
        words = _words(piece)
        if not words:
            continue
        if seen < k:
            first_words.extend(words[:k])
        seen += len(words)
        h = np.fromiter(map(_word_hashes.__getitem__, words), dtype=np.uint64, count=len(words))
        del words
        h = np.concatenate([carry, h]) if len(carry) else h
        if len(h) >= k:
            mixed = np.zeros(len(h) - k + 1, dtype=np.uint64)
            for i in range(k):
                mixed = mixed * _MIX[0] + h[i:len(h) - k + 1 + i] * _MIX[min(i, 2)]
            yield mixed & _MASK32
        carry = h[len(h) - (k - 1):] if k > 1 else h[:0]
    if 0 < seen < k:
        yield np.array([zlib.crc32(" ".join(first_words).encode("utf-8"))], dtype=np.uint64)


def shingles(text: str, k: int = SHINGLE_WORDS) -> np.ndarray:
    """The word k-shingles of ``text`` as 32-bit hashes (repeats kept: MinHash ignores
    them and ``jaccard`` removes them, which saves a sort on the hot path).

    Words are hashed once (crc32) and combined per shingle with numpy, which is what
    keeps shingling at several thousand reports per second."""
    chunks = list(_shingle_chunks(text, k))
    if not chunks:
        return np.zeros(0, dtype=np.uint64)
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of the shingle sets of two ``shingles()`` results."""
    a, b = np.unique(a), np.unique(b)
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def _minhash_values(chunks: Iterable[np.ndarray]) -> np.ndarray:
    """The ``NUM_PERM`` minimum permuted hashes over shingle chunks, ``MINHASH_BLOCK``
    shingles at a time (memory: one block x NUM_PERM, 2 MB)."""
    values = np.full(NUM_PERM, _MAX_HASH, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for chunk in chunks:
            for i in range(0, len(chunk), MINHASH_BLOCK):
                block = chunk[i:i + MINHASH_BLOCK]
                np.minimum(values, ((block[:, None] * _PERM_A + _PERM_B) >> _SHIFT).min(axis=0),
                           out=values)
    return values


def minhash(shingle_set: np.ndarray) -> LeanMinHash:
    """The MinHash signature (``NUM_PERM`` values) of a shingle set."""
    return LeanMinHash(seed=SEED, hashvalues=_minhash_values([shingle_set]), scheme=_SCHEME)


def minhash_of_text(text: str) -> LeanMinHash:
    """``minhash(shingles(text))`` without holding all the shingles: memory bounded by a
    constant for any body."""
    return LeanMinHash(seed=SEED, hashvalues=_minhash_values(_shingle_chunks(text)), scheme=_SCHEME)


def signature_bytes(m: LeanMinHash) -> bytes:
    return np.asarray(m.hashvalues, dtype="<u4").tobytes()


def signature_from_bytes(data: bytes) -> LeanMinHash:
    values = np.frombuffer(data, dtype="<u4").astype(np.uint64)
    return LeanMinHash(seed=SEED, hashvalues=values, scheme=_SCHEME)


_BAND_BYTES = 4 * LSH_ROWS


def band_hash(signature: bytes, band: int) -> int:
    """The hash of one LSH band of a stored signature (``signature_bytes``): the first 8
    bytes of the MD5 of the band's ``LSH_ROWS`` little-endian uint32 values, as a signed
    64-bit integer (big-endian).  MD5 because PostgreSQL computes the same value in SQL
    (``('x' || substr(md5(band bytes), 1, 16))::bit(64)::bigint``), so both backends
    can build their band tables from stored signatures."""
    start = band * _BAND_BYTES
    digest = hashlib.md5(signature[start:start + _BAND_BYTES]).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def band_hashes(m: LeanMinHash | bytes) -> list[tuple[int, int]]:
    """``(band, hash)`` for each of the ``LSH_BANDS`` bands of a signature."""
    data = m if isinstance(m, (bytes, bytearray, memoryview)) else signature_bytes(m)
    data = bytes(data)
    md5 = hashlib.md5
    return [(b, int.from_bytes(md5(data[b * _BAND_BYTES:(b + 1) * _BAND_BYTES]).digest()[:8],
                               "big", signed=True)) for b in range(LSH_BANDS)]


def sign(body: str) -> Signature:
    """The near-duplicate fingerprint of a body: signature bytes and ``band_hashes``."""
    data = signature_bytes(minhash_of_text(body))
    return Signature(data, tuple(band_hashes(data)))


def signature_of(report: Report) -> Signature:
    """The report's fingerprint: the one it carries (computed where it was read, e.g. in
    ingest's reader process), else computed now."""
    return report.signature if report.signature is not None else sign(report.body)


def fingerprint(body: str) -> tuple[np.ndarray, LeanMinHash]:
    """The shingles and MinHash signature of a body."""
    shingle_set = shingles(body)
    return shingle_set, minhash(shingle_set)


class NearDuplicateIndex:
    """An in-memory LSH (datasketch) over the signatures added to it: for per-run use
    (file-mode analysis).  The store does not use it: its bands are in a table."""

    def __init__(self, threshold: float = NEAR_DUPLICATE_THRESHOLD, num_perm: int = NUM_PERM):
        self.threshold = threshold
        self.num_perm = num_perm
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)

    def __len__(self) -> int:
        return len(self._lsh.keys) if hasattr(self._lsh, "keys") else 0

    def __contains__(self, key: str) -> bool:
        return key in self._lsh

    def load(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Fill the index from stored ``(report_id, signature bytes)`` pairs."""
        n = 0
        with self._lsh.insertion_session() as session:
            for key, data in items:
                session.insert(key, signature_from_bytes(data), check_duplication=False)
                n += 1
        return n

    def candidates(self, m: LeanMinHash) -> list[str]:
        return list(self._lsh.query(m))

    def add(self, key: str, m: LeanMinHash) -> None:
        if key not in self._lsh:
            self._lsh.insert(key, m, check_duplication=False)

    def remove(self, key: str) -> None:
        if key in self._lsh:
            self._lsh.remove(key)
