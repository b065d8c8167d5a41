"""Command-line interface: ``nahraum``.

Every sub-command prints German messages; errors in the user's data or
environment exit with status 2 and a message that says what to do, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from present import describe
from present import tables as ptables

from . import settings
from ._errors import InputError, NahraumError
from ._text import de_number


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data", help=f"Rohdaten-Ordner (Standard: ${settings.DATA_ENV_VAR} oder ../shared/data)"
    )
    p.add_argument(
        "--cache", help=f"Cache-Ordner (Standard: ${settings.CACHE_ENV_VAR} oder data/cache)"
    )


def _timetable_args(p: argparse.ArgumentParser, per_kreis: bool = False) -> None:
    """``--gtfs``, ``--depart`` and ``--window`` of the timetable mode ``transit``."""
    clip = ", je Kreis zugeschnitten" if per_kreis else ""
    p.add_argument("--gtfs", help=f"Fahrplan (GTFS-ZIP) für --mode(s) transit{clip}")
    p.add_argument("--depart", help="Abfahrt für transit, z. B. „2014-06-02 08:00“")
    p.add_argument(
        "--window",
        type=int,
        default=settings.TRANSIT_WINDOW_MIN,
        help="Zeitfenster in Minuten ab --depart (0 = nur diese Abfahrt); Median",
    )


def _region_arg(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument(
        "--region",
        default=None if required else "default",
        required=required,
        help="Regionsname (default, thueringen, bayreuth-nord) oder Kreis-/Gemeindeschlüssel",
    )


def _analysis_args(p: argparse.ArgumentParser) -> None:
    """Which services, target group, mode and threshold (``analyze`` and ``export``)."""
    p.add_argument(
        "--kind", help="Kategorie(n) oder Unterkategorie(n), kommagetrennt (leer = alle)"
    )
    p.add_argument(
        "--target", default=settings.DEFAULT_TARGET_GROUP, choices=list(settings.TARGET_GROUPS)
    )
    p.add_argument("--mode", default=settings.DEFAULT_MODE, choices=list(settings.MODES))
    p.add_argument(
        "--threshold", type=float, help="Schwellenwert in Minuten (Standard je Verkehrsart)"
    )


def _standards_args(p: argparse.ArgumentParser) -> None:
    """Standards table, scenario, planning regions and demand (``standards``, ``profile``)."""
    p.add_argument(
        "--standards", help="Richtwert-Tabelle (CSV/XLSX; Standard: data/standards/default.csv)"
    )
    p.add_argument(
        "--scenario", help="Szenario (JSON, GeoJSON oder GeoPackage): geplante Standorte zählen mit"
    )
    p.add_argument("--planning", help="Planungsräume (CSV/XLSX mit AGS oder Polygone)")
    _demand_args(p)


def _need_args(p: argparse.ArgumentParser) -> None:
    """Need weights from an indicator table (``analyze`` and ``export``)."""
    p.add_argument(
        "--need", help="Indikatortabelle je Gemeinde (CSV/XLSX mit AGS) als Bedarfsgewicht"
    )
    p.add_argument("--need-indicator", help="Spalte der Indikatortabelle (Standard: die erste)")


def _demand_args(p: argparse.ArgumentParser) -> None:
    """Official figures and a target year (``region info``, ``analyze``, ``export``)."""
    p.add_argument("--official", help="amtliche Zahlen je Gemeinde (GENESIS-CSV oder AGS-Tabelle)")
    p.add_argument("--projection", help="Prognosetabelle je Kreis/Gemeinde, Zielgruppe und Jahr")
    p.add_argument("--year", type=int, help="Zieljahr der Prognose")
    p.add_argument("--growth", help="eigene Wachstumsfaktoren, z. B. „u18=0,95;age65=1,1“")


def _with_demand(reg: Any, args: Any) -> Any:
    """``reg`` with official figures and/or a target year from the command line, if given."""
    official_file = _arg(args, "official")
    projection_file = _arg(args, "projection")
    growth_text = _arg(args, "growth")
    year = _arg(args, "year")
    if not (official_file or projection_file or growth_text):
        if year is not None:
            raise InputError("--year braucht eine Prognose (--projection) oder --growth.")
        return reg
    from . import demand

    official = demand.read_official(official_file, reg.gemeinden) if official_file else None
    proj = demand.read_projection(projection_file) if projection_file else None
    growth = demand.parse_growth(growth_text) if growth_text else None
    if (proj or growth) and year is None:
        raise InputError("Für eine Prognose bitte das Zieljahr mit --year angeben.")
    return demand.for_region(reg, official, proj, year, growth)


# ---------------------------------------------------------------------------
# region
# ---------------------------------------------------------------------------


def _cmd_region_build(args) -> int:
    from . import region

    path = region.build_region(args.region, args.data, args.cache, force=args.force)
    meta = json.loads((path / "meta.json").read_text("utf-8"))
    if args.json:
        _print_json(
            {
                "region": meta["region"],
                "path": str(path),
                "content_hash": meta["content_hash"],
                "built_at": meta["built_at"],
            }
        )
    else:
        print(f"Region {meta['label']} bereit: {path} (Stand {meta['built_at']})")
    return 0


def _cmd_region_info(args) -> int:
    from . import region

    reg = _with_demand(region.load_region(args.region, args.data, args.cache), args)
    info = reg.info()
    info["demand"] = reg.meta.get(
        "demand", {"official": None, "year": None, "projection_source": None}
    )
    info["demand"]["labels"] = describe.demand_lines(reg.meta)
    if args.json:
        _print_json(info)
        return 0
    print(f"{info['label']} ({info['region']})")
    if info["gemeinden"]:
        print(f"  Gemeinden: {info['gemeinden']}  Kreise: {', '.join(info['kreise'])}")
        print(f"  Einwohner amtlich (VG250-EW): {de_number(info['population_official'], 0)}")
    print(
        f"  Einwohner Bevölkerungsraster: {de_number(info['population_surface'], 0)} in "
        f"{de_number(info['cells'], 0)} Zellen"
    )
    for code, total in info["target_groups"].items():
        print(f"    {settings.TARGET_GROUPS[code].label_de}: {de_number(total, 0)}")
    s = info["services"]
    prec = ", ".join(f"{settings.PRECISIONS[k][0]} {v}" for k, v in s["by_precision"].items())
    print(f"  Angebote: {s['total']} ({prec})")
    for u in s["unresolved"]:
        print(f"    nicht verortet: {u['id']} {u['name']} – {u['geocode_note']}")
    print(f"  Haltestellen: {info['stops']} (davon {info['stops_inside']} in der Region)")
    return 0


def _cmd_region_list(args) -> int:
    from . import region

    regions = region.list_regions()
    if args.json:
        _print_json(regions)
    else:
        for name, label in regions.items():
            print(f"{name:15s} {label}")
    return 0


# ---------------------------------------------------------------------------
# services
# ---------------------------------------------------------------------------


def _cmd_services_import(args) -> int:
    from . import region, services

    reg = region.load_region(args.region, args.data, args.cache)
    res = services.import_services(
        Path(args.file), reg.gemeinden, reg.outline, settings.data_dir(args.data), layer=args.layer
    )
    summary = res.summary()
    if args.out:
        services.export_services(res.services, Path(args.out))
    if args.save:
        from . import inventory

        inv = inventory.InventoryStore(reg.name, args.cache).replace(res)
        summary["inventory"] = str(inv)
    if args.json:
        _print_json(summary)
    else:
        layer = f" (Blatt/Ebene „{summary['layer']}“)" if summary.get("layer") else ""
        print(f"{summary['imported']} Angebote importiert{layer}.")
        for k, v in summary["by_precision"].items():
            print(f"  {settings.PRECISIONS[k][0]}: {v}")
        for kind, key in (("Fehler", "errors"), ("Hinweis", "notes")):
            for e in summary[key]:
                print(f"  {kind}{_where(e)}: {e['message']}")
        if args.save:
            print(f"Als Bestand der Region gespeichert: {summary['inventory']}")
    return 0 if not summary["errors"] else 1


def _where(e: dict) -> str:
    where = ", ".join(
        x
        for x in (
            f"Zeile {e['row']}" if e.get("row") else "",
            f"Spalte „{e['column']}“" if e.get("column") else "",
        )
        if x
    )
    return f" ({where})" if where else ""


def _cmd_services_export(args) -> int:
    from . import region, services

    reg = region.load_region(args.region, args.data, args.cache)
    services.export_services(reg.services, Path(args.out))
    print(f"{len(reg.services)} Angebote exportiert nach {args.out}")
    return 0


# ---------------------------------------------------------------------------
# inventory (the planner's own service list)
# ---------------------------------------------------------------------------


def _cmd_inventory(args) -> int:
    from . import inventory, region

    store = inventory.InventoryStore(args.region, args.cache)
    if args.action == "export":
        path = store.export(Path(args.out))
        print(f"Bestand exportiert nach {path}")
        return 0
    if args.action == "edit":
        changes = {}
        for item in args.set or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise InputError(f"„{item}“: erwartet FELD=WERT, z. B. status=geschlossen.")
            changes[key.strip()] = value
        store.edit(args.id, changes)
        print(f"Angebot {args.id} geändert: {', '.join(changes)}")
        return 0
    if args.action == "move":
        reg = region.load_region(args.region, args.data, args.cache)
        store.move(args.id, args.lat, args.lon, precision=args.precision, outline=reg.outline)
        print(f"Angebot {args.id} verortet ({settings.PRECISIONS[args.precision][0]}).")
        return 0
    inv = store.load()
    if inv is None:
        raise InputError(
            f"Für die Region „{args.region}“ ist kein eigener Angebotsbestand "
            "gespeichert (nahraum services import DATEI --save)."
        )
    if args.action == "log":
        rows = inv.log[-args.last :] if args.last else inv.log
        if args.json:
            _print_json(rows)
        for e in [] if args.json else rows:
            what = (
                f"{e.get('field')}: {e.get('old')} → {e.get('new')}"
                if e.get("field")
                else f"{e.get('old')} → {e.get('new')}"
            )
            print(f"{e['time']}  {e['action']:7s} {e.get('id') or '':12s} {what}")
        return 0
    reg = region.load_region(args.region, args.data, args.cache)
    cov = inventory.coverage(inv.services, reg.gemeinden)
    counts = inv.services["precision"].value_counts()
    info: dict[str, Any] = {
        "region": reg.name,
        "file": str(store.path),
        "meta": inv.meta,
        "services": int(len(inv.services)),
        "by_precision": {k: int(counts.get(k, 0)) for k in settings.PRECISIONS},
        "changes": len(inv.log),
        "coverage": cov.to_dict(),
    }
    if args.json:
        _print_json(info)
        return 0
    print(
        f"Angebotsbestand {reg.label}: {info['services']} Angebote "
        f"(aus {inv.meta.get('source_file') or '–'}, {len(inv.log)} Änderungen)"
    )
    for k, v in info["by_precision"].items():
        if v:
            print(f"  {settings.PRECISIONS[k][0]}: {v}")
    print(f"  {describe.coverage_text(cov)}")
    return 0


# ---------------------------------------------------------------------------
# network and travel time
# ---------------------------------------------------------------------------


def _cmd_network_build(args) -> int:
    from . import network, region

    if not args.osm and not args.download:
        raise InputError("Bitte eine OSM-Datei (--osm DATEI) oder --download angeben.")
    reg = region.load_region(args.region, args.data, args.cache)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    nets = network.build_for_region(
        reg.cache_path,
        osm_path=args.osm,
        download=args.download,
        outline_3035=reg.outline,
        modes=modes,
        force=args.force,
    )
    rows = network.summary_table(nets)
    if args.json:
        _print_json({"region": reg.name, "networks": rows})
    else:
        for r in rows:
            print("  ".join(f"{k}={v}" for k, v in r.items()))
    return 0


def _transit_model(args, net):
    """Timetable model for ``traveltime --mode transit`` (feed cached in the cache folder)."""
    from . import gtfs, transit

    if not args.gtfs or not args.depart:
        raise InputError(
            "Für --mode transit bitte den Fahrplan (--gtfs FAHRPLAN.zip) und die "
            'Abfahrt (--depart "2014-06-02 08:00") angeben.'
        )
    date, depart_s = gtfs.parse_departure(args.depart)
    tt = gtfs.import_feed(args.gtfs, date, settings.cache_dir(args.cache))
    if net is not None and tt.crs != settings.CRS_METRIC:
        net = None  # the feed lies outside Europe: walks by straight line × detour
    params = transit.TransitParams(
        depart_s=depart_s,
        window_min=args.window,
        percentiles=tuple(args.percentile or (settings.TRANSIT_DEFAULT_STATISTIC,)),
    )
    return transit.TransitModel(tt, params, net)


def _cmd_traveltime(args) -> int:
    from . import network, region, traveltime

    road_mode = "walk" if args.mode == settings.TRANSIT_MODE.code else args.mode
    net = None
    if args.osm:
        net = network.build_networks(Path(args.osm), modes=[road_mode])[road_mode]
    elif args.region:
        net = (
            region.load_region(args.region, args.data, args.cache)
            .networks([road_mode])
            .get(road_mode)
        )
    if args.mode == settings.TRANSIT_MODE.code:
        net = _transit_model(args, net)
    od = traveltime.od_from_csv(args.from_csv, args.to_csv, args.mode, net)
    if args.out:
        from ._io import atomic_path

        with atomic_path(args.out) as tmp:
            od.to_csv(tmp, encoding="utf-8")
    if args.json:
        _print_json(
            {
                "mode": args.mode,
                "model": describe.model_words(od.attrs.get("model") or {}),
                "unit": "Minuten",
                "model_info": od.attrs.get("model"),
                "off_network": od.attrs.get("off_network", []),
                "matrix": {
                    str(o): {str(d): (None if v != v else v) for d, v in row.items()}
                    for o, row in od.to_dict("index").items()
                },
            }
        )
    elif not args.out:
        print(f"# {describe.model_words(od.attrs.get('model') or {})}; Minuten")
        print(od.to_csv(), end="")
    return 0


def _lonlat(text: str) -> tuple[float, float]:
    parts = str(text).replace(";", ",").split(",")
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except (ValueError, IndexError):
        raise InputError(
            f"--to „{text}“: erwartet Länge,Breite in Grad, z. B. „145.77,-16.92“."
        ) from None
    if len(parts) != 2 or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"--to „{text}“: erwartet Länge,Breite in Grad, z. B. „145.77,-16.92“.")
    return lon, lat


def _cmd_transit_map(args) -> int:
    from report import transit_map

    from . import gtfs, transit

    date, depart_s = gtfs.parse_departure(args.depart)
    targets = [_lonlat(t) for t in args.to or []]
    tt = gtfs.import_feed(args.feed, date, settings.cache_dir(args.cache))
    model = transit.TransitModel(
        tt, transit.TransitParams(depart_s=depart_s, window_min=args.window)
    )
    fm = transit_map.draw_feed_map(
        model, args.out, targets, args.name or [], gtfs.agencies(args.feed), args.lang
    )
    print(f"{fm.title} – {fm.model}")
    shares = ", ".join(
        f"{label}: {de_number(100 * s, 1)} %"
        for label, s in zip(fm.classes.labels, fm.shares, strict=True)
    )
    print(f"  Zellen: {de_number(fm.cells, 0)}; Median {de_number(fm.median_min, 1)} min; {shares}")
    print(f"  Karte: {args.out}")
    return 0


def _cmd_transit_import(args) -> int:
    from . import gtfs, region

    date = gtfs.parse_date(args.date) if args.date else gtfs.default_date(args.feed)
    outline, cache = None, settings.cache_dir(args.cache)
    if args.region:
        reg = region.load_region(args.region, args.data, args.cache)
        outline, cache = reg.outline, reg.cache_path
    tt = gtfs.import_feed(args.feed, date, cache, outline, force=args.force)
    info = tt.summary()
    if args.json:
        _print_json(info)
        return 0
    print(
        f"Fahrplan {info['feed']} geprüft: keine Fehler. Verkehrstag {info['date']}"
        f"{' (aus dem Cache)' if info.get('cached') else ''}"
    )
    print(
        f"  Haltestellen: {de_number(info['stops'], 0)} (im Fahrplan {de_number(info['feed_stops'], 0)})"
    )
    print(
        f"  Fahrten an diesem Tag: {de_number(info['trips'], 0)} (im Fahrplan "
        f"{de_number(info['feed_trips'], 0)}), Verbindungen: {de_number(info['connections'], 0)}"
    )
    if info["connections"]:
        first, last = info["first_departure_s"], info["last_arrival_s"]
        print(
            f"  Betrieb: {first // 3600:02d}:{first % 3600 // 60:02d} bis "
            f"{last // 3600:02d}:{last % 3600 // 60:02d} Uhr"
        )
    else:
        print(
            "  Hinweis: An diesem Tag verkehrt keine Fahrt; bitte ein anderes Datum (--date) wählen."
        )
    print(f"  Takt-Fahrten (frequencies.txt): {info['frequencies']}")
    return 0


# ---------------------------------------------------------------------------
# analysis
# ---------------------------------------------------------------------------


def _need_weights(args, reg):
    """Need weights per Gemeinde from ``--need FILE [--need-indicator NAME]`` (or None)."""
    if not getattr(args, "need", None):
        return None
    from . import indicators

    table = indicators.import_indicators(Path(args.need), reg.gemeinden)
    for p in [*table.problems, *table.warnings]:
        print(f"Hinweis Indikatortabelle: {p}", file=sys.stderr)
    if not table.indicators:
        raise InputError(f"{Path(args.need).name}: keine Indikatorspalte mit Zahlen gefunden.")
    name = args.need_indicator or table.indicators[0]
    if name not in table.indicators:
        raise InputError(
            f"Indikator „{name}“ nicht in der Tabelle (vorhanden: {', '.join(table.indicators)})."
        )
    return indicators.need_weights(table, name, reg.gemeinden)


def _cmd_analyze(args) -> int:
    from . import analysis, region

    reg = _with_demand(region.load_region(args.region, args.data, args.cache), args)
    params = analysis.AnalysisParams(
        kinds=args.kind or (),
        target=args.target,
        mode=args.mode,
        threshold_min=args.threshold,
        decay=args.decay,
    )
    weights = _need_weights(args, reg)
    payload = analysis.cli_payload(reg, params, need_weights=weights)
    payload["columns"] = ptables.column_labels(params.target, payload["params"]["threshold_min"])
    payload["model_info"] = payload["model"]
    payload["model"] = describe.model_words(payload["model_info"])
    payload["demand"] = {**reg.meta.get("demand", {}), "labels": describe.demand_lines(reg.meta)}
    if args.json:
        _print_json(payload)
        return 0
    t = payload["totals"]
    print(f"{payload['label']}: {payload['model']}")
    for key, label in payload["columns"].items():
        if key in t:
            print(f"  {label}: {t[key]}")
    worst = t.get("worst_gemeinden") or []
    if worst:
        print("  Größte Versorgungslücken: " + ", ".join(w["name"] for w in worst))
    return 0


def _arg(args: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(args, Mapping):
            if args.get(n) is not None:
                return args[n]
        elif getattr(args, n, None) is not None:
            return getattr(args, n)
    return default


def cli_export(args: Any) -> Path:
    """``nahraum export``: load the region, analyse, write one file.

    Parameters
    ----------
    args : argparse.Namespace, mapping or any object with attributes
        ``region`` (default "default"), ``kind`` (categories/subcategories,
        comma-separated), ``target``, ``mode``, ``threshold`` (minutes),
        ``fmt``/``format`` (png, pdf, svg, xlsx, csv, csv-int, gpkg; default
        from ``out``), ``out``, ``paper``, ``dpi``, ``data_dir``/``data``,
        ``cache_dir``/``cache``; optional ``measure``, ``title``,
        ``planning`` (file of planning regions), ``choropleth``.

    Returns
    -------
    Path
        The written file.
    """
    from report.export import (
        FORMATS,
        MAP_FORMATS,
        TABLE_FORMATS,
        export_format,
        export_geopackage,
        export_table,
        render_map,
    )

    from . import analysis
    from . import region as region_mod
    from .planning import read_planning

    out = _arg(args, "out")
    if not out:
        raise InputError("Bitte mit --out die Zieldatei angeben (z. B. karte.pdf).")
    out = Path(out)
    fmt = export_format(out, _arg(args, "fmt", "format"), FORMATS)
    data_dir = _arg(args, "data_dir", "data")
    cache_dir = _arg(args, "cache_dir", "cache")
    reg = _with_demand(
        region_mod.load_region(_arg(args, "region", default="default"), data_dir, cache_dir), args
    )
    mode = _arg(args, "mode", default=settings.DEFAULT_MODE)
    params = analysis.AnalysisParams(
        kinds=_arg(args, "kind", "kinds", default=()),
        target=_arg(args, "target", default=settings.DEFAULT_TARGET_GROUP),
        mode=mode,
        threshold_min=_arg(args, "threshold", "threshold_min"),
        measure=_arg(args, "measure", default=settings.DEFAULT_MEASURE),
    )
    networks = reg.networks([mode]) if hasattr(reg, "networks") else {}
    result = analysis.analyze(reg, params, networks, _arg(args, "need_weights"))
    planning_file = _arg(args, "planning")
    planning = read_planning(planning_file, reg) if planning_file else None
    if fmt in MAP_FORMATS:
        return render_map(
            reg,
            result,
            out,
            fmt=fmt,
            paper=_arg(args, "paper", default="A4"),
            dpi=_arg(args, "dpi", default=settings.MAP_DPI),
            title=_arg(args, "title"),
            choropleth=_arg(args, "choropleth"),
            planning=planning,
            data_dir=data_dir,
            cache_dir=cache_dir,
        )
    if fmt in TABLE_FORMATS:
        return export_table(result, out, fmt=fmt, planning=planning)
    return export_geopackage(reg, result, out, planning=planning)


def _cmd_export(args) -> int:
    from . import region

    if args.need:
        args.need_weights = _need_weights(
            args, region.load_region(args.region, args.data, args.cache)
        )
    path = cli_export(args)
    print(f"Geschrieben: {path}")
    return 0


# ---------------------------------------------------------------------------
# planning standards
# ---------------------------------------------------------------------------


def read_scenario_file(path: str):
    """A scenario from its JSON file (scenario store) or a GeoJSON/GeoPackage export."""
    from . import _scenario_io, _tables, scenario

    data, name = _tables.read_source(Path(path), None)
    if data.startswith(b"SQLite format 3") or b'"FeatureCollection"' in data[:4096]:
        return _scenario_io.import_scenario(data, name)
    return scenario.Scenario.from_json(data, source=name)


def standards_check(args):
    """The standards check of ``nahraum standards`` / ``profile`` from the parsed arguments."""
    from . import inventory, region, standards, standards_check

    reg = _with_demand(region.load_region(args.region, args.data, args.cache), args)
    std = standards.read_standards(args.standards)
    scn = read_scenario_file(args.scenario) if getattr(args, "scenario", None) else None
    services = inventory.active_services(reg, args.cache)
    result = standards_check.check(reg, std, scenario=scn, services=services)
    if getattr(args, "planning", None):
        from . import planning

        plan = planning.read_planning(Path(args.planning), reg, allow_incomplete=True)
        result = standards_check.by_planning(result, plan)
    return reg, result


def _cmd_standards(args) -> int:
    from present import describe
    from present import standards as pstd

    reg, result = standards_check(args)
    if args.json:
        _print_json(result.to_dict())
        return 0
    meta = result.meta
    extra = [
        x
        for x in (
            meta.get("scenario") and f"Szenario „{meta['scenario']}“",
            *describe.demand_lines(reg.meta),
        )
        if x
    ]
    print(
        f"Richtwerte {result.standards.source} – {reg.label}"
        + (f" ({'; '.join(extra)})" if extra else "")
    )
    for note in meta.get("notes", []):
        print(f"  Hinweis: {note}")
    types = {r.rule: r.types for r in result.standards.rules}
    for r in result.records():
        r["types"] = types.get(r["rule"], ())
        print(
            f"  {r['name']} ({r['key']}) – {r['rule']}: {pstd.status_label(r['status'])}. "
            f"{pstd.reason(r)}"
        )
    counts = ", ".join(f"{pstd.status_label(k)} {v}" for k, v in result.counts().items())
    print(f"  Zusammen: {counts}")
    return 0


def _cmd_profile(args) -> int:
    from report import profile as rp

    from . import analysis, inventory, planning, profile, region, standards

    base = region.load_region(args.region, args.data, args.cache)
    target = _with_demand(base, args)
    params = analysis.AnalysisParams(
        kinds=args.kind or (),
        target=args.target,
        mode=args.mode,
        threshold_min=args.threshold,
        measure=args.measure,
    )
    plan = (
        planning.read_planning(Path(args.planning), base, allow_incomplete=True)
        if args.planning
        else None
    )
    scn = read_scenario_file(args.scenario) if args.scenario else None
    data = profile.build(
        base,
        params,
        standards.read_standards(args.standards),
        planning=plan,
        scenario=scn,
        demand_region=target if target is not base else None,
        services=inventory.active_services(base, args.cache),
    )
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        path = rp.write_xlsx(data, out, lang=args.lang)
    elif suffix == ".png":
        if not args.page:
            raise InputError(
                "Für eine PNG-Seite bitte den Steckbrief mit --page AGS (oder den "
                "Namen des Planungsraums) angeben."
            )
        path = rp.render_page(data, args.page, out, lang=args.lang)
    else:
        path = rp.write_pdf(data, out, lang=args.lang)
    print(f"Geschrieben: {path} ({len(data.units)} Steckbriefe)")
    return 0


# ---------------------------------------------------------------------------
# app
# ---------------------------------------------------------------------------


def _cmd_atlas(args) -> int:
    from report.atlas import write_tables

    from . import atlas

    spec = atlas.make_spec(
        args.region,
        args.kinds,
        args.modes,
        args.targets,
        args.threshold,
        args.data,
        args.cache,
        gtfs=args.gtfs,
        depart=args.depart,
        window_min=args.window,
    )
    kreise = atlas.kreise_of(spec)
    print(
        f"Atlas {spec.region}: {len(kreise)} Kreise × {len(spec.modes)} Verkehrsarten, je "
        f"{len(spec.kinds)} Kategorien × {len(spec.targets)} Zielgruppen → {args.out}"
    )
    report = atlas.run_atlas(
        spec, args.out, scheduler=args.scheduler, workers=args.workers, memory_limit=args.memory
    )
    files = write_tables(args.out)
    print(
        f"Fertig in {de_number(report.wall_s, 1)} s: {len(report.computed)} Teile berechnet, "
        f"{len(report.skipped)} übersprungen, {len(report.failed)} fehlgeschlagen; "
        f"{len(files)} Tabellen in {args.out}."
    )
    for text in report.failed.values():
        print("  " + text, file=sys.stderr)
    return 0 if report.ok else 1


def _cmd_app(args) -> int:
    env = dict(os.environ)
    if args.data:
        env[settings.DATA_ENV_VAR] = str(Path(args.data).resolve())
    if args.cache:
        env[settings.CACHE_ENV_VAR] = str(Path(args.cache).resolve())
    env["NAHRAUM_REGION"] = args.region
    if getattr(args, "atlas", None):
        env[settings.ATLAS_ENV_VAR] = str(Path(args.atlas).resolve())
    if getattr(args, "workshop_lan", False):
        env[settings.PARTICIPANT_LAN_ENV] = "1"
    # ui/launch.py: ``streamlit run app.py`` plus the shared caches preloaded in the background
    cmd = [
        sys.executable,
        str(settings.REPO_ROOT / "ui" / "launch.py"),
        str(settings.REPO_ROOT / "app.py"),
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    return subprocess.call(cmd, env=env, cwd=settings.REPO_ROOT)


# ---------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``nahraum`` command line (German help texts)."""
    parser = argparse.ArgumentParser(
        prog="nahraum", description="Nahraum – Planung wohnortnaher Angebote"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    reg = sub.add_parser("region", help="Regionen bauen und beschreiben")
    reg_sub = reg.add_subparsers(dest="action", required=True)
    p = reg_sub.add_parser("build", help="Regionspaket in den Cache schreiben")
    _region_arg(p)
    _common(p)
    p.add_argument("--force", action="store_true", help="auch neu bauen, wenn nichts geändert ist")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_region_build)
    p = reg_sub.add_parser("info", help="Kennzahlen einer Region")
    _region_arg(p)
    _common(p)
    p.add_argument("--json", action="store_true")
    _demand_args(p)
    p.set_defaults(func=_cmd_region_info)
    p = reg_sub.add_parser("list", help="verfügbare Regionen")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_region_list)

    svc = sub.add_parser("services", help="Angebotslisten prüfen, importieren, exportieren")
    svc_sub = svc.add_subparsers(dest="action", required=True)
    p = svc_sub.add_parser("import", help="Datei gegen eine Region prüfen und verorten")
    p.add_argument("file", help="CSV, XLSX, GeoJSON oder GeoPackage")
    _region_arg(p)
    _common(p)
    p.add_argument(
        "--out", help="geprüfte und verortete Angebote hierhin schreiben (Endung = Format)"
    )
    p.add_argument("--layer", help="Tabellenblatt (XLSX) oder Ebene (GeoPackage), Name oder Nummer")
    p.add_argument(
        "--save",
        action="store_true",
        help="als eigenen Angebotsbestand der Region speichern (ersetzt den bisherigen)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_services_import)
    p = svc_sub.add_parser("export", help="Angebote einer Region exportieren")
    _region_arg(p)
    _common(p)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_services_export)

    inv = sub.add_parser("inventory", help="Eigener Angebotsbestand: zeigen, ändern, exportieren")
    inv_sub = inv.add_subparsers(dest="action", required=True)
    p = inv_sub.add_parser("show", help="Bestand und Abdeckung (welche Kreise) zeigen")
    _region_arg(p)
    _common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_inventory)
    p = inv_sub.add_parser("export", help="Bestand als CSV/XLSX/GeoJSON/GeoPackage schreiben")
    _region_arg(p)
    _common(p)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_inventory)
    p = inv_sub.add_parser("edit", help="Felder eines Angebots ändern (--set status=geschlossen)")
    _region_arg(p)
    _common(p)
    p.add_argument("id")
    p.add_argument("--set", action="append", metavar="FELD=WERT")
    p.set_defaults(func=_cmd_inventory)
    p = inv_sub.add_parser("move", help="Lage eines Angebots von Hand setzen")
    _region_arg(p)
    _common(p)
    p.add_argument("id")
    p.add_argument("--lat", type=float, required=True)
    p.add_argument("--lon", type=float, required=True)
    p.add_argument("--precision", default="manual", choices=["manual", "street"])
    p.set_defaults(func=_cmd_inventory)
    p = inv_sub.add_parser("log", help="Änderungsprotokoll")
    _region_arg(p)
    _common(p)
    p.add_argument("--last", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_inventory)

    net = sub.add_parser("network", help="Straßennetze aus OpenStreetMap")
    net_sub = net.add_subparsers(dest="action", required=True)
    p = net_sub.add_parser("build", help="Fuß-, Rad- und Autonetz für eine Region bauen")
    _region_arg(p)
    _common(p)
    p.add_argument("--osm", help="OSM-Datei (.osm, .osm.gz, .osm.bz2, .osm.pbf)")
    p.add_argument(
        "--download",
        action="store_true",
        help="Netz über die Overpass-API herunterladen (braucht Internet)",
    )
    p.add_argument("--modes", default="walk,walk_slow,bike,car")
    p.add_argument("--force", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_network_build)

    p = sub.add_parser("traveltime", help="Fahrzeitmatrix (Minuten) zwischen zwei Punktlisten")
    p.add_argument(
        "--region", help="Straßennetz dieser Region verwenden (sonst Luftlinie × Umwegfaktor)"
    )
    p.add_argument("--osm", help="Straßennetz aus dieser OSM-Datei bauen")
    _common(p)
    p.add_argument("--mode", required=True, choices=list(settings.TRAVEL_MODES))
    p.add_argument("--from", dest="from_csv", required=True, help="CSV mit Spalten id, lat, lon")
    p.add_argument("--to", dest="to_csv", required=True, help="CSV mit Spalten id, lat, lon")
    p.add_argument("--out", help="Matrix als CSV hierhin schreiben")
    p.add_argument("--json", action="store_true")
    _timetable_args(p)
    p.add_argument(
        "--percentile",
        type=float,
        action="append",
        help="statt des Medians dieses Perzentil der Abfahrtsminuten (z. B. 25)",
    )
    p.set_defaults(func=_cmd_traveltime)

    tr = sub.add_parser("transit", help="Fahrpläne (GTFS) prüfen und importieren")
    tr_sub = tr.add_subparsers(dest="action", required=True)
    p = tr_sub.add_parser("import", help="GTFS-ZIP prüfen, auf die Region zuschneiden, cachen")
    p.add_argument("feed", help="GTFS-ZIP")
    p.add_argument(
        "--region", help="auf diese Region (mit Rand) zuschneiden; ohne: ganzer Fahrplan"
    )
    p.add_argument(
        "--date", help="Verkehrstag JJJJ-MM-TT (Standard: erster Dienstag der Gültigkeit)"
    )
    p.add_argument("--force", action="store_true", help="neu einlesen, auch wenn im Cache")
    _common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_transit_import)

    p = tr_sub.add_parser(
        "map", help="Karte der ÖPNV-Reisezeit über das ganze Fahrplangebiet (Fahrplan prüfen)"
    )
    p.add_argument("feed", help="GTFS-ZIP")
    p.add_argument("--depart", required=True, help="Abfahrt, z. B. „2014-06-02 07:00“")
    p.add_argument("--window", type=int, default=120, help="Zeitfenster in Minuten (0: eine)")
    p.add_argument(
        "--to",
        action="append",
        metavar="LON,LAT",
        help="Ziel in Grad (WGS84), mehrfach möglich; ohne: die Haltestelle mit den "
        "meisten Abfahrten",
    )
    p.add_argument("--name", action="append", help="Name des Ziels (in der Reihenfolge von --to)")
    p.add_argument("--out", required=True, help="Ausgabedatei (.png, .pdf oder .svg)")
    p.add_argument("--lang", choices=("de", "en"), default="de")
    _common(p)
    p.set_defaults(func=_cmd_transit_map)

    p = sub.add_parser("analyze", help="Erreichbarkeit und Versorgungslücken je Gemeinde")
    _region_arg(p)
    _common(p)
    _analysis_args(p)
    p.add_argument(
        "--decay",
        default=settings.DEFAULT_DECAY,
        choices=[*settings.DECAYS, "none"],
        help="Distanzgewichtung der E2SFCA",
    )
    _need_args(p)
    _demand_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser(
        "export", help="Karte (PNG/PDF/SVG), Tabelle (XLSX/CSV) oder GeoPackage schreiben"
    )
    _region_arg(p)
    _common(p)
    _analysis_args(p)
    p.add_argument("--measure", default=settings.DEFAULT_MEASURE, choices=list(settings.MEASURES))
    p.add_argument(
        "--format",
        choices=["png", "pdf", "svg", "xlsx", "csv", "csv-int", "gpkg"],
        help="Ausgabeformat (Standard: aus der Dateiendung)",
    )
    p.add_argument("--out", required=True, help="Zieldatei")
    p.add_argument("--paper", default="A4", choices=list(settings.MAP_PAPERS_MM))
    p.add_argument("--dpi", type=int, default=settings.MAP_DPI)
    p.add_argument("--title", help="eigener Kartentitel")
    p.add_argument(
        "--planning", help="Planungsräume (GeoJSON/GPKG-Polygone oder CSV/XLSX mit AGS-Listen)"
    )
    p.add_argument("--choropleth", help="Gemeinde-Kennzahl als Flächenfarbe")
    _need_args(p)
    _demand_args(p)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "standards", help="Bestand gegen Richtwerte prüfen (je Gemeinde, Kreis, Planungsraum)"
    )
    _region_arg(p)
    _common(p)
    _standards_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_standards)

    p = sub.add_parser("profile", help="Steckbriefe je Gemeinde oder Planungsraum (PDF/XLSX/PNG)")
    _region_arg(p)
    _common(p)
    _standards_args(p)
    _analysis_args(p)
    p.add_argument("--measure", default=settings.DEFAULT_MEASURE, choices=list(settings.MEASURES))
    p.add_argument(
        "--out",
        required=True,
        help="Zieldatei: .pdf (alle Seiten mit Inhalt), "
        ".xlsx (dieselben Zahlen) oder .png (--page)",
    )
    p.add_argument("--page", help="nur dieser Steckbrief als PNG (AGS oder Planungsraum)")
    p.add_argument("--lang", default="de", choices=["de", "en"])
    p.set_defaults(func=_cmd_profile)

    p = sub.add_parser(
        "atlas", help="Alle Maße je Kreis × Verkehrsart × Kategorie × Zielgruppe (auf Dask)"
    )
    _region_arg(p)
    _common(p)
    p.add_argument("--kinds", default="all", help="Kategorien, kommagetrennt, oder all")
    p.add_argument(
        "--modes", default="walk,bike,car", help="Verkehrsarten, kommagetrennt (transit: ÖPNV)"
    )
    _timetable_args(p, per_kreis=True)
    p.add_argument("--targets", default="all", help="Zielgruppen, kommagetrennt, oder all")
    p.add_argument("--threshold", type=float, help="ein Schwellenwert (min) für alle Verkehrsarten")
    p.add_argument("--out", required=True, help="Atlas-Ordner (fertige Teile bleiben erhalten)")
    p.add_argument("--scheduler", help="Adresse eines laufenden Dask-Schedulers (tcp://…)")
    p.add_argument("--workers", type=int, help="Arbeitsprozesse des lokalen Clusters (Standard 2)")
    p.add_argument("--memory", help="Speichergrenze je lokalem Arbeitsprozess, z. B. 4GB")
    p.set_defaults(func=_cmd_atlas)

    p = sub.add_parser("app", help="Die Planungsoberfläche starten (lokal, offline)")
    _region_arg(p)
    _common(p)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument(
        "--address",
        default="127.0.0.1",
        help="Adresse, an die der Server bindet (Standard: nur dieser Rechner)",
    )
    p.add_argument(
        "--workshop-lan",
        action="store_true",
        help="Workshop-Ansicht: Mitmach-Seite für Telefone im lokalen Netz gleich öffnen "
        "(eigener Port; die Planungsoberfläche bleibt auf dieser Adresse)",
    )
    p.add_argument("--atlas", help="einen Atlas-Ordner nur lesend öffnen (nahraum atlas --out)")
    p.set_defaults(func=_cmd_app)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``nahraum`` command; German errors print without a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NahraumError as exc:
        if getattr(args, "json", False):
            _print_json({"error": exc.message, "problems": [p.to_dict() for p in exc.problems]})
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
