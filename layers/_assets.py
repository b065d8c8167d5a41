"""Offline map assets: Leaflet, jQuery and Font Awesome symbols without any CDN.

folium and streamlit-folium reference Leaflet, jQuery, Bootstrap, Leaflet.awesome-markers
and Font Awesome on public CDNs. Offline, such a map stays blank, and online it would
leak every map view to third parties. Nahraum therefore

* copies the few files it needs from the installed XStatic wheels (``XStatic-Leaflet``,
  ``XStatic-jQuery``, ``XStatic-Font-Awesome``) into ``layers/static/vendor/``
  (:func:`ensure_assets`, idempotent, run by ``scripts/fetch_assets.sh`` and lazily on
  first use),
* embeds them as ``data:`` URLs into every map (:func:`localize`), so the map needs no
  server route: the st_folium iframe, an exported HTML file and the unit tests all see
  the same self-contained document,
* drops what it does not use (Bootstrap, Glyphicons, Leaflet.awesome-markers, jQuery):
  service symbols are inline SVG from Font Awesome, drawn in ``L.divIcon`` markers, and
  popups and tooltips are bound in Leaflet itself (folium needs jQuery only for its own
  ``Popup``/``Tooltip`` elements and ``objects_to_stay_in_front``, which Nahraum does not
  use). In the app, ``ui.mapview.served`` hands the embedded files to the map's frame as
  files on a local route instead (otherwise every map update would send them again),
* refuses to render a map that still references any remote script or style sheet.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from pathlib import Path

import branca
import folium
from branca.colormap import ColorMap
from folium.elements import JSCSSMixin

from geo import settings
from geo._errors import NahraumError

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
MANIFEST_NAME = "MANIFEST.json"
SETUP_HINT = "Bitte die Einrichtung ausführen: scripts/fetch_assets.sh"

# Extra Font Awesome symbols used by the map besides the category symbols.
EXTRA_SYMBOLS: tuple[str, ...] = ("circle-question", "bus")


class AssetError(NahraumError):
    """A map library file is missing or a map still references a remote resource."""


@dataclass(frozen=True)
class _Source:
    """One file copied from an XStatic package into the vendor folder."""

    package: str  # distribution name, for the error message
    module: str  # xstatic module with BASE_DIR
    src: str  # path below the package's data folder
    dest: str  # path below VENDOR_DIR


def _sources() -> list[_Source]:
    leaflet = ("XStatic-Leaflet", "xstatic.pkg.leaflet")
    jquery = ("XStatic-jQuery", "xstatic.pkg.jquery")
    fa = ("XStatic-Font-Awesome", "xstatic.pkg.font_awesome")
    out = [
        _Source(*leaflet, "leaflet.js", "leaflet/leaflet.js"),
        _Source(*leaflet, "leaflet.css", "leaflet/leaflet.css"),
        _Source(*jquery, "jquery.min.js", "jquery/jquery.min.js"),
        _Source(*fa, "LICENSE.txt", "font-awesome/LICENSE.txt"),
    ]
    for image in (
        "layers.png",
        "layers-2x.png",
        "marker-icon.png",
        "marker-icon-2x.png",
        "marker-shadow.png",
    ):
        out.append(_Source(*leaflet, f"images/{image}", f"leaflet/images/{image}"))
    for symbol in symbol_names():
        out.append(
            _Source(*fa, f"svgs/solid/{symbol}.svg", f"font-awesome/svgs/solid/{symbol}.svg")
        )
    return out


def symbol_names() -> list[str]:
    """Return the Font Awesome symbol names the map uses (categories first).

    Returns
    -------
    list of str
        Names such as ``"comments"``; each is copied as an SVG file.
    """
    names = [c.symbol for c in settings.CATEGORIES.values()] + list(EXTRA_SYMBOLS)
    return list(dict.fromkeys(names))


def _package_dir(source: _Source) -> Path:
    try:
        module = import_module(source.module)
    except ImportError as exc:
        raise AssetError(
            f"Kartenbibliothek fehlt: Das Python-Paket „{source.package}“ ist nicht installiert. "
            f"{SETUP_HINT} (oder: pip install {source.package})"
        ) from exc
    return Path(module.BASE_DIR)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_assets(vendor_dir: Path | None = None) -> Path:
    """Copy the map libraries into the vendor folder if they are missing or changed.

    Idempotent and offline: it only reads the installed XStatic packages. Files whose
    content already matches are left untouched.

    Parameters
    ----------
    vendor_dir : Path, optional
        Target folder; default ``layers/static/vendor``.

    Returns
    -------
    Path
        The vendor folder.

    Raises
    ------
    AssetError
        If an XStatic package or one of its files is missing, or the folder cannot be written.
    """
    vendor = Path(vendor_dir) if vendor_dir else VENDOR_DIR
    manifest: dict[str, dict[str, str]] = {}
    try:
        for source in _sources():
            src = _package_dir(source) / source.src
            if not src.is_file():
                raise AssetError(
                    f"Kartenbibliothek unvollständig: „{source.src}“ fehlt im Paket "
                    f"„{source.package}“. {SETUP_HINT}"
                )
            dest = vendor / source.dest
            digest = _sha256(src)
            if not dest.is_file() or _sha256(dest) != digest:
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(dest.name + ".tmp")
                shutil.copyfile(src, tmp)
                tmp.replace(dest)
            manifest[source.dest] = {"package": source.package, "sha256": digest}
        text = json.dumps(manifest, indent=1, sort_keys=True)
        manifest_path = vendor / MANIFEST_NAME
        if not manifest_path.is_file() or manifest_path.read_text(encoding="utf-8") != text:
            manifest_path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AssetError(
            f"Kartenbibliothek kann nicht nach „{vendor}“ kopiert werden: {exc}. {SETUP_HINT}"
        ) from exc
    return vendor


def _vendor_file(rel: str) -> Path:
    path = VENDOR_DIR / rel
    if not path.is_file():
        ensure_assets()
    if not path.is_file():  # pragma: no cover - ensure_assets raises before
        raise AssetError(f"Kartenbibliothek fehlt: „{rel}“. {SETUP_HINT}")
    return path


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Return Leaflet's JavaScript as a ``data:`` URL."""
    return _data_url("text/javascript", _vendor_file("leaflet/leaflet.js").read_bytes())


