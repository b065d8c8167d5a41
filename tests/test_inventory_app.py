"""Issue 15 in the app: coverage said plainly, the inventory panel's logic, basemaps."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import geopandas as gpd
import shapely

from geo import analysis, inventory
from geo.analysis import AnalysisParams
from report import export


def _toy_region(service_points: list[tuple[float, float]]) -> SimpleNamespace:
    """Three 1 km Gemeinden in two Kreise (100 + 300 | 600 inhabitants)."""
    boxes = [
        shapely.box(4_400_000 + i * 1000, 3_100_000, 4_401_000 + i * 1000, 3_101_000)
        for i in range(3)
    ]
    gemeinden = gpd.GeoDataFrame(
        {
            "ags": ["16001001", "16001002", "16002001"],
            "kreis": ["16001", "16001", "16002"],
            "kreis_name": ["Nordkreis", "Nordkreis", "Südkreis"],
            "pop": [100.0, 300.0, 600.0],
        },
        geometry=boxes,
        crs=3035,
    )
    services = gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in range(len(service_points))], "precision": "village"},
        geometry=[shapely.Point(x, y) for x, y in service_points],
        crs=3035,
    )
    return SimpleNamespace(gemeinden=gemeinden, services=services)


def test_coverage_lines_of_a_toy_region():
    partial = _toy_region([(4_400_500, 3_100_500), (4_401_500, 3_100_500)])
    assert export.coverage_lines(partial) == [
        "Angebote liegen nur für 1 von 2 Kreisen vor (Nordkreis); Anteile beziehen sich "
        "auf diese Kreise (2 von 3 Gemeinden, 400 von 1.000 Einwohnern)."
    ]
    assert export.coverage_lines(partial, "en")[0].startswith("Services are listed for only 1 of 2")
    full = _toy_region([(4_400_500, 3_100_500), (4_402_500, 3_100_500)])
    assert export.coverage_lines(full) == []
    assert export.coverage_lines(SimpleNamespace()) == []


def test_report_footer_names_the_covered_kreise(tmp_default_region):
    region = tmp_default_region
    params = AnalysisParams(kinds=(), target="pop", mode="walk", threshold_min=15)
    result = analysis.analyze(region, params)
    assert not any("Kreisen vor" in line for line in export.attribution_lines(region, result))
    soemmerda = inventory.service_ags(region.services, region.gemeinden)
    only = region.services.loc[[a.startswith("16068") for a in soemmerda]]
    assert 0 < len(only) < len(region.services)
    partial = dataclasses.replace(region, services=only)
    n_soe = int((region.gemeinden["kreis"] == "16068").sum())
    lines = export.attribution_lines(partial, result)
    hit = [line for line in lines if "Kreisen vor" in line]
    assert len(hit) == 1
    assert hit[0].startswith("Angebote liegen nur für 1 von 2 Kreisen vor (Sömmerda)")
    assert f"({n_soe} von {len(region.gemeinden)} Gemeinden" in hit[0]


# ---------------------------------------------------------------------------
# "Lage setzen": the workshop's click state machine, reused
# ---------------------------------------------------------------------------
def test_locate_takes_the_next_click_and_leaves_the_scenario_alone():
    from tests.test_session import DEFAULTS, _click, _history, _session
    from ui import keys

    s, state = _session(**{keys.CLICK_MODE: "site"})
    h = _history()
    s.start_move("svc-1")
    s.start_locate("inv-7")  # replaces a pending scenario move
    assert s.placing and state[keys.MOVE_PENDING] is None
    s.read_map("test", _click(1), h, DEFAULTS)
    sid, lat, lon = state[keys.INV_LOCATED]
    assert sid == "inv-7" and abs(lat - (51.16 + 1e-3)) < 1e-9 and lon == 11.12
    assert not h.current.changes and state[keys.INV_LOCATE] is None
    s.read_map("test", _click(2), h, DEFAULTS)  # the site mode goes on as before
    assert s.pending_site is not None and not h.current.changes
    s.save_site(h, DEFAULTS)
    assert len(h.current.changes) == 1
    s.start_locate("inv-8")
    s.cancel()
    assert state[keys.INV_LOCATE] is None


# ---------------------------------------------------------------------------
# The inventory panel's logic (no browser)
# ---------------------------------------------------------------------------
MESSY_CSV = (
    "Angebotsübersicht Familienberatung Landkreis Sömmerda;;;;\n"
    "Stand: 01.10.2025;;;;\n"
    ";;;;\n"
    "Einrichtung;Träger;Anschrift;PLZ Ort;Kategorie\n"
    "Familienzentrum Kölleda;Diakonie;Markt 1;99625 Kölleda;Familie\n"
    "Erziehungsberatung Sömmerda;AWO;Weißenseer Str. 5;99610 Sömmerda;Familie\n"
    "Summe;;;;2\n"
).encode("cp1252")


def test_upload_report_translated_and_saved_as_the_inventory(tmp_default_region, tmp_path):
    from geo import services
    from ui import inventory as uinv

    region = tmp_default_region
    res = services.import_services(
        MESSY_CSV, region.gemeinden, region.outline, filename="liste.csv"
    )
    assert len(res.services) == 2 and res.services["id"].str.len().min() > 3
    table = uinv.report_table(res.report(), "de")
    assert list(table.columns) == ["Zeile", "Spalte", "Art", "Hinweis"]
    summe = table[table["Hinweis"].str.contains("Summe")]
    # rows count from the line under the header (docs/services_schema.md): line 7 = row 3
    assert list(summe["Zeile"]) == ["3"] and set(summe["Art"]) == {"Hinweis"}
    en = uinv.report_table(res.report(), "en")
    assert list(en.columns) == ["Row", "Column", "Kind", "Note"]
    store = inventory.InventoryStore("default", tmp_path)
    assert uinv.region_key("default@ab", store) == "default@ab"
    store.replace(res)
    key = uinv.region_key("default@ab", store)
    assert key.startswith("default@ab#") and len(key.partition("#")[2]) == 12
    sid = res.services["id"].iloc[0]
    store.edit(sid, {"status": "geschlossen"})
    assert uinv.region_key("default@ab", store) != key  # an edit changes the key
    log = uinv.log_table(store.load().log, "de")
    assert list(log.columns) == ["Zeit (UTC)", "Aktion", "Angebot", "Feld", "alt", "neu"]
    assert list(log["Aktion"]) == ["geändert", "Import"]
    assert log.iloc[0][["Angebot", "Feld", "neu"]].tolist() == [sid, "status", "geschlossen"]
    xlsx = uinv.export_bytes(store, "xlsx")
    assert xlsx[:2] == b"PK"
    back = services.import_services(xlsx, region.gemeinden, region.outline, filename="b.xlsx")
    assert sorted(back.services["id"]) == sorted(res.services["id"])
    csv = uinv.export_bytes(store, "csv").decode("utf-8-sig")
    assert "geschlossen" in csv and "Familienzentrum Kölleda" in csv


def test_changed_fields_compares_blank_and_numbers():
    import pandas as pd

    from ui.inventory import changed_fields

    row = pd.Series({"name": "A", "provider": float("nan"), "capacity": 2.0, "status": "aktiv"})
    assert changed_fields(row, {"name": "A ", "provider": "", "capacity": 2}) == {}
    assert changed_fields(row, {"provider": "AWO", "capacity": None, "status": "geplant"}) == {
        "provider": "AWO",
        "capacity": "",
        "status": "geplant",
    }


def test_region_with_inventory_uses_its_services(tmp_default_region, tmp_path, monkeypatch):
    from geo import services
    from ui import inventory as uinv
    from ui import state

    monkeypatch.setenv(settings_env(), str(tmp_path))
    region = tmp_default_region
    assert state.with_inventory(region, "x") is region  # nothing stored
    res = services.import_services(MESSY_CSV, region.gemeinden, region.outline, filename="l.csv")
    store = uinv.store_of("default@ab#123")
    assert store.path.parent.parent == tmp_path
    store.replace(res)
    derived = state.with_inventory(region, "d1")
    assert sorted(derived.services["id"]) == sorted(res.services["id"])
    assert derived.meta["content_hash"] == f"{region.meta['content_hash']}-invd1"
    assert region.services is not derived.services and len(region.services) == 62
    result = analysis.analyze(derived, AnalysisParams(kinds=(), target="pop", mode="walk"))
    assert result.totals["services"] == 2
    cov = export.coverage_lines(derived)
    assert len(cov) == 1 and "1 von 2 Kreisen vor (Sömmerda)" in cov[0]


def settings_env() -> str:
    from geo import settings

    return settings.CACHE_ENV_VAR


# ---------------------------------------------------------------------------
# Background: local basemaps found in the cache, the report map's orientation
# ---------------------------------------------------------------------------
def test_basemap_files_in_the_cache(tmp_path, monkeypatch):
    from tests.test_orientation import make_mbtiles, make_xyz
    from ui import basemap

    monkeypatch.setenv(settings_env(), str(tmp_path))
    assert basemap.basemap_files() == []
    folder = tmp_path / "basemaps"
    folder.mkdir()
    make_mbtiles(folder / "topplus.mbtiles")
    make_xyz(folder / "xyz")
    (folder / "notizen.txt").write_text("keine Karte")
    (folder / "leer").mkdir()
    assert [p.name for p in basemap.basemap_files()] == ["topplus.mbtiles", "xyz"]
    typed = tmp_path / "anders.pmtiles"
    opts = basemap.choices(str(typed))
    assert opts[:2] == ["none", "footprint"] and opts[-1] == str(typed.resolve())
    assert len(opts) == 5 and basemap.choices(str(folder / "xyz")) == opts[:-1]


def test_report_map_draws_settlements_roads_and_basemap(tmp_default_region, tmp_path):
    from matplotlib.colors import to_hex

    from geo import orientation, tiles
    from tests.test_orientation import make_mbtiles

    region = tmp_default_region
    result = analysis.analyze(region, AnalysisParams(kinds=(), target="pop", mode="walk"))
    plain = export.build_figure(region, result, dpi=60)
    footprint = orientation.settlement_footprint(region)
    assert footprint["cells"].iloc[0] > 1000
    src = tiles.open_tile_source(make_mbtiles(tmp_path / "k.mbtiles", attribution="© Testkarte"))
    fig = export.build_figure(
        region, result, dpi=60, orientation={"footprint": footprint, "basemap": src}
    )
    ax, ax0 = fig.nahraum["map_ax"], plain.nahraum["map_ax"]

    def grey(a):
        return [
            c
            for c in a.collections
            if len(c.get_facecolor())
            and to_hex(c.get_facecolor()[0]) == orientation.FOOTPRINT_COLOR
        ]

    assert len(grey(ax)) == 1 and not grey(ax0)
    assert len(ax.images) > len(ax0.images)  # the basemap tiles under the cells
    assert "© Testkarte" in fig.nahraum["attribution"]
    assert "© Testkarte" not in plain.nahraum["attribution"]
    fp_only = export.build_figure(region, result, dpi=60, orientation={"footprint": footprint})
    ax1 = fp_only.nahraum["map_ax"]  # the same footer: the same extent as without
    assert ax1.get_xlim() == ax0.get_xlim() and ax1.get_ylim() == ax0.get_ylim()
    # a choropleth keeps its colours: no settlement grey over it
    chor = export.build_figure(
        region, result, dpi=60, choropleth="share_beyond", orientation={"footprint": footprint}
    )
    assert not grey(chor.nahraum["map_ax"])


def test_the_planners_inventory_replaces_the_service_list_among_the_sources():
    from geo import settings as geosettings
    from ui.state import inventory_sources

    built_in = {"name": "Angebotsliste", "attribution": geosettings.ATTRIBUTION["services"]}
    census = {"name": "Zensus", "attribution": "© Statistik"}
    got = inventory_sources(
        [census, built_in], {"source_file": "liste.xlsx", "updated_at": "2026-12-04T10:00:00"}
    )
    assert got[0] == census and built_in not in got
    assert got[1]["name"] == "Eigener Angebotsbestand (liste.xlsx)"
    assert got[1]["date"] == "2026-12-04"
