"""The participant server: one light German phone page per workshop, no Streamlit session.

A :class:`ParticipantServer` is a standard-library ``ThreadingHTTPServer`` on its own port,
started by the facilitator (``ui/participants.py``). It serves

- ``/`` and ``/j/<CODE>``: the page (``ui/static/participants/``), German texts from the
  catalogs filled in on the server, Leaflet from the local vendor folder,
- ``/api/<CODE>/state``: region outline, pin kinds, shown pins with vote counts and the
  published sites (``geo.participants.Board``),
- ``POST /api/<CODE>/join``, ``/pin``, ``/vote``: a phone's token (kept in memory only, for
  the rate limits), a new pin, a vote; each write is one line of the workshop's event log.

Nothing is loaded from outside and nothing about a person is kept: no request log, no
address, no browser string. Requests are limited in size and per phone (rate limits); the
answers to bad input are German messages.
"""

from __future__ import annotations

import fcntl
import hashlib
import html
import json
import os
import re
import secrets
import socket
import struct
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from geo import settings
from geo._errors import InputError
from geo.participants import CodeError, JoinRegistry, RateLimiter, Workshop, pin_event
from layers._assets import VENDOR_DIR, ensure_assets
from layers.scenario import pin_label
from present import i18n

STATIC_DIR = Path(__file__).resolve().parent / "static" / "participants"
STATIC_FILES = {"app.js": "text/javascript", "app.css": "text/css"}
VENDOR_FILES = {
    "leaflet.js": ("leaflet/leaflet.js", "text/javascript"),
    "leaflet.css": ("leaflet/leaflet.css", "text/css"),
}
PAGE_TEXTS = (
    "pp_title", "pp_intro", "pp_code_label", "pp_code_go", "pp_tap_map", "pp_kind",
    "pp_text", "pp_send", "pp_cancel", "pp_sent", "pp_vote", "pp_voted", "pp_pins",
    "pp_sites", "pp_none", "pp_offline", "pp_votes", "pp_new_pin", "pp_privacy",
)  # fmt: skip
CLIENT_HEADER = "X-Nahraum-Client"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_API = re.compile(r"^/api/([A-Za-z0-9]{1,12})/(state|join|pin|vote)$")
_PAGE = re.compile(r"^/j/([A-Za-z0-9-]{1,16})$")
_SIOCGIFADDR = 0x8915


def lan_address() -> str | None:
    """The IPv4 address of the first non-loopback network interface (no packet is sent)."""
    for _, name in socket.if_nameindex():
        if name == "lo":
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                packed = fcntl.ioctl(
                    sock.fileno(), _SIOCGIFADDR, struct.pack("256s", name[:15].encode())
                )
            except OSError:
                continue
        address = socket.inet_ntoa(packed[20:24])
        if not address.startswith("127."):
            return address
    return None


def bind_host(lan: bool) -> str:
    """Where the server binds: the LAN interface when opened to the room, else loopback.

    ``settings.PARTICIPANT_HOST_ENV`` overrides both (the tests bind loopback).
    """
    forced = os.environ.get(settings.PARTICIPANT_HOST_ENV)
    if forced:
        return forced
    if not lan:
        return "127.0.0.1"
    return lan_address() or "0.0.0.0"


