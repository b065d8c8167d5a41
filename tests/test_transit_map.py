"""The feed map (``nahraum transit map``): minutes by timetable over a feed's whole area."""

from __future__ import annotations

import numpy as np
import pytest

from geo import gtfs, settings
from present.classes import measure_classes
from report import transit_map as tm
from tests.test_transit import model, write_feed

CAIRNS = settings.data_dir() / "gtfs" / "cairns_gtfs.zip"


def _cell_of(cells: np.ndarray, xy: np.ndarray, cell_m: float) -> int:
    inside = np.all(np.abs(cells - xy) <= cell_m / 2, axis=1)
    assert inside.sum() == 1
    return int(np.flatnonzero(inside)[0])


def test_hand_made_feed_minutes_classes_and_file(tmp_path, unit_speed):
    feed = write_feed(tmp_path / "feed.zip")
    m = model(feed, depart="07:55")
    tt = m.timetable
    d = list(tt.stop_ids).index("D")
    lon, lat = float(tt.lon[d]), float(tt.lat[d])
    out = tmp_path / "karte.png"
    fm = tm.draw_feed_map(m, out, [(lon, lat)], ["Beratung D"], ["Testbus"], cell_m=100.0)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cells = tm.feed_cells(m, 100.0)
    assert fm.cells == len(cells)
    # Cells lie within walking reach (15 min at 60 m/min = 900 m) of a stop, no farther.
    dist = np.hypot(*(cells[:, None, :] - tt.xy[None, :, :]).transpose(2, 0, 1)).min(1)
    assert dist.max() <= 900.0 + 1e-6
    # The cell holding stop A: walk ≤ 71 m (≤ 1.2 min), 08:00 bus to C, walk to C2,
    # 08:30 bus to D at 08:45; from 07:55 that is 50 minutes (class 45–60 min).
    minutes = m.nearest_field(cells, tt.to_metric([lon], [lat])).minutes
    a = _cell_of(cells, tt.xy[list(tt.stop_ids).index("A")], 100.0)
    assert minutes[a] == pytest.approx(50.0, abs=1e-6)
    classes = measure_classes("minutes", minutes, tm.THRESHOLD_MIN, "all")
    assert fm.classes.labels == classes.labels and fm.classes.colors == classes.colors
    assert list(fm.classes.codes) == list(classes.codes)
    assert fm.classes.codes[a] == list(settings.ISOCHRONE_BANDS_MIN).index(60)
    assert sum(fm.shares) == pytest.approx(1.0)
    assert fm.shares[0] == pytest.approx(np.mean(minutes <= 5))
    assert fm.median_min == pytest.approx(np.median(minutes[np.isfinite(minutes)]))
    assert fm.targets == ["Beratung D"]
    assert fm.model == "ÖPNV nach Fahrplan feed, Mo 02.06.2014, Abfahrt 07:55"


def test_busiest_stop_counts_boardings_in_the_hour(tmp_path, unit_speed):
    feed = write_feed(tmp_path / "feed.zip")
    # 08:05–09:05: A 08:30, B 08:10 and 08:40, C2 08:30 and 09:00; C and D only alight.
    m = model(feed, depart="08:05")
    assert m.timetable.stop_ids[tm.busiest_stop(m)] == "B"
    m = model(feed, depart="08:35", window=120)  # 08:35–10:35: B 08:40, C2 09:00
    assert m.timetable.stop_ids[tm.busiest_stop(m)] in ("B", "C2")
    assert m.timetable.stop_ids[tm.busiest_stop(model(feed, depart="08:45"))] == "C2"


def test_cli_map_of_the_real_feed(tmp_path, capsys):
    from geo import cli

    out = tmp_path / "cairns.png"
    argv = ["transit", "map", str(CAIRNS), "--depart", "2014-06-02 07:00", "--window", "30"]
    assert cli.main([*argv, "--out", str(out), "--cache", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "ÖPNV-Reisezeit zu: " in text and "Abfahrt 07:00–07:30, Median" in text
    assert "Zellen: " in text and out.stat().st_size > 50_000
    assert gtfs.agencies(CAIRNS) == [
        "Department of Transport and Main Roads - TransLink Division (qconnect)"
    ]
    bad = [*argv, "--to", "145,77", "--out", str(out), "--cache", str(tmp_path)]
    assert cli.main(bad) == 2
    err = capsys.readouterr().err  # a valid point, but in the Arctic
    assert "Ziel 1 (145, 77) liegt " in err and "km von der nächsten Haltestelle" in err
    bad = [*argv, "--to", "145.77;x", "--out", str(out), "--cache", str(tmp_path)]
    assert cli.main(bad) == 2
    assert "--to „145.77;x“: erwartet Länge,Breite in Grad" in capsys.readouterr().err
