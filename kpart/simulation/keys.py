"""The producer side: draw a key stream, route it through a partitioner, measure the result.

Routing calls the same core partitioner object a live producer uses
(``partitioning.registry.create(name).partition(key, value, view)``), once per distinct key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

import partitioning
from kpart.simulation.model import KeySpec, ProducerSpec
from partitioning import PartitionView


def draw_keys(spec: KeySpec, records: int, seed: int) -> tuple[list[bytes], np.ndarray]:
    """Distinct keys and how many of ``records`` carry each (deterministic for a seed).

    ``uniform``/``zipf``: ``spec.count`` keys ``key-0``, ``key-1``, ...; under Zipf key ``i``
    has weight ``1 / (i + 1) ** exponent``. ``file``: every non-empty line is one record's key
    (``records`` is ignored).
    """
    if spec.distribution == "file":
        assert spec.file is not None
        counter = Counter(line for line in spec.file.read_bytes().splitlines() if line)
        keys = sorted(counter)
        return keys, np.array([counter[k] for k in keys], dtype=np.int64)
    keys = [b"key-%d" % i for i in range(spec.count)]
    if spec.distribution == "zipf":
        weights = 1.0 / np.arange(1, spec.count + 1, dtype=float) ** spec.exponent
    else:
        weights = np.ones(spec.count)
    rng = np.random.default_rng(seed)
    return keys, rng.multinomial(records, weights / weights.sum())


Options = Mapping[str, object] | tuple[tuple[str, object], ...]


def make_partitioner(name: str, seed: int, options: Options = ()) -> object:
    """A core partitioner created with ``options``; seeded when it takes a ``seed`` option."""
    opts = dict(options)
    try:
        return partitioning.registry.create(name, seed=seed, **opts)
    except TypeError:
        return partitioning.registry.create(name, **opts)


def check_partitioner(name: str, options: Options, sample_key: bytes) -> None:
    """Raise ``ValueError`` (one line) unless ``name`` can be created with ``options`` and route
    ``sample_key`` the way the simulator routes records: a key and no value."""
    partitioning.registry.check_name(name)
    try:
        part = make_partitioner(name, 0, options)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{exc} (options given: {dict(options) or 'none'})") from None
    try:
        part.partition(sample_key, None, PartitionView("check", range(2)))  # type: ignore[attr-defined]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"partitioner {name!r} cannot route the simulated records (keys such as "
                         f"{sample_key!r}, no values): {exc}") from None


def route(name: str, keys: list[bytes], topic: str, partitions: int, seed: int,
          options: Options = ()) -> np.ndarray:
    """Partition of each key on a topic with ``partitions`` partitions."""
    part = make_partitioner(name, seed, options)
    view = PartitionView(topic, range(partitions))
    return np.fromiter((part.partition(k, None, view) for k in keys), dtype=np.int64, count=len(keys))


@dataclass(frozen=True)
class KeyDistribution:
    """Records per partition for one partitioner and partition count, with summary figures."""

    partitioner: str
    per_partition: np.ndarray

    @property
    def records(self) -> int:
        return int(self.per_partition.sum())

    @property
    def skew(self) -> float:
        """max / mean records per partition (1.0 is perfectly even)."""
        mean = self.per_partition.mean()
        return float(self.per_partition.max() / mean) if mean else 0.0

    @property
    def chi_square(self) -> float:
        """Pearson chi-square of the counts against an even spread (degrees of freedom N-1)."""
        expected = self.records / len(self.per_partition)
        return float(((self.per_partition - expected) ** 2).sum() / expected) if expected else 0.0

    @property
    def empty_partitions(self) -> int:
        return int((self.per_partition == 0).sum())


class ProducerModel:
    """A scenario's producer stream, routed for any partition count (cached per count)."""

    def __init__(self, spec: ProducerSpec, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self._by_count: dict[int, np.ndarray] = {}

    @cached_property
    def _keys(self) -> tuple[list[bytes], np.ndarray]:
        return draw_keys(self.spec.keys, self.spec.records, self.seed)

    def partition_of_keys(self, partitions: int) -> np.ndarray:
        if partitions not in self._by_count:
            keys, _ = self._keys
            self._by_count[partitions] = route(self.spec.partitioner, keys, self.spec.topic, partitions,
                                               self.seed, self.spec.partitioner_options)
        return self._by_count[partitions]

    def distribution(self, partitions: int) -> KeyDistribution:
        _, counts = self._keys
        per = np.bincount(self.partition_of_keys(partitions), weights=counts, minlength=partitions)
        return KeyDistribution(self.spec.partitioner, per.astype(np.int64))

    def random_hash_chi_square(self, partitions: int) -> tuple[float, float]:
        """What an ideal random hash of this key stream scores: (mean, 95th percentile).

        Each distinct key lands on one partition, so a key carrying ``n`` records moves ``n``
        at once: the score is about ``c`` times a chi-square with N - 1 degrees of freedom,
        ``c = sum(n**2) / records`` (mean ``c (N - 1)``; percentile by Wilson-Hilferty).
        """
        _, counts = self._keys
        total = counts.sum()
        df = partitions - 1
        if not total or not df:
            return 0.0, 0.0
        scale = float((counts.astype(float) ** 2).sum() / total)
        h = 2.0 / (9.0 * df)
        return scale * df, scale * df * (1.0 - h + 1.6449 * h ** 0.5) ** 3

    def remapped(self, before: int, after: int) -> float:
        """Share of records whose key lands on another partition after growing ``before`` -> ``after``."""
        _, counts = self._keys
        changed = self.partition_of_keys(before) != self.partition_of_keys(after)
        return float(counts[changed].sum() / counts.sum())

    def batch_fill(self, partitions: int) -> float:
        """Mean fill of a batch (share of ``batch_size``) when it is sent after ``linger_ms``,
        weighted by records: per-partition byte rate x linger / batch size, capped at 1."""
        dist = self.distribution(partitions).per_partition
        share = dist / dist.sum()
        fill = np.minimum(1.0, self.spec.rate_per_s * share * self.spec.linger_ms / 1000.0
                          * self.spec.record_bytes / self.spec.batch_size)
        return float((fill * share).sum())
