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

# --- planning standards (ui/standards.py) -------------------------------------------------
STD_UPLOAD = "std_upload"
STD_UPLOAD_ROUND = "std_upload_round"
STD_UPLOAD_SEEN = "std_upload_seen"
STD_UPLOAD_ERROR = "std_upload_error"
STD_DEFAULT = "std_default"
STD_LAYER = "std_layer"
STD_RULE = "std_rule"
STD_TABLE = "std_table"
STD_SECTION = "std_section"  # the below-map expander (open: its content is drawn)
STD_CSV = "std_csv"
STD_CSV_EN = "std_csv_en"
STD_XLSX = "std_xlsx"
STD_PROFILE_UNIT = "std_profile_unit"
STD_PROFILE = "std_profile"

# --- facilitator flow (issue 13.6/13.8): site form at the click, view in the URL -------------
PENDING_SITE = "pending_site"
SITE_FORM_NAME = "site_form_name"
SITE_FORM_CATEGORY = "site_form_category"
SITE_FORM_SUB = "site_form_sub"
SITE_FORM_GROUPS = "site_form_groups"
SITE_SAVE = "site_save"
SITE_CANCEL = "site_cancel"
WS_VIEW_SEEN = "ws_view_seen"
WS_TOKEN_OK = "ws_token_ok"
WS_DAMAGED_SEEN = "ws_damaged_seen"
WS_NEW = "ws_new"

# --- participants' phone pages (issue 13.1/2/5) ----------------------------------------
PP_OPEN = "pp_open"  # the switch "Für Teilnehmende im lokalen Netz öffnen"
PP_MERGE = "pp_merge"  # pins chosen to be merged
PP_PUBLISH = "pp_publish"

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

# --- an atlas opened read-only (issue 16) --------------------------------------------
ATLAS_FOLDER = "atlas_folder"
ATLAS_SHOW = "atlas_show"
ATLAS_KREISE = "atlas_kreise"
ATLAS_MODE = "atlas_mode"
ATLAS_KIND = "atlas_kind"
ATLAS_TARGET = "atlas_target"
ATLAS_MEASURE = "atlas_measure"

# --- below the map: expanders drawn only while open (ui.state.lazy_expander) ------------
DELTA_SECTION = "delta_section"
EXPORT_SECTION = "export_section"
METHOD_SECTION = "method_section"
