"""Participants: pin → projector latency and lost edits with simulated phones.

A participant server (``ui/participant_server.py``) on loopback with one open workshop;
``--participants`` simulated phones (threads) join by code and, with a think time between
actions, drop pins (HTTP POST) and vote, within the server's rate limits. A projector
loop reads the workshop's event log every ``--refresh`` seconds the way the projector's
board fragment does (``Board.update``: only the new lines). Latency of a pin: from sending
the POST until the projector's first refresh that shows it. Lost edits: accepted pins and
votes (HTTP 201) missing from the log afterwards.

``benchmarks/load.py`` runs :func:`measure` alongside its browser sessions.

Run: ``.venv/bin/python benchmarks/participants.py [--participants 30] [--seconds 30]``
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import shapely

from geo.network import to_xy
from geo.participants import Board, JoinRegistry, outline_geojson
from geo.scenario import Extent
from ui.participant_server import CLIENT_HEADER, ParticipantServer

LON, LAT = 11.117, 51.160  # Sömmerda
REFRESH_S = 1.0  # ui.participants.BOARD_REFRESH_S (not imported: that module loads Streamlit)


def _post(opener, url: str, body: dict, token: str = "") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers[CLIENT_HEADER] = token
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def pct(values: list[float], q: int) -> float:
    """The ``q``-th percentile (0 for no values)."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def measure(
    participants: int = 30,
    seconds: float = 30.0,
    refresh_s: float = REFRESH_S,
    think_s: tuple[float, float] = (2.0, 8.0),
    seed: int = 1,
) -> dict:
    """Run the phones and the projector; latencies and lost edits (see module docstring)."""
    x, y = (float(v[0]) for v in to_xy([LON], [LAT]))
    extent = Extent(shapely.box(x - 20_000, y - 20_000, x + 20_000, y + 20_000), "bench")
    registry = JoinRegistry()
    with tempfile.TemporaryDirectory(prefix="nahraum-pp-") as tmp:
        ws = registry.open(Path(tmp), extent, outline_geojson(extent.geometry))
        server = ParticipantServer(registry, "127.0.0.1", 0)
        base = f"{server.url()}/api/{ws.code}"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}
        accepted_votes: list[int] = []
        rejected = {"rate": 0, "other": 0}
        lock = threading.Lock()
        stop = time.monotonic() + seconds
        board = Board()
        phones_done = threading.Event()

        def projector() -> None:
            last = False
            while not last:
                last = phones_done.is_set()  # one more look after the last phone stopped
                now = time.monotonic()
                for e in board.update(ws.log):
                    if e.get("t") == "pin":
                        seen.setdefault(f"t{e['seq']}", time.monotonic())
                time.sleep(max(0.0, refresh_s - (time.monotonic() - now)))

        def phone(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            _, data = _post(opener, f"{base}/join", {})
            token = data.get("client", "")
            while time.monotonic() < stop:
                time.sleep(rng.uniform(*think_s))
                if rng.random() < 0.6 or not sent:
                    body = {
                        "kind": rng.choice(["missing", "known", "too_far"]),
                        "text": f"Telefon {i}: Hinweis {rng.randint(1, 999)}",
                        "lon": LON + rng.uniform(-0.1, 0.1),
                        "lat": LAT + rng.uniform(-0.06, 0.06),
                    }
                    t = time.monotonic()
                    status, data = _post(opener, f"{base}/pin", body, token)
                    if status == 201:
                        with lock:
                            sent[data["id"]] = t
                else:
                    with lock:
                        target = rng.choice(list(sent))
                    status, data = _post(opener, f"{base}/vote", {"target": target}, token)
                    if status == 201:
                        with lock:
                            accepted_votes.append(int(data["seq"]))
                if status not in (201, 409):
                    with lock:
                        rejected["rate" if status == 429 else "other"] += 1

        watcher = threading.Thread(target=projector)
        phones = [threading.Thread(target=phone, args=(i,)) for i in range(participants)]
        t0 = time.perf_counter()
        for t in [watcher, *phones]:
            t.start()
        for t in phones:
            t.join()
        phones_done.set()
        watcher.join()
        elapsed = time.perf_counter() - t0
        server.stop()
        final = Board()
        events, _ = ws.log.read()
        final.apply(events)
        seqs = {e["seq"] for e in events}
        lost = sum(1 for pid in sent if pid not in final.pins) + sum(
            1 for s in accepted_votes if s not in seqs
        )
        latencies = [seen[pid] - t for pid, t in sent.items() if pid in seen]
        return {
            "participants": participants,
            "seconds": elapsed,
            "pins": len(sent),
            "votes": len(accepted_votes),
            "rejected_rate": rejected["rate"],
            "rejected_other": rejected["other"],
            "unseen": len(sent) - len(latencies),
            "pin_p50_s": pct(latencies, 50),
            "pin_p95_s": pct(latencies, 95),
            "pin_max_s": max(latencies, default=0.0),
            "lost_edits": lost,
        }


def summary(r: dict) -> str:
    """The ``key=value`` part of the summary line."""
    return (
        f"participants={r['participants']} pin_p95_s={r['pin_p95_s']:.2f} "
        f"lost_edits={r['lost_edits']}"
    )


def describe(r: dict) -> str:
    """The result in German words (one block)."""
    return (
        f"Teilnehmende: {r['participants']} Telefone, {r['seconds']:.0f} s; "
        f"{r['pins']} Pins und {r['votes']} Stimmen angenommen, "
        f"{r['rejected_rate']} wegen Ratenlimit abgewiesen, {r['rejected_other']} sonst\n"
        f"Pin → Projektor: p50 {r['pin_p50_s']:.2f} s, p95 {r['pin_p95_s']:.2f} s, "
        f"max {r['pin_max_s']:.2f} s (Projektor liest alle {REFRESH_S:.1f} s); "
        f"nicht gesehen: {r['unseen']}; verlorene Eingaben: {r['lost_edits']}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run :func:`measure` and print the result and the summary line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--participants", type=int, default=30)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--refresh", type=float, default=REFRESH_S)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    r = measure(args.participants, args.seconds, args.refresh, seed=args.seed)
    print(describe(r))
    print(summary(r))
    return 0 if r["lost_edits"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
