"""GTFS import and timetable routing: hand-made feeds with hand-computed answers,
German validation errors, and a time-expanded Dijkstra reference on the real feed."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from geo import _csa, gtfs, settings, transit, traveltime
from geo._errors import InputError
from present import describe
from tests._transit_ref import TimeExpanded

CAIRNS = settings.data_dir() / "gtfs" / "cairns_gtfs.zip"
# Stops 5 km apart (a walk of 83 min at 3.6 km/h), except C2 200 m east of C.
STOPS = {
    "A": (11.00, 51.00),
    "B": (11.07, 51.00),
    "C": (11.14, 51.00),
    "C2": (11.142858, 51.00),
    "D": (11.21, 51.00),
}
CALENDAR = (
    "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
    "WD,1,1,1,1,1,0,0,20140601,20141231\n"
)
CALENDAR_DATES = "service_id,date,exception_type\nWD,20140609,2\nEXTRA,20140609,1\n"
TRIPS = [
    ("T1", "WD", [("A", "08:00:00"), ("B", "08:10:00"), ("C", "08:20:00")]),
    ("T1b", "WD", [("A", "08:30:00"), ("B", "08:40:00"), ("C", "08:50:00")]),
    ("T2", "WD", [("C2", "08:30:00"), ("D", "08:45:00")]),
    ("T2b", "WD", [("C2", "09:00:00"), ("D", "09:15:00")]),
    ("T3", "WD", [("A", "23:50:00"), ("B", "24:10:00"), ("C", "24:20:00")]),
    ("TX", "EXTRA", [("A", "08:00:00"), ("D", "08:20:00")]),
]


def write_feed(
    path: Path,
    trips=TRIPS,
    stops=STOPS,
    calendar=CALENDAR,
    calendar_dates=CALENDAR_DATES,
    extra: dict | None = None,
    drop: tuple[str, ...] = (),
) -> Path:
    """Write a small GTFS zip."""
    st = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for tid, _, calls in trips:
        st += [f"{tid},{t},{t},{s},{i + 1}" for i, (s, t) in enumerate(calls)]
    files = {
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        + "".join(f"{k},Halt {k},{lat},{lon}\n" for k, (lon, lat) in stops.items()),
        "routes.txt": "route_id,route_short_name,route_type\nR,1,3\n",
        "trips.txt": "route_id,service_id,trip_id\n"
        + "".join(f"R,{svc},{tid}\n" for tid, svc, _ in trips),
        "stop_times.txt": "\n".join(st) + "\n",
        "calendar.txt": calendar,
        "calendar_dates.txt": calendar_dates,
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            if name not in drop:
                zf.writestr(name, text)
    return path


def model(path, date="2014-06-02", depart="08:00", window=0, **kw) -> transit.TransitModel:
    tt = gtfs.load_timetable(path, date)
    h, m = depart.split(":")
    return transit.TransitModel(
        tt, transit.TransitParams(int(h) * 3600 + int(m) * 60, window, **kw)
    )


def stop_xy(m: transit.TransitModel, *names) -> np.ndarray:
    idx = [list(m.timetable.stop_ids).index(n) for n in names]
    return m.timetable.xy[idx]


@pytest.fixture
def feed(tmp_path):
    return write_feed(tmp_path / "feed.zip")


def test_transfer_with_walk_between_stops(feed, unit_speed):
    # A 08:00 -> C 08:20, walk 200 m (3:20) to C2, wait, 08:30 -> D 08:45: 45 min
    m = model(feed)
    od = traveltime.od_matrix(stop_xy(m, "A"), stop_xy(m, "D", "C2"), "transit", m)
    assert od[0, 0] == pytest.approx(45.0, abs=1e-6)
    walk = np.hypot(*(stop_xy(m, "C") - stop_xy(m, "C2"))[0]) / 60.0
    assert 3.3 < walk < 3.4
    assert od[0, 1] == pytest.approx(20.0 + walk, abs=1e-6)  # walked from C


def test_max_transfers_zero_leaves_only_walking(feed, unit_speed):
    m = model(feed, max_transfers=0)
    a, d = stop_xy(m, "A"), stop_xy(m, "D")
    od = m.od_matrix(a, d)
    walk = np.hypot(*(a - d)[0]) / 60.0
    assert od[0, 0] == pytest.approx(walk, rel=1e-9)
    assert walk > 200


def test_window_median_and_percentiles(feed, unit_speed):
    # departures 07:55..08:04: 50,49,48,47,46,45 (T1/T2) then 74,73,72,71 (T1b/T2b)
    m = model(feed, depart="07:55", window=10, percentiles=(50, 25, 75))
    stats, _ = m.travel_seconds(stop_xy(m, "A"), stop_xy(m, "D"))
    assert stats[0, 0] / 60 == pytest.approx([49.5, 47.25, 71.75], abs=1e-6)
    assert m.info["statistic"] == ["median", "p25", "p75"]
    assert m.info["window_min"] == 10 and m.info["date"] == "2014-06-02"


def test_overnight_times_past_midnight(feed, unit_speed):
    # T3 runs Monday 23:50 -> 24:10 (B) -> 24:20 (C)
    m = model(feed, date="2014-06-02", depart="23:45")
    assert m.od_matrix(stop_xy(m, "A"), stop_xy(m, "C"))[0, 0] == pytest.approx(35.0)
    # Tuesday 00:05 at B: the Monday trip leaves B at 00:10 and reaches C at 00:20
    m = model(feed, date="2014-06-03", depart="00:05")
    assert m.od_matrix(stop_xy(m, "B"), stop_xy(m, "C"))[0, 0] == pytest.approx(15.0)
    # ... but not on Sunday night (no Saturday service)
    m = model(feed, date="2014-06-08", depart="00:05")
    assert m.od_matrix(stop_xy(m, "B"), stop_xy(m, "C"))[0, 0] > 60


def test_calendar_exceptions(feed, unit_speed):
    # 2014-06-09: WD removed, EXTRA (A 08:00 -> D 08:20) added
    m = model(feed, date="2014-06-09")
    assert m.od_matrix(stop_xy(m, "A"), stop_xy(m, "D"))[0, 0] == pytest.approx(20.0)
    assert set(m.timetable.trip_ids) == {"TX"}
    m = model(feed, date="2014-06-02")
    assert "TX" not in set(m.timetable.trip_ids)
    # Saturday: only Friday's T3 after midnight (B 00:10 -> C 00:20); Sunday: nothing
    sat = gtfs.load_timetable(feed, "2014-06-07")
    assert (sat.dep.tolist(), sat.arr.tolist()) == ([600], [1200])
    assert gtfs.load_timetable(feed, "2014-06-08").n_connections == 0


def test_frequencies_expanded(tmp_path, unit_speed):
    trips = [("F1", "WD", [("A", "00:00:00"), ("B", "00:10:00")])]
    freq = "trip_id,start_time,end_time,headway_secs\nF1,07:00:00,08:00:00,1200\n"
    path = write_feed(
        tmp_path / "f.zip",
        trips=trips,
        extra={"frequencies.txt": freq},
        calendar_dates="service_id,date,exception_type\n",
    )
    tt = gtfs.load_timetable(path, "2014-06-02")
    assert sorted(tt.dep.tolist()) == [7 * 3600, 7 * 3600 + 1200, 7 * 3600 + 2400]
    assert tt.meta["frequencies"] == "expandiert"
    m = model(path, depart="07:05")
    assert m.od_matrix(stop_xy(m, "A"), stop_xy(m, "B"))[0, 0] == pytest.approx(25.0)


def test_access_walk_and_waiting_counted(feed, unit_speed):
    # origin 300 m west of A (5 min walk), departing 07:50: wait for T1 at 08:00
    m = model(feed, depart="07:50")
    origin = stop_xy(m, "A") - [[300.0, 0.0]]
    assert m.od_matrix(origin, stop_xy(m, "B"))[0, 0] == pytest.approx(20.0)
    # leaving at 07:56, the walk reaches A at 08:01: T1b at 08:30 -> B 08:40
    m = model(feed, depart="07:56")
    assert m.od_matrix(origin, stop_xy(m, "B"))[0, 0] == pytest.approx(44.0)


def test_nearest_field_and_analysis_measures(feed, unit_speed):
    m = model(feed, depart="08:00")
    cells = np.vstack([stop_xy(m, "A"), stop_xy(m, "B") + [[60.0, 0.0]]])
    services = stop_xy(m, "D", "C")
    f = traveltime.nearest_field(cells, services, "transit", m)
    # A 08:00 -> C 08:20 (service at C): 20 min; B+60 m: walk 1 min to B, wait for
    # T1 at 08:10 -> C 08:20: 20 min (walking 5 km would be 83 min)
    assert f.minutes == pytest.approx([20.0, 20.0])
    assert f.nearest.tolist() == [1, 1]
    assert f.info["feed"] == "feed.zip" and f.model_kind == transit.MODEL_TRANSIT
    cm = traveltime.catchment_matrix(cells, services, "transit", 30, m)
    assert cm.toarray() == pytest.approx(np.array([[0, 20.0], [0, 20.0]]))
    # D: via C, walk to C2, T2 08:30 -> 08:45 = 45 min from both cells
    assert traveltime.count_within(cells, services, "transit", 60, m).tolist() == [2, 2]
    assert traveltime.count_within(cells, services, "transit", 44, m).tolist() == [1, 1]


def test_transit_without_feed_is_a_german_error():
    with pytest.raises(InputError, match="kein Fahrplan"):
        traveltime.nearest_field(np.zeros((1, 2)), np.zeros((1, 2)), "transit")


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------
def _problems(path, date="2014-06-02"):
    with pytest.raises(InputError) as err:
        gtfs.load_timetable(path, date)
    return err.value


def test_bad_time_names_file_row_column(tmp_path):
    trips = [("T1", "WD", [("A", "08:00:00"), ("B", "8:5:00"), ("C", "08:20:00")])]
    e = _problems(write_feed(tmp_path / "f.zip", trips=trips))
    p = e.problems[0]
    assert (p.file, p.row, p.column) == ("stop_times.txt", 2, "arrival_time")
    assert "keine Uhrzeit" in p.message and "8:5:00" in p.message


def test_unknown_stop_and_trip(tmp_path):
    trips = [("T1", "WD", [("A", "08:00:00"), ("X9", "08:10:00")])]
    path = write_feed(tmp_path / "f.zip", trips=trips)
    e = _problems(path)
    assert any(p.column == "stop_id" and "X9" in p.message and p.row == 2 for p in e.problems)


def test_missing_file_and_column(tmp_path):
    e = _problems(write_feed(tmp_path / "a.zip", drop=("stops.txt",)))
    assert "stops.txt" in e.message and "fehlen" in e.message
    bad = {k: v for k, v in STOPS.items()}
    path = write_feed(tmp_path / "b.zip", stops=bad)
    with zipfile.ZipFile(path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files["stops.txt"] = b"stop_id,stop_name,stop_lat\nA,x,51\n"
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)
    e = _problems(path)
    assert "stops.txt" in e.message and "stop_lon" in e.message


def test_bad_calendar_and_decreasing_times(tmp_path):
    cal = CALENDAR.replace("20141231", "2014-12-31")
    e = _problems(write_feed(tmp_path / "a.zip", calendar=cal))
    assert any(p.file == "calendar.txt" and p.column == "end_date" for p in e.problems)
    trips = [("T1", "WD", [("A", "08:00:00"), ("B", "07:50:00")])]
    e = _problems(write_feed(tmp_path / "b.zip", trips=trips))
    assert any(p.row == 2 and "vor der Abfahrt" in p.message for p in e.problems)


def test_not_a_zip(tmp_path):
    p = tmp_path / "x.zip"
    p.write_text("hallo")
    with pytest.raises(InputError, match="keine lesbare ZIP"):
        gtfs.load_timetable(p, "2014-06-02")


def test_clip_to_region_and_cache(feed, tmp_path):
    import shapely

    xy = gtfs.load_timetable(feed, "2014-06-02").xy
    outline = shapely.box(xy[0, 0] - 100, xy[0, 1] - 100, xy[0, 0] + 100, xy[0, 1] + 100)
    tt = gtfs.load_timetable(feed, "2014-06-02", outline, buffer_m=6000)  # A and B only
    assert set(tt.stop_ids[np.unique(np.r_[tt.dep_stop, tt.arr_stop])]) == {"A", "B"}
    a = gtfs.import_feed(feed, "2014-06-02", tmp_path / "c", outline, 6000)
    b = gtfs.import_feed(feed, "2014-06-02", tmp_path / "c", outline, 6000)
    assert not a.meta["cached"] and b.meta["cached"]
    assert np.array_equal(a.dep, b.dep) and list(a.stop_ids) == list(b.stop_ids)
    assert len(list((tmp_path / "c" / "transit").glob("*.npz"))) == 1
    far = shapely.box(0, 0, 10, 10)
    with pytest.raises(InputError, match="Keine Haltestelle"):
        gtfs.load_timetable(feed, "2014-06-02", far)


# ---------------------------------------------------------------------------
# reference on the real feed
# ---------------------------------------------------------------------------
@pytest.mark.skipif(not CAIRNS.exists(), reason="GTFS feed not available")
def test_csa_equals_time_expanded_dijkstra_on_cairns():
    tt = gtfs.load_timetable(CAIRNS, "2014-06-02")
    m = transit.TransitModel(tt)
    fp = m._footpaths()
    rng = np.random.default_rng(7)
    src = rng.choice(tt.n_stops, 10, replace=False)
    times = rng.uniform(6 * 3600, 18 * 3600, 10).round()
    ref = TimeExpanded(tt, fp, src, times)
    n = tt.n_stops
    eg = sp.identity(n, format="csr")
    res, _ = _csa.scan(
        src.astype(np.int64),
        times,
        tt.dep_stop.astype(np.int64),
        tt.arr_stop.astype(np.int64),
        tt.dep.astype(float),
        tt.arr.astype(float),
        tt.trip.astype(np.int64),
        tt.board,
        tt.alight,
        int(tt.trip.max()) + 1,
        fp.indptr.astype(np.int64),
        fp.indices.astype(np.int64),
        fp.data,
        eg.indptr.astype(np.int64),
        eg.indices.astype(np.int64),
        np.zeros(n),
        n,
        50,
        86400.0 * 2,
    )
    checked = 0
    for q in range(10):
        want = ref.earliest_arrival(int(src[q]), float(times[q]))
        dst = rng.choice(n, 10, replace=False)
        got = res[q, dst]
        assert np.array_equal(np.isfinite(got), np.isfinite(want[dst]))
        ok = np.isfinite(got)
        assert np.abs(got[ok] - want[dst][ok]).max(initial=0) <= 1.0
        checked += 10
        assert np.isfinite(want).sum() > 1
    assert checked == 100


def test_analysis_measures_run_on_transit(feed, unit_speed):
    from geo import analysis
    from tests.test_analysis import make_region

    m = model(feed, depart="08:00")
    a, b, c = stop_xy(m, "A")[0], stop_xy(m, "B")[0], stop_xy(m, "C")[0]
    reg = make_region(
        [(a[0], a[1], "01", 10.0), (b[0] + 60, b[1], "01", 5.0)],
        [{"id": "svcC", "x": c[0], "y": c[1], "capacity": 3}],
    )
    params = analysis.AnalysisParams(mode="transit", threshold_min=30)
    res = analysis.analyze(reg, params, {"transit": m})
    assert res.cells["minutes"].tolist() == pytest.approx([20.0, 20.0])
    assert res.cells["within"].tolist() == [True, True]
    assert res.cells["2sfca"].to_numpy() == pytest.approx(np.full(2, 3 / 15 * 1000))
    assert res.metadata["model_info"]["depart"] == "08:00"
    assert res.params.mode == "transit" and res.model["kind"] == transit.MODEL_TRANSIT
    words = describe.model_text(res)
    assert words.startswith("ÖPNV nach Fahrplan") and "Abfahrt 08:00" in words, words
    res = analysis.analyze(
        reg, analysis.AnalysisParams(mode="transit", threshold_min=15), {"transit": m}
    )
    assert res.cells["within"].tolist() == [False, False]
    assert res.totals["gap"] > 0
    with pytest.raises(InputError, match="kein Fahrplan"):
        analysis.analyze(reg, params, {})


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
def test_cli_traveltime_transit_json(feed, tmp_path, capsys, unit_speed):
    import json

    from geo import cli

    tt = gtfs.load_timetable(feed, "2014-06-02")
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    ia, idd = list(tt.stop_ids).index("A"), list(tt.stop_ids).index("D")
    a.write_text(f"id,lat,lon\nA,{tt.lat[ia]},{tt.lon[ia]}\n")
    b.write_text(f"id,lat,lon\nD,{tt.lat[idd]},{tt.lon[idd]}\n")
    argv = [
        "traveltime",
        "--gtfs",
        str(feed),
        "--mode",
        "transit",
        "--depart",
        "2014-06-02 07:55",
        "--window",
        "10",
        "--from",
        str(a),
        "--to",
        str(b),
        "--json",
        "--cache",
        str(tmp_path / "c"),
    ]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["matrix"] == {"A": {"D": 49.5}} and out["unit"] == "Minuten"
    assert out["model_info"]["window_min"] == 10 and out["model_info"]["statistic"] == ["median"]
    argv[argv.index("--window") + 1] = "0"
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out)["matrix"] == {"A": {"D": 50.0}}
    i = argv.index("--depart")
    assert cli.main(argv[:i] + argv[i + 2 :]) == 2  # --depart missing
    assert "--depart" in capsys.readouterr().err


def test_cli_transit_import_report(feed, tmp_path, capsys):
    from geo import cli

    argv = ["transit", "import", str(feed), "--date", "2014-06-09", "--cache", str(tmp_path)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "keine Fehler" in out and "Verbindungen: 1" in out
    assert list((tmp_path / "transit").glob("*.npz"))
    bad = write_feed(tmp_path / "bad.zip", drop=("trips.txt",))
    assert (
        cli.main(["transit", "import", str(bad), "--date", "2014-06-02", "--cache", str(tmp_path)])
        == 2
    )
    assert "trips.txt" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# proxy without a timetable
# ---------------------------------------------------------------------------
def test_stop_access_proxy_by_service_level(unit_speed):
    import geopandas as gpd

    from geo import stops

    # stops at x = 0 (weight 0.5: gering), 600 (5: mittel), 1200 (50: hoch); 1 min = 60 m
    gdf = gpd.GeoDataFrame(
        {"level": stops.service_level(np.array([0.5, 5.0, 50.0]))},
        geometry=gpd.points_from_xy([0, 600, 1200], [0, 0, 0]),
        crs=settings.CRS_METRIC,
    )
    assert gdf["level"].tolist() == ["gering", "mittel", "hoch"]
    cells = np.array([[0.0, 0.0], [900.0, 0.0], [5000.0, 0.0]])
    acc = stops.stop_access(cells, gdf, threshold_min=10)
    assert acc.minutes["gering"] == pytest.approx([0.0, 5.0, 3800 / 60])
    assert acc.minutes["mittel"] == pytest.approx([10.0, 5.0, 3800 / 60])
    assert acc.minutes["hoch"] == pytest.approx([20.0, 5.0, 3800 / 60])
    assert np.isinf(acc.minutes["sehr hoch"]).all()
    assert acc.best_level.tolist() == [1, 2, -1]  # cell 0: "mittel" at exactly 10 min
    assert acc.info["travel_time_to_service"] is False
    assert acc.info["source"] == "stops_db_hafas_th.csv"


def test_stop_access_on_default_region_stops():
    from geo import stops

    gdf = stops.read_stops(settings.data_dir())
    xy = np.column_stack([gdf.geometry.x, gdf.geometry.y])[:50] + 100.0
    acc = stops.stop_access(xy, gdf)
    assert (acc.minutes["gering"] <= acc.minutes["hoch"]).all()
    assert (acc.best_level >= 0).all()  # 141 m from a stop is within 10 min


# ---------------------------------------------------------------------------
# scenario levers
# ---------------------------------------------------------------------------
def test_lever_repeat_trip(feed, unit_speed):
    from geo import transit_lever

    m = model(feed, depart="08:05")
    a, c = stop_xy(m, "A"), stop_xy(m, "C")
    assert m.od_matrix(a, c)[0, 0] == pytest.approx(45.0)  # T1b 08:30 -> 08:50
    tt = transit_lever.repeat_trip(m.timetable, "T1", 20, 9 * 3600)  # 08:20, 08:40, 09:00
    m2 = transit.TransitModel(tt, m.params)
    assert m2.od_matrix(a, c)[0, 0] == pytest.approx(35.0)  # 08:20 -> 08:40
    assert tt.meta["scenario"][0]["trips_added"] == 3
    assert m2.info["scenario"][0]["kind"] == "repeat"
    assert m.timetable.n_connections + 6 == tt.n_connections


def test_lever_new_line_with_new_stop(feed, unit_speed):
    from geo import transit_lever

    m = model(feed, depart="08:05")
    a, d = stop_xy(m, "A"), stop_xy(m, "D")
    tt = transit_lever.add_line(m.timetable, ["A", "D"], [10], 30, 7 * 3600, 9 * 3600)
    m2 = transit.TransitModel(tt, m.params)
    assert m2.od_matrix(a, d)[0, 0] == pytest.approx(35.0)  # 08:30 -> 08:40
    assert m2.od_matrix(d, a)[0, 0] == pytest.approx(35.0)  # back on the same times
    p = (a[0] + d[0]) / 2
    tt = transit_lever.add_line(
        m.timetable, [tuple(p), "D"], [5], 60, 8 * 3600, 8 * 3600, both_directions=False
    )
    m3 = transit.TransitModel(tt, transit.TransitParams(8 * 3600, 0))
    assert tt.n_stops == m.timetable.n_stops + 1
    assert m3.od_matrix(p[None], d)[0, 0] == pytest.approx(5.0)
    with pytest.raises(InputError, match="Fahrzeiten"):
        transit_lever.add_line(m.timetable, ["A", "B", "D"], [10], 30, 0, 3600)


def test_lever_on_demand_area(feed, unit_speed):
    import shapely

    from geo import transit_lever

    m = model(feed, depart="08:05")
    a, b = stop_xy(m, "A")[0], stop_xy(m, "B")[0]
    area = shapely.box(a[0] - 100, a[1] - 100, b[0] + 100, b[1] + 100)
    tt = transit_lever.on_demand_area(m.timetable, area, 10, 6 * 3600, 20 * 3600)
    ride = np.rint(
        np.hypot(*(a - b))
        * settings.DETOUR_FACTORS["car"]
        / (settings.FALLBACK_CAR_SPEED_KMH / 3.6)
    )
    m2 = transit.TransitModel(tt, m.params)
    # leave A at 08:10 (5 min wait), ride about 10 min; T1 (08:00) is gone
    assert m2.od_matrix(a[None], b[None])[0, 0] == pytest.approx(5.0 + ride / 60)


def test_access_walk_on_the_road_network(feed, unit_speed):
    from geo.network import Network

    m = model(feed, depart="07:50")
    a, b = stop_xy(m, "A")[0], stop_xy(m, "B")[0]
    o = a - [300.0, 0.0]
    mid = a + [-150.0, 400.0]
    x = [o[0], mid[0], a[0], b[0]]
    y = [o[1], mid[1], a[1], b[1]]
    # O - M - A: 5 min each way (straight line would be 5 min in all)
    net = Network.from_arcs("walk", [0, 1, 1, 2], [1, 0, 2, 1], [300.0] * 4, x, y)
    on_net = transit.TransitModel(m.timetable, m.params, net)
    assert on_net.od_matrix(o[None], b[None])[0, 0] == pytest.approx(20.0)  # 08:00 at A
    late = transit.TransitModel(m.timetable, transit.TransitParams(7 * 3600 + 51 * 60, 0), net)
    assert late.od_matrix(o[None], b[None])[0, 0] == pytest.approx(49.0)  # 08:01 at A: T1b
    straight = transit.TransitModel(m.timetable, transit.TransitParams(7 * 3600 + 51 * 60, 0))
    assert straight.od_matrix(o[None], b[None])[0, 0] == pytest.approx(19.0)
    assert on_net.info["walk"] == "network:osm"


def test_stop_times_streamed_in_small_blocks(tmp_path):
    calls = [("A", "08:00:00"), ("B", "08:10:00"), ("C", "08:20:00")]
    trips = [(f"T{i}", "WD", calls) for i in range(40)]
    trips.append(("BAD", "WD", [("A", "08:00:00"), ("B", "08:61:00")]))
    path = write_feed(tmp_path / "f.zip", trips=trips)
    with pytest.raises(InputError) as err:
        gtfs.load_timetable(path, "2014-06-02", block_size=256)
    p = err.value.problems[0]
    assert (p.row, p.column) == (122, "arrival_time")
    trips.pop()
    path = write_feed(tmp_path / "g.zip", trips=trips)
    small = gtfs.load_timetable(path, "2014-06-02", block_size=256)
    whole = gtfs.load_timetable(path, "2014-06-02")
    assert small.n_connections == whole.n_connections == 80
    assert np.array_equal(small.dep, whole.dep) and np.array_equal(small.trip, whole.trip)


@pytest.mark.skipif(not CAIRNS.exists(), reason="GTFS feed not available")
def test_properties_on_cairns_fifo_and_transfer_limit():
    """Leaving later never arrives earlier; allowing more transfers is never slower."""
    tt = gtfs.load_timetable(CAIRNS, "2014-06-02")
    rng = np.random.default_rng(3)
    a = tt.xy[rng.choice(tt.n_stops, 40)] + rng.normal(0, 150, (40, 2))
    b = tt.xy[rng.choice(tt.n_stops, 25)]
    arrive = []
    for dep in (7 * 3600, 7 * 3600 + 420, 7 * 3600 + 1800):
        m = transit.TransitModel(tt, transit.TransitParams(dep, 0))
        arrive.append(m.od_matrix(a, b) + dep / 60)
    arrive = np.array(arrive)
    fin = np.isfinite(arrive)
    assert (np.diff(np.where(fin, arrive, 1e9), axis=0) >= -1e-6).all()
    by_k = [
        transit.TransitModel(tt, transit.TransitParams(7 * 3600, 30, max_transfers=k)).od_matrix(
            a, b
        )
        for k in (0, 1, 3)
    ]
    assert (by_k[1] <= by_k[0] + 1e-9).all() and (by_k[2] <= by_k[1] + 1e-9).all()
    assert (by_k[2] < by_k[0] - 1).any()  # transfers matter somewhere


def test_origins_in_blocks_give_the_same_times(feed, unit_speed, monkeypatch):
    m = model(feed, depart="07:55", window=10)
    rng = np.random.default_rng(0)
    pts = m.timetable.xy[rng.integers(0, 5, 30)] + rng.normal(0, 200, (30, 2))
    whole = m.od_matrix(pts, m.timetable.xy)
    monkeypatch.setattr(transit, "_CHUNK_VALUES", 7 * 5 * 10)  # blocks of 7 origins
    assert np.array_equal(m.od_matrix(pts, m.timetable.xy), whole)
    assert np.isfinite(whole).all()
