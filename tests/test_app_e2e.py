"""The app in a real browser: map drawn, Gemeinden and services present, popups, screenshots.

Screenshots go to ``tests/artifacts/`` (ignored by git): look at them after a change.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.e2e_helpers"]
pytestmark = pytest.mark.e2e

COUNT_JS = """() => ({
    gemeinden: document.querySelectorAll(
        '.leaflet-nahraum-gemeinden-pane path.nahraum-gemeinde').length,
    markers: document.querySelectorAll('.nahraum-service-marker').length,
    imprecise: document.querySelectorAll('.nahraum-service-marker .nahraum-marker-imprecise').length,
    raster: (() => { const i = document.querySelector('img.nahraum-raster');
                     return i ? [i.naturalWidth, i.naturalHeight, i.width, i.height] : null; })(),
    overlays: Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
        .map(l => l.textContent.trim()),
    attribution: (document.querySelector('.leaflet-control-attribution') || {}).textContent,
    legend: (document.querySelector('.nahraum-legend-control') || {}).textContent,
    scale: (document.querySelector('.leaflet-control-scale-line') || {}).textContent,
})"""

# Id of a marker whose centre is not covered by another marker (so a real click hits it).
FREE_MARKER_JS = """(ids) => {
    for (const id of ids) {
        const el = document.querySelector('.nahraum-marker[data-id="' + CSS.escape(id) + '"]');
        if (!el) continue;
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (hit && el.parentElement.contains(hit)) return id;
    }
    return null;
}"""


# A point where the mouse hits a Gemeinde outline directly (no marker or control on top).
HOVER_SPOT_JS = """() => {
    const paths = document.querySelectorAll('.leaflet-nahraum-gemeinden-pane path.nahraum-gemeinde');
    for (const path of paths) {
        const r = path.getBoundingClientRect();
        for (let fy = 0.3; fy <= 0.7; fy += 0.1) {
            for (let fx = 0.3; fx <= 0.7; fx += 0.1) {
                const x = r.left + fx * r.width, y = r.top + fy * r.height;
                if (document.elementFromPoint(x, y) === path) return [x, y];
            }
        }
    }
    return null;
}"""


def _located_services(region) -> list[tuple[str, str]]:
    svc = region.services
    located = svc[svc.geometry.notna() & ~svc.geometry.is_empty]
    return list(zip(located["id"].astype(str), located["name"].astype(str), strict=True))


def test_map_shows_region(app_server, browser, default_region) -> None:
    from tests.e2e_helpers import OutsideRecorder, artifact_path, open_app

    recorder = OutsideRecorder()
    context, page, frame = open_app(browser, app_server.url, recorder, viewport=(1920, 1080))
    try:
        counts = frame.evaluate(COUNT_JS)
        assert counts["gemeinden"] == len(default_region.gemeinden) == 65
        located = _located_services(default_region)
        assert counts["markers"] == len(located) > 0
        imprecise = int((default_region.services["precision"] != "coordinates").sum()
                        - (default_region.services["precision"] == "not_found").sum())
        assert counts["imprecise"] == imprecise
        natural_w, natural_h, shown_w, shown_h = counts["raster"]
        assert natural_w > 100 and natural_h > 100 and shown_w > 100 and shown_h > 100
        assert {"Bevölkerung (100-m-Raster)", "Gemeinden", "Angebote",
                "Haltestellen (ÖPNV)"} <= set(counts["overlays"])
        assert "GeoBasis-DE / BKG" in counts["attribution"]
        assert "Zensus 2022" in counts["attribution"]
        assert "Lage ungenau" in counts["legend"] and "je Hektar" in counts["legend"]
        assert counts["scale"].strip().endswith(("km", "m"))

        # Key figures above the map.
        body = page.locator("[data-testid='stMain']").inner_text()
        assert "Gemeinden" in body and "65" in body and "142.634" in body

        page.screenshot(path=artifact_path("app_1920x1080.png"))

        # Click a service marker (prefer a name with characters that need escaping).
        ordered = sorted(located, key=lambda s: not any(c in s[1] for c in "<>&'\""))
        ids = [sid for sid, _ in ordered]
        sid = frame.evaluate(FREE_MARKER_JS, ids)
        assert sid is not None, "kein frei liegender Angebotsmarker"
        name = dict(located)[sid]
        frame.locator(f'.nahraum-marker[data-id="{sid}"]').click()
        popup = frame.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=10_000)
        page.wait_for_timeout(500)  # Leaflet fades popups in
        assert popup.locator("h4").inner_text().strip() == name.strip()
        assert popup.locator("script").count() == 0
        assert "Lage" in popup.inner_text()
        page.screenshot(path=artifact_path("app_popup_1920x1080.png"))

        frame.locator(".leaflet-popup-close-button").click()

        # Hovering a Gemeinde shows its name.
        spot = frame.evaluate(HOVER_SPOT_JS)
        assert spot is not None, "keine frei liegende Gemeindefläche"
        box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        page.mouse.move(box["x"] + spot[0], box["y"] + spot[1])
        tooltip = frame.locator(".leaflet-tooltip.nahraum-tooltip").last
        tooltip.wait_for(state="visible", timeout=10_000)
        assert tooltip.inner_text().strip() in set(default_region.gemeinden["name"])
    finally:
        context.close()
    assert recorder.urls == []


def test_small_screen(app_server, browser) -> None:
    from tests.e2e_helpers import OutsideRecorder, artifact_path, open_app

    recorder = OutsideRecorder()
    context, page, frame = open_app(browser, app_server.url, recorder, viewport=(1280, 720))
    try:
        # Controls must not overlap: layer control (top right), legend (bottom left),
        # zoom (top left), attribution (bottom right).
        boxes = frame.evaluate("""() => {
            const q = s => { const e = document.querySelector(s);
                             if (!e) return null; const r = e.getBoundingClientRect();
                             return [r.left, r.top, r.right, r.bottom]; };
            return {layers: q('.leaflet-control-layers'), legend: q('.nahraum-legend-control'),
                    zoom: q('.leaflet-control-zoom'), attribution: q('.leaflet-control-attribution'),
                    map: q('.leaflet-container')};
        }""")

        def overlap(a: list[float], b: list[float]) -> bool:
            return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

        names = ["layers", "legend", "zoom", "attribution"]
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                assert not overlap(boxes[a], boxes[b]), (a, b, boxes)
        for name in names:
            box, frame_box = boxes[name], boxes["map"]
            assert box[0] >= frame_box[0] and box[2] <= frame_box[2] + 1, (name, boxes)
        page.screenshot(path=artifact_path("app_1280x720.png"))
    finally:
        context.close()
    assert recorder.urls == []
