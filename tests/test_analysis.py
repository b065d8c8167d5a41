"""Accessibility measures (geo/analysis.py): hand-computed cases, PySAL, properties, tables."""

from __future__ import annotations

import dataclasses
import json
import math
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import analysis, settings, traveltime
from geo._errors import InputError
from geo.analysis import AnalysisParams, analyze
from geo.network import Network
from present import describe
from present import tables as ptables

M = 60.0  # metres per minute in the hand-computed layout (3.6 km/h, detour factor 1)


# ---------------------------------------------------------------------------
# A tiny synthetic region on a line (positions in minutes × 60 m)
# ---------------------------------------------------------------------------
def _box(x0_min: float, x1_min: float):
    return shapely.box(x0_min * M, -10 * M, x1_min * M, 10 * M)


def make_region(
    cells: list[tuple[float, float, str, float]],
    services: list[dict],
    gemeinden: list[tuple[str, str, object]] | None = None,
    name: str = "test",
) -> SimpleNamespace:
    """Region-like object: cells (x_m, y_m, ags, pop), services (dicts with x/y in metres)."""
    cell_df = pd.DataFrame(cells, columns=["x", "y", "ags", "pop"])
    if gemeinden is None:
        gemeinden = [("01", "A", _box(-1e6 / M, 1e6 / M))]
    gem = gpd.GeoDataFrame(
        {"ags": [g[0] for g in gemeinden], "name": [g[1] for g in gemeinden]},
        geometry=[g[2] for g in gemeinden],
        crs=settings.CRS_METRIC,
    )
    rows, geoms = [], []
    for i, s in enumerate(services):
        rows.append(
            {
                "id": s.get("id", f"s{i}"),
                "name": s.get("name", f"Angebot {i}"),
                "category": s.get("category", "Familie"),
                "subcategory": s.get("subcategory", "Familienzentrum"),
                "capacity": s.get("capacity", np.nan),
                "precision": s.get("precision", "coordinates"),
            }
        )
        geoms.append(None if s.get("x") is None else shapely.Point(s["x"], s["y"]))
    svc = gpd.GeoDataFrame(
        pd.DataFrame(
            rows, columns=["id", "name", "category", "subcategory", "capacity", "precision"]
        ),
        geometry=gpd.GeoSeries(geoms, crs=settings.CRS_METRIC),
    )
    meta = {
        "sources": [{"name": "Testdaten", "date": "2025", "attribution": "Test"}],
        "content_hash": "abc",
    }
    return SimpleNamespace(
        name=name, label="Testregion", cells=cell_df, gemeinden=gem, services=svc, meta=meta
    )


@pytest.fixture
def line_region(unit_speed):
    """Cells at 0, 4, 10, 18, 30 min; Familie services at 0 (capacity 2) and 10 min (unknown).

    Gemeinde A = [-2, 7) min holds c0, c1 and s0; B = [7, 35) holds c2, c3, c4 and s1;
    C = [35, 40) has no cell. A Jugend service (s2) and a Familie service without a
    location (s3) must both be ignored for kinds=("Familie",).
    """
    cells = [
        (0 * M, 0.0, "A1", 10.0),
        (4 * M, 0.0, "A1", 20.0),
        (10 * M, 0.0, "B2", 30.0),
        (18 * M, 0.0, "B2", 40.0),
        (30 * M, 0.0, "B2", 50.0),
    ]
    services = [
        {"id": "s0", "x": 0.0, "y": 0.0, "capacity": 2.0, "subcategory": "Familienzentrum"},
        {"id": "s1", "x": 10 * M, "y": 0.0, "subcategory": "Kita"},
        {"id": "s2", "x": 4 * M, "y": 0.0, "category": "Jugend", "subcategory": "Jugendclub"},
        {"id": "s3", "x": None, "y": None, "precision": "not_found", "subcategory": "Kita"},
    ]
    gemeinden = [
        ("A1", "Adorf", _box(-2, 7)),
        ("B2", "Bstadt", _box(7, 35)),
        ("C3", "Cfeld", _box(35, 40)),
    ]
    return make_region(cells, services, gemeinden)


def params(**kw) -> AnalysisParams:
    base = {"kinds": ("Familie",), "target": "pop", "mode": "walk", "threshold_min": 6.0}
    return AnalysisParams(**{**base, **kw})


