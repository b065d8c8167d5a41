"""Network building: tag rules, XML/PBF parity, networkx parity, caching, bad input."""

from __future__ import annotations

import gzip
import math

import networkx as nx
import numpy as np
import pytest
import shapely

from geo import _osm, network, settings
from geo._errors import CacheError, NetworkError
from geo.network import Network, build_for_region, build_networks, shortest_times
from geo.traveltime import od_matrix

from ._osmdata import nb_networks, nb_ways, require_nb, write_pbf

MODES = tuple(settings.MODES)


@pytest.fixture(scope="module")
def nets() -> dict[str, Network]:
    return nb_networks()


# ---------------------------------------------------------------------------
# Tag rules
# ---------------------------------------------------------------------------
def prof(**tags):
    walk_f, walk_b, bike_f, bike_b, car_f, car_b, kmh = _osm.way_profile(tags)
    return {"walk": (walk_f, walk_b), "bike": (bike_f, bike_b), "car": (car_f, car_b), "kmh": kmh}


def test_motorway_car_only_and_oneway():
    p = prof(highway="motorway")
    assert p["walk"] == (False, False) and p["bike"] == (False, False)
    assert p["car"] == (True, False)  # motorways imply oneway
    assert p["kmh"] == settings.CAR_SPEED_DEFAULTS_KMH["motorway"]
    assert prof(highway="trunk")["walk"] == (False, False)
    assert prof(highway="trunk", foot="yes")["walk"] == (True, True)


def test_footway_path_cycleway_steps_no_cars():
    for hw in ("footway", "path", "cycleway", "steps", "pedestrian"):
        assert prof(highway=hw)["car"] == (False, False), hw
        assert math.isnan(prof(highway=hw)["kmh"])
    assert prof(highway="footway")["walk"] == (True, True)
    assert prof(highway="footway")["bike"] == (False, False)
    assert prof(highway="footway", bicycle="yes")["bike"] == (True, True)
    assert prof(highway="cycleway")["walk"] == (False, False)
    assert prof(highway="cycleway", foot="designated")["walk"] == (True, True)
    assert prof(highway="steps")["bike"] == (False, False)


def test_access_tags_per_mode():
    assert prof(highway="track", access="no")["car"] == (False, False)
    assert prof(highway="track", access="no")["walk"] == (False, False)
    assert prof(highway="track", access="no", foot="yes")["walk"] == (True, True)
    assert prof(highway="track", motor_vehicle="agricultural")["car"] == (False, False)
    assert prof(highway="track", motor_vehicle="agricultural")["bike"] == (True, True)
    assert prof(highway="track")["car"] == (True, True)
    assert prof(highway="service", access="private")["walk"] == (False, False)
    assert prof(highway="residential", foot="no")["walk"] == (False, False)
    assert prof(highway="residential", bicycle="no")["bike"] == (False, False)
    assert prof(highway="residential", motor_vehicle="no")["car"] == (False, False)
    assert prof(highway="residential", motorcar="no")["car"] == (False, False)
    assert prof(highway="residential", access="destination")["car"] == (True, True)
    assert prof(highway="residential", vehicle="no")["bike"] == (False, False)
    assert prof(highway="residential", vehicle="no")["walk"] == (True, True)
    assert prof(highway="residential", access="agricultural;forestry")["car"] == (False, False)


def test_oneway_rules():
    assert prof(highway="residential", oneway="yes")["car"] == (True, False)
    assert prof(highway="residential", oneway="-1")["car"] == (False, True)
    assert prof(highway="residential", oneway="yes")["walk"] == (True, True)
    assert prof(highway="residential", oneway="yes")["bike"] == (True, False)
    assert prof(highway="residential", oneway="yes", **{"oneway:bicycle": "no"})["bike"] == (
        True,
        True,
    )
    assert prof(highway="residential", oneway="yes", cycleway="opposite")["bike"] == (True, True)
    assert prof(highway="primary", junction="roundabout")["car"] == (True, False)
    assert prof(highway="primary", junction="roundabout", oneway="no")["car"] == (True, True)
    assert prof(highway="motorway", oneway="no")["car"] == (True, True)


