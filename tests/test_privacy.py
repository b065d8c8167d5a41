"""Privacy and supply-chain protections: each test fails when its protection is removed."""

from __future__ import annotations

import re
import socket
import tomllib

import pandas as pd
import pytest

from geo import analysis, cli, region, settings
from report import export

ROOT = settings.REPO_ROOT


def _names(reqs: list[str]) -> set[str]:
    return {
        re.split(r"[<>=\[;! ]", r, maxsplit=1)[0].strip().lower().replace("_", "-") for r in reqs
    }


def test_every_dependency_is_pinned_in_the_lock_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = _names(project["dependencies"]) | _names(project["optional-dependencies"]["test"])
    lock = (ROOT / "requirements.lock").read_text("utf-8").splitlines()
    pinned = {}
    for line in lock:
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pinned[name.lower().replace("_", "-")] = version
    missing = sorted(w for w in wanted if w not in pinned)
    assert not missing, f"not pinned in requirements.lock: {missing}"


def test_setup_installs_from_the_lock_file():
    script = (ROOT / "nahraum.sh").read_text("utf-8")
    assert re.search(r"pip install[^\n]*-r requirements\.lock", script)
    assert "--no-deps" in script  # the project itself adds nothing unpinned


def test_server_binds_to_localhost_without_telemetry():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"]["address"] in ("localhost", "127.0.0.1")
    args = cli.build_parser().parse_args(["app"])
    assert args.address == "127.0.0.1"


def test_no_cdn_or_tile_server_in_code():
    pattern = re.compile(r"cdn\.jsdelivr|unpkg\.com|cdnjs|googleapis|bootstrapcdn|code\.jquery")
    offenders = []
    for path in [
        *ROOT.joinpath("geo").rglob("*.py"),
        *ROOT.joinpath("layers").rglob("*.py"),
        *ROOT.joinpath("ui").rglob("*.py"),
        ROOT / "app.py",
    ]:
        for i, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{i}")
    assert not offenders, offenders


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to reach a non-loopback address fails the test."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if (
            isinstance(host, str)
            and host not in ("127.0.0.1", "::1", "localhost")
            and self.family in (socket.AF_INET, socket.AF_INET6)
        ):
            attempts.append(str(address))
            raise OSError("network blocked by test")
        return real_connect(self, address)

    def guarded_getaddrinfo(host, *a, **k):
        if host not in ("127.0.0.1", "::1", "localhost", None):
            attempts.append(f"dns:{host}")
            raise OSError("DNS blocked by test")
        return socket._real_getaddrinfo(host, *a, **k)

    socket._real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts
    assert not attempts, f"network use: {attempts}"


def test_pipeline_runs_with_sockets_blocked(no_network, tmp_path):
    reg = region.load_region("default", cache_dir=tmp_path / "cache")
    params = analysis.AnalysisParams(
        kinds=("Familie",), target="single_parent_hh", mode="bike", threshold_min=30
    )
    result = analysis.analyze(reg, params, reg.networks([params.mode]))
    export.render_map(reg, result, tmp_path / "karte.png", dpi=72, cache_dir=tmp_path / "cache")
    export.export_table(result, tmp_path / "tabelle.xlsx", fmt="xlsx")
    assert (tmp_path / "karte.png").stat().st_size > 10_000


def test_small_counts_suppressed_in_table_exports(tmp_path):
    reg = region.load_region("default", cache_dir=tmp_path / "cache")
    # Foreign nationals in small Gemeinden: many counts below 3.
    params = analysis.AnalysisParams(
        kinds=("Beratung",), target="foreign", mode="walk", threshold_min=15
    )
    result = analysis.analyze(reg, params)
    raw = result.gemeinden[["people_within", "people_beyond", "people"]].round().to_numpy()
    assert ((raw > 0) & (raw < 3)).any(), "the case must contain small counts"
    out = tmp_path / "t.csv"
    export.export_table(result, out, fmt="csv-int")
    text = out.read_text("utf-8-sig")
    assert "<3" in text
    checked = [c for c in pd.read_csv(out, nrows=0).columns if c.endswith("(Personen)")]
    assert len(checked) >= 2, checked
    table = pd.read_csv(out, dtype=str)
    for col in table.columns:
        values = pd.to_numeric(table[col].str.replace(",", ""), errors="coerce")
        if col.endswith(("(Personen)", "(Haushalte)")):
            small = values[(values > 0) & (values < 3)]
            assert small.empty, f"{col}: unsuppressed small counts {small.tolist()}"