# ---------------------------------------------------------------------------
# Hand-computed measures
# ---------------------------------------------------------------------------
# Travel times (minutes) with T = 6:   s0 (0 min)  s1 (10 min)
#   c0 at 0, 10 people                  0           10
#   c1 at 4, 20 people                  4            6  (= T: inside, boundary closed)
#   c2 at 10, 30 people                10            0
#   c3 at 18, 40 people                18            8
#   c4 at 30, 50 people                30           20
def test_nearest_within_count(line_region):
    c = analyze(line_region, params()).cells
    assert c["minutes"].tolist() == pytest.approx([0, 4, 0, 8, 20])
    assert c["service_id"].tolist() == ["s0", "s0", "s1", "s1", "s1"]
    assert c["within"].tolist() == [True, True, True, False, False]
    assert c["count"].tolist() == [1, 2, 1, 0, 0]  # c1 reaches s1 at exactly T; c0–s0 at 0 min kept
    assert c["people"].tolist() == [10, 20, 30, 40, 50]


def test_2sfca_by_hand(line_region):
    # demand in catchments: s0: c0 + c1 = 30 → R0 = 2/30; s1: c1 + c2 = 50 → R1 = 1/50 (capacity
    # unknown → 1). A = Σ R over reachable services, × 1000:
    # c0 = 1000/15 = 66.667; c1 = 1000 (1/15 + 1/50) = 86.667; c2 = 20; c3 = c4 = 0
    c = analyze(line_region, params()).cells
    assert c["2sfca"].tolist() == pytest.approx([1000 / 15, 1000 * (1 / 15 + 1 / 50), 20, 0, 0])


def test_e2sfca_step_by_hand(line_region):
    # zones (0,2] → 1, (2,4] → 0.68, (4,6] → 0.22 (upper end closed)
    # weights: c0–s0 (0 min) 1; c1–s0 (4 min) 0.68; c1–s1 (6 min) 0.22; c2–s1 (0 min) 1
    # D0 = 10·1 + 20·0.68 = 23.6 → R0 = 2/23.6;  D1 = 20·0.22 + 30·1 = 34.4 → R1 = 1/34.4
    # A: c0 = R0 = 84.746‰; c1 = 0.68 R0 + 0.22 R1 = 64.022‰; c2 = R1 = 29.070‰
    res = analyze(line_region, params(decay="step"))
    r0, r1 = 2 / 23.6, 1 / 34.4
    expected = [1000 * r0, 1000 * (0.68 * r0 + 0.22 * r1), 1000 * r1, 0, 0]
    assert res.cells["e2sfca"].tolist() == pytest.approx(expected)
    assert res.cells["e2sfca"].tolist() == pytest.approx([84.74576, 64.02247, 29.06977, 0, 0])
    assert res.services["demand_e2sfca"].tolist() == pytest.approx([23.6, 34.4])
    assert res.services["ratio_e2sfca"].tolist() == pytest.approx([1000 * r0, 1000 * r1])


def test_e2sfca_gaussian_by_hand(line_region):
    # w(t) = (exp(-½(t/6)²) − e^-½) / (1 − e^-½): w(0) = 1, w(4) = 0.4935753, w(6) = 0
    # D0 = 10 + 20·0.4935753 = 19.871506 → R0 = 0.1006466; D1 = 30 → R1 = 1/30
    # A: c0 = R0 = 100.647‰; c1 = 0.4935753·R0 + 0 = 49.677‰; c2 = 33.333‰
    w4 = (math.exp(-0.5 * (4 / 6) ** 2) - math.exp(-0.5)) / (1 - math.exp(-0.5))
    assert w4 == pytest.approx(0.4935753, abs=1e-7)
    r0 = 2 / (10 + 20 * w4)
    c = analyze(line_region, params(decay="gaussian")).cells
    assert c["e2sfca"].tolist() == pytest.approx([1000 * r0, 1000 * w4 * r0, 1000 / 30, 0, 0])
    assert c["e2sfca"].tolist() == pytest.approx([100.6467, 49.6766, 33.3333, 0, 0], abs=1e-3)


def test_no_decay_e2sfca_equals_2sfca(line_region):
    c = analyze(line_region, params(decay=None)).cells
    assert c["e2sfca"].tolist() == pytest.approx(c["2sfca"].tolist())


def test_gap_by_hand(line_region):
    # gap = people × max(0, min(t, 3·6) − 6): c3: 40 × (8 − 6) = 80; c4: 50 × (18 − 6) = 600
    c = analyze(line_region, params()).cells
    assert c["gap"].tolist() == pytest.approx([0, 0, 0, 80, 600])
    # a larger cap lets c4 count its full 20 − 6 = 14 minutes
    c = analyze(line_region, params(gap_cap_factor=4.0)).cells
    assert c["gap"].tolist() == pytest.approx([0, 0, 0, 80, 700])


