"""Single source of truth for Nahraum's parameters.

Speeds, thresholds, the service taxonomy, target groups, colours, coordinate
reference systems, file locations and attribution lines live here and nowhere
else. Every other module imports them from this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------
REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ENV_VAR = "NAHRAUM_DATA"
CACHE_ENV_VAR = "NAHRAUM_CACHE"
ATLAS_ENV_VAR = "NAHRAUM_ATLAS"  # an atlas folder the app opens read-only
DEFAULT_DATA_DIR = (REPO_ROOT / ".." / "shared" / "data").resolve()
DEFAULT_CACHE_DIR = REPO_ROOT / "data" / "cache"
REGIONS_DIR = REPO_ROOT / "data" / "regions"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """Return the raw data directory (argument, then ``NAHRAUM_DATA``, then default)."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(DATA_ENV_VAR)
    return Path(env).expanduser().resolve() if env else DEFAULT_DATA_DIR


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """Return the build cache directory (argument, then ``NAHRAUM_CACHE``, then default)."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(CACHE_ENV_VAR)
    return Path(env).expanduser().resolve() if env else DEFAULT_CACHE_DIR


# ---------------------------------------------------------------------------
# Coordinate reference systems and grid
# ---------------------------------------------------------------------------
CRS_METRIC = "EPSG:3035"  # ETRS89-LAEA, metres: all computation
CRS_DISPLAY = "EPSG:4326"  # WGS84 lon/lat: display and exchange
CELL_SIZE_M = 100  # Census 2022 fine grid
COARSE_CELL_SIZE_M = 1000  # Census 2022 1 km grid
REGION_BUFFER_M = 5000  # services and stops this far outside a region still count

# ---------------------------------------------------------------------------
# Travel modes (km/h) and default thresholds (minutes)
# ---------------------------------------------------------------------------
WALK_SPEED_KMH = 4.5
WALK_SLOW_SPEED_KMH = 3.5  # pram / senior profile
BIKE_SPEED_KMH = 15.0


@dataclass(frozen=True)
class Mode:
    """A travel mode: its code, German/English labels and default threshold."""

    code: str
    label_de: str
    label_en: str
    default_threshold_min: int
    speed_kmh: float | None  # None: speed per road class (car)


MODES: dict[str, Mode] = {
    m.code: m
    for m in (
        Mode("walk", "zu Fuß", "walking", 15, WALK_SPEED_KMH),
        Mode(
            "walk_slow",
            "zu Fuß, langsam (Kinderwagen/Senior:innen)",
            "walking, slow",
            15,
            WALK_SLOW_SPEED_KMH,
        ),
        Mode("bike", "Fahrrad", "bicycle", 30, BIKE_SPEED_KMH),
        Mode("car", "Auto", "car", 20, None),
    )
}
DEFAULT_MODE = "walk"
# Public transport by timetable (GTFS, geo/gtfs.py + geo/transit.py). Kept apart from
# ``MODES`` (the road modes, one network each) until the app offers it; ``TRAVEL_MODES``
# is every mode the travel-time functions accept.
TRANSIT_MODE = Mode("transit", "ÖPNV", "public transport", 30, None)
TRAVEL_MODES: dict[str, Mode] = {**MODES, TRANSIT_MODE.code: TRANSIT_MODE}
TRANSIT_CLIP_BUFFER_M = 10000  # stops this far outside the region outline are kept
TRANSIT_ACCESS_MAX_MIN = 15.0  # longest walk to / from a stop (access and egress)
TRANSIT_TRANSFER_MAX_MIN = 5.0  # longest walk between two stops when changing
TRANSIT_MAX_TRANSFERS = 3  # changes between vehicles (legs = transfers + 1)
TRANSIT_MAX_TRIP_MIN = 120.0  # search horizon after the departure time
TRANSIT_WINDOW_MIN = 60  # departure-time window (one departure per minute)
TRANSIT_DEPARTURE = "08:00"
TRANSIT_PERCENTILES = (25, 50, 75)  # statistics over the departure minutes
TRANSIT_DEFAULT_STATISTIC = 50  # median, as Conveyal/R5
TRANSIT_PROXY_WALK_MIN = 10.0  # without a timetable: walk to a stop of each service level
TRANSIT_STOP_TIMES_CHUNK_BYTES = 16 << 20  # stop_times.txt is streamed in blocks this size
THRESHOLD_CHOICES_MIN = (5, 10, 15, 20, 30, 45, 60)
ISOCHRONE_BANDS_MIN = (5, 10, 15, 20, 30, 45, 60)

# German default car speeds (km/h) by OSM highway class when maxspeed is absent.
CAR_SPEED_DEFAULTS_KMH: dict[str, float] = {
    "motorway": 120.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 80.0,
    "primary_link": 50.0,
    "secondary": 70.0,
    "secondary_link": 40.0,
    "tertiary": 60.0,
    "tertiary_link": 40.0,
    "unclassified": 50.0,
    "residential": 30.0,
    "living_street": 7.0,
    "service": 20.0,
    "road": 40.0,
    "track": 15.0,
}
# Named maxspeed values used in Germany.
MAXSPEED_NAMED_KMH: dict[str, float] = {
    "DE:urban": 50.0,
    "DE:rural": 100.0,
    "DE:motorway": 130.0,
    "DE:living_street": 7.0,
    "DE:bicycle_road": 30.0,
    "DE:zone30": 30.0,
    "DE:zone:30": 30.0,
    "walk": 7.0,
    "none": 130.0,
}

# Maximum distance from a cell centre or service to the nearest routable node
# before it is flagged as off the network (metres).
SNAP_LIMIT_M = 1000.0

# Straight-line fallback: network distance = straight-line distance × detour
# factor. Calibrated on the real rural OSM network north of Bayreuth (see
# docs/traveltime.md; reproduce with ``python benchmarks/calibrate.py``):
# median of network ÷ straight-line distance over 6,000 random node pairs.
DETOUR_FACTORS: dict[str, float] = {"walk": 1.28, "walk_slow": 1.28, "bike": 1.28, "car": 1.32}
# Effective car speed for the straight-line model (km/h), so that straight-line
# × DETOUR_FACTORS["car"] ÷ speed matches the median OSM car time (calibrated).
FALLBACK_CAR_SPEED_KMH = 40.0

# ---------------------------------------------------------------------------
# Target groups (Zielgruppen)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetGroup:
    """A target group of the population surface.

    ``source_100m`` names the Census 2022 100 m file (without ``.parquet``)
    that gives counts per cell; ``source_1km`` names the 1 km share column
    (percent of inhabitants). Groups with both use 100 m counts where present
    and the 1 km share otherwise.
    """

    code: str
    label_de: str
    label_en: str
    life_phase: str
    unit_de: str
    source_100m: str | None = None
    source_1km: str | None = None
    quality_de: str = ""  # data-quality note shown with the group's figures


LIFE_PHASES: dict[str, tuple[str, str]] = {
    "all": ("Alle Lebensphasen", "All life phases"),
    "early": ("Frühe Kindheit", "Early childhood"),
    "youth": ("Kindheit und Jugend", "Childhood and youth"),
    "family": ("Familie", "Family"),
    "adult": ("Erwachsenenleben", "Adult life"),
    "senior": ("Alter", "Old age"),
}

TARGET_GROUPS: dict[str, TargetGroup] = {
    g.code: g
    for g in (
        TargetGroup(
            "pop",
            "Einwohner:innen insgesamt",
            "All inhabitants",
            "all",
            "Personen",
            quality_de="Amtliche Einwohnerzahl je Gemeinde (VG250-EW), räumlich verteilt "
            "nach dem Zensus-2022-Gitter.",
        ),
        TargetGroup(
            "u10",
            "Kinder unter 10 Jahren",
            "Children under 10",
            "early",
            "Personen",
            source_100m="demography_ALTER_10JG_1",
            quality_de="Summe an die amtliche Altersstruktur des Kreises angepasst (unter 3 + "
            "3–5 + 4/9 der 6–14-Jährigen); räumlich nach den 100-m-Zählungen des "
            "Zensus 2022.",
        ),
        TargetGroup(
            "u18",
            "Kinder und Jugendliche unter 18",
            "Under 18",
            "youth",
            "Personen",
            source_1km="unter18_A",
            quality_de="Summe an die amtliche Altersstruktur des Kreises angepasst; räumlich "
            "nach den 1-km-Anteilen des Zensus 2022 (die allein zu niedrig liegen).",
        ),
        TargetGroup(
            "age10_17",
            "Junge Menschen von 10 bis 17 Jahren",
            "Young people 10–17",
            "youth",
            "Personen",
            quality_de="Unter 18 minus unter 10 (Jugendarbeit); Summen amtlich angepasst.",
        ),
        TargetGroup(
            "single_parent_hh",
            "Haushalte Alleinerziehender",
            "Single-parent households",
            "family",
            "Haushalte",
            source_100m="households_HHTYP_FAM_4",
            quality_de="Zensus 2022 (100-m-Zählungen, je Gemeinde skaliert); keine amtliche "
            "Fortschreibung für Haushalte.",
        ),
        TargetGroup(
            "foreign",
            "Ausländische Staatsangehörige",
            "Foreign nationals",
            "adult",
            "Personen",
            source_100m="demography_STAATSANGE_KURZ_2",
            source_1km="Auslaender_A",
            quality_de="Zensus 2022 (100-m-Zählungen, sonst 1-km-Anteile): liegt deutlich unter "
            "den Zahlen des Ausländerzentralregisters; nur als Verteilung nutzen.",
        ),
        TargetGroup(
            "age65",
            "Menschen ab 65 Jahren",
            "People aged 65+",
            "senior",
            "Personen",
            source_1km="ab65_A",
            quality_de="Summe an die amtliche Altersstruktur des Kreises angepasst; räumlich "
            "nach den 1-km-Anteilen des Zensus 2022 (die allein zu niedrig liegen).",
        ),
        TargetGroup(
            "age80",
            "Menschen ab 80 Jahren",
            "People aged 80+",
            "senior",
            "Personen",
            source_100m="demography_ALTER_10JG_9",
            quality_de="Amtliche 65+ des Kreises × Anteil der 80+ an den 65+ im Zensus-Gitter "
            "(die amtliche Tabelle endet bei 75+); räumlich nach den 100-m-Zählungen.",
        ),
    )
}
DEFAULT_TARGET_GROUP = "pop"

# ---------------------------------------------------------------------------
# Population surface (dasymetric mapping)
# ---------------------------------------------------------------------------
# Residential weight per 100 m cell: dwellings (sum of the room-count classes);
# where a cell has no dwelling count, the number of residential buildings
# (sum of construction-period classes); where neither, a cell that appears in
# any other 100 m file gets this token weight.
DWELLING_FILES = tuple(f"dwellings_RAUMANZAHL_{i}" for i in (1, 2, 3, 5, 6, 7))
BUILDING_FILES = tuple(f"buildings_BAUJAHR_MZ_{i}" for i in range(1, 11))
TOKEN_WEIGHT = 0.5
# Official population by age per Kreis (calibrates the census grid's age groups).
AGE_TABLE_FILE = "th/statistics/kreis_population_by_age_th.json"
# Single-year assumption: ages within an official band are spread evenly, so
# the under-10 part of the 6–14 band is 4 of its 9 years.
U10_SHARE_OF_6_14 = 4 / 9
SMALL_COUNT_LIMIT = 3  # counts below this are shown as "<3"

# ---------------------------------------------------------------------------
# Service taxonomy
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A top-level service category with label, colour and map symbol."""

    code: str
    label_de: str
    label_en: str
    color: str
    symbol: str  # Font Awesome icon name


