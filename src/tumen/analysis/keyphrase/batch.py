"""Keyphrases for a JSON Lines file: the library side of ``tumen tag``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Iterator

from tumen.errors import InputError
from tumen.analysis.keyphrase import KeyphraseExtractor, default_extractor

SPACY_BATCH = 32


def read_documents(path: str | Path, stream: IO[str] | None = None) -> Iterator[tuple[str, str, str | None]]:
    """(id, text, title) per line; ``text`` is ``body`` (or ``text``).  A line that is
    not a JSON object with an id and a body raises ``InputError`` naming file and line."""
    fh = stream if stream is not None else open(path, encoding="utf-8")
    try:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(str(path), f"not valid JSON ({exc.msg})", n) from None
            if not isinstance(obj, dict):
                raise InputError(str(path), "expected a JSON object per line", n)
            if "id" not in obj:
                raise InputError(str(path), "object has no 'id'", n)
            text = obj.get("body", obj.get("text"))
            if not isinstance(text, str):
                raise InputError(str(path), "object has no 'body' or 'text' string", n)
            title = obj.get("title") if isinstance(obj.get("title"), str) else None
            if "body" in obj and title and not text.startswith(title):
                text = f"{title}\n\n{text}"
            yield str(obj["id"]), text, title
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text ({exc.reason})") from None
    finally:
        if stream is None:
            fh.close()


def tag_file(path: str | Path, top: int = 10, tagger: str = "lexicon",
             extractor: KeyphraseExtractor | None = None, stream: IO[str] | None = None,
             semantic: bool = False, keywords: bool = False) -> Iterator[dict]:
    """``{"id", "keyphrases"}`` per document of a JSON Lines file, in file order.

    ``tagger``: "lexicon" (the fast unigram tagger, ~100 documents/s) or "spacy"
    (spaCy's tagger only, batched; more accurate, ~15 documents/s).  ``semantic``:
    rerank the top candidates with the sentence-embedding model (``semantic.py``).
    ``keywords``: single words instead of phrases (keyword mode)."""
    if tagger not in ("lexicon", "spacy"):
        raise ValueError(f"unknown tagger {tagger!r}; choose lexicon or spacy")
    if extractor is None and keywords:
        extractor = KeyphraseExtractor(keywords=True, semantic=semantic)
    kx = extractor or (KeyphraseExtractor(semantic=True) if semantic else default_extractor())
    if kx.semantic is not None:
        tagger = "spacy"  # the semantic models are trained on spaCy's tags
    docs = read_documents(path, stream)
    if tagger == "lexicon":
        for did, text, title in docs:
            yield {"id": did, "keyphrases": [p for p, _ in kx.extract(text, title=title, top=top)]}
        return
    nlp = kx.spacy_tagger()
    batch: list[tuple[str, str, str | None]] = []

    def flush():
        for (did, text, title), sdoc in zip(batch, nlp.pipe([t for _, t, _ in batch], batch_size=SPACY_BATCH)):
            yield {"id": did, "keyphrases": [p for p, _ in kx.extract(text, title=title, top=top, spacy_doc=sdoc)]}

    for item in docs:
        batch.append(item)
        if len(batch) >= SPACY_BATCH:
            yield from flush()
            batch = []
    if batch:
        yield from flush()
