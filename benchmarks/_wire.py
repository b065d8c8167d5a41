"""A Streamlit session driven over its WebSocket, without a browser (for ``load.py``).

In a workshop every participant's laptop renders its own page; in the load benchmark the
browsers of all sessions share the server's two cores. :class:`WireSession` speaks the
protocol a browser speaks (``BackMsg.rerun_script`` with the widget states, on
``/_stcore/stream``) and reads the same ``ForwardMsg`` stream, so the server does the same
work per action, but nothing is rendered: it stands in for a session whose browser runs
on another machine. Widgets are found by their key in the elements the app sends
(``$$ID-<hash>-<key>``); values are sent as the browser sends them (the option's label).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

MAP_COMPONENT = "streamlit_folium"


def widget_key(wid: str) -> str:
    """The user key of a widget id ``$$ID-<hash>-<key>`` (the id itself without a key)."""
    if wid.startswith("$$ID-"):
        parts = wid.split("-", 2)
        if len(parts) == 3:
            return parts[2]
    return wid


async def wait_for_rerun(session: Any, started0: int, finished0: int, timeout: float) -> float:
    """Wait for a run started after the trigger to finish; the time it finished.

    ``session``: counts its ``started``/``finished`` runs, ``running``, ``changed`` (an
    ``asyncio.Event`` set on each) and ``last_finished_at`` (``load.Session`` too).
    """
    deadline = time.perf_counter() + timeout
    while not (session.started > started0 and session.finished > finished0 and not session.running):
        session.changed.clear()
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError("kein abgeschlossener Neulauf")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(session.changed.wait(), left)
    return session.last_finished_at


class WireSession:
    """One app session over a raw WebSocket: send widget changes, wait for the rerun.

    Parameters
    ----------
    url
        The app's base address (``http://127.0.0.1:<port>``).
    """

    def __init__(self, url: str) -> None:
        self.ws_url = url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        self.page_url = url.rstrip("/") + "/"
        self.query = ""
        self.page_hash = ""
        self.ws: Any = None
        self.elements: dict[str, Any] = {}  # widget key -> element proto of the last run
        self.component_id = ""  # the map component's widget id in the last run
        self.component_default: dict = {}
        self.map_args = ""  # the map component's arguments (JSON) in the last run
        self.states: dict[str, WidgetState] = {}  # widget key -> state to send
        self.running = False
        self.started = 0
        self.finished = 0
        self.last_finished_at = 0.0
        self.exceptions: list[str] = []
        self.bytes_received = 0
        # large elements already received, by hash (the browser's message cache): the
        # server sends a reference instead of a message the client says it has
        self.cache: dict[str, tuple[Any, int]] = {}
        self.changed = asyncio.Event()
        self._reader: asyncio.Task | None = None

    async def open(self, timeout: float) -> None:
        import websockets

        self.ws = await websockets.connect(
            self.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout
        )
        self._reader = asyncio.create_task(self._read())
        started0, finished0 = self.started, self.finished
        await self.rerun()
        await self.wait_rerun(started0, finished0, timeout)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self.ws is not None:
            await self.ws.close()

    async def _read(self) -> None:
        async for payload in self.ws:
            if isinstance(payload, str):
                continue
            self.bytes_received += len(payload)
            msg = ForwardMsg.FromString(payload)
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":  # a message this client said it has (cached_message_hashes)
                cached = self.cache.get(msg.ref_hash)
                if cached is None:
                    continue
                self.cache[msg.ref_hash] = (cached[0], self.finished)
                msg, kind = cached[0], cached[0].WhichOneof("type")
            elif msg.metadata.cacheable:
                self.cache[msg.hash] = (msg, self.finished)
            if kind == "new_session":
                self.started += 1
                self.running = True
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "delta":
                self._element(msg.delta)
                continue
            elif kind == "script_finished":
                self.running = False
                if msg.script_finished in (0, 3):
                    self.finished += 1
                    self.last_finished_at = time.perf_counter()
                    # as the browser: a message not used in the last runs is dropped
                    for h in [
                        h for h, (_m, seen) in self.cache.items() if seen < self.finished - 2
                    ]:
                        del self.cache[h]
            else:
                continue
            self.changed.set()

    def _element(self, delta: Any) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        body = getattr(element, kind)
        if kind == "exception":
            self.exceptions.append(f"{body.type}: {body.message}"[:300])
            return
        wid = getattr(body, "id", "") if hasattr(body, "id") else ""
        if not isinstance(wid, str) or not wid.startswith("$$ID-"):
            return
        if kind == "component_instance" and MAP_COMPONENT in body.component_name:
            self.component_id = wid
            self.map_args = body.json_args
            with contextlib.suppress(ValueError, KeyError):
                self.component_default = json.loads(body.json_args).get("default") or {}
            return
        self.elements[widget_key(wid)] = (kind, body)

    def widget_id(self, key: str) -> str:
        return self.elements[key][1].id

    def options(self, key: str) -> list[str]:
        return list(self.elements[key][1].options)

    def set_string(self, key: str, value: str) -> None:
        state = WidgetState(id=self.widget_id(key))
        state.string_value = value
        self.states[key] = state

    def set_strings(self, key: str, values: list[str]) -> None:
        state = WidgetState(id=self.widget_id(key))
        state.string_array_value.data.extend(values)
        self.states[key] = state

    def set_map_click(self, lat: float, lng: float) -> None:
        value = dict(self.component_default)
        value["last_clicked"] = {"lat": lat, "lng": lng}
        state = WidgetState(id=self.component_id)
        state.json_value = json.dumps(value)
        self.states["__map__"] = state

    def trigger(self, key: str) -> None:
        state = WidgetState(id=self.widget_id(key))
        state.trigger_value = True
        self.states[key] = state

    async def rerun(self) -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = self.page_hash
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "de-DE"
        cs.context_info.url = self.page_url
        cs.context_info.color_scheme = "light"
        for key, state in self.states.items():  # an element redrawn may have a new id
            if key == "__map__":
                state.id = self.component_id
            elif key in self.elements:
                state.id = self.widget_id(key)
        cs.widget_states.widgets.extend(self.states.values())
        cs.cached_message_hashes.extend(self.cache)
        # a trigger (button) counts once, as in the browser
        for key in [k for k, s in self.states.items() if s.WhichOneof("value") == "trigger_value"]:
            del self.states[key]
        await self.ws.send(msg.SerializeToString())

    async def wait_rerun(self, started0: int, finished0: int, timeout: float) -> float:
        return await wait_for_rerun(self, started0, finished0, timeout)

    async def change(self, timeout: float) -> float:
        """Send the widget states as they stand; seconds until the rerun they caused ended."""
        started0, finished0 = self.started, self.finished
        t0 = time.perf_counter()
        await self.rerun()
        done = await self.wait_rerun(started0, finished0, timeout)
        return done - t0
