"""One live consumer process for :mod:`kpart.simulation.live`.

    python -m kpart.simulation.live_worker BOOTSTRAP GROUP STRATEGY NAME STATIC STOPFILE
        SESSION_MS TOPIC...

A ``kip848-*`` STRATEGY runs a confluent-kafka consumer with ``group.protocol=consumer``
(:mod:`kpart.simulation.live_confluent`); any other runs a classic kafka-python consumer with
the ``strategies`` kafka-python adapter. The kafka-python member fetches the metadata of its
topics before joining GROUP (a kafka-python consumer otherwise sends its first JoinGroup before
it knows its topics, and a first member leading alone assigns nothing, then rebalances again
once the metadata arrives: one more round than the simulator's members need). Either prints one
JSON line ``{"name", "generation", "assignment"}`` each time its generation or assignment
changes, until STOPFILE exists; then closes (a dynamic member leaves the group, a static one
does not). With ``KPART_LIVE_DEBUG`` set in the environment, kafka-python logs to stderr (which
the live runner then passes through). Security settings come from ``$KPART_CLIENT_CONFIG``.
"""

from __future__ import annotations

import json
import logging
import os
import sys


def main(argv: list[str]) -> None:
    bootstrap, group, strategy, name, static, stop, session_ms, *topics = argv
    if strategy.startswith("kip848-"):
        from kpart.simulation.live_confluent import report_line, run_member

        run_member(bootstrap, group, strategy, name, static == "1", stop, topics, report_line(name))
        return
    from kafka import KafkaConsumer

    from kpart.client_config import settings_for
    from strategies.kafka_python import KafkaPythonAssignor, attach

    if os.environ.get("KPART_LIVE_DEBUG"):
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format=f"%(asctime)s {name} %(name)s %(levelname)s %(message)s")
    consumer = attach(KafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=group, client_id=name,
        group_instance_id=name if static == "1" else None,
        partition_assignment_strategy=[KafkaPythonAssignor(strategy)],
        session_timeout_ms=int(session_ms), heartbeat_interval_ms=min(3000, int(session_ms) // 10),
        metadata_max_age_ms=5000, enable_auto_commit=False, **settings_for("kafka-python"),
    ))
    for topic in topics:  # learn the topics before joining, as the simulated members know them
        consumer.partitions_for_topic(topic)
    last = None
    try:
        while not os.path.exists(stop):
            consumer.poll(timeout_ms=100)
            generation = consumer._coordinator._generation.generation_id
            state = (generation, sorted(f"{tp.topic}-{tp.partition}" for tp in consumer.assignment()))
            if state != last:
                print(json.dumps({"name": name, "generation": state[0], "assignment": state[1]}), flush=True)
                last = state
    finally:
        consumer.close()


if __name__ == "__main__":
    main(sys.argv[1:])