def test_gemeinde_figures_by_hand(line_region):
    res = analyze(line_region, params())
    g = res.gemeinden.set_index("ags")
    assert list(g.index) == ["A1", "B2", "C3"] and g.loc["A1", "name"] == "Adorf"
    a, b, c = g.loc["A1"], g.loc["B2"], g.loc["C3"]
    # A: c0 (0 min, 10 people), c1 (4 min, 20): mean 80/30; cumulative shares 1/3, 1 → median 4
    assert a["people"] == 30 and a["minutes_mean"] == pytest.approx(80 / 30)
    assert a["minutes_median"] == 4 and a["minutes_p90"] == 4
    assert (a["people_within"], a["share_within"], a["people_beyond"]) == (30, 1.0, 0)
    assert a["services_in_gemeinde"] == 1 and a["services_reachable"] == 2
    assert a["services_within_mean"] == pytest.approx((10 * 1 + 20 * 2) / 30)
    # Σ D·A / Σ D: (10·1/15 + 20·(1/15 + 1/50)) / 30 × 1000 = 80
    assert a["2sfca_mean"] == pytest.approx(80.0)
    # (23.6 R0 + 4.4 R1) / 30 × 1000 = (2 + 4.4/34.4) / 30 × 1000
    assert a["e2sfca_mean"] == pytest.approx((2 + 4.4 / 34.4) / 30 * 1000)
    assert a["gap"] == 0 and a["gap_per_1000"] == 0
    # B: c2 (0 min, 30), c3 (8, 40), c4 (20, 50): mean 1320/120 = 11; shares .25, .583, 1
    assert b["people"] == 120 and b["minutes_mean"] == pytest.approx(11.0)
    assert b["minutes_median"] == 8 and b["minutes_p90"] == 20
    assert b["people_within"] == 30 and b["share_within"] == pytest.approx(0.25)
    assert b["people_beyond"] == 90 and b["share_beyond"] == pytest.approx(0.75)
    assert b["services_in_gemeinde"] == 1 and b["services_reachable"] == 1
    assert b["services_within_mean"] == pytest.approx(0.25)
    assert b["2sfca_mean"] == pytest.approx(30 * 20 / 120)
    assert b["gap"] == pytest.approx(680) and b["gap_per_1000"] == pytest.approx(680 / 120 * 1000)
    # C: no cells
    assert c["people"] == 0 and math.isnan(c["share_within"]) and math.isnan(c["minutes_median"])
    assert c["gap"] == 0 and math.isnan(c["gap_per_1000"]) and c["services_reachable"] == 0


def test_region_totals_by_hand(line_region):
    t = analyze(line_region, params()).totals
    assert t["people"] == 150 and t["cells"] == 5 and t["services"] == 2
    assert t["minutes_mean"] == pytest.approx((80 + 1320) / 150)
    # cumulative shares: 0 min 40/150, 4 min 60/150, 8 min 100/150, 20 min 1
    assert t["minutes_median"] == 8 and t["minutes_p90"] == 20
    assert t["people_within"] == 60 and t["share_within"] == pytest.approx(0.4)
    assert t["people_beyond"] == 90 and t["people_unreachable"] == 0
    assert t["services_in_region"] == 2 and t["services_reachable"] == 2
    # 2SFCA conserves supply: Σ D·A = Σ S = 3 → 3 / 150 × 1000 = 20 (E2SFCA likewise)
    assert t["2sfca_mean"] == pytest.approx(20.0) and t["e2sfca_mean"] == pytest.approx(20.0)
    assert t["gap"] == pytest.approx(680) and t["gap_per_1000"] == pytest.approx(680 / 150 * 1000)
    assert [w["ags"] for w in t["worst_gemeinden"]] == ["B2"]  # A has no gap
    assert t["worst_gemeinden"][0]["gap"] == pytest.approx(680)


