"""Nahraum – Streamlit entry point.

Thin by design: page layout, widgets and session state. Data comes from ``geo``
(regions, key figures), map layers from ``layers``; no analysis happens here.

Run with ``streamlit run app.py`` (settings in ``.streamlit/config.toml``: local
address only, no usage statistics).
"""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from geo import region as georegion
from geo import settings
from geo._errors import NahraumError
from layers import map as maplayers
from layers._assets import ensure_assets
from layers._html import format_int

DEFAULT_REGION = "default"
MAP_HEIGHT_PX = 700
# Less empty space above the title, so the map fits on a projector screen.
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; padding-bottom: 2rem; }
[data-testid="stMetricValue"] { font-size: 1.9rem; }
</style>"""


# ---------------------------------------------------------------------------
# Cached access to geo and layers (the boundary between UI and computation)
# ---------------------------------------------------------------------------


@st.cache_resource(show_spinner="Planungsregion wird geladen (beim ersten Mal wird sie aufgebaut) …")
def get_region(name: str) -> georegion.Region:
    """Load (and if needed build) a region once per server process."""
    return georegion.load_region(name)


@st.cache_data(show_spinner=False)
def get_region_choices() -> dict[str, str]:
    """Region names and labels from ``data/regions``."""
    return georegion.list_regions()


@st.cache_data(show_spinner=False)
def get_info(name: str, content_hash: str) -> dict:
    """Key figures of a region (``content_hash`` keys the cache)."""
    return georegion.region_info(get_region(name))


@st.cache_data(show_spinner="Karte wird vorbereitet …")
def get_map_data(name: str, content_hash: str) -> maplayers.MapData:
    """Display data of all map layers of a region (``content_hash`` keys the cache)."""
    return maplayers.map_data(get_region(name))


@st.cache_resource(show_spinner=False)
def prepare_assets() -> str:
    """Copy the map libraries into the vendor folder once per server process."""
    return str(ensure_assets())


# ---------------------------------------------------------------------------
# Page parts
# ---------------------------------------------------------------------------


def sidebar() -> tuple[str, maplayers.MapOptions]:
    """Region choice and layer switches; returns the region name and map options."""
    st.sidebar.title("Nahraum")
    st.sidebar.caption("Wohnortnahe Beratungs-, Jugend- und Familienangebote planen")
    choices = get_region_choices()
    names = list(choices) or [DEFAULT_REGION]
    index = names.index(DEFAULT_REGION) if DEFAULT_REGION in names else 0
    name = st.sidebar.selectbox("Planungsregion", names, index=index,
                                format_func=lambda n: choices.get(n, n), key="region")

    st.sidebar.subheader("Kartenebenen")
    st.sidebar.caption("Beim Öffnen der Karte sichtbar; in der Karte oben rechts "
                       "lassen sich die Ebenen zusätzlich ein- und ausblenden.")
    options = maplayers.MapOptions(
        services=st.sidebar.checkbox("Angebote", value=True, key="layer_services"),
        population=st.sidebar.checkbox("Bevölkerung (100-m-Raster)", value=True,
                                       key="layer_population"),
        gemeinden=st.sidebar.checkbox("Gemeinde- und Kreisgrenzen", value=True,
                                      key="layer_gemeinden"),
        labels=st.sidebar.checkbox("Ortsnamen", value=True, key="layer_labels"),
        stops=st.sidebar.checkbox("Haltestellen (ÖPNV)", value=False, key="layer_stops"),
        online_tiles=st.sidebar.checkbox(
            "Online-Hintergrundkarte (OpenStreetMap)", value=False, key="online_tiles",
            help="Lädt Kartenkacheln aus dem Internet; dabei erfährt der Kachel-Server den "
                 "Kartenausschnitt. Ohne diese Option verlässt keine Anfrage den Rechner.",
        ),
    )
    if options.online_tiles:
        st.sidebar.warning("Online-Hintergrundkarte ist an: Kartenkacheln werden aus dem "
                           "Internet geladen.")
    return name, options


def key_figures(info: dict) -> None:
    """Gemeinden, inhabitants (official vs population surface), services by precision."""
    services = info["services"]
    located = services["total"] - services["by_precision"].get("not_found", 0)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Gemeinden", format_int(info["gemeinden"]) if info["gemeinden"] else "–",
              help="Amtliche Gemeinden der Planungsregion (VG250-EW)")
    c2.metric("Einwohner:innen (amtlich)", format_int(info["population_official"]),
              help="Summe der amtlichen Einwohnerzahlen der Gemeinden (VG250-EW)")
    c3.metric("Einwohner:innen (Raster)", format_int(info["population_surface"]),
              help="Summe des 100-m-Bevölkerungsrasters: "
                   + info["population_method"].get("method", ""))
    c4.metric("Angebote", format_int(services["total"]),
              help=f"{format_int(located)} davon auf der Karte verortet")
    parts = [f"{settings.PRECISIONS[k][0]}: {format_int(v)}"
             for k, v in services["by_precision"].items() if k in settings.PRECISIONS]
    st.caption("Lage der Angebote – " + " · ".join(parts))


def sources(info: dict, online_tiles: bool) -> None:
    """Data sources, method and unresolved services (traceability)."""
    with st.expander("Datenquellen, Methode und nicht verortete Angebote"):
        st.markdown("**Quellen**")
        for line in maplayers.attribution_lines(online_tiles):
            st.markdown(f"- {line}")
        method = info["population_method"]
        st.markdown(f"**Bevölkerungsraster:** {method.get('method', '–')} "
                    f"(Bezug: {method.get('reference', '–')})")
        st.markdown(f"Regionspaket erstellt: {info['built_at']} · Prüfsumme "
                    f"`{info['content_hash'][:12]}`")
        unresolved = info["services"]["unresolved"]
        if unresolved:
            st.markdown(f"**Nicht verortete Angebote ({len(unresolved)})** – bitte Ort, PLZ "
                        "oder Koordinaten ergänzen:")
            st.dataframe(
                [{"ID": u.get("id"), "Name": u.get("name"), "Ort": u.get("town"),
                  "Hinweis": u.get("geocode_note")} for u in unresolved],
                hide_index=True,
            )


def main() -> None:
    """Render the page."""
    st.set_page_config(page_title="Nahraum – Sozialplanung", layout="wide",
                       initial_sidebar_state="expanded")
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    name, options = sidebar()
    try:
        prepare_assets()
        region = get_region(name)
        content_hash = str(region.meta.get("content_hash", ""))
        info = get_info(name, content_hash)
        data = get_map_data(name, content_hash)
        folium_map = maplayers.build_map(data, options)
    except NahraumError as exc:
        st.error(str(exc))
        st.stop()

    st.subheader(f"Angebote und Bevölkerung – {region.label}", anchor=False)
    key_figures(info)
    st_folium(folium_map, key="karte", height=MAP_HEIGHT_PX, use_container_width=True,
              returned_objects=[])
    sources(info, options.online_tiles)


main()