def page_html(lang: str = "de") -> bytes:
    """The phone page with its texts filled in (escaped) from the catalogs."""
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    texts = {k: i18n.t(k, lang, n=settings.PARTICIPANT_TEXT_MAX) for k in PAGE_TEXTS}
    blob = json.dumps(texts, ensure_ascii=False).replace("<", "\\u003c")
    out = re.sub(r"\{\{(\w+)\}\}", lambda m: html.escape(texts.get(m.group(1), "")), template)
    return out.replace("__TEXTS__", blob).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    server: ParticipantHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "Nahraum"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """No request log: addresses and browsers of participants are never written."""

    def _send(self, status: int, body: bytes, ctype: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600" if cache else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json")

    def _error(self, status: int, key: str, **kw: Any) -> None:
        self._json(status, {"error": i18n.t(key, self.server.lang, **kw)})

    def do_GET(self) -> None:
        """Page, static files, Leaflet and the state of a workshop."""
        path = urlsplit(self.path).path
        if path in ("/", "/index.html") or _PAGE.match(path):
            self._send(HTTPStatus.OK, self.server.page, "text/html; charset=utf-8")
        elif path.startswith("/s/") and path[3:] in STATIC_FILES:
            body = (STATIC_DIR / path[3:]).read_bytes()
            self._send(HTTPStatus.OK, body, STATIC_FILES[path[3:]] + "; charset=utf-8", True)
        elif path.startswith("/v/") and path[3:] in VENDOR_FILES:
            rel, ctype = VENDOR_FILES[path[3:]]
            self._send(HTTPStatus.OK, (VENDOR_DIR / rel).read_bytes(), ctype, True)
        elif (m := _API.match(path)) and m.group(2) == "state":
            if (ws := self._workshop(m.group(1))) is not None:
                self._json(HTTPStatus.OK, self.server.state(ws))
        else:
            self._error(HTTPStatus.NOT_FOUND, "pp_err_not_found")

    def do_POST(self) -> None:
        """Join, pin or vote (JSON bodies, size- and rate-limited)."""
        m = _API.match(urlsplit(self.path).path)
        if not m or m.group(2) == "state":
            self._error(HTTPStatus.NOT_FOUND, "pp_err_not_found")
            return
        body = self._body()
        if body is None or (ws := self._workshop(m.group(1))) is None:
            return
        action = m.group(2)
        if action == "join":
            if not self.server.joins.allow(ws.code):
                self._error(HTTPStatus.TOO_MANY_REQUESTS, "pp_err_rate")
                return
            self._json(HTTPStatus.CREATED, {"client": self.server.new_client(ws.code)})
            return
        client = self.headers.get(CLIENT_HEADER, "")
        if not self.server.known_client(ws.code, client):
            self._error(HTTPStatus.FORBIDDEN, "pp_err_join")
            return
        if action == "pin":
            self._pin(ws, client, body)
        else:
            self._vote(ws, client, body)

    def _body(self) -> Any:
        """The parsed JSON body, or None after answering with a German error."""
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._error(HTTPStatus.LENGTH_REQUIRED, "pp_err_length")
            return None
        if length < 0 or length > settings.PARTICIPANT_BODY_MAX:
            self.close_connection = True
            self._error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "pp_err_size", n=settings.PARTICIPANT_BODY_MAX
            )
            return None
        raw = self.rfile.read(length) if length else b"{}"
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._error(HTTPStatus.BAD_REQUEST, "pp_err_json")
            return None

    def _workshop(self, code: str) -> Workshop | None:
        try:
            return self.server.registry.get(code)
        except CodeError as exc:
            self._json(exc.status, {"error": exc.message})
            return None

    def _pin(self, ws: Workshop, client: str, body: Any) -> None:
        try:
            event = pin_event(body, ws.area)
        except InputError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": exc.message})
            return
        if not self.server.pins.allow(client):
            self._error(HTTPStatus.TOO_MANY_REQUESTS, "pp_err_rate")
            return
        try:
            (saved,) = ws.log.append(event)
        except InputError as exc:
            self._json(HTTPStatus.INSUFFICIENT_STORAGE, {"error": exc.message})
            return
        self._json(HTTPStatus.CREATED, {"id": f"t{saved['seq']}", "seq": saved["seq"]})

    def _vote(self, ws: Workshop, client: str, body: Any) -> None:
        target = body.get("target") if isinstance(body, dict) else None
        board = ws.refresh()
        shown = {p.id for p in board.shown()} | set(board.sites)
        if not isinstance(target, str) or target not in shown:
            self._error(HTTPStatus.BAD_REQUEST, "pp_err_target")
            return
        if not self.server.first_vote(client, target):
            self._error(HTTPStatus.CONFLICT, "pp_err_voted")
            return
        if not self.server.votes.allow(client):
            self._error(HTTPStatus.TOO_MANY_REQUESTS, "pp_err_rate")
            return
        try:
            (saved,) = ws.log.append({"t": "vote", "target": target})
        except InputError as exc:
            self._json(HTTPStatus.INSUFFICIENT_STORAGE, {"error": exc.message})
            return
        self._json(HTTPStatus.CREATED, {"seq": saved["seq"]})


