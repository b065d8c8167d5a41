"""Reading and validating the tables of a GTFS zip (private to :mod:`geo.gtfs`).

The small tables (stops, trips, calendar, calendar_dates, frequencies) are read
whole with pandas; ``stop_times.txt`` is streamed block by block with
``pyarrow.csv.open_csv`` and reduced to integer arrays at once, so a national
feed never sits in memory as Python objects. Problems are collected as
:class:`~geo._errors.Problem` (file, 1-based data row, column, German message).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ._errors import InputError, Problem

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "calendar.txt": (
        "service_id",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "start_date",
        "end_date",
    ),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
    "agency.txt": ("agency_name",),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_PROBLEMS = 50
_TIME_RE = r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$"
_STOP_TIME_COLS = (
    "trip_id",
    "arrival_time",
    "departure_time",
    "stop_id",
    "stop_sequence",
    "pickup_type",
    "drop_off_type",
)


class Problems(list):
    """A list of :class:`Problem` that stops growing at ``MAX_PROBLEMS``."""

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        """Append one problem unless the list is full."""
        if len(self) < MAX_PROBLEMS:
            self.append(Problem(message, row, column, file))

    def raise_if_any(self, feed: str) -> None:
        """Raise one German :class:`InputError` listing all collected problems."""
        if self:
            more = " (die ersten 50)" if len(self) >= MAX_PROBLEMS else ""
            raise InputError(
                f"{feed}: Der Fahrplan (GTFS) enthält {len(self)} fehlerhafte Angabe(n){more}.",
                list(self),
            )


def open_feed(path) -> zipfile.ZipFile:
    """Open a GTFS zip; German error if it is not one."""
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise InputError(f"Die Fahrplandatei {path} gibt es nicht.") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"{getattr(path, 'name', path)}: keine lesbare ZIP-Datei; erwartet wird "
            "ein GTFS-Fahrplan (ZIP mit stops.txt, trips.txt, stop_times.txt …)."
        ) from exc


def member(zf: zipfile.ZipFile, name: str) -> str | None:
    """Name of ``name`` inside the zip (also in a single sub-folder), or None."""
    for n in zf.namelist():
        if n == name or n.endswith("/" + name):
            return n
    return None


def check_files(zf: zipfile.ZipFile, feed: str) -> None:
    """Raise if a required file is missing (calendar or calendar_dates suffices)."""
    missing = [f for f in ("stops.txt", "trips.txt", "stop_times.txt") if member(zf, f) is None]
    if member(zf, "calendar.txt") is None and member(zf, "calendar_dates.txt") is None:
        missing.append("calendar.txt oder calendar_dates.txt")
    if missing:
        raise InputError(f"{feed}: Im Fahrplan (GTFS) fehlen die Datei(en) {', '.join(missing)}.")


def _header(raw: bytes) -> list[str]:
    first = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    return [h.strip().strip('"') for h in first.strip().split(",")]


def read_table(zf: zipfile.ZipFile, name: str, feed: str) -> pd.DataFrame | None:
    """A small GTFS table as strings (None if the file is absent); checks its columns."""
    m = member(zf, name)
    if m is None:
        return None
    raw = zf.read(m)
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in _header(raw)]
    if missing:
        raise InputError(
            f"{feed}: In {name} fehlen die Spalte(n) {', '.join(missing)} "
            f"(Pflichtspalten: {', '.join(REQUIRED_COLUMNS[name])})."
        )
    try:
        df = pd.read_csv(
            io.BytesIO(raw),
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{feed}: {name} ist keine lesbare CSV-Datei ({exc}).") from exc
    df.columns = [c.strip() for c in df.columns]
    return df.apply(lambda col: col.str.strip())


def parse_times(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Seconds after midnight of ``HH:MM:SS`` strings (hours may exceed 24).

    Returns
    -------
    seconds : float array, NaN where empty or malformed
    bad : bool array, True where a non-empty value is malformed
    """
    parts = values.str.extract(_TIME_RE)
    h, m, s = (pd.to_numeric(parts[i]).to_numpy(float) for i in range(3))
    seconds = h * 3600 + m * 60 + s
    bad = np.isnan(seconds) & (values.str.len().to_numpy() > 0)
    return seconds, bad


