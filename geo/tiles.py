"""A planner-supplied basemap, read and served locally: MBTiles, PMTiles or an XYZ folder.

Offline the app has no tile server. A planner may have a raster basemap as a file
(e.g. TopPlusOpen exported as MBTiles, a PMTiles archive, or a folder ``{z}/{x}/{y}.png``);
:func:`open_tile_source` reads it, :class:`TileServer` serves it on ``127.0.0.1`` (a
thread with a tiny HTTP handler, no logging) so that Leaflet can load it as a tile layer,
and :func:`mosaic` stitches tiles for the static report maps. Nothing here opens a
connection beyond loopback.
"""

from __future__ import annotations

import http.server
import io
import json
import math
import os
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ._errors import InputError

LOOPBACK = ("127.0.0.1", "::1", "localhost")
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
TILE_PX = 256
_WEB_MERCATOR_HALF = 20037508.342789244


@dataclass
class TileSource:
    """Raster tiles in the XYZ scheme (Web Mercator, y from the north).

    Attributes
    ----------
    name : str
        Shown in the layer control.
    attribution : str
        Credit line of the basemap (shown on the map and in exports).
    format : str
        ``"png"``, ``"jpg"`` or ``"webp"``.
    minzoom, maxzoom : int
    bounds : (west, south, east, north) in degrees or None
    """

    name: str
    attribution: str
    format: str = "png"
    minzoom: int = 0
    maxzoom: int = 18
    bounds: tuple[float, float, float, float] | None = None
    path: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.format, "application/octet-stream")

    def tile(self, z: int, x: int, y: int) -> bytes | None:  # pragma: no cover - abstract
        """The tile's bytes, or ``None`` if the source has none there."""
        raise NotImplementedError

    def close(self) -> None:
        """Release files (a no-op for most sources)."""


def _valid_xyz(z: int, x: int, y: int) -> bool:
    return 0 <= z <= 30 and 0 <= x < 2**z and 0 <= y < 2**z


def _bounds(value: Any) -> tuple[float, float, float, float] | None:
    try:
        parts = [float(v) for v in (value.split(",") if isinstance(value, str) else value)]
    except (TypeError, ValueError, AttributeError):
        return None
    return tuple(parts) if len(parts) == 4 else None  # type: ignore[return-value]


class MBTilesSource(TileSource):
    """An MBTiles file (SQLite; rows in the TMS scheme, y from the south)."""

    def __init__(self, path: str | os.PathLike, name: str | None = None):
        path = Path(path)
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            meta = dict(con.execute("SELECT name, value FROM metadata").fetchall())
            con.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise InputError(
                f"{path.name}: Keine lesbare MBTiles-Datei (Tabellen „metadata“ "
                "und „tiles“ erwartet)."
            ) from exc
        fmt = str(meta.get("format", "png")).lower()
        if fmt not in MEDIA_TYPES:
            con.close()
            raise InputError(
                f"{path.name}: Kachelformat „{fmt}“ wird nicht unterstützt; "
                "erwartet werden Rasterkacheln (PNG, JPEG, WebP)."
            )
        super().__init__(
            name=name or str(meta.get("name") or path.stem),
            attribution=_attribution(meta.get("attribution"), path),
            format=fmt,
            minzoom=int(meta.get("minzoom", 0)),
            maxzoom=int(meta.get("maxzoom", 18)),
            bounds=_bounds(meta.get("bounds")),
            path=path,
        )
        self._con = con

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not _valid_xyz(z, x, y):
            return None
        with self._lock:
            row = self._con.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (1 << z) - 1 - y),
            ).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        self._con.close()


class XYZFolderSource(TileSource):
    """A folder ``{z}/{x}/{y}.png`` (or .jpg/.webp), optionally with ``metadata.json``."""

    def __init__(self, path: str | os.PathLike, name: str | None = None):
        path = Path(path)
        meta: dict = {}
        if (path / "metadata.json").is_file():
            try:
                meta = json.loads((path / "metadata.json").read_text("utf-8"))
            except (OSError, ValueError):
                meta = {}
        fmt = str(meta.get("format") or "").lower()
        zooms = sorted(int(p.name) for p in path.iterdir() if p.is_dir() and p.name.isdigit())
        if not zooms:
            raise InputError(
                f"{path.name}: Kein Kachelordner (erwartet Unterordner {{z}}/{{x}}/{{y}}.png)."
            )
        if not fmt:
            sample = next((f for f in (path / str(zooms[0])).rglob("*") if f.is_file()), None)
            fmt = sample.suffix.lstrip(".").lower() if sample else "png"
        if fmt not in MEDIA_TYPES:
            raise InputError(f"{path.name}: Kachelformat „{fmt}“ wird nicht unterstützt.")
        super().__init__(
            name=name or str(meta.get("name") or path.name),
            attribution=_attribution(meta.get("attribution"), path),
            format=fmt,
            minzoom=int(meta.get("minzoom", zooms[0])),
            maxzoom=int(meta.get("maxzoom", zooms[-1])),
            bounds=_bounds(meta.get("bounds")),
            path=path,
        )

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not _valid_xyz(z, x, y):
            return None
        assert self.path is not None  # set by the constructor of a folder source
        f = self.path / str(int(z)) / str(int(x)) / f"{int(y)}.{self.format}"
        try:
            return f.read_bytes()
        except OSError:
            return None


