"""ÖPNV in a real browser at 1280×720 on the default region.

Without a timetable the mode select says so and the proxy layer
"Haltestellen-Erschließung" is drawn with its own legend and label. Then a broken feed
and a feed far outside the region are refused in German, a hand-made test feed in the
Landkreis Sömmerda (``tests/_transit_feeds.py``) is loaded, "ÖPNV" is chosen, the
time bands and the model label appear, and a planned site changes the figures.
Screenshots: ``tests/artifacts/transit_*.png``.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest

from geo import settings
from tests._transit_feeds import write_region_feed

pytest_plugins = ["tests.e2e_helpers"]
pytestmark = pytest.mark.e2e

VIEWPORT = (1280, 720)
TIMEOUT_MS = 120_000
NO_FEED = "ÖPNV: kein Fahrplan geladen"
PROXY_TOGGLE = "Haltestellen-Erschließung (Ersatz ohne Fahrplan)"
PROXY_LEGEND = "Haltestellen-Erschließung: beste Haltestelle in 10 min Fußweg"
MODEL = "ÖPNV nach Fahrplan region_feed, Di 03.06.2025, Abfahrt 08:00–09:00, Median"
DELTA_LABEL = "Neu erreichbar"
MINUTES = "Wegezeit zum nächsten Angebot"
LEGEND_JS = """() => (document.querySelector('.nahraum-legend-control') || {}).textContent || ''"""
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


def _legend_has(page, text: str, timeout_s: float = 90.0) -> str:
    """Wait until the map legend (in the map frame) contains ``text``; returns the legend."""
    import time

    from tests.e2e_helpers import map_frame

    deadline = time.monotonic() + timeout_s
    legend = ""
    while time.monotonic() < deadline:
        try:
            legend = map_frame(page).evaluate(LEGEND_JS)
            if text in legend:
                return legend
        except Exception:  # the map frame is replaced while the app reruns
            pass
        page.wait_for_timeout(300)
    raise AssertionError(f"Legende ohne „{text}“: {legend[-400:]}")


def _wait_text(page, text: str) -> None:
    page.wait_for_function(
        "(t) => document.body.innerText.includes(t)", arg=text, timeout=TIMEOUT_MS
    )


def _broken_feed(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stops.txt", "stop_id,stop_name,stop_lat,stop_lon\nA,Halt A,51.16,abc\n")
    return path


def test_transit_in_the_app(app_server, browser, tmp_path) -> None:
    from tests.e2e_helpers import (
        ListOption,
        OutsideRecorder,
        artifact_path,
        map_frame,
        metric,
        open_app,
        select_option,
        wait_for_map,
    )
    from ui.transit import stored_path

    good = write_region_feed(tmp_path / "region_feed.zip")
    stored = stored_path(good.name, good.read_bytes())
    shutil.rmtree(stored.parent, ignore_errors=True)
    bad = _broken_feed(tmp_path / "kaputt.zip")
    recorder = OutsideRecorder()
    context, page, _frame = open_app(browser, app_server.url, recorder, viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    try:
        # Without a timetable: the notice at the mode select, and the labelled proxy.
        _wait_text(page, NO_FEED)
        page.get_by_text(PROXY_TOGGLE, exact=True).click()
        legend = _legend_has(page, PROXY_LEGEND)
        assert "keine Reisezeit zu einem Angebot" in legend
        _wait_text(page, "Anteil der Zielgruppe mit bester Haltestellenklasse")
        page.wait_for_timeout(800)
        page.screenshot(path=artifact_path("transit_proxy_1280x720.png"))
        page.get_by_text(PROXY_TOGGLE, exact=True).click()

        # A broken feed: German error naming the file; nothing else changes.
        page.get_by_text("ÖPNV-Fahrplan (GTFS)", exact=True).click()
        expander = page.locator("[data-testid=stExpander]", has_text="ÖPNV-Fahrplan (GTFS)")
        expander.locator("input[type=file]").set_input_files(str(bad))
        _wait_text(page, "Fahrplan kaputt.zip nicht übernommen")
        assert re.search(r"stop_times\.txt|stop_lon", page.inner_text("body"))
        assert not stored.parent.exists() or not list(stored.parent.glob("kaputt*"))
        _wait_text(page, NO_FEED)

        # The real Cairns feed lies outside the region: a clear German message.
        select_option(page, "Fahrplan", "cairns_gtfs.zip")
        _wait_text(page, "Keine Haltestelle des Fahrplans liegt in der Region")

        # The test feed in the Landkreis Sömmerda: imported, ÖPNV offered.
        expander.locator("input[type=file]").set_input_files(str(good))
        _wait_text(page, "Geladen: 5 Haltestellen")
        assert stored.exists()
        select_option(page, "Verkehrsart", "ÖPNV")
        _wait_text(page, MODEL)
        select_option(page, "Kartendarstellung (Maß je 100-m-Zelle)", MINUTES)
        legend = _legend_has(page, f"{MINUTES} (min)")
        assert MODEL in legend and "20–30 min" in legend, legend[-600:]
        frame = wait_for_map(page, recorder)
        assert frame.evaluate("() => document.querySelector('img.nahraum-raster') !== null")
        page.wait_for_timeout(800)
        page.screenshot(path=artifact_path("transit_bands_1280x720.png"))

        # A planned site next to the bus stop in Kölleda changes the transit figures.
        page.get_by_text("neuer Standort", exact=True).first.click()
        page.wait_for_timeout(600)
        frame = wait_for_map(page)
        spot = None
        for r in range(0, 8):  # rings around the stop until the map is free there
            for dlat, dlon in [(r, 0), (-r, 0), (0, r), (0, -r), (r, r), (-r, -r)]:
                spot = spot or frame.evaluate(
                    FREE_POINT_JS, [51.1870 + 0.004 * dlat, 11.2437 + 0.006 * dlon]
                )
        assert spot is not None, "keine freie Stelle bei Kölleda"
        iframe = page.locator("iframe[title='streamlit_folium.st_folium']")
        iframe.scroll_into_view_if_needed()  # the click controls sit below the map
        page.wait_for_timeout(300)
        box = iframe.bounding_box()
        assert 0 <= box["y"] + spot[1] <= VIEWPORT[1], (box, spot)
        page.mouse.click(box["x"] + spot[0], box["y"] + spot[1])
        # the click asks for name, kind and target groups; the defaults (sidebar) stand
        form = page.locator("[data-testid=stForm]").filter(has_text="Art und Zielgruppen")
        form.wait_for()
        form.get_by_role("button", name="Standort setzen").click()
        page.wait_for_function(
            f"""() => [...document.querySelectorAll('[data-testid=stMetric]')]
            .some(m => m.innerText.includes('{DELTA_LABEL}'))""",
            timeout=TIMEOUT_MS,
        )
        value = metric(page, DELTA_LABEL)
        assert value is not None and value.startswith("+"), value
        _wait_text(page, MODEL)
        _legend_has(page, MODEL)
        page.wait_for_timeout(800)
        page.screenshot(path=artifact_path("transit_site_1280x720.png"))

        # The lever: line L2 (hourly) from 08:00 every 15 min – more people newly within reach.
        page.get_by_text("Buslinie verdichten (Fahrplan-Szenario)", exact=True).click()
        trip = page.get_by_role("combobox", name="Fahrt des Fahrplans", exact=True)
        option = page.get_by_role("option", name="08:00 Straußfurt → Großrudestedt (L2-0-2)")
        chosen = ListOption(page, trip, option, typed="L2-0-2")  # the list is long: filter it
        chosen.open()
        chosen.click()
        headway = page.get_by_label("Takt (alle … Minuten)")
        headway.fill("15")
        headway.press("Enter")
        page.wait_for_timeout(800)
        page.get_by_role("button", name="Buslinie verdichten", exact=True).click()
        page.wait_for_function(
            """([label, before]) => {
                const m = [...document.querySelectorAll('[data-testid=stMetric]')]
                    .find(e => e.innerText.includes(label));
                return m && !m.innerText.includes(before); }""",
            arg=[DELTA_LABEL, value],
            timeout=TIMEOUT_MS,
        )
        more = metric(page, DELTA_LABEL)
        assert more is not None and more.startswith("+"), more
        assert int(more[1:].replace(".", "")) > int(value[1:].replace(".", "")), (value, more)
        _legend_has(page, "(mit Szenario-Fahrten)")
        # saved with the scenario (atomic store of the workshop session)
        ws = parse_qs(urlsplit(page.url).query)["ws"][0]
        saved = [
            json.loads(p.read_text("utf-8"))
            for p in (settings.cache_dir() / "sessions").glob(f"{ws}-*/*.json")
        ]
        levers = [c for sc in saved for c in sc.get("changes", []) if c["type"] == "denser_trips"]
        assert levers and levers[0]["trip_id"] == "L2-0-2" and levers[0]["headway_min"] == 15
        assert levers[0]["until"] == "18:00"
        page.wait_for_timeout(800)
        page.screenshot(path=artifact_path("transit_lever_1280x720.png"))
        assert map_frame(page) is not None
        assert recorder.urls == []
    except Exception:
        page.screenshot(path=artifact_path("transit_failed_1280x720.png"), full_page=True)
        raise
    finally:
        context.close()
        shutil.rmtree(stored.parent, ignore_errors=True)
