"""Planning standards (geo/standards.py, geo/standards_check.py): hand-computed checks per rule
kind, size-class boundaries, scenario and target year, planning regions, bad standards files."""

from __future__ import annotations

import dataclasses
import io
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import Workbook

from geo import demand, planning, settings, standards
from geo import standards_check as sc
from geo._errors import InputError
from geo.scenario import AddSite, CloseSite, Scenario

M = 60.0  # metres per minute (unit_speed fixture: 3.6 km/h, detour factor 1)
HEADER = (
    "Regel;Art;Aktiv;Kategorie;Einrichtungstyp;Größenklasse von;Größenklasse bis;"
    "Zielgruppe;je Personen;Soll;Einheit;Bezug;Verkehrsmittel;max. Minuten;Gebiet;Quelle"
)


@dataclasses.dataclass
class FakeRegion:
    """Region-like dataclass (``demand.for_region`` uses ``dataclasses.replace``)."""

    name: str
    label: str
    cells: pd.DataFrame
    gemeinden: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    meta: dict

    def networks(self, modes=None) -> dict:
        return {}


def _box(x0_min: float, x1_min: float) -> shapely.Geometry:
    return shapely.box(x0_min * M, -10 * M, x1_min * M, 10 * M)


def make_region(cells, services, gemeinden) -> FakeRegion:
    """Cells (x_min, ags, pop); services dicts with x_min; Gemeinden (ags, name, x0, x1)."""
    cdf = pd.DataFrame({"x": [c[0] * M for c in cells], "y": 0.0, "ags": [c[1] for c in cells]})
    for code in settings.TARGET_GROUPS:  # every group = inhabitants × a fixed share
        share = {"pop": 1.0, "u18": 0.2, "u10": 0.1, "age10_17": 0.1}.get(code, 0.05)
        cdf[code] = [c[2] * share for c in cells]
    gem = gpd.GeoDataFrame(
        {
            "ags": [g[0] for g in gemeinden],
            "name": [g[1] for g in gemeinden],
            "kreis_name": [
                "Kyffhäuserkreis" if g[0].startswith("16065") else "Sömmerda" for g in gemeinden
            ],
        },
        geometry=[_box(g[2], g[3]) for g in gemeinden],
        crs=settings.CRS_METRIC,
    )
    rows = [
        {
            "id": s.get("id", f"s{i}"),
            "name": s.get("name", f"Angebot {i}"),
            "category": s.get("category", "Jugend"),
            "subcategory": s.get("subcategory", "Jugendclub"),
            "capacity": s.get("capacity", np.nan),
            "precision": "coordinates",
            **({"VZÄ": s["vza"]} if "vza" in s else {}),
        }
        for i, s in enumerate(services)
    ]
    svc = gpd.GeoDataFrame(
        pd.DataFrame(rows),
        geometry=gpd.GeoSeries(
            [shapely.Point(s["x"] * M, 0.0) for s in services], crs=settings.CRS_METRIC
        ),
    )
    if not rows:
        svc = gpd.GeoDataFrame(
            {
                "id": [],
                "name": [],
                "category": [],
                "subcategory": [],
                "capacity": [],
                "precision": [],
            },
            geometry=gpd.GeoSeries([], crs=settings.CRS_METRIC),
        )
    meta = {"sources": [{"name": "Testdaten", "date": "2025", "attribution": "Test"}]}
    return FakeRegion("test", "Testregion", cdf, gem, svc, meta)


