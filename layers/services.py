"""Service sites as category markers (colour + Font Awesome symbol) in one GeoJSON layer.

Markers of services whose position is only known to the village, postcode or Gemeinde
are drawn hollow with a dashed ring. Services sharing one position (typical for
village-level geocoding) are fanned out around it by a fixed pixel offset, so every
marker stays clickable at every zoom level while its anchor remains the true point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
from folium.utilities import JsCode

from geo import settings
from geo._crs import to_display
from layers._assets import symbol_svg
from layers._html import (
    esc,
    feature_collection,
    js_code,
    link_html,
    ref_html,
    table_html,
)
from layers.legend import LegendEntry, LegendSection
from present import i18n

LAYER_SERVICES = "Angebote"
UNKNOWN_COLOR = "#777777"
UNKNOWN_SYMBOL = "circle-question"
MARKER_PX = 28  # marker diameter in pixels
RING_STEP_PX = 30  # distance between rings of markers sharing one position
PRECISE = ("coordinates", "manual", "street")  # drawn solid; the rest hollow


def _category(code: str, lang: str = i18n.DEFAULT_LANG) -> tuple[str, str, str]:
    """Return (label, colour, symbol) of a category code, with a neutral fallback."""
    cat = settings.CATEGORIES.get(str(code))
    if cat is None:
        return i18n.category_label(code, lang), UNKNOWN_COLOR, UNKNOWN_SYMBOL
    return i18n.category_label(code, lang), cat.color, cat.symbol


def precision_label(precision: str | None, lang: str = i18n.DEFAULT_LANG) -> str:
    """Label of a geocoding precision key (``settings.PRECISIONS``)."""
    return i18n.precision_label(precision, lang)


def fan_offsets(n: int) -> list[tuple[int, int]]:
    """Pixel offsets for ``n`` markers at one position: centre, then rings.

    Parameters
    ----------
    n : int
        Number of markers sharing the position.

    Returns
    -------
    list of (dx, dy)
        Offsets in screen pixels; the first is ``(0, 0)``.
    """
    out = [(0, 0)]
    ring = 1
    while len(out) < n:
        radius = ring * RING_STEP_PX
        slots = max(int(2 * math.pi * radius // RING_STEP_PX), 1)
        for k in range(slots):
            if len(out) >= n:
                break
            angle = -math.pi / 2 + 2 * math.pi * k / slots
            out.append((round(radius * math.cos(angle)), round(radius * math.sin(angle))))
        ring += 1
    return out[:n]


def popup_html(row: Mapping, lang: str = i18n.DEFAULT_LANG) -> str:
    """Escaped popup HTML of one service.

    Parameters
    ----------
    row : mapping
        One service (schema of ``geo/services.py`` plus ``precision``).
    lang : {"de", "en"}
        Language of the field names.

    Returns
    -------
    str
        HTML; every value from the data is escaped, links only for http(s) URLs.
    """
    label, color, _ = _category(row.get("category"), lang)
    sub = esc(row.get("subcategory"))
    kind = esc(label) + (f" – {sub}" if sub else "")
    street = esc(row.get("street"))
    town = " ".join(p for p in (esc(row.get("postcode")), esc(row.get("town"))) if p)
    ortsteil = esc(row.get("ortsteil"))
    if ortsteil:
        town = f"{town} (OT {ortsteil})" if town else ortsteil
    address = ", ".join(p for p in (street, town) if p)
    precision = row.get("precision")
    lage = esc(precision_label(precision, lang))
    if precision not in PRECISE:
        lage += f' – <span class="nahraum-imprecise">{esc(i18n.t("sp_imprecise", lang))}</span>'
    rows = [
        (i18n.t("sp_kind", lang), kind),
        (i18n.t("sp_provider", lang), esc(row.get("provider"))),
        (i18n.t("sp_address", lang), address),
        (i18n.t("sp_precision", lang), lage),
        (i18n.t("sp_status", lang), esc(row.get("status"))),
        (i18n.t("sp_source", lang), link_html(row.get("source")) if row.get("source") else ""),
    ]
    return (
        f'<div class="nahraum-popup"><h4><span class="nahraum-dot" '
        f'style="background:{color};border-color:{color}"></span>{esc(row.get("name"))}</h4>'
        f"{table_html(rows)}</div>"
    )


def services_geojson(services: gpd.GeoDataFrame, lang: str = i18n.DEFAULT_LANG) -> dict:
    """Services as display GeoJSON with marker style and escaped popup and tooltip HTML.

    Services without a position (``precision == "not_found"`` or empty geometry) are
    left out; count them with :func:`geo` results, not here.

    Parameters
    ----------
    services : GeoDataFrame
        ``region.services`` or a selection of it.
    lang : {"de", "en"}

    Returns
    -------
    dict
        FeatureCollection, EPSG:4326; properties ``id``, ``name``, ``category``,
        ``color``, ``precise``, ``dx``, ``dy``, ``popup``, ``tooltip`` (escaped name and
        a hidden reference ``⟦svc:id⟧`` that tells the app which service was clicked).
    """
    shown = services[services.geometry.notna() & ~services.geometry.is_empty]
    if "precision" in shown.columns:
        shown = shown[shown["precision"] != "not_found"]
    shown = to_display(shown)
    keys = [(round(g.x, 5), round(g.y, 5)) for g in shown.geometry]
    groups: dict[tuple[float, float], list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    offsets: list[tuple[int, int]] = [(0, 0)] * len(keys)
    for members in groups.values():
        for i, off in zip(members, fan_offsets(len(members)), strict=True):
            offsets[i] = off
    props = []
    for (_, row), (dx, dy) in zip(shown.iterrows(), offsets, strict=True):
        record = row.to_dict()
        _, color, _ = _category(record.get("category"), lang)
        sid = str(record.get("id", ""))
        props.append(
            {
                "id": sid,
                "name": str(record.get("name", "")),
                "category": str(record.get("category", "")),
                "color": color,
                "precise": record.get("precision") in PRECISE,
                "dx": dx,
                "dy": dy,
                "popup": popup_html(record, lang),
                "tooltip": f"<b>{esc(record.get('name'))}</b>{ref_html('svc', sid)}",
            }
        )
    return feature_collection(shown.geometry, props)


def _symbols() -> dict[str, str]:
    out = {code: symbol_svg(cat.symbol) for code, cat in settings.CATEGORIES.items()}
    out[""] = symbol_svg(UNKNOWN_SYMBOL)
    return out


def marker_html(color: str, symbol: str | None, precise: bool) -> str:
    """Static marker HTML (used by the legend; the map builds the same in the browser)."""
    cls = "nahraum-marker" + ("" if precise else " nahraum-marker-imprecise")
    inner = symbol_svg(symbol) if symbol else ""
    return f'<span class="{cls}" style="--c:{color}">{inner}</span>'


def services_layer(
    geojson: dict,
    pane: str,
    show: bool = True,
    name: str = LAYER_SERVICES,
    selected: str | None = None,
) -> folium.GeoJson:
    """Service markers: ``L.divIcon`` per feature, tooltip with the name, popup on click.

    Parameters
    ----------
    geojson : dict
        Output of :func:`services_geojson`.
    pane : str
        Map pane name.
    show : bool
        Initially visible.
    name : str
        Layer name in the layer control.
    selected : str, optional
        Id of the selected service: its marker is ringed and its popup opens again
        when the layer is redrawn (after the app reran for the click).
    """
    half = MARKER_PX // 2
    point_to_layer = JsCode(
        js_code(
            """function(feature, latlng) {
            var p = feature.properties;
            var symbols = $symbols;
            var el = document.createElement('span');
            el.className = 'nahraum-marker' + (p.precise ? '' : ' nahraum-marker-imprecise')
                + (p.id === $selected ? ' nahraum-marker-selected' : '');
            el.style.setProperty('--c', p.color);
            el.setAttribute('data-id', p.id);
            el.innerHTML = symbols[p.category] || symbols[''];
            return L.marker(latlng, {
                pane: $pane, riseOnHover: true, keyboard: true,
                zIndexOffset: p.id === $selected ? 1000 : 0,
                icon: L.divIcon({html: el, className: 'nahraum-service-marker',
                                 iconSize: [$size, $size], iconAnchor: [$half - p.dx, $half - p.dy],
                                 popupAnchor: [p.dx, p.dy - $half],
                                 tooltipAnchor: [p.dx + $half, p.dy]})
            });
        }""",
            symbols=_symbols(),
            pane=pane,
            size=MARKER_PX,
            half=half,
            selected=selected,
        )
    )
    on_each = JsCode(
        js_code(
            """function(feature, layer) {
            layer.bindTooltip(feature.properties.tooltip,
                              {direction: 'right', className: 'nahraum-tooltip'});
            layer.bindPopup(feature.properties.popup, {maxWidth: 380, autoPan: false});
            if (feature.properties.id === $selected) {
                layer.on('add', function() {
                    setTimeout(function() { if (layer._map) { layer.openPopup(); } }, 0);
                });
            }
        }""",
            selected=selected,
        )
    )
    return folium.GeoJson(
        geojson,
        name=name,
        show=show,
        pane=pane,
        pointToLayer=point_to_layer,
        on_each_feature=on_each,
        attribution=settings.ATTRIBUTION["services"],
    )


def legend_section(
    name: str = LAYER_SERVICES,
    lang: str = i18n.DEFAULT_LANG,
    categories: Sequence[str] | None = None,
) -> LegendSection:
    """Legend rows: one per category (``categories``: only these), plus the hollow marker."""
    codes = [c for c in settings.CATEGORIES if categories is None or c in categories]
    entries = [
        LegendEntry(
            i18n.category_label(code, lang),
            marker_html(settings.CATEGORIES[code].color, settings.CATEGORIES[code].symbol, True),
        )
        for code in codes
    ]
    entries.append(LegendEntry(i18n.t("lg_imprecise", lang), marker_html("#444444", None, False)))
    return LegendSection(title=i18n.t("lg_services", lang), entries=tuple(entries), layer_name=name)
