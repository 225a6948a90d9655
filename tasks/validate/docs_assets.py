"""docs_assets: GX data docs that open offline, with pinned copies of the scripts and styles they load.

GX 1.x's data docs templates load jQuery, Popper, Bootstrap, bootstrap-table (which fills every table
from inline data), bootstrap-datepicker, a dark theme and Font Awesome from CDNs; without internet the
pages show empty tables. The exact files the templates name are kept under ``tasks/validate/vendor/``
(taken from the npm registry's tarballs, each package's licence beside them; ``python -m
tasks.validate.docs_assets --fetch`` takes them again), copied into ``<docs>/static/vendor/`` when the
docs are built, and every page's links are rewritten to relative paths of those copies. The GX logo,
which the templates take from GX's S3 bucket, points at the copy GX itself puts in ``static/images/``.

Vega (vega, vega-lite, vega-embed) is loaded by every page but used only by the charts of two
expectation types facetrack's suites do not use (KL divergence, distinct values in set), so it is not
vendored: its tags are dropped from a page without a chart, and kept (charts then need the network)
on a page with one, which ``make_offline`` reports.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent / "vendor"
DOCS_VENDOR = "static/vendor"  # where the copies go inside a docs site
GX_LOGO = "static/images/logo-long.png"  # GX copies its images into every site


@dataclass(frozen=True)
class Asset:
    """One file a data docs page loads: the URL GX's templates use, and where its copy comes from."""

    url: str
    package: str  # on the npm registry
    version: str
    path: str  # inside the package's tarball (below ``package/``)
    license: str  # SPDX identifier, as the package declares it

    @property
    def folder(self) -> str:
        return f"{self.package.rsplit('/', 1)[-1]}-{self.version}"

    @property
    def local(self) -> str:
        """The copy's path below ``vendor/`` (and below ``<docs>/static/vendor/``)."""
        return f"{self.folder}/{self.path}"


# Every asset URL in GX 1.x's data docs templates (render/view/templates/*.j2), with the npm package
# and version it names. Two substitutions, both the same release of the same file: the dark theme's
# minified form (153 KB instead of 883 KB), and of Font Awesome's fonts only the solid one, the only
# family the pages use (``fas``); the other families' fonts would be fetched only by an icon of theirs.
ASSETS: tuple[Asset, ...] = (
    Asset("https://code.jquery.com/jquery-3.7.1.min.js", "jquery", "3.7.1", "dist/jquery.min.js", "MIT"),
    Asset(
        "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",
        "popper.js",
        "1.12.9",
        "dist/umd/popper.min.js",
        "MIT",
    ),
    Asset(
        "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js",
        "bootstrap",
        "4.3.1",
        "dist/js/bootstrap.min.js",
        "MIT",
    ),
    Asset(
        "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",
        "bootstrap",
        "4.3.1",
        "dist/css/bootstrap.min.css",
        "MIT",
    ),
    Asset(
        "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
        "bootstrap-table",
        "1.19.1",
        "dist/bootstrap-table.min.js",
        "MIT",
    ),
    Asset(
        "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
        "bootstrap-table",
        "1.19.1",
        "dist/bootstrap-table.min.css",
        "MIT",
    ),
    Asset(
        "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
        "bootstrap-table-filter-control.min.js",
        "bootstrap-table",
        "1.19.1",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
        "MIT",
    ),
    Asset(
        "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
        "bootstrap-table-filter-control.css",
        "bootstrap-table",
        "1.19.0",
        "dist/extensions/filter-control/bootstrap-table-filter-control.css",
        "MIT",
    ),
    Asset(
        "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
        "bootstrap-table-filter-control.min.css",
        "bootstrap-table",
        "1.19.0",
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
        "MIT",
    ),
    Asset(
        "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",
        "bootstrap-datepicker",
        "1.9.0",
        "dist/js/bootstrap-datepicker.min.js",
        "Apache-2.0",
    ),
    Asset(
        "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",
        "bootstrap-datepicker",
        "1.9.0",
        "dist/css/bootstrap-datepicker.min.css",
        "Apache-2.0",
    ),
    Asset(
        "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
        "@forevolve/bootstrap-dark",
        "1.1.0",
        "dist/css/bootstrap-prefers-dark.min.css",
        "MIT",
    ),
    Asset(
        "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css",
        "@fortawesome/fontawesome-free",
        "6.6.0",
        "css/all.min.css",
        "CC-BY-4.0 AND OFL-1.1 AND MIT",
    ),
)
# Files the vendored ones load themselves (all.min.css: ``url(../webfonts/…)``), by package folder.
EXTRA_FILES = {"fontawesome-free-6.6.0": ("webfonts/fa-solid-900.woff2",)}
LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md")
VEGA_URLS = (
    "https://cdn.jsdelivr.net/npm/vega@5",
    "https://cdn.jsdelivr.net/npm/vega-lite@5",
    "https://cdn.jsdelivr.net/npm/vega-embed@6",
)
GX_WEB_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"

