"""Session state and cached access to ``geo`` and ``layers``.

The boundary between UI and computation: the region and its networks are cached as
resources, results and prepared layers with ``st.cache_data`` keyed on (region name,
content hash, ``AnalysisParams``). Also the small session-state helpers the widgets share.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from geo import (
    analysis,
    gtfs,
    inventory,
    isochrones,
    orientation,
    services,
    settings,
    standards_check,
    stops,
    tiles,
    transit,
)
from geo import region as georegion
from geo import scenario as geoscenario
from geo._errors import NahraumError
from geo.scenario_store import ScenarioStore
from layers import boundaries, catchment, cells, gaps, panel
from layers import map as maplayers
from layers._assets import ensure_assets
from layers.orientation import footprint_geojson
from present import i18n, tables
from report import standards as rstandards
from report.export import coverage_lines
from report.files import csv_bytes
from ui import keys
from ui._stored import stored
from ui.demand import spec_of as demand_spec

DEFAULT_REGION = os.environ.get("NAHRAUM_REGION") or "default"
MAP_KEY = keys.MAP
WS_PARAM = "ws"  # query parameter with the workshop id (scenarios survive a reload)
WS_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{5,39}")


@st.cache_resource(
    show_spinner="Planungsregion wird geladen (beim ersten Mal aufgebaut) … / "
    "Loading the planning region (built on first use) …"
)
def get_region(name: str) -> georegion.Region:
    """Load (and if needed build) a region once per server process.

    ``name@digest`` (``ui.demand``): the region with the registered demand basis
    (official figures, target year); its content hash carries the digest, so every
    result cached on (name, content hash) follows the basis.
    """
    if "#" in name:  # ``key#digest``: the planner's inventory (ui.inventory)
        return with_inventory(get_region(name.partition("#")[0]), name.partition("#")[2])
    base, _, digest = name.partition("@")
    if not digest:
        return georegion.load_region(name)
    spec = demand_spec(name)
    if spec is None:  # the server restarted: the planner uploads the table again
        return get_region(base)
    derived = spec.apply(get_region(base))
    derived.meta["content_hash"] = f"{derived.meta.get('content_hash', '')}-{digest}"
    return derived


def with_inventory(region: georegion.Region, digest: str) -> georegion.Region:
    """The region with the stored inventory as its services (content hash + digest)."""
    inv = inventory.InventoryStore(region.name.partition("@")[0]).load()
    if inv is None:
        return region
    meta = dict(region.meta)
    meta["content_hash"] = f"{region.meta.get('content_hash', '')}-inv{digest}"
    meta["inventory"] = dict(inv.meta)
    meta["sources"] = inventory_sources(region.meta.get("sources") or [], inv.meta)
    return dataclasses.replace(region, services=inv.services, meta=meta)


def inventory_sources(sources: list, inv_meta: dict) -> list:
    """The region's sources with its built-in service list replaced by the planner's."""
    own = {
        "name": i18n.t("inv_source_name", file=inv_meta.get("source_file") or ""),
        "date": str(inv_meta.get("updated_at") or inv_meta.get("imported_at") or "")[:10],
        "attribution": i18n.t("inv_source_attribution"),
    }
    kept = [s for s in sources if s.get("attribution") != settings.ATTRIBUTION["services"]]
    return [*kept, own]


@st.cache_resource(show_spinner=False)
def get_networks(name: str, content_hash: str) -> dict:
    """The region's road networks per mode (``{}`` without a network; one load per region,
    whatever the demand basis and inventory); with a timetable key after ``TRANSIT_SEP``
    in ``content_hash`` (:func:`with_transit`) also the ``"transit"`` model."""
    roads = _networks(base_name(name))
    feed = content_hash.partition(TRANSIT_SEP)[2]
    return {**roads, "transit": get_transit_model(name, feed)} if feed else roads


def base_name(name: str) -> str:
    """The built-in region of a region key (``name[@demand][#inventory]``)."""
    return name.partition("#")[0].partition("@")[0]


@st.cache_resource(show_spinner=False)
def _networks(name: str) -> dict:
    return get_region(name).networks()


@st.cache_data(show_spinner=False)
def get_region_choices() -> dict[str, str]:
    """Region names and labels from ``data/regions``."""
    return georegion.list_regions()


@st.cache_data(show_spinner=False)
def get_info(name: str, content_hash: str) -> dict:
    """Key figures of a region (``content_hash`` keys the cache)."""
    return georegion.region_info(get_region(name))


@st.cache_resource(show_spinner="Karte wird vorbereitet … / Preparing the map …", max_entries=8)
def get_map_data(name: str, content_hash: str, lang: str) -> maplayers.MapData:
    """Display data of the base map of a region (one shared object, not a copy per rerun:
    for ``thueringen`` the copy cost 0.2 s of every rerun; folium never changes it), kept
    in the region's cache folder (``ui._stored``: 0.7 s to prepare, 30 ms to read)."""
    region = get_region(name)
    return stored(
        region.cache_path,
        f"mapdata-{lang}",
        content_hash,
        lambda: maplayers.map_data(
            region,
            networks=get_networks(name, content_hash),
            lang=lang,
            grid=get_cell_grid(name, content_hash),
        ),
    )


@st.cache_resource(show_spinner=False)
def get_cell_grid(name: str, content_hash: str) -> cells.CellGrid:
    """Pixel → cell lookup of the region's 100 m cells (re-coloured per analysis)."""
    if TRANSIT_SEP in content_hash:  # the same cells, whatever the timetable
        return get_cell_grid(name, content_hash.partition(TRANSIT_SEP)[0])
    region = get_region(name)
    return stored_cell_grid(region.cells, region.cache_path, content_hash)


def stored_cell_grid(table: Any, folder: Any, content_hash: str) -> cells.CellGrid:
    """The cell grid of a region, kept in its cache folder (``ui._stored``; thueringen:
    1 s to compute, 20 ms to read)."""

    def read(path: Path) -> cells.CellGrid:
        grid = cells.CellGrid.load(path)
        if grid.n_cells != len(table):
            raise ValueError(f"{path.name}: {grid.n_cells} Zellen statt {len(table)}")
        return grid

    return stored(
        folder,
        "cellgrid",
        f"{content_hash}|{cells.MAX_PIXELS}|{len(table)}",
        lambda: cells.cell_grid(table),
        read=read,
        write=lambda grid, path: grid.save(path),
        suffix=".npz",
    )


@st.cache_data(
    show_spinner="Erreichbarkeit wird berechnet … / Computing accessibility …", max_entries=64
)
def get_result(
    name: str, content_hash: str, params: analysis.AnalysisParams
) -> analysis.AnalysisResult:
    """All measures for one parameter set."""
    return analysis.analyze(get_region(name), params, get_networks(name, content_hash))


@st.cache_data(show_spinner=False, max_entries=128)
def get_measure_overlay(
    name: str,
    content_hash: str,
    params: analysis.AnalysisParams,
    measure: str,
    lang: str,
    _result: analysis.AnalysisResult,
    variant: str = "",
    compared: str = "",
    _reference: Any = None,
) -> gaps.MeasureOverlay:
    """The classed measure raster with legend (``_result``: the result of ``params``;
    ``variant``: digest of the scenario the result belongs to, empty for the status quo;
    ``compared``: digest of a compared scenario whose other state ``_reference`` shares
    the class breaks)."""
    return gaps.measure_overlay(
        _result, get_cell_grid(name, content_hash), measure, lang, reference=_reference
    )


def get_services_geojson(
    name: str,
    content_hash: str,
    params: analysis.AnalysisParams,
    lang: str,
    _result: analysis.AnalysisResult,
    variant: str = "",
    _services: Any = None,
) -> dict:
    """The selected services as display GeoJSON (``_services``: the list after a scenario)."""
    ids = gaps.selected_ids(_result)
    return get_services_geojson_of(name, content_hash, lang, ids, variant, _services)


@st.cache_data(show_spinner=False, max_entries=64)
def get_services_geojson_of(
    name: str, content_hash: str, lang: str, ids: tuple[str, ...], variant: str, _services: Any
) -> dict:
    """Display GeoJSON of the services ``ids`` (shared by all thresholds, modes and target
    groups: only the selection of categories changes it; ``_services`` as above)."""
    services = get_region(name).services if _services is None else _services
    return gaps.services_by_ids(services, ids, lang)


@st.cache_data(show_spinner=False, max_entries=128)
def get_choropleth(
    name: str,
    content_hash: str,
    params: analysis.AnalysisParams,
    indicator: str,
    lang: str,
    _result: analysis.AnalysisResult,
    variant: str = "",
    compared: str = "",
    _reference: Any = None,
) -> tuple[str, boundaries.Choropleth]:
    """Colours of a Gemeinde indicator (class breaks shared with ``_reference``)."""
    return gaps.gemeinde_choropleth(_result, indicator, lang, reference=_reference)


@st.cache_data(
    show_spinner="Einzugsbereich wird berechnet … / Computing the catchment …", max_entries=64
)
def get_catchment(
    name: str, content_hash: str, mode: str, threshold: float, xy: tuple[float, float]
) -> dict:
    """Travel-time bands of one service up to the threshold (display GeoJSON)."""
    bands = catchment.catchment_bands(threshold)
    network = get_networks(name, content_hash).get(mode)
    if mode == settings.TRANSIT_MODE.code:  # timetable bands on the region's cells
        cells_xy = get_region(name).cells[["x", "y"]].to_numpy(dtype=float)
        gdf = isochrones.nearest_isochrones(
            [list(xy)], mode, bands, network, cells_xy=cells_xy, cumulative=True
        )
        return catchment.catchment_geojson(gdf, threshold)
    gdf = isochrones.service_isochrones([list(xy)], mode, bands, network, cumulative=True)
    return catchment.catchment_geojson(gdf, threshold)


@st.cache_data(show_spinner=False, max_entries=64)
def get_screen_table(
    name: str,
    content_hash: str,
    params: analysis.AnalysisParams,
    lang: str,
    _result: analysis.AnalysisResult,
    variant: str = "",
) -> tuple[Any, list[str], dict[str, int]]:
    """The sortable Gemeinde table (numbers numeric, small counts missing)."""
    df, suppressed = tables.screen_table(_result, lang)
    return df, suppressed, tables.decimals_of(_result, lang)


@st.cache_resource(show_spinner=False, max_entries=32)
def get_styled_table(
    name: str,
    content_hash: str,
    params: analysis.AnalysisParams,
    lang: str,
    _result: analysis.AnalysisResult,
    variant: str = "",
) -> Any:
    """:func:`get_screen_table` styled (``present.tables.styled``), one object for every
    session: shown read-only, its rendering is kept."""
    df, suppressed, decimals = get_screen_table(name, content_hash, params, lang, _result, variant)
    return tables.styled(df, suppressed, decimals, lang)


@st.cache_data(show_spinner=False, max_entries=64)
def get_csv(
    name: str,
    content_hash: str,
    params: analysis.AnalysisParams,
    style: str,
    lang: str,
    _result: analysis.AnalysisResult,
    variant: str = "",
) -> bytes:
    """The Gemeinde table as CSV bytes."""
    return csv_bytes(tables.table(_result, lang, suppress=True), german=style == "de")


@st.cache_data(
    show_spinner="Angebotsliste wird geprüft … / Checking the service list …", max_entries=8
)
def get_import(
    name: str, content_hash: str, digest: str, layer: str | None, filename: str, _data: bytes
) -> services.ImportResult:
    """An uploaded service list imported for region ``name`` (``digest``: of the bytes)."""
    region = get_region(name)
    return services.import_services(
        _data, region.gemeinden, region.outline, filename=filename, layer=layer
    )


@st.cache_resource(show_spinner=False)
def get_footprint(name: str, content_hash: str) -> Any:
    """The region's settlement footprint (EPSG:3035), ``None`` without census cells."""
    try:
        return orientation.settlement_footprint(get_region(name))
    except (NahraumError, OSError, ValueError):
        return None


@st.cache_data(show_spinner=False)
def get_footprint_geojson(name: str, content_hash: str) -> dict:
    """The settlement footprint as display GeoJSON (simplified by 15 m)."""
    return footprint_geojson(get_footprint(name, content_hash), simplify_m=15.0)


@st.cache_resource(show_spinner=False)
def get_roads(name: str, content_hash: str) -> Any:
    """The roads of the region's networks by class (empty without a network)."""
    return orientation.road_lines(get_networks(name, content_hash))


@st.cache_resource(show_spinner=False)
def get_tile_server(path: str) -> tiles.TileServer:
    """A local basemap served on 127.0.0.1 (one server per file for the process)."""
    return tiles.TileServer(tiles.open_tile_source(path)).start()


@st.cache_data(show_spinner=False, max_entries=16)
def get_coverage_lines(name: str, content_hash: str, lang: str, _region: Any) -> list[str]:
    """The coverage statement of the region's services (empty when every Kreis has some)."""
    return coverage_lines(_region, lang)


@st.cache_resource(show_spinner=False)
def prepare_assets() -> str:
    """Copy the map libraries into the vendor folder once per server process."""
    return str(ensure_assets())


@st.cache_resource(show_spinner=False)
def get_extent(name: str, content_hash: str) -> geoscenario.Extent:
    """The region's extent (positions outside are refused)."""
    return geoscenario.Extent.from_region(get_region(name))


@st.cache_resource(show_spinner=False, max_entries=8)
def warm_up(name: str, content_hash: str) -> threading.Thread:
    """Start the region's shared look-ups in the background, once per region and process.

    The pixel → cell grid (needed by the base map and every measure raster) and the
    extent (needed by the scenario store) are computed while the first run builds the
    controls, the analysis and the base map; the run's own calls wait for them instead of
    computing them again (``st.cache_resource`` computes each key once). Errors are left
    to those calls, which report them in German.
    """

    def work() -> None:
        with contextlib.suppress(Exception):
            get_cell_grid(name, content_hash)
            get_extent(name, content_hash)

    thread = threading.Thread(target=work, name=f"nahraum-warm-up-{name}", daemon=True)
    thread.start()
    return thread


def get_store(ws: str, name: str, content_hash: str) -> ScenarioStore:
    """The scenario folder of this workshop and region (``<cache>/sessions/<id>/``)."""
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return ScenarioStore.for_session(f"{ws}-{digest}", extent=get_extent(name, content_hash))


def workshop_id() -> str:
    """The workshop id from the URL (``?ws=…``), created on the first visit.

    A browser reload starts a new Streamlit session; the id in the URL keeps the
    scenarios. Another browser without the id gets its own id, hence its own store.
    """
    ws = st.query_params.get(WS_PARAM)
    if not isinstance(ws, str) or not WS_RE.fullmatch(ws):
        ws = secrets.token_hex(8)
        st.query_params[WS_PARAM] = ws
    return ws


def lkey(base: str, lang: str) -> str:
    """Widget key per language for widgets whose option texts are translated.

    A select box keeps showing the option text it was given when the value was chosen;
    a new key per language makes it show the translated text. The chosen values are
    carried over by :func:`carry_over_language`.
    """
    return f"{base}__{lang}"


def carry_over_language(lang: str) -> None:
    """Copy the choices of the language-keyed widgets when the language changes."""
    state = st.session_state
    previous = state.get("_lang_previous")
    if previous and previous != lang:
        suffix = f"__{previous}"
        for key in [k for k in state if isinstance(k, str) and k.endswith(suffix)]:
            state[key[: -len(suffix)] + f"__{lang}"] = state[key]
    state["_lang_previous"] = lang


def lazy_expander(label: str, key: str) -> Any:
    """An expander whose content the caller draws only while it is open (``.open``).

    Opening or closing it reruns the script; closed, nothing inside is computed or sent,
    so a control change does not pay for sections out of view (``benchmarks/load.py``).
    """
    return st.expander(label, key=key, on_change="rerun")


def initial(key: str, **default: Any) -> dict:
    """``default`` unless the widget's value is already in the session state."""
    return {} if key in st.session_state else default


def report(exc: Exception) -> None:
    """Keep a German error message for the next display (callbacks cannot draw)."""
    st.session_state["ws_error"] = str(exc)


def history_do(fn, *args: Any) -> None:
    """Button callback: one step on the history (German errors kept for display)."""
    try:
        fn(*args)
    except NahraumError as exc:
        report(exc)
        return
    # the history auto-saves through its store: keep what came in from another session
    store = getattr(getattr(getattr(fn, "__self__", None), "on_change", None), "__self__", None)
    merged = getattr(store, "last_merge", None)
    if merged is not None and merged.merged:
        st.session_state[keys.WS_MERGE] = merged


def scenario_digest(scenario: geoscenario.Scenario) -> str:
    """Digest of what changes the analysis (the changes, not the pins)."""
    text = json.dumps([c.to_dict() for c in scenario.changes], sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@st.cache_resource(show_spinner=False, max_entries=256)
def _changes_frame(
    name: str, content_hash: str, digest: str, _services: Any, _scenario: Any
) -> Any:
    return geoscenario.changes_frame(_services, _scenario)


def scenario_sites(region: georegion.Region, scenario: geoscenario.Scenario) -> Any:
    """The sites the scenario touches (``geo.scenario.changes_frame``), ``None`` without
    changes; once per scenario state and service list for every session (read only: the
    map layer and the exports draw from it). A threshold or mode change keeps it."""
    if not scenario.changes:
        return None
    content_hash = str(region.meta.get("content_hash", ""))
    return _changes_frame(
        region.name, content_hash, scenario_digest(scenario), region.services, scenario
    )


@st.cache_data(show_spinner=False, max_entries=64)
def get_standards_check(
    name: str,
    content_hash: str,
    standards_digest: str,
    variant: str,
    _region: Any,
    _networks: dict,
    _standards: Any,
    _scenario: Any = None,
) -> standards_check.CheckResult:
    """The standards check of the region shown (``content_hash`` carries the demand basis)
    after the scenario whose changes have the digest ``variant`` (empty: status quo)."""
    return standards_check.check(_region, _standards, _networks, scenario=_scenario)


@st.cache_resource(show_spinner=False, max_entries=256)
def get_service_counts(
    name: str, content_hash: str, categories: tuple[str, ...], _services: Any
) -> tuple[dict[str, int], dict[str, int]]:
    """Located services per category and per subcategory of ``categories`` (all if
    empty), once per region and choice for every session (read only)."""
    return panel.category_counts(_services), panel.subcategory_counts(_services, categories)


@st.cache_data(show_spinner=False, max_entries=64)
def get_check_table(
    name: str,
    content_hash: str,
    standards_digest: str,
    variant: str,
    lang: str,
    _check: standards_check.CheckResult,
) -> Any:
    """The check's screen table (``report.standards.check_table``), once per check and
    language (keys as :func:`get_standards_check`)."""
    return rstandards.check_table(_check, lang)


# --- ÖPNV timetable (issue 11) ---------------------------------------------------------
TRANSIT_SEP = "|gtfs:"  # content_hash + TRANSIT_SEP + feed key: results on a timetable


@dataclass(frozen=True)
class FeedChoice:
    """A timetable chosen in the sidebar: feed file, service date, departure window."""

    path: str
    date: str  # ISO date
    depart_s: int
    window_min: int

    @property
    def key(self) -> str:
        """The choice as one string (cache key of the model; parsed by :meth:`of`)."""
        return json.dumps([self.path, self.date, self.depart_s, self.window_min])

    @classmethod
    def of(cls, key: str) -> FeedChoice:
        path, date, depart_s, window = json.loads(key)
        return cls(str(path), str(date), int(depart_s), int(window))


def with_transit(content_hash: str, feed: FeedChoice | None) -> str:
    """The content hash that keys results on ``feed`` (unchanged without a feed)."""
    return content_hash if feed is None else f"{content_hash}{TRANSIT_SEP}{feed.key}"


@st.cache_resource(
    show_spinner="Fahrplan wird geprüft und importiert … / Checking and importing the timetable …"
)
def get_timetable(name: str, path: str, date: str) -> gtfs.Timetable:
    """One service day of a feed clipped to the region, cached in the region's cache folder
    (``gtfs.import_feed``) and shared by all sessions."""
    region = get_region(base_name(name))
    return gtfs.import_feed(path, date, region.cache_path, region.outline)


@st.cache_resource(show_spinner=False)
def get_transit_model(name: str, feed_key: str) -> transit.TransitModel:
    """The timetable model of a feed choice (walks on the region's walking network)."""
    feed = FeedChoice.of(feed_key)
    tt = get_timetable(name, feed.path, feed.date)
    walk = _networks(base_name(name)).get("walk")
    params = transit.TransitParams(depart_s=feed.depart_s, window_min=feed.window_min)
    return transit.TransitModel(tt, params, walk if tt.crs == settings.CRS_METRIC else None)


@st.cache_data(show_spinner=False, max_entries=8)
def get_stop_access(name: str, content_hash: str) -> Any:
    """The Haltestellen-Erschließung of the region's cells (proxy without a timetable)."""
    region = get_region(name)
    xy = region.cells[["x", "y"]].to_numpy(dtype=float)
    return stops.stop_access(xy, region.stops, network=_networks(base_name(name)).get("walk"))
