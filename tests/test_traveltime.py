"""Travel-time fields: hand-computed tiny graphs, properties, fallback, CSV, real data."""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import settings
from geo import traveltime as tt
from geo._errors import InputError, NetworkError
from geo._text import de_decimal
from geo.network import Network, access_speed_mps, lonlat_to_xy
from present import describe

from ._osmdata import nb_networks, require_nb

WALK_MPS = settings.WALK_SPEED_KMH / 3.6  # 1.25 m/s


# ---------------------------------------------------------------------------
# A 4-node line: 0 —60 s— 1 —60 s— 2 —60 s— 3, nodes 100 m apart
# ---------------------------------------------------------------------------
@pytest.fixture
def line() -> Network:
    u = [0, 1, 1, 2, 2, 3]
    v = [1, 0, 2, 1, 3, 2]
    return Network.from_arcs("walk", u, v, [60.0] * 6, [0.0, 100.0, 200.0, 300.0], [0.0] * 4)


CELLS = np.array(
    [
        [0.0, 25.0],  # node 0, 25 m → 20 s access
        [300.0, 0.0],  # node 3, on it
        [100.0, 12.5],  # node 1, 10 s access
        [5000.0, 0.0],
    ]
)  # off the network
SERVICES = np.array(
    [
        [0.0, 0.0],  # node 0, no access
        [300.0, 50.0],
    ]
)  # node 3, 40 s access


def test_nearest_field_by_hand(line):
    f = tt.nearest_field(CELLS, SERVICES, "walk", line)
    np.testing.assert_allclose(f.minutes[:3], np.array([20.0, 40.0, 70.0]) / 60.0, atol=1e-12)
    assert f.minutes[3] == np.inf
    assert f.nearest.tolist() == [0, 1, 0, -1]
    assert f.off_network.tolist() == [False, False, False, True]
    assert f.routable_share == 0.75
    assert f.coverage() == {"code": "off_network", "share": 0.75, "cells": 1, "limit_m": 1000.0}
    assert describe.note_text(f.coverage()) == (
        "75,0\xa0% der Zellen liegen am Straßennetz; ohne Reisezeit (weiter als 1.000 m davon "
        "entfernt): 1 Zelle."
    )
    assert f.model_kind == "network:osm"
    assert describe.model_text(f) == "OSM-Straßennetz (synthetisch), zu Fuß 4,5 km/h"
    assert f.service_off_network.tolist() == [False, False]


def test_max_minutes_limits_search(line):
    f = tt.nearest_field(CELLS, SERVICES, "walk", line, max_minutes=1.0)
    np.testing.assert_allclose(f.minutes[:2], [20 / 60, 40 / 60])
    assert f.minutes[2] == np.inf and f.nearest[2] == -1  # 70 s > 60 s


def test_count_within_and_catchment_by_hand(line):
    counts = tt.count_within(CELLS, SERVICES, "walk", 3.0, line)
    assert counts.tolist() == [1, 2, 2, 0]
    mat = tt.catchment_matrix(CELLS, SERVICES, "walk", 3.0, line)
    assert mat.shape == (4, 2)
    expected = {(0, 0): 20, (1, 0): 180, (1, 1): 40, (2, 0): 70, (2, 1): 170}
    got = {(int(i), int(j)): v * 60 for i, j, v in zip(*mat.nonzero(), mat.data, strict=True)}
    assert got.keys() == expected.keys()
    for key, seconds in expected.items():
        assert got[key] == pytest.approx(seconds, abs=1e-9)
    np.testing.assert_array_equal(mat.getnnz(axis=1), counts)


def test_catchment_keeps_zero_minutes(line):
    mat = tt.catchment_matrix(np.array([[0.0, 0.0]]), SERVICES, "walk", 1.0, line)
    assert mat.nnz == 1 and mat[0, 0] == tt.CATCHMENT_ZERO_MIN
    fb = tt.catchment_matrix(np.array([[5.0, 5.0]]), np.array([[5.0, 5.0]]), "walk", 1.0)
    assert fb.nnz == 1 and fb.data[0] == tt.CATCHMENT_ZERO_MIN


