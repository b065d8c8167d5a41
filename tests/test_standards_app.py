"""Standards in the app (issue 14): the map layer, the app's table and its files, the
planner's own table (stored only when valid), the profile PDF bytes."""

from __future__ import annotations

import io

import folium
import pandas as pd
import pytest
from openpyxl import load_workbook

from geo import settings, standards
from geo import standards_check as sc
from geo._errors import NahraumError
from geo.scenario import AddSite, Scenario
from layers import map as maplayers
from layers import standards as stdlayers
from layers.legend import LegendSection
from present import standards as pstd
from report import standards as rstandards
from tests.test_standards import HEADER, M, make_region, table

FEHLT = settings.STANDARD_STATUS_COLORS["fehlt"]
ERFUELLT = settings.STANDARD_STATUS_COLORS["erfuellt"]


@pytest.fixture
def region():
    """Adorf (700 EW, no youth club), Bdorf (1,200 EW, one club), Sömmerda Gemeinde (no rule)."""
    return make_region(
        [(0, "16065001", 700), (10, "16065002", 1200), (20, "16068003", 400)],
        [{"id": "b1", "x": 10}],
        [
            ("16065001", "Adorf", -5, 5),
            ("16065002", "Bdorf", 5, 15),
            ("16068003", "Cdorf", 15, 25),
        ],
    )


def _site_in_adorf() -> Scenario:
    return Scenario(
        "Club Adorf",
        changes=(
            AddSite(
                x=1 * M, y=0.0, name="Neuer Standort 1", category="Jugend", subcategory="Jugendclub"
            ),
        ),
    )


def test_layer_colours_status_and_reason_and_scenario_flips_it(region):
    std = standards.read_standards()
    layer = stdlayers.standards_layer(sc.check(region, std).rows, std, "de")
    assert layer.status == {"16065001": "fehlt", "16065002": "erfuellt"}
    assert layer.colors == {"16065001": FEHLT, "16065002": ERFUELLT}
    assert "16068003" not in layer.colors  # no rule applies outside the Kyffhäuserkreis
    assert layer.tips["16065001"] == (
        "<b>KYF-Jugendclub: fehlt</b> – 700 Einwohner:innen, Größenklasse über 650 bis 3.000 "
        "Einwohner:innen: Soll 1 Jugendclub, vorhanden 0. Die Angebotsliste enthält kein "
        "passendes Angebot."
    )
    after = stdlayers.standards_layer(
        sc.check(region, std, scenario=_site_in_adorf()).rows, std, "de"
    )
    assert after.status == {"16065001": "erfuellt", "16065002": "erfuellt"}
    assert after.colors["16065001"] == ERFUELLT
    labels = [e.label for e in after.legend.entries]
    assert labels == ["erfüllt", "fehlt", "über Richtwert"]
    assert after.legend.title == "Richtwerte: alle Regeln"
    assert after.legend.layer_name == "Richtwerte"


def test_one_rule_and_worst_status_first(region):
    rows = pd.DataFrame(
        {
            "level": ["gemeinde"] * 3 + ["kreis"],
            "key": ["1", "1", "2", "16065"],
            "name": ["A", "A", "B", "KYF"],
            "rule": ["r1", "r2", "r1", "r3"],
            "kind": ["einrichtung"] * 4,
            "status": ["ueber_richtwert", "fehlt", "erfuellt", "fehlt"],
        }
    )
    assert pstd.worst_status(["erfuellt", "ueber_richtwert"]) == "erfuellt"
    assert pstd.worst_status(["erfuellt", "keine_angabe"]) == "keine_angabe"
    assert pstd.worst_status([]) == ""
    part = stdlayers.gemeinde_rows(rows, "r1")
    assert part["key"].tolist() == ["1", "2"]
    assert stdlayers.gemeinde_rows(rows)["key"].tolist() == ["1", "1", "2"]


def test_overlay_groups_add_the_layer_legend_and_tooltip_lines(region):
    std = standards.read_standards()
    layer = stdlayers.standards_layer(sc.check(region, std).rows, std, "de")
    ov = maplayers.Overlays(
        measure_name="M",
        raster=None,
        raster_attribution="",
        measure_legend=LegendSection(title="M", entries=(), layer_name="M"),
        services_name="Angebote",
        services={"type": "FeatureCollection", "features": []},
        services_legend=LegendSection(title="Angebote", entries=(), layer_name="Angebote"),
        tips={"16065001": "Anteil: 5 %"},
        standards=layer,
    )
    groups = maplayers.overlay_groups(ov, (), "de")
    names = [g.layer_name for g in groups]
    assert "Richtwerte" in names
    m = folium.Map(tiles=None)
    for g in groups:
        g.add_to(m)
    html = maplayers.map_html(m)
    assert FEHLT in html and "Richtwerte: alle Regeln" in html
    tojson = "Anteil: 5 %<br><b>KYF-Jugendclub: fehlt</b>"  # as Jinja's tojson writes it
    assert tojson.replace("<", "\\u003c").replace(">", "\\u003e") in html
    without = maplayers.overlay_groups(
        maplayers.Overlays(**{**ov.__dict__, "standards": None}), (), "de"
    )
    assert "Richtwerte" not in [g.layer_name for g in without]


