"""Checks on the bundled sample reports in src/tumen/samples/.

The samples are fictional reports written for the project (see samples/README.md).
These tests check their format and coverage only; they do not run the analyzer.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
from pathlib import Path

import pytest

SAMPLES_DIR = Path(str(importlib.resources.files("tumen") / "samples"))
SAMPLE_FILES = sorted(SAMPLES_DIR.glob("*.txt"))

FILENAME_RE = re.compile(r"^\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*\.txt$")
URL_RE = re.compile(r"^https://example\.org/[a-z0-9-]+/\d{4}/\d{2}/[a-z0-9-]+$")
HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")

# Body length in whitespace-separated words (Korean counts eojeol, which are
# fewer than English words for the same content, hence the wide range).
MIN_WORDS, MAX_WORDS = 150, 450

# Province -> the spellings used in the samples (simple substring presence).
PROVINCE_SPELLINGS = {
    "Yanggang": ["Yanggang", "Ryanggang", "양강도"],
    "North Hamgyong": ["North Hamgyong", "North Hamkyung", "Hamgyong-bukto", "함경북도"],
    "South Hamgyong": ["South Hamgyong", "함경남도"],
    "North Pyongan": ["North Pyongan", "North Phyongan", "평안북도"],
    "South Pyongan": ["South Pyongan", "평안남도"],
    "Chagang": ["Chagang", "Jagang", "자강도"],
    "Kangwon": ["Kangwon", "강원도"],
    "North Hwanghae": ["North Hwanghae", "황해북도"],
    "South Hwanghae": ["South Hwanghae", "황해남도"],
    "Rason": ["Rason", "Rajin-Sonbong", "라선"],
    "Pyongyang": ["Pyongyang", "평양"],
}
KOREAN_PROVINCE_NAMES = ["양강도", "함경북도", "평안북도", "자강도", "함경남도"]


def parse_sample(path: Path) -> dict:
    """Parse one sample file into title, published, source, url and body."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 5, f"{path.name}: too short"
    title = lines[0].strip()
    headers = {}
    for line in lines[1:4]:
        key, sep, value = line.partition(": ")
        assert sep, f"{path.name}: bad header line {line!r}"
        headers[key] = value.strip()
    assert lines[4] == "", f"{path.name}: header block must end with a blank line"
    body = "\n".join(lines[5:]).strip()
    return {
        "title": title,
        "published": headers.get("Published"),
        "source": headers.get("Source"),
        "url": headers.get("URL"),
        "body": body,
    }


@pytest.fixture(scope="module")
def samples() -> dict[str, dict]:
    return {p.name: parse_sample(p) for p in SAMPLE_FILES}


def is_korean(body: str) -> bool:
    return len(HANGUL_RE.findall(body)) > len(body) // 3


def test_enough_samples():
    assert len(SAMPLE_FILES) >= 20


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_parses(path: Path):
    assert FILENAME_RE.match(path.name), path.name
    s = parse_sample(path)
    assert s["title"] and not s["title"].startswith(("Published", "Source", "URL"))
    assert s["published"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", s["published"])
    published = dt.date.fromisoformat(s["published"])
    assert dt.date(2019, 1, 1) <= published <= dt.date(2025, 12, 31)
    assert s["source"]
    assert s["url"] and URL_RE.match(s["url"]), s["url"]
    # The URL carries the publication year and month.
    assert f"/{published.year}/{published.month:02d}/" in s["url"]
    body = s["body"]
    assert MIN_WORDS <= len(body.split()) <= MAX_WORDS, len(body.split())


def test_covers_provinces(samples):
    text = "\n".join(s["title"] + "\n" + s["body"] for s in samples.values())
    covered = {p for p, names in PROVINCE_SPELLINGS.items() if any(n in text for n in names)}
    assert len(covered) >= 10, sorted(set(PROVINCE_SPELLINGS) - covered)
    assert any(k in text for k in KOREAN_PROVINCE_NAMES)


def test_has_korean_reports(samples):
    korean = [name for name, s in samples.items() if is_korean(s["body"])]
    assert len(korean) >= 2, korean


def test_publication_years_spread(samples):
    years = {s["published"][:4] for s in samples.values()}
    assert len(years) >= 5, sorted(years)


def test_no_exact_duplicates(samples):
    seen: dict[str, str] = {}
    for name, s in samples.items():
        key = " ".join(s["body"].split())
        assert key not in seen, f"{name} duplicates {seen.get(key)}"
        seen[key] = name
    titles = [s["title"] for s in samples.values()]
    assert len(set(titles)) == len(titles)


def test_commentary_present(samples):
    assert any(s["title"].startswith("Commentary:") for s in samples.values())


def test_readme_lists_every_sample():
    readme = (SAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in SAMPLE_FILES if p.name not in readme]
    assert not missing, missing
