"""The workshop's click state machine without Streamlit (``ui.session`` on a plain dict)."""

from __future__ import annotations

import subprocess
import sys

from geo import scenario as geoscenario
from geo import settings
from layers._html import ref_html
from ui import keys
from ui.session import Names, WorkshopSession, site_defaults

LON, LAT = 11.12, 51.16  # near Sömmerda


def _history() -> geoscenario.ScenarioHistory:
    return geoscenario.ScenarioHistory(geoscenario.Scenario(name="Test", region="test", params={}))


def _click(n: int, lat: float = LAT, lon: float = LON) -> dict:
    """A map value as st_folium reports it (``n`` makes each click distinct)."""
    return {
        "last_clicked": {"lat": lat + n * 1e-3, "lng": lon},
        "last_object_clicked": None,
        "last_object_clicked_tooltip": None,
    }


def _session(**state) -> tuple[WorkshopSession, dict]:
    store = {keys.SELECTION_REGION: "test", **state}
    return WorkshopSession(store), store


DEFAULTS = site_defaults({}, ("Familie",), "u18")


def test_ui_session_imports_without_streamlit():
    code = "import sys, ui.session; print('streamlit' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=settings.REPO_ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"


def test_site_defaults_from_the_form():
    assert DEFAULTS.category == "Familie" and DEFAULTS.target_groups == ("u18",)
    assert DEFAULTS.capacity is None and DEFAULTS.hours == 8
    d = site_defaults(
        {keys.SITE_CAPACITY: 2, keys.SITE_DAYS: ["Mo"], keys.SITE_SUB: " Kita "}, (), "pop"
    )
    assert d.category == next(iter(settings.CATEGORIES)) and d.capacity == 2.0
    assert d.weekdays == ("Mo",) and d.subcategory == "Kita"


def test_selecting_objects_when_not_placing():
    s, state = _session()
    h = _history()
    tip = "Dorf" + ref_html("ags", "16068051")
    value = {
        "last_clicked": {"lat": LAT, "lng": LON},
        "last_object_clicked": {"lat": LAT, "lng": LON},
        "last_object_clicked_tooltip": tip,
    }
    assert s.read_map("test", value, h, DEFAULTS) == {
        "kind": "ags",
        "key": "16068051",
        "lat": LAT,
        "lng": LON,
    }
    assert not h.current.changes  # selecting never changes the scenario
    # the same value again (a rerun without a click) changes nothing
    state[keys.SELECTION] = None
    assert s.read_map("test", value, h, DEFAULTS) is None
    # another region forgets the selection
    state[keys.SELECTION] = {"kind": "ags", "key": "x"}
    assert s.read_map("other", value, h, DEFAULTS) is None


def test_site_click_waits_for_its_form_with_kind_and_groups():
    s, state = _session(**{keys.CLICK_MODE: "site"})
    h = _history()
    s.read_map("test", _click(1), h, DEFAULTS, Names(site="Neu"))
    assert s.pending_site is not None and not h.current.changes  # nothing silently placed
    assert s.site_name(h, Names(site="Neu")) == "Neu 1"
    s.save_site(
        h,
        DEFAULTS,
        Names(site="Neu"),
        category="Jugend",
        subcategory=" Jugendclub ",
        target_groups=["u18", "age10_17"],
    )
    (site,) = h.current.changes
    assert (site.name, site.category, site.subcategory) == ("Neu 1", "Jugend", "Jugendclub")
    assert site.target_groups == ("u18", "age10_17") and s.pending_site is None
    s.read_map("test", _click(1), h, DEFAULTS)  # the same click reported again: nothing
    assert s.pending_site is None
    s.read_map("test", _click(2), h, DEFAULTS, Names(site="Neu"))
    s.save_site(h, DEFAULTS, Names(site="Neu"))  # empty form: the sidebar's defaults
    second = h.current.changes[1]
    assert (second.name, second.category, second.target_groups) == ("Neu 2", "Familie", ("u18",))
    s.save_site(h, DEFAULTS)  # nothing pending: nothing happens
    assert len(h.current.changes) == 2


def test_numbering_per_type_not_across_types():
    s, state = _session(**{keys.CLICK_MODE: "site"})
    h = _history()
    names = Names(site="Standort", outreach="Sprechtag", mobile="Bus")
    s.read_map("test", _click(1), h, DEFAULTS, names)
    s.save_site(h, DEFAULTS, names)
    state[keys.CLICK_MODE] = "pin"
    s.read_map("test", _click(2), h, DEFAULTS, names)
    s.save_pin(h, "missing", "")
    state[keys.CLICK_MODE] = "outreach"
    s.read_map("test", _click(3), h, DEFAULTS, names)
    state[keys.CLICK_MODE] = "site"
    s.read_map("test", _click(4), h, DEFAULTS, names)
    s.save_site(h, DEFAULTS, names)
    state[keys.CLICK_MODE] = "mobile"
    s.read_map("test", _click(5), h, DEFAULTS, names)
    s.finish_mobile(h, DEFAULTS, names)
    state[keys.CLICK_MODE] = "outreach"
    s.read_map("test", _click(6), h, DEFAULTS, names)
    assert [c.name for c in h.current.changes] == [
        "Standort 1",
        "Sprechtag 1",
        "Standort 2",
        "Bus 1",
        "Sprechtag 2",
    ]
    # a deleted site's number is not given again while a higher one exists
    h.remove(h.current.changes[0].id)
    state[keys.CLICK_MODE] = "site"
    s.read_map("test", _click(7), h, DEFAULTS, names)
    s.save_site(h, DEFAULTS, names)
    assert h.current.changes[-1].name == "Standort 3"