def test_access_time_also_in_car_mode():
    net = Network.from_arcs("car", [0, 1], [1, 0], [30.0, 30.0], [0.0, 1000.0], [0.0, 0.0])
    f = tt.nearest_field(np.array([[0.0, 100.0]]), np.array([[1000.0, 50.0]]), "car", net)
    # 100 m + 50 m walked at 4.5 km/h, plus 30 s driving
    assert f.minutes[0] * 60 == pytest.approx(150 / WALK_MPS + 30)
    slow = Network.from_arcs("walk_slow", [0, 1], [1, 0], [1.0, 1.0], [0.0, 1000.0], [0.0, 0.0])
    g = tt.nearest_field(np.array([[0.0, 35.0]]), np.array([[1000.0, 0.0]]), "walk_slow", slow)
    assert g.minutes[0] * 60 == pytest.approx(35 / access_speed_mps("walk_slow") + 1.0)


def test_one_way_streets_respected():
    # 0 → 1 → 2 quickly, back from 2 to 0 only by a slow road
    net = Network.from_arcs(
        "car", [0, 1, 2], [1, 2, 0], [10.0, 10.0, 100.0], [0.0, 100.0, 200.0], [0.0, 0.0, 0.0]
    )
    at = net.xy
    to_0 = tt.nearest_field(at[[2]], at[[0]], "car", net)
    to_2 = tt.nearest_field(at[[0]], at[[2]], "car", net)
    assert to_0.minutes[0] * 60 == pytest.approx(100.0)
    assert to_2.minutes[0] * 60 == pytest.approx(20.0)
    od = tt.od_matrix(at, at, "car", net) * 60
    np.testing.assert_allclose(od, [[0, 10, 20], [110, 0, 10], [100, 110, 0]])
    mat = tt.catchment_matrix(at, at[[0]], "car", 1.0, net)
    assert mat.getnnz(axis=1).tolist() == [1, 0, 0]


def test_snap_flagging_services_and_cells(line):
    services = np.vstack([SERVICES, [[5000.0, 5000.0]]])
    f = tt.nearest_field(CELLS, services, "walk", line)
    assert f.service_off_network.tolist() == [False, False, True]
    assert 2 not in f.nearest
    assert tt.count_within(CELLS, services, "walk", 60, line).tolist() == [2, 2, 2, 0]
    od = tt.od_matrix(CELLS, services, "walk", line)
    assert np.isinf(od[3]).all() and np.isinf(od[:, 2]).all()
    empty = tt.nearest_field(CELLS, np.zeros((0, 2)), "walk", line)
    assert np.isinf(empty.minutes).all() and (empty.nearest == -1).all()


def test_region_outside_network_is_an_error(line):
    far = np.array([[50_000.0, 0.0], [60_000.0, 0.0]])
    with pytest.raises(NetworkError, match="außerhalb des Netzes"):
        tt.nearest_field(far, SERVICES, "walk", line)
    with pytest.raises(NetworkError, match="Zielpunkte"):
        tt.od_matrix(CELLS, far, "walk", line)
    with pytest.raises(NetworkError):
        tt.catchment_matrix(far, SERVICES, "walk", 10, line)


def test_mode_and_input_checks(line):
    with pytest.raises(InputError, match="Verkehrsart"):
        tt.nearest_field(CELLS, SERVICES, "boat")
    with pytest.raises(InputError, match="gilt für"):
        tt.nearest_field(CELLS, SERVICES, "car", line)
    with pytest.raises(InputError, match=r"\(n, 2\)"):
        tt.nearest_field(np.zeros((3, 3)), SERVICES, "walk")


# ---------------------------------------------------------------------------
# Property: one multi-source search == min over per-service single-source searches
# ---------------------------------------------------------------------------
@st.composite
def graphs(draw):
    n = draw(st.integers(2, 9))
    cells = draw(
        st.lists(
            st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=n, max_size=n, unique=True
        )
    )
    xy = np.array(cells, dtype=float) * 100.0
    arcs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.0, 500.0)),
            min_size=1,
            max_size=3 * n,
        )
    )
    offsets = st.tuples(st.integers(0, n - 1), st.floats(-40, 40), st.floats(-40, 40))
    pts = draw(st.lists(offsets, min_size=1, max_size=8))
    svc = draw(st.lists(offsets, min_size=0, max_size=4))
    limit = draw(st.one_of(st.none(), st.floats(0.5, 20.0)))
    return xy, arcs, pts, svc, limit


