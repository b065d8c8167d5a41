"""ÖPNV in the app without a browser: the model label from data, the proxy layer and its
shares, the cache key of a feed choice, timetable bands and the stored uploads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from geo import analysis, gtfs, isochrones, stops, transit
from layers import stop_access as proxylayer
from layers.cells import cell_grid
from present import describe
from tests._transit_feeds import REGION_FEED_DATE, REGION_STOPS, write_region_feed

INFO = {
    "kind": transit.MODEL_TRANSIT,
    "feed": "cairns_gtfs.zip",
    "date": "2014-06-02",
    "depart": "07:00",
    "window_min": 60,
    "statistic": ["median"],
}


def test_model_text_from_info() -> None:
    assert (
        describe.transit_model_text(INFO, "de")
        == "ÖPNV nach Fahrplan cairns_gtfs, Mo 02.06.2014, Abfahrt 07:00–08:00, Median"
    )
    en = describe.transit_model_text({**INFO, "statistic": ["p75"], "window_min": 90}, "en")
    assert en == (
        "Public transport by timetable cairns_gtfs, Mon 02.06.2014, departure 07:00–08:30, "
        "75th percentile"
    )
    one = describe.transit_model_text({**INFO, "window_min": 0, "depart": "23:50"}, "de")
    assert one == "ÖPNV nach Fahrplan cairns_gtfs, Mo 02.06.2014, Abfahrt 23:50"
    # a window past midnight keeps GTFS hours; a scenario lever is named
    late = describe.transit_model_text({**INFO, "depart": "23:30", "scenario": [{"x": 1}]})
    assert "Abfahrt 23:30–24:30" in late and late.endswith("(mit Szenario-Fahrten)")


def test_level_shares_hand_computed() -> None:
    best = np.array([-1, 0, 0, 3, 2])
    shares = stops.level_shares(best, np.array([1.0, 2.0, 3.0, 4.0, 0.0]))
    assert shares == pytest.approx([0.1, 0.5, 0.0, 0.0, 0.4])
    assert np.isnan(stops.level_shares(best, np.zeros(5))).all()


def test_proxy_overlay_is_labelled_as_walk_to_stops() -> None:
    import pandas as pd

    cells = pd.DataFrame({"x": [50.0, 150.0, 250.0], "y": [50.0, 50.0, 50.0]})
    access = stops.StopAccess(
        {}, np.array([-1, 1, 3]), 10.0, {"source": "stops_db_hafas_th.csv", "walk_speed_kmh": 4.5}
    )
    ov = proxylayer.stop_access_overlay(access, cell_grid(cells), "de")
    assert ov.name == "Haltestellen-Erschließung (Fußweg, kein Fahrplan)"
    assert ov.legend.layer_name == ov.name
    labels = [e.label for e in ov.legend.entries]
    assert labels[0] == "keine Haltestelle in 10 min Fußweg"
    assert labels[-1] == "beste Haltestelle: Bedienung sehr hoch"
    assert "keine Reisezeit zu einem Angebot" in ov.legend.note
    assert "Reisezeit zum" not in ov.name
    assert ov.raster.n_cells == 3
    assert list(proxylayer.level_codes(access.best_level)) == [0, 2, 4]


def test_feed_choice_key_round_trip() -> None:
    from ui.state import TRANSIT_SEP, FeedChoice, with_transit

    choice = FeedChoice("/x/feed.zip", "2014-06-02", 7 * 3600, 60)
    assert FeedChoice.of(choice.key) == choice
    assert with_transit("abc", None) == "abc"
    keyed = with_transit("abc", choice)
    assert keyed.partition(TRANSIT_SEP) == ("abc", TRANSIT_SEP, choice.key)
    other = FeedChoice("/x/feed.zip", "2014-06-02", 7 * 3600, 30)
    assert with_transit("abc", other) != keyed


def test_stored_upload_path_keeps_name_and_separates_contents(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NAHRAUM_CACHE", str(tmp_path))
    from ui import transit as uitransit

    a = uitransit.stored_path("Mein Fahrplan (VMT).zip", b"one")
    b = uitransit.stored_path("Mein Fahrplan (VMT).zip", b"two")
    assert a.name == b.name == "Mein_Fahrplan_VMT.zip"
    assert a.parent != b.parent and a.parent.parent == tmp_path / "gtfs"
    a.parent.mkdir(parents=True)
    a.write_bytes(b"one")
    assert str(a.resolve()) in uitransit.feed_files()
    assert uitransit.feed_label(str(a.resolve())).startswith("Mein_Fahrplan_VMT.zip (")


def test_region_feed_analysis_and_bands(tmp_path, tmp_default_region, unit_speed) -> None:
    """On the default region: the feed clips, analyze labels the result with it, and the
    timetable bands of one service agree with its nearest field."""
    feed = write_region_feed(tmp_path / "region_feed.zip")
    tt = gtfs.import_feed(feed, REGION_FEED_DATE, tmp_path, tmp_default_region.outline)
    assert tt.n_stops == len(REGION_STOPS)
    model = transit.TransitModel(tt, transit.TransitParams(8 * 3600, 30))
    res = analysis.analyze(
        tmp_default_region, analysis.AnalysisParams(mode="transit"), {"transit": model}
    )
    assert describe.model_text(res, "de") == (
        "ÖPNV nach Fahrplan region_feed, Di 03.06.2025, Abfahrt 08:00–08:30, Median"
    )
    xy = tmp_default_region.cells[["x", "y"]].to_numpy(dtype=float)
    svc = tt.xy[[list(tt.stop_ids).index("KOE")]]
    minutes = model.nearest_field(xy, svc).minutes
    bands = isochrones.nearest_isochrones(
        svc, "transit", (15, 30), model, cells_xy=xy, cumulative=True
    )
    inside = shapely.contains_xy(bands.geometry.iloc[-1], xy[:, 0], xy[:, 1])
    assert np.array_equal(inside, minutes <= 30)
    with pytest.raises(Exception, match="Zellen der Region"):
        isochrones.nearest_isochrones(svc, "transit", (15,), model)


def test_far_feed_is_refused_in_german(tmp_path, tmp_default_region) -> None:
    from tests.test_transit import write_feed

    far = write_feed(
        tmp_path / "weit.zip",
        stops={k: (145.7 + i / 100, -16.9) for i, k in enumerate(["A", "B", "C", "C2", "D"])},
    )
    with pytest.raises(Exception, match="Keine Haltestelle des Fahrplans liegt in der Region"):
        gtfs.import_feed(far, "2014-06-02", tmp_path, tmp_default_region.outline)
    assert not list(Path(tmp_path).rglob("*.npz"))


# ---------------------------------------------------------------------------
# scenario lever "Buslinie verdichten"
# ---------------------------------------------------------------------------
def test_denser_trips_validation_and_round_trip() -> None:
    from geo.scenario import Change, DenserTrips, Scenario

    c = DenserTrips(trip_id="T1", headway_min=30, until="9:05")
    assert c.until == "09:05" and c.until_s == 9 * 3600 + 5 * 60
    sc = Scenario(name="Takt").with_change(c)
    back = Change.from_dict(sc.changes[0].to_dict())
    assert back == sc.changes[0]
    assert describe.change_text(back, "de") == (
        "Buslinie verdichtet: Fahrt „T1“ alle 30 min bis 09:05 Uhr"
    )
    with pytest.raises(Exception, match="keine Uhrzeit"):
        DenserTrips(trip_id="T1", headway_min=30, until="24:75")
    with pytest.raises(Exception, match="Takt"):
        DenserTrips(trip_id="T1", headway_min=0, until="09:00")
    with pytest.raises(Exception, match="Fahrt"):
        DenserTrips(trip_id="", headway_min=10, until="09:00")


def test_lever_in_scenario_changes_the_timetable_and_the_comparison(
    tmp_path, tmp_default_region, unit_speed
) -> None:
    """Line L2 every 60 min; run its 08:00 trip from Straußfurt every 15 min until 09:00:
    the median wait falls, so people within 30 min can only grow and the after state
    equals a direct analysis on the changed timetable."""
    from geo import compare, scenario, transit_lever

    feed = write_region_feed(tmp_path / "region_feed.zip")
    tt = gtfs.import_feed(feed, REGION_FEED_DATE, tmp_path, tmp_default_region.outline)
    trips = transit_lever.trip_table(tt)
    row = trips.loc[(trips["from_stop"] == "Straußfurt") & (trips["first_s"] == 8 * 3600)]
    assert len(row) == 1 and row["to_stop"].iat[0] == "Großrudestedt" and row["stops"].iat[0] == 3
    trip = str(row["trip_id"].iat[0])
    model = transit.TransitModel(tt, transit.TransitParams(8 * 3600, 60))
    nets = {"transit": model}
    sc = scenario.Scenario(name="Takt").with_change(
        scenario.DenserTrips(trip_id=trip, headway_min=15, until="09:00")
    )
    after_nets = transit_lever.scenario_networks(nets, sc)
    # 08:15, 08:30, 08:45, 09:00: 4 copies of a trip with 2 connections
    assert after_nets["transit"].timetable.n_connections == tt.n_connections + 8
    assert transit_lever.scenario_networks(nets, scenario.Scenario(name="leer")) is nets
    params = analysis.AnalysisParams(mode="transit")
    base = analysis.analyze(tmp_default_region, params, nets)
    cmp = compare.compare(tmp_default_region, params, sc, nets, base_result=base)
    direct = analysis.analyze(tmp_default_region, params, after_nets)
    assert cmp.method == "full"
    assert cmp.totals["people_within_after"] == pytest.approx(direct.totals["people_within"])
    assert cmp.totals["people_within_before"] == pytest.approx(base.totals["people_within"])
    assert cmp.totals["newly_within"] > 0 and cmp.totals["newly_beyond"] == 0
    np.testing.assert_allclose(cmp.cells["minutes_after"], direct.cells["minutes"])
    # the lever does not touch road modes
    walk = analysis.AnalysisParams(mode="walk")
    wb = analysis.analyze(tmp_default_region, walk, nets)
    wc = compare.compare(tmp_default_region, walk, sc, nets, base_result=wb)
    assert wc.totals["people_within_delta"] == 0 and wc.totals["newly_within"] == 0
    bad = scenario.Scenario(name="x").with_change(
        scenario.DenserTrips(trip_id="gibt-es-nicht", headway_min=15, until="09:00")
    )
    with pytest.raises(Exception, match="Änderung 1 .*gibt es an diesem Tag nicht"):
        transit_lever.scenario_networks(nets, bad)


def test_exports_and_suggestions_on_transit(tmp_path, tmp_default_region, unit_speed) -> None:
    """The map/PDF footer names the timetable model; suggested sites run on the transit
    catchment and reach no more people than the cells within 30 min allow."""
    from geo import optimize
    from report import export

    feed = write_region_feed(tmp_path / "region_feed.zip")
    tt = gtfs.import_feed(feed, REGION_FEED_DATE, tmp_path, tmp_default_region.outline)
    nets = {"transit": transit.TransitModel(tt, transit.TransitParams(8 * 3600, 30))}
    params = analysis.AnalysisParams(mode="transit")
    res = analysis.analyze(tmp_default_region, params, nets)
    label = "ÖPNV nach Fahrplan region_feed, Di 03.06.2025, Abfahrt 08:00–08:30, Median"
    assert any(
        label in line for line in export.attribution_lines(tmp_default_region, res)
    )  # PNG/PDF footer
    assert "ÖPNV" in export.subtitle(res)
    s = optimize.suggest(tmp_default_region, params, 2, "villages", networks=nets, run_exact=False)
    beyond = res.totals["people_beyond"]
    assert 0 <= s.people["greedy"] <= beyond + 1e-6