class ParticipantHTTPServer(ThreadingHTTPServer):
    """The HTTP server with the registry, the rate limits and the phones' tokens."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], registry: JoinRegistry, lang: str = "de"):
        super().__init__(address, _Handler)
        self.registry, self.lang = registry, lang
        self.page = page_html(lang)
        self.pins = RateLimiter(settings.PARTICIPANT_PINS_PER_MIN)
        self.votes = RateLimiter(settings.PARTICIPANT_VOTES_PER_MIN)
        self.joins = RateLimiter(settings.PARTICIPANT_JOINS_PER_MIN)
        self._clients: dict[str, str] = {}  # token -> code (memory only)
        self._voted: set[str] = set()  # hashes of (token, target), memory only
        self._lock = threading.Lock()

    def new_client(self, code: str) -> str:
        """A random token for one phone (memory only; lets the rate limits count)."""
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._clients[token] = code
        return token

    def known_client(self, code: str, token: str) -> bool:
        """True if ``token`` joined the workshop of ``code``."""
        with self._lock:
            return self._clients.get(token) == code

    def first_vote(self, token: str, target: str) -> bool:
        """Record that this phone voted for ``target``; False if it already had."""
        key = hashlib.sha256(f"{token}\0{target}".encode()).hexdigest()
        with self._lock:
            if key in self._voted:
                return False
            self._voted.add(key)
            return True

    def state(self, ws: Workshop) -> dict:
        """What a phone shows: outline, pin kinds, shown pins with votes, published sites."""
        board = ws.refresh()
        votes = board.votes()
        lang = self.lang
        return {
            "code": ws.code,
            "outline": ws.outline,
            "kinds": [{"code": k, "label": pin_label(k, lang)} for k in settings.PIN_KINDS],
            "pins": [
                {
                    "id": p.id,
                    "kind": p.kind,
                    "text": p.text,
                    "lon": p.lon,
                    "lat": p.lat,
                    "votes": votes.get(p.id, 0),
                    "time": p.time,
                }
                for p in board.shown()
            ],
            "sites": [
                {"id": s.id, "name": s.name, "lon": s.lon, "lat": s.lat, "votes": s.votes}
                for s in board.sites.values()
            ],
            "text_max": settings.PARTICIPANT_TEXT_MAX,
        }


class ParticipantServer:
    """The participant server running in a background thread.

    Parameters
    ----------
    registry : JoinRegistry
        Codes of the open workshops.
    host : str
        Bind address (:func:`bind_host`).
    port : int
        Port (0: any free port).
    """

    def __init__(self, registry: JoinRegistry, host: str = "127.0.0.1", port: int = 0):
        ensure_assets()
        self.httpd = ParticipantHTTPServer((host, port), registry)
        self.host = host
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="nahraum-participants", daemon=True
        )
        self._thread.start()

    def url(self, code: str | None = None, host: str | None = None) -> str:
        """The address phones open (``/j/<code>``); the LAN address when bound to all."""
        shown = host or (self.host if self.host not in ("0.0.0.0", "") else lan_address())
        base = f"http://{shown or '127.0.0.1'}:{self.port}"
        return f"{base}/j/{code}" if code else base

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


__all__ = ["ParticipantServer", "ParticipantHTTPServer", "bind_host", "lan_address", "page_html"]
