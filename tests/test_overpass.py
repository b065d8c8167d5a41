"""Overpass download through osmnx's own code, against a local fake Overpass server.

The server listens on 127.0.0.1 (random port), answers ``/api/status`` like
Overpass and ``/api/interpreter`` with Overpass JSON converted from the real
``north-bayreuth.osm.gz`` (ways with a ``highway`` tag if the query asks for
it and a node inside the query polygon's bounding box, plus their nodes). It stops at the end of the module, or by itself after
a bounded number of requests or two minutes.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import numpy as np
import pytest
import shapely

from geo import network, settings
from geo._errors import NetworkError
from geo.traveltime import nearest_field
from present import describe

from ._osmdata import nb_networks, nb_ways, require_nb

MAX_REQUESTS = 20
LIFETIME_S = 120
STATUS = (
    "Connected as: 127.0.0.1\nCurrent time: 2025-01-01T00:00:00Z\n"
    "Announced endpoint: none\nRate limit: 2\n2 slots available now.\n"
    "Currently running queries (pid, space limit, time limit, start time):\n"
)


def overpass_elements(path) -> tuple[dict, list]:
    """OSM XML → Overpass JSON elements (nodes by id, ways)."""
    nodes, ways = {}, []
    with gzip.open(path, "rb") as fh:
        for _, el in ET.iterparse(fh):
            if el.tag not in ("node", "way"):
                continue
            tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
            if el.tag == "node":
                nodes[int(el.get("id"))] = {
                    "type": "node",
                    "id": int(el.get("id")),
                    "lat": float(el.get("lat")),
                    "lon": float(el.get("lon")),
                    **({"tags": tags} if tags else {}),
                }
            else:
                ways.append(
                    {
                        "type": "way",
                        "id": int(el.get("id")),
                        "nodes": [int(n.get("ref")) for n in el.findall("nd")],
                        **({"tags": tags} if tags else {}),
                    }
                )
            el.clear()
    return nodes, ways


class FakeOverpass(BaseHTTPRequestHandler):
    nodes: dict = {}
    ways: list = []
    log: list = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.log.append(("GET", self.path, ""))
        if self.path.rstrip("/").endswith("/status"):
            self._send(200, STATUS.encode(), "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        query = parse_qs(self.rfile.read(length).decode()).get("data", [""])[0]
        self.log.append(("POST", self.path, query))
        if not self.path.rstrip("/").endswith("/interpreter"):
            self._send(404, b"not found", "text/plain")
            return
        poly = re.search(r"poly:'([^']*)'", query)
        coords = np.array(poly.group(1).split(), dtype=float).reshape(-1, 2) if poly else None
        need_highway = '["highway"]' in query  # the only tag filter emulated
        elements, used = [], set()
        for way in self.ways:
            if need_highway and "highway" not in way.get("tags", {}):
                continue
            if coords is not None:
                lat = np.array([self.nodes[n]["lat"] for n in way["nodes"] if n in self.nodes])
                lon = np.array([self.nodes[n]["lon"] for n in way["nodes"] if n in self.nodes])
                inside = (
                    (lat >= coords[:, 0].min())
                    & (lat <= coords[:, 0].max())
                    & (lon >= coords[:, 1].min())
                    & (lon <= coords[:, 1].max())
                )
                if not inside.any():
                    continue
            elements.append(way)
            used.update(way["nodes"])
        elements = [self.nodes[n] for n in sorted(used) if n in self.nodes] + elements
        body = json.dumps({"version": 0.6, "generator": "fake Overpass", "elements": elements})
        self._send(200, body.encode(), "application/json")


@pytest.fixture(scope="module")
def overpass():
    nodes, ways = overpass_elements(require_nb())
    handler = type("Handler", (FakeOverpass,), {"nodes": nodes, "ways": ways, "log": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 1

    def serve():
        import time

        end = time.monotonic() + LIFETIME_S
        while time.monotonic() < end and len(handler.log) < MAX_REQUESTS and not stop.is_set():
            server.handle_request()

    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api", handler.log
    finally:
        stop.set()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def local_osmnx(monkeypatch):
    import osmnx as ox

    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    monkeypatch.setattr(ox.settings, "requests_timeout", 30)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", True)
    return ox


def test_download_builds_and_routes(overpass, local_osmnx, tmp_path, monkeypatch):
    url, log = overpass
    monkeypatch.setattr(local_osmnx.settings, "overpass_url", url)
    monkeypatch.setattr(settings, "REGION_BUFFER_M", 1500)  # a smaller download, a quicker test
    walk_file = nb_networks()["walk"]
    x0, y0, x1, y1 = walk_file.bounds
    outline = shapely.box(x0 + 3000, y0 + 2000, x0 + 4000, y0 + 3000)
    nets = network.build_for_region(
        tmp_path, download=True, outline_3035=outline, modes=("walk", "car")
    )
    assert ("GET", "/api/status", "") in log
    posts = [q for method, path, q in log if method == "POST" and path == "/api/interpreter"]
    assert posts and all("[out:json]" in q and "poly:" in q for q in posts)
    assert (tmp_path / "network" / "walk.npz").is_file()
    walk = nets["walk"]
    assert walk.meta["source"] == "Overpass-Download"
    assert walk.meta["parser"] == "osmnx.graph_from_polygon"
    # same graph as reading the file with the same clip
    clip = outline.buffer(settings.REGION_BUFFER_M)
    ref = network.build_networks(nb_ways(), ("walk", "car"), clip=clip)
    for mode in ("walk", "car"):
        a, b = nets[mode], ref[mode]
        assert np.array_equal(np.sort(a.osm_ids), np.sort(b.osm_ids)), mode
        assert a.n_edges == b.n_edges
    # and it routes
    cells = np.array([[x0 + 3500, y0 + 2500], [x0 + 3600, y0 + 2400]])
    services = walk.xy[[0, walk.n_nodes // 2]]
    got = nearest_field(cells, services, "walk", walk)
    want = nearest_field(cells, services, "walk", ref["walk"])
    assert np.isfinite(got.minutes).all()
    np.testing.assert_allclose(got.minutes, want.minutes, rtol=1e-12)
    assert describe.model_text(got) == "OSM-Straßennetz (Overpass-Download), zu Fuß 4,5 km/h"


def test_download_failure_is_a_german_network_error(local_osmnx, tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(local_osmnx.settings, "overpass_url", f"http://127.0.0.1:{port}/api")
    monkeypatch.setattr(local_osmnx.settings, "overpass_rate_limit", False)
    with pytest.raises(NetworkError, match="konnte nicht von Overpass geladen werden"):
        network.build_for_region(
            tmp_path,
            download=True,
            outline_3035=shapely.box(4_430_000, 2_990_000, 4_431_000, 2_991_000),
            modes=("walk",),
        )
    with pytest.raises(NetworkError, match="Umriss"):
        network.build_for_region(tmp_path, download=True)