def parse_dates(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``YYYYMMDD`` strings as ``datetime64[D]`` (NaT and a bad flag where invalid)."""
    d = pd.to_datetime(values, format="%Y%m%d", errors="coerce").to_numpy("datetime64[D]")
    return d, np.isnat(d)


def row_problems(
    problems: Problems,
    file: str,
    mask: np.ndarray,
    column: str,
    message: Callable[[int], str],
    offset: int = 0,
) -> None:
    for i in np.flatnonzero(mask)[:MAX_PROBLEMS]:
        problems.add(file, offset + int(i) + 1, column, message(int(i)))


def stop_coordinates(stops: pd.DataFrame, problems: Problems) -> tuple[np.ndarray, np.ndarray]:
    """Validated lon, lat of ``stops.txt`` (problems for bad or missing values)."""
    lat = pd.to_numeric(stops["stop_lat"], errors="coerce").to_numpy(float)
    lon = pd.to_numeric(stops["stop_lon"], errors="coerce").to_numpy(float)
    row_problems(
        problems,
        "stops.txt",
        ~(np.abs(lat) <= 90),
        "stop_lat",
        lambda i: f"„{stops['stop_lat'].iat[i]}“ ist keine Breite (Dezimalgrad, -90 bis 90).",
    )
    row_problems(
        problems,
        "stops.txt",
        ~(np.abs(lon) <= 180),
        "stop_lon",
        lambda i: f"„{stops['stop_lon'].iat[i]}“ ist keine Länge (Dezimalgrad, -180 bis 180).",
    )
    dup = stops["stop_id"].duplicated().to_numpy()
    row_problems(
        problems,
        "stops.txt",
        dup,
        "stop_id",
        lambda i: f"Die stop_id „{stops['stop_id'].iat[i]}“ kommt doppelt vor.",
    )
    return lon, lat


def service_days(
    calendar: pd.DataFrame | None, dates: pd.DataFrame | None, days: np.ndarray, problems: Problems
) -> dict[str, np.ndarray]:
    """For each service_id, whether it runs on each of ``days`` (``datetime64[D]``).

    calendar.txt gives the weekly pattern between start_date and end_date;
    calendar_dates.txt adds (exception_type 1) or removes (2) single dates.
    """
    runs: dict[str, np.ndarray] = {}
    if calendar is not None:
        start, bad_s = parse_dates(calendar["start_date"])
        end, bad_e = parse_dates(calendar["end_date"])
        for col, bad in (("start_date", bad_s), ("end_date", bad_e)):
            row_problems(
                problems,
                "calendar.txt",
                bad,
                col,
                lambda i, c=col: f"„{calendar[c].iat[i]}“ ist kein Datum (JJJJMMTT erwartet).",
            )
        flags = np.zeros((len(calendar), 7), bool)
        for k, wd in enumerate(WEEKDAYS):
            v = calendar[wd]
            bad = ~v.isin(("0", "1")).to_numpy()
            row_problems(
                problems,
                "calendar.txt",
                bad,
                wd,
                lambda i, v=v: f"„{v.iat[i]}“: erwartet wird 0 oder 1.",
            )
            flags[:, k] = v.to_numpy() == "1"
        weekday = (days.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
        on = flags[:, weekday] & (start[:, None] <= days) & (days <= end[:, None])
        for sid, row in zip(calendar["service_id"].to_numpy(), on, strict=True):
            runs[sid] = row.copy()
    if dates is not None:
        d, bad = parse_dates(dates["date"])
        row_problems(
            problems,
            "calendar_dates.txt",
            bad,
            "date",
            lambda i: f"„{dates['date'].iat[i]}“ ist kein Datum (JJJJMMTT erwartet).",
        )
        kind = dates["exception_type"].to_numpy()
        for sid in pd.unique(dates["service_id"]):
            runs.setdefault(sid, np.zeros(days.size, bool))
        row_problems(
            problems,
            "calendar_dates.txt",
            ~np.isin(kind, ("1", "2")),
            "exception_type",
            lambda i: f"„{kind[i]}“: erwartet wird 1 (Fahrt kommt hinzu) oder 2 (entfällt).",
        )
        for k, day in enumerate(days):
            hit = d == day
            for sid, typ in zip(dates["service_id"].to_numpy()[hit], kind[hit], strict=True):
                runs.setdefault(sid, np.zeros(days.size, bool))[k] = typ == "1"
    return runs


def _read_options(block_size: int) -> tuple:
    read = pacsv.ReadOptions(block_size=block_size, encoding="utf8")
    conv = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in _STOP_TIME_COLS},
        include_columns=list(_STOP_TIME_COLS),
        include_missing_columns=True,
        strings_can_be_null=False,
    )
    return read, conv


def stream_stop_times(zf: zipfile.ZipFile, feed: str, block_size: int):
    """Yield ``(row_offset, DataFrame)`` blocks of ``stop_times.txt`` (all strings)."""
    m = member(zf, "stop_times.txt")
    with zf.open(m) as fh:
        head = fh.read(1 << 16)
    missing = [c for c in REQUIRED_COLUMNS["stop_times.txt"] if c not in _header(head)]
    if missing:
        raise InputError(
            f"{feed}: In stop_times.txt fehlen die Spalte(n) {', '.join(missing)} "
            f"(Pflichtspalten: {', '.join(REQUIRED_COLUMNS['stop_times.txt'])})."
        )
    read, conv = _read_options(block_size)
    offset = 0
    with zf.open(m) as fh:
        try:
            reader = pacsv.open_csv(fh, read_options=read, convert_options=conv)
            for batch in reader:
                df = batch.to_pandas()
                df = df.apply(lambda col: col.fillna("").str.strip())
                yield offset, df
                offset += len(df)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise InputError(
                f"{feed}: stop_times.txt ist ab etwa Zeile {offset + 1} keine lesbare "
                f"CSV-Datei ({_arrow_reason(exc)})."
            ) from exc


def _arrow_reason(exc: Exception) -> str:
    text = str(exc)
    m = re.search(r"Expected (\d+) columns, got (\d+)", text)
    if m:
        return f"{m.group(2)} statt {m.group(1)} Spalten in einer Zeile"
    return text.splitlines()[0][:200]
