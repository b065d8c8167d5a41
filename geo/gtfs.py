"""GTFS timetables as compact connection arrays for one service date.

:func:`load_timetable` reads a GTFS zip of any size (``stop_times.txt`` is
streamed in blocks), validates it (German errors naming file, row, column),
clips it to a region outline plus ``settings.TRANSIT_CLIP_BUFFER_M``,
resolves the service calendar (calendar.txt and calendar_dates.txt) for the
chosen date and returns a :class:`Timetable`: one *connection* per pair of
consecutive stops of a trip (departure stop and time, arrival stop and time,
trip), sorted by departure time. :func:`import_feed` does the same through a
cache (``.npz`` keyed by feed hash, date and clip area, written atomically).

Times are seconds after midnight of the chosen date. Trips of the day before
whose times run past 24:00 are included with 24 h subtracted (overnight
services); ``frequencies.txt`` is supported: each listed trip is a template
repeated every ``headway_secs`` from ``start_time`` to before ``end_time``.
Empty times of intermediate stops are interpolated linearly by stop
sequence. ``pickup_type``/``drop_off_type`` 1 (no boarding / no alighting)
are honoured; transfers.txt is not read (changing takes the walking time only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from . import _gtfs_io as gio
from . import settings
from ._errors import InputError
from ._io import atomic_path, file_digest
from .network import to_xy

FORMAT_VERSION = 1
DAY_S = 86400
_INT = np.int32


@dataclass
class Timetable:
    """Stops and connections of one service date.

    Attributes
    ----------
    stop_ids, stop_names : str arrays (n_stops,)
    lon, lat : float arrays (n_stops,)
        WGS84.
    xy : float array (n_stops, 2)
        Metric coordinates in ``crs`` (EPSG:3035 for feeds in Europe, else
        the UTM zone of the feed's centre).
    dep_stop, arr_stop, dep, arr, trip : int32 arrays (n_connections,)
        Connections sorted by ``dep`` (seconds after midnight of ``date``).
    board, alight : bool arrays (n_connections,)
        Boarding allowed at the departure stop / alighting at the arrival stop.
    trip_ids : str array (n_trips,)
    meta : dict
        ``feed``, ``feed_hash``, ``date``, counts, ``frequencies`` and ``clip``.
    """

    stop_ids: np.ndarray
    stop_names: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    xy: np.ndarray
    crs: str
    dep_stop: np.ndarray
    arr_stop: np.ndarray
    dep: np.ndarray
    arr: np.ndarray
    trip: np.ndarray
    board: np.ndarray
    alight: np.ndarray
    trip_ids: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def n_stops(self) -> int:
        """Number of stops."""
        return int(self.stop_ids.size)

    @property
    def n_connections(self) -> int:
        """Number of connections."""
        return int(self.dep.size)

    def to_metric(self, lon, lat) -> np.ndarray:
        """WGS84 points as an ``(n, 2)`` array in the timetable's metric ``crs``."""
        return _project(np.asarray(lon, float), np.asarray(lat, float), self.crs)

    def save(self, path: str | Path) -> Path:
        """Write the timetable as ``.npz`` (atomic)."""
        arrays = {k: getattr(self, k) for k in _ARRAY_FIELDS}
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                **arrays,
                crs=np.array(self.crs),
                meta=np.array(json.dumps(self.meta, ensure_ascii=False)),
            )
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> Timetable:
        """Read a timetable written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            kw = {k: z[k] for k in _ARRAY_FIELDS}
            return cls(**kw, crs=str(z["crs"]), meta=json.loads(str(z["meta"])))

    def summary(self) -> dict:
        """Counts and coverage of the timetable (numbers and codes only)."""
        first = int(self.dep.min()) if self.n_connections else None
        last = int(self.arr.max()) if self.n_connections else None
        return {
            **self.meta,
            "stops": self.n_stops,
            "connections": self.n_connections,
            "trips": int(np.unique(self.trip).size),
            "first_departure_s": first,
            "last_arrival_s": last,
            "crs": self.crs,
        }


_ARRAY_FIELDS = (
    "stop_ids",
    "stop_names",
    "lon",
    "lat",
    "xy",
    "dep_stop",
    "arr_stop",
    "dep",
    "arr",
    "trip",
    "board",
    "alight",
    "trip_ids",
)


# ---------------------------------------------------------------------------
# Projection and clipping
# ---------------------------------------------------------------------------
def metric_crs(lon: np.ndarray, lat: np.ndarray) -> str:
    """EPSG:3035 for feeds in Europe, else the UTM zone of the feed's centre."""
    if lon.size == 0:
        return settings.CRS_METRIC
    clon, clat = float(np.median(lon)), float(np.median(lat))
    if -30 <= clon <= 45 and 30 <= clat <= 75:
        return settings.CRS_METRIC
    zone = int((clon + 180) // 6) + 1
    return f"EPSG:{32600 + zone if clat >= 0 else 32700 + zone}"


def _project(lon: np.ndarray, lat: np.ndarray, crs: str) -> np.ndarray:
    if crs == settings.CRS_METRIC:
        x, y = to_xy(lon, lat)
    else:
        from pyproj import Transformer

        x, y = Transformer.from_crs(settings.CRS_DISPLAY, crs, always_xy=True).transform(lon, lat)
    return np.column_stack([np.asarray(x, float), np.asarray(y, float)]).reshape(-1, 2)


def _clip_mask(xy: np.ndarray, crs: str, outline_3035, buffer_m: float) -> np.ndarray:
    if outline_3035 is None:
        return np.ones(len(xy), bool)
    if crs != settings.CRS_METRIC:
        return np.zeros(len(xy), bool)
    area = shapely.buffer(outline_3035, buffer_m)
    return shapely.contains_xy(area, xy[:, 0], xy[:, 1])


# ---------------------------------------------------------------------------
# stop_times: streamed reduction to integer arrays
# ---------------------------------------------------------------------------
@dataclass
class _Rows:
    """Kept stop_times rows as arrays (one list entry per streamed block)."""

    parts: list = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        dtypes = {
            "trip": np.int64,
            "stop": _INT,
            "seq": float,
            "arr": float,
            "dep": float,
            "board": bool,
            "alight": bool,
            "row": np.int64,
        }
        if not self.parts:
            return {k: np.zeros(0, d) for k, d in dtypes.items()}
        keys = tuple(dtypes)
        return {k: np.concatenate([p[k] for p in self.parts]) for k in keys}


def _block(
    df: pd.DataFrame,
    offset: int,
    trip_index: pd.Index,
    trip_keep: np.ndarray,
    stop_index: pd.Index,
    stop_keep: np.ndarray,
    problems: gio.Problems,
) -> dict | None:
    """Validate one block of stop_times and return the kept rows as arrays."""
    f = "stop_times.txt"
    t = trip_index.get_indexer(df["trip_id"])
    s = stop_index.get_indexer(df["stop_id"])
    gio.row_problems(
        problems,
        f,
        t < 0,
        "trip_id",
        lambda i: f"Die trip_id „{df['trip_id'].iat[i]}“ fehlt in trips.txt.",
        offset,
    )
    gio.row_problems(
        problems,
        f,
        s < 0,
        "stop_id",
        lambda i: f"Die stop_id „{df['stop_id'].iat[i]}“ fehlt in stops.txt.",
        offset,
    )
    seq = pd.to_numeric(df["stop_sequence"], errors="coerce").to_numpy(float)
    gio.row_problems(
        problems,
        f,
        ~(seq >= 0) | (seq != np.floor(seq)),
        "stop_sequence",
        lambda i: f"„{df['stop_sequence'].iat[i]}“ ist keine ganze Zahl ≥ 0.",
        offset,
    )
    times = {}
    for col in ("arrival_time", "departure_time"):
        times[col], bad = gio.parse_times(df[col])
        gio.row_problems(
            problems,
            f,
            bad,
            col,
            lambda i, c=col: (
                f"„{df[c].iat[i]}“ ist keine Uhrzeit (erwartet HH:MM:SS, nach Mitternacht auch 24:10:00)."
            ),
            offset,
        )
    arr, dep = times["arrival_time"], times["departure_time"]
    arr = np.where(np.isnan(arr), dep, arr)
    dep = np.where(np.isnan(dep), arr, dep)
    keep = (t >= 0) & (s >= 0)
    keep[keep] = trip_keep[t[keep]] & stop_keep[s[keep]]
    if not keep.any():
        return None
    return {
        "trip": t[keep].astype(np.int64),
        "stop": s[keep].astype(_INT),
        "seq": seq[keep],
        "arr": arr[keep],
        "dep": dep[keep],
        "board": df["pickup_type"].to_numpy()[keep] != "1",
        "alight": df["drop_off_type"].to_numpy()[keep] != "1",
        "row": np.flatnonzero(keep) + offset + 1,
    }


def _interpolate(trip: np.ndarray, seq: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Fill NaN times linearly by position within each trip (rows sorted by trip, seq)."""
    miss = np.isnan(times)
    if not miss.any():
        return times
    idx = np.arange(times.size)
    prev = np.maximum.accumulate(np.where(~miss, idx, -1))
    nxt = np.minimum.accumulate(np.where(~miss, idx, times.size)[::-1])[::-1]
    ok = miss & (prev >= 0) & (nxt < times.size)
    ok[ok] &= (trip[prev[ok]] == trip[idx[ok]]) & (trip[nxt[ok]] == trip[idx[ok]])
    out = times.copy()
    p, n = prev[ok], nxt[ok]
    frac = (seq[ok] - seq[p]) / np.where(seq[n] > seq[p], seq[n] - seq[p], 1)
    out[ok] = times[p] + frac * (times[n] - times[p])
    return out


def _expand_frequencies(
    r: dict, freq: pd.DataFrame | None, trip_index: pd.Index, problems: gio.Problems
) -> tuple[dict, np.ndarray]:
    """Replace each frequency-based template trip by one trip per headway."""
    if freq is None or len(freq) == 0 or r["trip"].size == 0:
        return r, np.zeros(0, np.int64)
    f = "frequencies.txt"
    start, bad_s = gio.parse_times(freq["start_time"])
    end, bad_e = gio.parse_times(freq["end_time"])
    head = pd.to_numeric(freq["headway_secs"], errors="coerce").to_numpy(float)
    t = trip_index.get_indexer(freq["trip_id"])
    for col, bad in (("start_time", bad_s | np.isnan(start)), ("end_time", bad_e | np.isnan(end))):
        gio.row_problems(
            problems,
            f,
            bad,
            col,
            lambda i, c=col: f"„{freq[c].iat[i]}“ ist keine Uhrzeit (erwartet HH:MM:SS).",
        )
    gio.row_problems(
        problems,
        f,
        ~(head > 0),
        "headway_secs",
        lambda i: f"„{freq['headway_secs'].iat[i]}“: erwartet wird ein Takt in Sekunden > 0.",
    )
    gio.row_problems(
        problems,
        f,
        t < 0,
        "trip_id",
        lambda i: f"Die trip_id „{freq['trip_id'].iat[i]}“ fehlt in trips.txt.",
    )
    ok = (t >= 0) & (head > 0) & np.isfinite(start) & np.isfinite(end)
    templ = np.isin(r["trip"], t[ok])
    base = {k: v[~templ] for k, v in r.items()}
    parts, templates, next_trip = [base], [], int(trip_index.size)
    for ti, s0, e0, h in zip(t[ok], start[ok], end[ok], head[ok], strict=True):
        rows = np.flatnonzero(r["trip"] == ti)
        if rows.size == 0:
            continue
        first = np.nanmin(r["dep"][rows])
        starts = np.arange(s0, e0, h)
        k = starts.size
        rep = {key: np.tile(v[rows], k) for key, v in r.items()}
        shift = np.repeat(starts - first, rows.size)
        rep["arr"] = rep["arr"] + shift
        rep["dep"] = rep["dep"] + shift
        rep["trip"] = np.repeat(np.arange(next_trip, next_trip + k), rows.size)
        next_trip += k
        templates.extend([ti] * k)
        parts.append(rep)
    return (
        {key: np.concatenate([p[key] for p in parts]) for key in r},
        np.asarray(templates, dtype=np.int64),
    )


def _check_order(r: dict, problems: gio.Problems) -> None:
    """Times must not decrease along a trip; stop_sequence must not repeat."""
    f = "stop_times.txt"
    same = r["trip"][1:] == r["trip"][:-1]
    dup = same & (r["seq"][1:] == r["seq"][:-1])
    for i in np.flatnonzero(dup)[: gio.MAX_PROBLEMS]:
        problems.add(
            f,
            int(r["row"][i + 1]),
            "stop_sequence",
            f"Die stop_sequence {int(r['seq'][i + 1])} kommt in dieser Fahrt doppelt vor.",
        )
    back = same & (r["arr"][1:] < r["dep"][:-1])
    for i in np.flatnonzero(back)[: gio.MAX_PROBLEMS]:
        problems.add(
            f,
            int(r["row"][i + 1]),
            "arrival_time",
            "Die Ankunft liegt vor der Abfahrt am vorigen Halt derselben Fahrt "
            f"(Zeile {int(r['row'][i])}).",
        )
    for i in np.flatnonzero(r["dep"] < r["arr"])[: gio.MAX_PROBLEMS]:
        problems.add(f, int(r["row"][i]), "departure_time", "Die Abfahrt liegt vor der Ankunft.")


def _connections(r: dict) -> dict[str, np.ndarray]:
    """Consecutive rows of one trip become one connection; sorted by departure."""
    same = r["trip"][1:] == r["trip"][:-1]
    ok = same & np.isfinite(r["dep"][:-1]) & np.isfinite(r["arr"][1:])
    i = np.flatnonzero(ok)
    con = {
        "dep_stop": r["stop"][i],
        "arr_stop": r["stop"][i + 1],
        "dep": np.rint(r["dep"][i]),
        "arr": np.rint(r["arr"][i + 1]),
        "trip": r["trip"][i],
        "board": r["board"][i],
        "alight": r["alight"][i + 1],
        "seq": r["seq"][i],
    }
    return con


def _day_connections(r: dict, day_offset: int) -> dict[str, np.ndarray]:
    """Connections of the trips running on one day, times relative to the chosen date."""
    con = _connections(r)
    con["dep"] = con["dep"] + day_offset
    con["arr"] = con["arr"] + day_offset
    keep = con["dep"] >= 0
    return {k: v[keep] for k, v in con.items()}


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------
def parse_date(value: str | dt.date) -> dt.date:
    """A date from ``YYYY-MM-DD`` or ``YYYYMMDD``; German InputError otherwise."""
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InputError(f"„{value}“ ist kein Datum (erwartet JJJJ-MM-TT, z. B. 2014-06-02).")


def _tables(zf, feed: str):
    gio.check_files(zf, feed)
    names = ("stops.txt", "trips.txt", "calendar.txt", "calendar_dates.txt", "frequencies.txt")
    return {n: gio.read_table(zf, n, feed) for n in names}


def _active_trips(t: dict, date: dt.date, problems: gio.Problems) -> np.ndarray:
    """(n_trips, 2) bool: trip runs on the day before / on ``date``."""
    days = np.array([date - dt.timedelta(days=1), date], dtype="datetime64[D]")
    runs = gio.service_days(t["calendar.txt"], t["calendar_dates.txt"], days, problems)
    sids = t["trips.txt"]["service_id"].to_numpy()
    unknown = np.array([s not in runs for s in sids], bool)
    gio.row_problems(
        problems,
        "trips.txt",
        unknown,
        "service_id",
        lambda i: f"Die service_id „{sids[i]}“ fehlt in calendar.txt und calendar_dates.txt.",
    )
    never = np.zeros(2, bool)
    return np.array([runs.get(s, never) for s in sids], bool).reshape(-1, 2)


def load_timetable(
    path: str | Path,
    date: str | dt.date,
    outline_3035=None,
    buffer_m: float | None = None,
    block_size: int = settings.TRANSIT_STOP_TIMES_CHUNK_BYTES,
) -> Timetable:
    """Read, validate and clip a GTFS zip for one service date (no cache).

    Parameters
    ----------
    path : path of the GTFS zip
    date : service date (``YYYY-MM-DD``)
    outline_3035 : shapely geometry, optional
        Region outline (EPSG:3035); stops beyond it plus ``buffer_m`` are dropped.
    buffer_m : float, optional
        Default ``settings.TRANSIT_CLIP_BUFFER_M``.
    block_size : int
        Bytes per streamed block of ``stop_times.txt``.

    Returns
    -------
    Timetable

    Raises
    ------
    InputError
        German, naming file, row and column of every problem found.
    """
    path = Path(path)
    feed, date = path.name, parse_date(date)
    buffer_m = settings.TRANSIT_CLIP_BUFFER_M if buffer_m is None else float(buffer_m)
    problems = gio.Problems()
    with gio.open_feed(path) as zf:
        t = _tables(zf, feed)
        stops, trips = t["stops.txt"], t["trips.txt"]
        lon, lat = gio.stop_coordinates(stops, problems)
        active = _active_trips(t, date, problems)
        dup = trips["trip_id"].duplicated().to_numpy()
        gio.row_problems(
            problems,
            "trips.txt",
            dup,
            "trip_id",
            lambda i: f"Die trip_id „{trips['trip_id'].iat[i]}“ kommt doppelt vor.",
        )
        problems.raise_if_any(feed)
        crs = metric_crs(lon, lat)
        xy = _project(lon, lat, crs)
        stop_keep = _clip_mask(xy, crs, outline_3035, buffer_m)
        if outline_3035 is not None and not stop_keep.any():
            raise InputError(
                f"{feed}: Keine Haltestelle des Fahrplans liegt in der Region "
                f"(mit {buffer_m / 1000:g} km Rand)."
            )
        trip_index = pd.Index(trips["trip_id"].to_numpy())
        stop_index = pd.Index(stops["stop_id"].to_numpy())
        rows = _Rows()
        for offset, df in gio.stream_stop_times(zf, feed, block_size):
            part = _block(
                df, offset, trip_index, active.any(axis=1), stop_index, stop_keep, problems
            )
            if part is not None:
                rows.parts.append(part)
    problems.raise_if_any(feed)
    return _assemble(
        rows.arrays(),
        t,
        active,
        trip_index,
        (stops, lon, lat, xy, crs),
        {
            "feed": feed,
            "date": date.isoformat(),
            "clip_buffer_m": buffer_m,
            "clipped": outline_3035 is not None,
        },
        problems,
    )


def _assemble(
    r: dict,
    t: dict,
    active: np.ndarray,
    trip_index: pd.Index,
    st: tuple,
    meta: dict,
    problems: gio.Problems,
) -> Timetable:
    stops, lon, lat, xy, crs = st
    order = np.lexsort((r["seq"], r["trip"]))
    r = {k: v[order] for k, v in r.items()}
    _check_order(r, problems)
    problems.raise_if_any(meta["feed"])
    r["arr"] = _interpolate(r["trip"], r["seq"], r["arr"])
    r["dep"] = _interpolate(r["trip"], r["seq"], r["dep"])
    r, templates = _expand_frequencies(r, t["frequencies.txt"], trip_index, problems)
    n_freq = int(templates.size)
    problems.raise_if_any(meta["feed"])
    order = np.lexsort((r["seq"], r["trip"]))
    r = {k: v[order] for k, v in r.items()}
    n_trips = len(active) + n_freq
    act = np.concatenate([active, active[templates]])  # copies run when their template runs
    cons = []
    for col, offset in ((0, -DAY_S), (1, 0)):
        sel = act[r["trip"], col]
        c = _day_connections({k: v[sel] for k, v in r.items()}, offset)
        c["trip"] = c["trip"] + (0 if col == 1 else n_trips)
        cons.append(c)
    con = {k: np.concatenate([c[k] for c in cons]) for k in cons[0]}
    order = np.lexsort((con["seq"], con["arr"], con["dep"]))
    con = {k: v[order] for k, v in con.items()}
    used, trip_code = np.unique(con["trip"], return_inverse=True)
    names = (
        np.concatenate([_trip_names(trip_index, n_trips)] * 2)[used]
        if used.size
        else np.array([], str)
    )
    meta = {
        **meta,
        "frequencies": "expandiert" if n_freq else "keine",
        "frequency_trips": n_freq,
        "feed_trips": int(len(trip_index)),
        "feed_stops": int(len(stops)),
    }
    return Timetable(
        stop_ids=stops["stop_id"].to_numpy().astype(str),
        stop_names=stops.get("stop_name", stops["stop_id"]).to_numpy().astype(str),
        lon=lon,
        lat=lat,
        xy=xy,
        crs=crs,
        dep_stop=con["dep_stop"].astype(_INT),
        arr_stop=con["arr_stop"].astype(_INT),
        dep=con["dep"].astype(_INT),
        arr=con["arr"].astype(_INT),
        trip=trip_code.astype(_INT),
        board=con["board"].astype(bool),
        alight=con["alight"].astype(bool),
        trip_ids=names.astype(str),
        meta=meta,
    )


def _trip_names(trip_index: pd.Index, n_trips: int) -> np.ndarray:
    names = trip_index.to_numpy().astype(str)
    extra = n_trips - names.size
    return np.concatenate([names, np.array([f"takt-{i}" for i in range(extra)], dtype=str)])


def cache_key(
    path: str | Path, date: str | dt.date, outline_3035=None, buffer_m: float | None = None
) -> str:
    """Cache key: feed content hash, date, clip area and format version."""
    h = hashlib.sha256()
    h.update(file_digest(path).encode())
    h.update(parse_date(date).isoformat().encode())
    h.update(f"{FORMAT_VERSION}:{buffer_m}".encode())
    if outline_3035 is not None:
        h.update(shapely.to_wkb(outline_3035))
    return h.hexdigest()[:20]


def import_feed(
    path: str | Path,
    date: str | dt.date,
    cache_dir: str | Path,
    outline_3035=None,
    buffer_m: float | None = None,
    force: bool = False,
) -> Timetable:
    """:func:`load_timetable` through a cache in ``cache_dir/transit`` (atomic npz)."""
    buffer_m = settings.TRANSIT_CLIP_BUFFER_M if buffer_m is None else float(buffer_m)
    key = cache_key(path, date, outline_3035, buffer_m)
    target = Path(cache_dir) / "transit" / f"timetable-{key}.npz"
    if target.exists() and not force:
        tt = Timetable.load(target)
        tt.meta["cached"] = True
        return tt
    tt = load_timetable(path, date, outline_3035, buffer_m)
    tt.meta["feed_hash"] = file_digest(path)[:16]
    tt.save(target)
    tt.meta["cached"] = False
    return tt


def default_date(path: str | Path) -> dt.date:
    """First Tuesday on or after the feed's earliest calendar date (a normal weekday)."""
    with gio.open_feed(path) as zf:
        feed = Path(path).name
        gio.check_files(zf, feed)
        cal = gio.read_table(zf, "calendar.txt", feed)
        dates = gio.read_table(zf, "calendar_dates.txt", feed)
    values = [] if cal is None else list(cal["start_date"])
    if dates is not None:
        values += list(dates.loc[dates["exception_type"] == "1", "date"])
    d, bad = gio.parse_dates(pd.Series(values, dtype=str))
    if d.size == 0 or bad.all():
        raise InputError(
            f"{feed}: Der Fahrplan nennt keinen Gültigkeitsbeginn; bitte --date angeben."
        )
    first = d[~bad].min().astype(dt.date)
    return first + dt.timedelta(days=(1 - first.weekday()) % 7)


def parse_departure(value: str) -> tuple[dt.date, int]:
    """``"YYYY-MM-DD HH:MM"`` as (date, seconds after midnight); German error otherwise."""
    text = str(value).strip().replace("T", " ")
    parts = text.split()
    if len(parts) != 2:
        raise InputError(f"„{value}“: erwartet wird Datum und Uhrzeit, z. B. „2014-06-02 08:00“.")
    date = parse_date(parts[0])
    hm = parts[1].split(":")
    try:
        h, m = int(hm[0]), int(hm[1])
        s = int(hm[2]) if len(hm) > 2 else 0
    except (ValueError, IndexError):
        raise InputError(f"„{parts[1]}“ ist keine Uhrzeit (erwartet HH:MM).") from None
    if not (0 <= h < 48 and 0 <= m < 60 and 0 <= s < 60):
        raise InputError(f"„{parts[1]}“ ist keine Uhrzeit (erwartet HH:MM).")
    return date, h * 3600 + m * 60 + s


def agencies(path: str | Path) -> list[str]:
    """Names of the feed's transport agencies (``agency.txt``), for the source line."""
    feed = Path(path).name
    with gio.open_feed(path) as zf:
        table = gio.read_table(zf, "agency.txt", feed)
    if table is None:
        return []
    return list(dict.fromkeys(n for n in table["agency_name"] if n))


__all__ = [
    "Timetable",
    "agencies",
    "load_timetable",
    "import_feed",
    "cache_key",
    "parse_date",
    "parse_departure",
    "metric_crs",
    "default_date",
    "FORMAT_VERSION",
]