def test_mobile_stops_go_to_the_draft_and_come_back():
    drafts: list = []
    state = {keys.SELECTION_REGION: "test", keys.CLICK_MODE: "mobile"}
    s = WorkshopSession(state, on_draft=drafts.append)
    h = _history()
    s.read_map("test", _click(1), h, DEFAULTS)
    s.read_map("test", _click(2), h, DEFAULTS)
    assert len(drafts[-1]) == 2 and drafts[-1] == s.mobile_stops
    fresh = WorkshopSession({keys.SELECTION_REGION: "test"})  # a reload: a new session
    fresh.reset()
    fresh.restore_stops(drafts[-1])
    assert fresh.mobile_stops == s.mobile_stops
    s.finish_mobile(h, DEFAULTS)
    assert drafts[-1] == [] and len(h.current.changes) == 1
    s.read_map("test", _click(3), h, DEFAULTS)
    s.cancel()
    assert drafts[-1] == []


def test_pin_waits_for_its_form_then_saves():
    s, state = _session(**{keys.CLICK_MODE: "pin"})
    h = _history()
    s.read_map("test", _click(1), h, DEFAULTS)
    assert s.pending_pin is not None and not h.current.pins
    s.save_pin(h, "too_far", "Bus fährt nur zweimal")
    assert s.pending_pin is None and len(h.current.pins) == 1
    assert h.current.pins[0].kind == "too_far" and state[keys.PIN_TEXT_NEW] == ""
    s.save_pin(h, "missing", "nothing pending")  # no pending click: nothing happens
    assert len(h.current.pins) == 1


def test_mobile_stops_collect_then_become_one_service():
    s, state = _session(**{keys.CLICK_MODE: "mobile"})
    h = _history()
    for n in range(3):
        s.read_map("test", _click(n + 1), h, DEFAULTS)
    assert len(s.mobile_stops) == 3 and not h.current.changes
    s.finish_mobile(h, DEFAULTS, Names(mobile="Bus"))
    (change,) = h.current.changes
    assert type(change).__name__ == "MobileService" and len(change.stops) == 3
    assert change.name.startswith("Bus ") and s.mobile_stops == []


def test_mobile_stops_are_capped():
    s, _ = _session(**{keys.CLICK_MODE: "mobile"})
    h = _history()
    for n in range(settings.MOBILE_MAX_STOPS + 3):
        s.read_map("test", _click(n + 1), h, DEFAULTS)
    assert len(s.mobile_stops) == settings.MOBILE_MAX_STOPS


def test_move_takes_the_next_click_whatever_the_mode():
    s, state = _session()
    h = _history()
    s.start_move("svc-7")
    assert s.placing
    s.read_map("test", _click(1), h, DEFAULTS)
    (change,) = h.current.changes
    assert type(change).__name__ == "MoveSite" and change.service_id == "svc-7"
    assert not s.placing and state[keys.MOVE_PENDING] is None


def test_cancel_forgets_every_pending_click():
    s, state = _session(**{keys.CLICK_MODE: "mobile"})
    h = _history()
    s.read_map("test", _click(1), h, DEFAULTS)
    s.start_move("x")
    state[keys.PENDING_PIN] = (LON, LAT)
    state[keys.PENDING_SITE] = (LON, LAT)
    s.cancel()
    assert s.mobile_stops == [] and s.pending_pin is None and state[keys.MOVE_PENDING] is None
    assert s.pending_site is None
    assert s.click_mode == "mobile"  # the mode stays; only the pending clicks go


def test_rejected_change_reports_the_german_error():
    errors = []
    state = {keys.SELECTION_REGION: "test", keys.CLICK_MODE: "mobile"}
    s = WorkshopSession(state, on_error=errors.append)
    h = _history()
    s.finish_mobile(h, DEFAULTS)  # no stops collected: the scenario model refuses
    assert errors and not h.current.changes
    state2 = {keys.SELECTION_REGION: "test"}
    WorkshopSession(state2).finish_mobile(h, DEFAULTS)
    assert isinstance(state2[keys.WS_ERROR], str) and state2[keys.WS_ERROR]
