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
