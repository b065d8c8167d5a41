"""The facilitator's flow (issue 13, items 3, 6, 8): undo/redo and unfinished mobile stops
survive a reload (a new session opening the same store), damaged files and workshop
tokens are announced."""

from __future__ import annotations

import json

import pytest

from geo import scenario as geoscenario
from geo import settings
from geo.scenario_store import STEPS_KEPT, ScenarioStore

LON, LAT = 11.12, 51.16


def _site(n: int) -> geoscenario.AddSite:
    return geoscenario.AddSite.at(
        lon=LON + n * 1e-3, lat=LAT, name=f"Standort {n}", category="Jugend"
    )


def test_undo_redo_survive_a_reload(tmp_path):
    store = ScenarioStore(tmp_path)
    h = store.open("Nord")
    for n in (1, 2, 3):
        h.add(_site(n))
    h.undo()
    assert [c.name for c in h.current.changes] == ["Standort 1", "Standort 2"]
    # a reload: a new session opens the same store
    again = ScenarioStore(tmp_path).open("Nord")
    assert again.current.to_json() == h.current.to_json()
    assert again.can_undo and again.can_redo and len(again) == len(h) == 4
    again.redo()
    assert [c.name for c in again.current.changes] == ["Standort 1", "Standort 2", "Standort 3"]
    third = ScenarioStore(tmp_path).open("Nord")
    for _ in range(3):
        third.undo()
    assert third.current.changes == () and not third.can_undo
    # the steps are hidden files: not listed as scenarios
    assert ScenarioStore(tmp_path).names() == ["Nord"]


def test_steps_of_another_state_are_not_restored(tmp_path):
    store = ScenarioStore(tmp_path)
    h = store.open("Nord")
    h.add(_site(1))
    h.add(_site(2))
    # another program wrote the scenario file (the steps no longer end at it)
    other = geoscenario.Scenario(name="Nord", changes=(_site(7),))
    store.save(other)
    fresh = ScenarioStore(tmp_path).open("Nord")
    assert [c.name for c in fresh.current.changes] == ["Standort 7"]
    assert not fresh.can_undo and not fresh.can_redo
    # a damaged steps file: the history starts at the scenario, nothing is lost
    store.steps_path("Nord").write_text("{kaputt", encoding="utf-8")
    assert ScenarioStore(tmp_path).open("Nord").current.to_json() == other.to_json()


def test_steps_kept_are_capped_around_the_current_state(tmp_path):
    store = ScenarioStore(tmp_path)
    h = store.open("Viele")
    for n in range(STEPS_KEPT + 5):
        h.add(_site(n))
    obj = json.loads(store.steps_path("Viele").read_text(encoding="utf-8"))
    assert len(obj["states"]) == STEPS_KEPT and obj["index"] == STEPS_KEPT - 1
    again = ScenarioStore(tmp_path).open("Viele")
    assert len(again.current.changes) == STEPS_KEPT + 5 and len(again) == STEPS_KEPT


def test_restored_history_checks_its_index():
    s = geoscenario.Scenario(name="A")
    with pytest.raises(geoscenario.InputError, match="Verlauf"):
        geoscenario.ScenarioHistory.restored([s], 3)
    h = geoscenario.ScenarioHistory.restored([s, s.renamed("B")], 0)
    assert h.current.name == "A" and h.can_redo and not h.can_undo


def test_mobile_draft_is_stored_atomically_and_read_back(tmp_path):
    store = ScenarioStore(tmp_path)
    assert store.load_draft("Nord") == []
    store.save_draft("Nord", [(LON, LAT), (LON + 0.01, LAT)])
    assert ScenarioStore(tmp_path).load_draft("Nord") == [(LON, LAT), (LON + 0.01, LAT)]
    assert not list(tmp_path.glob("*.tmp*"))  # no temporary file left behind
    store.save_draft("Nord", [])
    assert not store.draft_path("Nord").exists() and store.load_draft("Nord") == []
    store.draft_path("Nord").write_text('{"mobile_stops": [[1, 2], [999, 2]]}', "utf-8")
    assert store.load_draft("Nord") == [(1.0, 2.0)]
    store.draft_path("Nord").write_text("nicht json", "utf-8")
    assert store.load_draft("Nord") == []
    many = [(LON, LAT + i * 1e-4) for i in range(settings.MOBILE_MAX_STOPS + 4)]
    store.save_draft("Nord", many)
    assert len(store.load_draft("Nord")) == settings.MOBILE_MAX_STOPS


