"""The marker of a service being placed ("Lage setzen", "Verschieben"): drag it to its place.

A draggable marker at the service's current position; dropping it fires a map click at
the new position, which ``st_folium`` returns like any click, so the workshop's click
state machine (``ui.session.WorkshopSession``) saves it exactly as a clicked position.
"""

from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Template

from layers._html import esc
from present import i18n

PANE = "nahraum-relocate"  # above services, pins and labels (``layers.map.PANES``)
MARKER_HTML = (
    '<div class="nahraum-relocate" style="width:34px;height:34px;border-radius:50%;'
    "background:#ffffff;border:3px solid #c2410c;box-shadow:0 0 0 3px rgba(194,65,12,.35);"
    "cursor:move;display:flex;align-items:center;justify-content:center;"
    'font:bold 20px/1 sans-serif;color:#c2410c">&#10021;</div>'
)


class DropAsClick(MacroElement):
    """Dropping the parent marker fires a click on the map at the drop position."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on('dragend', function(e) {
            var target = window.map || e.target._map;
            target.fire('click', {latlng: e.target.getLatLng()});
        });
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "DropAsClick"


def relocate_layer(
    lat: float, lon: float, name: str, lang: str = i18n.DEFAULT_LANG
) -> folium.FeatureGroup:
    """A feature group with one draggable marker at ``(lat, lon)`` for the service ``name``."""
    group = folium.FeatureGroup(name=i18n.t("relocate_layer", lang), control=False)
    marker = folium.Marker(
        [float(lat), float(lon)],
        draggable=True,
        icon=folium.DivIcon(html=MARKER_HTML, icon_size=(34, 34), icon_anchor=(17, 17)),
        tooltip=i18n.t("relocate_tip", lang, name=esc(name)),
        z_index_offset=10_000,
        pane=PANE,
    )
    marker.add_child(DropAsClick())
    marker.add_to(group)
    return group


__all__ = ["DropAsClick", "relocate_layer"]
