"""GX data docs that open offline: the CDN files GX's templates load are vendored (the very files: their
integrity hashes hold), copied into the docs and linked relatively; a headless browser with no network
fills the index's validation table."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tasks.lake.store import Lake
from tasks.validate import docs_assets
from tasks.validate.docs_assets import ASSETS, DOCS_VENDOR, VEGA_URLS, VENDOR_DIR, make_offline
from tasks.validate.gate import audit_and_publish
from tasks.validate.revalidate import revalidate
from tests.support.validate_batches import good_batch

TEMPLATES = Path(__import__("great_expectations").__file__).parent / "render" / "view" / "templates"
LOADED = re.compile(r"""<(?:script|link)\b[^>]*\s(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)""", re.I)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data docs of a lake with one published video, as `facetrack validate` builds them."""
    lake = Lake(str(tmp_path_factory.mktemp("docs_lake")))
    assert audit_and_publish(lake, good_batch("offline docs")).success
    report = revalidate(lake)
    assert report.docs_index is not None
    return Path(report.docs_index).parent


def template_urls() -> dict[str, str | None]:
    """Every URL GX's templates load a script or stylesheet from, with its integrity hash if any."""
    found: dict[str, str | None] = {}
    for template in TEMPLATES.glob("*.j2"):
        for tag in re.finditer(r"<(?:script|link)\b[^>]*>", template.read_text(encoding="utf-8")):
            url = re.search(r"""(?:src|href)=["'](https?://[^"']+)""", tag.group(0))
            if url:
                integrity = re.search(r"""integrity=["']([^"']+)""", tag.group(0))
                found[url.group(1)] = integrity.group(1) if integrity else None
    return found


def test_every_cdn_file_of_the_templates_is_vendored_with_its_licence() -> None:
    """A GX upgrade that names another file or version fails here, naming it."""
    urls = template_urls()
    assert urls, f"no CDN links found in {TEMPLATES}: has GX moved its templates?"
    vendored = {asset.url for asset in ASSETS}
    assert set(urls) - vendored - set(VEGA_URLS) == set()
    assert vendored <= set(urls)  # nothing vendored that GX no longer loads
    for asset in ASSETS:
        assert (VENDOR_DIR / asset.local).is_file(), asset.local
        assert asset.version in asset.url
        assert any((VENDOR_DIR / asset.folder / n).is_file() for n in docs_assets.LICENSE_NAMES), asset.folder


def test_the_vendored_files_are_the_ones_the_integrity_hashes_name() -> None:
    hashed = {url: sri for url, sri in template_urls().items() if sri}
    assert len(hashed) >= 2  # popper and bootstrap's script carry sha384 hashes
    for asset in ASSETS:
        if asset.url in hashed:
            algorithm, expected = hashed[asset.url].split("-", 1)
            digest = hashlib.new(algorithm, (VENDOR_DIR / asset.local).read_bytes()).digest()
            assert base64.b64encode(digest).decode() == expected, asset.local


def test_vendored_total_stays_small() -> None:
    sizes = [(VENDOR_DIR / name).stat().st_size for name in docs_assets.vendored_files()]
    assert sum(sizes) < 1_200_000


def test_built_docs_load_nothing_from_the_network(docs: Path) -> None:
    pages = sorted(docs.rglob("*.html"))
    assert len(pages) >= 6  # the index, a page per suite, a page per validation
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert LOADED.findall(text) == [], page
        assert docs_assets.remote_resources(text) == [], page
        assert "integrity=" not in text and "crossorigin" not in text and "vega" not in text
        for src in re.findall(r"""(?:src|href)=["']([^"'#]+)["']""", text):
            if "static/" in src:  # every local file a page names is there
                assert (page.parent / src).resolve().is_file(), (page, src)
    for name in docs_assets.vendored_files():
        copy = docs / DOCS_VENDOR / name
        assert copy.read_bytes() == (VENDOR_DIR / name).read_bytes()
    for sheet in (docs / "static" / "styles").glob("*.css"):
        assert "https://" not in sheet.read_text(encoding="utf-8")


def test_rewriting_is_idempotent_and_keeps_vega_where_a_chart_needs_it(tmp_path: Path) -> None:
    jquery = ASSETS[0].url
    head = "".join(f'<script src="{url}"></script>\n' for url in VEGA_URLS)
    head += f'<script src="{jquery}" integrity="sha384-x" crossorigin="anonymous"></script>\n'
    (tmp_path / "plain.html").write_text(f"<html><head>{head}</head><body></body></html>", encoding="utf-8")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    chart = f"<html><head>{head}</head><body><script>vegaEmbed('#c', spec);</script></body></html>"
    (sub / "chart.html").write_text(chart, encoding="utf-8")

    first = make_offline(tmp_path)
    plain = (tmp_path / "plain.html").read_text(encoding="utf-8")
    assert plain == (
        f'<html><head><script src="{DOCS_VENDOR}/{ASSETS[0].local}"></script>\n</head><body></body></html>'
    )
    charted = (sub / "chart.html").read_text(encoding="utf-8")
    assert f'src="../../{DOCS_VENDOR}/{ASSETS[0].local}"' in charted
    assert first.pages == 2 and first.still_online == {"a/b/chart.html": list(VEGA_URLS)}
    second = make_offline(tmp_path)
    assert second.still_online == first.still_online
    assert (tmp_path / "plain.html").read_text(encoding="utf-8") == plain
    assert (tmp_path / DOCS_VENDOR / ASSETS[0].local).is_file()


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def rendered_rows(browser: str, page: Path, profile: Path) -> int:
    """Rows of the validation results table in the DOM a browser without network builds from ``page``."""
    dom = subprocess.run(
        [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
         "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        check=False, capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    assert "</html>" in dom, "the browser dumped no DOM"
    return len(re.findall(r"""<tr\b[^>]*data-href=["']validations/""", dom))


@pytest.mark.skipif(
    chromium() is None,
    reason="no headless browser: neither `chromium` nor `chromium-browser` is on PATH (apt install chromium)",
)
def test_a_browser_without_network_fills_the_validation_table(docs: Path, tmp_path: Path) -> None:
    browser = chromium()
    assert browser is not None
    validations = len(list((docs / "validations").rglob("*.html")))
    assert validations == 5  # one per suite of the video's batch
    assert rendered_rows(browser, docs / "index.html", tmp_path / "p1") == validations
    # The control: the same page with GX's CDN links, as it was before, shows an empty table offline.
    online = (docs / "index.html").read_text(encoding="utf-8")
    for asset in ASSETS:
        online = online.replace(f"{DOCS_VENDOR}/{asset.local}", asset.url)
    control = docs / "index.online.html"
    control.write_text(online, encoding="utf-8")
    try:
        assert rendered_rows(browser, control, tmp_path / "p2") == 0
    finally:
        control.unlink()
