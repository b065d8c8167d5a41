"""Map legend as a Leaflet control (HTML/CSS, no remote resources).

Each layer module describes its own legend section (:class:`LegendSection`); the map
collects them into one :class:`Legend` control. A section is shown only while the
layer of the same name is switched on in the layer control.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from branca.element import MacroElement
from jinja2 import Template


@dataclass(frozen=True)
class LegendEntry:
    """One row of a legend section.

    Parameters
    ----------
    label : str
        Plain text (escaped on rendering).
    swatch_html : str
        Trusted HTML of the symbol (built by Nahraum, never from data).
    """

    label: str
    swatch_html: str


@dataclass(frozen=True)
class LegendSection:
    """A titled group of legend rows tied to a map layer.

    Parameters
    ----------
    title : str
        Section heading (plain text).
    entries : sequence of LegendEntry
        Rows in display order.
    layer_name : str, optional
        Name of the map layer (as in the layer control); the section hides with it.
    note : str, optional
        Small print below the rows (plain text), e.g. the unit or the source.
    """

    title: str
    entries: Sequence[LegendEntry] = field(default_factory=tuple)
    layer_name: str | None = None
    note: str | None = None


def fill_swatch(color: str, border: str = "#555555", opacity: float = 1.0) -> str:
    """Return HTML for a filled square swatch."""
    return (
        f'<span class="nahraum-swatch" style="background:{_css_color(color)};'
        f'border-color:{_css_color(border)};opacity:{float(opacity):.2f}"></span>'
    )


def line_swatch(color: str, width: float = 2.0, dash: str | None = None) -> str:
    """Return HTML for a line swatch (a boundary)."""
    style = "dashed" if dash else "solid"
    return (
        f'<span class="nahraum-line" style="border-top:{float(width):.1f}px {style} '
        f'{_css_color(color)}"></span>'
    )


def circle_swatch(color: str, fill: str, radius: float = 5.0) -> str:
    """Return HTML for a small circle swatch (a point)."""
    d = 2 * float(radius)
    return (
        f'<span class="nahraum-dot" style="width:{d:.0f}px;height:{d:.0f}px;'
        f'background:{_css_color(fill)};border-color:{_css_color(color)}"></span>'
    )


def _css_color(color: str) -> str:
    """Accept only ``#rgb``/``#rrggbb`` colours (they come from settings)."""
    c = str(color).strip()
    if (
        c.startswith("#")
        and len(c) in (4, 7)
        and all(ch in "0123456789abcdefABCDEF" for ch in c[1:])
    ):
        return c
    return "#999999"


def legend_html(
    sections: Sequence[LegendSection], title: str = "Legende", footer: str | None = None
) -> str:
    """Render legend sections as an HTML fragment.

    Parameters
    ----------
    sections : sequence of LegendSection
    title : str
        Heading of the collapsible legend.
    footer : str, optional
        Small print at the bottom (plain text).

    Returns
    -------
    str
        HTML with all labels escaped.
    """
    parts = [f'<details class="nahraum-legend" open><summary>{html.escape(title)}</summary>']
    for section in sections:
        layer_attr = (
            f' data-layer="{html.escape(section.layer_name, quote=True)}"'
            if section.layer_name
            else ""
        )
        parts.append(f'<div class="nahraum-legend-section"{layer_attr}>')
        parts.append(f'<div class="nahraum-legend-title">{html.escape(section.title)}</div>')
        for entry in section.entries:
            parts.append(
                f'<div class="nahraum-legend-row">{entry.swatch_html}'
                f"<span>{html.escape(entry.label)}</span></div>"
            )
        if section.note:
            parts.append(f'<div class="nahraum-legend-note">{html.escape(section.note)}</div>')
        parts.append("</div>")
    if footer:
        parts.append(f'<div class="nahraum-legend-note">{html.escape(footer)}</div>')
    parts.append("</details>")
    return "".join(parts)


class Legend(MacroElement):
    """A Leaflet control holding the legend; sections follow the layer control.

    Parameters
    ----------
    sections : sequence of LegendSection
    position : str
        Leaflet control corner, default ``"bottomleft"`` (above the scale bar).
    title : str
    footer : str, optional
    hidden_layers : sequence of str
        Layers initially switched off (their sections start hidden).
    collapse_below_px : int
        The legend starts collapsed on maps narrower than this.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var ns = window.nahraum;
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function() {
                var div = L.DomUtil.create('div', 'nahraum-legend-control leaflet-control');
                div.innerHTML = (ns && ns.legendHtml) || {{ this.html|tojson }};
                if (map.getSize().x < {{ this.collapse_below_px|tojson }}) {
                    var details = div.querySelector('details');
                    if (details) { details.open = false; }
                }
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                if (ns) { ns.legendDiv = div; }
                return div;
            };
            control.addTo(map);
            function sync(name, visible) {
                var nodes = control.getContainer().querySelectorAll('[data-layer]');
                nodes.forEach(function(node) {
                    if (node.getAttribute('data-layer') === name) {
                        node.style.display = visible ? '' : 'none';
                    }
                });
            }
            map.on('overlayadd', function(e) { sync(e.name, true); });
            map.on('overlayremove', function(e) { sync(e.name, false); });
            {%- for name in this.hidden %}
            sync({{ name|tojson }}, false);
            {%- endfor %}
            if (ns && ns.syncLegend) { ns.syncLegend(); }
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        sections: Sequence[LegendSection],
        position: str = "bottomleft",
        title: str = "Legende",
        footer: str | None = None,
        hidden_layers: Sequence[str] = (),
        collapse_below_px: int = 1100,
    ):
        super().__init__()
        self._name = "Legend"
        self.sections = list(sections)
        self.position = position
        self.html = legend_html(self.sections, title=title, footer=footer)
        self.hidden = list(hidden_layers)
        self.collapse_below_px = int(collapse_below_px)
