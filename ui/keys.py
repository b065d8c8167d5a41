"""Every session-state and widget key of the app, in one place.

Streamlit keeps widget values and the app's own state in ``st.session_state`` under
string keys; the page parts (``ui.*``), the workshop session (:mod:`ui.session`) and
the browser tests use these names, never literals of their own.
"""

from __future__ import annotations

# --- page and sidebar ----------------------------------------------------------------
LANG = "lang"
LANG_PREVIOUS = "_lang_previous"
REGION = "region"
WORKSHOP = "workshop"
MAP = "karte"  # st_folium's value: the last click
ONLINE_TILES = "online_tiles"
LAYER_STOPS = "layer_stops"
INDICATOR_TABLE = "indicator_table"
UPLOAD_ROUND = "upload_round"
DEMAND_OFFICIAL = "demand_official"  # uploaders and inputs of the "Bedarf" expander
DEMAND_PROJECTION = "demand_projection"
DEMAND_GROWTH = "demand_growth"
DEMAND_YEAR = "demand_year"

# --- workshop: scenario, clicks --------------------------------------------------------
SCENARIO_ACTIVE = "scenario_active"
HISTORY = "history"
HISTORY_KEY = "history_key"
COMPARISON = "comparison"
VIEW = "view"  # "after" / "before"
CLICK_MODE = "click_mode"
CLICK_SEEN = "click_seen"
SELECTION = "selection"
SELECTION_REGION = "selection_region"
PENDING_PIN = "pending_pin"
MOVE_PENDING = "move_pending"
MOBILE_STOPS = "mobile_stops"
PIN_KIND_NEW = "pin_kind_new"
PIN_TEXT_NEW = "pin_text_new"
WS_ERROR = "ws_error"
WS_MERGE = "ws_merge"  # what the last save merged in from another session
WS_NOTICE = "ws_notice"
SUGGESTION = "suggestion"

# --- defaults of new sites (sidebar form) ----------------------------------------------
SITE_NAME = "site_name"
SITE_CATEGORY = "site_category"
SITE_SUB = "site_sub"
SITE_GROUPS = "site_groups"
SITE_CAPACITY = "site_capacity"
SITE_HOURS = "site_hours"
SITE_DAYS = "site_days"

# --- buttons ---------------------------------------------------------------------------
UNDO = "undo"
REDO = "redo"
MOVE_CANCEL = "move_cancel"
MOBILE_DONE = "mobile_done"
MOBILE_CANCEL = "mobile_cancel"
SVC_CLOSE = "svc_close"
SVC_MOVE = "svc_move"
RECORD = "record"
CLEAR = "clear"

# --- the planner's own inventory (issue 15) ----------------------------------------------
INV_ERROR = "inv_error"
INV_NOTICE = "inv_notice"
INV_ROUND = "inv_round"  # a new uploader after the list was saved
INV_UPLOAD = "inv_upload"
INV_LAYER = "inv_layer"
INV_ACCEPT = "inv_accept"
INV_EXPORT = "inv_export"
INV_LOG = "inv_log"
INV_FORM = "inv_form"
INV_LOCATE = "inv_locate"  # id of the service whose location the next map click sets
INV_LOCATED = "inv_located"  # (id, lat, lon) of that click, saved by ui.inventory
INV_LOCATE_BUTTON = "inv_locate_button"
INV_LOCATE_CANCEL = "inv_locate_cancel"

# --- the map's background (issue 15) ---------------------------------------------------
BASEMAP = "basemap"  # "none", "footprint" or the path of a local basemap
BASEMAP_PATH = "basemap_path"