def table(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def read(*rows: str, **kw) -> standards.Standards:
    return standards.read_standards(table(*rows, **kw), filename="richtwerte.csv")


def rows_of(result: sc.CheckResult, rule: str | None = None) -> pd.DataFrame:
    r = result.rows
    return r if rule is None else r.loc[r["rule"] == rule].set_index("key")


# ---------------------------------------------------------------------------
# The shipped default
# ---------------------------------------------------------------------------
def test_default_file_has_the_two_documented_examples():
    std = standards.read_standards()
    assert [r.rule for r in std.rules] == [
        "KYF-Jugendzimmer",
        "KYF-Jugendclub",
        "KYF-Jugendhaus",
        "Suchtberatung-VZÄ",
    ]
    zimmer, club, haus, sucht = std.rules
    assert (zimmer.size_from, zimmer.size_to) == (0, 650)
    assert (club.size_from, club.size_to) == (650, 3000)
    assert (haus.size_from, haus.size_to) == (3000, 7500)
    assert all(r.areas == ("16065",) for r in (zimmer, club, haus))
    assert (sucht.kind, sucht.per_people, sucht.soll, sucht.unit, sucht.basis) == (
        "verhaeltnis",
        10000,
        1,
        "vza",
        "kreis",
    )
    assert std.inactive == ("Beispiel-Erziehungsberatung-Auto",)
    assert all(r.source for r in std.rules)


# ---------------------------------------------------------------------------
# (a) facility per size class: boundaries 650 and 3,000
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pop", "rule"),
    [
        (649, "KYF-Jugendzimmer"),
        (650, "KYF-Jugendzimmer"),
        (651, "KYF-Jugendclub"),
        (2999, "KYF-Jugendclub"),
        (3000, "KYF-Jugendclub"),
        (3001, "KYF-Jugendhaus"),
        (7500, "KYF-Jugendhaus"),
        (7501, None),
    ],
)
def test_size_class_boundaries(pop, rule):
    # the people are split over two cells, as the surface does (sum 649.9999… rounds to 650)
    region = make_region(
        [(0, "16065001", pop / 3), (1, "16065001", pop * 2 / 3)], [], [("16065001", "Adorf", -5, 5)]
    )
    result = sc.check(region, standards.read_standards())
    gem = result.rows.loc[result.rows["level"] == "gemeinde"]
    assert gem["rule"].tolist() == ([rule] if rule else [])
    if rule:
        assert gem["size"].iloc[0] == pop
        assert gem["status"].iloc[0] == "fehlt"


def test_facility_counts_hand_computed():
    std = read("Club;Einrichtung;ja;Jugend;Jugendclub|Jugendhaus;650;3000;pop;;1;;;;;;Test")
    gemeinden = [
        ("16065001", "Adorf", -5, 5),
        ("16065002", "Bdorf", 5, 15),
        ("16065003", "Cdorf", 15, 25),
        ("16065004", "Ddorf", 25, 35),
        ("16065005", "Edorf", 35, 45),
    ]
    cells = [
        (0, "16065001", 700),
        (10, "16065002", 700),
        (20, "16065003", 3000),
        (30, "16065004", 1000),
        (40, "16065005", 650),
    ]
    services = [
        {"id": "b1", "x": 10, "subcategory": "Jugendclub (selbstverwaltet)"},
        {"id": "c1", "x": 20, "subcategory": "Jugendclub"},
        {"id": "c2", "x": 21, "subcategory": "Jugendhaus (+ Familienlotse)"},  # bigger counts
        {"id": "d1", "x": 30, "subcategory": "Schulsozialarbeit"},  # not a club
        {"id": "d2", "x": 31, "category": "Familie", "subcategory": "Jugendclub der Kita"},
        {"id": "e1", "x": 40, "subcategory": "Jugendclub"},  # Edorf (650) is not in the class
    ]
    result = sc.check(make_region(cells, services, gemeinden), std)
    r = rows_of(result, "Club")
    assert list(r.index) == ["16065001", "16065002", "16065003", "16065004"]
    assert r["status"].to_dict() == {
        "16065001": "fehlt",
        "16065002": "erfuellt",
        "16065003": "ueber_richtwert",
        "16065004": "fehlt",
    }
    assert r["existing"].tolist() == [0, 1, 2, 0]
    assert r["required"].tolist() == [1, 1, 1, 1]
    assert r.loc["16065003", "service_ids"] == ("c1", "c2")
    assert r.loc["16065004", "n_services"] == 0