def test_not_routable_and_areas():
    for hw in ("construction", "proposed", "platform", "bus_guideway", "raceway"):
        assert not any(_osm.way_profile({"highway": hw})[:6]), hw
    assert not any(_osm.way_profile({"highway": "pedestrian", "area": "yes"})[:6])


def test_maxspeed_parsing():
    assert _osm.parse_maxspeed("50") == 50
    assert _osm.parse_maxspeed("30 mph") == pytest.approx(48.28, abs=0.01)
    assert _osm.parse_maxspeed("DE:urban") == 50
    assert _osm.parse_maxspeed("DE:rural") == 100
    assert _osm.parse_maxspeed("none") == settings.MAXSPEED_NAMED_KMH["none"]
    assert _osm.parse_maxspeed("30;50") == 30
    assert _osm.parse_maxspeed("signals") is None
    assert prof(highway="primary", maxspeed="70")["kmh"] == 70
    assert (
        prof(highway="primary", maxspeed="signals")["kmh"]
        == settings.CAR_SPEED_DEFAULTS_KMH["primary"]
    )


# ---------------------------------------------------------------------------
# Real data: networkx parity
# ---------------------------------------------------------------------------
def reference_graph(ways: _osm.OsmWays, mode: str) -> nx.DiGraph:
    """Slow, independent construction with per-segment Python loops."""
    lengths = ways.segment_lengths()
    speed = settings.MODES[mode].speed_kmh
    col = {"walk": 0, "walk_slow": 0, "bike": 2, "car": 4}[mode]
    G = nx.DiGraph()
    for s in range(ways.n_segments):
        row = ways.profile[ways.seg_way[s]]
        kmh = row[6] if mode == "car" else speed
        u, v = int(ways.node_ids[ways.seg_u[s]]), int(ways.node_ids[ways.seg_v[s]])
        w = lengths[s] / (kmh / 3.6)
        for ok, a, b in ((row[col], u, v), (row[col + 1], v, u)):
            if ok and (not G.has_edge(a, b) or G[a][b]["weight"] > w):
                G.add_edge(a, b, weight=w)
    biggest = max(nx.strongly_connected_components(G), key=len)
    return G.subgraph(biggest).copy()


@pytest.mark.parametrize("mode", MODES)
def test_travel_times_equal_networkx(nets, mode):
    net = nets[mode]
    G = reference_graph(nb_ways(), mode)
    assert set(net.osm_ids.tolist()) == set(G.nodes)
    assert net.n_edges == G.number_of_edges()
    # 200 random pairs: 20 random origins × 10 random destinations each
    rng = np.random.default_rng(42)
    src = np.repeat(rng.choice(net.n_nodes, 20, replace=False), 10)
    dst = rng.integers(0, net.n_nodes, 200)
    ours = shortest_times(net, src, dst)[np.arange(200), np.arange(200)]
    ids = net.osm_ids
    ref_from = {a: nx.single_source_dijkstra_path_length(G, int(ids[a])) for a in set(src)}
    ref = np.array([ref_from[a][int(ids[b])] for a, b in zip(src, dst, strict=True)])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)
    # the public OD matrix at node positions gives the same (no access time)
    sel = slice(0, 200, 10)
    xy = net.xy
    od = od_matrix(xy[src[sel]], xy[dst[sel]], mode, net) * 60.0
    snapped_exact = (net.snap(xy[src[sel]]).node == src[sel]) & (
        net.snap(xy[dst[sel]]).node == dst[sel]
    )
    np.testing.assert_allclose(np.diag(od)[snapped_exact], ref[sel][snapped_exact], atol=1e-6)


def test_real_network_properties(nets):
    walk, car = nets["walk"], nets["car"]
    assert walk.n_nodes > 10_000 and car.n_nodes > 10_000
    for net in nets.values():
        assert 0.9 < net.meta["share_kept"] <= 1.0
        assert net.meta["source"] == "north-bayreuth.osm.gz"
        assert np.all(net.weights >= 0) and np.all(np.isfinite(net.weights))
        assert net.indptr.dtype == np.int32 and net.indices.dtype == np.int32
        # EPSG:3035 metres around Bayreuth
        assert 4_400_000 < net.x.mean() < 4_480_000 and 2_950_000 < net.y.mean() < 3_050_000
    # walk_slow is the walk graph at 3.5 instead of 4.5 km/h
    np.testing.assert_allclose(nets["walk_slow"].weights, walk.weights * 4.5 / 3.5)
    # car: motorways exist (A9 crosses the extract) and are one-way
    assert car.weights.min() >= 0
    assert walk.n_edges > car.n_edges