# ---------------------------------------------------------------------------
# The page (Streamlit's AppTest runs app.py in-process, no browser)
# ---------------------------------------------------------------------------
APP = str(settings.REPO_ROOT / "app.py")


def _app(**query):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _param(at, key: str) -> str | None:
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def _texts(at) -> str:
    return "\n".join(str(e.value) for e in [*at.warning, *at.error, *at.info, *at.success])


def _store_folder(ws: str):
    import hashlib

    from geo.scenario_store import session_folder

    return session_folder(f"{ws}-{hashlib.sha1(b'default').hexdigest()[:8]}")


@pytest.fixture
def fresh_ws():
    """A workshop token nobody used, its store folder removed afterwards."""
    import secrets
    import shutil

    ws = "test-" + secrets.token_hex(6)
    yield ws
    shutil.rmtree(_store_folder(ws), ignore_errors=True)


def test_invalid_token_is_explained_before_a_new_workshop_opens():
    at = _app(ws="../../etc")
    assert "ungültig" in _texts(at) and "../../etc" in _texts(at)
    assert not at.dataframe  # nothing opened: the page stopped after the notice
    assert _param(at, "ws") == "../../etc"
    at.button(key="ws_new").click().run()
    new = _param(at, "ws")
    assert new != "../../etc" and "ungültig" not in _texts(at)
    assert at.dataframe  # the new workshop's page


def test_unknown_token_is_explained(fresh_ws):
    at = _app(ws=fresh_ws)
    assert "nichts gespeichert" in _texts(at) and fresh_ws in _texts(at)
    assert not at.dataframe


def test_damaged_file_announced_when_the_workshop_opens_and_after_a_reload(fresh_ws):
    folder = _store_folder(fresh_ws)
    store = ScenarioStore(folder)
    store.save(geoscenario.Scenario(name="Gut", region="default"))
    store.path_for("Kaputt").write_text('{"name": "Kaputt", "changes": 7}', encoding="utf-8")
    at = _app(ws=fresh_ws)
    texts = _texts(at)
    assert "beiseitegelegt" in texts, texts
    moved = store.damaged()
    assert len(moved) == 1 and moved[0] in texts
    again = _app(ws=fresh_ws)  # a reload: a new session, the file is already set aside
    assert "beschädigte Szenario-Datei wurde beiseitegelegt" in _texts(again)
    assert moved[0] in _texts(again)
    again.button(key="ws_damaged_hide").click().run()
    assert "beiseitegelegt" not in _texts(again)


def test_reload_keeps_workshop_view_and_mobile_draft(fresh_ws):
    folder = _store_folder(fresh_ws)
    store = ScenarioStore(folder)
    store.save(geoscenario.Scenario(name="Nord", region="default"))
    store.save_draft("Nord", [(LON, LAT), (LON + 0.01, LAT)])
    at = _app(ws=fresh_ws)
    at.toggle(key="workshop").set_value(True).run()
    assert _param(at, "ansicht") == "workshop"
    assert any("2 Halte gesammelt" in str(c.value) for c in at.caption), [
        c.value for c in at.caption
    ]
    again = _app(ws=fresh_ws, ansicht="workshop")
    assert again.session_state["workshop"] is True
    assert any("2 Halte gesammelt" in str(c.value) for c in again.caption)
    again.button(key="mobile_cancel").click().run()
    assert store.load_draft("Nord") == []


