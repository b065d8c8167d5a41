"""Planning regions (Sozialräume, Planungsräume) above the Gemeinde.

A planning region is a named group of Gemeinden of a region, imported either
as a table of AGS per planning region (CSV/XLSX: one row per AGS, or a
comma-separated list of AGS in one cell) or as polygons (GeoJSON/GeoPackage
with a name column). Polygons are assigned to Gemeinden by largest overlap
(``by="gemeinde"``, the default) or, when they cut through Gemeinden, the
100 m cells are assigned by their centre (``by="cell"``).

Every import is validated against the region: unknown AGS, an AGS in two
planning regions and Gemeinden (or populated cells) without a planning region
are reported in German with file, row and column.

:func:`aggregate` computes the same indicators as the per-Gemeinde table of
:mod:`geo.analysis` for each planning region: sums for counts, means weighted
with the target group and weighted quantiles recomputed from the cells (never
averaged from Gemeinden).

>>> planning = read_planning("data/planning/kyf_lsz_regionen.csv", region)
>>> aggregate(result, planning)            # one row per planning region
>>> planning_table(result, planning)       # German labels, "<3" suppression
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from . import _crs, _tables, analysis, settings
from ._errors import InputError, Report
from ._text import de_number
from .indicators import normalize_key

#: Name of the group that collects Gemeinden/cells without a planning region
#: (only with ``allow_incomplete=True``).
UNASSIGNED = "ohne Planungsraum"
#: Below this share of its area inside the chosen polygon, a Gemeinde's
#: assignment by largest overlap is reported as a warning.
OVERLAP_WARN_SHARE = 0.5

_NAME_KEYS = (
    "planungsraum",
    "sozialraum",
    "planungsregion",
    "planungsbereich",
    "region",
    "raum",
    "name",
    "bezeichnung",
    "planningregion",
)
_AGS_KEYS = (
    "ags",
    "gemeindeschluessel",
    "amtlichergemeindeschluessel",
    "gkz",
    "gemeindekennziffer",
    "ags8",
    "schluessel",
    "gemeinden",
)
_POLYGON_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")


# ---------------------------------------------------------------------------
# Data class
# ---------------------------------------------------------------------------
@dataclass
class PlanningRegions:
    """Planning regions of one region.

    Attributes
    ----------
    regions : GeoDataFrame
        One row per planning region (EPSG:3035): ``name``, ``n_gemeinden``,
        ``ags`` (comma-separated AGS of its Gemeinden), ``geometry`` (the union
        of its Gemeinden, or the imported polygon clipped to the region for
        ``by="cell"``).
    assignment : DataFrame
        One row per Gemeinde of the region: ``ags``, ``gemeinde``,
        ``planning_region`` (None if unassigned), ``share`` (share of the
        Gemeinde's area in the chosen polygon; 1 for tables).
    by : {"gemeinde", "cell"}
        What is assigned: whole Gemeinden, or 100 m cells by their centre.
    source : str
        File name (or a description) of the import.
    method : str
        German description of the assignment.
    warnings : list of str
        German notes that did not stop the import.
    polygons : GeoDataFrame or None
        The imported polygons (``name``, geometry, EPSG:3035) for ``by="cell"``.
    """

    regions: gpd.GeoDataFrame
    assignment: pd.DataFrame
    by: str = "gemeinde"
    source: str = ""
    method: str = ""
    warnings: list[str] = field(default_factory=list)
    polygons: gpd.GeoDataFrame | None = None

    @property
    def names(self) -> list[str]:
        """Planning region names in their order."""
        return [str(n) for n in self.regions["name"]]

    def ags_map(self) -> dict[str, str]:
        """AGS → planning region (assigned Gemeinden only)."""
        a = self.assignment.dropna(subset=["planning_region"])
        return dict(zip(a["ags"].astype(str), a["planning_region"].astype(str), strict=True))

    def groups(self, x: np.ndarray, y: np.ndarray, ags: Iterable[str]) -> np.ndarray:
        """Index into :attr:`names` of each point (cell centre or service), -1 if none.

        Parameters
        ----------
        x, y : arrays
            EPSG:3035 coordinates (used for ``by="cell"``).
        ags : iterable of str
            The Gemeinde of each point (used for ``by="gemeinde"``).
        """
        index = {n: i for i, n in enumerate(self.names)}
        if self.by == "gemeinde" or self.polygons is None:
            amap = self.ags_map()
            return np.array([index.get(amap.get(str(a), ""), -1) for a in ags], dtype=np.int64)
        return _points_in(np.asarray(x, float), np.asarray(y, float), self.polygons, index)

    def to_frame(self) -> pd.DataFrame:
        """AGS → planning region as a table (one row per Gemeinde), for export."""
        return self.assignment.rename(
            columns={
                "ags": "AGS",
                "gemeinde": "Gemeinde",
                "planning_region": "Planungsraum",
                "share": "Flächenanteil",
            }
        )


def _points_in(
    x: np.ndarray, y: np.ndarray, polygons: gpd.GeoDataFrame, index: Mapping[str, int]
) -> np.ndarray:
    out = np.full(x.size, -1, dtype=np.int64)
    if x.size == 0 or len(polygons) == 0:
        return out
    pts = shapely.points(x, y)
    tree = shapely.STRtree(np.asarray(polygons.geometry.values))
    src, hit = tree.query(pts, predicate="intersects")
    src_u, first = np.unique(src, return_index=True)  # on a shared border: first polygon
    codes = np.array([index.get(str(n), -1) for n in polygons["name"]], dtype=np.int64)
    out[src_u] = codes[hit[first]]
    return out


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
def _find_column(
    columns: Iterable[str],
    keys: tuple[str, ...],
    given: str | None,
    what: str,
    file: str,
    exclude: Iterable[str] = (),
) -> str:
    cols = [str(c) for c in columns]
    if given is not None:
        if given in cols:
            return given
        raise InputError(f"{file}: Spalte „{given}“ fehlt (vorhanden: {', '.join(cols) or '–'}).")
    by_key = {_tables.header_key(c): c for c in reversed(cols) if c not in set(exclude)}
    for k in keys:
        if k in by_key:
            return by_key[k]
    for k in keys:  # e.g. "Name des Sozialraums", "AGS (8-stellig)"
        for ck, c in by_key.items():
            if ck.startswith(k):
                return c
    raise InputError(
        f"{file}: Keine Spalte für {what} gefunden (vorhanden: {', '.join(cols) or '–'}). "
        f"Erwartet wird z. B. „{keys[0]}“."
    )


def _table_from_bytes(data: bytes, name: str) -> pd.DataFrame:
    """A CSV (``;``, ``,`` or tab; UTF-8 or Windows-1252) or XLSX as text columns."""
    if _tables.detect_format(data, name) == "xlsx":
        header, rows = _tables.parse_xlsx(data, name)
    else:
        header, rows = _tables.parse_csv(data, name)
    rows = [r for r in [header, *rows] if any(str(c).strip() for c in r)]
    if not rows:
        raise InputError(f"{name}: Die Datei ist leer.")
    width = len(rows[0])
    return pd.DataFrame(
        [(list(r) + [""] * width)[:width] for r in rows[1:]],
        columns=[str(c).strip() for c in rows[0]],
        dtype=object,
    )


def _ags_text(value: object) -> list[str]:
    """AGS in a cell: one or several, separated by commas, semicolons or blanks."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return []
    if isinstance(value, (int, float, np.integer, np.floating)):
        return [_ags_or_text(value)]
    parts = [p.strip() for p in re.split(r"[,;\s]+", str(value)) if p.strip()]
    return [_ags_or_text(p) for p in parts]


def _ags_or_text(value: object) -> str:
    """The 8-digit AGS of a key (leading zero restored, Regionalschlüssel shortened,
    see :func:`geo.indicators.normalize_key`), else the key as given (reported)."""
    kind, key = normalize_key(value)
    return key if kind == "ags" else str(value)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return str(value).strip()


def read_planning(
    source: str | os.PathLike | bytes | IO[bytes],
    region: Any,
    name_column: str | None = None,
    ags_column: str | None = None,
    by: str = "gemeinde",
    allow_incomplete: bool = False,
    file_name: str | None = None,
) -> PlanningRegions:
    """Import planning regions from a file and validate them against ``region``.

    Parameters
    ----------
    source : path, bytes or file-like
        CSV/XLSX (region name + AGS) or GeoJSON/GeoPackage polygons with a
        name column. File-likes (e.g. uploads) need ``file_name`` or ``.name``.
    region : Region
        Needs ``gemeinden`` (ags, name, geometry in EPSG:3035) and, for
        ``by="cell"``, ``cells`` (x, y, pop).
    name_column, ags_column : str, optional
        Column names; by default found by name (``Planungsraum``, ``Sozialraum``,
        ``Region``, ``Name`` …; ``AGS``, ``Gemeindeschlüssel`` …).
    by : {"gemeinde", "cell"}
        For polygons: assign whole Gemeinden by largest overlap, or cells by centre.
    allow_incomplete : bool
        Collect unassigned Gemeinden/cells in a group ``"ohne Planungsraum"``
        instead of raising.
    file_name : str, optional
        Name shown in messages.

    Raises
    ------
    InputError
        With one :class:`~geo._errors.Problem` per unknown AGS, repeated AGS,
        empty name or unassigned Gemeinde.
    """
    data, name = _tables.read_source(source, file_name)
    is_polygon = (
        name.lower().endswith(_POLYGON_SUFFIXES)
        or data.startswith(b"SQLite format 3\x00")
        or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    )
    if is_polygon:
        try:
            import pyogrio

            with warnings.catch_warnings():  # in-memory GeoPackage: "non conformant extension"
                warnings.simplefilter("ignore", RuntimeWarning)
                gdf = gpd.GeoDataFrame(pyogrio.read_dataframe(io.BytesIO(data)))
        except Exception as exc:  # GDAL raises several types
            raise InputError(f"{name}: Geodatei kann nicht gelesen werden ({exc}).") from exc
        return from_polygons(
            gdf, region, name_column, by=by, allow_incomplete=allow_incomplete, file=name
        )
    table = _table_from_bytes(data, name)
    return from_table(
        table, region, name_column, ags_column, allow_incomplete=allow_incomplete, file=name
    )


def from_table(
    table: pd.DataFrame,
    region: Any,
    name_column: str | None = None,
    ags_column: str | None = None,
    allow_incomplete: bool = False,
    file: str = "Tabelle",
) -> PlanningRegions:
    """Planning regions from a table of region name + AGS (one or a list per row)."""
    name_col = _find_column(table.columns, _NAME_KEYS, name_column, "den Planungsraum", file)
    ags_col = _find_column(
        table.columns,
        _AGS_KEYS,
        ags_column,
        "den Gemeindeschlüssel (AGS)",
        file,
        exclude=[name_col],
    )
    gem = region.gemeinden
    known = dict(zip(gem["ags"].astype(str), gem["name"].astype(str), strict=True))
    report = Report()
    seen: dict[str, tuple[str, int]] = {}
    order: list[str] = []
    for i, row in enumerate(table.itertuples(index=False), start=1):
        values = dict(zip(table.columns, row, strict=True))
        pname = _text(values[name_col])
        codes = _ags_text(values[ags_col])
        if not pname and not codes:
            continue
        if not pname:
            report.add("Name des Planungsraums fehlt.", i, name_col, file)
            continue
        if not codes:
            report.add(f"Kein Gemeindeschlüssel (AGS) für „{pname}“.", i, ags_col, file)
            continue
        if pname not in order:
            order.append(pname)
        for code in codes:
            if not re.fullmatch(r"\d{8}", code):
                report.add(
                    f"„{code}“ ist kein 8-stelliger Gemeindeschlüssel (AGS).", i, ags_col, file
                )
            elif code not in known:
                report.add(
                    f"AGS {code} gehört nicht zur Region {getattr(region, 'label', '')}.".rstrip()
                    + " Bitte prüfen "
                    "(Gebietsstand der Gemeinde, Tippfehler).",
                    i,
                    ags_col,
                    file,
                )
            elif code in seen and seen[code][0] != pname:
                other, first = seen[code]
                report.add(
                    f"AGS {code} ({known[code]}) steht schon in Zeile {first} bei "
                    f"„{other}“; eine Gemeinde darf nur zu einem Planungsraum "
                    "gehören.",
                    i,
                    ags_col,
                    file,
                )
            else:
                seen.setdefault(code, (pname, i))
    assign = {code: p for code, (p, _) in seen.items()}
    assignment = _assignment_frame(gem, assign, {})
    return _finish(
        region,
        assignment,
        order,
        report,
        allow_incomplete,
        file,
        method="Tabelle: Gemeindeschlüssel (AGS) je Planungsraum",
    )


def from_mapping(
    mapping: Mapping[str, Iterable[str]],
    region: Any,
    allow_incomplete: bool = False,
    source: str = "Zuordnung",
) -> PlanningRegions:
    """Planning regions from ``{"name": ["AGS", …]}`` (validated like a table)."""
    rows = [{"planungsraum": k, "ags": ",".join(str(a) for a in v)} for k, v in mapping.items()]
    return from_table(
        pd.DataFrame(rows, columns=["planungsraum", "ags"]),
        region,
        allow_incomplete=allow_incomplete,
        file=source,
    )


def from_polygons(
    gdf: gpd.GeoDataFrame,
    region: Any,
    name_column: str | None = None,
    by: str = "gemeinde",
    allow_incomplete: bool = False,
    file: str = "Geodatei",
) -> PlanningRegions:
    """Planning regions from polygons with a name column.

    ``by="gemeinde"``: each Gemeinde goes to the polygon that covers the largest
    part of its area (a warning when that is less than half of it).
    ``by="cell"``: cells are assigned by their centre; Gemeinden are listed
    under the polygon holding most of their target-group-independent
    population (``pop``).
    """
    if by not in ("gemeinde", "cell"):
        raise InputError(f"Unbekannte Zuordnung „{by}“ (möglich: gemeinde, cell).")
    if gdf is None or len(gdf) == 0:
        raise InputError(f"{file}: Die Geodatei enthält keine Objekte.")
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    name_col = _find_column(cols, _NAME_KEYS, name_column, "den Namen des Planungsraums", file)
    report = Report()
    polys = gdf[[name_col, gdf.geometry.name]].copy()
    if polys.crs is None:
        polys = polys.set_crs(settings.CRS_DISPLAY)  # GeoJSON default
    polys = _crs.to_metric(polys)
    names, geoms, order = [], [], []
    for i, (pname, geom) in enumerate(
        zip(polys[name_col], polys.geometry.values, strict=True), start=1
    ):
        pname = _text(pname)
        if not pname:
            report.add("Name des Planungsraums fehlt.", i, name_col, file)
            continue
        if geom is None or geom.is_empty:
            report.add(f"„{pname}“ hat keine Geometrie.", i, None, file)
            continue
        if not np.isfinite(shapely.get_coordinates(geom)).all():  # GEOS fails on NaN/inf
            report.add(f"„{pname}“ hat ungültige Koordinaten (NaN oder unendlich).", i, None, file)
            continue
        geom = shapely.make_valid(shapely.force_2d(geom))
        parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        if not parts:
            report.add(f"„{pname}“ ist keine Fläche (gefunden: {geom.geom_type}).", i, None, file)
            continue
        names.append(pname)
        geoms.append(shapely.union_all(parts))
        if pname not in order:
            order.append(pname)
    if report:
        raise InputError(f"{file}: Planungsräume fehlerhaft.", report.problems)
    merged = (
        gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=settings.CRS_METRIC)
        .dissolve(by="name", sort=False)
        .reset_index()
    )
    merged = merged.set_index("name").loc[order].reset_index()
    gem = region.gemeinden
    inter = gpd.overlay(
        gem[["ags", "geometry"]],
        merged[["name", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    inter["a"] = inter.geometry.area
    area = dict(zip(gem["ags"].astype(str), gem.geometry.area, strict=True))
    best = (
        inter.sort_values(["ags", "a"], ascending=[True, False])
        .drop_duplicates("ags")
        .set_index("ags")
    )
    assign: dict[str, str] = {}
    shares: dict[str, float] = {}
    warnings: list[str] = []
    gem_names = dict(zip(gem["ags"].astype(str), gem["name"].astype(str), strict=True))
    for ags, row in best.iterrows():
        share = float(row["a"]) / area[str(ags)] if area[str(ags)] > 0 else 0.0
        if share <= 1e-6:
            continue
        assign[str(ags)] = str(row["name"])
        shares[str(ags)] = share
        if by == "gemeinde" and share < OVERLAP_WARN_SHARE:
            warnings.append(
                f"{gem_names[str(ags)]} ({ags}) liegt nur zu "
                f"{share * 100:.0f} % in „{row['name']}“ (größter Anteil) und "
                "wurde dort zugeordnet."
            )
    method = (
        "Flächen: jede Gemeinde zum Planungsraum mit dem größten Flächenanteil"
        if by == "gemeinde"
        else "Flächen: jede 100-m-Zelle zum Planungsraum, der ihren Mittelpunkt enthält"
    )
    if by == "cell":
        # Gemeinde listing: the planning region holding most of its inhabitants
        cells = region.cells
        index = {n: i for i, n in enumerate(order)}
        codes = _points_in(cells["x"].to_numpy(float), cells["y"].to_numpy(float), merged, index)
        pop = cells["pop"].to_numpy(float) if "pop" in cells else np.ones(len(cells))
        lost = (codes < 0) & (pop > 0)
        if lost.any():
            n_people = float(pop[lost].sum())
            affected = sorted(set(cells.loc[lost, "ags"].astype(str)))
            text = (
                f"{int(lost.sum())} bewohnte Zellen ({de_number(n_people, 0)} "
                "Einwohner:innen) liegen in keinem Planungsraum (Gemeinden: "
                + ", ".join(gem_names.get(a, a) for a in affected[:8])
                + (" …" if len(affected) > 8 else "")
                + ")."
            )
            if allow_incomplete:
                warnings.append(text)
            else:
                report.add(text + " Bitte die Flächen ergänzen.", None, None, file)
        frame = pd.DataFrame({"ags": cells["ags"].astype(str), "code": codes, "pop": pop})
        frame = frame.loc[frame["code"] >= 0]
        if len(frame):
            top = (
                frame.groupby(["ags", "code"])["pop"]
                .sum()
                .reset_index()
                .sort_values(["ags", "pop"], ascending=[True, False])
                .drop_duplicates("ags")
            )
            tot = frame.groupby("ags")["pop"].sum()
            assign = {a: order[int(c)] for a, c in zip(top["ags"], top["code"], strict=True)}
            shares = {
                a: (float(p) / float(tot[a]) if tot[a] > 0 else 1.0)
                for a, p in zip(top["ags"], top["pop"], strict=True)
            }
    assignment = _assignment_frame(gem, assign, shares)
    for pname in order:
        if pname not in set(assign.values()):
            warnings.append(
                f"Planungsraum „{pname}“ enthält keine Gemeinde"
                + (
                    " (größter Flächenanteil jeweils woanders)."
                    if by == "gemeinde"
                    else " mit Einwohner:innen."
                )
            )
    clipped = merged.copy()
    clipped["geometry"] = shapely.intersection(
        np.asarray(merged.geometry.values),
        region.outline if hasattr(region, "outline") else shapely.union_all(gem.geometry.values),
    )
    result = _finish(
        region,
        assignment,
        order,
        report,
        allow_incomplete or by == "cell",
        file,
        method=method,
        by=by,
        polygons=clipped if by == "cell" else None,
    )
    result.warnings[:0] = warnings
    return result


def _assignment_frame(
    gem: gpd.GeoDataFrame, assign: Mapping[str, str], shares: Mapping[str, float]
) -> pd.DataFrame:
    ags = gem["ags"].astype(str)
    return pd.DataFrame(
        {
            "ags": ags.to_numpy(),
            "gemeinde": gem["name"].astype(str).to_numpy(),
            "planning_region": [assign.get(a) for a in ags],
            "share": [shares.get(a, 1.0) if a in assign else np.nan for a in ags],
        }
    )


def _finish(
    region: Any,
    assignment: pd.DataFrame,
    order: list[str],
    report: Report,
    allow_incomplete: bool,
    file: str,
    method: str,
    by: str = "gemeinde",
    polygons: gpd.GeoDataFrame | None = None,
) -> PlanningRegions:
    warnings: list[str] = []
    missing = assignment.loc[assignment["planning_region"].isna()]
    if len(missing) and by == "gemeinde":
        listing = ", ".join(
            f"{n} ({a})" for a, n in zip(missing["ags"], missing["gemeinde"], strict=True)
        )
        text = f"{len(missing)} Gemeinde(n) ohne Planungsraum: {listing}."
        if allow_incomplete:
            warnings.append(text + f" Sie werden als „{UNASSIGNED}“ zusammengefasst.")
            assignment.loc[missing.index, "planning_region"] = UNASSIGNED
            assignment.loc[missing.index, "share"] = 1.0
            order = [*order, UNASSIGNED]
        else:
            report.add(
                text + " Bitte jede Gemeinde genau einem Planungsraum zuordnen.", None, None, file
            )
    if report:
        raise InputError(
            f"{file}: Die Planungsräume passen nicht zur Region "
            f"({len(report.problems)} Problem(e)).",
            report.problems,
        )
    if not order:
        raise InputError(f"{file}: Keine Planungsräume gefunden.")
    gem = region.gemeinden
    regions = []
    for pname in order:
        members = assignment.loc[assignment["planning_region"] == pname, "ags"].tolist()
        if polygons is not None:
            geom = polygons.set_index("name").geometry.get(pname)
        else:
            geom = (
                shapely.union_all(gem.loc[gem["ags"].astype(str).isin(members)].geometry.values)
                if members
                else None
            )
        if not members and polygons is None:
            continue
        regions.append(
            {"name": pname, "n_gemeinden": len(members), "ags": ",".join(members), "geometry": geom}
        )
    gdf = gpd.GeoDataFrame(
        pd.DataFrame(regions, columns=["name", "n_gemeinden", "ags", "geometry"]),
        geometry="geometry",
        crs=settings.CRS_METRIC,
    )
    return PlanningRegions(
        regions=gdf,
        assignment=assignment,
        by=by,
        source=file,
        method=method,
        warnings=warnings,
        polygons=polygons,
    )


# ---------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------
def aggregate(result: Any, planning: PlanningRegions) -> pd.DataFrame:
    """Indicators per planning region, recomputed from the cells.

    Parameters
    ----------
    result : AnalysisResult
        From :func:`geo.analysis.analyze` on the same region.
    planning : PlanningRegions

    Returns
    -------
    DataFrame
        One row per planning region: ``name``, ``ags`` (comma-separated AGS),
        ``n_gemeinden`` and ``analysis.SUMMARY_COLUMNS`` (the same code as per
        Gemeinde, :func:`geo.analysis.group_summaries`: sums for counts, means weighted with the target group,
        weighted median and 90th percentile from the cells, distinct services
        reachable from the region's cells with target-group people).
    """
    cells = result.cells
    names = planning.names
    g = planning.groups(
        cells["x"].to_numpy(float), cells["y"].to_numpy(float), cells["ags"].astype(str)
    )
    people = cells["people"].to_numpy(float)
    svc = result.services
    if len(svc):
        sxy = analysis.points_xy(svc)
        sg = planning.groups(
            sxy[:, 0], sxy[:, 1], svc["ags"].astype(object).where(svc["ags"].notna(), "")
        )
    else:
        sg = np.empty(0, dtype=np.int64)
    # The cells of a result hold 2SFCA/E2SFCA per ACCESS_PER_PEOPLE already: scale 1.
    measures = SimpleNamespace(
        minutes=cells["minutes"].to_numpy(float),
        within=cells["within"].to_numpy(bool),
        count=cells["count"].to_numpy(float),
        access_2sfca=cells["2sfca"].to_numpy(float),
        access_e2sfca=cells["e2sfca"].to_numpy(float),
        gap=cells["gap"].to_numpy(float),
    )
    out = analysis.group_summaries(
        g, len(names), people, measures, sp.csr_matrix(result.catchment), sg, access_scale=1.0
    )
    out.insert(0, "n_gemeinden", planning.regions["n_gemeinden"].to_numpy(dtype=np.int64))
    out.insert(0, "ags", planning.regions["ags"].astype(str).to_numpy())
    out.insert(0, "name", names)
    out.attrs["unassigned_people"] = float(people[g < 0].sum())
    return out


def planning_table(
    result: Any, planning: PlanningRegions, suppress: bool = True, total_row: bool = True
) -> pd.DataFrame:
    """Table per planning region (rounding and "<3" as per Gemeinde), code columns.

    The columns of :func:`geo.analysis.gemeinde_table`, where ``name`` is the
    planning region and ``ags`` the AGS of its Gemeinden (comma-separated), plus
    ``n_gemeinden`` after ``name``; the total row is the region's. Labels are
    ``present.tables.planning_labels``.
    """
    agg = aggregate(result, planning)
    pseudo = dataclasses.replace(result, gemeinden=agg.drop(columns=["n_gemeinden"]))
    table = analysis.gemeinde_table(pseudo, suppress=suppress, total_row=total_row)
    counts = list(agg["n_gemeinden"].astype(int))
    if total_row:
        counts.append(int(agg["n_gemeinden"].sum()))
    table["n_gemeinden"] = pd.array(counts, dtype="Int64")
    first = ["name", "n_gemeinden", "ags"]
    table = table[first + [c for c in table.columns if c not in first]]
    table.attrs["planning_source"] = planning.source
    table.attrs["planning_method"] = planning.method
    return table


__all__ = [
    "PlanningRegions",
    "read_planning",
    "from_table",
    "from_mapping",
    "from_polygons",
    "aggregate",
    "planning_table",
    "UNASSIGNED",
]
