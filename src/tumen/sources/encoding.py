"""Bytes → text: byte-order marks, UTF-8, UTF-16/32, Korean legacy code pages.

Detection runs once per file on a head sample (``sniff``), never per line: the line
readers decode every line with the encoding found here.  UTF-8 is tried first (it is
strict: random bytes are very rarely valid UTF-8), then charset-normalizer decides.
"""

from __future__ import annotations

import codecs

from ..errors import InputError

# How many bytes of a file's head are examined to choose its encoding.  64 KiB holds
# several paragraphs of Korean (2 bytes a syllable in CP949) which charset-normalizer
# needs to tell CP949 from other double-byte code pages.
HEAD_BYTES = 64 * 1024

# A text file has (almost) no control characters; above this share of C0 controls
# (other than tab, newline, carriage return, form feed) in the head, it is binary.
# Calibrated on our fixtures: text files hold 0, PNG/ZIP/ELF heads hold > 5 %.
MAX_CONTROL_SHARE = 0.01

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# charset-normalizer names the Korean code pages in several ways; CP949 is the
# superset of EUC-KR that Windows (and most Korean files) actually use.
_ALIASES = {"euc_kr": "cp949", "euc-kr": "cp949", "ks_c_5601-1987": "cp949",
            "uhc": "cp949", "ascii": "utf-8", "utf_8": "utf-8"}

_CONTROL = frozenset(range(0, 32)) - {9, 10, 12, 13, 27}


def bom_encoding(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM: mostly-ASCII text has a NUL in every other byte."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _looks_binary(sample: bytes) -> bool:
    if not sample:
        return False
    controls = sum(1 for b in sample[:8192] if b in _CONTROL)
    return controls / min(len(sample), 8192) > MAX_CONTROL_SHARE


def _valid_utf8_prefix(head: bytes, complete: bool) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # A head sample may cut a multi-byte character in two at its end.
        return not complete and exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"


def sniff(head: bytes, path: str, complete: bool = False) -> str:
    """The Python codec name for a file whose first bytes are ``head``.

    ``complete`` says ``head`` is the whole file.  Raises ``InputError`` for binary data.
    """
    if (name := bom_encoding(head)):
        return name
    if (name := _utf16_without_bom(head)):
        return name
    if _valid_utf8_prefix(head, complete):
        if _looks_binary(head):
            raise InputError(path, "binary file (control characters), not text")
        return "utf-8"
    if _looks_binary(head):
        raise InputError(path, "binary file (control characters), not text")
    from charset_normalizer import from_bytes

    best = from_bytes(head[:HEAD_BYTES]).best()
    if best is None:
        raise InputError(path, "binary file or unknown text encoding")
    encoding = best.encoding.lower()
    return _ALIASES.get(encoding, encoding)


def decode(data: bytes, path: str, encoding: str | None = None) -> str:
    """Decode a whole file (or item): the given encoding, else the sniffed one."""
    if not data:
        raise InputError(path, "empty file")
    encoding = encoding or sniff(data[:HEAD_BYTES], path, complete=len(data) <= HEAD_BYTES)
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        if encoding == "utf-8" and len(data) > HEAD_BYTES:
            # the head was UTF-8 but the tail is not: detect on the whole file
            return decode(data, path, sniff(data, path, complete=True))
        raise InputError(path, f"cannot decode as {encoding}: {exc}") from None
