"""User-interface strings in German (first) and English, and number formatting.

Every visible string of the app and the map comes from here: :data:`DE` and :data:`EN`
hold the same keys (a test checks that), values are ``str.format`` templates.
Labels of modes, target groups, life phases, categories, measures and precisions come
from ``geo.settings`` (``label_de``/``label_en``), so they are defined only once.

>>> t("threshold", "en")
'Threshold (minutes)'
>>> number(1234.5, 1, "de")
'1.234,5'
"""

from __future__ import annotations

import math
from typing import Any

from geo import settings

LANGS: tuple[str, ...] = ("de", "en")
DEFAULT_LANG = "de"
LANG_NAMES = {"de": "Deutsch", "en": "English"}

DE: dict[str, str] = {
    # page and sidebar
    "page_title": "Nahraum – Sozialplanung",
    "app_subtitle": "Wohnortnahe Beratungs-, Jugend- und Familienangebote planen",
    "heading": "Versorgungslücken – {region}",
    "language": "Sprache",
    "region": "Planungsregion",
    "services_heading": "Angebote",
    "categories": "Kategorien",
    "categories_help": "Leer = alle Angebote. Zahl = verortete Angebote der Region "
                       "(einschließlich 5 km Umkreis).",
    "subcategories": "Unterkategorien (grenzen die Auswahl ein)",
    "subcategories_help": "Leer = alle Unterkategorien der gewählten Kategorien.",
    "all_services": "alle Angebote",
    "target": "Zielgruppe (nach Lebensphase)",
    "target_help": "Bedarf: Personen (bzw. Haushalte) der Zielgruppe je 100-m-Zelle, "
                   "Zensus 2022, auf amtliche Gemeindesummen skaliert.",
    "mode": "Verkehrsart",
    "threshold": "Schwellenwert (Minuten)",
    "threshold_help": "Wer länger braucht, gilt als nicht versorgt. Standard je Verkehrsart: "
                      "{defaults}.",
    "measure": "Kartendarstellung (Maß je 100-m-Zelle)",
    "indicator": "Gemeinden einfärben nach",
    "map_layers": "Weitere Kartenebenen",
    "layer_stops": "Haltestellen (ÖPNV)",
    "online_tiles": "Online-Hintergrundkarte (OpenStreetMap)",
    "online_tiles_help": "Lädt Kartenkacheln aus dem Internet; dabei erfährt der "
                         "Kachel-Server den Kartenausschnitt. Ohne diese Option verlässt "
                         "keine Anfrage den Rechner.",
    "online_tiles_on": "Online-Hintergrundkarte ist an: Kartenkacheln werden aus dem "
                       "Internet geladen.",
    "model_network": "Wegezeiten auf dem OSM-Straßennetz dieser Region.",
    "model_fallback": "Kein Straßennetz für diese Region und Verkehrsart geladen: Ersatzmodell "
                      "Luftlinie × Umwegfaktor.",
    "model": "Modell",
    # key figures
    "kf_beyond": "Zielgruppe über {T} min",
    "kf_beyond_help": "{unit} der Zielgruppe „{target}“, die das nächste ausgewählte Angebot "
                      "nicht innerhalb von {T} min erreichen (auch: gar nicht erreichbar).",
    "kf_share": "Anteil versorgt",
    "kf_share_help": "Anteil der Zielgruppe mit einem Angebot innerhalb von {T} min.",
    "kf_mean": "Mittlere Wegezeit",
    "kf_mean_help": "Mittel über die Zielgruppe mit erreichbarem Angebot, gewichtet.",
    "kf_worst": "Größte Lücken (je 1.000)",
    "kf_worst_help": "Die drei Gemeinden mit dem höchsten Lückenwert je 1.000 Personen der "
                     "Zielgruppe (Personen-Minuten über dem Schwellenwert).",
    "kf_worst_none": "keine Lücke",
    "kf_services": "{n} Angebote ausgewählt",
    "minutes_unit": "min",
    # click panel
    "panel_title": "Auswahl",
    "panel_hint": "Auf eine Gemeinde, eine Stelle der Karte oder ein Angebot klicken: "
                  "hier erscheinen die Kennzahlen, bei Angeboten zusätzlich der "
                  "Einzugsbereich auf der Karte.",
    "panel_gemeinde": "Gemeinde",
    "panel_cell": "100-m-Zelle an der Klickstelle",
    "panel_cell_none": "An der Klickstelle liegt keine bewohnte 100-m-Zelle.",
    "panel_service": "Angebot",
    "p_people": "Zielgruppe",
    "p_share_within": "Anteil bis {T} min",
    "p_beyond": "über {T} min",
    "p_mean": "Wegezeit Mittel",
    "p_median": "Wegezeit Median",
    "p_minutes": "Wegezeit zum nächsten Angebot",
    "p_nearest": "Nächstes Angebot",
    "p_count": "Angebote bis {T} min",
    "p_gap": "Lückenwert",
    "p_gap_1000": "Lückenwert je 1.000",
    "p_2sfca": "2SFCA je 1.000",
    "p_services_in": "Angebote in der Gemeinde",
    "p_reachable": "Angebote bis {T} min erreichbar",
    "p_no_service": "kein Angebot erreichbar",
    "p_catchment_people": "Zielgruppe im Einzugsbereich ({T} min)",
    "p_ratio": "Angebot je 1.000 im Einzugsbereich (2SFCA)",
    "p_category": "Art",
    "p_provider": "Träger",
    "p_address": "Adresse",
    "p_precision": "Lage",
    "p_source": "Quelle",
    "p_not_selected": "Dieses Angebot gehört nicht zur aktuellen Auswahl.",
    "clear_selection": "Auswahl aufheben",
    # table and downloads
    "table_heading": "Kennzahlen je Gemeinde",
    "table_caption": "Sortierbar per Klick auf die Spaltenüberschrift. Zählwerte 1–2 als "
                     "„<3“ (Geheimhaltung kleiner Fallzahlen). {model}.",
    "download_csv_de": "CSV (Excel, deutsch: ; und Dezimalkomma)",
    "download_csv_en": "CSV (international: , und Dezimalpunkt)",
    "download_xlsx": "Excel-Datei (XLSX)",
    "file_stem": "nahraum_gemeinden",
    # export expander (ui/exports.py)
    "export_heading": "Export",
    "export_view": "Exportiert wird die angezeigte Ansicht: {view}.",
    "export_view_base": "Bestand",
    "export_view_scenario": "Szenario „{name}“",
    "export_report_heading": "Karte für Berichte",
    "export_format": "Format",
    "export_fmt_png150": "PNG (150 dpi)",
    "export_fmt_png300": "PNG (300 dpi)",
    "export_fmt_pdf": "PDF",
    "export_fmt_svg": "SVG",
    "export_paper": "Papierformat (quer)",
    "export_report_make": "Karte erstellen",
    "export_report_download": "Karte herunterladen",
    "export_snapshot_heading": "Karte wie angezeigt (PNG)",
    "export_snapshot_make": "Bild der Karte erstellen",
    "export_snapshot_download": "Bild herunterladen",
    "export_snapshot_error": "Das Kartenbild konnte nicht erstellt werden: {error}",
    "export_gpkg_heading": "GeoPackage (alle Ebenen)",
    "export_gpkg_make": "GeoPackage erstellen",
    "export_gpkg_download": "GeoPackage herunterladen",
    "export_error": "Export fehlgeschlagen: {error}",
    "export_planning_heading": "Planungsräume",
    "export_planning_upload": "Planungsräume laden (CSV/XLSX mit AGS-Listen oder "
                              "GeoJSON/GeoPackage mit Flächen)",
    "export_planning_help": "Die Planungsräume werden in die Tabelle (XLSX), das GeoPackage "
                            "und die Berichtskarte übernommen.",
    "export_planning_error": "Planungsräume konnten nicht gelesen werden: {error}",
    "export_planning_ok": "{n} Planungsräume aus „{source}“ – in XLSX, GeoPackage und "
                          "Berichtskarte enthalten.",
    "export_map_stem": "nahraum_karte",
    "export_gpkg_stem": "nahraum",
    "method_heading": "Methode, Parameter und Datenquellen",
    "m_params": "Parameter",
    "m_formulas": "Formeln",
    "m_notes": "Hinweise",
    "m_sources": "Quellen",
    "m_built": "Regionspaket erstellt: {built} · Prüfsumme {hash}",
    "unresolved": "Nicht verortete Angebote ({n}) – bitte Ort, PLZ oder Koordinaten ergänzen:",
    "col_id": "ID", "col_name": "Name", "col_town": "Ort", "col_note": "Hinweis",
    # map: layer names, legend, tooltips
    "layer_measure": "Karte: {measure}",
    "layer_services": "Angebote (Auswahl)",
    "layer_choropleth": "Gemeinden: {indicator}",
    "layer_catchment": "Einzugsbereich: {name}",
    "layer_selection": "Ausgewählte Zelle",
    "layer_gemeinden": "Gemeinden",
    "layer_kreise": "Kreisgrenzen",
    "layer_places": "Ortsnamen",
    "layer_roads": "Straßen (OSM)",
    "layer_online": "Online-Hintergrundkarte (OpenStreetMap)",
    "legend": "Legende",
    "legend_footer": "Symbole: Font Awesome Free (CC BY 4.0)",
    "lg_areas": "Gebiete",
    "lg_gemeinde": "Gemeindegrenze",
    "lg_kreis": "Kreisgrenze",
    "lg_region": "Planungsregion",
    "lg_roads": "Straße (OSM)",
    "lg_services": "Angebote",
    "lg_imprecise": "Lage ungenau (Ort/PLZ/Gemeinde)",
    "lg_stops": "Haltestellen",
    "lg_rail": "Bahnhof/Bahnhaltepunkt",
    "lg_bus": "Bus-/Straßenbahnhaltestelle",
    "lg_stops_note": "Größe: relative Bedienhäufigkeit (kein Fahrplan)",
    "lg_beyond_line": "Zielgruppe über {T} min (Umriss)",
    "lg_model": "Modell: {model}",
    "attr_model": "Wegezeiten: {model}",
    "lg_threshold": "Schwellenwert: {T} min",
    "lg_catchment": "Einzugsbereich bis {T} min",
    "lg_catchment_band": "Zeitstufe {T} min",
    "lg_cells_note": "100-m-Zellen mit Einwohner:innen; {target}",
    "lg_no_value": "keine Zielgruppe",
    # classes
    "cls_upto": "bis {b}",
    "cls_range": "{a}–{b}",
    "cls_over": "über {b}",
    "cls_min_last": "über {b} min oder kein Angebot",
    "cls_within": "bis {T} min erreichbar",
    "cls_beyond": "über {T} min oder kein Angebot",
    "cls_count_none": "keins",
    "cls_count_more": "{n} und mehr",
    "cls_zero_access": "0 (kein Angebot bis {T} min)",
    "cls_no_gap": "keine Lücke (bis {T} min)",
    "cls_all": "alle Werte",
    "pop_title": "{target} je 100-m-Zelle ({unit})",
    "access_title": "{measure} (Kapazität je 1.000 {unit})",
    "gap_title": "{measure} ({unit_minutes} je 100-m-Zelle)",
    "count_title": "Angebote bis {T} min (Anzahl)",
    "minutes_title": "{measure} (min)",
    "within_title": "{measure} ({T} min)",
    "people_measure": "Zielgruppe (Personen je Zelle)",
    "ind_none": "nur Umrisse",
    "ind_share_beyond": "Anteil über Schwellenwert (%)",
    "ind_gap_per_1000": "Lückenwert je 1.000 ({unit_minutes})",
    "ind_gap_per_1000_option": "Lückenwert je 1.000 der Zielgruppe",
    "ind_2sfca_mean": "2SFCA (Kapazität je 1.000)",
    "ind_e2sfca_mean": "E2SFCA (Kapazität je 1.000)",
    "ind_minutes_mean": "mittlere Wegezeit (min)",
    "tip_value": "{indicator}: {value}",
    # service popup
    "sp_kind": "Angebot",
    "sp_provider": "Träger",
    "sp_address": "Adresse",
    "sp_precision": "Lage",
    "sp_status": "Status",
    "sp_source": "Quelle",
    "sp_imprecise": "Lage ungenau",
    "sp_no_category": "ohne Kategorie",
    "unknown": "unbekannt",
    "people_unit": "Personen",
    "households_unit": "Haushalte",
    "people_minutes": "Personen-Minuten",
    "households_minutes": "Haushalts-Minuten",
    "error_region": "Die Region konnte nicht geladen werden: {error}",
    # workshop: scenario, click modes, pins, suggestions, session record
    "ws_view": "Workshop-Ansicht",
    "ws_view_help": "Beamer-Ansicht: Karte füllt den Bildschirm, große Schrift, nur die "
                    "wichtigsten Bedienelemente. Ausschalten: Schalter oben rechts.",
    "ws_token": "Workshop-Kennung {ws}: steht in der Adresse; wer diese Adresse öffnet, "
                "arbeitet an denselben Szenarien (auch nach dem Neuladen).",
    "sc_heading": "Szenario",
    "sc_active": "Aktives Szenario",
    "sc_name": "Name für neu / umbenennen / kopieren",
    "sc_new": "Neu",
    "sc_duplicate": "Kopieren",
    "sc_rename": "Umbenennen",
    "sc_delete": "Löschen",
    "sc_default": "Szenario 1",
    "sc_exists": "Ein Szenario „{name}“ gibt es schon.",
    "sc_export_geojson": "GeoJSON",
    "sc_export_gpkg": "GeoPackage",
    "sc_import": "Szenario importieren (GeoJSON/GeoPackage)",
    "sc_imported": "Szenario „{name}“ importiert.",
    "sc_error": "Fehler: {error}",
    "sc_changes": "Änderungen ({n})",
    "sc_remove": "Entfernen",
    "click_mode": "Klick setzt",
    "click_none": "nichts",
    "click_site": "neuer Standort",
    "click_pin": "Markierung (Pin)",
    "click_outreach": "Außensprechtag",
    "click_mobile": "Halt (mobiles Angebot)",
    "site_form": "Vorgaben für neue Standorte",
    "site_name": "Name",
    "site_default_name": "Neuer Standort",
    "site_category": "Kategorie",
    "site_sub": "Unterkategorie (optional)",
    "site_groups": "Zielgruppen",
    "site_capacity": "Kapazität (0 = unbekannt)",
    "outreach_hours": "Stunden je Woche (Außensprechtag/Halt)",
    "outreach_days": "Wochentage",
    "outreach_name": "Außensprechtag",
    "mobile_name": "Mobiles Angebot",
    "mobile_stops": "Mobiles Angebot: {n} Halte gesammelt",
    "mobile_done": "Fertig: mobiles Angebot anlegen",
    "mobile_cancel": "Halte verwerfen",
    "undo": "Rückgängig",
    "redo": "Wiederholen",
    "delta_label": "Neu erreichbar",
    "delta_help": "Personen der Zielgruppe, die mit dem Szenario innerhalb der Schwelle "
                  "liegen, vorher nicht.",
    "delta_none": "Noch keine Änderung: „Klick setzt“ wählen und in die Karte klicken.",
    "delta_table": "Wirkung je Gemeinde",
    "view_label": "Karte zeigt",
    "view_before": "vorher",
    "view_after": "nachher",
    "pin_form": "Markierung an der gewählten Stelle",
    "pin_kind": "Art",
    "pin_text": "Text (höchstens {n} Zeichen)",
    "pin_save": "Markierung speichern",
    "pin_cancel": "Abbrechen",
    "pins_heading": "Markierungen ({n})",
    "pin_change": "Ändern",
    "pin_delete": "Entfernen",
    "svc_close": "Schließen (Szenario)",
    "svc_move": "Verschieben: nächster Klick setzt neue Lage",
    "move_pending": "Verschieben: in die Karte klicken, um die neue Lage zu setzen.",
    "move_cancel": "Verschieben abbrechen",
    "sug_heading": "Standorte vorschlagen",
    "sug_k": "Anzahl neuer Standorte",
    "sug_candidates": "Kandidaten",
    "cand_villages": "Orte",
    "cand_cells": "Rasterzellen",
    "cand_both": "beides",
    "sug_upload": "Bedarfsgewichtung: Indikatortabelle je Gemeinde (CSV/XLSX)",
    "sug_indicator": "Gewichten nach",
    "sug_no_weight": "ohne Gewichtung",
    "sug_run": "Vorschläge berechnen",
    "sug_greedy": "Schnelle Lösung (Greedy): +{people} {unit}",
    "sug_exact": "Optimale Lösung (exakt, CBC): +{people} {unit}",
    "sug_exact_wait": "Optimale Lösung wird berechnet (höchstens {s} s) …",
    "sug_exact_none": "Optimum nicht binnen {s} s bewiesen: es gilt die schnelle Lösung.",
    "sug_diff": "Unterschied exakt − schnell: {people} {unit}. Nur exakt: {only_exact}. "
                "Nur schnell: {only_greedy}.",
    "sug_same": "Beide Lösungen wählen dieselben Standorte.",
    "sug_apply": "Vorschläge ins Szenario übernehmen",
    "sug_col_rank": "Rang",
    "sug_col_name": "Ort",
    "sug_col_gem": "Gemeinde",
    "sug_col_gain": "Zusätzlich erreicht",
    "record_button": "Sitzungsprotokoll herunterladen",
    "record_help": "ZIP: Szenario (GeoJSON), Markierungen (GeoJSON/CSV), Vorher/Nachher je "
                   "Gemeinde (CSV/XLSX), beide Karten (PNG), Protokoll (Markdown und PDF).",
    "plan_plan": "geplant (neu, Außensprechtag, mobil)",
    "plan_moved": "verlegt (neue Lage)",
    "plan_closed": "geschlossen",
    "plan_kind": "Art",
    "plan_change": "Änderung",
    "plan_pending": "gewählte Stelle",
    "ct_add_site": "geplant: neuer Standort",
    "ct_outreach_day": "geplant: Außensprechtag",
    "ct_mobile_service": "geplant: Halt eines mobilen Angebots",
    "ct_move_site": "verlegt (neue Lage)",
    "ct_close_site": "geschlossen",
    "lg_scenario": "Szenario",
    "layer_scenario": "Szenario: Standorte und Markierungen",
    **{f"pin_{k}": v for k, v in settings.PIN_KINDS.items()},
}