@given(graphs())
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_nearest_field_equals_min_of_single_source_dijkstra(case):
    xy, arcs, pts, svc, limit = case
    arcs = [(a, b, w) for a, b, w in arcs if a != b]
    u = [a for a, _, _ in arcs]
    v = [b for _, b, _ in arcs]
    w = [c for _, _, c in arcs]
    net = Network.from_arcs("walk", u, v, w, xy[:, 0], xy[:, 1])
    G = nx.DiGraph()
    G.add_nodes_from(range(len(xy)))
    for a, b, c in arcs:
        if not G.has_edge(a, b) or G[a][b]["weight"] > c:
            G.add_edge(a, b, weight=c)
    cells = np.array([xy[k] + (dx, dy) for k, dx, dy in pts])
    services = np.array([xy[k] + (dx, dy) for k, dx, dy in svc]).reshape(-1, 2)
    field = tt.nearest_field(cells, services, "walk", net, max_minutes=limit)
    # reference: for each service, a single-source Dijkstra on the reversed graph
    best = np.full(len(cells), np.inf)
    per_service = np.full((len(cells), len(services)), np.inf)
    for j, (k, dx, dy) in enumerate(svc):
        to_j = nx.single_source_dijkstra_path_length(G.reverse(copy=False), k)
        acc_j = np.hypot(dx, dy) / WALK_MPS
        for i, (c, cx, cy) in enumerate(pts):
            if c in to_j:
                per_service[i, j] = np.hypot(cx, cy) / WALK_MPS + to_j[c] + acc_j
        best = per_service.min(axis=1) if len(services) else best
    if limit is not None:
        best = np.where(best <= limit * 60, best, np.inf)
    np.testing.assert_allclose(field.minutes * 60, best, rtol=1e-9, atol=1e-6)
    hit = np.isfinite(best)
    assert (field.nearest[~hit] == -1).all()
    chosen = per_service[np.flatnonzero(hit), field.nearest[hit]]
    np.testing.assert_allclose(chosen, best[hit], rtol=1e-9, atol=1e-6)
    if len(services):
        cutoff = 5.0
        counts = tt.count_within(cells, services, "walk", cutoff, net)
        np.testing.assert_array_equal(counts, (per_service <= cutoff * 60 + 1e-9).sum(axis=1))


# ---------------------------------------------------------------------------
# Fallback model
# ---------------------------------------------------------------------------
def test_fallback_uses_settings_detour_factors(monkeypatch):
    cells = np.array([[0.0, 0.0], [3000.0, 4000.0]])
    services = np.array([[0.0, 1000.0]])
    for mode in settings.MODES:
        f = tt.nearest_field(cells, services, mode)
        speed = settings.FALLBACK_CAR_SPEED_KMH if mode == "car" else settings.MODES[mode].speed_kmh
        expect = (
            np.array([1000.0, np.hypot(3000, 3000)])
            * settings.DETOUR_FACTORS[mode]
            / (speed / 3.6)
            / 60
        )
        np.testing.assert_allclose(f.minutes, expect)
        assert f.model_kind == "fallback:straight-line×detour"
        assert not f.off_network.any()
    monkeypatch.setitem(settings.DETOUR_FACTORS, "walk", 2.0)
    f = tt.nearest_field(cells, services, "walk")
    assert f.minutes[0] == pytest.approx(1000 * 2.0 / WALK_MPS / 60)
    assert describe.model_text(f) == "Luftlinie × Umwegfaktor 2, zu Fuß 4,5 km/h"
    monkeypatch.setattr(settings, "FALLBACK_CAR_SPEED_KMH", 36.0)
    g = tt.nearest_field(cells, services, "car")
    assert g.minutes[0] == pytest.approx(1000 * settings.DETOUR_FACTORS["car"] / 10.0 / 60)
    assert "Ø 36 km/h" in describe.model_text(g)


