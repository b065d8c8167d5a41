"""An atlas: every measure for every Kreis × mode × category × target group, on Dask.

The batch that outgrows one interactive session (a Land, a Sozialstrukturatlas, a
consortium of Kreise). One task per Kreis × mode (:func:`compute_partition`): the task
loads the Kreis as a region of its own (``geo.region.load_region("16065")``: its cells,
its Gemeinden and the services within ``settings.REGION_BUFFER_M`` of its outline, so
services across the Kreis border count) and runs :func:`geo.analysis.analyze` for every
category × target group – exactly the interactive analysis of that Kreis, with one
routing per category (``analysis.travel_times``) shared by its target groups. A task holds
one Kreis bundle and one mode's network, which sizes it for a worker's memory.

Scheduling is Dask's (``dask.distributed``): a :class:`~distributed.LocalCluster` of
worker processes by default, an existing cluster with ``scheduler``. Region bundles are
built by one task per Kreis before its mode tasks start (no two workers write one bundle).

Output folder (``out``)::

    atlas.json                                   inputs, parameters, partitions, failures
    cells/kreis=<K>/mode=<M>/kind=<C>/part.parquet   GeoParquet, 100-m cells (EPSG:3035)
    gemeinden/kreis=<K>/mode=<M>/part.parquet    per Gemeinde × category × target group
    _partitions/<K>-<M>.json                     marker of a finished partition
    atlas_<mode>.xlsx, tabellen/<mode>_<target>.csv   labelled tables (report.atlas)

A partition is finished when its marker exists with the key of its inputs (the Kreis
bundle's content hash, the parameters and the code of ``geo``); a rerun skips finished
partitions and recomputes the rest (a partition of a killed worker has no marker).
Files are written atomically, the marker last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import resource
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, analysis, boundaries, region, settings
from ._errors import InputError
from ._io import atomic_path, file_digest, write_bytes_atomic

ATLAS_VERSION = 1
MANIFEST = "atlas.json"
MARKERS = "_partitions"
#: Per-cell columns that do not depend on the target group.
CELL_SHARED = ("minutes", "service_id", "within", "count", "off_network")
#: Per-cell columns per target group (suffix ``__<target>``).
CELL_PER_TARGET = ("people", "2sfca", "e2sfca", "gap")


@dataclass(frozen=True)
class AtlasSpec:
    """What an atlas computes.

    Attributes
    ----------
    region : str
        A region name or key list (``geo.region.get_definition``); its Kreise are the
        partitions.
    kinds, modes, targets : tuple of str
        Categories, travel modes and target groups.
    thresholds : dict
        Mode → threshold in minutes (default: the mode's default threshold).
    data_dir, cache_dir : str or None
    """

    region: str
    kinds: tuple[str, ...]
    modes: tuple[str, ...]
    targets: tuple[str, ...]
    thresholds: dict[str, float] = field(default_factory=dict)
    data_dir: str | None = None
    cache_dir: str | None = None
    gtfs: str | None = None
    depart: str | None = None
    window_min: int = settings.TRANSIT_WINDOW_MIN

    def threshold(self, mode: str) -> float:
        return float(self.thresholds.get(mode, settings.TRAVEL_MODES[mode].default_threshold_min))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Partition:
    """One task: a Kreis and a mode."""

    kreis: str
    mode: str

    @property
    def name(self) -> str:
        return f"{self.kreis}-{self.mode}"


@dataclass
class AtlasReport:
    """What a run did: partitions computed, skipped and failed (with German reasons)."""

    out: Path
    computed: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0
    workers: int = 0
    dashboard: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed


# ---------------------------------------------------------------------------
# Specification
# ---------------------------------------------------------------------------
def _choices(value: str | Iterable[str] | None, known: Sequence[str], what: str) -> tuple[str, ...]:
    if value is None or value in ("all", ("all",)):
        return tuple(known)
    items = [v.strip() for v in (value.split(",") if isinstance(value, str) else value)]
    items = [v for v in items if v]
    if items == ["all"]:
        return tuple(known)
    bad = [v for v in items if v not in known]
    if bad or not items:
        raise InputError(
            f"Unbekannte {what} „{', '.join(bad) or '–'}“ (möglich: all, {', '.join(known)})."
        )
    return tuple(dict.fromkeys(items))


def make_spec(
    region_name: str = "default",
    kinds: str | Iterable[str] | None = "all",
    modes: str | Iterable[str] | None = "walk,bike,car",
    targets: str | Iterable[str] | None = "all",
    threshold_min: float | None = None,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    *,
    gtfs: str | os.PathLike | None = None,
    depart: str | None = None,
    window_min: int = settings.TRANSIT_WINDOW_MIN,
) -> AtlasSpec:
    """An :class:`AtlasSpec` from command-line style arguments (German errors).

    ``kinds``/``targets``: ``"all"`` or comma-separated codes; ``modes``: comma-separated,
    ``transit`` (ÖPNV) with ``gtfs`` (a GTFS zip, clipped to each Kreis) and ``depart``
    (``"YYYY-MM-DD HH:MM"``) and ``window_min`` (departure minutes, median as in the app).
    ``threshold_min``: one threshold for all modes (default: each mode's own).
    """
    kinds_ = _choices(kinds, list(settings.CATEGORIES), "Kategorie")
    modes_ = _choices(modes, list(settings.TRAVEL_MODES), "Verkehrsart")
    if settings.TRANSIT_MODE.code in modes_:
        if not gtfs or not depart:
            raise InputError(
                "Für „ÖPNV“ im Atlas bitte einen Fahrplan (--gtfs FAHRPLAN.zip) und die "
                'Abfahrt (--depart "JJJJ-MM-TT HH:MM") angeben.'
            )
        from . import gtfs as gtfs_mod

        gtfs_mod.parse_departure(depart)  # German error for a bad date or time
        if not Path(gtfs).is_file():
            raise InputError(f"Fahrplan {gtfs} nicht gefunden.")
    if window_min < 0:
        raise InputError("Das Zeitfenster (--window) darf nicht negativ sein.")
    targets_ = _choices(targets, list(settings.TARGET_GROUPS), "Zielgruppe")
    if threshold_min is not None and not 0 < float(threshold_min) <= 240:
        raise InputError("Der Schwellenwert muss zwischen 0 und 240 Minuten liegen.")
    region.get_definition(region_name)  # unknown names fail here, in German
    return AtlasSpec(
        region=region_name,
        kinds=kinds_,
        modes=modes_,
        targets=targets_,
        thresholds={m: float(threshold_min) for m in modes_} if threshold_min else {},
        data_dir=str(data_dir) if data_dir else None,
        cache_dir=str(cache_dir) if cache_dir else None,
        gtfs=str(Path(gtfs).resolve()) if gtfs else None,
        depart=depart,
        window_min=int(window_min),
    )


def kreise_of(spec: AtlasSpec) -> list[tuple[str, str]]:
    """Kreisschlüssel and names of the region's Kreise (the partitions)."""
    defn = region.get_definition(spec.region)
    if defn.bbox is not None:
        raise InputError(
            f"Region {defn.name} hat keine amtlichen Kreise (Rechteck); ein Atlas braucht Kreise."
        )
    units, _ = region.select_units(defn, settings.data_dir(spec.data_dir))
    kreise = units.drop_duplicates("kreis").sort_values("kreis")
    return list(zip(kreise["kreis"].astype(str), kreise["kreis_name"].astype(str), strict=True))


def code_hash() -> str:
    """Hash of the computation code (``geo/*.py``): a change recomputes every partition."""
    h = hashlib.sha1()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def partition_key(spec: AtlasSpec, part: Partition, content_hash: str, code: str) -> str:
    """Key of a partition's inputs: bundle, parameters, code."""
    payload = {
        "kreis": part.kreis,
        "mode": part.mode,
        "kinds": spec.kinds,
        "targets": spec.targets,
        "threshold": spec.threshold(part.mode),
        "bundle": content_hash,
        "code": code,
        "version": ATLAS_VERSION,
    }
    if part.mode == settings.TRANSIT_MODE.code:
        payload.update(
            feed=file_digest(spec.gtfs) if spec.gtfs else None,
            depart=spec.depart,
            window=spec.window_min,
        )
    return hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def marker_path(out: Path, part: Partition) -> Path:
    """File that marks a finished partition."""
    return Path(out) / MARKERS / f"{part.name}.json"


def read_marker(out: Path, part: Partition) -> dict | None:
    """The marker of a finished partition (None: not finished)."""
    try:
        return json.loads(marker_path(out, part).read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


# ---------------------------------------------------------------------------
# Tasks (run on the workers)
# ---------------------------------------------------------------------------
def build_kreis(kreis: str, data_dir: str | None, cache_dir: str | None) -> str:
    """Build (or find) the bundle of one Kreis; its content hash."""
    path = region.build_region(kreis, data_dir, cache_dir)
    return str(json.loads((path / "meta.json").read_text("utf-8"))["content_hash"])


def travel_networks(spec: AtlasSpec, reg: region.Region, mode: str) -> dict:
    """The networks of ``mode`` for a Kreis: its road network, or the timetable model
    (the feed clipped to the Kreis, walking on its walk network when one is loaded)."""
    if mode != settings.TRANSIT_MODE.code:
        return reg.networks([mode])
    from . import gtfs, transit

    if not spec.gtfs or not spec.depart:
        raise InputError("Für „ÖPNV“ fehlt der Fahrplan (--gtfs) oder die Abfahrt (--depart).")
    day, depart_s = gtfs.parse_departure(spec.depart)
    tt = gtfs.import_feed(spec.gtfs, day, reg.cache_path, reg.outline)
    walk = reg.networks(["walk"]).get("walk")
    params = transit.TransitParams(depart_s=depart_s, window_min=spec.window_min)
    model = transit.TransitModel(tt, params, walk if tt.crs == settings.CRS_METRIC else None)
    return {mode: model}


def cell_polygons(x: np.ndarray, y: np.ndarray, size: float = settings.CELL_SIZE_M) -> Any:
    """Squares of ``size`` metres around cell centres (EPSG:3035)."""
    h = size / 2.0
    return shapely.box(x - h, y - h, x + h, y + h)


def compute_partition(spec: AtlasSpec, part: Partition, out: str, code: str) -> dict:
    """Compute and write one partition (Kreis × mode); returns its marker.

    Every category × target group is :func:`geo.analysis.analyze` on the Kreis region,
    so the figures are those of the interactive analysis of that Kreis.
    """
    t0 = time.perf_counter()
    reg = region.load_region(part.kreis, spec.data_dir, spec.cache_dir)
    networks = travel_networks(spec, reg, part.mode)
    threshold = spec.threshold(part.mode)
    cells_dir = Path(out) / "cells" / f"kreis={part.kreis}" / f"mode={part.mode}"
    gem_rows = []
    model: dict = {}
    notes: dict[str, list] = {}
    services_used: dict[str, int] = {}
    for kind in spec.kinds:
        table: dict[str, Any] = {}
        travel = None  # one routing per category, shared by the target groups
        for target in spec.targets:
            params = analysis.AnalysisParams(
                kinds=(kind,), target=target, mode=part.mode, threshold_min=threshold
            )
            if travel is None:
                travel = analysis.travel_times(reg, params, networks)
            res = analysis.analyze(reg, params, networks, travel=travel)
            if not table:
                table["ags"] = res.cells["ags"].astype(str).to_numpy()
                for col in CELL_SHARED:
                    values = res.cells[col]
                    table[col] = (
                        values.astype(str).where(values.notna(), None).to_numpy(dtype=object)
                        if col == "service_id"
                        else values.to_numpy()
                    )
                model = res.metadata["model_info"] or {"model": res.model}
                notes[kind] = res.metadata["notes"]
                services_used[kind] = int(res.totals["services"])
            for col in CELL_PER_TARGET:
                table[f"{col}__{target}"] = res.cells[col].to_numpy(dtype=float)
            gem = res.gemeinden[list(analysis.GEMEINDE_COLUMNS)].copy()
            gem.insert(0, "target", target)
            gem.insert(0, "kind", kind)
            gem.insert(0, "mode", part.mode)
            gem.insert(0, "kreis", part.kreis)
            gem["threshold_min"] = threshold
            gem_rows.append(gem)
        frame = gpd.GeoDataFrame(
            table,
            geometry=cell_polygons(
                reg.cells["x"].to_numpy(dtype=float), reg.cells["y"].to_numpy(dtype=float)
            ),
            crs=settings.CRS_METRIC,
        )
        cell_file = cells_dir / f"kind={kind}" / "part.parquet"
        cell_file.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cell_file) as tmp:
            frame.to_parquet(tmp, index=False)
    gem_all = pd.concat(gem_rows, ignore_index=True)
    gem_file = (
        Path(out) / "gemeinden" / f"kreis={part.kreis}" / f"mode={part.mode}" / "part.parquet"
    )
    gem_file.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(gem_file) as tmp:
        gem_all.to_parquet(tmp, index=False)
    marker = {
        "kreis": part.kreis,
        "kreis_name": str(reg.gemeinden["kreis_name"].iloc[0]) if len(reg.gemeinden) else "",
        "mode": part.mode,
        "key": partition_key(spec, part, reg.meta["content_hash"], code),
        "content_hash": reg.meta["content_hash"],
        "threshold_min": threshold,
        "cells": int(len(reg.cells)),
        "gemeinden": int(len(reg.gemeinden)),
        "services": int(len(reg.services)),
        "services_used": services_used,
        "services_outside_kreis": int(
            (~reg.services.geometry.within(reg.outline)).sum() if len(reg.services) else 0
        ),
        "model": model,
        "notes": notes,
        "inputs": reg.meta.get("inputs", []),
        "sources": reg.meta.get("sources", []),
        "seconds": round(time.perf_counter() - t0, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "pid": os.getpid(),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_bytes_atomic(
        marker_path(Path(out), part), json.dumps(marker, ensure_ascii=False, indent=1).encode()
    )
    return marker


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------
def _failure_text(part: Partition, exc: BaseException | None) -> str:
    mode = settings.TRAVEL_MODES[part.mode].label_de
    what = f"Teil Kreis {part.kreis} × {mode}"
    name = type(exc).__name__ if exc is not None else ""
    if name == "KilledWorker":
        reason = "Der Arbeitsprozess wurde beendet (z. B. Speicher erschöpft oder abgebrochen)"
    elif isinstance(exc, InputError | OSError | ValueError) and str(exc):
        reason = str(exc)
    else:
        reason = "Die Berechnung brach ab" + (f" ({exc})" if str(exc or "") else "")
    return f"{what} fehlgeschlagen: {reason}. Die übrigen Teile sind gespeichert; ein neuer Aufruf berechnet nur die fehlenden Teile."


def _client(scheduler: str | None, workers: int | None, memory_limit: str | None):
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="30s"), None
    try:
        import bokeh  # noqa: F401  (the dashboard needs it)

        dashboard: str | None = "127.0.0.1:0"
    except ImportError:  # pragma: no cover - bokeh is in requirements.lock
        dashboard = None
    cluster = LocalCluster(
        n_workers=workers or min(2, os.cpu_count() or 1),
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=dashboard,
        memory_limit=memory_limit or "auto",
        silence_logs=40,
    )
    return Client(cluster), cluster


def plan(spec: AtlasSpec, out: Path, code: str | None = None) -> tuple[list[Partition], list[str]]:
    """Partitions to compute and names of finished ones (their marker key still holds)."""
    code = code or code_hash()
    todo, done = [], []
    data_dir = settings.data_dir(spec.data_dir)
    for kreis, _ in kreise_of(spec):
        digest, _ = region.content_hash(region.get_definition(kreis), data_dir)
        for mode in spec.modes:
            part = Partition(kreis, mode)
            marker = read_marker(out, part)
            if marker and marker.get("key") == partition_key(spec, part, digest, code):
                done.append(part.name)
            else:
                todo.append(part)
    return todo, done


def run_atlas(
    spec: AtlasSpec,
    out: str | os.PathLike,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | None = None,
    progress: Callable[[str], None] | None = print,
    task: Callable[..., dict] = compute_partition,
) -> AtlasReport:
    """Compute the missing partitions of an atlas on Dask and write its tables.

    Parameters
    ----------
    spec : AtlasSpec
    out : path
        The atlas folder (created; finished partitions in it are kept).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default: a local
        cluster of ``workers`` processes (default 2) with one thread each.
    memory_limit : str, optional
        Per local worker (Dask syntax, e.g. ``"4GB"``; default: memory / workers).
    progress : callable, optional
        Receives a German line per finished or failed partition (and the dashboard link).
    task : callable
        The partition function (``compute_partition``; tests pass one that fails).

    Returns
    -------
    AtlasReport
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _line: None)
    t0 = time.perf_counter()
    code = code_hash()
    todo, done = plan(spec, out, code)
    report = AtlasReport(out=out, skipped=done)
    if done:
        say(f"{len(done)} Teile schon fertig (übersprungen), {len(todo)} zu berechnen.")
    if todo:
        report = _compute(
            spec, out, todo, code, report, scheduler, workers, memory_limit, say, task
        )
    report.wall_s = time.perf_counter() - t0
    write_manifest(spec, out, report)
    return report


def _compute(  # noqa: PLR0917 - the arguments of run_atlas, passed on
    spec, out, todo, code, report, scheduler, workers, memory_limit, say, task
):
    """Run the partitions ``todo`` on Dask; fill ``report``."""
    import dask
    from distributed import as_completed

    # Tasks are large: no worker takes more than it can run (one thread per local
    # worker). A worker that dies (e.g. memory) fails its partition after Dask's
    # retries on other workers (``distributed.scheduler.allowed-failures``).
    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
        client, cluster = _client(scheduler, workers, memory_limit)
        try:
            report.workers = len(client.scheduler_info()["workers"])
            report.dashboard = (
                client.dashboard_link if cluster is None or cluster.dashboard_link else None
            )
            if report.dashboard:
                say(f"Dask-Dashboard (Fortschritt je Aufgabe): {report.dashboard}")
            # Bundles first, one task per Kreis (no two workers write one bundle); the
            # partitions are then independent tasks, queued on the scheduler, so a worker
            # holds one at a time and a dead worker takes only its own partition down.
            builds = client.map(
                build_kreis,
                list(dict.fromkeys(p.kreis for p in todo)),
                data_dir=spec.data_dir,
                cache_dir=spec.cache_dir,
                key=[f"bundle-{k}" for k in dict.fromkeys(p.kreis for p in todo)],
                pure=False,
            )
            client.gather(builds)
            futures = {}
            for part in todo:
                fut = client.submit(
                    task,
                    spec,
                    part,
                    str(out),
                    code,
                    key=f"atlas-{part.name}",
                    pure=False,
                )
                futures[fut.key] = (fut, part)
            n = len(futures)
            for i, fut in enumerate(as_completed([f for f, _ in futures.values()]), 1):
                part = futures[fut.key][1]
                if fut.status == "finished":
                    marker = fut.result()
                    report.computed.append(marker)
                    say(
                        f"[{i}/{n}] Kreis {part.kreis} × {settings.TRAVEL_MODES[part.mode].label_de}: "
                        f"fertig in {marker['seconds']:.1f} s"
                    )
                else:
                    try:
                        exc = fut.exception()
                    except Exception as err:  # the scheduler lost the task
                        exc = err
                    report.failed[part.name] = _failure_text(part, exc)
                    say(f"[{i}/{n}] {report.failed[part.name]}")
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return report


def write_manifest(spec: AtlasSpec, out: Path, report: AtlasReport) -> dict:
    """``atlas.json``: parameters, every finished partition's inputs, failures."""
    parts = []
    for marker_file in sorted((out / MARKERS).glob("*.json")):
        try:
            parts.append(json.loads(marker_file.read_text("utf-8")))
        except (OSError, json.JSONDecodeError):
            continue
    manifest = {
        "atlas_version": ATLAS_VERSION,
        "region": spec.region,
        "region_label": region.get_definition(spec.region).label,
        "spec": spec.to_dict(),
        "code": code_hash(),
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "partitions": parts,
        "failed": report.failed,
        "last_run": {
            "computed": [m["kreis"] + "-" + m["mode"] for m in report.computed],
            "skipped": report.skipped,
            "wall_s": round(report.wall_s, 2),
            "workers": report.workers,
        },
        "boundaries": boundaries.VG250_FILE,
    }
    write_bytes_atomic(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
    return manifest


# ---------------------------------------------------------------------------
# Reading (the app opens an atlas read-only)
# ---------------------------------------------------------------------------
def read_manifest(out: str | os.PathLike) -> dict:
    """The atlas description; German error when ``out`` is no atlas folder."""
    path = Path(out) / MANIFEST
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{out} ist kein Atlas-Ordner ({MANIFEST} fehlt).") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} ist beschädigt und nicht lesbar.") from exc
    if manifest.get("atlas_version") != ATLAS_VERSION:
        raise InputError(f"{path}: unbekannte Atlas-Version {manifest.get('atlas_version')}.")
    return manifest


def read_gemeinden(out: str | os.PathLike, modes: Iterable[str] | None = None) -> pd.DataFrame:
    """Per-Gemeinde figures of all finished partitions (raw, unrounded)."""
    files = sorted(Path(out).glob("gemeinden/kreis=*/mode=*/part.parquet"))
    wanted = set(modes) if modes is not None else None
    frames = [
        pd.read_parquet(f)
        for f in files
        if wanted is None or f.parent.name.removeprefix("mode=") in wanted
    ]
    if not frames:
        return pd.DataFrame(columns=["kreis", "mode", "kind", "target", *analysis.GEMEINDE_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def read_cells(
    out: str | os.PathLike, kreis: str, mode: str, kind: str, columns: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """The cells of one partition and category (GeoParquet, EPSG:3035)."""
    path = Path(out) / "cells" / f"kreis={kreis}" / f"mode={mode}" / f"kind={kind}" / "part.parquet"
    if not path.is_file():
        raise InputError(f"Im Atlas fehlt der Teil Kreis {kreis} × {mode} × {kind}.")
    cols = list(columns) + ["geometry"] if columns else None
    return _crs.short(gpd.read_parquet(path, columns=cols))
