"""Workshop mode in a real browser at 1280×720 (projector): add a site by clicking the map,
see the people newly within reach, add a pin, undo/redo, reload with the same ``?ws=`` URL,
and no cross-talk with a second browser that has no workshop id.

Screenshots go to ``tests/artifacts/workshop_*.png``; the time from the map click to the
visible figure is printed (``pytest -s``).
"""

from __future__ import annotations

import re
import shutil
import time
from urllib.parse import parse_qs, urlsplit

import pytest

pytest_plugins = ["tests.e2e_helpers"]
pytestmark = pytest.mark.e2e

VIEWPORT = (1280, 720)
DELTA_LABEL = "Neu erreichbar"
PIN_TEXT = '<img src=x onerror="alert(1)"> Treff & <b>Spielplatz</b>'
COUNTS_JS = """() => ({
    planned: document.querySelectorAll('.nahraum-scenario-marker .nahraum-plan-plan').length,
    pins: document.querySelectorAll(
        '.nahraum-scenario-marker .nahraum-pin:not(.nahraum-pin-pending)').length,
    pending: document.querySelectorAll('.nahraum-scenario-marker .nahraum-pin-pending').length,
    legend: (document.querySelector('.nahraum-legend-control') || {}).textContent || '',
    injected: document.querySelectorAll('img[src="x"]').length,
})"""
# Container point of a lat/lon if the mouse would hit the map there (no marker or control).
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


LEGEND_BIG_JS = """() => { const l = document.querySelector(
        '.leaflet-container.nahraum-workshop .nahraum-legend-control');
    return l !== null && parseFloat(getComputedStyle(l).fontSize) >= 18; }"""


def _wait_frame(page, predicate_js: str, timeout_s: float = 90.0):
    """Wait until the map frame (replaced while the base map changes) satisfies the predicate."""
    from tests.e2e_helpers import map_frame

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            frame = map_frame(page)
            if frame.evaluate(predicate_js):
                return frame
        except Exception:  # iframe replaced or not yet loaded
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"Kartenzustand nicht erreicht: {predicate_js}")
        page.wait_for_timeout(250)


def _ws_of(url: str) -> str | None:
    return (parse_qs(urlsplit(url).query).get("ws") or [None])[0]


def _counts(page) -> dict:
    from tests.e2e_helpers import map_frame

    return map_frame(page).evaluate(COUNTS_JS)


def _wait_counts(page, timeout_s: float = 30.0, **expected) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            counts = _counts(page)
            if all(counts[k] == v for k, v in expected.items()):
                return counts
        except Exception:  # map frame replaced while the app reruns
            counts = None
        if time.monotonic() > deadline:
            raise AssertionError(f"Karte zeigt nicht {expected}: {counts}")
        page.wait_for_timeout(150)


def _click_map(page, frame, lat: float, lng: float) -> None:
    point = frame.evaluate(FREE_POINT_JS, [lat, lng])
    assert point is not None, f"Stelle {lat}, {lng} nicht frei anklickbar"
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])


def _free_candidates(frame, sites) -> list[tuple[float, float]]:
    return [
        (float(r.lat), float(r.lon))
        for r in sites.itertuples()
        if frame.evaluate(FREE_POINT_JS, [float(r.lat), float(r.lon)]) is not None
    ]