@lru_cache(maxsize=1)
def jquery_js() -> str:
    """Return jQuery as a ``data:`` URL (only for folium ``Popup`` elements; maps drop it)."""
    return _data_url("text/javascript", _vendor_file("jquery/jquery.min.js").read_bytes())


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Return Leaflet's style sheet as a ``data:`` URL, its images embedded."""
    css = _vendor_file("leaflet/leaflet.css").read_text(encoding="utf-8")

    def embed(match: re.Match[str]) -> str:
        name = match.group(1)
        data = _vendor_file(f"leaflet/images/{name}").read_bytes()
        return f"url({_data_url('image/png', data)})"

    css = re.sub(r"url\(\s*['\"]?images/([\w.-]+\.png)['\"]?\s*\)", embed, css)
    return _data_url("text/css", css.encode("utf-8"))


@lru_cache(maxsize=64)
def symbol_svg(name: str) -> str:
    """Return a Font Awesome solid symbol as inline SVG markup coloured by ``currentColor``.

    Parameters
    ----------
    name : str
        Font Awesome name, e.g. ``"comments"``. Unknown names give a question-mark symbol.

    Returns
    -------
    str
        ``<svg …>`` markup without comments, safe to embed in HTML.
    """
    if not re.fullmatch(r"[a-z0-9-]+", name):
        name = "circle-question"
    path = VENDOR_DIR / "font-awesome" / "svgs" / "solid" / f"{name}.svg"
    if not path.is_file():
        ensure_assets()
    if not path.is_file():
        path = _vendor_file("font-awesome/svgs/solid/circle-question.svg")
    svg = path.read_text(encoding="utf-8")
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL).strip()
    return svg.replace("<svg ", '<svg fill="currentColor" aria-hidden="true" focusable="false" ', 1)


def css_data_url(css: str) -> str:
    """Return a style sheet as a ``data:`` URL (for ``default_css`` of own elements)."""
    return _data_url("text/css", css.encode("utf-8"))


# Names of folium's default resources: replaced by local copies or dropped.
_LOCAL_JS = {"leaflet": leaflet_js}
_LOCAL_CSS = {"leaflet_css": leaflet_css}
_UNUSED = {
    "jquery",
    "bootstrap",
    "awesome_markers",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers_font_css",
    "awesome_markers_css",
    "awesome_rotate_css",
}


def _walk(element: branca.element.Element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def _is_local(url: str) -> bool:
    return url.startswith("data:")


def localize(m: folium.Map) -> folium.Map:
    """Replace every CDN link of a map by embedded local copies; refuse unknown ones.

    Sets instance-level ``default_js``/``default_css`` (the class attributes stay as
    they are), so both ``Map.get_root().render()`` and ``st_folium`` use them.

    Parameters
    ----------
    m : folium.Map
        A fully assembled map; call this last.

    Returns
    -------
    folium.Map
        The same map.

    Raises
    ------
    AssetError
        If an element needs a remote script or style sheet Nahraum does not ship
        (e.g. a folium plugin or a branca colormap): add it to the vendor set first.
    """
    for element in _walk(m):
        if isinstance(element, ColorMap):
            raise AssetError(
                "Die Karte enthält eine branca-Farbskala; sie lädt d3 aus dem Internet. "
                "Bitte die Legende von layers/legend.py verwenden."
            )
        if not isinstance(element, JSCSSMixin):
            continue
        js: list[tuple[str, str]] = []
        for name, url in element.default_js:
            if name in _LOCAL_JS:
                js.append((name, _LOCAL_JS[name]()))
            elif name in _UNUSED:
                continue
            elif _is_local(url):
                js.append((name, url))
            else:
                raise AssetError(
                    f"Kartenelement {type(element).__name__} lädt ein Skript aus dem Internet "
                    f"({name}); offline bliebe die Karte leer. Bitte lokal bereitstellen."
                )
        css: list[tuple[str, str]] = []
        for name, url in element.default_css:
            if name in _LOCAL_CSS:
                css.append((name, _LOCAL_CSS[name]()))
            elif name in _UNUSED:
                continue
            elif _is_local(url):
                css.append((name, url))
            else:
                raise AssetError(
                    f"Kartenelement {type(element).__name__} lädt ein Stylesheet aus dem "
                    f"Internet ({name}); bitte lokal bereitstellen."
                )
        element.default_js = js
        element.default_css = css
    return m


def main() -> int:
    """Set-up entry point (``python -m layers._assets``): copy and report, German messages."""
    try:
        vendor = ensure_assets()
    except AssetError as exc:
        print(f"Fehler: {exc}")
        return 1
    files = [p for p in vendor.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files) / 1024
    print(f"Kartenbibliotheken bereit: {len(files)} Dateien, {size:.0f} KiB in {vendor}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
