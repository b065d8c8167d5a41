"""Where one control change's time goes: a rerun of the app, instrumented.

Runs ``app.py`` in-process with Streamlit's ``AppTest`` (no browser), first once to warm
the caches, then changes the threshold (one step) and reruns under ``cProfile``. Printed:
the rerun's wall time, the cumulative time of the page steps and of the known expensive
calls (analysis, overlays, base map, st_folium's string generation, component call),
and the bytes handed to the map component (``st_folium`` arguments: base-map script,
header, feature groups) – what travels to the browser on every rerun.

``--region``: a region name (``NAHRAUM_REGION``), default ``default``.

Run: ``.venv/bin/python benchmarks/breakdown.py [--region thueringen]``; the last line is
``region=… first_run_s=… change_rerun_s=… profiled_rerun_s=… payload_kb=… script_kb=… groups_kb=…``.
"""

from __future__ import annotations

import sys

# benchmarks/profile.py would shadow the standard library's ``profile`` (used by cProfile)
sys.path = [p for p in sys.path if not p.rstrip("/").endswith("benchmarks")]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# (label, file suffix, function name) of the calls reported (cumulative seconds).
WATCHED = [
    ("page.setup", "ui/page.py", "setup"),
    ("page.load", "ui/page.py", "load"),
    ("page.view", "ui/page.py", "view"),
    ("page.header", "ui/page.py", "header"),
    ("page.map_and_panel", "ui/page.py", "map_and_panel"),
    ("page.below_map", "ui/page.py", "below_map"),
    ("analysis.analyze", "geo/analysis.py", "analyze"),
    ("gaps.measure_overlay", "layers/gaps.py", "measure_overlay"),
    ("gaps.overlays", "layers/gaps.py", "overlays"),
    ("map.build_base_map", "layers/map.py", "build_base_map"),
    ("map.overlay_groups", "layers/map.py", "overlay_groups"),
    ("st_folium", "streamlit_folium/__init__.py", "st_folium"),
    ("st_folium: map script", "streamlit_folium/__init__.py", "_get_map_string"),
    ("st_folium: groups", "streamlit_folium/__init__.py", "_get_feature_group_string"),
    ("folium render", "branca/element.py", "render"),
    ("component call", "streamlit/components/v1/custom_component.py", "__call__"),
    ("cache_data hashing", "streamlit/runtime/caching/hashing.py", "update_hash"),
    ("dataframe", "streamlit/elements/arrow.py", "dataframe"),
]


