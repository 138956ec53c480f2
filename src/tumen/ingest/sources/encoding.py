"""Bytes → text: byte-order marks, UTF-8, UTF-16/32, Korean legacy code pages.

Detection runs once per file on a head sample (``sniff``), never per line: the line
readers decode every line with the encoding found here.  UTF-8 is tried first (it is
strict: random bytes are very rarely valid UTF-8), then charset-normalizer decides.
"""

from __future__ import annotations

import codecs

from tumen.errors import InputError

# How many bytes of a file's head are examined to choose its encoding.  64 KiB holds
# several paragraphs of Korean (2 bytes a syllable in CP949) which charset-normalizer
# needs to tell CP949 from other double-byte code pages.
HEAD_BYTES = 64 * 1024

# A text file has (almost) no control characters; above this share of C0 controls
# (other than tab, newline, carriage return, form feed) in the head, it is binary.
# Calibrated on our fixtures: text files hold 0, PNG/ZIP/ELF heads hold > 5 %.
MAX_CONTROL_SHARE = 0.01

# UTF-16 without a BOM: least share of spaces/newlines among the decoded characters.
# English text has ~16 %, Korean ~20 %; random bytes decoded as UTF-16 have ~0.003 %.
MIN_UTF16_SPACE_SHARE = 0.03
# CP949 decoding: least share of Hangul syllables among the non-ASCII characters (a
# Korean text is > 95 % Hangul; a misread Western file gives Hanja and symbols).
MIN_HANGUL_SHARE = 0.8

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
    """UTF-16 text without a BOM: its code units decode cleanly, hold no control
    characters, and many of them are ASCII spaces or line breaks (Korean text as well as
    English has a space every few characters; random bytes almost never do)."""
    sample = head[:4096]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    best, best_share = None, MIN_UTF16_SPACE_SHARE
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            if len(sample) < len(head):  # the sample may end inside a surrogate pair
                try:
                    text = sample[:-2].decode(name)
                except UnicodeDecodeError:
                    continue
            else:
                continue
        if not text or any(ord(ch) in _CONTROL for ch in text):
            continue
        share = sum(ch in " \n" for ch in text) / len(text)
        if share >= best_share:
            best, best_share = name, share
    return best


def _korean_legacy(head: bytes) -> bool:
    """Bytes that decode as CP949 into Hangul: short Korean files are too short for
    charset-normalizer (which calls a 4-byte "혜산" Big5), so our domain's legacy code
    page is tried first.  Western 8-bit text almost never decodes as CP949 at all."""
    try:
        text = head.decode("cp949")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 1 or len(head) < 2:
            return False  # not a character cut in two at the sample's end
        text = head[:-1].decode("cp949", errors="replace")
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide:
        return False
    hangul = sum("\uac00" <= ch <= "\ud7a3" for ch in wide)
    return hangul / len(wide) >= MIN_HANGUL_SHARE


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
    if _korean_legacy(head[:HEAD_BYTES]):
        return "cp949"
    from charset_normalizer import from_bytes

    best = from_bytes(head[:HEAD_BYTES]).best()
    if best is None:
        raise InputError(path, "binary file or unknown text encoding")
    encoding = best.encoding.lower()
    return _ALIASES.get(encoding, encoding)


def decode(data: bytes, path: str, encoding: str | None = None) -> str:
    """Decode a whole file (or item): the given encoding, else the sniffed one.  A file
    whose head is UTF-8 (or ASCII) but whose tail is not is detected again on the part
    from the first undecodable byte on."""
    if not data:
        raise InputError(path, "empty file")
    encoding = encoding or sniff(data[:HEAD_BYTES], path, complete=len(data) <= HEAD_BYTES)
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", None)
        if encoding in ("utf-8", "utf-8-sig") and start is not None and start >= 1:
            tail = data[max(0, start - 16): start + HEAD_BYTES]
            try:
                again = sniff(tail, path, complete=True)
            except InputError:
                again = None
            if again and again not in ("utf-8", "utf-8-sig"):
                try:
                    return data.decode(again)
                except (UnicodeDecodeError, LookupError):
                    pass
        reason = getattr(exc, "reason", str(exc))
        where = f" at byte {start}" if start is not None else ""
        raise InputError(path, f"cannot decode as {encoding}{where}: {reason}") from None
