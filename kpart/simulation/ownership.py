"""Who consumes each partition, moment by moment, and the partition-seconds nobody did."""

from __future__ import annotations

from collections.abc import Iterable

from strategies import TopicPartition


class OwnershipError(RuntimeError):
    """The simulated protocol handed one partition to two members at once (a bug)."""


class Ledger:
    """Partition -> consuming member, with unowned time accounting.

    A *tracked* partition is one some group member subscribes to; while it has no owner, its
    unowned time accumulates into :attr:`unowned_s`. ``moved`` counts hand-overs to a member
    other than the previous owner. Calls must come in time order per partition.
    """

    def __init__(self) -> None:
        self.owner: dict[TopicPartition, str] = {}
        self.last_owner: dict[TopicPartition, str] = {}
        self.since: dict[TopicPartition, float] = {}
        self.tracked: set[TopicPartition] = set()
        self.unowned_s = 0.0
        self.moved = 0

    def release(self, tps: Iterable[TopicPartition], t: float) -> None:
        """The owners stop consuming ``tps`` at ``t``."""
        for tp in tps:
            if self.owner.pop(tp, None) is not None and tp in self.tracked:
                self.since[tp] = t

    def acquire(self, tps: Iterable[TopicPartition], member: str, t: float) -> None:
        """``member`` starts consuming ``tps`` at ``t``; raises if someone else still does."""
        for tp in tps:
            current = self.owner.get(tp)
            if current is not None and current != member:
                raise OwnershipError(f"{tp} given to {member} while {current} still owns it")
            start = self.since.pop(tp, None)
            if start is not None:
                self.unowned_s += t - start
            prev = self.last_owner.get(tp)
            if prev is not None and prev != member:
                self.moved += 1
            self.owner[tp] = member
            self.last_owner[tp] = member

    def track(self, wanted: set[TopicPartition], t: float) -> None:
        """Make ``wanted`` the tracked set: new ones start unowned at ``t``, others stop counting."""
        self.tracked = wanted
        for tp in wanted:
            if tp not in self.owner and tp not in self.since:
                self.since[tp] = t
        for tp in [tp for tp in self.since if tp not in wanted]:
            del self.since[tp]

    def take(self) -> tuple[float, int]:
        """Unowned partition-seconds and moves since the last call; resets both."""
        out = (self.unowned_s, self.moved)
        self.unowned_s, self.moved = 0.0, 0
        return out