def sizes(kwargs: dict) -> dict[str, int]:
    """Bytes of the component arguments that carry map content."""
    out = {}
    for k in ("script", "header", "html", "feature_group", "layer_control"):
        v = kwargs.get(k)
        out[k] = len(v.encode("utf-8")) if isinstance(v, str) else 0
    links = kwargs.get("css_links", []) + kwargs.get("js_links", [])
    out["links"] = sum(len(x) for x in links)
    out["total"] = len(
        json.dumps({k: v for k, v in kwargs.items() if k != "on_change"}, default=str).encode(
            "utf-8"
        )
    )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--region", default="default")
    p.add_argument(
        "--code", type=Path, default=REPO, help="Checkout, dessen app.py läuft (z. B. /work/main)"
    )
    p.add_argument(
        "--first", action="store_true", help="auch den ersten Lauf profilieren (<out>.first.txt)"
    )
    p.add_argument("--top", type=int, default=25, help="Zeilen des Profils (nach tottime)")
    p.add_argument("--out", type=Path, default=None, help="Profil-Textdatei")
    args = p.parse_args(argv)
    os.environ["NAHRAUM_REGION"] = args.region
    code = args.code.resolve()
    sys.path.insert(0, str(code))
    os.chdir(code)

    import streamlit_folium
    from streamlit.testing.v1 import AppTest

    captured: list[dict] = []
    original = streamlit_folium._component_func

    def spy(**kwargs):
        captured.append(sizes(kwargs))
        return original(**kwargs)

    streamlit_folium._component_func = spy
    # The script runs in AppTest's own thread: profile inside it (the wrapper runs app.py).
    wrapper = (
        "import builtins, cProfile\n"
        "prof = cProfile.Profile()\n"
        "builtins._nahraum_profiles.append(prof)\n"
        "if builtins._nahraum_profile_on:\n"
        "    prof.enable()\n"
        "try:\n"
        f"    exec(compile(open({str(code / 'app.py')!r}).read(), 'app.py', 'exec'))\n"
        "finally:\n"
        "    prof.disable()\n"
    )
    import builtins

    builtins._nahraum_profiles = []  # type: ignore[attr-defined]
    builtins._nahraum_profile_on = args.first  # type: ignore[attr-defined]
    at = AppTest.from_string(wrapper, default_timeout=900)
    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    if at.exception:
        print(at.exception)
        return 1
    if args.first:  # the first run's profile (region, base map, first field)
        builtins._nahraum_profile_on = False  # type: ignore[attr-defined]
        first_prof = builtins._nahraum_profiles[-1]  # type: ignore[attr-defined]
        with (args.out or Path(os.devnull)).with_suffix(".first.txt").open("w") as fh:
            pstats.Stats(first_prof, stream=fh).sort_stats("cumulative").print_stats(80)
    t = time.perf_counter()
    at.run()
    same = time.perf_counter() - t

    def step() -> tuple[int, int]:
        slider = next(s for s in at.select_slider if s.key and s.key.startswith("threshold_"))
        options = [int(str(o).split()[0]) for o in slider.options]
        old = int(slider.value)
        i = options.index(old)
        new = options[i + 1 if i + 1 < len(options) else i - 1]
        slider.set_value(new)
        return old, new

    plain = []
    for _ in range(3):  # control changes without the profiler
        step()
        t = time.perf_counter()
        at.run()
        plain.append(time.perf_counter() - t)
    change = sorted(plain)[1]
    old, new = step()
    builtins._nahraum_profile_on = True  # type: ignore[attr-defined]
    t = time.perf_counter()
    at.run()
    prof = builtins._nahraum_profiles[-1]  # type: ignore[attr-defined]
    rerun = time.perf_counter() - t
    if at.exception:
        print(at.exception)
        return 1

    stats = pstats.Stats(prof)
    found: dict[str, float] = {}
    for (file, _line, fn), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for label, suffix, name in WATCHED:
            if fn == name and file.replace("\\", "/").endswith(suffix):
                found[label] = max(found.get(label, 0.0), ct)
    loadavg = Path("/proc/loadavg")
    load = loadavg.read_text().split()[:3] if loadavg.exists() else []
    print(f"Region {args.region}; Code {code}; Last: {' '.join(load)}")
    print(f"Erster Lauf (Region laden, Karte, Analyse): {first:.2f} s")
    print(f"Neulauf ohne Änderung: {same:.2f} s")
    print(f"Neulauf nach einer Schwellenwert-Änderung (Median von 3): {change:.2f} s")
    print(f"Neulauf nach Schwellenwert {old} → {new} (mit Profiler): {rerun:.2f} s")
    print("Kumulierte Zeit je Schritt (Profiler, s):")
    for label, _s, _n in WATCHED:
        if label in found:
            print(f"  {label:<26}{found[label]:>7.2f}")
    last = captured[-1] if captured else {}
    print("Kartenkomponente, Bytes je Neulauf:")
    for k, v in last.items():
        print(f"  {k:<26}{v / 1024:>9.1f} KiB")
    text = Path(args.out) if args.out else None
    if text is not None:
        with text.open("w") as fh:
            pstats.Stats(prof, stream=fh).sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(args.top)
    print(
        f"region={args.region} first_run_s={first:.2f} change_rerun_s={change:.2f} "
        f"profiled_rerun_s={rerun:.2f} "
        f"same_rerun_s={same:.2f} payload_kb={last.get('total', 0) / 1024:.0f} "
        f"script_kb={last.get('script', 0) / 1024:.0f} "
        f"groups_kb={last.get('feature_group', 0) / 1024:.0f} loadavg={load[0] if load else 'nan'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
