"""Sidebar part "Bedarf": official figures per Gemeinde and a target year.

The planner uploads an official table (GENESIS layout or AGS table) and/or a
projection table, or types growth factors, and picks a target year. The parsed
tables are registered process-wide under a digest; the region key ``name@digest``
makes :func:`ui.state.get_region` build the region with that demand basis once
(``geo.demand.for_region``), and every cached result keyed on it follows. A bad
table shows its German error and changes nothing (the previous basis stays).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import streamlit as st

from geo import demand
from geo._errors import NahraumError
from present import i18n
from ui import keys

#: How many years ahead typed growth factors may be applied.
YEARS_AHEAD = 20
_PARSED = "demand_parsed"  # {uploader key: (file id, parsed object or None, error or None)}


@dataclass(frozen=True)
class DemandSpec:
    """A demand basis: official figures, a projection or typed factors, and the year."""

    official: demand.OfficialFigures | None = None
    projection: demand.Projection | None = None
    year: int | None = None
    growth: tuple[tuple[str, float], ...] = ()

    @property
    def empty(self) -> bool:
        """True when the census-based default applies."""
        return self.official is None and self.year is None

    def apply(self, region: Any) -> Any:
        """``region`` with this basis (``geo.demand.for_region``)."""
        return demand.for_region(
            region, self.official, self.projection, self.year, dict(self.growth) or None
        )


@st.cache_resource(show_spinner=False)
def registry() -> dict[str, DemandSpec]:
    """Demand bases of all sessions, by digest (shared: the same table builds once)."""
    return {}


def base_name(key: str) -> str:
    """The region name of a region key (``"default@1a2b"`` → ``"default"``)."""
    return key.partition("@")[0]


def spec_of(key: str) -> DemandSpec | None:
    """The registered basis of a region key (``None`` for a plain region name)."""
    digest = key.partition("@")[2]
    return registry().get(digest) if digest else None


def _parsed(key: str, read: Any) -> Any:
    """The uploader's file parsed once per file; a German error is shown below it."""
    upload = st.session_state.get(key)
    store: dict = st.session_state.setdefault(_PARSED, {})
    if upload is None:
        store.pop(key, None)
        return None
    fid = (upload.name, upload.size, getattr(upload, "file_id", ""))
    last = store.get(key)
    if last is None or last[0] != fid:
        try:
            last = (fid, read(upload.getvalue(), upload.name), None)
        except NahraumError as exc:
            last = (fid, None, str(exc))
        store[key] = last
    if last[2]:
        st.error(last[2])
    return last[1]


def _growth(lang: str) -> tuple[tuple[str, float], ...]:
    text = str(st.session_state.get(keys.DEMAND_GROWTH) or "").strip()
    if not text:
        return ()
    try:
        return tuple(sorted(demand.parse_growth(text).items()))
    except NahraumError as exc:
        st.error(str(exc))
        return ()


def _digest(spec: DemandSpec, files: list[Any]) -> str:
    h = hashlib.sha1()
    for f in files:
        h.update(f.getvalue() if f is not None else b"-")
    h.update(repr((spec.year, spec.growth)).encode("utf-8"))
    return h.hexdigest()[:12]


def demand_controls(region: Any, name: str, lang: str, box: Any = None) -> str:
    """The "Bedarf" expander; returns the region key (``name`` or ``name@digest``)."""
    sb = box if box is not None else st.sidebar
    with sb.expander(i18n.t("demand_heading", lang)):
        st.file_uploader(
            i18n.t("demand_official_upload", lang),
            type=["csv", "txt", "xlsx"],
            key=keys.DEMAND_OFFICIAL,
            help=i18n.t("demand_official_help", lang),
        )
        official = _parsed(
            keys.DEMAND_OFFICIAL,
            lambda data, fname: demand.read_official(data, region.gemeinden, filename=fname),
        )
        st.file_uploader(
            i18n.t("demand_projection_upload", lang),
            type=["csv", "txt", "xlsx"],
            key=keys.DEMAND_PROJECTION,
            help=i18n.t("demand_projection_help", lang),
        )
        projection = _parsed(
            keys.DEMAND_PROJECTION,
            lambda data, fname: demand.read_projection(data, filename=fname),
        )
        st.text_input(
            i18n.t("demand_growth", lang),
            key=keys.DEMAND_GROWTH,
            placeholder="u18=0,95; age65=1,1",
            help=i18n.t("demand_growth_help", lang),
        )
        growth = _growth(lang)
        this_year = dt.date.today().year
        years: list[int | None] = [None]
        if projection is not None:
            years += projection.years
        elif growth:
            years += list(range(this_year, this_year + YEARS_AHEAD + 1))
        if st.session_state.get(keys.DEMAND_YEAR) not in years:
            st.session_state.pop(keys.DEMAND_YEAR, None)
        year = st.selectbox(
            i18n.t("demand_year", lang),
            years,
            key=keys.DEMAND_YEAR,
            format_func=lambda y: i18n.t("demand_no_year", lang) if y is None else str(y),
            disabled=len(years) == 1,
        )
        spec = DemandSpec(
            official=official,
            projection=projection if year is not None else None,
            year=year,
            growth=growth if year is not None and projection is None else (),
        )
        if spec.empty:
            st.caption(i18n.t("demand_base", lang))
            return name
        digest = _digest(
            spec,
            [
                st.session_state.get(keys.DEMAND_OFFICIAL),
                st.session_state.get(keys.DEMAND_PROJECTION) if spec.projection else None,
            ],
        )
        registry()[digest] = spec
    return f"{name}@{digest}"
