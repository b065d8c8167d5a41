"""Population surface on the Census 2022 100 m grid by dasymetric mapping.

Method (documented for users in ``docs/method.md``):

1. Each populated 1 km cell's inhabitants (``Einwohner``) are distributed over
   its 100 m cells in proportion to a residential weight: dwellings (sum of the
   room-count classes); where a 100 m cell has no dwelling count, its
   residential buildings; where it has neither but appears in another 100 m
   census file, a token weight (``settings.TOKEN_WEIGHT``).
2. A populated 1 km cell without any weighted 100 m cell keeps its
   inhabitants in the 100 m cell just south-west of its centre (the location
   inside it is unknown; ``weight_source`` = "coarse_centre").
3. Each 100 m cell belongs to the Gemeinde that contains its centre. Cells
   whose centre lies outside every Gemeinde of the region are dropped; the
   scaling in step 4 restores the totals.
4. Per Gemeinde, cells are scaled so that they sum to the official population.
   A Gemeinde without any census cell gets one cell at its representative
   point holding its whole official population.
5. Target groups: 100 m counts as published (an absent cell counts 0: the
   census protects small counts by the cell-key method, it does not suppress
   them), scaled with the same Gemeinde factor; a 1 km share only in 1 km
   cells without any 100 m count of the group; share-only groups (under 18,
   65+) are inhabitants × share. No group exceeds a cell's inhabitants.
6. Age groups are calibrated per Kreis to official age structure
   (:func:`calibrate_age_groups`); households stay census-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._errors import DataFileError

_KEY_MUL = 10**6


def cell_key(x: np.ndarray, y: np.ndarray, size: int = settings.CELL_SIZE_M) -> np.ndarray:
    """Integer key of the grid cell whose centre is (x, y)."""
    return (np.asarray(x, dtype=np.int64) // size) * _KEY_MUL + np.asarray(
        y, dtype=np.int64
    ) // size


def parent_centre(v: np.ndarray) -> np.ndarray:
    """Centre coordinate of the 1 km cell that contains a 100 m cell centre."""
    v = np.asarray(v, dtype=np.int64)
    return (
        v // settings.COARSE_CELL_SIZE_M
    ) * settings.COARSE_CELL_SIZE_M + settings.COARSE_CELL_SIZE_M // 2


def _read_parquet(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise DataFileError(
            f"Zensus-Datei fehlt: {path}. Bitte den Datenordner prüfen (NAHRAUM_DATA oder --data)."
        )
    try:
        df = pd.read_parquet(path)
    except Exception as exc:
        raise DataFileError(
            f"{path.name}: Parquet-Datei kann nicht gelesen werden ({exc})."
        ) from exc
    missing = set(columns) - set(df.columns)
    if missing:
        raise DataFileError(
            f"{path.name}: Spalten fehlen: {', '.join(sorted(missing))} (erwartet: {', '.join(columns)})."
        )
    return df[columns]


def _in_bbox(df: pd.DataFrame, bbox: tuple[float, float, float, float] | None) -> pd.DataFrame:
    if bbox is None:
        return df
    x0, y0, x1, y1 = bbox
    m = (df["x"] >= x0) & (df["x"] <= x1) & (df["y"] >= y0) & (df["y"] <= y1)
    return df.loc[m]


def read_coarse(census_dir: Path, bbox=None) -> pd.DataFrame:
    """1 km cells with inhabitants > 0 and target-group shares (fractions, NaN if missing)."""
    census_dir = Path(census_dir)
    df = _in_bbox(
        _read_parquet(census_dir / "1km" / "Einwohner.parquet", ["Einwohner", "x", "y"]), bbox
    )
    df = df.loc[df["Einwohner"] > 0].rename(columns={"Einwohner": "pop"})
    df["pop"] = df["pop"].astype(float)
    shares = {g.source_1km for g in settings.TARGET_GROUPS.values() if g.source_1km}
    for col in sorted(shares):
        s = _in_bbox(_read_parquet(census_dir / "1km" / f"{col}.parquet", [col, "x", "y"]), bbox)
        s = s.loc[s[col] >= 0]
        df = df.merge(s, on=["x", "y"], how="left")
        df[col] = df[col] / 100.0
    return df.reset_index(drop=True)


def _sum_files(census_dir: Path, names: tuple[str, ...], bbox) -> pd.DataFrame:
    parts = []
    for name in names:
        path = census_dir / "100m" / f"{name}.parquet"
        if path.is_file():
            d = _in_bbox(_read_parquet(path, ["value", "x", "y"]), bbox)
            parts.append(d.loc[d["value"] > 0])
    if not parts:
        return pd.DataFrame({"x": [], "y": [], "value": []})
    return pd.concat(parts).groupby(["x", "y"], as_index=False)["value"].sum()


def read_fine(census_dir: Path, bbox=None) -> pd.DataFrame:
    """100 m cells with residential weight, its source and target-group counts.

    Returns
    -------
    DataFrame with ``x``, ``y``, ``weight``, ``weight_source`` ("dwellings",
    "buildings", "presence") and one ``count_<group>`` column per target group
    with 100 m counts (NaN where the census gives none).
    """
    census_dir = Path(census_dir)
    fine_dir = census_dir / "100m"
    if not fine_dir.is_dir():
        raise DataFileError(f"Zensus-Ordner fehlt: {fine_dir}.")
    dw = _sum_files(census_dir, settings.DWELLING_FILES, bbox).rename(
        columns={"value": "dwellings"}
    )
    bu = _sum_files(census_dir, settings.BUILDING_FILES, bbox).rename(
        columns={"value": "buildings"}
    )
    presence = []
    for path in sorted(fine_dir.glob("*.parquet")):
        d = _in_bbox(pd.read_parquet(path, columns=["value", "x", "y"]), bbox)
        presence.append(d.loc[d["value"] > 0, ["x", "y"]])
    cells = pd.concat(presence).drop_duplicates(ignore_index=True)
    cells = cells.merge(dw, on=["x", "y"], how="left").merge(bu, on=["x", "y"], how="left")
    dwell = cells["dwellings"].fillna(0).to_numpy(float)
    build = cells["buildings"].fillna(0).to_numpy(float)
    cells["weight"] = np.where(dwell > 0, dwell, np.where(build > 0, build, settings.TOKEN_WEIGHT))
    cells["weight_source"] = np.where(
        dwell > 0, "dwellings", np.where(build > 0, "buildings", "presence")
    )
    for g in settings.TARGET_GROUPS.values():
        if g.source_100m:
            c = _sum_files(census_dir, (g.source_100m,), bbox).rename(
                columns={"value": f"count_{g.code}"}
            )
            cells = cells.merge(c, on=["x", "y"], how="left")
    return cells.drop(columns=["dwellings", "buildings"])


def dasymetric(coarse: pd.DataFrame, fine: pd.DataFrame) -> pd.DataFrame:
    """Distribute 1 km inhabitants over 100 m cells by weight.

    Parameters
    ----------
    coarse : DataFrame
        ``x``, ``y`` (1 km cell centres), ``pop``, optional share columns.
    fine : DataFrame
        ``x``, ``y`` (100 m cell centres), ``weight`` and optional extra columns.

    Returns
    -------
    DataFrame of 100 m cells with ``pop_census`` (inhabitants before scaling),
    ``px``, ``py`` (parent 1 km centre), the fine columns and the coarse shares.
    1 km cells without weighted sub-cells keep their inhabitants in the 100 m
    cell at their centre (``weight_source`` = "coarse_centre"). Totals per 1 km
    cell are preserved exactly.
    """
    fine = fine.copy()
    fine["px"] = parent_centre(fine["x"].to_numpy())
    fine["py"] = parent_centre(fine["y"].to_numpy())
    co = coarse.rename(columns={"x": "px", "y": "py", "pop": "pop_coarse"})
    merged = fine.merge(co, on=["px", "py"], how="inner")
    wsum = merged.groupby(["px", "py"])["weight"].transform("sum").to_numpy(float)
    merged["pop_census"] = (
        merged["pop_coarse"].to_numpy(float) * merged["weight"].to_numpy(float) / wsum
    )
    covered = merged[["px", "py"]].drop_duplicates()
    rest = co.merge(covered, on=["px", "py"], how="left", indicator=True)
    rest = rest.loc[rest["_merge"] == "left_only"].drop(columns="_merge")
    if len(rest):
        # No weighted sub-cell: the location inside the 1 km cell is unknown;
        # keep its inhabitants in the 100 m cell at its centre.
        half = settings.CELL_SIZE_M // 2
        centre = rest.assign(
            x=rest["px"] - half, y=rest["py"] - half, weight=1.0, weight_source="coarse_centre"
        )
        centre["pop_census"] = centre["pop_coarse"].astype(float)
        merged = pd.concat([merged, centre], ignore_index=True)
    return merged.drop(columns=["pop_coarse"])


@dataclass
class SurfaceReport:
    """How the surface was built: counts a planner can check."""

    cells: int
    coarse_cells: int
    by_weight_source: dict[str, int]
    gemeinden_without_cells: list[str]
    dropped_census_pop: float
    scale_min: float
    scale_max: float
    age_calibration: dict | None = None

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def assign_units(cells: pd.DataFrame, units: gpd.GeoDataFrame) -> np.ndarray:
    """Return the ``ags`` of the unit containing each cell centre (None outside)."""
    pts = shapely.points(cells["x"].to_numpy(float), cells["y"].to_numpy(float))
    src, tgt = units.sindex.query(pts, predicate="within")
    ags = np.full(len(cells), None, dtype=object)
    # A centre on a shared border can hit two units: keep the first.
    order = np.argsort(src, kind="stable")
    src, tgt = src[order], tgt[order]
    first = np.r_[True, src[1:] != src[:-1]]
    ags[src[first]] = units["ags"].to_numpy()[tgt[first]]
    return ags


def _snap_centre(v: float) -> int:
    return int(
        np.floor(v / settings.CELL_SIZE_M) * settings.CELL_SIZE_M + settings.CELL_SIZE_M // 2
    )


def build_surface(
    units: gpd.GeoDataFrame, census_dir: Path, age_table: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, SurfaceReport]:
    """Build the 100 m population surface with target groups for a set of units.

    Parameters
    ----------
    units : GeoDataFrame (EPSG:3035)
        Reporting units with ``ags`` and ``pop`` (official inhabitants). Where
        ``pop`` is NaN the unit keeps the census totals (no scaling).
    census_dir : Path
        Folder with ``1km/`` and ``100m/`` Census 2022 parquet files.
    age_table : DataFrame, optional
        Official age structure per Kreis (:func:`read_age_table`); when
        given, the age groups are calibrated to it.

    Returns
    -------
    (cells, report)
        ``cells`` has ``x``, ``y``, ``ags``, ``weight_source``, ``pop`` and one
        column per target group code.
    """
    x0, y0, x1, y1 = units.total_bounds
    bbox = (x0 - 1000, y0 - 1000, x1 + 1000, y1 + 1000)
    coarse = read_coarse(census_dir, bbox)
    half = settings.COARSE_CELL_SIZE_M / 2
    boxes = shapely.box(
        coarse["x"] - half, coarse["y"] - half, coarse["x"] + half, coarse["y"] + half
    )
    hit = np.unique(units.sindex.query(boxes, predicate="intersects")[0])
    coarse = coarse.iloc[hit].reset_index(drop=True)
    fine = read_fine(census_dir, bbox)
    cells = dasymetric(coarse, fine)
    cells["ags"] = assign_units(cells, units)
    dropped = float(cells.loc[cells["ags"].isna(), "pop_census"].sum())
    cells = cells.loc[cells["ags"].notna()].reset_index(drop=True)

    # Units without any cell: one cell at the representative point.
    have = set(cells["ags"])
    empty = units.loc[~units["ags"].isin(have)]
    if len(empty):
        rp = empty.geometry.representative_point()
        add = pd.DataFrame(
            {
                "x": [_snap_centre(p.x) for p in rp],
                "y": [_snap_centre(p.y) for p in rp],
                "ags": empty["ags"].to_numpy(),
                "weight": 1.0,
                "weight_source": "no_census_cell",
                "pop_census": 0.0,
            }
        )
        add["px"] = parent_centre(add["x"].to_numpy())
        add["py"] = parent_centre(add["y"].to_numpy())
        cells = pd.concat([cells, add], ignore_index=True)

    # Scale per unit to the official population.
    official = units.set_index("ags")["pop"].astype(float)
    census_sum = cells.groupby("ags")["pop_census"].sum()
    n_cells = cells.groupby("ags")["pop_census"].size()
    off = official.reindex(census_sum.index)
    factor = pd.Series(
        np.where(off.isna(), 1.0, off / census_sum.where(census_sum > 0)), index=census_sum.index
    )
    f = cells["ags"].map(factor).to_numpy(float, copy=True)
    zero = ~np.isfinite(f)  # unit with cells but no census inhabitants: split evenly
    pop = cells["pop_census"].to_numpy(float) * np.where(zero, 0.0, f)
    if zero.any():
        per = cells.loc[zero, "ags"].map(off / n_cells).to_numpy(float)
        pop[zero] = per
        f[zero] = 0.0
    cells["pop"] = pop

    _census_groups(cells, f)
    calibration = calibrate_age_groups(cells, units, age_table) if age_table is not None else {}
    finite = factor[np.isfinite(factor)]
    report = SurfaceReport(
        cells=len(cells),
        coarse_cells=int(cells[["px", "py"]].drop_duplicates().shape[0]),
        by_weight_source={k: int(v) for k, v in cells["weight_source"].value_counts().items()},
        gemeinden_without_cells=sorted(empty["ags"].tolist()),
        dropped_census_pop=round(dropped, 1),
        scale_min=float(finite.min()) if len(finite) else 1.0,
        scale_max=float(finite.max()) if len(finite) else 1.0,
        age_calibration=calibration or None,
    )
    cols = ["x", "y", "ags", "weight_source", *settings.TARGET_GROUPS]
    cells["x"] = cells["x"].astype(np.int64)
    cells["y"] = cells["y"].astype(np.int64)
    return cells[cols].sort_values(["ags", "y", "x"], ignore_index=True), report


def _census_groups(cells: pd.DataFrame, factor: np.ndarray) -> None:
    """Census-consistent target groups (see module docstring, step 5).

    100 m counts are taken as published (an absent cell counts 0: the
    cell-key method perturbs values and never publishes 1 or 2, it does not
    suppress), scaled with the Gemeinde factor. A 1 km share is used only in
    1 km cells where the group has no 100 m count at all.
    """
    pop = cells["pop"].to_numpy(float)
    pc = cells["pop_census"].to_numpy(float)
    parent = cells["px"].to_numpy(np.int64) * _KEY_MUL + cells["py"].to_numpy(np.int64)
    for g in settings.TARGET_GROUPS.values():
        if g.code == "pop" or (not g.source_100m and not g.source_1km):
            continue
        share = None
        if g.source_1km:
            share = cells[g.source_1km].to_numpy(float)
            valid = np.isfinite(share)
            w = pc[valid]
            mean_share = float(np.average(share[valid], weights=w)) if w.sum() > 0 else 0.0
            share = np.where(valid, share, mean_share)
        if g.source_100m:
            count = np.nan_to_num(cells[f"count_{g.code}"].to_numpy(float), nan=0.0)
            census_level = count
            if share is not None:
                has = pd.Series(count > 0).groupby(parent).transform("any").to_numpy(bool)
                census_level = np.where(has, count, pc * share)
            value = census_level * factor
            if share is not None:
                value = np.where(factor == 0, pop * share, value)
        else:
            value = pop * share
        cells[g.code] = np.minimum(value, pop)
    # Derived group: young people 10–17.
    cells["age10_17"] = np.maximum(cells["u18"].to_numpy(float) - cells["u10"].to_numpy(float), 0.0)


def read_age_table(path: Path) -> pd.DataFrame:
    """Official population by age per Kreis as group totals.

    Returns
    -------
    DataFrame indexed by Kreisschlüssel with ``pop``, ``u10``, ``u18``,
    ``age65`` and ``age75`` (persons; ``u10`` includes the under-10 part of
    the 6–14 band, ``settings.U10_SHARE_OF_6_14``).
    """
    import json

    try:
        rows = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(f"Alterstabelle {path} kann nicht gelesen werden ({exc}).") from exc
    bands = ["<3 years", "3-5 years", "6-14 years", "15-17 years", "65-74 years", ">74 years"]
    out = {}
    for i, r in enumerate(rows, start=1):
        missing = [b for b in ["ID_County", "Population", *bands] if b not in r]
        if missing:
            raise DataFileError(
                f"{Path(path).name}, Eintrag {i}: Felder fehlen: {', '.join(missing)}."
            )
        k = str(r["ID_County"]).zfill(5)
        out[k] = {
            "pop": float(r["Population"]),
            "u10": r["<3 years"] + r["3-5 years"] + settings.U10_SHARE_OF_6_14 * r["6-14 years"],
            "u18": float(r["<3 years"] + r["3-5 years"] + r["6-14 years"] + r["15-17 years"]),
            "age65": float(r["65-74 years"] + r[">74 years"]),
            "age75": float(r[">74 years"]),
        }
    return pd.DataFrame.from_dict(out, orient="index")


def _scale_to(
    values: np.ndarray, unit: np.ndarray, targets: dict, fallback: np.ndarray
) -> np.ndarray:
    """Scale ``values`` per unit so that each unit in ``targets`` sums to its target."""
    out = values.copy()
    for key, target in targets.items():
        m = unit == key
        total = values[m].sum()
        if total > 0:
            out[m] = values[m] * (target / total)
        elif fallback[m].sum() > 0:
            out[m] = fallback[m] * (target / fallback[m].sum())
    return out


def calibrate_age_groups(cells: pd.DataFrame, units: pd.DataFrame, table: pd.DataFrame) -> dict:
    """Match the age groups' totals per Kreis to official age structure.

    Target per Kreis = official share × the region's official inhabitants in
    that Kreis; the census-consistent surface distributes it. ``age10_17`` is
    the official under-18 minus under-10 total, spread by the cells' census
    difference; ``age80`` is the official 65+ × the grid's own 80+ : 65+
    ratio (the table stops at 75+). Modifies ``cells`` in place and returns
    the factors per Kreis and group.
    """
    if "kreis" not in units.columns:
        return {}
    kreis_of = units.set_index("ags")["kreis"].astype(str)
    unit = cells["ags"].map(kreis_of).to_numpy(object)
    pop = cells["pop"].to_numpy(float)
    kreise = [k for k in pd.unique(unit) if k in table.index]
    if not kreise:
        return {}
    popk = pd.Series(pop).groupby(unit).sum()
    tgt = {
        g: {k: table.at[k, g] / table.at[k, "pop"] * popk[k] for k in kreise}
        for g in ("u10", "u18", "age65")
    }
    before = {
        g: pd.Series(cells[g].to_numpy(float)).groupby(unit).sum()
        for g in ("u10", "u18", "age65", "age80")
    }
    u10 = np.minimum(_scale_to(cells["u10"].to_numpy(float), unit, tgt["u10"], pop), pop)
    teen_w = np.maximum(cells["u18"].to_numpy(float) - cells["u10"].to_numpy(float), 0.0)
    teens = _scale_to(
        teen_w,
        unit,
        {k: tgt["u18"][k] - tgt["u10"][k] for k in kreise},
        cells["u18"].to_numpy(float),
    )
    teens = np.minimum(teens, pop - u10)
    a65 = np.minimum(_scale_to(cells["age65"].to_numpy(float), unit, tgt["age65"], pop), pop)
    ratio = {
        k: before["age80"][k] / before["age65"][k] if before["age65"][k] > 0 else 0.0
        for k in kreise
    }
    a80 = _scale_to(
        cells["age80"].to_numpy(float),
        unit,
        {k: tgt["age65"][k] * min(ratio[k], 1.0) for k in kreise},
        a65,
    )
    a80 = np.minimum(a80, a65)
    cells["u10"], cells["age10_17"], cells["u18"] = u10, teens, u10 + teens
    cells["age65"], cells["age80"] = a65, a80
    return {
        k: {
            g: round(float(tgt[g][k] / before[g][k]), 4) if before[g][k] > 0 else None
            for g in ("u10", "u18", "age65")
        }
        | {"age80_of_65": round(float(ratio[k]), 4)}
        for k in kreise
    }
