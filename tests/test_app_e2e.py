"""The gap map in a real browser: controls, map, key figures, clicks, downloads, screenshots.

Screenshots go to ``tests/artifacts/`` (ignored by git): look at them after a change.
The time from a control change to the updated key figure and to the redrawn map image
is measured and printed (``pytest -s`` shows it).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import statistics
import time
from pathlib import Path

import pytest

pytest_plugins = ["tests.e2e_helpers"]
pytestmark = pytest.mark.e2e

# Median control → redrawn map (seconds). Speed is a measurement, printed every run and kept in
# tests/artifacts/control_timings.json; by default the test only fails on a hang (a machine shared
# with other jobs is slow). NAHRAUM_E2E_STRICT=1 enforces the product target of 1 s.
MEDIAN_LIMIT_S = 1.0 if os.environ.get("NAHRAUM_E2E_STRICT") else 8.0
README_COMMAND = "./nahraum.sh app --port {port}"

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
    catchment: document.querySelectorAll('path.nahraum-catchment').length,
    roads: document.querySelectorAll('.leaflet-nahraum-roads-pane path').length,
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

# A point where the mouse hits a Gemeinde outline directly (no marker, label or control).
HOVER_SPOT_JS = """() => {
    const paths = document.querySelectorAll('.leaflet-nahraum-gemeinden-pane path.nahraum-gemeinde');
    const controls = [...document.querySelectorAll('.leaflet-control')]
        .map(c => c.getBoundingClientRect());
    for (const path of paths) {
        const r = path.getBoundingClientRect();
        for (let fy = 0.3; fy <= 0.7; fy += 0.1) {
            for (let fx = 0.3; fx <= 0.7; fx += 0.1) {
                const x = r.left + fx * r.width, y = r.top + fy * r.height;
                const free = controls.every(c => x < c.left - 5 || x > c.right + 5
                                            || y < c.top - 5 || y > c.bottom + 5);
                if (free && document.elementFromPoint(x, y) === path) return [x, y];
            }
        }
    }
    return null;
}"""

BOXES_JS = """() => {
    const q = s => { const e = document.querySelector(s);
                     if (!e) return null; const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
    return {layers: q('.leaflet-control-layers'), legend: q('.nahraum-legend-control'),
            zoom: q('.leaflet-control-zoom'), attribution: q('.leaflet-control-attribution'),
            scale: q('.leaflet-control-scale'), map: q('.leaflet-container'),
            legendOpen: (document.querySelector('.nahraum-legend') || {}).open === true,
            viewport: [window.innerWidth, window.innerHeight]};
}"""


def _located_services(region, category: str | None = None) -> list[tuple[str, str]]:
    svc = region.services
    ok = svc.geometry.notna() & ~svc.geometry.is_empty & (svc["precision"] != "not_found")
    if category is not None:
        ok &= svc["category"] == category
    located = svc[ok]
    return list(zip(located["id"].astype(str), located["name"].astype(str), strict=True))


def _share(text: str) -> float:
    return float(text.replace("%", "").replace(".", "").replace(",", ".").strip())


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _assert_controls_apart(boxes: dict) -> None:
    names = [n for n in ("layers", "legend", "zoom", "attribution", "scale") if boxes[n]]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not _overlap(boxes[a], boxes[b]), (a, b, boxes)
    for name in names:
        box, frame_box = boxes[name], boxes["map"]
        assert box[0] >= frame_box[0] - 1 and box[2] <= frame_box[2] + 1, (name, boxes)
        assert box[1] >= frame_box[1] - 1 and box[3] <= frame_box[3] + 1, (name, boxes)


def _timed_change(page, frame, trigger, metric_label: str | None = None) -> tuple[float, float]:
    """Run ``trigger`` and wait for the key figure and the map image to change.

    Returns
    -------
    (figure_s, map_s)
        Seconds from the trigger to the changed figure (``nan`` without a metric)
        and to the changed, fully decoded map image.
    """
    from tests.e2e_helpers import METRIC_CHANGED_JS, RASTER_CHANGED_JS, RASTER_JS, metric

    before_img = frame.evaluate(RASTER_JS)
    before = metric(page, metric_label) if metric_label else None
    t0 = time.perf_counter()
    trigger()
    figure_s = float("nan")
    if metric_label:
        page.wait_for_function(
            METRIC_CHANGED_JS, arg=[metric_label, before], timeout=30_000, polling="raf"
        )
        figure_s = time.perf_counter() - t0
    frame.wait_for_function(RASTER_CHANGED_JS, arg=before_img, timeout=30_000, polling="raf")
    map_s = time.perf_counter() - t0
    return figure_s, map_s


# Visible and hidden label names on screen; throws if two visible labels overlap.
LABEL_OVERLAP_JS = """() => {
    const box = document.querySelector('.leaflet-container').getBoundingClientRect();
    const shown = [], hidden = [], rects = [];
    for (const el of document.querySelectorAll('.nahraum-label')) {
        const span = el.firstChild, r = span.getBoundingClientRect();
        if (!r.width || r.right < box.left || r.left > box.right || r.bottom < box.top
            || r.top > box.bottom) continue;
        if (el.classList.contains('nahraum-label-hidden')) { hidden.push(span.textContent); continue; }
        for (const [name, k] of rects) {
            if (r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top)
                throw new Error('Beschriftungen überlappen: ' + name + ' / ' + span.textContent);
        }
        rects.push([span.textContent, r]); shown.push(span.textContent);
    }
    return [shown, hidden];
}"""


#: Zoom ``levels`` closer around the label named ``name``; returns the view before.
ZOOM_TO_LABEL_JS = """([name, levels]) => {
    const map = window.map, before = {center: map.getCenter(), zoom: map.getZoom()};
    const span = [...document.querySelectorAll('.nahraum-label span')]
        .find(s => s.textContent === name);
    const r = span.getBoundingClientRect(), box = map.getContainer().getBoundingClientRect();
    const at = map.containerPointToLatLng(
        [(r.left + r.right) / 2 - box.left, (r.top + r.bottom) / 2 - box.top]);
    map.setView(at, before.zoom + levels, {animate: false});
    return before;
}"""


def test_map_shows_region(app_server, browser, default_region) -> None:
    from tests.e2e_helpers import OutsideRecorder, artifact_path, metric, open_app

    recorder = OutsideRecorder()
    context, page, frame = open_app(browser, app_server.url, recorder, viewport=(1920, 1080))
    try:
        counts = frame.evaluate(COUNT_JS)
        assert counts["gemeinden"] == len(default_region.gemeinden) == 65
        located = _located_services(default_region)
        assert counts["markers"] == len(located) > 0  # no category chosen: all services
        svc = default_region.services
        imprecise = int(
            ((svc["precision"] != "coordinates") & (svc["precision"] != "not_found")).sum()
        )
        assert counts["imprecise"] == imprecise
        natural_w, natural_h, shown_w, shown_h = counts["raster"]
        assert natural_w > 100 and natural_h > 100 and shown_w > 100 and shown_h > 100
        assert {
            "Karte: Versorgungslücke (bedarfsgewichtet)",
            "Gemeinden",
            "Angebote (Auswahl)",
            "Ortsnamen",
        } <= set(counts["overlays"])
        assert "GeoBasis-DE / BKG" in counts["attribution"]
        assert "Zensus 2022" in counts["attribution"]
        # The travel-time model is named with the map (no network in this region).
        assert "Wegezeiten: Luftlinie × Umwegfaktor 1,28, zu Fuß 4,5 km/h" in counts["attribution"]
        assert (
            "Lage ungenau" in counts["legend"]
            and "Personen-Minuten je 100-m-Zelle" in counts["legend"]
        )
        assert counts["scale"].strip().endswith(("km", "m"))
        # Names never overlap: where two would (Sondershausen and Bad Frankenhausen at the
        # region's zoom), the smaller Gemeinde's is hidden; after zooming in both show.
        shown, hidden = frame.evaluate(LABEL_OVERLAP_JS)
        assert shown and hidden, (shown, hidden)
        assert "Sondershausen" in shown and "Bad Frankenhausen/Kyffhäuser" in hidden
        # Two levels closer around Bad Frankenhausen (so it stays in view), then back.
        view = frame.evaluate(ZOOM_TO_LABEL_JS, ["Bad Frankenhausen/Kyffhäuser", 2])
        frame.wait_for_function(
            "() => [...document.querySelectorAll('.nahraum-label')].some(e =>"
            " e.textContent === 'Bad Frankenhausen/Kyffhäuser'"
            " && !e.classList.contains('nahraum-label-hidden'))",
            timeout=20_000,
        )
        assert frame.evaluate(LABEL_OVERLAP_JS)[0]  # still no overlap (the JS asserts it)
        frame.evaluate("(v) => window.map.setView(v.center, v.zoom, {animate: false})", view)
        frame.wait_for_function(  # back at the region's zoom: hidden again
            "() => [...document.querySelectorAll('.nahraum-label-hidden')].some(e =>"
            " e.textContent === 'Bad Frankenhausen/Kyffhäuser')",
            timeout=20_000,
        )

        # Key figures above the map.
        body = page.locator("[data-testid='stMain']").inner_text()
        assert "Kyffhäuserkreis + Landkreis Sömmerda" in body
        assert metric(page, "Anteil versorgt").endswith("%")
        assert metric(page, "Zielgruppe über 15 min") is not None
        assert "Größte Lücken" in body
        page.screenshot(path=artifact_path("app_1920x1080.png"))

        # Hovering a Gemeinde shows its name.
        spot = frame.evaluate(HOVER_SPOT_JS)
        assert spot is not None, "keine frei liegende Gemeindefläche"
        box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        page.mouse.move(box["x"] + spot[0], box["y"] + spot[1])
        tooltip = frame.locator(".leaflet-tooltip.nahraum-tooltip").last
        tooltip.wait_for(state="visible", timeout=10_000)
        assert tooltip.inner_text().strip() in set(default_region.gemeinden["name"])

        # Click a service marker (prefer a name with characters that need escaping): its
        # popup opens, the panel shows it and its catchment is drawn on the map.
        ordered = sorted(located, key=lambda s: not any(c in s[1] for c in "<>&'\""))
        sid = frame.evaluate(FREE_MARKER_JS, [s for s, _ in ordered])
        assert sid is not None, "kein frei liegender Angebotsmarker"
        name = dict(located)[sid]
        frame.locator(f'.nahraum-marker[data-id="{sid}"]').click()
        page.locator(".nahraum-panel h4[data-kind=service]").wait_for(timeout=20_000)
        assert page.locator(".nahraum-panel h4").first.inner_text().strip() == name.strip()
        frame.wait_for_function(
            "() => document.querySelectorAll('path.nahraum-catchment').length > 0", timeout=20_000
        )
        # The click's popup and, after the rerun, the selected marker's: one stays open.
        frame.wait_for_function(
            "() => document.querySelectorAll('.leaflet-popup-content').length === 1",
            timeout=10_000,
        )
        popup = frame.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=10_000)
        page.wait_for_timeout(500)  # Leaflet fades popups in
        assert popup.locator("h4").inner_text().strip() == name.strip()
        assert popup.locator("script").count() == 0
        assert "Lage" in popup.inner_text()
        assert "Einzugsbereich bis 15 min" in frame.evaluate(COUNT_JS)["legend"]
        page.screenshot(path=artifact_path("app_popup_1920x1080.png"))
    finally:
        context.close()
    assert recorder.urls == []


def test_controls_update_map_and_figures(app_server, browser, default_region) -> None:
    from geo import analysis
    from present import i18n
    from present import tables as ptables
    from tests.e2e_helpers import (
        OutsideRecorder,
        artifact_path,
        metric,
        open_app,
        select_option,
        slider,
    )

    recorder = OutsideRecorder()
    sent: list = []
    context, page, frame = open_app(
        browser, app_server.url, recorder, viewport=(1920, 1080), sent_frames=sent
    )
    context.set_default_timeout(30_000)
    timings: list[tuple[str, float, float]] = []
    try:
        # Panning and zooming the map does not rerun the app (no message to the server).
        box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        cx, cy = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5
        page.wait_for_timeout(1000)
        before_pan = len(sent)
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx - 120, cy - 60, steps=8)
        page.mouse.up()
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(1500)
        assert len(sent) == before_pan, "Verschieben/Zoomen der Karte löste einen Neustart aus"
        view = frame.evaluate("() => [window.map.getZoom(), window.map.getCenter()]")

        # Threshold up: more people reach a service.
        share = _share(metric(page, "Anteil versorgt"))
        slider(page, "Schwellenwert (Minuten)").focus()
        for minutes in (20, 30):  # the slider's steps: settings.THRESHOLD_CHOICES_MIN
            t = _timed_change(
                page, frame, lambda: page.keyboard.press("ArrowRight"), "Anteil versorgt"
            )
            timings.append((f"Schwellenwert {minutes} min", *t))
            new = _share(metric(page, "Anteil versorgt"))
            assert new > share, (minutes, share, new)
            share = new
        assert metric(page, "Zielgruppe über 30 min") is not None
        # The map kept the user's view through the updates.
        assert frame.evaluate("() => [window.map.getZoom(), window.map.getCenter()]") == view

        # Walk -> car (its own default threshold, 20 min): the share rises.
        option = select_option(page, "Verkehrsart", "Auto", open_only=True)
        t = _timed_change(page, frame, option.click, "Anteil versorgt")
        timings.append(("zu Fuß → Auto", *t))
        car_share = _share(metric(page, "Anteil versorgt"))
        assert car_share > share
        assert metric(page, "Zielgruppe über 20 min") is not None
        assert "Auto Ø 40 km/h" in page.locator("[data-testid='stMain']").inner_text()

        # A category: only its services remain on the map.
        familie = _located_services(default_region, "Familie")
        option = select_option(page, "Kategorien", re.compile(r"^Familie \(\d+\)$"), open_only=True)
        assert option.inner_text().strip() == f"Familie ({len(familie)})"
        t = _timed_change(page, frame, option.click, "Anteil versorgt")
        timings.append(("Kategorie Familie", *t))
        page.keyboard.press("Escape")
        frame.wait_for_function(
            f"() => document.querySelectorAll('.nahraum-service-marker').length === {len(familie)}"
        )
        ids = frame.evaluate(
            "() => [...document.querySelectorAll('.nahraum-marker[data-id]')]"
            ".map(e => e.getAttribute('data-id'))"
        )
        assert set(ids) == {sid for sid, _ in familie}
        assert _share(metric(page, "Anteil versorgt")) < car_share  # fewer services, fewer reached

        # Target group by life phase.
        option = select_option(
            page,
            "Zielgruppe (nach Lebensphase)",
            "Erwachsenenleben – Ausländische Staatsangehörige",
            open_only=True,
        )
        t = _timed_change(page, frame, option.click, "Zielgruppe über 20 min")
        timings.append(("Zielgruppe", *t))

        # Measure: the map changes (travel-time bands), the legend follows.
        option = select_option(
            page,
            "Kartendarstellung (Maß je 100-m-Zelle)",
            "Wegezeit zum nächsten Angebot",
            open_only=True,
        )
        t = _timed_change(page, frame, option.click)
        timings.append(("Maß Wegezeit", *t))
        frame.wait_for_function(
            "() => document.querySelector('.nahraum-legend-control')"
            ".textContent.includes('Wegezeit zum nächsten Angebot (min)')"
        )
        legend = frame.evaluate(COUNT_JS)["legend"]
        assert "über 60 min oder kein Angebot" in legend and "Schwellenwert: 20 min" in legend

        # Gemeinde choropleth.
        select_option(page, "Gemeinden einfärben nach", "Anteil über Schwellenwert (%)")
        frame.wait_for_function(
            "() => document.querySelectorAll('.leaflet-nahraum-choropleth-pane path').length > 0"
        )

        print("\nSteuerung → Anzeige (s):")
        for label, figure_s, map_s in timings:
            print(f"  {label:<24} Kennzahl {figure_s:5.2f}   Karte {map_s:5.2f}")
        map_times = [m for _, _, m in timings]
        figure_times = [f for _, f, _ in timings if f == f]
        print(
            f"  Median: Kennzahl {statistics.median(figure_times):.2f} s, "
            f"Karte {statistics.median(map_times):.2f} s"
        )
        artifact_path("control_timings.json").write_text(
            json.dumps(
                {
                    "changes": [{"control": c, "figure_s": f, "map_s": m} for c, f, m in timings],
                    "median_figure_s": statistics.median(figure_times),
                    "median_map_s": statistics.median(map_times),
                },
                indent=2,
            ),
            "utf-8",
        )
        assert statistics.median(map_times) < MEDIAN_LIMIT_S

        # Click a Gemeinde: the panel shows its figures.
        spot = frame.evaluate(HOVER_SPOT_JS)
        assert spot is not None
        box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        page.mouse.move(box["x"] + spot[0], box["y"] + spot[1])
        tooltip = frame.locator(".leaflet-tooltip.nahraum-tooltip").last
        tooltip.wait_for(state="visible")
        gemeinde = tooltip.inner_text().strip().splitlines()[0]
        assert gemeinde in set(default_region.gemeinden["name"])
        page.mouse.click(box["x"] + spot[0], box["y"] + spot[1])
        heading = page.locator(".nahraum-panel h4[data-kind=gemeinde]")
        heading.wait_for()
        assert heading.inner_text().strip() == gemeinde
        panel = page.locator(".nahraum-panel").inner_text()
        assert "Anteil bis 20 min" in panel and "Wegezeit Mittel" in panel
        page.screenshot(path=artifact_path("app_controls_1920x1080.png"))

        # Download the table: one row per Gemeinde, German CSV, small counts as "<3".
        params = analysis.AnalysisParams(
            kinds=("Familie",), target="foreign", mode="car", threshold_min=20
        )
        expected = ptables.table(
            analysis.analyze(default_region, params, {}), suppress=True, total_row=False
        )
        with page.expect_download() as info:
            page.get_by_role("button", name=i18n.t("download_csv_de"), exact=True).click()
        download = info.value
        assert download.suggested_filename.endswith(".csv")
        text = Path(download.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert len(rows) == 65 + 1
        header = rows[0]
        assert header == list(expected.columns)
        column = header.index("über 20 min (Personen)")
        got = [r[column] for r in rows[1:]]
        want = ["" if v is None else str(v) for v in expected["über 20 min (Personen)"]]
        assert got == want
        assert sum(r.count("<3") for r in rows) == int((expected == "<3").sum().sum()) > 0
        share_col = header.index("Anteil erreichbar (%)")
        assert any("," in r[share_col] for r in rows[1:])  # decimal comma

        with page.expect_download() as info:
            page.get_by_role("button", name=i18n.t("download_xlsx"), exact=True).click()
        data = Path(info.value.path()).read_bytes()
        assert data[:2] == b"PK"
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data))
        assert book.sheetnames
    finally:
        context.close()
    assert recorder.urls == []


def test_small_screen(app_server, browser) -> None:
    from tests.e2e_helpers import OutsideRecorder, artifact_path, open_app

    recorder = OutsideRecorder()
    context, page, frame = open_app(browser, app_server.url, recorder, viewport=(1280, 720))
    try:
        # Controls must not overlap: layer control (top right), legend (bottom left),
        # zoom (top left), attribution (bottom right), scale (bottom left, under the legend).
        boxes = frame.evaluate(BOXES_JS)
        _assert_controls_apart(boxes)
        # The legend is open and readable, and the whole map fits into the window.
        assert boxes["legendOpen"], boxes
        iframe = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        assert iframe["y"] + iframe["height"] <= 720 + 1, iframe
        assert iframe["y"] + boxes["legend"][3] <= 720, (iframe, boxes)
        page.screenshot(path=artifact_path("app_1280x720.png"))
    finally:
        context.close()
    assert recorder.urls == []


def test_english(app_server, browser) -> None:
    from tests.e2e_helpers import (
        OutsideRecorder,
        artifact_path,
        metric,
        open_app,
        wait_for_map_state,
    )

    recorder = OutsideRecorder()
    context, page, frame = open_app(browser, app_server.url, recorder, viewport=(1920, 1080))
    try:
        page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
        page.get_by_text("Share served").wait_for(timeout=30_000)
        # New labels in the base map: the map frame is reloaded.
        frame = wait_for_map_state(
            page,
            "() => { const l = document.querySelector('.nahraum-legend-control');"
            " return l !== null && l.textContent.includes('Imprecise location')"
            " && document.querySelector('img.nahraum-raster') !== null; }",
        )
        assert metric(page, "Share served").endswith("%")
        sidebar = page.locator("[data-testid='stSidebar']").inner_text()
        for label in (
            "Planning region",
            "Categories",
            "Target group (by life phase)",
            "Travel mode",
            "Threshold (minutes)",
            "Map display (measure per 100 m cell)",
        ):
            assert label in sidebar
        # Select boxes show their chosen option in English, too.
        for label, value in (
            ("Travel mode", "walking"),
            ("Target group (by life phase)", "All life phases – All inhabitants"),
            ("Map display (measure per 100 m cell)", "Need-weighted gap"),
        ):
            assert page.get_by_role("combobox", name=label, exact=True).input_value() == value
        counts = frame.evaluate(COUNT_JS)
        assert "Services (selection)" in counts["overlays"]
        assert "Imprecise location" in counts["legend"]
        assert "Travel times: Straight line × detour factor 1.28" in counts["attribution"]
        page.screenshot(path=artifact_path("app_english_1920x1080.png"))
    finally:
        context.close()
    assert recorder.urls == []


@pytest.mark.parametrize("viewport", [(1920, 1080), (1280, 720)], ids=["1920x1080", "1280x720"])
def test_bayreuth_walk_bands(app_server, browser, viewport) -> None:
    """Bayreuth-Nord with its OSM road network: walking travel-time bands (screenshots at
    both sizes); the legend and the controls cover none of the data."""
    from tests.e2e_helpers import (
        COVERED_DATA_JS,
        OutsideRecorder,
        artifact_path,
        open_app,
        select_option,
        wait_for_map_state,
    )

    recorder = OutsideRecorder()
    context, page, frame = open_app(browser, app_server.url, recorder, viewport=viewport)
    context.set_default_timeout(60_000)
    try:
        select_option(page, "Planungsregion", "Testgebiet Bayreuth-Nord (OSM-Ausschnitt)")
        page.get_by_text("Versorgungslücken – Testgebiet Bayreuth-Nord").wait_for()
        page.get_by_text("Wegezeiten auf dem OSM-Straßennetz dieser Region.").wait_for()
        select_option(
            page, "Kartendarstellung (Maß je 100-m-Zelle)", "Wegezeit zum nächsten Angebot"
        )
        frame = wait_for_map_state(
            page,
            "() => { const l = document.querySelector('.nahraum-legend-control');"
            " const i = document.querySelector('img.nahraum-raster');"
            " return l !== null && l.textContent.includes('Wegezeit zum nächsten Angebot (min)')"
            " && i !== null && i.complete && i.naturalWidth > 0"
            " && document.querySelectorAll('.leaflet-nahraum-roads-pane path').length > 0"
            " && document.querySelectorAll('.nahraum-service-marker').length > 0; }",
        )
        page.wait_for_timeout(500)
        counts = frame.evaluate(COUNT_JS)
        assert counts["roads"] > 0, "Straßen des Netzes fehlen"
        assert (
            "Wegezeiten: OSM-Straßennetz (north-bayreuth.osm.gz), zu Fuß 4,5 km/h"
            in counts["attribution"]
        )
        assert "OpenStreetMap" in counts["attribution"]
        size = f"{viewport[0]}x{viewport[1]}"
        page.screenshot(path=artifact_path(f"bayreuth_region_{size}.png"))
        covered, data = frame.evaluate(COVERED_DATA_JS, 8)
        assert data > 500 and covered == 0, (covered, data)
        # Zoom to the services, where the walking bands are.
        frame.evaluate("""() => {
            const pts = [...document.querySelectorAll('.nahraum-service-marker')].map(m => {
                const r = m.getBoundingClientRect();
                return window.map.containerPointToLatLng([r.left + r.width / 2,
                                                          r.top + r.height / 2]); });
            window.map.fitBounds(L.latLngBounds(pts).pad(0.3),
                                 {paddingTopLeft: [320, 20], animate: false});
        }""")
        page.wait_for_timeout(1500)
        page.screenshot(path=artifact_path(f"bayreuth_walk_bands_{size}.png"))
    finally:
        context.close()
    assert recorder.urls == []


def test_readme_command_starts_the_app(browser, default_region, tmp_path) -> None:
    """The start command of the README (``./nahraum.sh app``) serves the map, offline."""
    from tests.e2e_helpers import OutsideRecorder, open_app, start_app, stop_app

    server = start_app(tmp_path / "readme", command=README_COMMAND)
    try:
        # Set-up steps of the script (e.g. pip after a changed lock file) may look for the
        # package index before the app starts; from then on nothing may leave the machine.
        setup_attempts = len(server.outside_attempts())
        recorder = OutsideRecorder()
        context, page, frame = open_app(browser, server.url, recorder, viewport=(1280, 800))
        try:
            assert frame.evaluate(COUNT_JS)["gemeinden"] == 65
        finally:
            context.close()
        assert recorder.urls == []
        assert server.outside_attempts()[setup_attempts:] == [], server.outside_attempts()
    finally:
        stop_app(server)


def test_threshold_is_kept_per_mode(app_server, browser, default_region) -> None:
    """A planner's threshold for one mode survives switching to other modes and back, and
    the slider shows the threshold the analysis uses (it once showed another mode's)."""
    from tests.e2e_helpers import open_app, select_option, slider

    context, page, frame = open_app(browser, app_server.url, viewport=(1920, 1080))

    def shows(minutes: int) -> None:
        page.wait_for_function(
            "(m) => document.body.innerText.includes(`Zielgruppe über ${m} min`)",
            arg=minutes,
            timeout=30_000,
        )
        # the slider settles on the same value (it once stayed on another mode's)
        thumb = page.locator("[data-testid=stSlider]", has_text="Schwellenwert (Minuten)")
        value = thumb.locator("[data-testid=stSliderThumbValue]")
        deadline = time.monotonic() + 10
        while value.inner_text().strip() != f"{minutes} min" and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert value.inner_text().strip() == f"{minutes} min", (value.inner_text(), minutes)

    try:
        shows(15)
        for _ in range(2):  # walk: 15 → 10 → 5 min
            slider(page, "Schwellenwert (Minuten)").focus()
            page.keyboard.press("ArrowLeft")
            page.wait_for_timeout(300)
        shows(5)
        select_option(page, "Verkehrsart", "Fahrrad")  # bike opens with its own default
        shows(30)
        slider(page, "Schwellenwert (Minuten)").focus()
        page.keyboard.press("ArrowRight")  # bike: 30 → 45 min
        shows(45)
        select_option(page, "Verkehrsart", re.compile(r"^zu Fuß, langsam"))
        shows(15)
        select_option(page, "Verkehrsart", "Fahrrad")
        shows(45)
        select_option(page, "Verkehrsart", "zu Fuß")
        shows(5)
    finally:
        context.close()