EN: dict[str, str] = {
    "page_title": "Nahraum – social planning",
    "app_subtitle": "Planning counselling, youth and family services close to home",
    "heading": "Service gaps – {region}",
    "language": "Language",
    "region": "Planning region",
    "services_heading": "Services",
    "categories": "Categories",
    "categories_help": "Empty = all services. Number = located services of the region "
                       "(including a 5 km margin).",
    "subcategories": "Subcategories (narrow the selection)",
    "subcategories_help": "Empty = all subcategories of the chosen categories.",
    "all_services": "all services",
    "target": "Target group (by life phase)",
    "target_help": "Need: people (or households) of the target group per 100 m cell, "
                   "Census 2022, scaled to official municipal totals.",
    "mode": "Travel mode",
    "threshold": "Threshold (minutes)",
    "threshold_help": "Whoever needs longer counts as not served. Default per mode: {defaults}.",
    "measure": "Map display (measure per 100 m cell)",
    "indicator": "Colour municipalities by",
    "map_layers": "More map layers",
    "layer_stops": "Public transport stops",
    "online_tiles": "Online base map (OpenStreetMap)",
    "online_tiles_help": "Loads map tiles from the internet; the tile server learns the map "
                         "extent. Without this option no request leaves the computer.",
    "online_tiles_on": "Online base map is on: map tiles are loaded from the internet.",
    "model_network": "Travel times on this region's OSM road network.",
    "model_fallback": "No road network loaded for this region and mode: fallback model "
                      "straight line × detour factor.",
    "model": "Model",
    "kf_beyond": "Target group beyond {T} min",
    "kf_beyond_help": "{unit} of the target group “{target}” who cannot reach the nearest "
                      "selected service within {T} min (or not at all).",
    "kf_share": "Share served",
    "kf_share_help": "Share of the target group with a service within {T} min.",
    "kf_mean": "Mean travel time",
    "kf_mean_help": "Weighted mean over the target group with a reachable service.",
    "kf_worst": "Largest gaps (per 1,000)",
    "kf_worst_help": "The three municipalities with the highest gap score per 1,000 people of "
                     "the target group (people-minutes beyond the threshold).",
    "kf_worst_none": "no gap",
    "kf_services": "{n} services selected",
    "minutes_unit": "min",
    "panel_title": "Selection",
    "panel_hint": "Click a municipality, a place on the map or a service: its figures appear "
                  "here; for a service, its catchment is drawn on the map.",
    "panel_gemeinde": "Municipality",
    "panel_cell": "100 m cell at the clicked point",
    "panel_cell_none": "No populated 100 m cell at the clicked point.",
    "panel_service": "Service",
    "p_people": "Target group",
    "p_share_within": "Share within {T} min",
    "p_beyond": "beyond {T} min",
    "p_mean": "Mean travel time",
    "p_median": "Median travel time",
    "p_minutes": "Travel time to the nearest service",
    "p_nearest": "Nearest service",
    "p_count": "Services within {T} min",
    "p_gap": "Gap score",
    "p_gap_1000": "Gap score per 1,000",
    "p_2sfca": "2SFCA per 1,000",
    "p_services_in": "Services in the municipality",
    "p_reachable": "Services reachable within {T} min",
    "p_no_service": "no service reachable",
    "p_catchment_people": "Target group in the catchment ({T} min)",
    "p_ratio": "Supply per 1,000 in the catchment (2SFCA)",
    "p_category": "Kind",
    "p_provider": "Provider",
    "p_address": "Address",
    "p_precision": "Location",
    "p_source": "Source",
    "p_not_selected": "This service is not part of the current selection.",
    "clear_selection": "Clear selection",
    "table_heading": "Figures per municipality",
    "table_caption": "Sort by clicking a column header. Counts of 1–2 shown as “<3” "
                     "(small-count suppression). {model}.",
    "download_csv_de": "CSV (Excel, German: ; and decimal comma)",
    "download_csv_en": "CSV (international: , and decimal point)",
    "download_xlsx": "Excel file (XLSX)",
    "file_stem": "nahraum_municipalities",
    # export expander (ui/exports.py)
    "export_heading": "Export",
    "export_view": "The view on screen is exported: {view}.",
    "export_view_base": "status quo",
    "export_view_scenario": "scenario “{name}”",
    "export_report_heading": "Map for reports",
    "export_format": "Format",
    "export_fmt_png150": "PNG (150 dpi)",
    "export_fmt_png300": "PNG (300 dpi)",
    "export_fmt_pdf": "PDF",
    "export_fmt_svg": "SVG",
    "export_paper": "Paper size (landscape)",
    "export_report_make": "Create map",
    "export_report_download": "Download map",
    "export_snapshot_heading": "Map as shown (PNG)",
    "export_snapshot_make": "Create map image",
    "export_snapshot_download": "Download image",
    "export_snapshot_error": "The map image could not be created: {error}",
    "export_gpkg_heading": "GeoPackage (all layers)",
    "export_gpkg_make": "Create GeoPackage",
    "export_gpkg_download": "Download GeoPackage",
    "export_error": "Export failed: {error}",
    "export_planning_heading": "Planning regions",
    "export_planning_upload": "Load planning regions (CSV/XLSX with AGS lists or "
                              "GeoJSON/GeoPackage polygons)",
    "export_planning_help": "The planning regions are included in the table (XLSX), the "
                            "GeoPackage and the report map.",
    "export_planning_error": "Planning regions could not be read: {error}",
    "export_planning_ok": "{n} planning regions from “{source}” – included in XLSX, "
                          "GeoPackage and report map.",
    "export_map_stem": "nahraum_map",
    "export_gpkg_stem": "nahraum",
    "method_heading": "Method, parameters and data sources",
    "m_params": "Parameters",
    "m_formulas": "Formulas (German)",
    "m_notes": "Notes (German)",
    "m_sources": "Sources",
    "m_built": "Region bundle built: {built} · checksum {hash}",
    "unresolved": "Services without a location ({n}) – please add a town, postcode or "
                  "coordinates:",
    "col_id": "ID", "col_name": "Name", "col_town": "Town", "col_note": "Note",
    "layer_measure": "Map: {measure}",
    "layer_services": "Services (selection)",
    "layer_choropleth": "Municipalities: {indicator}",
    "layer_catchment": "Catchment: {name}",
    "layer_selection": "Selected cell",
    "layer_gemeinden": "Municipalities",
    "layer_kreise": "District boundaries",
    "layer_places": "Place names",
    "layer_roads": "Roads (OSM)",
    "layer_online": "Online base map (OpenStreetMap)",
    "legend": "Legend",
    "legend_footer": "Symbols: Font Awesome Free (CC BY 4.0)",
    "lg_areas": "Areas",
    "lg_gemeinde": "Municipal boundary",
    "lg_kreis": "District boundary",
    "lg_region": "Planning region",
    "lg_roads": "Road (OSM)",
    "lg_services": "Services",
    "lg_imprecise": "Imprecise location (village/postcode/municipality)",
    "lg_stops": "Stops",
    "lg_rail": "Railway station",
    "lg_bus": "Bus/tram stop",
    "lg_stops_note": "Size: relative service frequency (no timetable)",
    "lg_beyond_line": "Target group beyond {T} min (outline)",
    "lg_model": "Model: {model}",
    "attr_model": "Travel times: {model}",
    "lg_threshold": "Threshold: {T} min",
    "lg_catchment": "Catchment up to {T} min",
    "lg_catchment_band": "Time band {T} min",
    "lg_cells_note": "Populated 100 m cells; {target}",
    "lg_no_value": "no target group",
    "cls_upto": "up to {b}",
    "cls_range": "{a}–{b}",
    "cls_over": "over {b}",
    "cls_min_last": "over {b} min or no service",
    "cls_within": "reachable within {T} min",
    "cls_beyond": "over {T} min or no service",
    "cls_count_none": "none",
    "cls_count_more": "{n} or more",
    "cls_zero_access": "0 (no service within {T} min)",
    "cls_no_gap": "no gap (within {T} min)",
    "cls_all": "all values",
    "pop_title": "{target} per 100 m cell ({unit})",
    "access_title": "{measure} (capacity per 1,000 {unit})",
    "gap_title": "{measure} ({unit_minutes} per 100 m cell)",
    "count_title": "Services within {T} min (number)",
    "minutes_title": "{measure} (min)",
    "within_title": "{measure} ({T} min)",
    "people_measure": "Target group (people per cell)",
    "ind_none": "outlines only",
    "ind_share_beyond": "Share beyond threshold (%)",
    "ind_gap_per_1000": "Gap score per 1,000 ({unit_minutes})",
    "ind_gap_per_1000_option": "Gap score per 1,000 of the target group",
    "ind_2sfca_mean": "2SFCA (capacity per 1,000)",
    "ind_e2sfca_mean": "E2SFCA (capacity per 1,000)",
    "ind_minutes_mean": "mean travel time (min)",
    "tip_value": "{indicator}: {value}",
    "sp_kind": "Service",
    "sp_provider": "Provider",
    "sp_address": "Address",
    "sp_precision": "Location",
    "sp_status": "Status",
    "sp_source": "Source",
    "sp_imprecise": "imprecise location",
    "sp_no_category": "no category",
    "unknown": "unknown",
    "people_unit": "people",
    "households_unit": "households",
    "people_minutes": "people-minutes",
    "households_minutes": "household-minutes",
    "error_region": "The region could not be loaded: {error}",
    # workshop
    "ws_view": "Workshop view",
    "ws_view_help": "Projector view: the map fills the screen, large text, only the essential "
                    "controls. Switch off at the top right.",
    "ws_token": "Workshop id {ws}: part of the address; whoever opens this address works on "
                "the same scenarios (also after reloading).",
    "sc_heading": "Scenario",
    "sc_active": "Active scenario",
    "sc_name": "Name for new / rename / copy",
    "sc_new": "New",
    "sc_duplicate": "Copy",
    "sc_rename": "Rename",
    "sc_delete": "Delete",
    "sc_default": "Scenario 1",
    "sc_exists": "A scenario “{name}” exists already.",
    "sc_export_geojson": "GeoJSON",
    "sc_export_gpkg": "GeoPackage",
    "sc_import": "Import a scenario (GeoJSON/GeoPackage)",
    "sc_imported": "Scenario “{name}” imported.",
    "sc_error": "Error: {error}",
    "sc_changes": "Changes ({n})",
    "sc_remove": "Remove",
    "click_mode": "A click sets",
    "click_none": "nothing",
    "click_site": "new site",
    "click_pin": "pin",
    "click_outreach": "outreach day",
    "click_mobile": "stop (mobile service)",
    "site_form": "Defaults for new sites",
    "site_name": "Name",
    "site_default_name": "New site",
    "site_category": "Category",
    "site_sub": "Subcategory (optional)",
    "site_groups": "Target groups",
    "site_capacity": "Capacity (0 = unknown)",
    "outreach_hours": "Hours per week (outreach day/stop)",
    "outreach_days": "Weekdays",
    "outreach_name": "Outreach day",
    "mobile_name": "Mobile service",
    "mobile_stops": "Mobile service: {n} stops collected",
    "mobile_done": "Done: create the mobile service",
    "mobile_cancel": "Discard stops",
    "undo": "Undo",
    "redo": "Redo",
    "delta_label": "Newly within reach",
    "delta_help": "People of the target group within the threshold with the scenario, "
                  "not before.",
    "delta_none": "No change yet: choose “A click sets” and click the map.",
    "delta_table": "Effect per municipality",
    "view_label": "Map shows",
    "view_before": "before",
    "view_after": "after",
    "pin_form": "Pin at the chosen spot",
    "pin_kind": "Kind",
    "pin_text": "Text (at most {n} characters)",
    "pin_save": "Save pin",
    "pin_cancel": "Cancel",
    "pins_heading": "Pins ({n})",
    "pin_change": "Change",
    "pin_delete": "Remove",
    "svc_close": "Close (scenario)",
    "svc_move": "Move: the next click sets the new place",
    "move_pending": "Moving: click the map to set the new place.",
    "move_cancel": "Cancel moving",
    "sug_heading": "Suggest sites",
    "sug_k": "Number of new sites",
    "sug_candidates": "Candidates",
    "cand_villages": "villages",
    "cand_cells": "grid cells",
    "cand_both": "both",
    "sug_upload": "Need weighting: indicator table per municipality (CSV/XLSX)",
    "sug_indicator": "Weight by",
    "sug_no_weight": "no weighting",
    "sug_run": "Compute suggestions",
    "sug_greedy": "Quick solution (greedy): +{people} {unit}",
    "sug_exact": "Optimal solution (exact, CBC): +{people} {unit}",
    "sug_exact_wait": "Computing the optimal solution (at most {s} s) …",
    "sug_exact_none": "Optimum not proven within {s} s: the quick solution applies.",
    "sug_diff": "Difference exact − quick: {people} {unit}. Only exact: {only_exact}. "
                "Only quick: {only_greedy}.",
    "sug_same": "Both solutions choose the same sites.",
    "sug_apply": "Add the suggestions to the scenario",
    "sug_col_rank": "Rank",
    "sug_col_name": "Place",
    "sug_col_gem": "Municipality",
    "sug_col_gain": "Newly reached",
    "record_button": "Download the session record",
    "record_help": "ZIP: scenario (GeoJSON), pins (GeoJSON/CSV), before/after per "
                   "municipality (CSV/XLSX), both maps (PNG), protocol (Markdown and PDF).",
    "plan_plan": "planned (new, outreach day, mobile)",
    "plan_moved": "moved (new place)",
    "plan_closed": "closed",
    "plan_kind": "Kind",
    "plan_change": "Change",
    "plan_pending": "chosen spot",
    "ct_add_site": "planned: new site",
    "ct_outreach_day": "planned: outreach day",
    "ct_mobile_service": "planned: stop of a mobile service",
    "ct_move_site": "moved (new place)",
    "ct_close_site": "closed",
    "lg_scenario": "Scenario",
    "layer_scenario": "Scenario: sites and pins",
    "pin_missing": "a service is missing here",
    "pin_known": "service known",
    "pin_too_far": "too far to go",
}

