"""Scenario layers for the workshop: planned, moved and closed sites, participants' pins.

Planned sites (new site, outreach day, mobile stop) are drawn as a star in a dashed
ring in their category colour, moved sites as a solid star, closed sites crossed out at
their old place; pins as round markers with a symbol per kind (``settings.PIN_KINDS``).
Everything that comes from users (names, pin texts) is HTML-escaped here; the browser
code only assigns prepared HTML.

Input: ``geo.scenario.changes_frame`` and ``geo.scenario.pins_frame`` (EPSG:3035).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
from folium.utilities import JsCode

from geo import settings
from geo._crs import to_display
from layers._html import esc, feature_collection, js_code, table_html
from layers.legend import LegendEntry, LegendSection
from present import describe, i18n

MARKER_PX = 30
PIN_PX = 26
PIN_TOOLTIP_MAX = 80  # characters of a pin's text in its tooltip (the popup has all)
PLAN_COLOR_UNKNOWN = "#444444"
# Colour-blind-safe (Okabe–Ito) colours and symbols of the pin kinds.
PIN_STYLE: dict[str, tuple[str, str]] = {
    "missing": ("#D55E00", "!"),
    "known": ("#009E73", "✓"),
    "too_far": ("#CC79A7", "↔"),
}
SITE_CLASSES: dict[str, str] = {
    "add_site": "plan",
    "outreach_day": "plan",
    "mobile_service": "plan",
    "move_site": "moved",
    "close_site": "closed",
}

SCENARIO_CSS = """
.nahraum-scenario-marker { background: none; border: none; }
.nahraum-plan { box-sizing: border-box; display: inline-flex; align-items: center;
  justify-content: center; width: 30px; height: 30px; border-radius: 50%;
  background: #fff; color: var(--c); border: 3px dashed var(--c); font-size: 20px;
  line-height: 1; font-weight: 700; box-shadow: 0 0 0 2px #fff, 0 1px 5px rgba(0,0,0,0.6); }
.nahraum-plan-moved { border-style: solid; }
.nahraum-plan-closed { background: #eee; color: #222; border: 3px solid #222; }
.nahraum-plan-closed::after { content: ""; position: absolute; left: -4px; right: -4px;
  top: 50%; height: 4px; background: #c00000; transform: rotate(-45deg); }
.nahraum-plan-closed::before { content: ""; position: absolute; left: -4px; right: -4px;
  top: 50%; height: 4px; background: #c00000; transform: rotate(45deg); }
.nahraum-plan { position: relative; }
.nahraum-pin { box-sizing: border-box; display: inline-flex; align-items: center;
  justify-content: center; width: 26px; height: 26px; border-radius: 50% 50% 50% 0;
  transform: rotate(-45deg); background: var(--c); border: 2px solid #fff;
  box-shadow: 0 1px 4px rgba(0,0,0,0.6); }
.nahraum-pin b { transform: rotate(45deg); color: #fff; font-size: 15px; line-height: 1; }
.nahraum-pin-pending { background: #fff; border: 3px dashed #111; }
.nahraum-pin-pending b { color: #111; }
"""


def _kind_label(category: str, subcategory: str, lang: str) -> str:
    if subcategory:
        return subcategory
    return i18n.category_label(category, lang) if category in settings.CATEGORIES else ""


def sites_geojson(
    frame: gpd.GeoDataFrame, lang: str = i18n.DEFAULT_LANG, changes: Sequence[Any] = ()
) -> dict:
    """Display GeoJSON of the sites a scenario touches (``geo.scenario.changes_frame``).

    ``changes``: the scenario's changes; a site's popup describes its change in ``lang``
    (``present.describe.change_text``). Properties: ``id``, ``cls`` (plan/moved/closed),
    ``color``, ``tooltip``, ``popup`` (escaped HTML).
    """
    if frame is None or not len(frame):
        return {"type": "FeatureCollection", "features": []}
    shown = to_display(frame)
    texts = {str(c.id): describe.change_text(c, lang) for c in changes}
    props = []
    for row in shown.itertuples():
        category = str(getattr(row, "category", "") or "")
        sub = str(getattr(row, "subcategory", "") or "")
        cls = SITE_CLASSES.get(str(row.change_type), "plan")
        color = (
            settings.CATEGORIES[category].color
            if category in settings.CATEGORIES
            else PLAN_COLOR_UNKNOWN
        )
        ctype = str(row.change_type)
        status = i18n.t(f"ct_{ctype}" if ctype in SITE_CLASSES else f"plan_{cls}", lang)
        name = esc(row.name)
        tooltip = f"<b>{name}</b><br>{esc(status)}"
        rows = [
            (i18n.t("plan_kind", lang), esc(_kind_label(category, sub, lang))),
            (i18n.t("plan_change", lang), esc(texts.get(str(getattr(row, "change_id", "")), ""))),
            ("ID", esc(row.id)),
        ]
        popup = (
            f'<div class="nahraum-popup"><h4>{name}</h4>{table_html(r for r in rows if r[1])}</div>'
        )
        props.append(
            {"id": str(row.id), "cls": cls, "color": color, "tooltip": tooltip, "popup": popup}
        )
    return feature_collection(shown.geometry, props)


def pin_tooltip(kind: str, text: str, lang: str = i18n.DEFAULT_LANG) -> str:
    """Escaped tooltip HTML of a pin: its kind and the start of its text."""
    short = text if len(text) <= PIN_TOOLTIP_MAX else text[: PIN_TOOLTIP_MAX - 1] + "…"
    label = pin_label(kind, lang)
    return f"<b>{esc(label)}</b>" + (f"<br>{esc(short)}" if short.strip() else "")


def pin_label(kind: str, lang: str = i18n.DEFAULT_LANG) -> str:
    """Label of a pin kind (German from ``settings.PIN_KINDS``)."""
    return i18n.t(f"pin_{kind}", lang) if kind in settings.PIN_KINDS else str(kind)


def pins_geojson(
    frame: gpd.GeoDataFrame,
    lang: str = i18n.DEFAULT_LANG,
    pending: Sequence[tuple[float, float]] = (),
) -> dict:
    """Display GeoJSON of the pins (``geo.scenario.pins_frame``) plus pending clicks.

    ``pending``: (lon, lat) of clicks that still wait for their form (drawn hollow).
    Properties: ``id``, ``color``, ``symbol``, ``tooltip``, ``popup`` (escaped HTML).
    """
    geoms, props = [], []
    if frame is not None and len(frame):
        shown = to_display(frame)
        for row in shown.itertuples():
            color, symbol = PIN_STYLE.get(str(row.kind), ("#444444", "?"))
            text = str(row.text or "")
            body = esc(text).replace("\n", "<br>")
            popup = (
                f'<div class="nahraum-popup"><h4>{esc(pin_label(str(row.kind), lang))}</h4>'
                f"<div>{body}</div></div>"
            )
            geoms.append(row.geometry)
            props.append(
                {
                    "id": str(row.id),
                    "color": color,
                    "symbol": symbol,
                    "tooltip": pin_tooltip(str(row.kind), text, lang),
                    "popup": popup,
                    "pending": False,
                }
            )
    if pending:
        import shapely

        for lon, lat in pending:
            geoms.append(shapely.Point(float(lon), float(lat)))
            props.append(
                {
                    "id": "",
                    "color": "#ffffff",
                    "symbol": "+",
                    "tooltip": esc(i18n.t("plan_pending", lang)),
                    "popup": "",
                    "pending": True,
                }
            )
    return feature_collection(geoms, props)


def sites_layer(geojson: dict, pane: str, name: str) -> folium.GeoJson:
    """Star (planned/moved) or crossed-out (closed) markers with tooltip and popup."""
    half = MARKER_PX // 2
    point_to_layer = JsCode(
        js_code(
            """function(feature, latlng) {
            var p = feature.properties;
            var el = document.createElement('span');
            el.className = 'nahraum-plan nahraum-plan-' + p.cls;
            el.style.setProperty('--c', p.color);
            el.setAttribute('data-plan', p.id);
            el.textContent = p.cls === 'closed' ? '' : '\\u2605';
            return L.marker(latlng, {pane: $pane, riseOnHover: true, zIndexOffset: 500,
                icon: L.divIcon({html: el, className: 'nahraum-scenario-marker',
                                 iconSize: [$size, $size], iconAnchor: [$half, $half]})});
        }""",
            pane=pane,
            size=MARKER_PX,
            half=half,
        )
    )
    on_each = JsCode("""function(feature, layer) {
        layer.bindTooltip(feature.properties.tooltip, {direction: 'right',
                                                       className: 'nahraum-tooltip'});
        layer.bindPopup(feature.properties.popup, {maxWidth: 380, autoPan: false});
    }""")
    return folium.GeoJson(
        geojson, name=name, pane=pane, pointToLayer=point_to_layer, on_each_feature=on_each
    )


def pins_layer(geojson: dict, pane: str, name: str) -> folium.GeoJson:
    """Pin markers (drop shape, symbol per kind) with escaped tooltip and popup."""
    point_to_layer = JsCode(
        js_code(
            """function(feature, latlng) {
            var p = feature.properties;
            var el = document.createElement('span');
            el.className = 'nahraum-pin' + (p.pending ? ' nahraum-pin-pending' : '');
            el.style.setProperty('--c', p.color);
            el.setAttribute('data-pin', p.id);
            var b = document.createElement('b');
            b.textContent = p.symbol;
            el.appendChild(b);
            return L.marker(latlng, {pane: $pane, riseOnHover: true, zIndexOffset: 400,
                icon: L.divIcon({html: el, className: 'nahraum-scenario-marker',
                                 iconSize: [$size, $size], iconAnchor: [$size / 2, $size]})});
        }""",
            pane=pane,
            size=PIN_PX,
        )
    )
    on_each = JsCode("""function(feature, layer) {
        layer.bindTooltip(feature.properties.tooltip, {direction: 'right',
                                                       className: 'nahraum-tooltip'});
        if (feature.properties.popup) {
            layer.bindPopup(feature.properties.popup, {maxWidth: 380, autoPan: false});
        }
    }""")
    return folium.GeoJson(
        geojson, name=name, pane=pane, pointToLayer=point_to_layer, on_each_feature=on_each
    )


def plan_marker_html(cls: str, color: str = PLAN_COLOR_UNKNOWN) -> str:
    """Static marker HTML of a scenario site (legend)."""
    star = "" if cls == "closed" else "★"
    return f'<span class="nahraum-plan nahraum-plan-{cls}" style="--c:{color}">{star}</span>'


def pin_marker_html(kind: str) -> str:
    """Static marker HTML of a pin kind (legend)."""
    color, symbol = PIN_STYLE.get(kind, ("#444444", "?"))
    return f'<span class="nahraum-pin" style="--c:{color}"><b>{esc(symbol)}</b></span>'


def legend_section(
    name: str,
    lang: str = i18n.DEFAULT_LANG,
    classes: Sequence[str] = (),
    pin_kinds: Sequence[str] = (),
) -> LegendSection:
    """Legend rows of the scenario symbols in use (planned, moved, closed, pin kinds)."""
    entries = [
        LegendEntry(i18n.t(f"plan_{c}", lang), plan_marker_html(c))
        for c in ("plan", "moved", "closed")
        if c in classes
    ]
    entries += [
        LegendEntry(pin_label(k, lang), pin_marker_html(k))
        for k in settings.PIN_KINDS
        if k in pin_kinds
    ]
    return LegendSection(title=i18n.t("lg_scenario", lang), entries=tuple(entries), layer_name=name)


def scenario_group(
    sites: dict, pins: dict, lang: str = i18n.DEFAULT_LANG
) -> tuple[folium.FeatureGroup, LegendSection | None]:
    """One feature group with the scenario's sites and pins, and its legend section."""
    name = i18n.t("layer_scenario", lang)
    group = folium.FeatureGroup(name=name, overlay=True, control=True)
    if sites["features"]:
        sites_layer(sites, "nahraum-scenario", name).add_to(group)
    if pins["features"]:
        pins_layer(pins, "nahraum-scenario", name).add_to(group)
    classes = {f["properties"]["cls"] for f in sites["features"]}
    kinds = set()
    for f in pins["features"]:
        for k, (color, _symbol) in PIN_STYLE.items():
            if f["properties"]["color"] == color:
                kinds.add(k)
    legend = legend_section(name, lang, classes, kinds) if classes or kinds else None
    return group, legend


__all__ = [
    "sites_geojson",
    "pins_geojson",
    "pin_tooltip",
    "pin_label",
    "sites_layer",
    "pins_layer",
    "legend_section",
    "scenario_group",
    "SCENARIO_CSS",
    "PIN_STYLE",
]
