"""Editors' tags teach the tagger (issue 4): an archive's own house-topic model.

``learn_house_tags(store)`` gathers ``(title + body, incident types, editor tags)`` for
every stored report that editors tagged -- the ``tags`` given on ingest, or the tag
line of the report's latest ``tags`` correction in the web UI (which wins) -- and fits
``keyphrase.house.HouseTopics`` on them.

The update scheme: the house model is one independent logistic regression per tag
(one-vs-rest), so an archive model is the shipped model with rows added or replaced.
A tag is (re)learned from the archive when it has at least ``MIN_EXAMPLES`` tagged
reports; a tag the shipped model already knows keeps its shipped weights unless the
archive has at least ``OVERRIDE_EXAMPLES`` reports for it (a handful of reports is a
worse estimate than the shipped trainset fit).  Negatives are the archive's other
tagged reports.

The vocabulary: the shipped ``house_vocabulary.csv``, plus the rows of a
``house_vocabulary.csv`` beside a SQLite archive (same columns: tag, incident_types,
cues), plus every editor tag used on ``MIN_EXAMPLES`` or more reports that is neither a
vocabulary tag nor a gazetteer place, organization or law name (names come from the
entity components, not from topics).

Where the model lives: INSIDE the archive, stored and read as bytes through the store
(``store.put_model("house_model", npz_bytes)`` / ``store.model("house_model")``; the
merged CSV as the ``house_vocabulary`` setting), the same for SQLite and PostgreSQL, so
it travels with backups and ``tumen migrate``.
``house_model_config(store)`` writes them to a cache file (named by content hash) and
returns the pipeline config that ``analyze_store`` passes to the tags component.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tumen.analysis.keyphrase.house import HouseTopics, examples_from_records
from tumen.analysis.keyphrase.names import is_name_tag, name_words

# A tag is learned from the archive once this many reports carry it (the regression
# needs at least two positives; HouseTopics.fit skips rarer tags).
MIN_EXAMPLES = 2
# A tag the shipped model knows is re-learned from the archive only with this many
# reports: the shipped weights come from ~100 trainset reports where common tags have
# 20-60 positives, so an archive estimate from fewer is noisier than the shipped one.
OVERRIDE_EXAMPLES = 20
MODEL_KEY = "house_model"
VOCABULARY_KEY = "house_vocabulary"
VOCABULARY_FIELDS = ("tag", "incident_types", "cues")


@dataclass
class LearnResult:
    path: Path  # the materialized model file
    vocabulary: Path
    examples: int = 0
    learned: list[str] = field(default_factory=list)  # tags with archive-fitted weights
    new_tags: list[str] = field(default_factory=list)  # tags that joined the vocabulary


def _archive_vocabulary_file(store: Any) -> Path | None:
    path = getattr(store, "path", None)
    if not path or path == ":memory:":
        return None
    candidate = Path(path).resolve().parent / "house_vocabulary.csv"
    return candidate if candidate.is_file() else None


def _vocabulary_rows(text: str) -> list[dict[str, str]]:
    return [{k: (row.get(k) or "").strip() for k in VOCABULARY_FIELDS}
            for row in csv.DictReader(io.StringIO(text)) if (row.get("tag") or "").strip()]


def gather_examples(store: Any) -> list[tuple[str, list[str], list[str]]]:
    """(title + body, incident types of the current record, editor tags) per tagged
    report; a web tag correction replaces the ingest tags of its report."""
    corrected = store.tag_corrections()
    rows = []
    for report in store.iter_reports():
        tags = corrected.get(report.id) or report.tags
        if not tags:
            continue
        record = store.get_record(report.id) or {}
        rows.append({"title": report.title, "body": report.body, "tags": tags,
                     "incidents": record.get("incidents") or []})
    return examples_from_records(rows)


def _is_name(tag: str) -> bool:
    from tumen.analysis.gazetteer import Gazetteer

    gaz = Gazetteer.load()
    return (gaz.find_place(tag) is not None or gaz.org_by_name(tag) is not None
            or gaz.law_by_name(tag) is not None)


def _is_proper_noun(tag: str, texts: list[str]) -> bool:
    """Does ``tag`` occur in the tagged reports only as a capitalized name?

    A house topic ("cosmetics", "fuel prices") is written in lower case where a report
    uses it; a name (of a person above all, but also of a place or body the gazetteer
    lacks) is capitalized every time.  Such a tag never joins the vocabulary on its own:
    Tumen never learns to profile a private person, whatever an editor typed.  An
    archive that wants a named topic lists it in its own house_vocabulary.csv."""
    pattern = re.compile(r"(?<!\w)" + r"[\s-]+".join(map(re.escape, tag.split())) + r"(?!\w)", re.I)
    found = [m.group(0) for text in texts for m in pattern.finditer(text)]
    return bool(found) and all(
        all(word[:1].isupper() for word in occurrence.split() if word[:1].isalpha())
        for occurrence in found)


def merged_vocabulary(store: Any, examples: list[tuple[str, list[str], list[str]]]
                      ) -> tuple[str, list[str]]:
    """The archive's vocabulary CSV text and the editor tags that joined it."""
    rows = _rows_with_archive_file(store, _shipped_vocabulary())
    counts: dict[str, int] = {}
    for _, _, tags in examples:
        for tag in {t.strip().lower() for t in tags}:
            counts[tag] = counts.get(tag, 0) + 1
    texts = [text for text, _, _ in examples]
    # words the reports use in a person's name (Korean family names written with a
    # capital, "Mr. X", "surnamed X"): a tag containing one never joins the vocabulary
    person_words = set().union(*(name_words(t) for t in texts)) if texts else set()
    new_tags = sorted(t for t, n in counts.items()
                      if n >= MIN_EXAMPLES and t not in rows and not _is_name(t)
                      and not _is_proper_noun(t, texts) and not is_name_tag(t, person_words))
    for tag in new_tags:
        rows[tag] = {"tag": tag, "incident_types": "", "cues": ""}
    return _csv(rows), new_tags


