"""``kpart soak``: faults on a real three-node cluster; nothing lost, nobody double-owns."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
from pathlib import Path

from kpart.commands._common import fail, strategy_list


def _faults(text: str) -> tuple[str, ...]:
    from kpart.soak.schedule import FAULTS

    names = tuple(strategy_list(text))
    for n in names:
        if n not in FAULTS:
            raise argparse.ArgumentTypeError(f"unknown fault {n!r}; known: {', '.join(FAULTS)}")
    return names


def _mix(text: str) -> tuple[str, ...]:
    from kpart.soak.members import parse_mix

    try:
        return parse_mix(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--mix: ")) from None


def run(args: argparse.Namespace) -> int:
    from kafka.errors import KafkaError

    from kpart.broker import BrokerError
    from kpart.soak.runner import SoakConfig, SoakRun

    if args.duration < 30:
        return fail(f"--duration must be at least 30 s, got {args.duration:g}")
    if not 1 <= args.members <= 8:
        return fail(f"--members must be 1..8, got {args.members}")
    if args.client_config is not None:
        from kpart.client_config import ENVIRONMENT, load_client_config

        try:
            security = load_client_config(args.client_config)
        except ValueError as exc:
            return fail(str(exc))
        others = [c for c in args.mix if c != "kafka-python"]
        if others:
            return fail(f"--client-config is carried by kafka-python members only; --mix also names "
                        f"{', '.join(sorted(set(others)))}")
        if security.security_protocol != "SASL_PLAINTEXT":
            return fail(f"{args.client_config}: security.protocol: the soak's own cluster serves "
                        f"SASL_PLAINTEXT only, not {security.security_protocol}")
        os.environ[ENVIRONMENT] = str(args.client_config.resolve())  # for every process it starts
    cfg = SoakConfig(strategies=tuple(args.strategies), members=args.members, duration_s=args.duration,
                     faults=args.faults, seed=args.seed, directory=args.dir, mix=args.mix)
    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)  # cleaned up like Ctrl-C, even when started in
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the background (SIGINT ignored)
    say = (lambda line: print(line, file=sys.stderr, flush=True)) if args.json else \
        (lambda line: print(line, flush=True))
    try:
        with SoakRun(cfg, say) as soak:
            report = soak.run()
    except (BrokerError, ValueError, RuntimeError, KafkaError) as exc:
        return fail(f"soak failed: {exc}")
    except KeyboardInterrupt:
        print("kpart: soak interrupted; every process it started has been stopped", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2))
    else:
        print_report(report)
    return 0 if report.ok else 1


def print_report(report: object) -> None:
    from kpart.soak.runner import SoakReport

    assert isinstance(report, SoakReport)
    p = report.producer
    print(f"\nsoak: {report.seconds:.0f} s in all, {len(report.faults)} faults; producer acknowledged "
          f"{p['acknowledged']:,} of {p['sent']:,} sent ({p['failed']:,} failed, {p['blocked']:,} blocked)")
    rows = [
        ("protocol", lambda g: g.protocol),
        ("consumed / produced", lambda g: f"{g.consumed:,}/{g.produced:,}"),
        ("lost", lambda g: f"{g.lost:,}"),
        ("duplicated", lambda g: f"{g.duplicated:,}"),
        ("overlapping ownerships", lambda g: f"{g.overlaps} ({g.overlap_s:.2f}s)"),
        ("processed while unowned", lambda g: f"{g.unowned_reads:,}"),
        ("rebalances", lambda g: str(g.rebalances)),
        ("  predicted", lambda g: str(g.predicted["rebalances"])),
        ("rounds (generations)", lambda g: str(g.rounds)),
        ("  predicted", lambda g: str(g.predicted["rounds"])),
        ("unowned partition-s", lambda g: f"{g.unowned_ps:,.1f}"),
        ("  predicted", lambda g: f"{g.predicted['unowned_ps']:,.1f}"),
        ("max unowned stretch s", lambda g: f"{g.max_unowned_s:.1f}"),
        ("pause mean/max s", lambda g: f"{g.pause_mean_s:.1f}/{g.pause_max_s:.1f}"),
        ("needless revocations", lambda g: str(g.needless_revocations)),
        ("verdict", lambda g: "ok" if not g.failures else "FAILED"),
    ]
    width = max(14, *(len(g.strategy) + 2 for g in report.groups))
    print(f"{'':<24}" + "".join(g.strategy.rjust(width) for g in report.groups))
    for label, cell in rows:
        print(f"{label:<24}" + "".join(cell(g).rjust(width) for g in report.groups))
    for g in report.groups:
        if g.duplicate_causes:
            print(f"duplicates of {g.strategy}, by how the first reader's ownership ended: "
                  f"{g.duplicate_causes}")
        if set(g.clients.values()) - {"kafka-python"}:
            print(f"members of {g.strategy}: " + ", ".join(f"{m} {c}" for m, c in g.clients.items()))
        for line in g.failures:
            print(f"FAILED {g.strategy}: {line}")
        if g.overlap_after:
            print(f"overlaps of {g.strategy}, by the fault before them: {g.overlap_after}")
    if report.groups:
        nm = report.groups[0].predicted["not_modelled"]
        if nm:
            print(f"predicted: the simulator has no event for {', '.join(nm)} (left out of its figures)")


def add(sub: argparse._SubParsersAction) -> None:
    from kpart.soak.runner import STRATEGIES
    from kpart.soak.schedule import FAULTS

    parser = sub.add_parser(
        "soak",
        help="fault-injection soak on a real 3-node cluster: zero lost records, zero double ownership",
        description="Start a 3-node cluster, a producer and one consumer group per strategy (each "
        "member its own process), inject faults on a seeded schedule and check every acknowledged "
        "record was consumed and no partition was owned by two members at once. Exit status 1 if "
        "a check failed.",
    )
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of faults (default 300)")
    parser.add_argument("--strategies", type=strategy_list, default=list(STRATEGIES),
                        help=f"comma-separated (default {','.join(STRATEGIES)})")
    parser.add_argument("--members", type=int, default=4, help="members per group (default 4)")
    parser.add_argument("--faults", type=_faults, default=FAULTS,
                        help=f"comma-separated (default all: {','.join(FAULTS)})")
    parser.add_argument("--mix", type=_mix, default=("kafka-python",),
                        help="clients of the members, comma-separated: member i runs the i-th, cycling "
                        "(kafka-python, librdkafka, java; default kafka-python). A client without a "
                        "group's assignor is replaced by kafka-python in that group")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fault schedule")
    parser.add_argument("--dir", type=Path, help="keep the cluster and the logs here (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--client-config", type=Path, metavar="FILE",
                        help="run every client over SASL_PLAINTEXT with this file's user and mechanism "
                        "(the soak's cluster gets a SASL listener for that user; see docs/security.md)")
    parser.set_defaults(run=run)