def test_facility_rule_limited_to_its_area():
    std = read("Club;Einrichtung;ja;Jugend;Jugendclub;650;3000;pop;;1;;;;;16065;Test")
    region = make_region(
        [(0, "16065001", 700), (10, "16068001", 700)],
        [],
        [("16065001", "Adorf", -5, 5), ("16068001", "Bdorf", 5, 15)],
    )
    assert rows_of(sc.check(region, std), "Club").index.tolist() == ["16065001"]


def test_scenario_flips_fehlt_to_erfuellt():
    region = make_region(
        [(0, "16065001", 700), (10, "16065002", 1200)],
        [{"id": "b1", "x": 10}],
        [("16065001", "Adorf", -5, 5), ("16065002", "Bdorf", 5, 15)],
    )
    std = standards.read_standards()
    before = rows_of(sc.check(region, std), "KYF-Jugendclub")
    assert before["status"].to_dict() == {"16065001": "fehlt", "16065002": "erfuellt"}
    scn = Scenario(
        "Jugendclub Adorf",
        changes=(
            AddSite(
                x=1 * M, y=0.0, name="Jugendclub Adorf", category="Jugend", subcategory="Jugendclub"
            ),
            CloseSite(service_id="b1"),
        ),
    )
    result = sc.check(region, std, scenario=scn)
    after = rows_of(result, "KYF-Jugendclub")
    assert after["status"].to_dict() == {"16065001": "erfuellt", "16065002": "fehlt"}
    assert after.loc["16065001", "service_ids"] == ("plan-1",)
    assert result.meta["scenario"] == "Jugendclub Adorf"
    assert region.services["id"].tolist() == ["b1"]  # the status quo is unchanged


def test_target_year_moves_a_gemeinde_to_the_next_class():
    region = make_region(
        [(0, "16065001", 640)],
        [{"id": "z", "x": 0, "subcategory": "Jugendzimmer"}],
        [("16065001", "Adorf", -5, 5)],
    )
    std = standards.read_standards()
    now = rows_of(sc.check(region, std), "KYF-Jugendzimmer")
    assert now.loc["16065001", "status"] == "erfuellt"
    later = demand.for_region(region, year=2035, growth={"pop": 1.05})  # 640 × 1.05 = 672
    result = sc.check(later, std)
    gem = result.rows.loc[result.rows["level"] == "gemeinde"].set_index("key")
    assert gem.loc["16065001", "rule"] == "KYF-Jugendclub"
    assert gem.loc["16065001", "size"] == 672
    assert gem.loc["16065001", "status"] == "fehlt"  # a Jugendzimmer is not a Jugendclub
    assert result.meta["year"] == 2035
    assert result.meta["demand"]["year"] == 2035


# ---------------------------------------------------------------------------
# (b) ratios: Kreis, Gemeinde, catchment
# ---------------------------------------------------------------------------
SUCHT = "Sucht;Verhältnis;ja;Beratung;Sucht;;;pop;10000;1;VZÄ;Kreis;;;;DHS"
KREIS_GEM = [
    ("16065001", "Adorf", -5, 5),
    ("16065002", "Bdorf", 5, 15),
    ("16068001", "Cdorf", 15, 25),
]
KREIS_CELLS = [(0, "16065001", 15000), (10, "16065002", 10000), (20, "16068001", 5000)]