def _shipped_vocabulary() -> str:
    return (resources.files("tumen") / "resources" / "house_vocabulary.csv").read_text("utf-8")


def _rows_with_archive_file(store: Any, text: str) -> dict[str, dict[str, str]]:
    """Vocabulary rows of ``text``, then the rows of the archive's own
    ``house_vocabulary.csv`` (beside a SQLite archive), which override them."""
    rows = {r["tag"].lower(): r for r in _vocabulary_rows(text)}
    extra = _archive_vocabulary_file(store)
    if extra is not None:
        for row in _vocabulary_rows(extra.read_text(encoding="utf-8")):
            rows[row["tag"].lower()] = row
    return rows


def _csv(rows: dict[str, dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=VOCABULARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows.values():
        writer.writerow({**row, "tag": row["tag"].lower()})
    return out.getvalue()


def _merge(base: HouseTopics, local: HouseTopics, keep: set[str]) -> HouseTopics:
    """``base``'s regressions with ``local``'s for every tag not in ``keep``."""
    terms = sorted(set(base.vocab) | set(local.vocab))
    vocab = {t: i for i, t in enumerate(terms)}
    tags = [t for t in base.tags if t in keep or t not in local.tags]
    tags += [t for t in local.tags if t not in tags]
    coef = np.zeros((len(tags), len(terms)))
    intercept = np.zeros(len(tags))
    primary = np.zeros(len(tags))
    for i, tag in enumerate(tags):
        src = base if (tag in keep or tag not in local.tags) else local
        row = src.tags.index(tag)
        cols = [vocab[t] for t in sorted(src.vocab, key=src.vocab.__getitem__)]
        coef[i, cols] = src.coef[row]
        intercept[i] = src.intercept[row]
        primary[i] = src.primary_rate.get(tag, 0.3)
    return HouseTopics(local.topics, vocab, tags, coef, intercept, primary)


def learn_house_tags(store: Any) -> Path:
    """Fit the archive's house-topic model from its editors' tags, save it in the
    archive and return the path of its materialized model file."""
    return fit_house_tags(store).path


def fit_house_tags(store: Any) -> LearnResult:
    """``learn_house_tags`` with the details: example count, tags learned, new tags."""
    from tumen.analysis.keyphrase.house import load_vocabulary

    examples = gather_examples(store)
    vocab_text, new_tags = merged_vocabulary(store, examples)
    with tempfile.TemporaryDirectory() as tmp:
        vocab_path = Path(tmp) / "vocabulary.csv"
        vocab_path.write_text(vocab_text, encoding="utf-8")
        topics = load_vocabulary(vocab_path)
        base = HouseTopics.load(None, vocab_path)
        counts: dict[str, int] = {}
        for _, _, tags in examples:
            for tag in {t.lower() for t in tags}:
                counts[tag] = counts.get(tag, 0) + 1
        keep = {t for t in base.tags if counts.get(t, 0) < OVERRIDE_EXAMPLES}
        local = HouseTopics(topics).fit(examples) if examples else HouseTopics(topics)
        model = _merge(base, local, keep)
        model_path = Path(tmp) / "model.npz"
        model.save(model_path)
        data = model_path.read_bytes()
    with store.transaction():
        store.put_model(MODEL_KEY, data)
        store.put_setting(VOCABULARY_KEY, vocab_text)
    config = house_model_config(store)["tags"]
    learned = sorted(t for t in local.tags if t not in keep)
    return LearnResult(Path(config["house_model"]), Path(config["vocabulary"]),
                       len(examples), learned, new_tags)


def house_model_config(store: Any) -> dict[str, dict[str, str]]:
    """Pipeline config for the archive's learned model and vocabulary (``{}`` when it
    has neither): they are written to cache files named by their content hash.  The
    rows of a ``house_vocabulary.csv`` beside the archive apply even before learning."""
    try:
        blob = store.model(MODEL_KEY)
        vocab = store.setting(VOCABULARY_KEY)
    except store.DatabaseError:  # an archive without the web tables: no learned model
        return {}
    if not blob and _archive_vocabulary_file(store) is None:
        return {}
    vocab = _csv(_rows_with_archive_file(store, vocab if blob and vocab else _shipped_vocabulary()))
    # a per-user cache; a file is trusted only when its bytes are the archive's
    cache = Path(tempfile.gettempdir()) / f"tumen-house-{os.getuid() if hasattr(os, 'getuid') else 0}"
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256((blob or b"") + vocab.encode("utf-8")).hexdigest()[:16]
    model_path = cache / f"{digest}.npz"
    vocab_path = cache / f"{digest}.csv"
    files = [(vocab_path, vocab.encode("utf-8"))]
    if blob:
        files.append((model_path, blob))
    for path, data in files:
        if not path.is_file() or path.read_bytes() != data:
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomic: concurrent analyzers never read half a file
    if not blob:
        return {"tags": {"vocabulary": str(vocab_path)}}
    return {"tags": {"house_model": str(model_path), "vocabulary": str(vocab_path)}}
