"""Checks of JSON-like input values (scenario files, uploads) with German messages.

Each check returns the clean value or raises :class:`geo._errors.InputError` whose
message names the field (``what``): numbers must be JSON numbers (no strings, no
booleans, finite), texts are length-limited, code lists are keys of a mapping.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._errors import InputError
from ._text import de_decimal


def type_de(value: Any) -> str:
    """German name of a JSON value's type for messages ("Text", "Liste", "leer", …)."""
    return {
        bool: "Wahrheitswert",
        str: "Text",
        list: "Liste",
        tuple: "Liste",
        dict: "Objekt",
        type(None): "leer",
    }.get(type(value), type(value).__name__)


def check_number(
    value: Any,
    what: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    optional: bool = False,
) -> float | None:
    """A finite float from a JSON number (no strings, no booleans); InputError naming ``what``."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{what}: Zahl erwartet, gefunden {type_de(value)} ({value!r:.40}).")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"{what}: keine gültige Zahl ({value}).")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise InputError(
            f"{what}: muss {'größer als' if lo_open else 'mindestens'} "
            f"{de_decimal(lo, 1)} sein (angegeben: {de_decimal(v, 3)})."
        )
    if hi is not None and v > hi:
        raise InputError(f"{what}: höchstens {de_decimal(hi, 1)} (angegeben: {de_decimal(v, 3)}).")
    return v


def check_text(
    value: Any, what: str, max_len: int = 200, *, required: bool = False, strip: bool = True
) -> str:
    """Text of at most ``max_len`` characters (None → ""); InputError naming ``what``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(f"{what}: Text erwartet, gefunden {type_de(value)}.")
    text = value.strip() if strip else value
    if required and not text.strip():
        raise InputError(f"{what}: darf nicht leer sein.")
    if len(text) > max_len:
        raise InputError(f"{what}: höchstens {max_len} Zeichen (angegeben: {len(text)}).")
    return text


def check_codes(value: Any, allowed: Mapping[str, Any], what: str) -> tuple[str, ...]:
    """Distinct keys of ``allowed`` from a list or a "a, b; c" text; InputError naming ``what``."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[,;]\s*", value) if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{what}: Liste erwartet, gefunden {type_de(value)}.")
    out = []
    for v in value:
        if not isinstance(v, str) or v.strip() not in allowed:
            raise InputError(f"{what}: unbekannter Eintrag {v!r} (möglich: {', '.join(allowed)}).")
        out.append(v.strip())
    return tuple(dict.fromkeys(out))


__all__ = ["type_de", "check_number", "check_text", "check_codes"]