# Okabe-Ito palette: colour-blind safe.
CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category("Beratung", "Beratung", "Counselling", "#0072B2", "comments"),
        Category("Jugend", "Jugend", "Youth", "#E69F00", "users"),
        Category("Familie", "Familie", "Family", "#009E73", "house-user"),
        Category("Bildung", "Bildung", "Education", "#56B4E9", "graduation-cap"),
        Category("Senioren", "Senioren", "Seniors", "#CC79A7", "person-cane"),
        Category("Integration", "Integration", "Integration", "#D55E00", "globe"),
        Category("Behörde", "Behörde", "Authority", "#555555", "landmark"),
    )
}

# Subcategory → category rules: the first rule whose keyword occurs in the
# lower-cased subcategory wins. Order matters (specific before general).
SUBCATEGORY_RULES: tuple[tuple[str, str], ...] = (
    ("seniorenbüro", "Senioren"),
    ("senior", "Senioren"),
    ("jugendpflege", "Jugend"),  # "Bereichsjugendpflege" is youth work, not care
    ("kindertagespflege", "Familie"),
    ("pflege", "Senioren"),
    ("migration", "Integration"),
    ("integration", "Integration"),
    ("flüchtling", "Integration"),
    ("landratsamt", "Behörde"),
    ("jugendamt", "Behörde"),
    ("gesundheitsamt", "Behörde"),
    ("jobcenter", "Behörde"),
    ("amt", "Behörde"),
    ("schuldner", "Beratung"),
    ("schwangerschaft", "Beratung"),
    ("erziehungs", "Beratung"),
    ("sucht", "Beratung"),
    ("lebensberatung", "Beratung"),
    ("beratung", "Beratung"),
    ("schulsozialarbeit", "Jugend"),
    ("jugend", "Jugend"),
    ("streetwork", "Jugend"),
    ("freizeit", "Jugend"),
    ("schüler", "Jugend"),
    ("kita", "Familie"),
    ("thekiz", "Familie"),
    ("kindergarten", "Familie"),
    ("familie", "Familie"),
    ("mehrgeneration", "Familie"),
    ("dorfkümmerer", "Familie"),
    ("schule", "Bildung"),
    ("bildung", "Bildung"),
    ("volkshochschule", "Bildung"),
    ("bibliothek", "Bildung"),
)

