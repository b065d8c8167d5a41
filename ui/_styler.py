"""Display values of a kept ``Styler``, converted once (Streamlit's ``st.dataframe``).

For a pandas ``Styler`` Streamlit sends, besides the data, a second table of the cells'
display values (the formatted texts): ``pandas_styler_utils._marshall_display_values``
casts the whole table to text, writes every cell's display value into it and converts it
to Arrow, on every rerun. With the Gemeinde table kept per result for every session
(``present.tables.keep_rendering``: the same styles object on every call), that is the
same work each time: 11 % of the server's time per control change with 10 sessions
(``benchmarks/load.py``, py-spy). :func:`install` wraps that function so the Arrow bytes
are reused while the same data and the same translated styles come in; anything else is
converted as before. If Streamlit no longer has the function, nothing is changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

MAX_KEPT = 32  # recent (data, styles) pairs; a kept table is looked up by identity

_kept: OrderedDict[tuple[int, int], tuple[Any, Any, bytes]] = OrderedDict()
_lock = threading.Lock()  # reruns of all sessions run in threads of one process


def install() -> bool:
    """Wrap Streamlit's display-value conversion (once); ``False`` if it is not there."""
    try:
        from streamlit.elements.lib import pandas_styler_utils as psu
    except ImportError:  # pragma: no cover - Streamlit reorganised
        return False
    original = getattr(psu, "_marshall_display_values", None)
    if original is None:
        return False
    if getattr(original, "_nahraum_kept", False):
        return True

    def marshall(proto: Any, df: Any, styles: Any) -> None:
        key = (id(df), id(styles))
        with _lock:
            hit = _kept.get(key)
            # the entry holds df and styles, so their ids cannot be reused while it exists
            if hit is not None and hit[0] is df and hit[1] is styles:
                _kept.move_to_end(key)
                proto.styler.display_values = hit[2]
                return
        original(proto, df, styles)
        with _lock:
            _kept[key] = (df, styles, proto.styler.display_values)
            while len(_kept) > MAX_KEPT:
                _kept.popitem(last=False)

    marshall._nahraum_kept = True  # type: ignore[attr-defined]
    marshall.__wrapped__ = original  # type: ignore[attr-defined]
    psu._marshall_display_values = marshall
    return True