STRINGS: dict[str, dict[str, str]] = {"de": DE, "en": EN}

# English column labels of analysis.gemeinde_table (keys of analysis.SUMMARY_COLUMNS).
TABLE_LABELS_EN: dict[str, str] = {
    "ags": "AGS",
    "name": "Municipality",
    "people": "Target group ({unit})",
    "minutes_mean": "Travel time mean (min)",
    "minutes_median": "Travel time median (min)",
    "minutes_p90": "Travel time 90th percentile (min)",
    "people_within": "within {T} min ({unit})",
    "share_within": "Share reachable (%)",
    "people_beyond": "beyond {T} min ({unit})",
    "share_beyond": "Share beyond threshold (%)",
    "people_unreachable": "no reachable service ({unit})",
    "services_in_gemeinde": "Services in the municipality (number)",
    "services_reachable": "Services within {T} min (number)",
    "services_within_mean": "Services within {T} min per person (mean)",
    "2sfca_mean": "2SFCA (capacity per 1,000 {unit})",
    "e2sfca_mean": "E2SFCA (capacity per 1,000 {unit})",
    "gap": "Gap score ({unit_minutes})",
    "gap_per_1000": "Gap score per 1,000 {unit} ({unit_minutes})",
}


def lang_of(lang: str | None) -> str:
    """A supported language code (unknown → German)."""
    return lang if lang in STRINGS else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The UI string ``key`` in ``lang``, formatted with ``values``.

    Parameters
    ----------
    key : str
        Key of :data:`DE`/:data:`EN`.
    lang : {"de", "en"}
    **values
        Placeholders of the template.

    Returns
    -------
    str
        Unknown keys return the key itself (visible, so a missing string is noticed).
    """
    template = STRINGS[lang_of(lang)].get(key, DE.get(key, key))
    return template.format(**values) if values else template


def _pick(label_de: str, label_en: str, lang: str) -> str:
    return label_en if lang_of(lang) == "en" else label_de


def mode_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a travel mode (``settings.MODES``)."""
    m = settings.MODES[code]
    return _pick(m.label_de, m.label_en, lang)


