"""The interactive map as a PNG picture, rendered by headless Chromium ("export what I see").

The second export path besides ``report.export.render_map`` (matplotlib): the folium map the
app shows (base map, overlays, legend, layer control, attribution line) is written to a
temporary HTML file and photographed by Debian's Chromium through Playwright::

    from layers import map as maplayers
    from report import snapshot
    png = snapshot.map_png(maplayers.build_map(data, options, overlays), width=1600,
                           height=1000, scale=2)

Offline by construction: the map is localized (every library embedded as a ``data:`` URL,
see :mod:`layers._assets`), every request that is neither ``data:`` nor the temporary file
itself is aborted and recorded, and Chromium's host resolver answers no name at all. A map
that tries to load anything remote (a CDN script, online tiles) raises
:class:`SnapshotError` instead of giving a silently incomplete picture.

The page counts as drawn when Leaflet's panes exist, the map has its size, every ``<img>``
(population and measure rasters, tiles, marker images) is decoded, no zoom or fade
animation runs and the fonts are loaded; then two animation frames and a short settle
wait pass before the screenshot. The attribution line (sources, dates, travel-time model)
must be inside the picture, else :class:`SnapshotError`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import folium

from geo._errors import NahraumError
from layers._assets import localize

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-pings",
    "--metrics-recording-only",
    "--disable-dev-shm-usage",
    # No name resolves: even a request that bypassed the routing cannot leave.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
INSTALL_HINT = "Bitte mit ./nahraum.sh test oder apt-get install chromium installieren."
SETTLE_MS = 300
MAX_PIXELS = 40_000_000  # width × height × scale² (about 160 MB of RGBA in Chromium)

READY_JS = """() => {
    const c = document.querySelector('.leaflet-container');
    if (!c || !document.querySelector('.leaflet-map-pane')) return 'Leaflet-Karte fehlt';
    const r = c.getBoundingClientRect();
    if (r.width < 10 || r.height < 10) return 'Karte hat keine Größe';
    for (const img of document.images) {
        if (!img.complete) return 'Bild lädt: ' + img.src.slice(0, 60);
    }
    if (document.querySelector('.leaflet-zoom-anim, .leaflet-fade-anim .leaflet-tile:not(.leaflet-tile-loaded)'))
        return 'Animation läuft';
    if (document.fonts && document.fonts.status !== 'loaded') return 'Schriften laden';
    return 'ok';
}"""

ATTRIBUTION_JS = """() => {
    const a = document.querySelector('.leaflet-control-attribution');
    if (!a) return null;
    const r = a.getBoundingClientRect();
    const inside = r.width > 0 && r.height > 0 && r.left >= -1 && r.top >= -1
        && r.right <= window.innerWidth + 1 && r.bottom <= window.innerHeight + 1;
    return {text: a.innerText.trim(), inside: inside};
}"""

FRAMES_JS = """() => new Promise(resolve =>
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))))"""


class SnapshotError(NahraumError):
    """The map could not be photographed (no Chromium, remote request, not drawn in time)."""


@dataclass
class Snapshot:
    """A rendered map: the PNG bytes and what the page showed and tried.

    Attributes
    ----------
    png : bytes
        The picture, ``width·scale × height·scale`` pixels.
    attribution : str
        Text of the map's attribution line (it is inside the picture).
    blocked : list of str
        URLs the page tried and that were blocked (empty for a successful snapshot).
    errors : list of str
        JavaScript errors of the page (for diagnosis; they do not fail the snapshot).
    seconds : float
        Time from opening the page to the screenshot.
    """

    png: bytes
    attribution: str = ""
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _html_of(folium_map_or_html: folium.Map | str) -> str:
    if isinstance(folium_map_or_html, folium.Map):
        return localize(folium_map_or_html).get_root().render()
    if isinstance(folium_map_or_html, str):
        return folium_map_or_html
    raise TypeError("map_png erwartet eine folium.Map oder HTML-Text.")


def _check_size(width: int, height: int, scale: float, timeout_s: float) -> None:
    if int(width) != width or int(height) != height or width < 100 or height < 100:
        raise SnapshotError(
            "Bildgröße ungültig: Breite und Höhe müssen ganze Zahlen ab 100 Pixel sein."
        )
    if not 0.5 <= scale <= 4:
        raise SnapshotError("Skalierung ungültig: erlaubt sind 0,5 bis 4.")
    if width * height * scale * scale > MAX_PIXELS:
        raise SnapshotError(
            f"Bild zu groß: {width * scale:.0f} × {height * scale:.0f} Pixel "
            f"(höchstens {MAX_PIXELS / 1e6:.0f} Millionen Pixel)."
        )
    if timeout_s <= 0:
        raise SnapshotError("Zeitlimit ungültig: es muss größer als 0 Sekunden sein.")


def _remote_error(urls: list[str]) -> SnapshotError:
    shown = ", ".join(u[:120] for u in urls[:5]) + (" …" if len(urls) > 5 else "")
    return SnapshotError(
        "Die Karte wollte Inhalte aus dem Internet laden; der Bild-Export wurde abgebrochen "
        f"(nichts wurde gesendet): {shown}. Online-Kacheln und fremde Skripte ausschalten."
    )


def _render(html: str, width: int, height: int, scale: float, timeout_s: float) -> Snapshot:
    if not Path(CHROMIUM).is_file():
        raise SnapshotError(f"Chromium nicht gefunden ({CHROMIUM}). {INSTALL_HINT}")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise SnapshotError(
            "Python-Paket „playwright“ fehlt. Bitte die Einrichtung ausführen: ./nahraum.sh test"
        ) from exc

    blocked: list[str] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nahraum-snapshot-") as tmp:
        page_file = Path(tmp) / "karte.html"
        page_file.write_text(html, encoding="utf-8")
        page_url = page_file.as_uri()

        def handle(route) -> None:
            url = route.request.url
            parts = urlsplit(url)
            if parts.scheme == "data" or url.split("#")[0] == page_url:
                route.continue_()
            else:
                blocked.append(url)
                route.abort("blockedbyclient")

        def record_socket(ws) -> None:
            blocked.append(ws.url)

        t0 = time.perf_counter()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM,
                    args=CHROMIUM_ARGS,
                    headless=True,
                    timeout=timeout_s * 1000,
                )
                try:
                    context = browser.new_context(
                        viewport={"width": int(width), "height": int(height)},
                        device_scale_factor=scale,
                        service_workers="block",
                        accept_downloads=False,
                        locale="de-DE",
                    )
                    context.route("**/*", handle)
                    page = context.new_page()
                    page.on("websocket", record_socket)
                    page.on("pageerror", lambda exc: errors.append(str(exc)))
                    page.goto(page_url, wait_until="load", timeout=timeout_s * 1000)
                    attribution = _wait_drawn(page, blocked, errors, t0 + timeout_s)
                    png = page.screenshot(
                        type="png",
                        full_page=False,
                        animations="disabled",
                        timeout=max(1000.0, (t0 + timeout_s + 5 - time.perf_counter()) * 1000),
                    )
                    if blocked:
                        raise _remote_error(blocked)
                finally:
                    browser.close()
        except PlaywrightError as exc:
            if blocked:
                raise _remote_error(blocked) from exc
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SnapshotError(f"Chromium konnte die Karte nicht abbilden: {message}") from exc
    return Snapshot(
        png=png,
        attribution=attribution,
        blocked=blocked,
        errors=errors,
        seconds=time.perf_counter() - t0,
    )


def _wait_drawn(page, blocked: list[str], errors: list[str], deadline: float) -> str:
    """Poll until the map is drawn and stays drawn over the settle wait; the attribution."""
    state = "?"
    while True:
        if blocked:
            raise _remote_error(blocked)
        state = page.evaluate(READY_JS)
        if state == "ok":
            page.evaluate(FRAMES_JS)
            page.wait_for_timeout(SETTLE_MS)
            if blocked:
                raise _remote_error(blocked)
            if page.evaluate(READY_JS) == "ok":
                break
        if time.perf_counter() > deadline:
            detail = f" JavaScript-Fehler: {errors[0]}" if errors else ""
            raise SnapshotError(f"Die Karte wurde nicht rechtzeitig gezeichnet ({state})." + detail)
        page.wait_for_timeout(100)
    info = page.evaluate(ATTRIBUTION_JS)
    if info is not None and info["text"] and not info["inside"]:
        raise SnapshotError(
            "Die Quellenangabe der Karte liegt außerhalb des Bildes; bitte "
            "ein größeres Bildformat wählen."
        )
    return info["text"] if info else ""


def map_snapshot(
    folium_map_or_html: folium.Map | str,
    width: int = 1600,
    height: int = 1000,
    scale: float = 1,
    timeout_s: float = 20,
) -> Snapshot:
    """Render a map in headless Chromium; the PNG with what the page showed.

    Same parameters as :func:`map_png`. Safe to call from a thread that runs an asyncio
    loop (the rendering then runs in a worker thread).
    """
    _check_size(width, height, scale, timeout_s)
    html = _html_of(folium_map_or_html)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _render(html, width, height, scale, timeout_s)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_render, html, width, height, scale, timeout_s).result()


def map_png(
    folium_map_or_html: folium.Map | str,
    width: int = 1600,
    height: int = 1000,
    scale: float = 1,
    timeout_s: float = 20,
) -> bytes:
    """The map as PNG bytes, photographed by headless Chromium, strictly offline.

    Parameters
    ----------
    folium_map_or_html : folium.Map or str
        A map from :mod:`layers.map` (e.g. ``build_map``; it is localized again) or the
        HTML of a standalone map document (``layers.map.map_html``).
    width, height : int
        Size of the browser window in CSS pixels (at least 100 each).
    scale : float
        Device pixel ratio (0.5–4): the PNG has ``width·scale × height·scale`` pixels,
        e.g. ``scale=2`` for print.
    timeout_s : float
        Upper bound for starting Chromium and drawing the map.

    Returns
    -------
    bytes
        The PNG file content.

    Raises
    ------
    SnapshotError
        Chromium or Playwright missing (German hint how to install), the map tried to load
        anything from the internet (nothing is sent; the URLs are named), the map was not
        drawn within ``timeout_s``, or the attribution line lies outside the picture.
    layers._assets.AssetError
        A ``folium.Map`` with an element that needs a remote library.
    """
    return map_snapshot(folium_map_or_html, width, height, scale, timeout_s).png