def test_merged_tips():
    assert stdlayers.merged_tips({"a": "x"}, None, {"a": "y", "b": "z"}) == {
        "a": "x<br>y",
        "b": "z",
    }


def test_screen_table_columns_and_files(region):
    std = standards.read_standards()
    result = sc.check(region, std, scenario=_site_in_adorf())
    df = rstandards.check_table(result, "de")
    assert list(df.columns) == [
        "Gemeinde",
        "Regel",
        "Soll",
        "Ist",
        "Einheit",
        "Status",
        "Begründung",
    ]
    gem = df.loc[df["Regel"] == "KYF-Jugendclub"].set_index("Gemeinde")
    assert gem.loc["Adorf", "Status"] == "erfüllt"
    assert gem.loc["Adorf", "Soll"] == 1.0 and gem.loc["Adorf", "Ist"] == 1.0
    assert df["Gemeinde"].iloc[-2:].tolist() == ["Kyffhäuserkreis", "Sömmerda"]  # Kreis rows last
    text = rstandards.check_csv(result, "de").decode("utf-8-sig")
    assert text.splitlines()[0] == "Gemeinde;Regel;Soll;Ist;Einheit;Status;Begründung"
    assert "Adorf;KYF-Jugendclub;1,0;1,0;Einrichtungen;erfüllt;" in text
    back = pd.read_csv(io.BytesIO(rstandards.check_csv(result, "en", german=False)))
    assert list(back.columns)[:2] == ["Municipality", "Rule"]
    wb = load_workbook(io.BytesIO(rstandards.check_xlsx(result, "de")))
    assert wb.sheetnames == ["Richtwerte", "Erläuterung"]
    ws = wb["Richtwerte"]
    assert [c.value for c in ws[1]] == list(df.columns)
    assert ws.max_row == len(df) + 1
    notes = [str(c.value) for row in wb["Erläuterung"].iter_rows() for c in row if c.value]
    assert "nach Szenario „Club Adorf“" in notes
    assert any("Jugendförderplan" in n for n in notes)


def test_formula_text_in_a_rule_name_is_defused(region):
    std = standards.read_standards(
        table("=HYPERLINK(1);Einrichtung;ja;Jugend;Jugendclub;650;3000;pop;;1;;Gemeinde;;;;Q"),
        filename="r.csv",
    )
    text = rstandards.check_csv(sc.check(region, std), "de").decode("utf-8-sig")
    assert ";'=HYPERLINK(1);" in text


def test_own_table_stored_only_when_valid(tmp_path):
    from ui import standards as ustd

    folder = tmp_path / "ws"
    std, digest, own = ustd.load_standards(folder)
    assert not own and std.source == "default.csv"
    good = table("Eigene Regel;Einrichtung;ja;Jugend;Jugendclub;650;3000;pop;;1;;Gemeinde;;;;Q")
    ustd.accept_upload(folder, good, "meine.csv")
    std2, digest2, own2 = ustd.load_standards(folder)
    assert own2 and [r.rule for r in std2.rules] == ["Eigene Regel"] and digest2 != digest
    bad = table("Kaputt;Einrichtung;ja;Jugend;Jugendclub;viel;3000;pop;;1;;Gemeinde;;;;Q")
    with pytest.raises(NahraumError) as err:
        ustd.accept_upload(folder, bad, "kaputt.csv")
    assert "Zeile" in str(err.value) and "Größenklasse von" in str(err.value)
    assert (folder / "richtwerte.csv").read_bytes() == good  # nothing lost
    with pytest.raises(NahraumError, match="CSV- oder XLSX"):
        ustd.accept_upload(folder, good, "meine.txt")
    assert ustd.load_standards(folder)[1] == digest2
    assert HEADER.split(";")[0] == "Regel"


def test_profile_pdf_bytes_of_one_gemeinde(tmp_default_region):
    from pypdf import PdfReader

    from geo import analysis, profile
    from report import profile as rprofile

    std = standards.read_standards()
    params = analysis.AnalysisParams(kinds=("Jugend",), target="u18", mode="car")
    data = profile.build(tmp_default_region, params, std, modes=("car",))
    pdf = rprofile.pdf_bytes(data, "de", keys=["16065012"])
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) == 2  # table of contents and the page of Clingen
    assert "Clingen" in text and "KYF-Jugendclub" in text