def target_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a target group (``settings.TARGET_GROUPS``)."""
    g = settings.TARGET_GROUPS[code]
    return _pick(g.label_de, g.label_en, lang)


def phase_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a life phase (``settings.LIFE_PHASES``)."""
    de, en = settings.LIFE_PHASES.get(code, (code, code))
    return _pick(de, en, lang)


def measure_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a map measure (``settings.MEASURES`` or ``"people"``)."""
    if code == "people":
        return t("people_measure", lang)
    m = settings.MEASURES[code]
    return _pick(m.label_de, m.label_en, lang)


def category_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a service category; unknown codes are returned as they are."""
    c = settings.CATEGORIES.get(str(code))
    if c is None:
        return str(code) if code else t("sp_no_category", lang)
    return _pick(c.label_de, c.label_en, lang)


def precision_label(code: str | None, lang: str = DEFAULT_LANG) -> str:
    """Label of a geocoding precision (``settings.PRECISIONS``)."""
    if code in settings.PRECISIONS:
        de, en = settings.PRECISIONS[code]
        return _pick(de, en, lang)
    return t("unknown", lang)


def unit_label(target: str, lang: str = DEFAULT_LANG) -> str:
    """Counting unit of a target group: people or households."""
    households = settings.TARGET_GROUPS[target].unit_de == "Haushalte"
    return t("households_unit" if households else "people_unit", lang)


