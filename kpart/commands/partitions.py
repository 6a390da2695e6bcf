"""``kpart partitions``: how a partitioner spreads a key stream, and what expansion remaps."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import partitioning
from kpart.commands._common import guarded, option_pair, strategy_list
from kpart.simulation.keys import ProducerModel, check_partitioner
from kpart.simulation.model import KeySpec, ProducerSpec


def _models(args: argparse.Namespace) -> list[ProducerModel]:
    sample = b"key-0"
    if args.keys is not None:
        if not args.keys.is_file():
            raise ValueError(f"--keys: no such file: {args.keys}")
        spec = KeySpec("file", file=args.keys)
        sample = next((line for line in args.keys.read_bytes().splitlines() if line), b"")
    elif args.zipf is not None:
        spec = KeySpec("zipf", args.key_count, args.zipf)
    else:
        spec = KeySpec("uniform", args.key_count)
    options = tuple(args.partitioner_option)
    for name in args.partitioner:
        partitioning.registry.check_name(name)
        try:
            check_partitioner(name, options, sample)
        except ValueError as exc:
            raise ValueError(f"{exc}; set options with --partitioner-option KEY=VALUE") from None
    return [ProducerModel(ProducerSpec("keys", name, spec, args.records, partitioner_options=options),
                          args.seed) for name in args.partitioner]


def run(args: argparse.Namespace) -> int:
    if args.partitions < 1:
        raise ValueError(f"--partitions must be >= 1, got {args.partitions}")
    if args.expand_to is not None and args.expand_to <= args.partitions:
        raise ValueError(
            f"--expand-to must be more than --partitions ({args.partitions}), got {args.expand_to}")
    models = _models(args)
    report = []
    for m in models:
        d = m.distribution(args.partitions)
        entry = {
            "partitioner": m.spec.partitioner,
            "partitions": args.partitions,
            "records": d.records,
            "records_per_partition": [int(x) for x in d.per_partition],
            "skew_max_over_mean": round(d.skew, 4),
            "chi_square": round(d.chi_square, 2),
            "chi_square_of_a_random_hash": [round(x, 2) for x in m.random_hash_chi_square(args.partitions)],
            "degrees_of_freedom": args.partitions - 1,
            "empty_partitions": d.empty_partitions,
            "batch_fill": round(m.batch_fill(args.partitions), 4),
        }
        if args.expand_to is not None:
            after = m.distribution(args.expand_to)
            entry["expanded_to"] = args.expand_to
            entry["records_remapped"] = round(m.remapped(args.partitions, args.expand_to), 4)
            entry["skew_after_expansion"] = round(after.skew, 4)
        report.append(entry)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report, args)
    if args.plot:
        from kpart.simulation.plotting import plot_key_distribution

        args.plot.mkdir(parents=True, exist_ok=True)
        path = plot_key_distribution([m.distribution(args.partitions) for m in models],
                                     args.plot / "key_distribution.png")
        print(f"wrote {path}", file=sys.stderr)
        if args.expand_to is not None:
            path = plot_key_distribution([m.distribution(args.expand_to) for m in models],
                                         args.plot / "key_distribution_expanded.png")
            print(f"wrote {path}", file=sys.stderr)
    return 0


def _print(report: list[dict], args: argparse.Namespace) -> None:
    names = [r["partitioner"] for r in report]
    widths = [max(len(n), 9) for n in names]
    print(f"{report[0]['records']:,} records over {args.partitions} partitions\n")
    print(f"{'partition':>13}  " + "  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True)))
    for p in range(args.partitions):
        cells = [f"{r['records_per_partition'][p]:,}".rjust(w) for r, w in zip(report, widths, strict=True)]
        print(f"{p:>13}  " + "  ".join(cells))
    rows = [("max/mean", "skew_max_over_mean", "{:.3f}"), ("chi-square", "chi_square", "{:,.1f}"),
            ("empty", "empty_partitions", "{}"), ("batch fill", "batch_fill", "{:.1%}")]
    if args.expand_to is not None:
        rows += [(f"remapped->{args.expand_to}", "records_remapped", "{:.1%}"),
                 (f"max/mean@{args.expand_to}", "skew_after_expansion", "{:.3f}")]
    print()
    for label, key, fmt in rows:
        cells = [fmt.format(r[key]).rjust(w) for r, w in zip(report, widths, strict=True)]
        print(f"{label:>13}  " + "  ".join(cells))
    mean, p95 = report[0]["chi_square_of_a_random_hash"]
    print(f"\nchi-square: distance from an even spread of records (0 = perfectly even). An ideal random\n"
          f"  hash of these keys scores about {mean:,.1f}, below {p95:,.1f} 95% of the time (a key's "
          "records\n  stay together); well above that, the partitioner skews these keys.")
    if args.expand_to is not None:
        print("remapped: share of records whose partition changes on expansion.")
    print(f"batch fill: how full a batch is when linger.ms expires ({args.rate:,.0f} records/s of "
          f"{args.record_bytes} bytes, linger {args.linger_ms:g} ms, batch.size {args.batch_size}).")


def add(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "partitions",
        help="key distribution of partitioners, and what happens on partition expansion (no broker)",
        description="Route a key stream through one or more partitioners and report records per "
        "partition, skew, chi-square and the share of records remapped when partitions are added.",
    )
    parser.add_argument("--partitioner", type=strategy_list, default=["murmur2"],
                        help="comma-separated partitioner names (default: murmur2); one of: "
                        + ", ".join(partitioning.names()))
    parser.add_argument("--partitioner-option", type=option_pair, action="append", default=[],
                        metavar="KEY=VALUE",
                        help="an option every listed partitioner is created with, repeatable "
                        "(e.g. field: --partitioner-option field=user.id --partitioner-option source=key "
                        "with --keys FILE of JSON keys)")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--keys", type=Path, metavar="FILE", help="one record key per line")
    src.add_argument("--zipf", type=float, metavar="S",
                     help="Zipf-distributed keys with exponent S (hot keys)")
    parser.add_argument("--key-count", type=int, default=10_000,
                        help="distinct keys for --zipf or uniform keys")
    parser.add_argument("--records", type=int, default=100_000,
                        help="records drawn for --zipf or uniform keys")
    parser.add_argument("--partitions", type=int, default=6, help="partition count (default: %(default)s)")
    parser.add_argument("--expand-to", type=int, metavar="N", help="also grow the topic to N partitions")
    parser.add_argument("--seed", type=int, default=0, help="seed of the key draw")
    parser.add_argument("--rate", type=float, default=10_000.0, help="records/s, for the batch-fill estimate")
    parser.add_argument("--record-bytes", type=int, default=200, help="bytes per record, for batch fill")
    parser.add_argument("--linger-ms", type=float, default=5.0, help="linger.ms, for batch fill")
    parser.add_argument("--batch-size", type=int, default=16384, help="batch.size, for batch fill")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--plot", type=Path, metavar="DIR", help="write key_distribution.png into DIR")
    parser.set_defaults(run=guarded(run))
