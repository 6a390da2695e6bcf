"""The partitioner names the tests cover: every name the registry must provide."""

from __future__ import annotations

PARTITIONER_NAMES = frozenset({
    "murmur2",
    "murmur2_random",
    "consistent",
    "consistent_random",
    "fnv1a",
    "fnv1a_random",
    "random",
    "round_robin",
    "uniform_sticky",
    "murmur3",
    "jump",
    "field",
    "default",
})
