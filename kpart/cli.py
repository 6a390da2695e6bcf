"""The ``kpart`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kpart import __version__, broker_sasl
from kpart.broker import (
    DEFAULT_PORT,
    DEFAULT_STATE_DIR,
    BrokerError,
    LocalCluster,
    free_port_block,
    port_available,
)
from kpart.commands import check, compare, partitions, simulate, soak


def _version(_: argparse.Namespace) -> int:
    print(f"kpart {__version__}")
    return 0


def _broker_start(args: argparse.Namespace) -> int:
    first = args.port if args.port is not None else _default_port(args.dir, args.nodes)
    ports = [first + 2 * i for i in range(args.nodes)]
    sasl_ports = [args.sasl_port + i for i in range(args.nodes)] if args.sasl_port is not None else []
    ssl_ports = [args.ssl_port + i for i in range(args.nodes)] if args.ssl_port is not None else []
    cluster = LocalCluster(args.dir, ports, [p + 1 for p in ports],
                           sasl_ports=sasl_ports, ssl_ports=ssl_ports)
    cluster.start(timeout=args.timeout)
    print(f"broker ready: bootstrap {cluster.bootstrap} ({args.nodes} node(s), logs in {args.dir})")
    if cluster.sasl_bootstrap is not None:
        configs = " ".join(str(broker_sasl.client_config_path(args.dir, m)) for m in broker_sasl.MECHANISMS)
        print(f"SASL_PLAINTEXT listener: bootstrap {cluster.sasl_bootstrap} "
              f"({', '.join(broker_sasl.MECHANISMS)}; user {next(iter(cluster.sasl_users))}); "
              f"client configs: {configs}")
    if cluster.ssl_bootstrap is not None:
        print(f"SSL listener: bootstrap {cluster.ssl_bootstrap} (certificate {cluster.ca_file}); "
              f"client config: {args.dir / 'client-ssl.properties'}")
    return 0


def _default_port(directory: Path, nodes: int) -> int:
    """The recorded cluster's port, else 9092, else (said on screen) a free one."""
    recorded = LocalCluster.load(directory) if (directory / "cluster.json").is_file() else None
    if recorded is not None and len(recorded.nodes) == nodes:
        return recorded.nodes[0].port
    wanted = range(DEFAULT_PORT, DEFAULT_PORT + 2 * nodes)
    if all(port_available(p) for p in wanted):
        return DEFAULT_PORT
    port = free_port_block(2 * nodes)
    print(f"port {DEFAULT_PORT} is in use; starting on {port} instead "
          "(examples and `kpart broker status` find it in the recorded cluster state)")
    return port


def _broker_stop(args: argparse.Namespace) -> int:
    cluster = LocalCluster.load(args.dir)
    cluster.stop()
    print(f"stopped the cluster in {args.dir}")
    return 0


def _broker_status(args: argparse.Namespace) -> int:
    cluster = LocalCluster.load(args.dir)
    rows = cluster.status()
    for row in rows:
        state = ("serving" if row["serving"] else
                 "running but not answering Kafka requests (starting up, or hung)" if row["running"]
                 else "stopped")
        print(
            f"node {row['node']}: 127.0.0.1:{row['port']} pid {row['pid']} {state}, "
            f"RSS {row['rss_mib']} MiB, log {row['log']}"
        )
    for name, bootstrap in (("SASL_PLAINTEXT", cluster.sasl_bootstrap), ("SSL", cluster.ssl_bootstrap)):
        if bootstrap:
            print(f"{name} listener: {bootstrap} (client configs in {args.dir})")
    return 0 if all(row["serving"] for row in rows) else 1


def _add_broker(sub: argparse._SubParsersAction) -> None:
    broker = sub.add_parser("broker", help="a local Apache Kafka broker (KRaft) for tests and demos")
    actions = broker.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="format storage and start 1 or 3 nodes on 127.0.0.1")
    start.add_argument("--nodes", type=int, choices=(1, 3), default=1,
                       help="1 node, or 3 sharing a controller quorum (default: %(default)s)")
    start.add_argument(
        "--port",
        type=int,
        help=f"client port of node 1; node i uses PORT+2(i-1), its controller the next port "
        f"(default: the recorded cluster's port, else {DEFAULT_PORT}, else a free port)",
    )
    start.add_argument("--sasl-port", type=int, metavar="PORT",
                       help="also listen for SASL_PLAINTEXT clients (PLAIN, SCRAM-SHA-256/512) on PORT "
                       "(node i: PORT+i-1) and write a client config per mechanism into --dir")
    start.add_argument("--ssl-port", type=int, metavar="PORT",
                       help="also listen for SSL clients on PORT (node i: PORT+i-1), with a self-signed "
                       "certificate made by keytool, and write client-ssl.properties into --dir")
    start.add_argument("--timeout", type=float, default=90.0,
                       help="seconds to wait until all nodes serve (default: %(default)s)")
    start.set_defaults(run=_broker_start)
    actions.add_parser("stop", help="stop the recorded cluster").set_defaults(run=_broker_stop)
    actions.add_parser("status", help="show each node's state and memory").set_defaults(run=_broker_status)
    for parser in actions.choices.values():
        parser.add_argument(
            "--dir",
            type=Path,
            default=DEFAULT_STATE_DIR,
            help="where the cluster keeps its data, logs and pid files "
            "(default: $KPART_STATE_DIR, else .kpart/cluster under the current directory)",
        )


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_broker,
    simulate.add,
    compare.add,
    partitions.add,
    check.add,
    soak.add,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kpart",
        description="Choose, verify and run Kafka producer partitioners and consumer assignment strategies.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="print the version").set_defaults(run=_version)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokerError as exc:
        print(f"kpart: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kpart: interrupted (anything it had started is stopped)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
