"""The figures quoted in the docs are the ones the simulator prints today."""

from __future__ import annotations

import re
from pathlib import Path

from kpart.simulation import compare, comparison_table, default_scenario, load_scenario, simulate
from kpart.simulation.report import events_table

ROOT = Path(__file__).resolve().parents[2]


def test_index_table_is_the_default_comparison() -> None:
    text = (ROOT / "docs" / "index.md").read_text()
    quoted = text.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    printed = comparison_table(compare(default_scenario(), progress=False)).splitlines()
    # every row but the measured assign time
    assert [r for r in quoted if not r.startswith("assign time")] == \
           [r for r in printed if not r.startswith("assign time")]


def test_rolling_restart_table_of_the_guide() -> None:
    text = (ROOT / "docs" / "choosing-a-strategy.md").read_text()
    rows = re.findall(r"^\| (range|roundrobin|sticky|cooperative-sticky) \| (.+) \|$", text, re.MULTILINE)
    assert [name for name, _ in rows] == ["range", "roundrobin", "sticky", "cooperative-sticky"]
    scenario = load_scenario(ROOT / "examples" / "scenarios" / "rolling-restart.yaml")
    results = compare(scenario, [n for n, _ in rows], progress=False)
    for (name, cells), result in zip(rows, results, strict=True):
        t = result.totals
        expected = [t.rebalances, t.moved, t.revoked, round(t.unowned_ps)]
        assert [int(c.strip().replace(",", "")) for c in cells.split("|")] == expected, name


def test_migration_figures_of_the_guide() -> None:
    text = (ROOT / "docs" / "choosing-a-strategy.md").read_text()
    section = text.split("**Migrating a group.**", 1)[1]
    quoted = section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    scenario = load_scenario(ROOT / "examples" / "scenarios" / "migrate-to-consumer-protocol.yaml")
    printed = events_table(simulate(scenario, "cooperative-sticky")).splitlines()
    assert quoted == printed[:len(quoted)] and len(quoted) == len(scenario.events) + 3
    rows = re.findall(r"^\| `([a-z-]+)` \| (.+) \|$", section, re.MULTILINE)
    assert [name for name, _ in rows] == ["range", "cooperative-sticky"]
    results = compare(scenario, [n for n, _ in rows], progress=False)
    for (name, cells), result in zip(rows, results, strict=True):
        t = result.totals
        expected = [t.rebalances, t.moved, t.revoked, round(t.unowned_ps)]
        assert [int(c) for c in cells.split("|")] == expected, name
