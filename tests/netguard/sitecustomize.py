"""Network guard for the app server under test (loaded via ``PYTHONPATH``).

Python imports ``sitecustomize`` at start-up; the offline test puts this folder first
on ``PYTHONPATH`` of the ``streamlit run`` process (and thereby of every Python child).
Every attempt to reach a non-loopback address -- a DNS lookup of another host name, a
TCP connect or a UDP send -- is appended to the JSON-lines file named by
``NAHRAUM_NETGUARD_LOG`` and then blocked. Loopback and Unix sockets pass.
Without ``NAHRAUM_NETGUARD_LOG`` this module does nothing.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import threading

_LOG = os.environ.get("NAHRAUM_NETGUARD_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _record(kind: str, target: object) -> None:
    with _LOCK, open(_LOG, "a", encoding="utf-8") as fh:  # type: ignore[arg-type]
        fh.write(json.dumps({"kind": kind, "target": repr(target), "pid": os.getpid()}) + "\n")


def _is_local_host(host: object) -> bool:
    if host is None:
        return True  # passive lookups (bind to all interfaces)
    text = host.decode() if isinstance(host, bytes) else str(host)
    text = text.strip("[]").split("%")[0].lower()
    if text in _LOCAL_NAMES or text == "":
        return True
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _is_local_address(family: int, address: object) -> bool:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return True  # AF_UNIX, netlink, ...
    host = address[0] if isinstance(address, tuple) and address else address
    return _is_local_host(host)


if _LOG:
    _LOCK = threading.Lock()
    _orig_getaddrinfo = socket.getaddrinfo
    _orig_connect = socket.socket.connect
    _orig_connect_ex = socket.socket.connect_ex
    _orig_sendto = socket.socket.sendto

    def _guarded_getaddrinfo(host, *args, **kwargs):
        if not _is_local_host(host):
            _record("dns", host)
            raise socket.gaierror(socket.EAI_NONAME, "blocked by Nahraum network guard")
        return _orig_getaddrinfo(host, *args, **kwargs)

    def _guarded_connect(self, address):
        if not _is_local_address(self.family, address):
            _record("connect", address)
            raise ConnectionRefusedError("blocked by Nahraum network guard")
        return _orig_connect(self, address)

    def _guarded_connect_ex(self, address):
        if not _is_local_address(self.family, address):
            _record("connect", address)
            return 111  # ECONNREFUSED
        return _orig_connect_ex(self, address)

    def _guarded_sendto(self, data, *args):
        address = args[-1] if args else None
        if address is not None and not _is_local_address(self.family, address):
            _record("sendto", address)
            raise ConnectionRefusedError("blocked by Nahraum network guard")
        return _orig_sendto(self, data, *args)

    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.socket.sendto = _guarded_sendto
    _record("active", os.getpid())
