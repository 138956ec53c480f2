"""A Korean report page in real Chromium renders its Hangul as glyphs, not empty boxes
("tofu"): the font Chromium used for the text is a CJK font (CDP's
``CSS.getPlatformFontsForNode``), and different syllables draw different pixels, none of
them the missing-glyph box.  Needs a CJK font: ``scripts/system-deps.sh`` installs
Debian's fonts-noto-cjk.  The screenshot goes to test-artifacts/."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
KOREAN_SAMPLE = "21-hyesan-smuggling-crackdown-ko.txt"

pytestmark = [
    pytest.mark.slow, pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium (scripts/system-deps.sh)"),
]

# Draws each string at the page's own font on a canvas and returns the pixels' hash
# and ink count.  U+0378 is an unassigned code point: every font draws it as the
# missing-glyph box, the picture of tofu.
_DRAW = """(texts) => {
  const font = getComputedStyle(document.getElementById('report-text')).fontFamily;
  return texts.map((t) => {
    const c = document.createElement('canvas'); c.width = 96; c.height = 96;
    const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 96, 96);
    g.fillStyle = '#000'; g.font = '64px ' + font; g.textBaseline = 'top'; g.fillText(t, 8, 8);
    const d = g.getImageData(0, 0, 96, 96).data; let h = 0, ink = 0;
    for (let i = 0; i < d.length; i += 4) { const v = d[i] < 128 ? 1 : 0; ink += v; h = (h * 31 + v * (i + 1)) >>> 0; }
    return [h, ink];
  });
}"""


@pytest.fixture(scope="module")
def korean_page(tmp_path_factory):
    import uvicorn

    from tumen.ingest.run import ingest, sample_paths
    from tumen.store import open_store
    from tumen.web import create_app

    db = tmp_path_factory.mktemp("cjk") / "ko.db"
    (path,) = [p for p in sample_paths() if p.name == KOREAN_SAMPLE]
    with open_store(db) as store:
        assert ingest(store, [str(path)]).ok
        report_id = next(iter(store.iter_reports())).id
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(str(db)), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/reports/{report_id}"
    server.should_exit = True
    thread.join(10)


def test_korean_report_renders_hangul_glyphs(korean_page):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(korean_page)
            text = page.inner_text("#report-text")
            assert "양강도" in text and "혜산" in text
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report-korean.png"), full_page=True)

            cdp = page.context.new_cdp_session(page)
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#report-text"})["nodeId"]
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            hangul_fonts = [f["familyName"] for f in fonts if f["glyphCount"] > 0]
            assert any("CJK" in name or "Korean" in name or "KR" in name for name in hangul_fonts), fonts

            (syl1, syl2, tofu, latin) = page.evaluate(_DRAW, ["혜", "산", "\u0378", "H"])
            assert syl1[1] > 0 and syl2[1] > 0 and latin[1] > 0
            assert syl1[0] != syl2[0], "two Hangul syllables draw the same picture: tofu"
            assert tofu[0] not in (syl1[0], syl2[0]), "Hangul draws as the missing-glyph box"
        finally:
            browser.close()
