"""Nahraum – Streamlit entry point: the gap map.

Only the order of the page's parts. The steps live in ``ui.page`` (set-up, layout,
loading, the view shown, header, map, tables); widgets, session state and cached
``geo`` calls in the other ``ui`` modules, texts and numbers in ``present``, map layers
in ``layers``, files in ``report``. No analysis happens here.

Responsiveness: the region and its networks are cached as resources, analysis results
and every prepared layer with ``st.cache_data`` keyed on (region name, content hash,
``AnalysisParams``). The base map is static per region and language; what changes with
the controls is handed to ``st_folium`` as feature groups, which it swaps into the
running map without reloading it (zoom and centre stay). The map reports only clicks
(``returned_objects``), so panning and zooming never rerun the script.

Run with ``./nahraum.sh app`` (``ui/launch.py``: ``streamlit run app.py`` with the shared
caches preloaded) or ``streamlit run app.py`` (settings in
``.streamlit/config.toml``: local address only, no usage statistics).
"""

from __future__ import annotations

from ui import atlas, page


def main() -> None:
    """Render the page."""
    lang, name, workshop = page.setup()
    folder = atlas.sidebar(lang)
    if folder and atlas.show(folder, lang):
        return  # an atlas opened read-only replaces the analysis
    boxes = page.layout(workshop)
    loaded = page.load(lang, name, workshop, boxes)
    shown = page.view(loaded, boxes)
    page.header(loaded, shown, boxes)
    page.map_and_panel(loaded, shown, boxes)
    if not workshop:
        page.below_map(loaded, shown)


main()