@pytest.mark.parametrize(
    ("vza", "status", "existing"),
    [
        ([1.5, 0.5], "fehlt", 2.0),  # 2.0 < 2.5
        ([1.5, 1.0], "erfuellt", 2.5),  # exactly the required 2.5
        ([1.5, 0.75, 0.5], "erfuellt", 2.75),  # 2.75 < 2.5 + 1
        ([2.0, 1.5], "ueber_richtwert", 3.5),  # 3.5 = 2.5 + one full post
        ([2.0, ""], "keine_angabe", 2.0),  # short, and one figure missing
        ([2.0, 0.6, ""], "erfuellt", 2.6),  # known figures already meet it
        (["", "k. A."], "keine_angabe", 0.0),  # no figure at all
    ],
)
def test_ratio_per_kreis_hand_computed(vza, status, existing):
    services = [
        {
            "id": f"v{i}",
            "x": 1 + i,
            "category": "Beratung",
            "subcategory": "Suchtberatung",
            "vza": v,
        }
        for i, v in enumerate(vza)
    ]
    services.append(
        {
            "id": "other",
            "x": 20,
            "category": "Beratung",  # in the other Kreis
            "subcategory": "Suchtberatung",
            "vza": 5.0,
        }
    )
    result = sc.check(make_region(KREIS_CELLS, services, KREIS_GEM), read(SUCHT))
    r = rows_of(result, "Sucht")
    assert list(r.index) == ["16065", "16068"]
    row = r.loc["16065"]
    assert row["level"] == "kreis" and row["name"] == "Kyffhäuserkreis"
    assert row["people"] == pytest.approx(25000)
    assert row["required"] == pytest.approx(2.5)
    assert row["existing"] == pytest.approx(existing)
    assert row["status"] == status
    assert row["n_services"] == len(vza)
    assert row["n_unknown"] == sum(1 for v in vza if not isinstance(v, float))
    assert r.loc["16068", "required"] == pytest.approx(0.5)
    assert r.loc["16068", "status"] == "ueber_richtwert"  # 5 ≥ 0.5 + 1
    assert result.meta["staffing_column"] == "VZÄ"


def test_ratio_without_staffing_column_says_keine_angabe_and_invents_nothing():
    services = [{"id": "a", "x": 1, "category": "Beratung", "subcategory": "Suchtberatung"}]
    r = rows_of(sc.check(make_region(KREIS_CELLS, services, KREIS_GEM), read(SUCHT)), "Sucht")
    assert r.loc["16065", "status"] == "keine_angabe"
    assert r.loc["16065", "existing"] == 0
    assert r.loc["16065", "unknown_ids"] == ("a",)
    assert r.loc["16068", "status"] == "fehlt"  # no service at all: nothing is unknown
    assert r.loc["16068", "n_services"] == 0


def test_ratio_places_per_gemeinde():
    std = read("Plätze;Verhältnis;ja;Familie;Kita;;;u10;100;8;Plätze;Gemeinde;;;;Test")
    cells = [(0, "16065001", 1000), (10, "16065002", 2000)]  # u10 = 100 and 200
    services = [
        {"id": "k1", "x": 0, "category": "Familie", "subcategory": "Kita", "capacity": 9},
        {"id": "k2", "x": 10, "category": "Familie", "subcategory": "Kita", "capacity": 12},
    ]
    r = rows_of(sc.check(make_region(cells, services, KREIS_GEM[:2]), std), "Plätze")
    assert r["required"].tolist() == pytest.approx([8.0, 16.0])
    assert r["existing"].tolist() == [9.0, 12.0]
    assert r["status"].tolist() == ["erfuellt", "fehlt"]


def test_ratio_in_catchment_is_the_2sfca_allocation(unit_speed):
    # walk, 6 min: s0 (at 0, 6 places) reaches c0, c1; s1 (at 10, 3 places) reaches c1, c2.
    # R0 = 6 / (10 + 20) = 0.2, R1 = 3 / (20 + 30) = 0.06
    # Adorf = 10 × 0.2 + 20 × (0.2 + 0.06) = 7.2; Bdorf = 30 × 0.06 = 1.8 (sum 9 = capacity)
    std = read(
        "EZ;Verhältnis;ja;Familie;Familienzentrum;;;pop;10;1;Plätze;Einzugsbereich;walk;6;;Test"
    )
    cells = [(0, "A", 10), (5, "A", 20), (10, "B", 30)]
    services = [
        {
            "id": "s0",
            "x": 0,
            "category": "Familie",
            "subcategory": "Familienzentrum",
            "capacity": 6,
        },
        {
            "id": "s1",
            "x": 10,
            "category": "Familie",
            "subcategory": "Familienzentrum",
            "capacity": 3,
        },
    ]
    region = make_region(cells, services, [("A", "Adorf", -2, 7), ("B", "Bdorf", 7, 35)])
    result = sc.check(region, std)
    r = rows_of(result, "EZ")
    assert r.loc["A", "existing"] == pytest.approx(7.2)
    assert r.loc["B", "existing"] == pytest.approx(1.8)
    assert r["required"].tolist() == pytest.approx([3.0, 3.0])
    assert r["status"].tolist() == ["ueber_richtwert", "fehlt"]  # 7.2 ≥ 3 + 1; 1.8 < 3
    assert r.loc["A", "service_ids"] == ("s0", "s1")
    assert r.loc["B", "service_ids"] == ("s1",)
    assert "walk" in result.meta["models"]


