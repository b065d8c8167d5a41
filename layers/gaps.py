"""The gap map of one analysis: the measure raster with its legend, and the other overlays.

Turns an ``AnalysisResult`` (``geo.analysis``) into :class:`layers.map.Overlays`:
the chosen measure as classed 100 m cells (:mod:`layers.cells`), for travel times the
outline of the target group beyond the threshold, the selected services, the Gemeinde
choropleth and a clicked service's catchment. No figure is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from geo import settings
from layers import boundaries, catchment, cells, services
from layers.legend import LegendSection
from layers.map import Overlays
from present import describe, i18n, numbers
from present.classes import measure_classes

CATCHMENT_TITLE_MAX = 32  # characters of a service name in the layer control


@dataclass(frozen=True)
class MeasureOverlay:
    """The measure raster of one analysis (plain data, cacheable)."""

    name: str
    raster: cells.RasterImage
    legend: LegendSection
    outline: dict | None
    attribution: str


def measure_name(measure: str, lang: str = i18n.DEFAULT_LANG) -> str:
    """Layer name of a measure raster (also its legend key)."""
    return i18n.t("layer_measure", lang, measure=i18n.measure_label(measure, lang))


def _values(result: Any, measure: str) -> np.ndarray:
    c = result.cells
    return (c["people"] if measure == "people" else c[measure]).to_numpy(dtype=float)


def measure_overlay(
    result: Any,
    grid: cells.CellGrid,
    measure: str,
    lang: str = i18n.DEFAULT_LANG,
    reference: Any = None,
) -> MeasureOverlay:
    """Classify and paint one measure of a result.

    Parameters
    ----------
    result : geo.analysis.AnalysisResult
        ``result.cells`` is aligned with the cells of ``grid``.
    grid : CellGrid
        ``cells.cell_grid(region.cells)``.
    measure : str
        A key of ``settings.MEASURES`` or ``"people"`` (the target group per cell).
    lang : {"de", "en"}
    reference : AnalysisResult, optional
        The other state of a comparison (before/after a scenario): the class breaks are
        computed from both, so both views share one legend.

    Returns
    -------
    MeasureOverlay
    """
    p = result.params
    c = result.cells
    values = _values(result, measure)
    basis = None if reference is None else np.concatenate([values, _values(reference, measure)])
    classes = measure_classes(measure, values, p.threshold_min, p.target, lang, basis=basis)
    raster = cells.paint(grid, classes.codes, classes.colors)
    name = measure_name(measure, lang)
    model = describe.model_text(result, lang)
    T = numbers.auto_number(p.threshold_min, lang)
    outline, extra = None, ()
    if measure == "minutes":
        mask = (~c["within"].to_numpy(dtype=bool)) & (c["people"].to_numpy(dtype=float) > 0)
        if 0 < mask.sum() <= cells.OUTLINE_MAX_CELLS:
            outline = cells.cells_outline_geojson(c[["x", "y"]].to_numpy(dtype=float), mask)
            extra = (cells.beyond_legend_entry(p.threshold_min, lang),)
    note = (
        f"{i18n.t('lg_threshold', lang, T=T)} · {i18n.target_label(p.target, lang)} · "
        f"{i18n.t('lg_model', lang, model=model)}"
    )
    legend = cells.classes_legend(classes, name=name, note=note, extra=extra)
    attribution = f"{settings.ATTRIBUTION['zensus']}; {i18n.t('attr_model', lang, model=model)}"
    return MeasureOverlay(
        name=name, raster=raster, legend=legend, outline=outline, attribution=attribution
    )


def selected_services(
    region_services: gpd.GeoDataFrame, result: Any, lang: str = i18n.DEFAULT_LANG
) -> dict:
    """Display GeoJSON of the services used by a result (full rows: popups)."""
    return services_by_ids(region_services, selected_ids(result), lang)


def selected_ids(result: Any) -> tuple[str, ...]:
    """Sorted ids of the services a result used (the key of their display GeoJSON)."""
    return tuple(sorted(set(result.services["id"].astype(str)))) if "id" in result.services else ()


def services_by_ids(
    region_services: gpd.GeoDataFrame, ids: tuple[str, ...], lang: str = i18n.DEFAULT_LANG
) -> dict:
    """Display GeoJSON of the services with these ids (full rows: popups)."""
    chosen = region_services.loc[region_services["id"].astype(str).isin(set(ids))]
    return services.services_geojson(chosen, lang)


def gemeinde_choropleth(
    result: Any, indicator: str, lang: str = i18n.DEFAULT_LANG, reference: Any = None
) -> tuple[str, boundaries.Choropleth]:
    """Layer name and colours of a Gemeinde indicator of a result.

    ``reference``: the other state of a comparison; the class breaks use both.
    """
    g = result.gemeinden
    values = dict(zip(g["ags"].astype(str), g[indicator].astype(float), strict=True))
    label = boundaries.indicator_label(indicator, result.params.target, lang)
    name = i18n.t("layer_choropleth", lang, indicator=label)
    basis = (
        None
        if reference is None
        else np.concatenate(
            [
                g[indicator].to_numpy(dtype=float),
                reference.gemeinden[indicator].to_numpy(dtype=float),
            ]
        )
    )
    return name, boundaries.choropleth(
        values, indicator, result.params.target, name, lang, basis=basis
    )


def overlays(
    measure: MeasureOverlay,
    services_geojson: dict,
    result: Any,
    lang: str = i18n.DEFAULT_LANG,
    choropleth: tuple[str, boundaries.Choropleth] | None = None,
    catchment_geojson: dict | None = None,
    catchment_title: str | None = None,
    cell_geojson: dict | None = None,
    selected_ags: str | None = None,
    selected_service: str | None = None,
) -> Overlays:
    """Collect the prepared parts into :class:`layers.map.Overlays`.

    Parameters
    ----------
    measure : MeasureOverlay
    services_geojson : dict
        Output of :func:`selected_services`.
    result : AnalysisResult
        For the categories in the services legend and the threshold.
    lang : {"de", "en"}
    choropleth : (name, Choropleth), optional
    catchment_geojson : dict, optional
        ``catchment.catchment_geojson`` of the clicked service.
    catchment_title : str, optional
        Name of the clicked service.
    cell_geojson : dict, optional
        The clicked cell's square.
    selected_ags, selected_service : str, optional
    """
    svc_name = i18n.t("layer_services", lang)
    categories = (
        sorted(set(result.services["category"].astype(str)))
        if "category" in result.services
        else None
    )
    svc_legend = services.legend_section(svc_name, lang, categories=categories)
    c_name = c_legend = None
    if catchment_geojson is not None:
        title = catchment_title or ""
        title = (
            title if len(title) <= CATCHMENT_TITLE_MAX else title[: CATCHMENT_TITLE_MAX - 1] + "…"
        )
        c_name = i18n.t("layer_catchment", lang, name=title)
        c_legend = catchment.legend_section(
            result.params.threshold_min, c_name, lang, inner=len(catchment_geojson["features"]) > 1
        )
    return Overlays(
        measure_name=measure.name,
        raster=measure.raster,
        raster_attribution=measure.attribution,
        measure_legend=measure.legend,
        outline=measure.outline,
        services_name=svc_name,
        services=services_geojson,
        services_legend=svc_legend,
        choropleth_name=choropleth[0] if choropleth else None,
        choropleth=choropleth[1] if choropleth else None,
        catchment_name=c_name,
        catchment=catchment_geojson,
        catchment_legend=c_legend,
        cell=cell_geojson,
        selected_ags=selected_ags,
        selected_service=selected_service,
    )
