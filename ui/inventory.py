"""The planner's own service inventory in the app (issue 15).

The sidebar expander "Eigener Angebotsbestand": upload a service list, see the same
validation report as ``nahraum services import`` row by row, choose the sheet or layer
of a workbook/GeoPackage, save it as the region's inventory (:mod:`geo.inventory`,
atomic, with a change log), download it again and read the change log. The click panel
edits a selected inventory service (fields, status) and sets its location with the next
map click (the workshop's click state machine, :meth:`ui.session.WorkshopSession.start_locate`).

The analysis uses the inventory through the region key: :func:`inventory_panel` returns
``<key>#<digest of the stored file>``, and ``ui.state.get_region`` swaps the region's
services for the inventory's (so every cached result follows an edit, and a restart
finds the stored file again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from geo import inventory, settings
from geo._errors import NahraumError
from geo._tables import list_layers
from geo.inventory import STATUSES, InventoryStore
from present import i18n
from ui import keys
from ui.demand import base_name
from ui.state import get_import
from ui.workshop import session

REPORT_ROWS = 12  # longer reports scroll
REPORT_HEIGHT_PX = 420
UPLOAD_TYPES = ["csv", "txt", "tsv", "xlsx", "geojson", "json", "gpkg"]
#: Fields of the edit form, in order (the rest stay as imported).
FORM_FIELDS: tuple[str, ...] = (
    "name",
    "category",
    "subcategory",
    "provider",
    "street",
    "postcode",
    "town",
    "opening_hours",
    "capacity",
    "status",
)
KIND_KEYS = {
    "Fehler": "inv_kind_error",
    "Hinweis": "inv_kind_note",
    "nicht verortet": "inv_kind_nf",
}
EXPORTS = (
    ("csv", "text/csv"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)


def store_of(name: str) -> InventoryStore:
    """The inventory store of a region key (``default@…#…`` → ``default``)."""
    return InventoryStore(base_name(name.partition("#")[0]))


def file_digest(store: InventoryStore) -> str | None:
    """Digest of the stored inventory file (``None`` without one)."""
    try:
        return hashlib.sha1(store.path.read_bytes()).hexdigest()[:12]
    except OSError:
        return None


def region_key(key: str, store: InventoryStore) -> str:
    """``key#digest`` when the region has a stored inventory, else ``key``."""
    digest = file_digest(store)
    return f"{key}#{digest}" if digest else key


def report_table(report: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The import report (``ImportResult.report``) with translated headers and kinds."""
    out = report.rename(
        columns={
            "Zeile": i18n.t("inv_col_row", lang),
            "Spalte": i18n.t("inv_col_column", lang),
            "Art": i18n.t("inv_col_kind", lang),
            "Meldung": i18n.t("inv_col_message", lang),
        }
    )
    kind, row = i18n.t("inv_col_kind", lang), i18n.t("inv_col_row", lang)
    column = i18n.t("inv_col_column", lang)
    out[column] = ["" if pd.isna(v) else str(v) for v in out[column]]
    out[row] = ["" if pd.isna(v) else str(int(v)) for v in out[row]]
    out[kind] = [i18n.t(KIND_KEYS.get(str(v), str(v)), lang) for v in out[kind]]
    return out


def log_table(log: list[dict], lang: str, last: int = 50) -> pd.DataFrame:
    """The newest ``last`` entries of the change log, newest first, with translated headers."""
    cols = ("time", "action", "id", "field", "old", "new")
    rows = [
        [
            str(e.get("time") or "").replace("T", " ").removesuffix("+00:00"),
            i18n.label("inv_action", e.get("action"), lang),
            *("" if e.get(c) is None else str(e.get(c)) for c in cols[2:]),
        ]
        for e in reversed(log[-last:])
    ]
    return pd.DataFrame(rows, columns=[i18n.t(f"inv_log_{c}", lang) for c in cols])


def export_bytes(store: InventoryStore, fmt: str) -> bytes:
    """The stored inventory as CSV or XLSX bytes (the CLI's export)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = store.export(Path(tmp) / f"bestand.{fmt}")
        return path.read_bytes()


def _fail(exc: Exception) -> None:
    st.session_state[keys.INV_ERROR] = str(exc)


def _accept(store: InventoryStore, result: Any, lang: str) -> None:
    st.session_state.pop(keys.INV_ERROR, None)
    try:
        store.replace(result)
    except NahraumError as exc:
        _fail(exc)
        return
    st.session_state[keys.INV_NOTICE] = i18n.t(
        "inv_saved", lang, services=i18n.tn("inv_n_services", len(result.services), lang)
    )
    st.session_state[keys.INV_ROUND] = st.session_state.get(keys.INV_ROUND, 0) + 1


def _messages() -> None:
    """The last error (kept until the next inventory action) and a notice (a toast).

    A toast outlives the reruns that follow a saved change; an error stays where it
    is read until the planner acts again.
    """
    state = st.session_state
    if state.get(keys.INV_ERROR):
        st.error(state[keys.INV_ERROR])
    if state.get(keys.INV_NOTICE):
        st.toast(state.pop(keys.INV_NOTICE), icon=":material/check_circle:")


def _load(store: InventoryStore) -> inventory.Inventory | None:
    try:
        return store.load()
    except NahraumError as exc:
        st.error(str(exc))
        return None


def _upload(region: Any, name: str, store: InventoryStore, lang: str) -> None:
    round_ = st.session_state.get(keys.INV_ROUND, 0)
    up = st.file_uploader(
        i18n.t("inv_upload", lang),
        type=UPLOAD_TYPES,
        key=f"{keys.INV_UPLOAD}_{round_}",
        help=i18n.t("inv_upload_help", lang),
    )
    if up is None:
        return
    data = up.getvalue()
    layer = None
    try:
        layers = list_layers(data, up.name)
        if len(layers) > 1:
            counts = dict(layers)
            names = list(counts)
            layer = st.selectbox(
                i18n.t("inv_layer", lang),
                names,
                index=names.index(max(names, key=lambda n: counts[n])),  # the fullest one
                key=f"{keys.INV_LAYER}_{round_}",
                format_func=lambda n: i18n.t("inv_layer_option", lang, layer=n, n=counts[n]),
            )
        digest = hashlib.sha1(data).hexdigest()
        result = get_import(
            name, str(region.meta.get("content_hash", "")), digest, layer, up.name, data
        )
    except NahraumError as exc:
        st.error(str(exc))
        return
    s = result.summary()
    st.caption(
        i18n.t(
            "inv_result",
            lang,
            imported=s["imported"],
            located=s["imported"] - s["by_precision"].get("not_found", 0),
            errors=len(s["errors"]),
            notes=len(s["notes"]),
        )
    )
    report = result.report()
    if len(report):
        # a plain table: long messages wrap (a data grid would cut them off)
        box = st.container(height=REPORT_HEIGHT_PX) if len(report) > REPORT_ROWS else st
        box.table(report_table(report, lang).set_index(i18n.t("inv_col_row", lang)))
        st.caption(i18n.t("inv_rows_note", lang))
    else:
        st.caption(i18n.t("inv_report_empty", lang))
    st.button(
        i18n.t("inv_accept", lang),
        key=keys.INV_ACCEPT,
        on_click=_accept,
        args=(store, result, lang),
        disabled=not len(result.services),
        type="primary",
        use_container_width=True,
    )


def inventory_panel(region: Any, name: str, key: str, lang: str) -> str:
    """The sidebar expander; returns the region key with the inventory's digest.

    ``region``: the base region (Gemeinden and outline for the import); ``name``: its
    name; ``key``: the region key so far (``name`` or ``name@digest`` of a demand basis).
    """
    store = store_of(name)
    with st.sidebar.expander(i18n.t("inv_heading", lang), expanded=False):
        _messages()
        inv = _load(store)
        if inv is None:
            st.caption(i18n.t("inv_none", lang))
        else:
            st.caption(
                i18n.t(
                    "inv_active",
                    lang,
                    services=i18n.tn("inv_n_services", len(inv.services), lang),
                    file=inv.meta.get("source_file") or "–",
                    date=str(inv.meta.get("updated_at") or "")[:10],
                )
            )
        _upload(region, name, store, lang)
        if inv is not None:
            cols = st.columns(len(EXPORTS))
            for col, (fmt, mime) in zip(cols, EXPORTS, strict=True):
                col.download_button(
                    i18n.t(f"inv_export_{fmt}", lang),
                    data=export_bytes(store, fmt),
                    file_name=f"bestand-{store.region}-{dt.date.today().isoformat()}.{fmt}",
                    mime=mime,
                    key=f"{keys.INV_EXPORT}_{fmt}",
                    use_container_width=True,
                )
            st.caption(i18n.t("inv_log", lang))
            st.dataframe(log_table(inv.log, lang), hide_index=True, key=keys.INV_LOG)
    return region_key(key, store)


# ---------------------------------------------------------------------------
# The click panel: edit a service, set its location
# ---------------------------------------------------------------------------
def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def changed_fields(row: pd.Series, values: dict[str, Any]) -> dict[str, Any]:
    """The form values that differ from the stored row (blank equals missing)."""
    out = {}
    for col, new in values.items():
        old = row.get(col)
        if col == "capacity":
            old_n = None if _text(old) == "" else float(old)
            new_n = None if new in (None, "") else float(new)
            if old_n != new_n:
                out[col] = "" if new_n is None else new_n
        elif _text(old).strip() != _text(new).strip():
            out[col] = new
    return out


def _save_edit(store: InventoryStore, sid: str, row: pd.Series, prefix: str, lang: str) -> None:
    state = st.session_state
    state.pop(keys.INV_ERROR, None)
    values = {c: state.get(f"{prefix}_{c}") for c in FORM_FIELDS}
    changes = changed_fields(row, values)
    if not changes:
        state[keys.INV_NOTICE] = i18n.t("inv_unchanged", lang)
        return
    try:
        store.edit(sid, changes)
    except NahraumError as exc:
        _fail(exc)
        return
    state[keys.INV_NOTICE] = i18n.t(
        "inv_edited", lang, fields=", ".join(i18n.t(f"inv_field_{c}", lang) for c in changes)
    )


def _form(store: InventoryStore, sid: str, row: pd.Series, lang: str) -> None:
    prefix = f"{keys.INV_FORM}_{sid}"
    with st.form(prefix, border=False):
        for col in FORM_FIELDS:
            label = i18n.t(f"inv_field_{col}", lang)
            wkey = f"{prefix}_{col}"
            current = row.get(col)
            if col == "category":
                cats = list(settings.CATEGORIES)
                st.selectbox(
                    label,
                    cats,
                    index=cats.index(current) if current in cats else 0,
                    key=wkey,
                    format_func=lambda c: i18n.category_label(c, lang),
                )
            elif col == "status":
                options = list(STATUSES)
                text = _text(current).strip()
                if text and text not in options:
                    options.append(text)
                st.selectbox(
                    label,
                    ["", *options],
                    index=(["", *options]).index(text),
                    key=wkey,
                    format_func=lambda c: i18n.label("inv_status", c, lang, default=c) or "–",
                )
            elif col == "capacity":
                cap = _text(current)
                st.number_input(
                    label, min_value=0.0, value=float(cap) if cap else None, step=1.0, key=wkey
                )
            else:
                st.text_input(label, value=_text(current), key=wkey)
        st.form_submit_button(
            i18n.t("inv_save", lang),
            on_click=_save_edit,
            args=(store, sid, row, prefix, lang),
            use_container_width=True,
        )


def _apply_location(store: InventoryStore, region: Any, lang: str) -> None:
    """A map click set the location of the service being located: save it."""
    pending = st.session_state.pop(keys.INV_LOCATED, None)
    if not pending:
        return
    sid, lat, lon = pending
    st.session_state.pop(keys.INV_ERROR, None)
    try:
        inv = store.move(sid, lat, lon, outline=region.outline)
    except NahraumError as exc:
        _fail(exc)
    else:
        label = _text(inv.services.at[inv.row_of(sid), "name"])
        st.session_state[keys.INV_NOTICE] = i18n.t("inv_located", lang, name=label)
    st.rerun()


def service_editor(region: Any, name: str, selection: dict | None, lang: str) -> None:
    """Edit the selected inventory service in the click panel; "Lage setzen" by map click."""
    store = store_of(name)
    _apply_location(store, region, lang)
    if not selection or selection.get("kind") != "svc" or not store.exists():
        return
    inv = _load(store)
    sid = str(selection["key"])
    if inv is None or not (inv.services["id"].astype(str) == sid).any():
        return
    row = inv.services.loc[inv.row_of(sid)]
    _messages()
    pending = st.session_state.get(keys.INV_LOCATE)
    if pending == sid:
        st.info(i18n.t("inv_locate_pending", lang, name=_text(row.get("name"))))
        st.button(
            i18n.t("inv_locate_cancel", lang),
            key=keys.INV_LOCATE_CANCEL,
            on_click=lambda: session().cancel(),
            use_container_width=True,
        )
    else:
        st.button(
            i18n.t("inv_locate", lang),
            key=keys.INV_LOCATE_BUTTON,
            on_click=lambda: session().start_locate(sid),
            help=i18n.t("inv_locate_help", lang),
            icon=":material/my_location:",
            use_container_width=True,
        )
    with st.expander(i18n.t("inv_edit", lang), expanded=False):
        _form(store, sid, row, lang)
