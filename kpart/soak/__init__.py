"""Fault-injection soak: a real three-node cluster, producers and consumer groups in their own
processes, faults on a seeded schedule, and checks that nothing acknowledged is lost and no
partition is processed by two members at the same time.

Modules: :mod:`~kpart.soak.schedule` (the seeded fault schedule and its simulator scenario),
:mod:`~kpart.soak.checks` (pure analysis of the logs), :mod:`~kpart.soak.runner` (the
orchestration), :mod:`~kpart.soak.cluster` and :mod:`~kpart.soak.relay` (the cluster and the
freezable network path), :mod:`~kpart.soak.consumer_worker` and
:mod:`~kpart.soak.producer_worker` (the client processes). Only the workers, the runner and
the cluster helpers import a Kafka client.
"""
