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
TRANSIT_UPLOAD = "transit_upload"  # the "ÖPNV-Fahrplan (GTFS)" expander (issue 11)
TRANSIT_FEED = "transit_feed"
TRANSIT_DATE = "transit_date"
TRANSIT_DEPART = "transit_depart"
TRANSIT_WINDOW = "transit_window"
TRANSIT_ERROR = "transit_error"
TRANSIT_PROXY = "transit_proxy"
LEVER_TRIP = "lever_trip"  # scenario tool "Buslinie verdichten"
LEVER_HEADWAY = "lever_headway"
LEVER_UNTIL = "lever_until"
LEVER_ADD = "lever_add"

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