# Geocoding precision levels, best first.
PRECISIONS: dict[str, tuple[str, str]] = {
    "coordinates": ("Koordinaten", "Coordinates"),
    "manual": ("Manuell gesetzt", "Set by hand"),
    "street": ("Straße/Hausnummer", "Street address"),
    "village": ("Ort/Ortsteil", "Village"),
    "postcode": ("Postleitzahl", "Postcode"),
    "gemeinde": ("Gemeinde-Mittelpunkt", "Municipality centroid"),
    "not_found": ("nicht gefunden", "Not found"),
}

# ---------------------------------------------------------------------------
# Accessibility measures (geo/analysis.py, docs/measures.md)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """A per-cell accessibility measure that the gap map can show."""

    code: str
    label_de: str
    label_en: str
    unit_de: str


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure(
            "minutes", "Wegezeit zum nächsten Angebot", "Travel time to the nearest service", "min"
        ),
        Measure(
            "within",
            "Angebot innerhalb des Schwellenwerts",
            "Service within the threshold",
            "ja/nein",
        ),
        Measure(
            "count",
            "Angebote innerhalb des Schwellenwerts",
            "Services within the threshold",
            "Anzahl",
        ),
        Measure("2sfca", "Versorgungsquote 2SFCA", "2SFCA supply ratio", "Kapazität je 1.000"),
        Measure(
            "e2sfca",
            "Versorgungsquote E2SFCA (distanzgewichtet)",
            "E2SFCA supply ratio",
            "Kapazität je 1.000",
        ),
        Measure(
            "gap", "Versorgungslücke (bedarfsgewichtet)", "Need-weighted gap", "Personen-Minuten"
        ),
    )
}
DEFAULT_MEASURE = "gap"