def test_metadata_traces_parameters_capacity_and_sources(line_region):
    res = analyze(line_region, params())
    meta = res.metadata
    assert meta["params"]["kinds"] == ["Familie"] and meta["threshold_min"] == 6.0
    assert {"code": "capacity_unknown", "n": 1, "capacity": 1.0} in meta["notes"]
    words = describe.notes_text(meta["notes"])
    assert "Kapazität unbekannt: je Angebot 1 angesetzt (1 Angebot)" in words
    assert any("ohne Standort" in n for n in words)  # s3
    assert "Capacity unknown: 1 per service assumed (1 service)" in describe.notes_text(
        meta["notes"], "en"
    )
    assert meta["sources"][0]["name"] == "Testdaten" and meta["content_hash"] == "abc"
    assert meta["model"] == res.model and res.model["kind"] == traveltime.MODEL_FALLBACK
    assert describe.model_text(res).startswith("Luftlinie × Umwegfaktor 1")
    assert meta["service_ids"] == ["s0", "s1"]
    assert "min(t_i, 18)" in describe.result_formulas(res)["gap"]
    assert "min(t_i, 18)" in describe.result_formulas(res, "en")["gap"]
    json.dumps(meta, allow_nan=False)
    assert res.services["capacity_used"].tolist() == [2.0, 1.0]
    assert res.services["capacity_known"].tolist() == [True, False]
    assert res.services["ags"].tolist() == ["A1", "B2"]


def test_unreachable_cells_count_with_the_cap(line_region):
    res = analyze(line_region, params(kinds=("Senioren",)))  # a category without services
    c = res.cells
    assert np.isinf(c["minutes"]).all() and c["service_id"].isna().all()
    assert c["gap"].tolist() == pytest.approx([p * 12 for p in (10, 20, 30, 40, 50)])
    assert res.totals["people_unreachable"] == 150 and res.totals["minutes_mean"] is None
    assert math.isinf(res.gemeinden["minutes_median"].iloc[0])
    assert any("Keine Angebote" in n for n in describe.notes_text(res.metadata["notes"]))


def test_network_model_by_hand():
    # nodes at 0, 600, 1800 m on a line; arcs 120 s and 240 s both ways; cells and the
    # service sit on nodes (access time 0): minutes 0, 2, 6. The cell at the service's node
    # keeps its zero-minute catchment entry (stored as traveltime.CATCHMENT_ZERO_MIN).
    net = Network.from_arcs(
        "walk",
        [0, 1, 1, 2],
        [1, 0, 2, 1],
        [120, 120, 240, 240],
        x=[0.0, 600.0, 1800.0],
        y=[0.0, 0.0, 0.0],
    )
    region = make_region(
        [(0.0, 0.0, "01", 5.0), (600.0, 0.0, "01", 5.0), (1800.0, 0.0, "01", 10.0)],
        [{"id": "n0", "x": 0.0, "y": 0.0, "capacity": 4.0}],
    )
    res = analyze(region, params(threshold_min=5.0), networks={"walk": net})
    c = res.cells
    assert c["minutes"].tolist() == pytest.approx([0, 2, 6])
    assert c["count"].tolist() == [1, 1, 0]
    # R = 4 / (5 + 5) → A = 0.4 = 400 per 1,000; gap: 10 people × (6 − 5) = 10
    assert c["2sfca"].tolist() == pytest.approx([400, 400, 0])
    assert c["gap"].tolist() == pytest.approx([0, 0, 10])
    assert "OSM-Straßennetz (synthetisch)" in describe.model_text(res)
    assert res.model["source"] == "synthetisch" and res.model["kind"] == traveltime.MODEL_NETWORK
    assert res.catchment[0, 0] == traveltime.CATCHMENT_ZERO_MIN


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------
def test_decay_weights_conventions():
    t = np.array([0.0, 5.0, 5.0001, 10.0, 10.5, 15.0, 15.1, np.inf])
    assert analysis.decay_weights(t, 15, "step").tolist() == [1, 1, 0.68, 0.68, 0.22, 0.22, 0, 0]
    g = analysis.decay_weights(np.array([0.0, 15.0, 20.0]), 15, "gaussian")
    assert g.tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert analysis.decay_weights(t, 15, None).tolist() == [1, 1, 1, 1, 1, 1, 0, 0]
    assert analysis.step_bounds(15).tolist() == [5.0, 10.0, 15.0]


