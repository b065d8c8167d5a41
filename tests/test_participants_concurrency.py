"""Two facilitators and 20 phones write to one workshop for 60 s: no accepted edit is lost.

The phones are threads talking HTTP to the real participant server (pins and votes); the
two facilitators are separate processes that hide/show and approve pins: an approval
appends to the event log and adds a scenario pin through the merging scenario store
(``ScenarioStore.autosave``). Afterwards every accepted edit is counted in the stores.
``NAHRAUM_CONCURRENCY_S`` shortens the run (default 60 s).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from geo import settings
from geo.participants import Board, EventLog, JoinRegistry, scenario_pin
from geo.scenario_store import ScenarioStore
from tests.test_participants import EXTENT, LAT, LON, OUTLINE
from ui.participant_server import CLIENT_HEADER, ParticipantServer

SECONDS = float(os.environ.get("NAHRAUM_CONCURRENCY_S", "60"))
PHONES = 20
SCENARIO = "Werkstatt"


def _facilitator(folder: str, k: int, seconds: float, out: str) -> None:
    """One facilitator tab: hide/show and approve pins until the time is up."""
    rng = random.Random(k)
    log, store = EventLog(folder), ScenarioStore(folder, EXTENT)
    history = store.open(SCENARIO, region="test")
    board = Board()
    events, approved = [], []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        board.update(log)
        pins = [p for p in board.pins.values() if p.status in ("open", "hidden")]
        if pins:
            pin = rng.choice(pins)
            if rng.random() < 0.3:
                scenario = history.add_pin(scenario_pin(pin))
                sid = scenario.pins[-1].id
                (e,) = log.append({"t": "status", "id": pin.id, "status": "approved", "pin": sid})
                approved.append((pin.id, pin.text))
            else:
                status = "hidden" if pin.status == "open" else "open"
                (e,) = log.append({"t": "status", "id": pin.id, "status": status})
            events.append(e["seq"])
        time.sleep(rng.uniform(0.05, 0.3))
    Path(out).write_text(json.dumps({"events": events, "approved": approved}))


def _phone(base: str, i: int, stop: float, accepted: dict, lock: threading.Lock) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    rng = random.Random(100 + i)

    def post(action: str, body: dict, token: str = "") -> tuple[int, dict]:
        h = {"Content-Type": "application/json", **({CLIENT_HEADER: token} if token else {})}
        req = urllib.request.Request(f"{base}/{action}", data=json.dumps(body).encode(), headers=h)
        try:
            with opener.open(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    _, data = post("join", {})
    token = data["client"]
    n = 0
    while time.monotonic() < stop:
        if rng.random() < 0.5 or not accepted["pins"]:
            n += 1
            text = f"Telefon {i} Hinweis {n}"
            lon, lat = LON + rng.uniform(-0.1, 0.1), LAT + rng.uniform(-0.1, 0.1)
            body = {"kind": "missing", "text": text, "lon": lon, "lat": lat}
            action = "pin"
            status, data = post("pin", body, token)
            if status == 201:
                with lock:
                    accepted["pins"][data["id"]] = text
        else:
            with lock:
                target = rng.choice(list(accepted["pins"]))
            action = "vote"
            status, data = post("vote", {"target": target}, token)
            if status == 201:
                with lock:
                    accepted["votes"].append(data["seq"])
        with lock:
            key = f"{action} {status}"
            accepted["status"][key] = accepted["status"].get(key, 0) + 1
        time.sleep(rng.uniform(0.02, 0.15))


@pytest.mark.timeout(SECONDS * 4 + 120)
def test_two_facilitators_and_twenty_phones_lose_nothing(tmp_path, monkeypatch):
    # many writes per phone: the rate limits are raised so the log sees thousands of lines
    monkeypatch.setattr(settings, "PARTICIPANT_PINS_PER_MIN", 10_000)
    monkeypatch.setattr(settings, "PARTICIPANT_VOTES_PER_MIN", 10_000)
    folder = tmp_path / "ws"
    registry = JoinRegistry()
    ws = registry.open(folder, EXTENT, OUTLINE)
    ScenarioStore(folder, EXTENT).open(SCENARIO, region="test")
    server = ParticipantServer(registry, "127.0.0.1", 0)
    accepted: dict = {"pins": {}, "votes": [], "status": {}}
    lock = threading.Lock()
    ctx = mp.get_context("spawn")
    outs = [tmp_path / f"f{k}.json" for k in range(2)]
    try:
        procs = [
            ctx.Process(target=_facilitator, args=(str(folder), k, SECONDS, str(outs[k])))
            for k in range(2)
        ]
        for p in procs:
            p.start()
        stop = time.monotonic() + SECONDS
        base = f"{server.url()}/api/{ws.code}"
        phones = [
            threading.Thread(target=_phone, args=(base, i, stop, accepted, lock))
            for i in range(PHONES)
        ]
        for t in phones:
            t.start()
        for t in phones:
            t.join()
        for p in procs:
            p.join(timeout=SECONDS + 120)
            assert p.exitcode == 0
    finally:
        server.stop()
    facilitators = [json.loads(o.read_text()) for o in outs]
    events, _ = EventLog(folder).read()
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(seqs) + 1))  # no line lost, none numbered twice
    by_seq = {e["seq"]: e for e in events}
    board = Board()
    board.apply(events)
    lost_pins = [
        pid
        for pid, text in accepted["pins"].items()
        if pid not in board.pins or board.pins[pid].text != text
    ]
    lost_votes = [s for s in accepted["votes"] if by_seq.get(s, {}).get("t") != "vote"]
    lost_fac = [
        s for f in facilitators for s in f["events"] if by_seq.get(s, {}).get("t") != "status"
    ]
    approved = [tuple(a) for f in facilitators for a in f["approved"]]
    stored = ScenarioStore(folder, EXTENT).load(SCENARIO)
    # every approval of either facilitator is a scenario pin (merged, never overwritten)
    assert sorted(p.text for p in stored.pins) == sorted(text for _, text in approved)
    assert (lost_pins, lost_votes, lost_fac) == ([], [], [])
    n_pins, n_votes = len(accepted["pins"]), len(accepted["votes"])
    n_fac = sum(len(f["events"]) for f in facilitators)
    assert n_pins + n_votes + n_fac + 1 == len(events)  # + the "open" line: nothing else
    assert n_pins > 50 * SECONDS / 60 and n_votes > 50 * SECONDS / 60 and len(approved) > 2
    # refused, never lost: a second vote (409) or one on a pin hidden meanwhile (400)
    assert set(accepted["status"]) <= {"pin 201", "vote 201", "vote 400", "vote 409"}
    assert sum(p.votes for p in board.pins.values()) == n_votes
    assert ScenarioStore(folder, EXTENT).names() == [SCENARIO]  # no conflict copy
    print(
        f"\nangenommen: {n_pins} Pins, {n_votes} Stimmen, {n_fac} Moderationsschritte "
        f"({len(approved)} übernommen) in {SECONDS:.0f} s; verloren: 0; {accepted['status']}"
    )
