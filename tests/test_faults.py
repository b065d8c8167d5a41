"""Faults: a process killed while saving scenarios leaves the last complete state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from geo import scenario_store, settings

WRITER = textwrap.dedent("""
    import sys
    from geo import scenario, scenario_store
    store = scenario_store.ScenarioStore(sys.argv[1])
    history = store.open("Workshop")
    i = 0
    print("ready", flush=True)
    while True:
        i += 1
        history.add(scenario.AddSite(x=4400000.0 + i, y=3100000.0, name=f"Standort {i}",
                                     category="Familie"))
""")


@pytest.mark.parametrize("delay", [0.2, 0.35, 0.5, 0.7])
def test_kill_during_save_keeps_last_complete_state(tmp_path, delay):
    folder = tmp_path / "store"
    env = dict(os.environ, PYTHONPATH=str(settings.REPO_ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder)],
        stdout=subprocess.PIPE,
        env=env,
        cwd=settings.REPO_ROOT,
    )
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(delay)  # many saves happen meanwhile
    assert proc.poll() is None, "the writer must still be saving when it is killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    store = scenario_store.ScenarioStore(folder)
    loaded = store.load("Workshop")
    n = len(loaded.changes)
    assert n >= 1
    # The state is complete: changes are numbered 1..n without gaps.
    assert [c.name for c in loaded.changes] == [f"Standort {i}" for i in range(1, n + 1)]
    assert store.damaged() == []
    # Only the scenario file remains: no temp file is mistaken for a scenario.
    assert [s.name for s in store.list()] == ["Workshop"]
