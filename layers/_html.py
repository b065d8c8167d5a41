"""Small helpers shared by the layer modules: escaping, links, GeoJSON, tooltip references."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping
from string import Template
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import shapely

COORD_DECIMALS = 5  # about 1 m: enough for display, keeps the page small


def esc(value: Any) -> str:
    """Return ``value`` as HTML-escaped text; missing values become an empty string."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return html.escape(str(value).strip(), quote=True)


def safe_url(value: Any) -> str | None:
    """Return the URL if it is an absolute ``http(s)`` link, else ``None``.

    Links in popups are only rendered for these schemes, so a ``javascript:`` URL from
    an imported file can never become clickable.
    """
    text = "" if value is None else str(value).strip()
    if not text or any(ch.isspace() for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def link_html(url: Any, text: str | None = None) -> str:
    """Return an escaped link that opens in a new tab, or the escaped text if unsafe."""
    target = safe_url(url)
    if target is None:
        return esc(url)
    label = text if text is not None else (urlsplit(target).hostname or target)
    return (
        f'<a href="{html.escape(target, quote=True)}" target="_blank" '
        f'rel="noopener noreferrer">{esc(label)}</a>'
    )


def table_html(rows: Iterable[tuple[str, str]]) -> str:
    """Return a two-column table; keys are escaped, values must already be HTML."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows if v)
    return f'<table class="nahraum-popup-table">{body}</table>'


def js_code(template: str, **values: Any) -> str:
    """Fill ``$name`` placeholders of a JavaScript snippet with JSON literals.

    Every value is inserted through ``json.dumps``, so strings are always quoted and
    escaped (never spliced into code); ``<``, ``>`` and ``&`` become ``\\u`` escapes, so a
    value can never close the surrounding ``<script>`` element. ``$`` does not occur
    otherwise in Nahraum's snippets.
    """

    def literal(value: Any) -> str:
        text = json.dumps(value, ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    return Template(template).substitute({k: literal(v) for k, v in values.items()})


def _json_value(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def feature_collection(geometries: Iterable[Any], properties: Iterable[Mapping[str, Any]]) -> dict:
    """Build a GeoJSON FeatureCollection with coordinates rounded for display.

    Parameters
    ----------
    geometries : iterable of shapely geometries (EPSG:4326)
        Missing or empty geometries are skipped together with their properties.
    properties : iterable of mappings
        One mapping per geometry; values must be JSON-serialisable scalars.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection.
    """
    features = []
    for geom, props in zip(geometries, properties, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        geom = shapely.set_precision(geom, 10.0**-COORD_DECIMALS, mode="pointwise")
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {k: _json_value(v) for k, v in props.items()},
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------------------
# Object references in tooltips (how a map click tells the app what was clicked)
# ---------------------------------------------------------------------------
# st_folium reports the text of the clicked object's tooltip. Tooltips carry a hidden
# reference such as "⟦ags:16068051⟧" (not displayed, but part of the text content).
REF_OPEN, REF_CLOSE = "\u27e6", "\u27e7"
_REF_RE = re.compile(f"{REF_OPEN}(ags|svc):([^{REF_CLOSE}]*){REF_CLOSE}")


def ref_html(kind: str, key: Any) -> str:
    """A hidden, escaped reference to an object, appended to its tooltip HTML.

    Parameters
    ----------
    kind : {"ags", "svc"}
        Gemeinde (AGS) or service (id).
    key : str
        The AGS or the service id.
    """
    text = str(key).replace(REF_OPEN, "").replace(REF_CLOSE, "")
    return f'<span class="nahraum-ref" hidden>{REF_OPEN}{kind}:{esc(text)}{REF_CLOSE}</span>'


def parse_ref(text: Any) -> tuple[str, str] | None:
    """``(kind, key)`` of the reference in a clicked tooltip's text, or ``None``."""
    if not isinstance(text, str):
        return None
    match = _REF_RE.search(text)
    return (match.group(1), match.group(2)) if match else None