def _font_px(page, locator) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def test_workshop_session(app_server, browser, default_region) -> None:
    from geo.analysis import AnalysisParams
    from geo.optimize import suggest
    from geo.scenario_store import session_folder
    from tests.e2e_helpers import (
        OutsideRecorder,
        artifact_path,
        map_frame,
        metric,
        open_app,
        wait_for_map,
    )

    # Where a new site reaches people who are beyond the threshold today (app defaults).
    best = suggest(default_region, AnalysisParams(), 5, "villages", run_exact=False).sites()
    recorder = OutsideRecorder()
    context, page, frame = open_app(browser, app_server.url, recorder, viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    other = None
    tokens: list[str] = []
    try:
        page.wait_for_function("() => location.search.includes('ws=')")
        ws = _ws_of(page.url)
        assert ws and re.fullmatch(r"[0-9a-f]{16}", ws)
        tokens.append(ws)

        # Workshop view: chrome and sidebar hidden, large text, map fills the screen.
        page.get_by_text("Workshop-Ansicht", exact=True).click()
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=stSidebar]')"
            " || getComputedStyle(document.querySelector("
            "'[data-testid=stSidebar]')).display === 'none'"
        )
        # The base map is rebuilt with the projector style (large, high-contrast legend).
        _wait_frame(page, LEGEND_BIG_JS)
        frame = wait_for_map(page, recorder)
        page.wait_for_timeout(800)
        assert not page.locator("header[data-testid='stHeader']").is_visible()
        iframe = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        assert iframe["width"] >= 0.65 * VIEWPORT[0] and iframe["height"] >= 0.85 * VIEWPORT[1]
        assert iframe["y"] + iframe["height"] <= VIEWPORT[1] + 1
        mode_label = page.get_by_text("neuer Standort", exact=True)
        assert _font_px(page, mode_label) >= 24
        page.screenshot(path=artifact_path("workshop_1280x720_start.png"))

        # Add a site by clicking the map → people newly within reach are shown.
        mode_label.click()
        page.wait_for_timeout(600)
        frame = wait_for_map(page)
        spots = _free_candidates(frame, best)
        assert spots, "kein frei anklickbarer Vorschlagsort im Kartenausschnitt"
        t0 = time.perf_counter()
        _click_map(page, frame, *spots[0])
        # the click asks for kind and target groups first (defaults from the sidebar)
        page.get_by_role("button", name="Standort setzen").click()
        page.wait_for_function(
            f"""() => [...document.querySelectorAll('[data-testid=stMetric]')]
            .some(m => m.innerText.includes('{DELTA_LABEL}'))""",
            timeout=30_000,
        )
        figure_s = time.perf_counter() - t0
        _wait_counts(page, planned=1)
        map_s = time.perf_counter() - t0
        value = metric(page, DELTA_LABEL)
        assert value is not None and value.startswith("+"), value
        assert int(value[1:].replace(".", "")) > 0, value
        print(
            f"\nKlick → „{DELTA_LABEL}“ {value} sichtbar: {figure_s:.2f} s; "
            f"Stern in der Karte: {map_s:.2f} s"
        )
        page.wait_for_timeout(500)
        page.screenshot(path=artifact_path("workshop_1280x720_site.png"))

        # A pin with text (HTML in the text stays text).
        page.get_by_text("Markierung (Pin)", exact=True).click()
        page.wait_for_timeout(600)
        frame = wait_for_map(page)
        pin_spot = next((s for s in spots[1:]), None) or (spots[0][0] + 0.02, spots[0][1])
        _click_map(page, frame, *pin_spot)
        page.get_by_role("button", name="Markierung speichern").wait_for()
        page.get_by_label("Text (höchstens 500 Zeichen)").fill(PIN_TEXT)
        page.get_by_role("button", name="Markierung speichern").click()
        counts = _wait_counts(page, pins=1, pending=0)
        assert counts["injected"] == 0
        tip = map_frame(page).evaluate(
            "() => { const m = document.querySelector('.nahraum-pin'); return m ? 1 : 0; }"
        )
        assert tip == 1
        page.wait_for_timeout(400)
        page.screenshot(path=artifact_path("workshop_1280x720_pin.png"))

        # Undo: the pin, then the site disappear; redo brings both back.
        undo = page.get_by_role("button", name="Rückgängig")
        redo = page.get_by_role("button", name="Wiederholen")
        undo.click()
        _wait_counts(page, pins=0, planned=1)
        undo.click()
        _wait_counts(page, pins=0, planned=0)
        page.wait_for_function(f"""() => ![...document.querySelectorAll('[data-testid=stMetric]')]
            .some(m => m.innerText.includes('{DELTA_LABEL}'))""")
        redo.click()
        _wait_counts(page, planned=1)
        redo.click()
        _wait_counts(page, pins=1, planned=1)
        assert metric(page, DELTA_LABEL) == value

        # Reload with the same ?ws= URL: scenario and pin are still there.
        url = page.url
        page.reload(wait_until="domcontentloaded")
        wait_for_map(page, recorder)
        assert _ws_of(page.url) == ws
        _wait_counts(page, pins=1, planned=1)
        page.wait_for_function(f"""() => [...document.querySelectorAll('[data-testid=stMetric]')]
            .some(m => m.innerText.includes('{DELTA_LABEL}'))""")
        assert metric(page, DELTA_LABEL) == value
        page.screenshot(path=artifact_path("workshop_1280x720_reloaded.png"))
        assert url.startswith(app_server.url)

        # A second browser without the token: its own empty scenario.
        other, page2, _ = open_app(browser, app_server.url, recorder, viewport=VIEWPORT)
        page2.wait_for_function("() => location.search.includes('ws=')")
        ws2 = _ws_of(page2.url)
        tokens.append(ws2)
        assert ws2 and ws2 != ws
        page2.wait_for_timeout(1000)
        assert _counts(page2)["planned"] == 0 and _counts(page2)["pins"] == 0
        assert metric(page2, DELTA_LABEL) is None
        page2.screenshot(path=artifact_path("workshop_1280x720_other.png"))
        # … and the first one still has its own.
        assert _counts(page)["planned"] == 1
    finally:
        if other is not None:
            other.close()
        context.close()
        for token in tokens:
            for folder in session_folder("x").parent.glob(f"{token}-*"):
                shutil.rmtree(folder, ignore_errors=True)
    assert recorder.urls == []
