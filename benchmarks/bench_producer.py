"""BoundedProducer against plain KafkaProducer: send throughput, and memory while the broker is
stalled, each against the plain producer measured in the same run.

    python benchmarks/bench_producer.py [--records 50000] [--buffer-mib 4]

Starts its own single-node broker on free ports (it pauses that JVM with SIGSTOP for the memory
part). Each memory figure comes from a fresh child process, so one measurement's freed memory
does not hide the next one's growth. Records offered during the stall are not delivered: the
child exits once it has measured.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.record.default_records import DefaultRecordBatchBuilder

from kpart.broker import LocalCluster
from partitioning.producer import BoundedProducer, BufferExhaustedError

STALL_CASES = [(100, 40_000), (1024, 15_000), (10 * 1024, 2_000)]  # value bytes, records offered


def create_topic(bootstrap: str, name: str, partitions: int) -> str:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        admin.close()
    return name


def warm_up(producer: KafkaProducer, topic: str) -> None:
    for _ in range(100):
        try:
            producer.send(topic, b"warm-up").get(timeout=30)
            return
        except BufferExhaustedError:
            raise
        except Exception:
            time.sleep(0.1)  # a tiny max_block_ms can be too short for the first metadata fetch
    raise RuntimeError("the broker never acknowledged a warm-up record")


def throughput(bootstrap: str, topic: str, records: int) -> None:
    print(f"\n== async send + flush: {records:,} records of 100 B, 3 partitions (best of 3) ==")
    value = b"v" * 100
    best: dict[str, tuple[float, float]] = {}
    for _ in range(3):
        for name, make in (("KafkaProducer", KafkaProducer), ("BoundedProducer", BoundedProducer)):
            producer = make(bootstrap_servers=bootstrap, linger_ms=5)
            warm_up(producer, topic)
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(records):
                producer.send(topic, value)
            producer.flush()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            producer.close()
            rate, cpu_us = records / wall, cpu / records * 1e6
            if name not in best or rate > best[name][0]:
                best[name] = (rate, cpu_us)
    base_rate, base_cpu = best["KafkaProducer"]
    for name, (rate, cpu_us) in best.items():
        note = "(baseline)" if name == "KafkaProducer" else f"{rate / base_rate:5.2f}x the baseline's rate"
        print(f"{name:16s} {rate:9,.0f} rec/s  {cpu_us:6.1f} us CPU/record  {note}")
    print(f"CPU per record: {best['BoundedProducer'][1] / base_cpu:.2f}x the baseline")


def stall_child(
    bootstrap: str, topic: str, broker_pid: int, kind: str, size: int, offered: int, limit: int
) -> None:
    """Offer ``offered`` records to a frozen broker; print what happened as one JSON line."""
    if kind == "plain":
        producer = KafkaProducer(bootstrap_servers=bootstrap)
    else:
        producer = BoundedProducer(bootstrap_servers=bootstrap, buffer_memory=limit, max_block_ms=0)
    warm_up(producer, topic)
    value, accepted = b"x" * size, 0
    process = psutil.Process()
    os.kill(broker_pid, signal.SIGSTOP)
    try:
        before = process.memory_info().rss
        for _ in range(offered):
            try:
                producer.send(topic, value)
                accepted += 1
            except BufferExhaustedError:
                pass
        grown = process.memory_info().rss - before
    finally:
        os.kill(broker_pid, signal.SIGCONT)
    peak = producer.peak_buffered_bytes if isinstance(producer, BoundedProducer) else None
    print(json.dumps({"accepted": accepted, "rss_growth": grown, "peak": peak}), flush=True)
    os._exit(0)  # skip delivering what was offered: only the measurement matters


def memory(bootstrap: str, topic: str, broker_pid: int, limit: int) -> None:
    print(f"\n== RSS growth while the broker is frozen (BoundedProducer buffer_memory={limit >> 20} MiB,")
    print("   max_block_ms=0; each row: fresh processes, same records offered to both) ==")
    for size, offered in STALL_CASES:
        results = {}
        for kind in ("plain", "bounded"):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--stall-child",
                    bootstrap,
                    topic,
                    str(broker_pid),
                    kind,
                    str(size),
                    str(offered),
                    str(limit),
                ],
                capture_output=True,
                text=True,
                timeout=300,
                check=True,
            ).stdout
            results[kind] = json.loads(out.strip().splitlines()[-1])
        plain, bounded = results["plain"], results["bounded"]
        per_record = plain["rss_growth"] / plain["accepted"]
        accounted = DefaultRecordBatchBuilder.estimate_size_in_bytes(None, b"x" * size, [])
        print(
            f"value {size:>6,} B (accounted as {accounted:,} B), {offered:,} offered:"
            f" KafkaProducer +{plain['rss_growth'] / 2**20:6.1f} MiB ({per_record:,.0f} B/pending record);"
            f" BoundedProducer +{bounded['rss_growth'] / 2**20:5.1f} MiB, accepted {bounded['accepted']:,},"
            f" peak accounted {bounded['peak']:,} B;"
            f" {plain['rss_growth'] / max(bounded['rss_growth'], 1):5.1f}x less growth"
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--stall-child":
        bootstrap, topic, pid, kind, size, offered, limit = argv[1:]
        stall_child(bootstrap, topic, int(pid), kind, int(size), int(offered), int(limit))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000, help="records per throughput run")
    parser.add_argument("--buffer-mib", type=int, default=4, help="buffer_memory for the memory part")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as directory:
        cluster = LocalCluster.on_free_ports(Path(directory), nodes=1)
        cluster.start()
        try:
            bootstrap = cluster.bootstrap
            throughput(bootstrap, create_topic(bootstrap, "bench-throughput", 3), args.records)
            memory(
                bootstrap,
                create_topic(bootstrap, "bench-stall", 1),
                cluster.pid(cluster.nodes[0]),
                args.buffer_mib << 20,
            )
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