# Distance decay of the E2SFCA (both steps). "step": zones of equal width
# (0, T/3], (T/3, 2T/3], (2T/3, T] with these weights (Luo & Qi 2009);
# "gaussian": w(t) = (exp(-½(t/T)²) − exp(-½)) / (1 − exp(-½)) for t ≤ T
# (Dai 2010), 1 at 0 minutes and 0 at the threshold; None: no decay (= 2SFCA).
DECAYS: dict[str, tuple[str, str]] = {
    "step": ("Stufen 1,00 / 0,68 / 0,22 (Luo & Qi 2009)", "Steps 1.00 / 0.68 / 0.22"),
    "gaussian": ("Gauß-Kurve, 0 am Schwellenwert (Dai 2010)", "Gaussian, 0 at the threshold"),
}
DEFAULT_DECAY = "step"
E2SFCA_STEP_WEIGHTS: tuple[float, ...] = (1.0, 0.68, 0.22)
ACCESS_PER_PEOPLE = 1000  # 2SFCA/E2SFCA reported as capacity per 1,000 of the target group
DEFAULT_CAPACITY = 1.0  # capacity of a service whose capacity is unknown
# Gap score: minutes beyond the threshold count up to GAP_CAP_FACTOR × threshold
# (travel time capped there); cells without any reachable service count as the cap.
GAP_CAP_FACTOR = 3.0
WORST_GEMEINDEN_N = 5  # Gemeinden listed as most underserved (largest gap score)

