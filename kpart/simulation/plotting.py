"""PNG charts of simulation results (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from kpart.simulation.keys import KeyDistribution  # noqa: E402
from kpart.simulation.metrics import SimulationResult  # noqa: E402

STYLE = {"figure.dpi": 100, "font.size": 11, "axes.titlesize": 13, "axes.grid": True, "grid.alpha": 0.3}


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_balance(results: Sequence[SimulationResult], path: Path) -> Path:
    """Spread (max - min partitions per member) each time the group settled (every rebalance),
    over simulated time; with a producer, also the busiest member's load relative to the mean.

    Lines are offset by a few hundredths so strategies with equal values stay visible; dotted
    verticals mark when each event started.
    """
    with_load = all(e.load_ratio is not None for e in results[0].events)
    with plt.rc_context(STYLE):
        if with_load:
            fig, (ax, load_ax) = plt.subplots(2, 1, figsize=(11.5, 8), sharex=True)
        else:
            fig, ax = plt.subplots(figsize=(11.5, 5))
        n = len(results)
        for i, r in enumerate(results):
            offset = (i - (n - 1) / 2) * 0.04
            points = r.timeline or [(e.end, e.spread, e.load_ratio) for e in r.events]
            times = [p[0] for p in points]
            ax.step(times, [p[1] + offset for p in points], where="post", label=r.strategy,
                    linewidth=2, marker="o", markersize=3, alpha=0.85, zorder=3 + i)
            if with_load:
                load_ax.step(times, [(p[2] or 0.0) + offset / 4 for p in points], where="post",
                             label=r.strategy, linewidth=2, marker="o", markersize=3, alpha=0.85,
                             zorder=3 + i)
        for e in results[0].events[1:]:
            for a in (ax, load_ax) if with_load else (ax,):
                a.axvline(e.start, color="grey", linestyle=":", linewidth=1, zorder=1)
            ax.annotate(e.label, (e.start, 1.0), xycoords=("data", "axes fraction"), rotation=90,
                        va="top", ha="right", fontsize=8, color="dimgrey")
        ax.set_ylabel("spread: max - min\npartitions per member")
        ax.set_title(f"Balance after every rebalance: {results[0].scenario}")
        ax.yaxis.get_major_locator().set_params(integer=True)
        top = max([e.spread for r in results for e in r.events] + [p[1] for r in results for p in r.timeline])
        ax.set_ylim(-0.3, top + 1.2)
        ax.legend(title="strategy", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
        if with_load:
            load_ax.set_ylabel("busiest member's records\n/ mean records per member")
            load_ax.axhline(1.0, color="black", linestyle="--", linewidth=1)
            load_ax.set_xlabel("simulated time (s)")
        else:
            ax.set_xlabel("simulated time (s)")
        return _save(fig, path)


def _grouped_bars(ax: plt.Axes, results: Sequence[SimulationResult], values: list[list[float]]) -> None:
    n = len(results)
    labels = [e.label for e in results[0].events[1:]]
    x = np.arange(len(labels))
    width = 0.8 / n
    for i, (r, vals) in enumerate(zip(results, values, strict=True)):
        bars = ax.bar(x + (i - (n - 1) / 2) * width, vals, width, label=r.strategy)
        if len(labels) <= 3:
            ax.bar_label(bars, labels=[f"{v:,.0f}" for v in vals], fontsize=8)
    ax.set_xticks(x, labels, rotation=25, ha="right")
    ax.legend(title="strategy")


def plot_moved(results: Sequence[SimulationResult], path: Path) -> Path:
    """Partitions handed to a different member, per event, per strategy."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(9, 5))
        _grouped_bars(ax, results, [[e.moved for e in r.events[1:]] for r in results])
        ax.set_ylabel("partitions moved (count)")
        ax.set_title(f"Partitions moved per event: {results[0].scenario}")
        return _save(fig, path)


def plot_unowned(results: Sequence[SimulationResult], path: Path) -> Path:
    """Partition-seconds without a consumer, per event (left) and in total (right)."""
    with plt.rc_context(STYLE):
        fig, (ax, tot) = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [3, 1.3]})
        _grouped_bars(ax, results, [[e.unowned_ps for e in r.events[1:]] for r in results])
        ax.set_ylabel("unowned partition-seconds")
        ax.set_title("Per event")
        totals = [r.totals.unowned_ps for r in results]
        colors = [f"C{i}" for i in range(len(results))]
        bars = tot.bar(range(len(results)), totals, color=colors)
        tot.bar_label(bars, labels=[f"{v:,.0f}" for v in totals], fontsize=9)
        tot.set_xticks(range(len(results)), [r.strategy for r in results], rotation=30, ha="right")
        tot.set_ylabel("unowned partition-seconds")
        tot.set_title("Total")
        fig.suptitle(f"Partition-seconds without an owner: {results[0].scenario}")
        return _save(fig, path)


def plot_key_distribution(dists: Sequence[KeyDistribution], path: Path, title: str = "") -> Path:
    """Records per partition for one or more partitioners, with the even-spread line."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(9, 4.8))
        n = len(dists)
        parts = len(dists[0].per_partition)
        x = np.arange(parts)
        width = 0.8 / n
        for i, d in enumerate(dists):
            ax.bar(x + (i - (n - 1) / 2) * width, d.per_partition, width,
                   label=f"{d.partitioner} (max/mean {d.skew:.2f})")
        ax.axhline(dists[0].records / parts, color="black", linestyle="--", linewidth=1, label="even spread")
        ax.set_xlabel("partition")
        ax.set_ylabel("records")
        ax.set_xticks(x if parts <= 32 else x[:: max(1, parts // 16)])
        ax.set_title(title or f"Records per partition ({parts} partitions)")
        ax.legend()
        return _save(fig, path)


def plot_comparison(results: Sequence[SimulationResult], out_dir: Path,
                    keys: KeyDistribution | None = None) -> list[Path]:
    """All comparison charts into ``out_dir`` (created); returns the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        plot_balance(results, out_dir / "balance_over_time.png"),
        plot_moved(results, out_dir / "moved_per_event.png"),
        plot_unowned(results, out_dir / "unowned_partition_seconds.png"),
    ]
    if keys is not None:
        paths.append(plot_key_distribution([keys], out_dir / "key_distribution.png",
                                           f"Producer records per partition: {results[0].scenario}"))
    return paths