# ---------------------------------------------------------------------------
# PBF parity, clipping
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nb_pbf(tmp_path_factory):
    return write_pbf(require_nb(), tmp_path_factory.mktemp("pbf") / "north-bayreuth.osm.pbf")


def edge_table(net: Network):
    u, v, w = net.edge_list()
    ids = net.osm_ids
    order = np.lexsort((ids[v], ids[u]))
    return ids[u][order], ids[v][order], w[order]


def test_pbf_and_xml_give_same_graph(nets, nb_pbf):
    from_pbf = build_networks(nb_pbf)
    assert nb_ways().parser.startswith("osmnx")
    for mode in MODES:
        a, b = nets[mode], from_pbf[mode]
        assert b.meta["parser"] == "pyosmium"
        assert np.array_equal(np.sort(a.osm_ids), np.sort(b.osm_ids))
        ua, va, wa = edge_table(a)
        ub, vb, wb = edge_table(b)
        assert np.array_equal(ua, ub) and np.array_equal(va, vb)
        np.testing.assert_allclose(wa, wb, rtol=1e-12, atol=1e-9)


def test_clip_to_polygon(nets, nb_pbf):
    x0, y0, x1, y1 = nets["walk"].bounds
    box = shapely.box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
    clipped = build_networks(nb_pbf, modes=("walk",), clip=box)["walk"]
    assert 0 < clipped.n_nodes < nets["walk"].n_nodes
    assert shapely.contains_xy(box, clipped.x, clipped.y).all()
    with pytest.raises(NetworkError, match="außerhalb"):
        build_networks(nb_pbf, modes=("walk",), clip=(0, 0, 10, 10))


