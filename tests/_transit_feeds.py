"""A hand-made GTFS feed inside the default region (Landkreis Sömmerda), for app tests.

Test data only: two bus lines through Sömmerda with a regular headway on a weekday.
It is no real timetable and never shipped as one.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

# lon, lat of stops at real town centres of the Landkreis Sömmerda
REGION_STOPS = {
    "WEI": ("Weißensee Markt", 11.0687, 51.1977),
    "SOE": ("Sömmerda Bahnhof", 11.1147, 51.1606),
    "KOE": ("Kölleda Markt", 11.2437, 51.1870),
    "STR": ("Straußfurt", 10.9850, 51.1670),
    "GRR": ("Großrudestedt", 11.0958, 51.0917),
}
# line, stops in order, minutes between consecutive stops, first/last departure, headway
REGION_LINES = (
    ("L1", ("WEI", "SOE", "KOE"), 12, 6 * 60, 10 * 60, 20),
    ("L2", ("STR", "SOE", "GRR"), 15, 6 * 60, 10 * 60, 60),
)
REGION_FEED_DATE = "2025-06-03"  # a Tuesday within the calendar


def _hms(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def write_region_feed(path: Path) -> Path:
    """Write the feed as a GTFS zip at ``path`` (both directions of both lines)."""
    trips, times = (
        ["route_id,service_id,trip_id"],
        ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"],
    )
    for line, seq, run, first, last, headway in REGION_LINES:
        for direction, order in enumerate((seq, seq[::-1])):
            for k, t0 in enumerate(range(first, last + 1, headway)):
                tid = f"{line}-{direction}-{k}"
                trips.append(f"{line},WD,{tid}")
                for i, stop in enumerate(order):
                    t = _hms(t0 + i * run)
                    times.append(f"{tid},{t},{t},{stop},{i + 1}")
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "T,Testbetrieb,https://example.invalid,Europe/Berlin\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        + "".join(f"{k},{n},{lat},{lon}\n" for k, (n, lon, lat) in REGION_STOPS.items()),
        "routes.txt": "route_id,agency_id,route_short_name,route_type\n"
        + "".join(f"{line[0]},T,{line[0]},3\n" for line in REGION_LINES),
        "trips.txt": "\n".join(trips) + "\n",
        "stop_times.txt": "\n".join(times) + "\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,"
        "sunday,start_date,end_date\nWD,1,1,1,1,1,0,0,20250601,20251231\n",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path
