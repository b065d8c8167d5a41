"""Official figures per Gemeinde and target-year projections: hand-computed cases."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import demand, settings
from geo._errors import InputError
from present import describe

GEM = pd.DataFrame({"ags": ["16065001", "16065002"]})


def _cells():
    """Two cells in Gemeinde 1, one in Gemeinde 2."""
    c = pd.DataFrame(
        {
            "ags": ["16065001", "16065001", "16065002"],
            "pop": [100.0, 300.0, 50.0],
            "u10": [10.0, 30.0, 5.0],
            "u18": [20.0, 60.0, 10.0],
            "age65": [20.0, 60.0, 10.0],
            "age80": [5.0, 15.0, 2.0],
            "single_parent_hh": [2.0, 6.0, 1.0],
            "foreign": [1.0, 3.0, 0.0],
        }
    )
    c["age10_17"] = c["u18"] - c["u10"]
    return c[["ags", *settings.TARGET_GROUPS]]


GENESIS = """GENESIS-Tabelle: 12411-02-03-5
Bevölkerung nach Altersgruppen - Stichtag 31.12. - regionale Tiefe: Gemeinden
Fortschreibung des Bevölkerungsstandes
;;;Insgesamt;unter 3 Jahre;3 bis unter 6 Jahre;6 bis unter 15 Jahre;15 bis unter 18 Jahre;18 bis unter 65 Jahre;65 bis unter 75 Jahre;75 Jahre und mehr
31.12.2023;16065;Kyffhäuserkreis;1000;30;30;90;30;520;150;150
31.12.2023;16065001;Gemeinde Eins;800;24;24;72;24;416;120;120
31.12.2023;16065002;Gemeinde Zwei;200;6;6;.;6;104;30;30
__________
Stand: 01.01.2025
"""


def test_genesis_layout_by_hand(tmp_path):
    p = tmp_path / "12411-02-03-5.csv"
    p.write_bytes(GENESIS.encode("cp1252"))
    fig = demand.read_official(p, GEM, date="31.12.2023")
    v = fig.values
    assert v.loc["16065001", "pop"] == 800
    # under 10 = 24 + 24 + 4/9 of 72 = 80; under 18 = 144; 65+ = 240
    assert v.loc["16065001", "u10"] == pytest.approx(80.0)
    assert v.loc["16065001", "u18"] == pytest.approx(144.0)
    assert v.loc["16065001", "age65"] == pytest.approx(240.0)
    assert "age80" not in v.columns  # 75+ cannot be split by single years
    # Gemeinde 2 has "." in one class: its age groups are left to the Kreis calibration.
    assert pd.isna(v.loc["16065002", "u10"]) and v.loc["16065002", "pop"] == 200
    assert any("Kreis" in n or "Zeile" in n for n in fig.notes)
    assert fig.date and "31.12.2023" in fig.date


def test_apply_official_by_hand():
    fig = demand.OfficialFigures(
        pd.DataFrame({"pop": [800.0], "u10": [80.0], "u18": [144.0]}, index=["16065001"]), "Test"
    )
    out = demand.apply_official(_cells(), fig)
    g1 = out.loc[out["ags"] == "16065001"]
    # pop 400 → 800 (factor 2), split 1:3; u10 80 split 1:3, u18 144 split 1:3.
    assert g1["pop"].tolist() == pytest.approx([200.0, 600.0])
    assert g1["u10"].tolist() == pytest.approx([20.0, 60.0])
    assert g1["u18"].tolist() == pytest.approx([36.0, 108.0])
    assert g1["age10_17"].tolist() == pytest.approx([16.0, 48.0])
    # Groups without a figure follow the inhabitants (factor 2).
    assert g1["age65"].tolist() == pytest.approx([40.0, 120.0])
    # Gemeinde 2 unchanged.
    assert out.loc[out["ags"] == "16065002", "pop"].tolist() == [50.0]


def test_plain_table_and_errors(tmp_path):
    p = tmp_path / "zahlen.csv"
    p.write_text("AGS;Name;u18;Menschen ab 65 Jahren\n16065001;Eins;144;240\n", "utf-8")
    v = demand.read_official(p, GEM).values
    assert v.loc["16065001", "u18"] == 144 and v.loc["16065001", "age65"] == 240
    p.write_text("AGS;Name;u18\n16065001;Eins;viele\n", "utf-8")
    with pytest.raises(InputError, match="Zeile 2, Spalte „u18“"):
        demand.read_official(p, GEM)
    p.write_text("AGS;Name;u18\n16065099;Tippfehler;10\n", "utf-8")
    with pytest.raises(InputError, match="Zeile 2.*16065099"):
        demand.read_official(p, GEM)
    p.write_text("AGS;Name;pop;u18\n16065001;Eins;100;150\n", "utf-8")
    with pytest.raises(InputError, match="größer als die Einwohnerzahl"):
        demand.read_official(p, GEM)


def test_projection_by_hand(tmp_path):
    p = tmp_path / "prognose.csv"
    p.write_text(
        "Kreis;Zielgruppe;2025;2030\n16065;u18;1000;900\n16065;pop;10000;9500\n"
        "16065001;u18;500;400\n",
        "utf-8",
    )
    proj = demand.read_projection(p, source_label="1. rBv Thüringen")
    f = demand.growth_factors(proj, 2030)
    assert f[("16065", "u18")] == pytest.approx(0.9)
    out = demand.apply_growth(_cells(), f)
    # Gemeinde 1 has its own u18 factor 0.8; Gemeinde 2 takes the Kreis' 0.9.
    assert out["u18"].tolist() == pytest.approx([16.0, 48.0, 9.0])
    # Groups without a factor follow the inhabitants (0.95).
    assert out["age65"].tolist() == pytest.approx([19.0, 57.0, 9.5])
    assert (out["age10_17"] == out["u18"] - out["u10"]).all()
    with pytest.raises(InputError, match="Jahr 2040 fehlt"):
        demand.growth_factors(proj, 2040)
    # Typed factors for the whole region.
    typed = demand.apply_growth(_cells(), {"u10": 1.1})
    assert typed["u10"].tolist() == pytest.approx([11.0, 33.0, 5.5])
    assert typed["pop"].tolist() == pytest.approx([100.0, 300.0, 50.0])
    assert describe.projection_text(2030, "1. rBv") == "Prognose 2030 (Quelle: 1. rBv)"
    assert describe.projection_text(2030, "1. rBv", "en") == "Projection 2030 (source: 1. rBv)"


def test_bad_projection_year_text(tmp_path):
    p = tmp_path / "prognose.csv"
    p.write_text("AGS;Zielgruppe;Jahr;Anzahl\n16065001;u18;zwanzig;5\n", "utf-8")
    with pytest.raises(InputError, match="Zeile 2, Spalte „Jahr“"):
        demand.read_projection(p)