def test_weighted_quantiles():
    v = np.array([3.0, 1.0, 4.0, 2.0, 9.0])
    w = np.array([1.0, 1.0, 1.0, 1.0, 0.0])  # the 9 has no weight
    q = analysis.weighted_quantiles(v, w, (0.0, 0.5, 0.9, 1.0))
    assert q.tolist() == [[1.0, 2.0, 4.0, 4.0]]  # median: 2 holds exactly 50 %
    g = np.array([1, 0, 1, 0, 2])
    q = analysis.weighted_quantiles(v, w, (0.5,), groups=g, n_groups=4)
    assert q[:2, 0].tolist() == [1.0, 3.0] and np.isnan(q[2:, 0]).all()
    assert analysis.weighted_quantiles([5.0, np.inf], [1.0, 3.0], (0.5,))[0, 0] == np.inf


def test_service_selection_by_category_and_subcategory(line_region):
    svc = line_region.services
    assert analysis.service_selection(svc, ("Familie",))["id"].tolist() == ["s0", "s1"]
    assert analysis.service_selection(svc, "kita")["id"].tolist() == ["s1"]  # s3 has no location
    assert analysis.service_selection(svc, "Familienzentrum, Jugendclub")["id"].tolist() == [
        "s0",
        "s2",
    ]
    assert analysis.service_selection(svc, "zentrum")["id"].tolist() == ["s0"]  # part of a word
    assert analysis.service_selection(svc, ())["id"].tolist() == ["s0", "s1", "s2"]
    assert analysis.service_selection(svc, ("Youth",))["id"].tolist() == ["s2"]  # English label
    assert analysis.service_selection(svc, ("Senioren",)).empty  # known category, no services
    with pytest.raises(InputError, match="Unbekannte Angebotsart „Zoo“"):
        analysis.service_selection(svc, "Familie,Zoo")


def test_parse_kinds_keeps_commas_in_parentheses():
    assert analysis.parse_kinds(
        "Familie, ThEKiZ (LSZ-gefördert, Kita-Name nicht genannt);Jugend"
    ) == ("Familie", "ThEKiZ (LSZ-gefördert, Kita-Name nicht genannt)", "Jugend")
    assert analysis.parse_kinds(["A, B", "A, B", " "]) == ("A, B",)
    assert analysis.parse_kinds(None) == ()


def test_params_are_hashable_validated_and_defaulted():
    a = AnalysisParams(kinds="Familie,Jugend", mode="bike")
    b = AnalysisParams(kinds=("Familie", "Jugend"), mode="bike", threshold_min=30)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.threshold_min == settings.MODES["bike"].default_threshold_min
    assert a.decay == settings.DEFAULT_DECAY and a.cap_minutes == 90
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.mode = "car"  # type: ignore[misc]
    for bad in (
        {"target": "kids"},
        {"mode": "boat"},
        {"threshold_min": 0},
        {"threshold_min": "viel"},
        {"measure": "x"},
        {"decay": "linear"},
        {"gap_cap_factor": 0.5},
    ):
        with pytest.raises(InputError):
            AnalysisParams(**bad)
    assert AnalysisParams(decay="none").decay is None


def test_suppress_small():
    df = pd.DataFrame({"n": [0, 1, 2, 3, 2.4, 0.4, np.nan, 2.5, 250.0], "other": range(9)})
    out = analysis.suppress_small(df, ["n"])
    assert out["n"].tolist() == [0, "<3", "<3", 3, "<3", 0, None, 3, 250]
    assert out["other"].tolist() == list(range(9))  # other columns untouched
    assert df["n"].iloc[1] == 1  # copy


def test_gemeinde_table_is_german_rounded_and_suppressed(unit_speed):
    # Gemeinde A has 2 people (suppressed), B 50 (shown)
    region = make_region(
        [(0.0, 0.0, "A1", 1.2), (60.0, 0.0, "A1", 0.8), (600.0, 0.0, "B2", 50.0)],
        [{"id": "s0", "x": 0.0, "y": 0.0}],
        [("A1", "Adorf", _box(-2, 5)), ("B2", "Bstadt", _box(5, 20))],
    )
    res = analyze(region, params(threshold_min=5.0))
    codes = analysis.gemeinde_table(res)
    assert list(codes.columns[:3]) == ["ags", "name", "people"] and codes.attrs["suppressed"]
    table = ptables.table(res, suppress=True, total_row=True)
    assert list(table.columns[:4]) == [
        "AGS",
        "Gemeinde",
        "Zielgruppe (Personen)",
        "Wegezeit Mittel (min)",
    ]
    assert "Anteil erreichbar (%)" in table.columns and "bis 5 min (Personen)" in table.columns
    assert table["Gemeinde"].tolist() == ["Adorf", "Bstadt", "Region insgesamt"]
    assert table["Zielgruppe (Personen)"].tolist() == ["<3", 50, 52]
    assert table["bis 5 min (Personen)"].tolist() == ["<3", 0, "<3"]
    assert table["Anteil erreichbar (%)"].tolist() == [100.0, 0.0, pytest.approx(3.8)]
    assert table["über 5 min (Personen)"].tolist() == [0, 50, 50]
    raw = ptables.table(res, suppress=False, total_row=False)
    assert raw["Zielgruppe (Personen)"].tolist() == [2, 50]
    assert table.attrs["model"] == res.model and table.attrs["sources"]
    hh = ptables.column_labels("single_parent_hh", 7.5)
    assert hh["people_within"] == "bis 7,5 min (Haushalte)"
    assert hh["gap"] == "Lückenwert (Haushalts-Minuten)"


