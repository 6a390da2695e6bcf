"""The simulation engine: applies a scenario's events to a group under one strategy.

Each event runs to completion (the group settles) before the next starts; an event whose
``at`` falls inside the previous one's rebalance starts when that one has settled. Member ids
and heartbeat phases come from a generator seeded with the scenario seed, and every assignment
is computed by the strategy's :class:`strategies.Assignor`, so a run is deterministic and
matches what the same assignor does in a live group.

Members may run different strategies (:attr:`MemberSpec.strategy`): who assigns the group at
each rebalance is :func:`kpart.simulation.protocols.group_strategy`. In a consumer-protocol
(KIP-848) group the broker hands partitions over member by member, revoke before assign: a
partition goes to its new owner only after the previous owner has released it. A
consumer-protocol member acts on its next heartbeat; a classic member in such a group acts
after one JoinGroup/SyncGroup round (``rebalance_round_s``), and an eager one revokes everything
when it rejoins.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from kpart.simulation.cluster import ClusterState
from kpart.simulation.events import Event
from kpart.simulation.keys import ProducerModel
from kpart.simulation.metrics import EventMetrics, SimulationResult, Totals, spread_and_stddev
from kpart.simulation.model import MemberSpec
from kpart.simulation.ownership import Ledger
from kpart.simulation.protocols import (
    Protocol,
    Strategy,
    check_broker_supports,
    group_strategy,
    resolve_strategy,
)
from kpart.simulation.scenario import Scenario
from strategies import Assignor, GroupAssignment, MemberSubscription, TopicPartition
from strategies.rounds import cooperative_rounds


@dataclass
class Process:
    """One running consumer process in the group."""

    spec: MemberSpec
    strategy: Strategy
    member_id: str
    phase: float
    owned: tuple[TopicPartition, ...] = ()
    assigned: tuple[TopicPartition, ...] = ()
    fresh: bool = True

    @property
    def name(self) -> str:
        return self.spec.name


class _Counters:
    def __init__(self) -> None:
        self.rebalances = 0
        self.rounds = 0
        self.revoked = 0
        self.compute_s = 0.0


class Simulation:
    """One run of ``scenario`` under ``strategy``; call :meth:`run` once.

    ``strategy`` is what every member without its own :attr:`MemberSpec.strategy` runs. With
    ``member_ids``, the ``n``-th process started under a name (``(name, n)``, from 0; a static
    member's return counts) gets that member id instead of a generated one, so a prediction can
    use the ids a live broker handed out; everything else stays as without it.

    Each event's effect is its own :meth:`~kpart.simulation.events.Event.simulate`, acting
    through the public methods here (``spawn``, ``leave``, ``crash``, ``restart``, ``revoke``,
    ``track``, ``rebalance``, ``topic_changed``) and the ``group``, ``cluster`` and ``producer``.
    """

    def __init__(self, scenario: Scenario, strategy: Strategy | str,
                 member_ids: Mapping[tuple[str, int], str] | None = None) -> None:
        self.scenario = scenario
        self.strategy = resolve_strategy(strategy) if isinstance(strategy, str) else strategy
        check_broker_supports(self.strategy, scenario.broker_version)
        self._known = {self.strategy.name: self.strategy}
        self._member_ids = member_ids or {}
        self._starts: dict[str, int] = {}
        self.timing = scenario.timing
        self.cluster = ClusterState(scenario.brokers, scenario.topics)
        self.group: dict[str, Process] = {}
        self.ledger = Ledger()
        self.generation = 0
        self.rng = random.Random(scenario.seed)
        self.producer = ProducerModel(scenario.producer, scenario.seed) if scenario.producer else None
        self._c = _Counters()
        self._tracked: tuple[frozenset[str], object] | None = None
        self.timeline: list[tuple[float, int, float | None]] = []

    # --- public -------------------------------------------------------------------------------

    def run(self, on_event: Callable[[], None] | None = None) -> SimulationResult:
        """Form the group at time 0, apply every event, return per-event metrics and totals."""
        events = [self._form_group()]
        clock = events[0].end
        for i, ev in enumerate(self.scenario.events, start=1):
            events.append(self._apply(i, ev, max(ev.at, clock)))
            clock = events[-1].end
            if on_event is not None:
                on_event()
        final = {p.name: [str(tp) for tp in sorted(p.owned)] for p in self.group.values()}
        per_partition = None
        if self.producer is not None:
            n = self.cluster.count(self.producer.spec.topic)
            per_partition = [int(x) for x in self.producer.distribution(n).per_partition]
        return SimulationResult(self.scenario.name, self.strategy.name, self.strategy.protocol.value,
                                events, Totals.of(events), dict(sorted(final.items())), per_partition,
                                self.timeline)

    # --- events -------------------------------------------------------------------------------

    def _form_group(self) -> EventMetrics:
        for spec in self.scenario.members:
            self.spawn(spec)
        self.track(0.0)
        end = self.rebalance(0.0)
        n = len(self.group)
        return self._metrics(0, f"start ({n} member{'' if n == 1 else 's'})", 0.0, 0.0, end)

    def _apply(self, index: int, ev: Event, t: float) -> EventMetrics:
        out = ev.simulate(self, t)
        return self._metrics(index, ev.label, ev.at, t, out.end, out.keys_remapped)

    # --- what events act with ----------------------------------------------------------------

    def topic_changed(self, topic: str, t: float) -> float:
        """``topic`` was created or grew at ``t``: a group subscribed to it rebalances once it
        notices; returns when the group settled."""
        self.track(t)
        subscribed = any(topic in p.spec.topics for p in self.group.values())
        return self.rebalance(t + self.metadata_delay()) if subscribed else t

    def metadata_delay(self) -> float:
        """Classic groups notice new partitions at the leader's next metadata refresh; KIP-848
        brokers know at once."""
        if self.assigning().protocol is Protocol.INCREMENTAL:
            return 0.0
        return self.timing.metadata_refresh_s / 2

    def _new_member_id(self, name: str) -> str:
        """The id the coordinator hands a (re)joining member: as a broker makes it, the member's
        ``client.id`` (its name here, as the live runs set it) and a UUID, drawn from the seeded
        generator (drawn even when ``member_ids`` overrides it, so the rest of the run stays the
        same). Assignors break ties by member id, so the names order the members as live."""
        drawn = f"{name}-{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
        n = self._starts.get(name, 0)
        self._starts[name] = n + 1
        return self._member_ids.get((name, n), drawn)

    def _resolve(self, name: str | None) -> Strategy:
        if name is None:
            return self.strategy
        if name not in self._known:
            self._known[name] = resolve_strategy(name)
            check_broker_supports(self._known[name], self.scenario.broker_version)
        return self._known[name]

    def assigning(self) -> Strategy:
        """What assigns the group now (the run's strategy while the group is empty)."""
        if not self.group:
            return self.strategy
        return group_strategy({p.name: p.strategy for p in self.group.values()})

    def spawn(self, spec: MemberSpec) -> None:
        proc = Process(spec, self._resolve(spec.strategy), self._new_member_id(spec.name),
                       self.rng.uniform(0.0, self.timing.heartbeat_interval_s))
        self.group[spec.name] = proc

    def leave(self, name: str, t: float) -> float:
        proc = self.group.pop(name)
        self.ledger.release(proc.owned, t)
        self.track(t)
        return self.rebalance(t)

    def crash(self, names: list[str], t: float) -> float:
        for name in names:
            self.ledger.release(self.group[name].owned, t)
            self.group[name].owned = ()
        detected = t + self.timing.session_timeout_s
        for name in names:
            del self.group[name]
        self.track(detected)
        return self.rebalance(detected)

    def restart(self, name: str, t: float, downtime: float, strategy: str | None = None) -> float:
        """``name`` goes away for ``downtime`` and comes back (running ``strategy`` if given).

        A static member back within the session timeout keeps its assignment without a
        rebalance, unless it comes back under another strategy: then it rejoins as a new member.
        """
        proc = self.group[name]
        back = t + downtime
        if strategy is not None:
            proc.spec = replace(proc.spec, strategy=strategy)
        same = self._resolve(proc.spec.strategy) is proc.strategy
        if proc.spec.static and downtime < self.timing.session_timeout_s and same:
            # Static membership: the coordinator keeps the assignment; no rebalance.
            self.ledger.release(proc.owned, t)
            proc.member_id = self._new_member_id(name)
            self.ledger.acquire(proc.owned, name, back)
            self._sample(back)
            return back
        if proc.spec.static:
            end = self.crash([name], t)
        else:
            end = self.leave(name, t)
        self.spawn(proc.spec)
        start = max(back, end)
        self.track(start)
        return self.rebalance(start)

    # --- protocol -----------------------------------------------------------------------------

    def track(self, t: float) -> None:
        topics: set[str] = set()
        for p in self.group.values():
            topics |= p.spec.topics
        key = (frozenset(topics), self.cluster.metadata())
        if key != self._tracked:
            self._tracked = key
            self.ledger.track(set(self.cluster.partitions(topics)), t)

    def revoke(self, proc: Process, tps: list[TopicPartition], t: float) -> None:
        if tps:
            self.ledger.release(tps, t)
            gone = set(tps)
            proc.owned = tuple(tp for tp in proc.owned if tp not in gone)
            self._c.revoked += len(tps)

    def _subscriptions(self, assignor: Assignor, owned: Callable[[Process], tuple[TopicPartition, ...]],
                       user_data: bool) -> dict[str, MemberSubscription]:
        subs = {}
        for p in self.group.values():
            gen = -1 if p.fresh else self.generation
            data = None
            if user_data and not p.fresh:
                data = assignor.encode_user_data(p.assigned, gen)
            subs[p.member_id] = MemberSubscription(
                p.member_id, p.spec.topics, owned(p), gen, p.spec.rack,
                p.name if p.spec.static else None, data)
        return subs

    def _assign(self, assignor: Assignor, owned: Callable[[Process], tuple[TopicPartition, ...]],
                user_data: bool) -> GroupAssignment:
        subs = self._subscriptions(assignor, owned, user_data)
        started = time.perf_counter()
        out = assignor.assign(subs, self.cluster.metadata())
        self._c.compute_s += time.perf_counter() - started
        return out

    def rebalance(self, t: float) -> float:
        """Run one rebalance starting at ``t``; returns when the group has settled."""
        if not self.group:
            return t
        self._c.rebalances += 1
        group = self.assigning()
        if group.protocol is Protocol.EAGER:
            end = self._eager(t, group.assignor)
        elif group.protocol is Protocol.COOPERATIVE:
            end = self._cooperative(t, group)
        else:
            end = self._incremental(t, group.assignor)
        self._sample(end)
        return end

    def _sample(self, t: float) -> None:
        """Record the balance at ``t`` for the timeline."""
        procs = list(self.group.values())
        spread, _ = spread_and_stddev([len(p.owned) for p in procs])
        self.timeline.append((t, spread, self._load_ratio(procs)))

    def _eager(self, t: float, assignor: Assignor) -> float:
        for p in self.group.values():
            self.revoke(p, list(p.owned), t)
        assignment = self._assign(assignor, lambda p: (), user_data=True)
        end = t + self.timing.rebalance_round_s
        self.generation += 1
        self._c.rounds += 1
        for p in self.group.values():
            p.assigned = p.owned = assignment.owned.get(p.member_id, ())
            p.fresh = False
            self.ledger.acquire(p.owned, p.name, end)
        return end

    def _cooperative(self, t: float, group: Strategy) -> float:
        """Rounds of :func:`strategies.rounds.cooperative_rounds`; each takes one round time."""
        end = t
        by_id = {p.member_id: p for p in self.group.values()}
        subs = self._subscriptions(group.assignor, lambda p: p.owned, user_data=True)
        rounds = cooperative_rounds(group.assignor, subs, self.cluster.metadata(), self.generation + 1)
        started = time.perf_counter()
        for r in rounds:
            self._c.compute_s += time.perf_counter() - started
            end += self.timing.rebalance_round_s
            self.generation += 1
            self._c.rounds += 1
            for member_id, lost in r.revoked.items():
                self.revoke(by_id[member_id], list(lost), end)
            for p in self.group.values():
                new = r.assignment.owned.get(p.member_id, ())
                have = set(p.owned)
                self.ledger.acquire([tp for tp in new if tp not in have], p.name, end)
                p.assigned = p.owned = new
                p.fresh = False
            started = time.perf_counter()
        return end

    def _reacts(self, p: Process, t: float) -> float:
        """When ``p`` acts on a change of its target made at ``t``: a consumer-protocol member
        on its next heartbeat, a classic member after one join/sync round."""
        if p.strategy.protocol is Protocol.INCREMENTAL:
            return t + (p.phase - t) % self.timing.heartbeat_interval_s
        return t + self.timing.rebalance_round_s

    def _incremental(self, t: float, assignor: Assignor) -> float:
        """One new target assignment, reconciled member by member, revoke before assign."""
        assignment = self._assign(assignor, lambda p: p.assigned, user_data=False)
        self.generation += 1
        self._c.rounds += 1
        released: dict[TopicPartition, float] = {}
        acked: dict[str, float] = {}
        end = t
        for p in self.group.values():
            new = assignment.owned.get(p.member_id, ())
            if new == p.assigned and not p.fresh:
                continue  # the target did not change: the broker tells this member nothing
            eager = p.strategy.protocol is Protocol.EAGER
            keep = set() if eager else set(new)
            lost = [tp for tp in p.owned if tp not in keep]
            if lost:
                # an eager member drops everything as it rejoins; others revoke what they lose
                at = t if eager else self._reacts(p, t)
                self.revoke(p, lost, at)
                released.update(dict.fromkeys(lost, at))
                acked[p.name] = at
                end = max(end, at)
        for p in self.group.values():
            new = assignment.owned.get(p.member_id, ())
            have = set(p.owned)
            for tp in new:
                if tp not in have:
                    # only after its own revocation is acked, and the previous owner's
                    at = self._reacts(p, max(released.get(tp, t), acked.get(p.name, t)))
                    self.ledger.acquire((tp,), p.name, at)
                    end = max(end, at)
            p.assigned = p.owned = new
            p.fresh = False
        return end

    # --- measuring ----------------------------------------------------------------------------

    def _metrics(self, index: int, label: str, at: float, start: float, end: float,
                 keys_remapped: float | None = None) -> EventMetrics:
        unowned, moved = self.ledger.take()
        c, self._c = self._c, _Counters()
        procs = list(self.group.values())
        spread, stddev = spread_and_stddev([len(p.owned) for p in procs])
        return EventMetrics(
            index=index, label=label, at=at, start=start, end=end, members=len(procs),
            partitions=len(self.ledger.tracked),
            rebalances=c.rebalances, rounds=c.rounds, moved=moved, revoked=c.revoked,
            unowned_ps=round(unowned, 6), spread=spread, stddev=round(stddev, 6),
            load_ratio=self._load_ratio(procs), rack_locality=self._locality(procs),
            compute_ms=round(c.compute_s * 1000, 3), keys_remapped=keys_remapped,
        )

    def _load_ratio(self, procs: list[Process]) -> float | None:
        if self.producer is None or not procs:
            return None
        topic = self.producer.spec.topic
        per = self.producer.distribution(self.cluster.count(topic)).per_partition
        loads = [sum(int(per[tp.partition]) for tp in p.owned if tp.topic == topic) for p in procs]
        mean = sum(loads) / len(loads)
        return round(max(loads) / mean, 6) if mean else None

    def _locality(self, procs: list[Process]) -> float | None:
        if not self.cluster.has_racks or not any(p.spec.rack for p in procs):
            return None
        local = total = 0
        for p in procs:
            if p.spec.rack is None:
                continue
            for tp in p.owned:
                total += 1
                local += p.spec.rack in self.cluster.replica_racks(tp)
        return round(local / total, 6) if total else None


def simulate(scenario: Scenario, strategy: Strategy | str,
             on_event: Callable[[], None] | None = None) -> SimulationResult:
    """Run ``scenario`` under ``strategy`` (a name such as ``"cooperative-sticky"``)."""
    return Simulation(scenario, strategy).run(on_event)
