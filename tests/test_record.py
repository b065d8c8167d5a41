"""The workshop's session record (geo/record.py): ZIP contents and protocol text."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest

from geo.analysis import AnalysisParams
from geo.scenario import AddSite, Pin, Scenario


@pytest.fixture(scope="module")
def region(tmp_default_region):
    return tmp_default_region


@pytest.fixture(scope="module")
def record(region):
    from report.record import session_record

    params = AnalysisParams(kinds=("Familie",), target="u10", mode="walk", threshold_min=15)
    scenario = Scenario(name="Variante Nord <Test>", region="default")
    scenario = scenario.with_change(
        AddSite.at(lon=11.02, lat=51.37, name="Familienzentrum", category="Familie")
    )
    scenario = scenario.with_pin(
        Pin.at(lon=11.0, lat=51.3, kind="missing", text='Hier <b>fehlt</b>; "Treff"')
    )
    data = session_record(region, params, scenario, created=dt.datetime(2026, 3, 4, 10, 30))
    return zipfile.ZipFile(io.BytesIO(data))


def test_zip_contents(record) -> None:
    names = set(record.namelist())
    assert names == {
        "szenario.geojson",
        "pins.geojson",
        "pins.csv",
        "vergleich_gemeinden.csv",
        "vergleich_gemeinden.xlsx",
        "karte_vorher.png",
        "karte_nachher.png",
        "protokoll.md",
        "protokoll.pdf",
    }
    for png in ("karte_vorher.png", "karte_nachher.png"):
        assert record.read(png)[:8] == b"\x89PNG\r\n\x1a\n"
    assert record.read("protokoll.pdf")[:5] == b"%PDF-"
    assert record.read("vergleich_gemeinden.xlsx")[:2] == b"PK"
    scenario = json.loads(record.read("szenario.geojson"))
    assert scenario["nahraum"]["name"] == "Variante Nord <Test>"
    pins = json.loads(record.read("pins.geojson"))
    assert [f["properties"]["text"] for f in pins["features"]] == ['Hier <b>fehlt</b>; "Treff"']
    csv_text = record.read("pins.csv").decode("utf-8-sig")
    assert "hier fehlt ein Angebot" in csv_text
    table = record.read("vergleich_gemeinden.csv").decode("utf-8-sig")
    assert "Region insgesamt" in table


def test_reimport_scenario(record, region) -> None:
    from geo._scenario_io import import_scenario
    from geo.scenario import Extent

    back = import_scenario(
        record.read("szenario.geojson"),
        filename="szenario.geojson",
        extent=Extent.from_region(region),
    )
    assert back.name == "Variante Nord <Test>"
    assert len(back.changes) == 1 and len(back.pins) == 1


def test_protocol_mentions_everything(record) -> None:
    md = record.read("protokoll.md").decode("utf-8")
    assert "Variante Nord <Test>" in md  # scenario name
    assert "04.03.2026 10:30" in md
    assert "Schwellenwert: 15 min" in md and "zu Fuß" in md  # parameters
    assert "Kinder unter 10" in md
    assert "neu innerhalb" in md.lower()  # people newly within reach
    assert "Neu innerhalb der Schwelle:" in md
    assert "Quellen:" in md and "Zensus 2022" in md  # sources
    assert "Wegezeitmodell" in md
    assert "Neuer Standort „Familienzentrum“" in md
    assert "Hier <b>fehlt</b>" in md