def test_cli_payload_is_json_and_suppressed(line_region):
    line_region.cells.loc[0, "pop"] = 1.0  # Adorf: 21 people, c0 alone is not shown anywhere
    line_region.gemeinden.loc[2, "geometry"] = _box(35, 40)
    line_region.cells.loc[len(line_region.cells)] = [36 * M, 0.0, "C3", 2.0]  # Cfeld: 2 people
    payload = analysis.cli_payload(line_region, params())
    text = json.dumps(payload, allow_nan=False, ensure_ascii=False)
    assert json.loads(text)["region"] == "test"
    rows = {r["ags"]: r for r in payload["gemeinden"]}
    assert rows["C3"]["people"] == "<3" and rows["A1"]["people"] == 21
    assert payload["totals"]["people"] == 143 and payload["totals"]["services"] == 2
    assert "columns" not in payload  # labels are the CLI's (present.tables)
    assert payload["model"]["kind"] == traveltime.MODEL_FALLBACK
    # one ranking with the app (analysis.gap_ranking): gap score per 1,000 first
    worst = payload["totals"]["worst_gemeinden"]
    assert [(w["ags"], w["gap_per_1000"], w["minutes_mean"]) for w in worst] == [
        ("C3", 12000, 26.0),
        ("B2", 5667, 11.0),
    ]


# ---------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------
coords = st.floats(0, 5000, allow_nan=False, allow_infinity=False)
cell_st = st.tuples(coords, coords, st.floats(0, 200, allow_nan=False))
svc_st = st.tuples(coords, coords, st.one_of(st.none(), st.floats(0, 20, allow_nan=False)))


def _random_region(cells, services):
    gem = [
        ("L", "Links", shapely.box(-1, -1, 2500, 5001)),
        ("R", "Rechts", shapely.box(2500, -1, 5001, 5001)),
        ("E", "Leer", shapely.box(6000, 0, 7000, 1000)),
    ]
    return make_region(
        [(x, y, "L" if x < 2500 else "R", p) for x, y, p in cells],
        [
            {"id": f"s{i}", "x": x, "y": y, "capacity": np.nan if c is None else c}
            for i, (x, y, c) in enumerate(services)
        ],
        gem,
    )


FAST = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(
    st.lists(cell_st, min_size=1, max_size=25),
    st.lists(svc_st, max_size=6),
    st.floats(1, 90),
    st.sampled_from(["walk", "bike", "car"]),
    st.sampled_from(["step", "gaussian", None]),
)
def test_property_shares_and_people_add_up(cells, services, threshold, mode, decay):
    res = analyze(
        _random_region(cells, services),
        AnalysisParams(kinds=(), mode=mode, threshold_min=threshold, decay=decay),
    )
    for frame in (res.gemeinden, pd.DataFrame([res.totals])):
        for col in ("share_within", "share_beyond"):
            s = frame[col].dropna().astype(float)
            assert ((s >= 0) & (s <= 1)).all()
        np.testing.assert_allclose(
            frame["people_within"].astype(float) + frame["people_beyond"].astype(float),
            frame["people"].astype(float),
            rtol=1e-9,
            atol=1e-9,
        )
    assert res.gemeinden["people"].sum() == pytest.approx(res.totals["people"])
    assert (res.cells["gap"] >= 0).all() and res.gemeinden["gap"].min() >= 0
    # 2SFCA/E2SFCA conserve supply: Σ D·A = Σ capacity of services with demand in reach
    people = res.cells["people"].to_numpy()
    for col in ("2sfca", "e2sfca"):
        demand = res.services[f"demand_{col}"].to_numpy()
        supplied = res.services["capacity_used"].to_numpy()[demand > analysis.MIN_DEMAND].sum()
        assert (people * res.cells[col]).sum() / 1000 == pytest.approx(supplied, rel=1e-9, abs=1e-9)
    # the catchment count agrees with the independent count_within
    xy = res.cells[["x", "y"]].to_numpy(float)
    sxy = (
        np.column_stack([res.services.geometry.x, res.services.geometry.y])
        if len(res.services)
        else np.empty((0, 2))
    )
    expected = traveltime.count_within(xy, sxy, mode, threshold)
    assert np.abs(res.cells["count"].to_numpy() - expected).max(initial=0) == 0