# ---------------------------------------------------------------------------
# (c) travel time
# ---------------------------------------------------------------------------
def test_travel_time_share_hand_computed(unit_speed):
    std = read("Weg;Wegezeit;ja;Familie;;;;pop;;60;%;Gemeinde;walk;5;;Test")
    # Adorf: 10 at 0 min and 20 at exactly 5 min (within, ≤), 30 at 6 min → 30 / 60 = 50 %
    # Bdorf: 40 at 1 min → 100 %; Cdorf: no people → nobody beyond, 100 %
    cells = [(0, "A", 10), (5, "A", 20), (6, "A", 30), (21, "B", 40)]
    services = [
        {"id": "f0", "x": 0, "category": "Familie", "subcategory": "Kita"},
        {"id": "f1", "x": 20, "category": "Familie", "subcategory": "Kita"},
        {"id": "j", "x": 6, "category": "Jugend", "subcategory": "Jugendclub"},
    ]
    gem = [("A", "Adorf", -2, 7), ("B", "Bdorf", 7, 35), ("C", "Cdorf", 35, 40)]
    r = rows_of(sc.check(make_region(cells, services, gem), std), "Weg")
    assert r["share_within"].tolist() == pytest.approx([0.5, 1.0, 1.0])
    assert r["existing"].tolist() == pytest.approx([50.0, 100.0, 100.0])
    assert r["people_within"].tolist() == pytest.approx([30.0, 40.0, 0.0])
    assert r["status"].tolist() == ["fehlt", "erfuellt", "erfuellt"]
    assert r.loc["A", "service_ids"] == ("f0",)
    assert r.loc["B", "service_ids"] == ("f1",)


# ---------------------------------------------------------------------------
# planning regions
# ---------------------------------------------------------------------------
def test_planning_region_rows_sum_gemeinden(unit_speed):
    std = read(
        "Club;Einrichtung;ja;Jugend;Jugendclub;650;3000;pop;;1;;;;;;Test",
        "Weg;Wegezeit;ja;Jugend;Jugendclub;;;pop;;60;%;Gemeinde;walk;5;;Test",
    )
    gem = [
        ("16065001", "Adorf", -5, 5),
        ("16065002", "Bdorf", 5, 15),
        ("16065003", "Cdorf", 15, 25),
    ]
    cells = [(0, "16065001", 700), (10, "16065002", 800), (20, "16065003", 900)]
    services = [{"id": "b", "x": 10}, {"id": "c", "x": 20}, {"id": "c2", "x": 22}]
    region = make_region(cells, services, gem)
    plan = planning.from_mapping({"Nord": ["16065001", "16065002"], "Süd": ["16065003"]}, region)
    result = sc.by_planning(sc.check(region, std), plan)
    p = result.rows.loc[result.rows["level"] == "planungsraum"]
    club = p.loc[p["rule"] == "Club"].set_index("key")
    assert club.loc["Nord", "status"] == "fehlt"  # Bdorf's club does not serve Adorf
    assert (club.loc["Nord", "n_fehlt"], club.loc["Nord", "n_gemeinden"]) == (1, 2)
    assert (club.loc["Nord", "required"], club.loc["Nord", "existing"]) == (2, 1)
    assert club.loc["Süd", "status"] == "ueber_richtwert"
    weg = p.loc[p["rule"] == "Weg"].set_index("key")
    # Nord: Adorf's 700 at 10 min from b (beyond), Bdorf's 800 at 0 → 800 / 1,500
    assert weg.loc["Nord", "share_within"] == pytest.approx(800 / 1500)
    assert weg.loc["Nord", "status"] == "fehlt"
    assert weg.loc["Süd", "status"] == "erfuellt"
    assert result.for_unit("Nord")["rule"].tolist() == ["Club", "Weg"]


