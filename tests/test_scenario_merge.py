"""Two sessions edit one stored scenario: both edits are kept (never last-write-wins)."""

from __future__ import annotations

import multiprocessing as mp

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.scenario import AddSite, CloseSite, Extent, MoveSite, Pin, Scenario
from geo.scenario_merge import merge
from geo.scenario_store import ScenarioStore

EXTENT = Extent(shapely.box(-1e5, -1e5, 1e5, 1e5), "test", "der Testregion")


def site(name: str, x: float = 100.0) -> AddSite:
    return AddSite(x=x, y=0.0, name=name, category="Familie")


def test_two_tabs_add_at_the_same_time_both_additions_survive(tmp_path):
    store = ScenarioStore(tmp_path, EXTENT)
    a = store.open("Werkstatt", region="test")  # tab A
    b = store.open("Werkstatt", region="test")  # tab B, same file
    a.add(site("Nord"))  # plan-1 in A
    b.add(site("Süd", 200.0))  # plan-1 in B as well: the id is taken
    assert store.last_merge.from_other == 1
    assert store.last_merge.renumbered == {"plan-1": "plan-2"}
    stored = store.load("Werkstatt")
    assert [(c.id, c.name) for c in stored.changes] == [("plan-1", "Nord"), ("plan-2", "Süd")]
    assert b.current == stored  # tab B shows the merged state
    # Tab A, still on its old state, adds a pin: the other tab's site stays.
    a.add_pin(Pin(x=1.0, y=2.0, kind="missing", text="Spielplatz fehlt"))
    stored = store.load("Werkstatt")
    assert [c.name for c in stored.changes] == ["Nord", "Süd"]
    assert [p.text for p in stored.pins] == ["Spielplatz fehlt"]


def test_references_among_our_additions_follow_the_new_id():
    base = Scenario("S", region="test")
    theirs = base.with_change(site("Dort"))
    ours = base.with_change(site("Hier")).with_change(MoveSite(service_id="plan-1", x=300.0, y=0.0))
    merged, report = merge(base, ours, theirs)
    assert report.renumbered == {"plan-1": "plan-3"}  # only the id taken there moves
    assert [(c.id, getattr(c, "service_id", None)) for c in merged.changes] == [
        ("plan-1", None),  # theirs
        ("plan-3", None),  # our site, renumbered
        ("plan-2", "plan-3"),  # our move follows our site
    ]
    assert merged.next_number == 4


def test_removed_here_edited_there_is_kept_and_reported():
    base = Scenario("S", region="test").with_change(site("A")).with_change(site("B", 300.0))
    a_id, b_id = (c.id for c in base.changes)
    ours = base.without_change(a_id)  # we delete A …
    edited = base.with_change(site("C", 400.0))  # … they add C and rename A
    theirs = edited._replace(
        changes=tuple(
            c
            if c.id != a_id
            else AddSite(x=100.0, y=0.0, name="A neu", category="Familie", id=a_id)
            for c in edited.changes
        )
    )
    merged, report = merge(base, ours, theirs)
    assert [c.name for c in merged.changes] == ["A neu", "B", "C"]
    assert report.conflicts == [{"kind": "removed_but_edited", "id": a_id}]
    # an untouched removal on the other side goes through
    merged, report = merge(base, base, base.without_change(b_id))
    assert [c.id for c in merged.changes] == [a_id] and report.conflicts == []


def test_combination_that_is_no_scenario_keeps_both_under_two_names(tmp_path):
    store = ScenarioStore(tmp_path, EXTENT)
    a = store.open("Plan", region="test")
    a.add(site("Haus"))
    b = store.open("Plan", region="test")
    a.add(CloseSite(service_id="plan-1"))  # A closes the planned site …
    b.add(MoveSite(service_id="plan-1", x=900.0, y=0.0))  # … B moves it afterwards
    # Closing then moving the same site is no valid scenario: B's state goes to a copy.
    assert store.last_merge.copy_name == "Plan (Konflikt)"
    assert [type(c).__name__ for c in store.load("Plan").changes] == ["AddSite", "CloseSite"]
    copy = store.load("Plan (Konflikt)")
    assert [type(c).__name__ for c in copy.changes] == ["AddSite", "MoveSite"]


def _add_pins(folder: str, label: str, n: int) -> None:
    store = ScenarioStore(folder, EXTENT)
    history = store.open("Raum", region="test")
    for i in range(n):
        history.add_pin(Pin(x=float(i), y=0.0, kind="missing", text=f"{label}{i}"))


def test_parallel_processes_lose_no_pin(tmp_path):
    ScenarioStore(tmp_path, EXTENT).open("Raum", region="test")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_add_pins, args=(str(tmp_path), k, 15)) for k in "xyz"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    texts = sorted(p.text for p in ScenarioStore(tmp_path, EXTENT).load("Raum").pins)
    assert texts == sorted(f"{k}{i}" for k in "xyz" for i in range(15))


names = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=4, unique=True)


@settings(max_examples=60, deadline=None)
@given(names, names, names)
def test_every_addition_of_either_side_is_kept(common, mine, other):
    base = Scenario("S", region="test").with_changes(site(n) for n in common)
    ours = base.with_changes(site("o-" + n) for n in mine)
    theirs = base.with_changes(site("t-" + n) for n in other)
    merged, report = merge(base, ours, theirs)
    got = [c.name for c in merged.changes]
    assert got == [*common, *("t-" + n for n in other), *("o-" + n for n in mine)]
    assert len({c.id for c in merged.changes}) == len(got)  # ids stay unique
    assert report.from_other == len(other) and report.conflicts == []


def test_unchanged_file_is_saved_as_before(tmp_path):
    store = ScenarioStore(tmp_path, EXTENT)
    h = store.open("Solo", region="test")
    h.add(site("Eins"))
    h.undo()
    h.redo()
    assert not store.last_merge.merged
    assert [c.name for c in store.load("Solo").changes] == ["Eins"]


@pytest.mark.parametrize("kind", ["both_edited"])
def test_both_edited_keeps_ours_and_reports(kind):
    base = Scenario("S", region="test").with_change(site("A"))
    cid = base.changes[0].id

    def renamed(s, name):
        return s._replace(changes=(AddSite(x=100.0, y=0.0, name=name, category="Familie", id=cid),))

    merged, report = merge(base, renamed(base, "Unsers"), renamed(base, "Deren"))
    assert merged.changes[0].name == "Unsers"
    assert report.conflicts == [{"kind": kind, "id": cid}]


def test_edited_in_both_tabs_the_other_state_is_kept_as_a_copy(tmp_path):
    from present import describe

    store = ScenarioStore(tmp_path, EXTENT)
    a = store.open("Runde", region="test")
    a.add(site("Treff"))
    b = store.open("Runde", region="test")
    cid = a.current.changes[0].id
    a.edit(AddSite(x=100.0, y=0.0, name="Treff A", category="Familie", id=cid))
    b.edit(AddSite(x=100.0, y=0.0, name="Treff B", category="Familie", id=cid))
    assert store.load("Runde").changes[0].name == "Treff B"  # the later edit applies …
    assert store.load("Runde (Konflikt)").changes[0].name == "Treff A"  # … the other is kept
    text = describe.merge_text(store.last_merge, "de")
    assert "1 Punkt wurde in beiden Sitzungen verändert" in text and "„Runde (Konflikt)“" in text