# ---------------------------------------------------------------------------
# Colours for travel-time bands (minutes), colour-blind safe: viridis reversed,
# lightness falls monotonically (near = light yellow, far = dark violet), so the
# order also survives protanopia/deuteranopia and greyscale print. One colour per
# band of ISOCHRONE_BANDS_MIN plus one for "beyond the last band".
# ---------------------------------------------------------------------------
BAND_COLORS: tuple[str, ...] = (
    "#ece51b",
    "#8ed645",
    "#40bd72",
    "#1e9d89",
    "#287c8e",
    "#38598c",
    "#46307e",
    "#440154",
)
POPULATION_COLORS: tuple[str, ...] = (
    "#fff7bc",
    "#fee391",
    "#fec44f",
    "#fe9929",
    "#ec7014",
    "#cc4c02",
    "#8c2d04",
)
# Lower class bounds of inhabitants per 100 m cell (= per hectare), one per colour of
# POPULATION_COLORS (the population raster of the map).
POPULATION_BREAKS: tuple[float, ...] = (0, 5, 10, 20, 40, 80, 160)

# ---------------------------------------------------------------------------
# Static maps and report exports (geo/export.py, docs/exports.md)
# ---------------------------------------------------------------------------
# Paper sizes, landscape, in millimetres (width, height).
MAP_PAPERS_MM: dict[str, tuple[float, float]] = {
    "A4": (297.0, 210.0),
    "A3": (420.0, 297.0),
    "16:9": (338.67, 190.5),
}
MAP_DPI = 200
# Matplotlib marker per service category (the web map uses Category.symbol).
CATEGORY_MARKERS: dict[str, str] = {
    "Beratung": "o",
    "Jugend": "^",
    "Familie": "s",
    "Bildung": "D",
    "Senioren": "v",
    "Integration": "P",
    "Behörde": "X",
}
# Colour-blind safe class colours of the other measures (Okabe-Ito, ColorBrewer).
COVERAGE_COLORS: tuple[str, str] = ("#0072B2", "#D55E00")  # within / beyond the threshold
GAP_COLORS: tuple[str, ...] = (  # no gap, then 5 classes of people-minutes
    "#9ecae1",
    "#fed976",
    "#feb24c",
    "#fd8d3c",
    "#e31a1c",
    "#800026",
)
ACCESS_COLORS: tuple[str, ...] = (  # 0 (nothing within the threshold), then 5 classes
    "#D55E00",
    "#deebf7",
    "#9ecae1",
    "#4292c6",
    "#2171b5",
    "#08306b",
)
CHOROPLETH_COLORS: tuple[str, ...] = (  # Gemeinde indicator, 5 quantile classes
    "#f2f0f7",
    "#dadaeb",
    "#bcbddc",
    "#9e9ac8",
    "#756bb1",
)

