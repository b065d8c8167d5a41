"""Municipal boundaries (BKG VG250-EW) and the Destatis Gemeindeverzeichnis (GV100AD)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, settings
from ._errors import DataFileError
from ._io import require_file

VG250_FILE = "th/boundaries/vg250ew_gemeinden_th.geojson"
GV100AD_FILE = "th/statistics/GV100AD_301123.txt"
# Reference date of the VG250-EW population figures: the BKG product "VG250-EW 31.12." of
# the year before its release; the file itself does not state it.
VG250_POP_DATE = "31.12.2023"
GV100AD_POP_DATE = "31.12.2022"
GV100AD_STAND = "30.11.2023"

# Verbandsart codes in GV100AD record type 50.
_VB_KINDS = {
    "50": None,  # verbandsfreie Gemeinde
    "51": "Amt",
    "52": "Samtgemeinde",
    "53": "Verbandsgemeinde",
    "54": "Verwaltungsgemeinschaft",
    "55": "Kirchspielslandgemeinde",
    "56": "Verwaltungsverband",
    "57": "Verwaltungsgemeinschaft (Trägermodell)",
    "58": "erfüllende Gemeinde",
}


def repair_geometries(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Make polygons valid and keep only their polygonal parts.

    ``shapely.make_valid`` can return a GeometryCollection with stray lines
    or points where a rounded ring touched itself; only (multi)polygons are
    kept so that areas and overlays stay correct.
    """
    arr = geoms.values
    fixed = shapely.make_valid(np.asarray(arr, dtype=object))
    out = []
    for geom in fixed:
        if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
            out.append(geom)
            continue
        parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        out.append(shapely.union_all(parts) if parts else None)
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs)


def read_vg250(data_dir: Path) -> gpd.GeoDataFrame:
    """Read the VG250-EW Gemeinden of Thuringia, with repaired geometries.

    Returns
    -------
    GeoDataFrame in EPSG:4326 with ``ags``, ``name``, ``county``, ``pop_vg250``,
    ``area_km2`` and ``geometry``.
    """
    path = require_file(Path(data_dir) / VG250_FILE, "Gemeindegrenzen VG250-EW")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types
        raise DataFileError(f"{path.name}: Datei kann nicht gelesen werden ({exc}).") from exc
    missing = {"ags", "name", "pop", "geometry"} - set(gdf.columns)
    if missing:
        raise DataFileError(
            f"{path.name}: Spalten fehlen: {', '.join(sorted(missing))}. "
            "Erwartet wird die VG250-EW-Gemeindedatei (ags, name, pop)."
        )
    gdf["ags"] = gdf["ags"].astype(str).str.zfill(8)
    bad = ~gdf["ags"].str.fullmatch(r"\d{8}")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise DataFileError(
            f"{path.name}, Objekt {row}, Feld „ags“: 8-stelliger Gemeindeschlüssel erwartet, "
            f"gefunden „{gdf['ags'][bad].iloc[0]}“."
        )
    gdf = gdf.rename(columns={"pop": "pop_vg250"})
    gdf["pop_vg250"] = pd.to_numeric(gdf["pop_vg250"], errors="coerce").fillna(0).astype("int64")
    gdf["geometry"] = repair_geometries(gdf.geometry)
    if gdf.crs is None:
        gdf = gdf.set_crs(settings.CRS_DISPLAY)
    return gdf[["ags", "name", "county", "pop_vg250", "area_km2", "geometry"]]


def read_gv100ad(data_dir: Path, land: str = "16") -> pd.DataFrame:
    """Parse the fixed-width Destatis Gemeindeverzeichnis GV100AD.

    Parameters
    ----------
    data_dir : Path
        Raw data directory.
    land : str
        Two-digit Land key to keep (``"16"`` Thuringia); empty keeps all.

    Returns
    -------
    DataFrame with ``ags``, ``name_official``, ``vg_key``, ``vg_name``, ``vg_kind``,
    ``kreis_name``, ``area_km2_gv100``, ``pop_gv100``, ``pop_male_gv100``, ``postcode``.
    """
    path = require_file(Path(data_dir) / GV100AD_FILE, "Gemeindeverzeichnis GV100AD")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    vbs: dict[str, tuple[str, str | None]] = {}
    kreise: dict[str, str] = {}
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        kind = line[:2]
        if land and line[10:12] != land:
            continue
        if kind == "40":
            kreise[line[10:15]] = line[22:72].strip()
        elif kind == "50":
            vbs[line[10:15] + line[18:22]] = (line[22:72].strip(), _VB_KINDS.get(line[122:124]))
        elif kind == "60":
            if len(line) < 170:
                raise DataFileError(
                    f"{path.name}, Zeile {lineno}: Satz 60 ist zu kurz ({len(line)} Zeichen, "
                    "erwartet mindestens 170). Ist die Datei vollständig?"
                )
            try:
                area = int(line[128:139]) / 100.0
                pop = int(line[139:150])
                male = int(line[150:161])
            except ValueError as exc:
                raise DataFileError(
                    f"{path.name}, Zeile {lineno}, Spalte 129–161: Fläche/Einwohner nicht "
                    "als Zahl lesbar."
                ) from exc
            rows.append(
                {
                    "ags": line[10:18],
                    "name_official": line[22:72].strip(),
                    "vg_key": line[10:15] + line[18:22],
                    "area_km2_gv100": area,
                    "pop_gv100": pop,
                    "pop_male_gv100": male,
                    "postcode": line[165:170].strip(),
                }
            )
    if not rows:
        raise DataFileError(f"{path.name}: keine Gemeinden (Satzart 60) für Land {land} gefunden.")
    df = pd.DataFrame(rows)
    vg = df["vg_key"].map(lambda k: vbs.get(k, (None, None)))
    df["vg_name"] = [v[0] if v[1] else None for v in vg]
    df["vg_kind"] = [v[1] for v in vg]
    df["kreis_name"] = df["ags"].str[:5].map(kreise)
    return df


def read_gemeinden(data_dir: Path) -> gpd.GeoDataFrame:
    """Gemeinden of Thuringia: VG250-EW geometry joined with GV100AD attributes.

    Returns
    -------
    GeoDataFrame in EPSG:3035 with ``ags``, ``name``, ``name_official``, ``kreis``,
    ``kreis_name``, ``vg_name``, ``vg_kind``, ``pop`` (official, VG250-EW),
    ``pop_vg250``, ``pop_gv100``, ``area_km2``, ``area_km2_gv100``, ``postcode``.
    """
    vg = read_vg250(data_dir)
    gv = read_gv100ad(data_dir)
    gdf = vg.merge(gv.drop(columns=["vg_key"]), on="ags", how="left")
    gdf["kreis"] = gdf["ags"].str[:5]
    gdf["kreis_name"] = gdf["kreis_name"].fillna(gdf["county"])
    gdf["name_official"] = gdf["name_official"].fillna(gdf["name"])
    gdf["pop_gv100"] = gdf["pop_gv100"].astype("Int64")
    gdf["pop"] = gdf["pop_vg250"]
    gdf = _crs.to_metric(gdf)
    gdf["area_km2_geom"] = gdf.geometry.area / 1e6
    cols = [
        "ags",
        "name",
        "name_official",
        "kreis",
        "kreis_name",
        "vg_name",
        "vg_kind",
        "pop",
        "pop_vg250",
        "pop_gv100",
        "area_km2",
        "area_km2_gv100",
        "area_km2_geom",
        "postcode",
        "geometry",
    ]
    return gpd.GeoDataFrame(gdf[cols], geometry="geometry", crs=settings.CRS_METRIC)