# ---------------------------------------------------------------------------
# status rule
# ---------------------------------------------------------------------------
def test_status_of_edges():
    out = sc.status_of(
        np.array([1, 1, 1, 1, 2.5]), np.array([0, 1, 1.99, 2, 2]), 1.0, np.array([0, 0, 0, 0, 1])
    )
    assert out.tolist() == ["fehlt", "erfuellt", "erfuellt", "ueber_richtwert", "keine_angabe"]
    assert (
        sc.status_of(np.array([90.0]), np.array([100.0]), math.inf, np.array([0]))[0] == "erfuellt"
    )


def test_json_payload_is_serialisable():
    import json

    region = make_region([(0, "16065001", 700)], [], [("16065001", "Adorf", -5, 5)])
    payload = sc.check(region, standards.read_standards()).to_dict()
    text = json.dumps(payload, ensure_ascii=False)
    assert payload["counts"]["fehlt"] == 2  # Adorf's Jugendclub and the Kreis' Suchtberatung
    assert [r["rule"] for r in payload["rows"]] == ["KYF-Jugendclub", "Suchtberatung-VZÄ"]
    assert payload["rows"][1]["size_to"] is None  # open class: no "Infinity" in the JSON
    assert "KYF-Jugendclub" in text and "NaN" not in text and "Infinity" not in text


# ---------------------------------------------------------------------------
# bad standards files
# ---------------------------------------------------------------------------
def _problems(exc: pytest.ExceptionInfo) -> list[tuple]:
    return [(p.file, p.row, p.column) for p in exc.value.problems]


def test_missing_required_column():
    with pytest.raises(InputError) as exc:
        standards.read_standards(b"Regel;Art\nA;Einrichtung\n", filename="r.csv")
    assert "erwarteten Spalten" in exc.value.message
    assert any("„Soll“ fehlt" in p.message for p in exc.value.problems)


@pytest.mark.parametrize(
    ("row", "column", "needle"),
    [
        ("A;Irgendwas;ja;Jugend;Club;;;pop;;1;;;;;;", "Art", "Verhältnis"),
        ("A;Einrichtung;ja;Jugend;Club;3000;650;pop;;1;;;;;;", "Größenklasse bis", "größer"),
        ("A;Einrichtung;ja;Jugend;Club;0;650;Kinder;;1;;;;;;", "Zielgruppe", "u18"),
        (
            "A;Einrichtung;ja;Jugend;Club;0;sechshundert;pop;;1;;;;;;",
            "Größenklasse bis",
            "Einwohnerzahl",
        ),
        ("A;Einrichtung;ja;Jugend;Club;0;650;pop;;0;;;;;;", "Soll", "> 0"),
        ("A;Einrichtung;ja;Jugend;Club;0;650;pop;;1;;Kreis;;;;", "Bezug", "je Gemeinde"),
        ("A;Einrichtung;vielleicht;Jugend;Club;0;650;pop;;1;;;;;;", "Aktiv", "„ja“ oder „nein“"),
        ("A;Einrichtung;ja;Sport;Club;0;650;pop;;1;;;;;;", "Kategorie", "Jugend"),
        ("A;Einrichtung;ja;;;0;650;pop;;1;;;;;;", "Einrichtungstyp", "mindestens eines"),
        ("A;Einrichtung;ja;Jugend;Club;0;650;pop;;1;;;;;Thüringen;", "Gebiet", "Kreisschlüssel"),
        (
            "A;Einrichtung;ja;Jugend;Club;0;650;pop;;1;;;walk;;;",
            "Verkehrsmittel",
            "nicht verwendet",
        ),
        ("A;Verhältnis;ja;Beratung;Sucht;;;pop;;1;VZÄ;Kreis;;;;", "je Personen", "10000"),
        ("A;Verhältnis;ja;Beratung;Sucht;;;pop;10000;1;Stunden;Kreis;;;;", "Einheit", "VZÄ"),
        (
            "A;Verhältnis;ja;Beratung;Sucht;;;pop;10000;1;VZÄ;Kreis;car;30;;",
            "Verkehrsmittel",
            "Einzugsbereich",
        ),
        (
            "A;Verhältnis;ja;Beratung;Sucht;;;pop;10000;1;VZÄ;Einzugsbereich;;30;;",
            "Verkehrsmittel",
            "fehlt",
        ),
        ("A;Wegezeit;ja;Beratung;Sucht;;;pop;;90;%;Gemeinde;Rakete;30;;", "Verkehrsmittel", "walk"),
        ("A;Wegezeit;ja;Beratung;Sucht;;;pop;;90;%;Gemeinde;car;;;", "max. Minuten", "fehlt"),
        ("A;Wegezeit;ja;Beratung;Sucht;;;pop;;120;%;Gemeinde;car;30;;", "Soll", "bis 100"),
        ("A;Wegezeit;ja;Beratung;Sucht;;;pop;;90;%;Gemeinde;car;-5;;", "max. Minuten", "> 0"),
    ],
)
def test_bad_cell_names_row_column_and_expectation(row, column, needle):
    with pytest.raises(InputError) as exc:
        read(row)
    found = [p for p in exc.value.problems if p.column == column]
    assert found, exc.value.problems
    assert found[0].file == "richtwerte.csv" and found[0].row == 2
    assert needle in found[0].message
    assert "nichts übernommen" in exc.value.message