# ---------------------------------------------------------------------------
# Attribution (shown with every map and export)
# ---------------------------------------------------------------------------
ATTRIBUTION: dict[str, str] = {
    "vg250": "© GeoBasis-DE / BKG (2025), dl-de/by-2-0, Daten verändert",
    "gv100ad": "Quelle: Statistisches Bundesamt (Destatis), GV-ISys, Stand 30.11.2023, dl-de/by-2-0",
    "zensus": "© Statistisches Bundesamt (Destatis), Zensus 2022, dl-de/by-2-0",
    "geonames": "GeoNames (geonames.org), CC BY 4.0",
    "stops": "DB InfraGO (CC BY 4.0), OpenStreetMap contributors (ODbL)",
    "osm": "© OpenStreetMap contributors, ODbL 1.0",
    "age_table": "Statistische Ämter des Bundes und der Länder (Regionaldatenbank), dl-de/by-2-0",
    "services": "Angebote: öffentliche Webseiten und Presse (Quellen je Eintrag)",
}

# ---------------------------------------------------------------------------
# Scenarios and suggested sites (geo/scenario.py, geo/compare.py, geo/optimize.py,
# docs/scenarios.md)
# ---------------------------------------------------------------------------
# Weekly hours of a full-time site: an outreach day or a mobile stop open h hours
# a week counts in the 2SFCA with capacity × h / FULL_TIME_HOURS.
FULL_TIME_HOURS = 39.0
WEEKDAYS: dict[str, str] = {
    "Mo": "Montag",
    "Di": "Dienstag",
    "Mi": "Mittwoch",
    "Do": "Donnerstag",
    "Fr": "Freitag",
    "Sa": "Samstag",
    "So": "Sonntag",
}
PLAN_ID_PREFIX = "plan-"  # ids of planned sites: plan-1, plan-2, … (mobile stops plan-3-1, …)
PIN_KINDS: dict[str, str] = {
    "missing": "hier fehlt ein Angebot",
    "known": "Angebot bekannt",
    "too_far": "Weg zu weit",
}
PIN_TEXT_MAX = 500  # characters of a participant pin's text (stored verbatim)
SCENARIO_NAME_MAX = 120  # characters of a scenario name
SCENARIO_MAX_CHANGES = 500
SCENARIO_MAX_PINS = 2000
MOBILE_MAX_STOPS = 20
SCENARIO_UNDO_STEPS = 200  # undo depth of a ScenarioHistory
SESSIONS_DIRNAME = "sessions"  # per-session scenario folders: <cache>/sessions/<session-id>/
MCLP_MAX_K = 5  # at most this many suggested sites at once
MCLP_TIME_LIMIT_S = 10.0  # time limit of the exact (CBC) solution
MCLP_CELL_GRID_M = 1000  # grid-cell candidates thinned to one per 1 km cell (None: all 100 m)