@FAST
@given(
    st.lists(cell_st, min_size=1, max_size=25),
    st.lists(svc_st, min_size=1, max_size=6),
    st.sampled_from(["walk", "bike", "car"]),
)
def test_property_no_gap_when_threshold_covers_every_time(cells, services, mode):
    region = _random_region(cells, services)
    first = analyze(region, AnalysisParams(mode=mode, threshold_min=5))
    longest = float(first.cells["minutes"].max())
    res = analyze(region, AnalysisParams(mode=mode, threshold_min=max(longest, 0.01)))
    assert (res.cells["gap"] == 0).all() and res.totals["gap"] == 0
    assert res.cells["within"].all()
    assert res.totals["people_beyond"] == 0


@FAST
@given(
    st.lists(cell_st, min_size=1, max_size=25),
    st.lists(svc_st, max_size=5),
    svc_st,
    st.floats(1, 60),
    st.sampled_from(["walk", "bike", "car"]),
)
def test_property_adding_a_service_never_hurts(cells, services, extra, threshold, mode):
    p = AnalysisParams(mode=mode, threshold_min=threshold)
    before = analyze(_random_region(cells, services), p).cells
    after = analyze(_random_region(cells, [*services, extra]), p).cells
    assert (after["minutes"].to_numpy() <= before["minutes"].to_numpy() + 1e-9).all()
    assert (after["gap"].to_numpy() <= before["gap"].to_numpy() + 1e-9).all()
    assert after["gap"].sum() <= before["gap"].sum() + 1e-9
    assert (after["count"].to_numpy() >= before["count"].to_numpy()).all()


