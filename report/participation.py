"""Participants' pins in the session record: a table (CSV) and a protocol section.

The rows come from ``geo.participants.Board.table`` (time, kind, text, position, votes,
status); texts stay verbatim in the CSV (formula-defused by ``report.files``) and plain
text in the protocol with Markdown/HTML characters backslash-escaped, so nothing a
participant typed is ever interpreted as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from geo import settings
from present import i18n
from report.files import csv_bytes

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|!"})
COLUMNS = ("id", "zeit", "art", "text", "lon", "lat", "stimmen", "status", "zusammengefasst_in")


def participation_frame(rows: Sequence[dict[str, Any]], lang: str = "de") -> pd.DataFrame:
    """One row per pin; kind and status as words of ``lang``."""
    frame = pd.DataFrame([{c: r.get(c, "") for c in COLUMNS} for r in rows], columns=COLUMNS)
    frame["art"] = [
        i18n.t(f"pin_{k}", lang) if k in settings.PIN_KINDS else str(k) for k in frame["art"]
    ]
    frame["status"] = [i18n.t(f"pp_status_{s}", lang) for s in frame["status"]]
    return frame


def participation_csv(rows: Sequence[dict[str, Any]], lang: str = "de") -> bytes:
    """``teilnahme.csv`` of the session record."""
    return csv_bytes(participation_frame(rows, lang))


def participation_markdown(rows: Sequence[dict[str, Any]], lang: str = "de") -> str:
    """The protocol section: every pin with time, kind, text, votes and status."""
    lines = ["", f"## {i18n.t('pp_record_heading', lang)}", ""]
    frame = participation_frame(rows, lang)
    for r in frame.itertuples(index=False):
        text = " ".join(str(r.text).split()).translate(_MD_SPECIAL) or "–"
        lines.append(
            "- "
            + i18n.t(
                "pp_record_line",
                lang,
                id=r.id,
                time=str(r.zeit).replace("T", " ")[:16],
                kind=r.art,
                text=text,
                votes=r.stimmen,
                status=r.status,
            )
        )
    if not len(frame):
        lines.append(i18n.t("pp_record_none", lang))
    return "\n".join(lines) + "\n"


__all__ = ["participation_frame", "participation_csv", "participation_markdown"]