# ---------------------------------------------------------------------------
# Planning standards (geo/standards.py, geo/standards_check.py, docs/standards.md)
# ---------------------------------------------------------------------------
STANDARDS_FILE = REPO_ROOT / "data" / "standards" / "default.csv"
# Status codes of the check (German, English label).
#: Inventory statuses not counted as provision (a site a scenario adds counts all the same).
INACTIVE_STATUSES: tuple[str, ...] = ("geschlossen", "pausiert", "geplant")
STANDARD_STATUSES: dict[str, tuple[str, str]] = {
    "erfuellt": ("erfüllt", "met"),
    "fehlt": ("fehlt", "missing"),
    "ueber_richtwert": ("über Richtwert", "above standard"),
    "keine_angabe": ("keine Angabe", "no figure"),
}
# Status colours (map layer, profiles): Okabe-Ito blue, vermillion, bluish green, grey.
STANDARD_STATUS_COLORS: dict[str, str] = {
    "erfuellt": "#0072B2",
    "fehlt": "#D55E00",
    "ueber_richtwert": "#009E73",
    "keine_angabe": "#999999",
}
# Columns of a service list that give the staffing in full-time equivalents (VZÄ),
# matched by their header key (kept as extra columns by the importer).
STAFFING_HEADERS: tuple[str, ...] = (
    "staffing",
    "vzae",
    "vza",
    "vollzeitaequivalente",
    "personalstellen",
    "stellen",
    "vollzeitstellen",
    "personalvza",
)

# ---------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # imported files larger than this are rejected

# ---------------------------------------------------------------------------
# Social indicators per Gemeinde (geo/indicators.py, docs/indicators.md)
# ---------------------------------------------------------------------------
# Cell texts the BA/Destatis statistics use for suppressed or unavailable values
# ("*" Geheimhaltung, "-" nichts vorhanden/keine Angabe, "." unbekannt oder geheim,
# "x" gesperrt/nicht sinnvoll, "…" später, "/" zu unsicher): read as missing, with a note.
INDICATOR_MISSING_MARKERS: tuple[str, ...] = (
    "*",
    "-",
    "–",
    "—",
    ".",
    "x",
    "…",
    "...",
    "/",
    "k. A.",
    "n. v.",
)
HEADER_SEARCH_ROWS = 30  # uploaded tables: the header row is sought in the first rows
MAX_NAME_CHARS = 200  # longer service names are cut (with a note in the report)
INDICATOR_HEADER_SEARCH_ROWS = 30  # the header row (with an AGS-like column) is sought here
INDICATOR_MAX_COLUMNS = 200  # wider tables are rejected before the cells are parsed

# --- Participants' phone pages (issue 13.1/2/5) -----------------------------------------
PARTICIPANT_PORT = 8502  # own port of the participant server (0: any free port)
PARTICIPANT_LAN_ENV = "NAHRAUM_WORKSHOP_LAN"  # "1": the workshop switch starts switched on
PARTICIPANT_HOST_ENV = "NAHRAUM_PARTICIPANT_HOST"  # forces the bind address (tests: 127.0.0.1)
PARTICIPANT_PORT_ENV = "NAHRAUM_PARTICIPANT_PORT"  # overrides PARTICIPANT_PORT
PARTICIPANT_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B
PARTICIPANT_CODE_LENGTH = 6
PARTICIPANT_CODE_LIFETIME_S = 6 * 3600  # a join code expires after this (or when closed)
PARTICIPANT_TEXT_MAX = 280  # characters of a participant's pin text
PARTICIPANT_BODY_MAX = 4096  # bytes of one request body
PARTICIPANT_PINS_PER_MIN = 6  # pins per phone and minute
PARTICIPANT_VOTES_PER_MIN = 30  # votes per phone and minute
PARTICIPANT_JOINS_PER_MIN = 600  # joins per code and minute (all phones together)
PARTICIPANT_MAX_EVENTS = 20000  # events in one workshop's log
PARTICIPANT_LOG_NAME = "teilnahme.jsonl"  # append-only event log in the workshop folder
PARTICIPANT_OUTLINE_TOLERANCE_M = 150  # simplification of the region outline for phones
