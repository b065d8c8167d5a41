"""Standards in the app, in a real browser at 1280×720 (issue 14): the "Richtwerte" layer
(colours, legend, the reason in the Gemeinde tooltip) and the check table show; a planned
youth club in Clingen (650–3,000 inhabitants, no club today) flips Clingen from „fehlt“ to
„erfüllt“ in the map and in the table. A workshop token that does not exist is explained
before a new workshop opens (issue 13.8).

Screenshots: ``tests/artifacts/standards_1280x720_*.png``.
"""

from __future__ import annotations

import shutil
import time

import pytest
import shapely

pytest_plugins = ["tests.e2e_helpers"]
pytestmark = pytest.mark.e2e

VIEWPORT = (1280, 720)
CLINGEN = "16065012"
FEHLT = "#D55E00"
ERFUELLT = "#0072B2"
# The standards layer's state in the map (fill colour and tooltip line of Clingen).
STATE_JS = """(ags) => {
    const ns = window.nahraum || {};
    const legend = (document.querySelector('.nahraum-legend-control') || {}).textContent || '';
    const fills = [...document.querySelectorAll('.leaflet-nahraum-choropleth-pane path')]
        .map(p => p.getAttribute('fill'));
    return {tip: (ns.tips || {})[ags] || '', legend: legend,
            fehlt: fills.filter(f => f === '#D55E00').length,
            erfuellt: fills.filter(f => f === '#0072B2').length};
}"""
FREE_POINT_JS = """([lat, lng]) => {
    const p = window.map.latLngToContainerPoint([lat, lng]);
    const box = document.querySelector('.leaflet-container').getBoundingClientRect();
    if (p.x < 30 || p.y < 30 || p.x > box.width - 30 || p.y > box.height - 30) return null;
    const hit = document.elementFromPoint(p.x, p.y);
    if (!hit) return null;
    const free = hit.classList.contains('nahraum-gemeinde') || hit.classList.contains('leaflet-container')
        || hit.tagName === 'IMG' && hit.classList.contains('nahraum-raster');
    return free ? [p.x, p.y] : null;
}"""
# Rows of the standards table as the data grid exposes them to assistive technology.
GRID_ROWS_JS = """(label) => {
    const box = [...document.querySelectorAll('[data-testid=stExpander]')]
        .find(e => (e.querySelector('summary')?.innerText || '').includes(label));
    const grid = box ? box.querySelector('[data-testid=stDataFrame]') : null;
    if (!grid) return null;
    return [...grid.querySelectorAll('table tr')].map(
        r => [...r.querySelectorAll('td,th')].map(c => c.textContent.trim()));
}"""


def _state(page) -> dict:
    from tests.e2e_helpers import map_frame

    return map_frame(page).evaluate(STATE_JS, CLINGEN)


def _wait(page, predicate, timeout_s: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # frame replaced while the app reruns
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} nicht erreicht: {last!r}")
        page.wait_for_timeout(250)


def _clingen_row(page) -> list[str] | None:
    rows = page.evaluate(GRID_ROWS_JS, "Richtwerte je Gemeinde") or []
    return next((r for r in rows if r and r[0] == "Clingen"), None)


def _free_points(frame, geom) -> list[tuple[float, float]]:
    """Clickable spots inside a Gemeinde (WGS84), from its interior outwards."""
    inner = geom.buffer(-150)
    pts = [inner.representative_point()]
    minx, miny, maxx, maxy = inner.bounds
    for fx in (0.3, 0.5, 0.7):
        for fy in (0.3, 0.5, 0.7):
            p = shapely.Point(minx + fx * (maxx - minx), miny + fy * (maxy - miny))
            if inner.contains(p):
                pts.append(p)
    from geo.network import to_lonlat

    out = []
    for p in pts:
        lon, lat = to_lonlat([p.x], [p.y])
        if frame.evaluate(FREE_POINT_JS, [float(lat[0]), float(lon[0])]) is not None:
            out.append((float(lat[0]), float(lon[0])))
    return out