_TAG = re.compile(r"<script\b[^>]*>\s*</script>[ \t]*\n?|<(?:link|img)\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""\s(src|href)\s*=\s*(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_SRI = re.compile(r"""\s(?:integrity|crossorigin)(?:\s*=\s*(["']).*?\1)?(?=[\s/>])""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(["']?)(https?://[^)"']+)\1\s*\)""", re.IGNORECASE)
_STATIC = re.compile(r"^(?:\./|(?:\.\./)+)?static/")
_REMOTE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)


def vendored_files() -> list[str]:
    """Every file kept under ``vendor/`` (relative paths): the assets, the files they load, licences."""
    files = {asset.local for asset in ASSETS}
    for folder, extra in EXTRA_FILES.items():
        files.update(f"{folder}/{name}" for name in extra)
    for folder in {asset.folder for asset in ASSETS}:
        files.update(f"{folder}/{name}" for name in LICENSE_NAMES if (VENDOR_DIR / folder / name).is_file())
    return sorted(files)


def copy_assets(docs: str | os.PathLike[str]) -> list[str]:
    """Copy the vendored files into ``<docs>/static/vendor/``; return the copies' paths."""
    target = Path(docs) / DOCS_VENDOR
    copied = []
    for name in vendored_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(VENDOR_DIR / name, destination)
        copied.append(str(destination))
    return copied


@dataclass
class OfflineDocs:
    """What ``make_offline`` did: pages rewritten, and the resources still on the network, by page."""

    pages: int
    still_online: dict[str, list[str]]


def make_offline(docs: str | os.PathLike[str]) -> OfflineDocs:
    """Copy the assets into the docs site and point every page (and GX's stylesheet) at them.

    Idempotent: a page already rewritten is left as it is. A resource the page still loads from the
    network (a GX upgrade that names a new file, vega on a page with a chart) is reported, not hidden.
    """
    root = Path(docs)
    copy_assets(root)
    urls = {asset.url: asset.local for asset in ASSETS}
    still_online: dict[str, list[str]] = {}
    pages = 0
    for page in sorted(root.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        to_root = posixpath.relpath(".", page.parent.relative_to(root).as_posix())
        prefix = "" if to_root == "." else f"{to_root}/"
        rewritten = _rewrite_page(text, urls, prefix)
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")
        pages += 1
        remote = remote_resources(rewritten)
        if remote:
            still_online[page.relative_to(root).as_posix()] = remote
    for sheet in sorted(root.glob("static/styles/*.css")):
        text = sheet.read_text(encoding="utf-8")
        rewritten = _CSS_URL.sub(lambda m: _css_url(m, "../images/logo-long.png"), text)
        if rewritten != text:
            sheet.write_text(rewritten, encoding="utf-8")
    return OfflineDocs(pages, still_online)


def remote_resources(text: str) -> list[str]:
    """The URLs a page loads from the network: script and stylesheet/link sources, images, CSS
    ``url()``s (a link a person may follow, ``<a href>``, is not loaded and is not counted)."""
    found = []
    for tag in _TAG.finditer(text):
        for attr in _ATTR.finditer(tag.group(0)):
            if _REMOTE.match(attr.group(3).strip()):
                found.append(attr.group(3).strip())
    found.extend(m.group(2) for m in _CSS_URL.finditer(text))
    return found


def _rewrite_page(text: str, urls: dict[str, str], prefix: str) -> str:
    charts = "vegaEmbed(" in text

    def tag(match: re.Match[str]) -> str:
        whole = match.group(0)
        source = _ATTR.search(whole)
        if source is None:
            return whole
        url = source.group(3).strip()
        if url in VEGA_URLS and not charts:
            return ""  # vega is loaded by every page, but this one draws no chart
        if url in urls:
            local = f"{prefix}{DOCS_VENDOR}/{urls[url]}"
        elif url.startswith(GX_WEB_ASSETS) and url[len(GX_WEB_ASSETS) :].startswith("logo-long.png"):
            local = f"{prefix}{GX_LOGO}"
        elif _STATIC.match(url) and url != f"{prefix}{url[url.index('static/') :]}":
            local = f"{prefix}{url[url.index('static/') :]}"  # GX's favicon link is a folder too shallow
        else:
            return whole
        start, end = source.span(3)
        whole = whole[:start] + local + whole[end:]
        # Subresource integrity needs a CORS fetch, which a page opened from a file cannot make; the
        # copies are the very files the hashes name (tests/tasks/validate/test_docs_offline.py checks).
        return _SRI.sub("", whole)

    text = _TAG.sub(tag, text)
    return _CSS_URL.sub(lambda m: _css_url(m, f"{prefix}{GX_LOGO}"), text)


def _css_url(match: re.Match[str], logo: str) -> str:
    """GX's dark-theme logo (``full_logo_dark.png``, not in the package) -> the logo GX ships."""
    return f"url('{logo}')" if match.group(2).startswith(GX_WEB_ASSETS) else match.group(0)


def fetch(target: Path = VENDOR_DIR, registry: str = "https://registry.npmjs.org") -> list[str]:
    """Take the vendored files again from the npm registry's tarballs (a maintainer's step, when GX's
    templates name new versions): each asset, the files it loads, and its package's licence."""
    import io
    import tarfile
    import urllib.request

    wanted: dict[tuple[str, str], set[str]] = {}
    for asset in ASSETS:
        wanted.setdefault((asset.package, asset.version), set()).add(asset.path)
    for asset in ASSETS:
        for name in EXTRA_FILES.get(asset.folder, ()):
            wanted[(asset.package, asset.version)].add(name)
    written = []
    for (package, version), paths in sorted(wanted.items()):
        tarball = f"{registry}/{package}/-/{package.rsplit('/', 1)[-1]}-{version}.tgz"
        with urllib.request.urlopen(tarball, timeout=60) as response:
            data = response.read()
        folder = target / f"{package.rsplit('/', 1)[-1]}-{version}"
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = {m.name.split("/", 1)[-1]: m for m in archive.getmembers() if m.isfile()}
            for name in sorted(paths | {n for n in LICENSE_NAMES if n in members}):
                member = archive.extractfile(members[name])
                assert member is not None
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(member.read())
                written.append(f"{folder.name}/{name}")
    return written


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--fetch"]:
        sys.exit("usage: python -m tasks.validate.docs_assets --fetch")
    for name in fetch():
        print(name)