class PMTilesSource(TileSource):
    """A PMTiles archive (v3) with raster tiles, read with the ``pmtiles`` package."""

    _TYPES: ClassVar[dict[int, str]] = {2: "png", 3: "jpg", 4: "webp"}

    def __init__(self, path: str | os.PathLike, name: str | None = None):
        from pmtiles.reader import MmapSource, Reader

        path = Path(path)
        try:
            self._fh = open(path, "rb")  # noqa: SIM115 - kept open for the reader
            self._reader = Reader(MmapSource(self._fh))
            header = self._reader.header()
            meta = self._reader.metadata() or {}
        except Exception as exc:  # damaged archives raise many types
            raise InputError(f"{path.name}: Keine lesbare PMTiles-Datei.") from exc
        tile_type = getattr(header.get("tile_type"), "value", header.get("tile_type"))
        fmt = self._TYPES.get(int(tile_type) if tile_type is not None else 0)
        if fmt is None:
            self._fh.close()
            raise InputError(
                f"{path.name}: Die PMTiles-Datei enthält keine Rasterkacheln "
                "(PNG, JPEG, WebP); Vektorkacheln werden nicht unterstützt."
            )
        e7 = 10_000_000
        bounds = (
            header["min_lon_e7"] / e7,
            header["min_lat_e7"] / e7,
            header["max_lon_e7"] / e7,
            header["max_lat_e7"] / e7,
        )
        super().__init__(
            name=name or str(meta.get("name") or path.stem),
            attribution=_attribution(meta.get("attribution"), path),
            format=fmt,
            minzoom=int(header["min_zoom"]),
            maxzoom=int(header["max_zoom"]),
            bounds=bounds,
            path=path,
        )

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not _valid_xyz(z, x, y):
            return None
        with self._lock:
            data = self._reader.get(z, x, y)
        return bytes(data) if data else None

    def close(self) -> None:
        self._fh.close()


def _attribution(value: object, path: Path) -> str:
    text = re.sub(r"<[^>]+>", "", str(value or "")).strip()
    return text or f"Hintergrundkarte: {path.name} (Quelle bitte angeben)"


def open_tile_source(
    path: str | os.PathLike, name: str | None = None, attribution: str | None = None
) -> TileSource:
    """Open a basemap: ``.mbtiles``, ``.pmtiles`` or a folder of XYZ tiles.

    ``attribution`` overrides the file's own credit line.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"Hintergrundkarte nicht gefunden: {path}.")
    if path.is_dir():
        src: TileSource = XYZFolderSource(path, name)
    elif path.suffix.lower() == ".mbtiles":
        src = MBTilesSource(path, name)
    elif path.suffix.lower() == ".pmtiles":
        src = PMTilesSource(path, name)
    else:
        raise InputError(
            f"{path.name}: Hintergrundkarten werden als .mbtiles, .pmtiles oder "
            "als Ordner mit {z}/{x}/{y}-Kacheln erwartet."
        )
    if attribution:
        src.attribution = attribution
    return src


# ---------------------------------------------------------------------------
# Local server
# ---------------------------------------------------------------------------
_PATH_RE = re.compile(r"^/(\d{1,2})/(\d{1,9})/(\d{1,9})\.(png|jpg|jpeg|webp)$")


class _Handler(http.server.BaseHTTPRequestHandler):
    source: TileSource  # set per server class

    def do_GET(self) -> None:
        m = _PATH_RE.match(self.path.split("?", 1)[0])
        data = None
        if m:
            data = self.server.source.tile(  # type: ignore[attr-defined]
                int(m.group(1)), int(m.group(2)), int(m.group(3))
            )
        if data is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", self.server.source.media_type)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "max-age=3600")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:
        return


class TileServer:
    """Serve a :class:`TileSource` on loopback in a background thread.

    Parameters
    ----------
    source : TileSource
    host : str
        Must be a loopback address (``127.0.0.1``, ``::1``, ``localhost``).
    port : int
        0 picks a free port.

    Use as a context manager or call :meth:`start` and :meth:`stop`; ``url`` is the
    Leaflet URL template.
    """

    def __init__(self, source: TileSource, host: str = "127.0.0.1", port: int = 0):
        if host not in LOOPBACK:
            raise InputError(
                f"Der Kachelserver bindet nur an diesen Rechner (127.0.0.1), nicht an „{host}“."
            )
        self.source = source
        self._host, self._port = host, port
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> TileServer:
        if self._httpd is None:
            cls: type[http.server.ThreadingHTTPServer] = http.server.ThreadingHTTPServer
            if ":" in self._host:
                cls = type(
                    "V6Server",
                    (http.server.ThreadingHTTPServer,),
                    {"address_family": __import__("socket").AF_INET6},
                )
            httpd = cls((self._host, self._port), _Handler)
            httpd.daemon_threads = True
            httpd.source = self.source  # type: ignore[attr-defined]
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever, name="nahraum-tiles", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> TileServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """Leaflet URL template, e.g. ``http://127.0.0.1:40123/{z}/{x}/{y}.png``."""
        host, port = self.address
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/{{z}}/{{x}}/{{y}}.{self.source.format}"


