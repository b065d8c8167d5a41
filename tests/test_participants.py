"""Participant server and event log: join, limits, escaping, expiry, no identity stored."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import settings
from geo._errors import InputError
from geo.network import to_xy
from geo.participants import (
    Board,
    CodeError,
    EventLog,
    JoinRegistry,
    RateLimiter,
    new_code,
    normalise_code,
    outline_geojson,
    pin_event,
)
from geo.scenario import Extent
from report.participation import participation_csv, participation_markdown
from ui.participant_server import CLIENT_HEADER, ParticipantServer, page_html

# A test region around Sömmerda (WGS84 point inside, one outside).
LON, LAT = 11.117, 51.160
X, Y = (float(v[0]) for v in to_xy([LON], [LAT]))
EXTENT = Extent(shapely.box(X - 20_000, Y - 20_000, X + 20_000, Y + 20_000), "test", "Test")
OUTLINE = outline_geojson(EXTENT.geometry)
AGENT = "Testtelefon/9.9 (Nahraum-Pruefung)"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Client:
    """A phone talking to the server (JSON in, status and JSON out)."""

    def __init__(self, base: str, code: str):
        self.base, self.code, self.token = base, code, ""

    def call(self, action: str, body=None, raw: bytes | None = None, headers=None):
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        h = {"Content-Type": "application/json", "User-Agent": AGENT, **(headers or {})}
        if self.token:
            h[CLIENT_HEADER] = self.token
        req = urllib.request.Request(f"{self.base}/api/{self.code}/{action}", data=data, headers=h)
        try:
            with OPENER.open(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def join(self) -> Client:
        status, data = self.call("join", {})
        assert status == 201, data
        self.token = data["client"]
        return self

    def pin(self, text: str = "Hier fehlt ein Treff", lon: float = LON, lat: float = LAT):
        return self.call("pin", {"kind": "missing", "text": text, "lon": lon, "lat": lat})


@pytest.fixture
def served(tmp_path):
    registry = JoinRegistry()
    ws = registry.open(tmp_path / "ws", EXTENT, OUTLINE)
    server = ParticipantServer(registry, "127.0.0.1", 0)
    try:
        yield registry, ws, server
    finally:
        server.stop()


def get(url: str) -> tuple[int, bytes, dict]:
    try:
        with OPENER.open(url, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


# ---------------------------------------------------------------------------
# codes
# ---------------------------------------------------------------------------
def test_codes_have_six_unambiguous_characters_and_typing_is_forgiving():
    codes = {new_code() for _ in range(500)}
    assert len(codes) > 495
    for code in codes:
        assert len(code) == 6
        assert not set(code) & set("0O1IL2Z5S8B")
    assert normalise_code(" qah-4nd ") == "QAH4ND"
    assert normalise_code("QAH4N") is None  # too short
    assert normalise_code("QAH4N0") is None  # 0 is not in the alphabet
    assert normalise_code(None) is None


def test_unknown_closed_and_expired_codes_get_german_messages(tmp_path):
    registry = JoinRegistry()
    with pytest.raises(CodeError, match="gibt es nicht") as unknown:
        registry.get("AAAAAA")
    assert unknown.value.status == 404
    with pytest.raises(CodeError, match="6 Zeichen"):
        registry.get("xx")
    short = registry.open(tmp_path / "a", EXTENT, OUTLINE, lifetime_s=0.3)
    assert registry.get(short.code.lower()) is short
    time.sleep(0.4)
    with pytest.raises(CodeError, match="abgelaufen") as expired:
        registry.get(short.code)
    assert expired.value.status == 410
    ws = registry.open(tmp_path / "b", EXTENT, OUTLINE)
    registry.close(ws.code)
    with pytest.raises(CodeError, match="abgelaufen"):
        registry.get(ws.code)
    # the log says so: a later opening gets a new code
    again = registry.open(tmp_path / "b", EXTENT, OUTLINE)
    assert again.code != ws.code


def test_a_valid_code_survives_a_restart_of_the_app(tmp_path):
    first = JoinRegistry().open(tmp_path / "ws", EXTENT, OUTLINE)
    second = JoinRegistry().open(tmp_path / "ws", EXTENT, OUTLINE)  # new process, same log
    assert second.code == first.code


# ---------------------------------------------------------------------------
# server: join, write, limits
# ---------------------------------------------------------------------------
def test_join_pin_and_vote_through_the_server(served):
    _, ws, server = served
    status, body, headers = get(server.url(ws.code))
    assert status == 200
    page = body.decode()
    assert "Nahraum – Mitmachen" in page and 'lang="de"' in page
    assert "http" not in page.replace("http-equiv", "")  # nothing from outside
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    for path in ("/v/leaflet.js", "/v/leaflet.css", "/s/app.js", "/s/app.css"):
        assert get(server.url() + path)[0] == 200
    phone = Client(server.url(), ws.code)
    status, data = phone.pin()
    assert status == 403 and "Zugangscode" in data["error"]  # not joined yet
    phone.join()
    status, data = phone.pin("Jugendtreff fehlt")
    assert status == 201
    pid = data["id"]
    other = Client(server.url(), ws.code).join()
    assert other.call("vote", {"target": pid})[0] == 201
    status, data = other.call("vote", {"target": pid})
    assert status == 409 and "schon gestimmt" in data["error"]
    assert other.call("vote", {"target": "t999"})[0] == 400
    status, state = phone.call("state")
    assert status == 200
    assert [(p["id"], p["text"], p["votes"]) for p in state["pins"]] == [
        (pid, "Jugendtreff fehlt", 1)
    ]
    assert {k["code"] for k in state["kinds"]} == set(settings.PIN_KINDS)
    assert state["outline"]["type"] in ("Polygon", "MultiPolygon")


def test_pins_per_minute_are_limited_per_phone(served):
    _, ws, server = served
    phone = Client(server.url(), ws.code).join()
    statuses = [phone.pin(f"Hinweis {i}")[0] for i in range(settings.PARTICIPANT_PINS_PER_MIN)]
    assert statuses == [201] * settings.PARTICIPANT_PINS_PER_MIN
    status, data = phone.pin("einer zu viel")
    assert status == 429 and "Minute warten" in data["error"]
    assert Client(server.url(), ws.code).join().pin("anderes Telefon")[0] == 201
    board = ws.refresh()
    assert len(board.pins) == settings.PARTICIPANT_PINS_PER_MIN + 1


def test_rate_limiter_window_slides():
    lim = RateLimiter(2, window_s=10)
    assert [lim.allow("a", now=t) for t in (0, 1, 2, 9.9, 10.5, 11.5)] == [
        True,
        True,
        False,
        False,
        True,  # the hit at 0 left the window
        True,  # the hit at 1 left the window
    ]
    assert lim.allow("b", now=2)


def test_size_limits_and_bad_input_give_german_errors_and_store_nothing(served):
    _, ws, server = served
    phone = Client(server.url(), ws.code).join()
    before = ws.log.path.read_bytes()
    status, data = phone.call("pin", raw=b"{" + b" " * (settings.PARTICIPANT_BODY_MAX + 10) + b"}")
    assert status == 413 and "zu groß" in data["error"]
    status, data = phone.pin("x" * (settings.PARTICIPANT_TEXT_MAX + 1))
    assert status == 400 and f"höchstens {settings.PARTICIPANT_TEXT_MAX} Zeichen" in data["error"]
    status, data = phone.pin(lon=13.4, lat=52.5)  # Berlin
    assert status == 400 and "außerhalb der Region" in data["error"]
    status, data = phone.call("pin", {"kind": "egal", "text": "", "lon": LON, "lat": LAT})
    assert status == 400 and "Art des Hinweises" in data["error"]
    status, data = phone.call("pin", raw=b"kein json")
    assert status == 400 and "kein gültiges JSON" in data["error"]
    status, data = phone.call("pin", {"kind": "missing", "lon": LON, "lat": LAT, "ip": "1.2.3.4"})
    assert status == 400 and "Unbekannte Angaben" in data["error"]
    assert ws.log.path.read_bytes() == before


def test_closing_the_workshop_stops_the_code_at_once(served):
    registry, ws, server = served
    phone = Client(server.url(), ws.code).join()
    assert phone.pin()[0] == 201
    registry.close(ws.code)
    status, data = phone.pin()
    assert status == 410 and "abgelaufen" in data["error"]
    status, data = phone.call("state")
    assert status == 410
    assert get(server.url(ws.code))[0] == 200  # the page itself shows the message


# ---------------------------------------------------------------------------
# privacy and escaping
# ---------------------------------------------------------------------------
def test_nothing_about_a_person_is_stored(served):
    _, ws, server = served
    phone = Client(server.url(), ws.code).join()
    assert phone.pin("Bank fehlt am Markt")[0] == 201
    pid = f"t{ws.refresh().events}"
    assert Client(server.url(), ws.code).join().call("vote", {"target": pid})[0] == 201
    folder = ws.log.path.parent
    stored = b"".join(p.read_bytes() for p in Path(folder).rglob("*") if p.is_file())
    for secret in (b"127.0.0.1", AGENT.encode(), phone.token.encode(), b"Testtelefon"):
        assert secret not in stored
    keys = set()
    for line in ws.log.path.read_text().splitlines():
        keys |= set(json.loads(line))
    assert keys <= {"t", "seq", "time", "code", "expires", "kind", "text", "lon", "lat", "target"}


def test_participant_text_is_escaped_wherever_it_is_shown(served):
    from ui.participants import pin_line

    _, ws, server = served
    evil = '<img src=x onerror="alert(1)"> =HYPERLINK("x") **fett**'
    phone = Client(server.url(), ws.code).join()
    assert phone.pin(evil)[0] == 201
    board = ws.refresh()
    (pin,) = board.pins.values()
    assert pin.text == evil  # stored verbatim
    line = pin_line(pin, 0, "de")
    assert "<img" not in line and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in line
    formula = {**board.table()[0], "id": "t9", "text": "=HYPERLINK(1)"}
    csv = participation_csv([*board.table(), formula]).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in csv  # defused at the start of a cell
    md = participation_markdown(board.table())
    assert "\\<img src=x" in md and md.count("<") == md.count("\\<") and "\\*\\*fett\\*\\*" in md
    # the phone page sets participant text only as text, never as HTML
    script = (Path(__file__).resolve().parents[1] / "ui/static/participants/app.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "bindPopup" not in script and "bindTooltip" not in script


def test_page_texts_come_from_the_catalogs_escaped():
    page = page_html("de").decode()
    assert "{{" not in page and "__TEXTS__" not in page
    assert "Für Teilnehmende" not in page  # projector words stay on the projector
    texts = json.loads(page.split('id="texts">')[1].split("</script>")[0])
    assert texts["pp_send"] == "Hinweis senden"
    assert page_html("en").decode().count("Send note") >= 1


# ---------------------------------------------------------------------------
# event log and board
# ---------------------------------------------------------------------------
def test_pin_event_keeps_kind_text_and_position():
    e = pin_event({"kind": "too_far", "text": "  Bus\x00fährt\nselten  ", "lon": LON, "lat": LAT})
    assert e == {"t": "pin", "kind": "too_far", "text": "Busfährt\nselten", "lon": LON, "lat": LAT}
    with pytest.raises(InputError, match="Länge"):
        pin_event({"kind": "known", "lon": "x", "lat": LAT})


def test_half_written_last_line_is_skipped_and_numbering_continues(tmp_path):
    log = EventLog(tmp_path)
    log.append({"t": "pin", "kind": "missing", "text": "a", "lon": LON, "lat": LAT})
    with log.path.open("ab") as fh:
        fh.write(b'{"t":"pin","kind":"miss')  # power cut mid-line
    (e,) = log.append({"t": "vote", "target": "t1"})
    assert e["seq"] == 2
    events, offset = log.read()
    assert [x["seq"] for x in events] == [1, 2]
    assert offset == log.path.stat().st_size
    assert log.read(offset) == ([], offset)


def test_board_folds_hide_merge_approve_and_votes_by_hand():
    b = Board()
    pin = {"t": "pin", "kind": "missing", "text": "", "lon": LON, "lat": LAT, "time": "t"}
    b.apply([{**pin, "seq": s} for s in (1, 2, 3)])
    b.apply(
        [
            {"t": "vote", "target": "t1", "seq": 4},
            {"t": "vote", "target": "t2", "seq": 5},
            {"t": "vote", "target": "t2", "seq": 6},
            {"t": "vote", "target": "t3", "seq": 7},
            {"t": "merge", "id": "t2", "into": "t1", "seq": 8},
            {"t": "status", "id": "t3", "status": "hidden", "seq": 9},
            {"t": "status", "id": "t1", "status": "approved", "pin": "pin-4", "seq": 10},
            {"t": "vote", "target": "nix", "seq": 11},
            {"t": "status", "id": "t1", "status": "bogus", "seq": 12},
        ]
    )
    assert b.votes() == {"t1": 3, "t3": 1}
    assert [p.id for p in b.shown()] == ["t1"]
    assert [p.id for p in b.shown(include_hidden=True)] == ["t1", "t3"]
    assert b.pins["t1"].status == "approved" and b.pins["t1"].scenario_pin == "pin-4"
    rows = {r["id"]: r for r in b.table()}
    assert rows["t2"]["status"] == "merged" and rows["t2"]["zusammengefasst_in"] == "t1"
    assert rows["t3"]["status"] == "hidden"  # hidden pins stay in the record


@hsettings(max_examples=60, deadline=None)
@given(
    votes=st.lists(st.integers(1, 6), max_size=30),
    merges=st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)), max_size=8),
)
def test_merging_never_loses_or_doubles_a_vote(votes, merges):
    b = Board()
    pin = {"t": "pin", "kind": "known", "text": "", "lon": LON, "lat": LAT, "time": "t"}
    b.apply([{**pin, "seq": s} for s in range(1, 7)])
    b.apply([{"t": "vote", "target": f"t{v}", "seq": 0} for v in votes])
    b.apply([{"t": "merge", "id": f"t{a}", "into": f"t{c}", "seq": 0} for a, c in merges])
    counted = b.votes()
    assert sum(counted.values()) == len(votes)
    assert all(b.pins[b.root(p)].status != "merged" for p in b.pins)


def test_app_command_opens_the_workshop_to_the_room_only_when_asked(monkeypatch):
    from geo import cli

    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd, env, cwd: calls.append((cmd, env)))
    monkeypatch.delenv(settings.PARTICIPANT_LAN_ENV, raising=False)
    cli.main(["app"])
    cli.main(["app", "--workshop-lan"])
    (cmd0, env0), (cmd1, env1) = calls
    assert settings.PARTICIPANT_LAN_ENV not in env0
    assert env1[settings.PARTICIPANT_LAN_ENV] == "1"
    # the planning app itself stays on loopback either way
    assert cmd1[cmd1.index("--server.address") + 1] == "127.0.0.1"


def test_published_sites_can_be_voted_on_once_per_phone(served):
    _, ws, server = served
    ws.log.append(
        {"t": "publish", "sites": [{"id": "plan-1", "name": "Treff Nord", "lon": LON, "lat": LAT}]}
    )
    a, b = Client(server.url(), ws.code).join(), Client(server.url(), ws.code).join()
    assert a.call("vote", {"target": "plan-1"})[0] == 201
    assert b.call("vote", {"target": "plan-1"})[0] == 201
    assert a.call("vote", {"target": "plan-1"})[0] == 409
    _, state = a.call("state")
    assert state["sites"] == [
        {"id": "plan-1", "name": "Treff Nord", "lon": LON, "lat": LAT, "votes": 2}
    ]
    # publishing again keeps the votes of the sites that stay, drops the others
    ws.log.append({"t": "publish", "sites": []})
    assert a.call("state")[1]["sites"] == []
    assert b.call("vote", {"target": "plan-1"})[0] == 400


def test_session_record_lists_every_phone_pin_with_time_kind_votes_and_status(
    tmp_default_region, tmp_path
):
    import io
    import zipfile

    from pypdf import PdfReader

    from geo.analysis import AnalysisParams
    from geo.scenario import Scenario
    from report.record import session_record

    log = EventLog(tmp_path)
    pin = {"t": "pin", "lon": 11.0, "lat": 51.3}
    log.append(
        {**pin, "kind": "missing", "text": "Spielplatz <fehlt>"},
        {**pin, "kind": "too_far", "text": "=Bus selten"},
        {**pin, "kind": "known", "text": "doppelt"},
        {"t": "vote", "target": "t1"},
        {"t": "vote", "target": "t3"},
        {"t": "merge", "id": "t3", "into": "t1"},
        {"t": "status", "id": "t2", "status": "hidden"},
    )
    board = Board()
    board.update(log)
    params = AnalysisParams(kinds=("Familie",), target="u10", mode="walk", threshold_min=15)
    data = session_record(
        tmp_default_region,
        params,
        Scenario(name="Werkstatt", region="default"),
        participation=board.table(),
    )
    zf = zipfile.ZipFile(io.BytesIO(data))
    csv = zf.read("teilnahme.csv").decode("utf-8-sig")
    rows = csv.strip().splitlines()
    assert len(rows) == 4  # header + 3 pins: hidden and merged ones stay in the record
    assert "'=Bus selten" in csv and "ausgeblendet" in csv and "zusammengefasst" in csv
    md = zf.read("protokoll.md").decode()
    assert "## Hinweise der Teilnehmenden (Telefon)" in md
    assert (
        "t1 · " in md
        and "hier fehlt ein Angebot: Spielplatz \\<fehlt\\> · Stimmen: 2 · offen" in md
    )
    pdf = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(zf.read("protokoll.pdf"))).pages)
    assert "Hinweise der Teilnehmenden" in pdf and "Spielplatz" in pdf
    # the committee PDF names each phone pin's Gemeinde (11.0 E, 51.3 N lies in the region)
    from report.record import participation_with_place

    placed = participation_with_place(tmp_default_region, board.table())
    assert len(placed) == 3 and placed["ags"].str.len().eq(8).all()
    gemeinde = placed["gemeinde"].iloc[0]
    assert f"{gemeinde} (AGS {placed['ags'].iloc[0]})" in " ".join(pdf.split())
    assert "ausgeblendet" in pdf