def test_model_labels():
    assert describe.model_words(tt.model_info("bike")) == (
        f"Luftlinie × Umwegfaktor {de_decimal(settings.DETOUR_FACTORS['bike'])}, Fahrrad 15 km/h"
    )
    assert describe.model_words(tt.model_info("bike"), "en").startswith("Straight line")
    assert "," in de_decimal(1.25) and de_decimal(1.30) == "1,3" and de_decimal(15.0, 1) == "15"
    net = Network.from_arcs(
        "bike", [0], [1], [1.0], [0.0, 1.0], [0.0, 0.0], meta={"source": "north-bayreuth.osm.gz"}
    )
    assert tt.model_info("bike", net) == {
        "kind": tt.MODEL_NETWORK,
        "mode": "bike",
        "source": "north-bayreuth.osm.gz",
        "speed_kmh": 15.0,
    }
    assert (
        describe.model_words(tt.model_info("bike", net))
        == "OSM-Straßennetz (north-bayreuth.osm.gz), Fahrrad 15 km/h"
    )
    assert describe.model_words(tt.model_info("walk", None)).endswith("zu Fuß 4,5 km/h")


def test_fallback_consistency_and_brute_force():
    rng = np.random.default_rng(3)
    cells = rng.uniform(0, 20_000, (2000, 2))
    services = rng.uniform(0, 20_000, (30, 2))
    d = np.hypot(*(cells[:, None, :] - services[None, :, :]).transpose(2, 0, 1))
    minutes = d * settings.DETOUR_FACTORS["bike"] / (15 / 3.6) / 60
    f = tt.nearest_field(cells, services, "bike")
    np.testing.assert_allclose(f.minutes, minutes.min(axis=1))
    assert (f.nearest == minutes.argmin(axis=1)).all()
    mat = tt.catchment_matrix(cells, services, "bike", 20, None)
    np.testing.assert_array_equal(mat.getnnz(axis=1), (minutes <= 20).sum(axis=1))
    np.testing.assert_array_equal(
        tt.count_within(cells, services, "bike", 20), (minutes <= 20).sum(axis=1)
    )
    np.testing.assert_allclose(mat.toarray()[minutes <= 20], minutes[minutes <= 20])
    np.testing.assert_allclose(tt.od_matrix(cells[:50], services, "bike"), minutes[:50])
    limited = tt.nearest_field(cells, services, "bike", max_minutes=10)
    far = minutes.min(axis=1) > 10
    assert np.isinf(limited.minutes[far]).all() and (limited.nearest[far] == -1).all()


def test_fallback_is_fast_for_100k_cells():
    rng = np.random.default_rng(0)
    cells = rng.uniform(0, 60_000, (100_000, 2))
    services = rng.uniform(0, 60_000, (100, 2))
    t0 = time.perf_counter()
    f = tt.nearest_field(cells, services, "walk")
    c = tt.count_within(cells, services, "walk", 30)
    m = tt.catchment_matrix(cells, services, "walk", 30)
    elapsed = time.perf_counter() - t0
    assert np.isfinite(f.minutes).all() and c.sum() == m.nnz
    assert elapsed < 3.0, elapsed


# ---------------------------------------------------------------------------
# CSV origin–destination
# ---------------------------------------------------------------------------
def test_od_from_csv_fallback(tmp_path):
    a = tmp_path / "von.csv"
    a.write_text("id;lat;lon\nA;50,0;11,5\nB;50,01;11,5\n", encoding="cp1252")
    b = tmp_path / "nach.csv"
    b.write_text("ID,Latitude,Longitude\nK1,50.0,11.5\n")
    df = tt.od_from_csv(a, b, "walk")
    assert list(df.index) == ["A", "B"] and list(df.columns) == ["K1"]
    assert df.loc["A", "K1"] == 0.0
    metres = np.hypot(*(lonlat_to_xy([11.5], [50.01])[0] - lonlat_to_xy([11.5], [50.0])[0]))
    assert df.loc["B", "K1"] == pytest.approx(
        round(metres * settings.DETOUR_FACTORS["walk"] / WALK_MPS / 60, 1)
    )
    assert describe.model_words(df.attrs["model"]).startswith("Luftlinie")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("", "leer"),
        ("name,lat,lon\nA,50,11\n", "id"),
        ("id,lat\nA,50\n", "lon"),
        ("id,lat,lon\n", "keine Datenzeilen"),
    ],
)
def test_bad_csv_file_level(tmp_path, content, match):
    p = tmp_path / "x.csv"
    p.write_text(content)
    with pytest.raises(InputError, match=match):
        tt.read_points_csv(p)