# ---------------------------------------------------------------------------
# Persistence and the region cache
# ---------------------------------------------------------------------------
def test_save_load_roundtrip(nets, tmp_path):
    net = nets["car"]
    path = net.save(tmp_path / "car.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["car.npz"]  # no temp file left
    back = Network.load(path)
    assert back.mode == "car" and back.meta["source"] == net.meta["source"]
    for name in ("indptr", "indices", "weights", "lengths", "x", "y", "osm_ids"):
        assert np.array_equal(getattr(back, name), getattr(net, name)), name
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(CacheError):
        Network.load(tmp_path / "bad.npz")


def test_build_for_region(nets, nb_pbf, tmp_path):
    x0, y0, x1, y1 = nets["walk"].bounds
    outline = shapely.box(x0 + 2000, y0 + 2000, x0 + 4000, y0 + 4000)
    with pytest.raises(NetworkError, match="noch kein Straßennetz"):
        build_for_region(tmp_path)
    built = build_for_region(tmp_path, osm_path=nb_pbf, outline_3035=outline, modes=("walk", "car"))
    assert (tmp_path / "network" / "walk.npz").is_file()
    assert (tmp_path / "network" / "network.json").is_file()
    assert built["walk"].meta["region_coverage"] == pytest.approx(1.0)
    again = build_for_region(tmp_path, osm_path=nb_pbf, outline_3035=outline, modes=("walk", "car"))
    assert again["walk"].meta["built_at"] == built["walk"].meta["built_at"]  # from the cache
    cached = build_for_region(tmp_path, modes=("walk",))
    assert cached["walk"].n_nodes == built["walk"].n_nodes
    far = shapely.box(0, 0, 1000, 1000)
    with pytest.raises(NetworkError, match="außerhalb"):
        build_for_region(tmp_path / "far", osm_path=nb_pbf, outline_3035=far, modes=("walk",))


def test_partial_region_coverage(nets, nb_pbf, tmp_path):
    x0, y0, x1, y1 = nets["walk"].bounds
    half_out = shapely.box(
        x1 - 3000, y0 + 1000, x1 + 3000 + 2 * settings.REGION_BUFFER_M, y0 + 5000
    )
    built = build_for_region(tmp_path, osm_path=nb_pbf, outline_3035=half_out, modes=("walk",))
    cov = built["walk"].meta["region_coverage"]
    assert 0.05 < cov < 0.6
    assert any("deckt nur" in n for n in built["walk"].meta["notes"])


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------
OSM_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'


def osm_xml(nodes, ways) -> str:
    parts = [OSM_HEAD]
    for nid, lat, lon in nodes:
        parts.append(f'<node id="{nid}" lat="{lat}" lon="{lon}" version="1"/>\n')
    for wid, refs, tags in ways:
        parts.append(f'<way id="{wid}" version="1">')
        parts += [f'<nd ref="{r}"/>' for r in refs]
        parts += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        parts.append("</way>\n")
    parts.append("</osm>\n")
    return "".join(parts)


NODES = [
    (1, 50.0, 11.50),
    (2, 50.0, 11.51),
    (3, 50.0, 11.52),
    (4, 50.01, 11.60),
    (5, 50.01, 11.61),
    (6, 50.01, 11.62),
]


def test_file_without_highways(tmp_path):
    path = tmp_path / "buildings.osm"
    path.write_text(osm_xml(NODES[:3], [(10, [1, 2, 3, 1], {"building": "yes"})]))
    with pytest.raises(NetworkError, match="keine Straßen"):
        build_networks(path)
    pbf = write_pbf(path, tmp_path / "buildings.osm.pbf")
    with pytest.raises(NetworkError, match="keine Straßen"):
        build_networks(pbf)


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(NetworkError, match="nicht gefunden"):
        build_networks(tmp_path / "nope.osm")
    (tmp_path / "x.shp").write_text("")
    with pytest.raises(NetworkError, match="Unbekanntes OSM-Format"):
        build_networks(tmp_path / "x.shp")
    (tmp_path / "broken.osm").write_text("<osm><node id=")
    with pytest.raises(NetworkError):
        build_networks(tmp_path / "broken.osm")


def test_disconnected_network_keeps_largest_component(tmp_path):
    ways = [(10, [1, 2, 3], {"highway": "residential"}), (11, [4, 5], {"highway": "residential"})]
    path = tmp_path / "two.osm.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(osm_xml(NODES[:5], ways))
    nets = build_networks(path, modes=("walk", "car"))
    assert sorted(nets["walk"].osm_ids.tolist()) == [1, 2, 3]
    assert nets["walk"].meta["share_kept"] == pytest.approx(3 / 5)
    assert any("60 %" in n for n in nets["walk"].meta["notes"])


def test_mode_without_ways_and_incomplete_ways(tmp_path):
    path = tmp_path / "paths.osm"
    path.write_text(osm_xml(NODES[:3], [(10, [1, 2, 3], {"highway": "footway"})]))
    assert build_networks(path, modes=("walk",))["walk"].n_nodes == 3
    with pytest.raises(NetworkError, match="Auto"):
        build_networks(path, modes=("car",))
    with pytest.raises(NetworkError, match="Unbekannte Verkehrsart"):
        build_networks(path, modes=("boat",))
    # a way referencing a node that is not in the file: osmnx fails, pyosmium copes
    cut = tmp_path / "cut.osm"
    cut.write_text(osm_xml(NODES[:3], [(10, [1, 2, 3, 99], {"highway": "residential"})]))
    net = build_networks(cut, modes=("walk",))["walk"]
    assert sorted(net.osm_ids.tolist()) == [1, 2, 3]
    assert any("pyosmium" in n for n in net.meta["notes"])


def test_from_arcs_and_snap():
    net = Network.from_arcs(
        "walk", [0, 1, 1, 0], [1, 0, 0, 1], [5.0, 5.0, 3.0, 9.0], [0.0, 100.0], [0.0, 0.0]
    )
    assert net.n_edges == 2 and sorted(net.weights.tolist()) == [3.0, 5.0]
    snap = net.snap(np.array([[10.0, 0.0], [100.0, 2000.0]]))
    assert snap.node.tolist() == [0, -1] and snap.off.tolist() == [False, True]
    assert snap.dist_m[0] == pytest.approx(10.0)
    assert net.snap(np.array([[10.0, 0.0], [100.0, 2000.0]])) is snap  # cached
    assert network.access_speed_mps("walk_slow") == pytest.approx(3.5 / 3.6)