# ---------------------------------------------------------------------------
# The session-record PDF for the committee
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def record_pdf_text(tmp_default_region):
    import datetime as dt
    import io

    from pypdf import PdfReader

    from geo.analysis import AnalysisParams
    from report.record import session_pdf

    params = AnalysisParams(kinds=("Familie",), target="u10", mode="walk", threshold_min=15)
    s = geoscenario.Scenario(name="Variante Nord", region="default")
    s = s.with_change(
        geoscenario.AddSite.at(lon=11.02, lat=51.37, name="Familienzentrum", category="Familie")
    )
    x, y = 4_390_000.0, 3_140_000.0
    s = s.with_change(
        geoscenario.OutreachDay(
            name="Sprechtag Markt", category="Familie", hours=4.0, x=x, y=y, weekdays=("Di",)
        )
    )
    s = s.with_pin(
        geoscenario.Pin.at(lon=11.0, lat=51.3, kind="missing", text="Hier fehlt ein Treff")
    )
    s = s.with_pin(geoscenario.Pin.at(lon=10.87, lat=51.37, kind="too_far", text=""))
    pdf = session_pdf(
        tmp_default_region, params, s, created=dt.datetime(2026, 3, 4, 10, 30), lang="de"
    )
    reader = PdfReader(io.BytesIO(pdf))
    return s, [p.extract_text() for p in reader.pages], reader


def test_record_pdf_pages_hold_title_maps_figures_items_pins_sources(
    record_pdf_text, tmp_default_region
):
    import shapely

    scenario, pages, reader = record_pdf_text
    assert len(pages) == 4
    title, before, after, body = pages
    assert "Sitzungsprotokoll – Variante Nord" in title and "04.03.2026 um 10:30 Uhr" in title
    assert "Inhalt" in title and "Karten vorher und nachher" in title
    assert "Vorher (Bestand)" in before and "Nachher (Szenario „Variante Nord" in after
    landscape = [float(p.mediabox.width) > float(p.mediabox.height) for p in reader.pages]
    assert landscape == [False, True, True, False]
    assert "Kennzahlen vorher und nachher" in body and "Angebote in der Auswahl" in body
    assert "Standort 1: Neuer Standort „Familienzentrum“" in body
    assert "Außensprechtag 1: " in body and "Sprechtag Markt" in body
    # pins: number, kind, Gemeinde with AGS, coordinates and time
    gem = tmp_default_region.gemeinden.to_crs(settings.CRS_DISPLAY)
    hit = gem.loc[gem.contains(shapely.Point(11.0, 51.3))].iloc[0]
    flat = " ".join(body.split())
    pin = scenario.pins[0]
    stamp = pin.created[8:10] + "." + pin.created[5:7] + "." + pin.created[:4]
    assert f"Hinweis 1 – hier fehlt ein Angebot – {hit['name']} (AGS {hit['ags']})" in flat
    assert "51,30000 N, 11,00000 O" in flat and stamp in flat and "Hier fehlt ein Treff" in flat
    assert "Hinweis 2 – Weg zu weit" in flat
    assert "Quellen und Methode" in body and "Zensus 2022" in body
    assert "Seite 4" in body  # the footer counts the map pages too


def test_record_maps_share_one_legend(tmp_default_region):
    import numpy as np

    from geo import analysis
    from geo.compare import with_services
    from present.classes import measure_classes
    from report.export import build_figure

    params = analysis.AnalysisParams(kinds=("Familie",), target="u10", mode="walk", measure="gap")
    s = geoscenario.Scenario(name="V", region="default").with_change(
        geoscenario.AddSite.at(lon=11.02, lat=51.37, name="Neu", category="Familie")
    )
    base = analysis.analyze(tmp_default_region, params)
    after = analysis.analyze(
        with_services(
            tmp_default_region, geoscenario.apply(tmp_default_region.services, s, strict=False)
        ),
        params,
    )
    fb = build_figure(tmp_default_region, base, dpi=60, reference=after)
    fa = build_figure(tmp_default_region, after, dpi=60, reference=base)
    both = np.concatenate([base.cells["gap"].to_numpy(float), after.cells["gap"].to_numpy(float)])
    expected = measure_classes("gap", both, params.threshold_min, "u10", "de")
    assert fb.nahraum["classes"].labels == fa.nahraum["classes"].labels == expected.labels