def test_all_problems_reported_at_once_and_duplicates():
    with pytest.raises(InputError) as exc:
        read(
            "A;Einrichtung;ja;Jugend;Club;0;650;pop;;1;;;;;;",
            "A;Einrichtung;ja;Jugend;Club;650;3000;pop;;1;;;;;;",
            ";Wegezeit;ja;Jugend;Club;;;pop;;90;;;car;;;",
        )
    where = _problems(exc)
    assert ("richtwerte.csv", 3, "Regel") in where  # repeated name
    assert ("richtwerte.csv", 4, "Regel") in where  # no name
    assert ("richtwerte.csv", 4, "max. Minuten") in where
    assert "Zeile 2" in str(exc.value)


def test_xlsx_rows_as_the_sheet_shows_them_and_extra_columns_noted():
    wb = Workbook()
    ws = wb.active
    ws.append(["Richtwerte des Kreises"])  # a title row above the header
    ws.append([*HEADER.split(";"), "Bemerkung"])
    ws.append(
        [
            "A",
            "Einrichtung",
            "ja",
            "Jugend",
            "Club",
            0,
            650,
            "pop",
            None,
            1,
            None,
            None,
            None,
            None,
            None,
            "Test",
            "egal",
        ]
    )
    ws.append(
        ["B", "Verhältnis", "ja", "Beratung", "Sucht", None, None, "pop", "zehn", 1, "VZÄ", "Kreis"]
    )
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(InputError) as exc:
        standards.read_standards(buf.getvalue(), filename="r.xlsx")
    assert _problems(exc) == [("r.xlsx", 4, "je Personen")]
    ws.delete_rows(4)
    buf = io.BytesIO()
    wb.save(buf)
    std = standards.read_standards(buf.getvalue(), filename="r.xlsx")
    assert [r.rule for r in std.rules] == ["A"]
    assert any("Bemerkung" in n for n in std.notes)


def test_empty_and_unreadable_files():
    with pytest.raises(InputError, match="keine Regel"):
        read()
    with pytest.raises(InputError, match="nicht gefunden"):
        standards.read_standards("/nonexistent/richtwerte.csv")
    with pytest.raises(InputError, match="Spalten"):
        standards.read_standards(b"foo;bar\n1;2\n", filename="x.csv")