# ---------------------------------------------------------------------------
# The default region: PySAL access, consistency, speed
# ---------------------------------------------------------------------------
def _pysal(res, threshold, weight_fn=None):
    from access import Access

    cm = res.catchment.tocoo()
    cost = pd.DataFrame({"origin": cm.row, "dest": cm.col, "cost": cm.data})
    demand = pd.DataFrame(
        {"cell": np.arange(len(res.cells)), "demand": res.cells["people"].to_numpy()}
    )
    supply = pd.DataFrame(
        {"sid": np.arange(len(res.services)), "cap": res.services["capacity_used"].to_numpy()}
    )
    acc = Access(
        demand_df=demand,
        demand_index="cell",
        demand_value="demand",
        supply_df=supply,
        supply_index="sid",
        supply_value="cap",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    if weight_fn is None:
        out = acc.two_stage_fca(name="a", max_cost=threshold)
    else:
        out = acc.enhanced_two_stage_fca(name="a", max_cost=threshold, weight_fn=weight_fn)
    # PySAL leaves cells without any service in reach out (NaN): their access is 0
    return out["a_cap"].reindex(range(len(res.cells))).fillna(0.0).to_numpy() * 1000


@pytest.mark.parametrize(
    "kinds,target,mode,decay",
    [
        (("Jugend",), "u18", "bike", "step"),
        (("Familie", "Beratung"), "single_parent_hh", "car", "gaussian"),
        ((), "pop", "walk", "step"),
    ],
)
def test_2sfca_and_e2sfca_equal_pysal_access(tmp_default_region, kinds, target, mode, decay):
    from access import weights

    p = AnalysisParams(kinds=kinds, target=target, mode=mode, decay=decay)
    res = analyze(tmp_default_region, p)
    T = p.threshold_min
    # PySAL divides by zero for a service whose catchment holds cells but no demand
    in_reach = res.catchment.getnnz(axis=0) > 0
    assert (res.services["demand_2sfca"].to_numpy()[in_reach] > 0).all()
    ours2, ourse = res.cells["2sfca"].to_numpy(), res.cells["e2sfca"].to_numpy()
    assert np.abs(_pysal(res, T) - ours2).max() < 1e-9 * max(1.0, ours2.max())
    if decay == "step":  # PySAL's own step function with the Luo & Qi zones of T
        fn = weights.step_fn(
            dict(zip(analysis.step_bounds(T).tolist(), settings.E2SFCA_STEP_WEIGHTS, strict=True))
        )
    else:

        def fn(t):
            return float(analysis.decay_weights(np.array([t]), T, "gaussian")[0])

    assert np.abs(_pysal(res, T, fn) - ourse).max() < 1e-9 * max(1.0, ourse.max())
    assert not np.allclose(ours2, ourse)  # the decay matters


def test_default_region_consistency(tmp_default_region):
    p = AnalysisParams(kinds=("Jugend",), target="u18", mode="bike")
    res = analyze(tmp_default_region, p)
    assert len(res.cells) == len(tmp_default_region.cells)
    assert res.cells.index.equals(tmp_default_region.cells.index)
    assert len(res.gemeinden) == len(tmp_default_region.gemeinden) == 65
    assert res.gemeinden["people"].sum() == pytest.approx(tmp_default_region.cells["u18"].sum())
    assert (res.cells["within"] == (res.cells["count"] > 0)).all()
    assert res.totals["services_in_region"] <= res.totals["services"]
    assert 0 < res.totals["share_within"] < 1
    table = ptables.table(res, suppress=True, total_row=True)
    assert len(table) == 66 and table["Gemeinde"].iloc[-1] == "Region insgesamt"
    json.dumps(analysis.cli_payload(tmp_default_region, p), allow_nan=False)


def test_default_recompute_is_fast(tmp_default_region):
    import time

    p = AnalysisParams(kinds=("Familie",), target="single_parent_hh", mode="car")
    analyze(tmp_default_region, p)  # warm-up
    t0 = time.perf_counter()
    analyze(tmp_default_region, p)
    assert time.perf_counter() - t0 < 1.0


def test_need_weights_scale_gap_per_gemeinde(unit_speed):
    """Need weights multiply the gap score of each Gemeinde's cells and nothing else."""
    gem = [("16065001", "A", _box(-2, 7)), ("16065002", "B", _box(7, 35))]
    region = make_region(
        [
            (0.0, 0.0, "16065001", 10.0),
            (12 * M, 0.0, "16065001", 20.0),
            (20 * M, 0.0, "16065002", 30.0),
        ],
        [{"id": "s0", "x": 0.0, "y": 0.0}],
        gem,
    )
    params = analysis.AnalysisParams(kinds=("Familie",), target="pop", mode="walk", threshold_min=5)
    plain = analysis.analyze(region, params)
    weighted = analysis.analyze(region, params, need_weights={"16065002": 2.0})
    a = plain.cells.groupby("ags")["gap"].sum()
    b = weighted.cells.groupby("ags")["gap"].sum()
    # By hand: 20 people × (12 − 5) min = 140; 30 × (15 − 5) = 300, weighted × 2 = 600.
    assert a["16065001"] == pytest.approx(140.0) and a["16065002"] == pytest.approx(300.0)
    assert b["16065002"] == pytest.approx(600.0)
    assert b["16065001"] == pytest.approx(140.0)  # no weight given: counts with 1
    assert (weighted.cells["minutes"] == plain.cells["minutes"]).all()
    assert weighted.totals["gap"] == pytest.approx(740.0)
    assert "bedarfsgewichtet" in describe.result_formulas(weighted)["gap"]
    assert weighted.metadata["need_weighting"]["weights"] == {"16065002": 2.0}


@pytest.mark.parametrize("status", ["geschlossen", " Pausiert ", "geplant"])
def test_closed_paused_or_planned_services_are_not_provision(unit_speed, status):
    # one cell 2 min from s0 and 4 min from s1: with s0 inactive the nearest is s1
    region = make_region(
        [(2 * M, 0.0, "01", 10.0)],
        [{"id": "s0", "x": 0.0, "y": 0.0}, {"id": "s1", "x": 6 * M, "y": 0.0}],
    )
    region.services["status"] = [status, "aktiv"]
    res = analyze(region, params())
    assert res.cells["minutes"].tolist() == pytest.approx([4.0])
    assert res.metadata["service_ids"] == ["s1"]
    assert {"code": "inactive", "n": 1} in res.metadata["notes"]
    assert analysis.service_selection(region.services, ("Familie",))["id"].tolist() == ["s1"]
    region.services["status"] = ["aktiv", None]  # missing status counts as active
    assert analyze(region, params()).cells["minutes"].tolist() == pytest.approx([2.0])