def unit_minutes(target: str, lang: str = DEFAULT_LANG) -> str:
    """Unit of the gap score: people-minutes or household-minutes."""
    households = settings.TARGET_GROUPS[target].unit_de == "Haushalte"
    return t("households_minutes" if households else "people_minutes", lang)


def _finite(value: Any) -> float | None:
    """``value`` as a finite float, or None (shown as „–“)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def number(value: Any, decimals: int = 0, lang: str = DEFAULT_LANG) -> str:
    """A number with thousands separators: ``1.234,5`` (de) or ``1,234.5`` (en); ``–`` if missing."""
    v = _finite(value)
    if v is None:
        return "–"
    text = f"{v:,.{decimals}f}"
    if lang_of(lang) == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def auto_number(value: Any, lang: str = DEFAULT_LANG) -> str:
    """A number with as many decimals as its size needs (``0,25``, ``2,5``, ``125``)."""
    v = _finite(value)
    if v is None:
        return "–"
    a = abs(v)
    if a >= 100 or v.is_integer():
        decimals = 0
    elif a >= 10:
        decimals = 1 if not round(v, 1).is_integer() else 0
    elif a >= 1:
        decimals = 1 if round(v, 1) == round(v, 2) else 2
    else:
        decimals = 2 if round(v, 2) == round(v, 3) or a >= 0.1 else 3
    return number(v, decimals, lang)


def percent(share: Any, lang: str = DEFAULT_LANG, decimals: int = 1) -> str:
    """A share (0…1) in percent: ``42,1 %`` (de) or ``42.1%`` (en)."""
    v = _finite(share)
    if v is None:
        return "–"
    text = number(v * 100.0, decimals, lang)
    return f"{text} %" if lang_of(lang) == "de" else f"{text}%"


def count(value: Any, lang: str = DEFAULT_LANG) -> str:
    """A count of the target group, small counts suppressed (1–2 → ``<3``)."""
    v = _finite(value)
    if v is None:
        return "–"
    r = math.floor(v + 0.5)
    if 0 < r < settings.SMALL_COUNT_LIMIT:
        return f"<{settings.SMALL_COUNT_LIMIT}"
    return number(r, 0, lang)


def minutes(value: Any, lang: str = DEFAULT_LANG) -> str:
    """Minutes with one decimal and the unit; ``–`` for missing or infinite values."""
    v = _finite(value)
    if v is None:
        return "–"
    return f"{number(v, 1, lang)} min"


def model_text(model: str, model_kind: str | None, mode: str, lang: str = DEFAULT_LANG,
               source: str | None = None) -> str:
    """The travel-time model in the UI language (German: the result's own label).

    Parameters
    ----------
    model : str
        ``result.model`` (German, from ``geo.traveltime.model_label``).
    model_kind : str or None
        ``result.metadata["model_kind"]`` (``"network:osm"`` or the fallback).
    mode : str
        Travel mode code.
    lang : {"de", "en"}
    source : str, optional
        Network source file name (English label only).
    """
    if lang_of(lang) == "de":
        return model
    label = mode_label(mode, "en")
    if model_kind and model_kind.startswith("network"):
        speed = ("speed by maxspeed or road class" if mode == "car"
                 else f"{auto_number(settings.MODES[mode].speed_kmh, 'en')} km/h")
        src = f" ({source})" if source else ""
        return f"OSM road network{src}, {label} {speed}"
    factor = settings.DETOUR_FACTORS.get(mode, 1.0)
    speed_kmh = settings.FALLBACK_CAR_SPEED_KMH if mode == "car" else settings.MODES[mode].speed_kmh
    speed = f"{'avg. ' if mode == 'car' else ''}{auto_number(speed_kmh, 'en')} km/h"
    return f"Straight line × detour factor {auto_number(factor, 'en')}, {label} {speed}"