# ---------------------------------------------------------------------------
# command line (default region)
# ---------------------------------------------------------------------------
def _cli(capsys, *argv):
    from geo import cli

    rc = cli.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_standards_json_on_default_region(capsys, tmp_default_region):
    import json

    cache = str(tmp_default_region.cache_path.parent)
    rc, out, err = _cli(capsys, "standards", "--region", "default", "--cache", cache, "--json")
    assert rc == 0, err
    data = json.loads(out)
    rows = data["rows"]
    gem = [r for r in rows if r["level"] == "gemeinde"]
    # every Kyffhäuser Gemeinde up to 7,500 inhabitants has exactly one youth-room rule
    kyf = tmp_default_region.gemeinden
    kyf = kyf.loc[kyf["ags"].str.startswith("16065") & (kyf["pop"] <= 7500)]
    assert sorted(r["key"] for r in gem) == sorted(kyf["ags"])
    sizes = {r["key"]: r["size"] for r in gem}
    for ags, pop in zip(kyf["ags"], kyf["pop"], strict=True):
        assert sizes[ags] == pop  # the surface keeps the official inhabitants
    kreis = {r["key"]: r for r in rows if r["level"] == "kreis"}
    assert set(kreis) == {"16065", "16068"}
    for key, r in kreis.items():
        pop = tmp_default_region.gemeinden.loc[
            tmp_default_region.gemeinden["ags"].str.startswith(key), "pop"
        ].sum()
        assert r["required"] == pytest.approx(pop / 10000)
    assert data["counts"]["fehlt"] + data["counts"]["erfuellt"] == len(rows)


def test_cli_standards_bad_file_exits_2_with_german_message(capsys, tmp_path, tmp_default_region):
    bad = tmp_path / "richtwerte.csv"
    bad.write_bytes(table("A;Einrichtung;ja;Jugend;Club;0;650;Kinder;;1;;;;;;"))
    cache = str(tmp_default_region.cache_path.parent)
    rc, _out, err = _cli(
        capsys, "standards", "--region", "default", "--cache", cache, "--standards", str(bad)
    )
    assert rc == 2
    assert "richtwerte.csv" in err and "Zeile 2" in err and "Zielgruppe" in err
    rc, _out, err = _cli(
        capsys, "standards", "--region", "default", "--cache", cache, "--year", "2030"
    )
    assert rc == 2 and "Prognose" in err


def test_cli_standards_scenario_and_growth(capsys, tmp_path, tmp_default_region):
    import json

    reg = tmp_default_region
    clingen = reg.gemeinden.loc[reg.gemeinden["name"] == "Clingen"].iloc[0]
    pt = clingen.geometry.representative_point()
    scn = Scenario(
        "Jugendclub Clingen",
        changes=(
            AddSite(
                x=pt.x,
                y=pt.y,
                name="Jugendclub Clingen",
                category="Jugend",
                subcategory="Jugendclub",
            ),
        ),
    )
    path = tmp_path / "szenario.json"
    path.write_text(scn.to_json(), "utf-8")
    cache = str(reg.cache_path.parent)
    rc, out, err = _cli(
        capsys,
        "standards",
        "--region",
        "default",
        "--cache",
        cache,
        "--scenario",
        str(path),
        "--json",
    )
    assert rc == 0, err
    rows = {(r["key"], r["rule"]): r for r in json.loads(out)["rows"]}
    assert rows[(clingen["ags"], "KYF-Jugendclub")]["status"] == "erfuellt"
    rc, out, err = _cli(
        capsys,
        "standards",
        "--region",
        "default",
        "--cache",
        cache,
        "--growth",
        "pop=1,1",
        "--year",
        "2035",
        "--json",
    )
    data = json.loads(out)
    kreis = {r["key"]: r for r in data["rows"] if r["level"] == "kreis"}
    pop = reg.gemeinden.loc[reg.gemeinden["ags"].str.startswith("16065"), "pop"].sum()
    assert kreis["16065"]["required"] == pytest.approx(pop * 1.1 / 10000)
    assert data["meta"]["year"] == 2035