def test_standards_layer_table_and_a_planned_site(app_server, browser, default_region) -> None:
    from geo.scenario_store import session_folder
    from tests.e2e_helpers import OutsideRecorder, artifact_path, open_app, wait_for_map

    recorder = OutsideRecorder()
    context, page, frame = open_app(browser, app_server.url, recorder, viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    ws = None
    try:
        page.wait_for_function("() => location.search.includes('ws=')")
        ws = page.evaluate("() => new URLSearchParams(location.search).get('ws')")
        # The layer: switched on in the sidebar expander "Richtwerte".
        sidebar = page.locator("[data-testid=stSidebar]")
        sidebar.get_by_text("Richtwerte", exact=True).click()
        sidebar.get_by_text("Richtwerte auf der Karte zeigen", exact=True).click()
        st = _wait(page, lambda: (s := _state(page))["fehlt"] > 0 and s, what="Richtwerte-Layer")
        assert "Richtwerte: alle Regeln" in st["legend"] and "über Richtwert" in st["legend"]
        assert "KYF-Jugendclub: fehlt" in st["tip"] and "vorhanden 0" in st["tip"]
        layers = wait_for_map(page).evaluate(
            "() => [...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
            ".map(l => l.innerText.trim())"
        )
        assert "Richtwerte" in layers
        fehlt_before = st["fehlt"]

        # The table below the map (an expander drawn once opened): Clingen lacks a youth club.
        section = page.get_by_text("Richtwerte je Gemeinde", exact=True)
        section.scroll_into_view_if_needed()
        section.click()
        row = _wait(page, lambda: _clingen_row(page), what="Zeile Clingen")
        assert row[1] == "KYF-Jugendclub" and row[5] == "fehlt", row
        assert "Soll 1 Jugendclub, vorhanden 0" in row[6], row
        page.screenshot(path=artifact_path("standards_1280x720_table.png"))
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=artifact_path("standards_1280x720_layer.png"))

        # A planned youth club in Clingen: kind and target groups asked at the click.
        page.get_by_text("neuer Standort", exact=True).click()
        page.wait_for_timeout(600)
        frame = wait_for_map(page)
        gem = default_region.gemeinden.set_index("ags").loc[CLINGEN, "geometry"]
        spots = _free_points(frame, gem)
        assert spots, "keine frei anklickbare Stelle in Clingen"
        iframe = page.locator("iframe[title='streamlit_folium.st_folium']")
        iframe.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        point = frame.evaluate(FREE_POINT_JS, list(spots[0]))
        box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        page.mouse.click(box["x"] + point[0], box["y"] + point[1])
        form = page.locator("[data-testid=stForm]").filter(has_text="Art und Zielgruppen")
        form.wait_for()
        form.get_by_role("combobox", name="Kategorie").click()
        page.keyboard.type("Jugend")
        page.keyboard.press("Enter")
        form.get_by_label("Unterkategorie (optional)").fill("Jugendclub")
        page.screenshot(path=artifact_path("standards_1280x720_form.png"))
        form.get_by_role("button", name="Standort setzen").click()

        st = _wait(
            page,
            lambda: (s := _state(page))["fehlt"] == fehlt_before - 1 and s,
            what="Clingen erfüllt in der Karte",
        )
        assert "KYF-Jugendclub: erfüllt" in st["tip"] and "vorhanden 1" in st["tip"], st
        section.scroll_into_view_if_needed()  # still open after the reruns
        row = _wait(
            page,
            lambda: (r := _clingen_row(page)) and r[5] == "erfüllt" and r,
            what="Zeile Clingen erfüllt",
        )
        assert "vorhanden 1" in row[6], row
        page.wait_for_timeout(400)
        page.screenshot(path=artifact_path("standards_1280x720_after.png"))
    finally:
        context.close()
        if ws:
            for folder in session_folder("x").parent.glob(f"{ws}-*"):
                shutil.rmtree(folder, ignore_errors=True)
    assert recorder.urls == []


def test_unknown_workshop_token_is_explained_first(app_server, browser) -> None:
    from tests.e2e_helpers import OutsideRecorder, artifact_path, wait_for_map

    recorder = OutsideRecorder()
    context = browser.new_context(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]})
    recorder.attach(context)
    page = context.new_page()
    try:
        page.goto(f"{app_server.url}/?ws=gibt-es-nicht-4711", wait_until="domcontentloaded")
        notice = page.get_by_text("Zum Workshop-Code „gibt-es-nicht-4711“", exact=False)
        notice.wait_for(timeout=90_000)
        assert page.locator("iframe[title='streamlit_folium.st_folium']").count() == 0
        page.screenshot(path=artifact_path("standards_1280x720_token.png"))
        page.get_by_role("button", name="Neuen Workshop beginnen").click()
        wait_for_map(page, recorder)
        ws = page.evaluate("() => new URLSearchParams(location.search).get('ws')")
        assert ws and ws != "gibt-es-nicht-4711"
    finally:
        context.close()
    assert recorder.urls == []