def test_bad_csv_rows_named(tmp_path):
    p = tmp_path / "punkte.csv"
    p.write_text("id,lat,lon\nA,50.0,11.5\nA,50.1,11.5\nC,abc,11.5\nD,95,11.5\n,50,11\n")
    with pytest.raises(InputError) as exc:
        tt.read_points_csv(p)
    text = str(exc.value)
    assert "Datei punkte.csv, Zeile 2, Spalte „id“" in text  # duplicate
    assert "Zeile 3, Spalte „lat“: „abc“ ist keine Zahl" in text
    assert "Zeile 4, Spalte „lat“" in text and "zwischen -90 und 90" in text
    assert "Zeile 5, Spalte „id“: Die id fehlt" in text
    assert {(p.row, p.column) for p in exc.value.problems} == {
        (2, "id"),
        (3, "lat"),
        (4, "lat"),
        (5, "id"),
    }


# ---------------------------------------------------------------------------
# Real network
# ---------------------------------------------------------------------------
def test_real_network_fields_and_od_csv(tmp_path):
    require_nb()
    nets = nb_networks()
    walk = nets["walk"]
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = walk.bounds
    cells = np.column_stack([rng.uniform(x0, x1, 3000), rng.uniform(y0, y1, 3000)])
    services = walk.xy[rng.choice(walk.n_nodes, 8, replace=False)]
    for mode, net in nets.items():
        f = tt.nearest_field(cells, services, mode, net)
        assert 0.9 < f.routable_share <= 1.0
        fb = tt.nearest_field(cells, services, mode)
        on = np.isfinite(f.minutes)
        assert np.median(f.minutes[on]) > 0.5 * np.median(fb.minutes[on])
        od = tt.od_matrix(cells[:40], services, mode, net)
        fin = np.isfinite(f.minutes[:40])
        np.testing.assert_allclose(od.min(axis=1)[fin], f.minutes[:40][fin], rtol=1e-12)
    (tmp_path / "a.csv").write_text("id,lat,lon\nNeudrossenfeld,50.0175,11.5010\nweit,48.0,11.0\n")
    (tmp_path / "b.csv").write_text("id,lat,lon\nHarsdorf,50.0263,11.5690\n")
    df = tt.od_from_csv(tmp_path / "a.csv", tmp_path / "b.csv", "car", nets["car"])
    assert 5 < df.loc["Neudrossenfeld", "Harsdorf"] < 30
    assert np.isnan(df.loc["weit", "Harsdorf"]) and df.attrs["off_network"] == ["weit"]
    assert describe.model_words(df.attrs["model"]).startswith(
        "OSM-Straßennetz (north-bayreuth.osm.gz), Auto"
    )


def test_calibrated_factors_are_reproducible():
    """settings.DETOUR_FACTORS are what the documented calibration produces."""
    require_nb()
    nets = nb_networks()
    result = tt.calibrate_detour({m: nets[m] for m in ("walk", "bike", "car")})
    for mode, value in result["detour"].items():
        assert settings.DETOUR_FACTORS[mode] == pytest.approx(round(value, 2), abs=1e-9), mode
    assert settings.DETOUR_FACTORS["walk_slow"] == settings.DETOUR_FACTORS["walk"]
    assert round(result["car_speed_kmh"]) == settings.FALLBACK_CAR_SPEED_KMH
    table = result["table"]
    assert set(table["band"]) >= {"0–1 km", "1–2 km", "2–5 km", "5–10 km", "alle"}
    assert (table.loc[table["band"] == "alle", "median"] > 1.0).all()