# ---------------------------------------------------------------------------
# Static maps: a mosaic of tiles
# ---------------------------------------------------------------------------
def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Fractional XYZ tile coordinates of a point."""
    n = 2**z
    lat_r = math.radians(max(min(lat, 85.0511), -85.0511))
    return (lon + 180.0) / 360.0 * n, (1 - math.asinh(math.tan(lat_r)) / math.pi) / 2 * n


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a tile in EPSG:3857 metres."""
    size = 2 * _WEB_MERCATOR_HALF / 2**z
    xmin = -_WEB_MERCATOR_HALF + x * size
    ymax = _WEB_MERCATOR_HALF - y * size
    return xmin, ymax - size, xmin + size, ymax


def pick_zoom(
    bounds_lonlat: tuple[float, float, float, float], width_px: int, source: TileSource
) -> int:
    """The zoom at which the bounds are about ``width_px`` wide (within the source's zooms)."""
    west, _, east, _ = bounds_lonlat
    span = max(east - west, 1e-9)
    z = int(math.floor(math.log2(width_px / TILE_PX * 360.0 / span)))
    return max(source.minzoom, min(source.maxzoom, z))


def mosaic(
    source: TileSource,
    bounds_lonlat: tuple[float, float, float, float],
    zoom: int,
    max_tiles: int = 256,
) -> tuple[np.ndarray, tuple[float, float, float, float]] | None:
    """Stitch the tiles covering ``bounds`` into one RGBA image.

    Returns
    -------
    (image, extent) or None
        ``image`` is (h, w, 4) uint8; ``extent`` (xmin, xmax, ymin, ymax) in EPSG:3857
        as matplotlib's ``imshow`` wants it. ``None`` if the source has no tile there.
    """
    from PIL import Image

    west, south, east, north = bounds_lonlat
    x0, y0 = lonlat_to_tile(west, north, zoom)
    x1, y1 = lonlat_to_tile(east, south, zoom)
    xs = range(int(math.floor(x0)), int(math.floor(x1)) + 1)
    ys = range(int(math.floor(y0)), int(math.floor(y1)) + 1)
    if len(xs) * len(ys) > max_tiles:
        raise InputError(
            f"Zu viele Kacheln für die Karte ({len(xs) * len(ys)}); bitte eine "
            "kleinere Zoomstufe wählen."
        )
    img = np.zeros((len(ys) * TILE_PX, len(xs) * TILE_PX, 4), dtype=np.uint8)
    found = False
    for j, ty in enumerate(ys):
        for i, tx in enumerate(xs):
            data = source.tile(zoom, tx, ty)
            if not data:
                continue
            try:
                tile = Image.open(io.BytesIO(data)).convert("RGBA").resize((TILE_PX, TILE_PX))
            except Exception:  # a damaged tile stays empty
                continue
            img[j * TILE_PX : (j + 1) * TILE_PX, i * TILE_PX : (i + 1) * TILE_PX] = np.asarray(tile)
            found = True
    if not found:
        return None
    xmin, _, _, ymax = tile_bounds_3857(zoom, xs[0], ys[0])
    _, ymin, xmax, _ = tile_bounds_3857(zoom, xs[-1], ys[-1])
    return img, (xmin, xmax, ymin, ymax)
