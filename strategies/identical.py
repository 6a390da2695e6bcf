"""Balance for identical subscriptions without racks, in index space.

Every partition of the subscribed topics is numbered by its place in the metadata's
:meth:`~strategies.core.ClusterMetadata.flat_partitions` (topics in name order, then by
number, which is :class:`~strategies.core.TopicPartition` order), so the balance works on
ints and each member's answer is cut out of that one tuple of shared partition objects.

Guarantees (those of the sticky engine's identical-subscription path, which this is):

* counts differ by at most one; the members keeping more than the lower share are those
  with the most claims (ties in member order), then the first members in member order;
* each member keeps its claims up to its share, lowest first (so the number kept is the
  maximum any balanced assignment keeps);
* the remaining partitions, in order, are dealt round-robin in member order to members with
  room, the least short finishing first;
* each member's partitions come out sorted, as the metadata's own objects.

A compiled core (``strategies._stickyext``) gives the identical answer faster when it is
built; :data:`COMPILED` says whether it is in use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain, filterfalse
from types import ModuleType

from strategies.core import ClusterMetadata, TopicPartition

_stickyext: ModuleType | None
try:
    from strategies import _stickyext
except ImportError:  # no compiler at install time: the pure-Python twin below
    _stickyext = None

COMPILED = _stickyext is not None

Owned = dict[str, tuple[TopicPartition, ...]]


def quotas(members: Sequence[str], total: int, claimed: Mapping[str, int]) -> dict[str, int]:
    """Each member's share of ``total``: the lower share, one more for the members with the
    most claims above it, then for the first members in order, until ``total`` is reached."""
    q, r = divmod(total, len(members))
    quota = dict.fromkeys(members, q)
    over = sorted((m for m in members if claimed[m] > q), key=lambda m: -claimed[m])
    for m in over[:r]:
        quota[m] = q + 1
    extra = r - min(r, len(over))
    for m in members:
        if extra == 0:
            break
        if quota[m] == q:
            quota[m] = q + 1
            extra -= 1
    return quota


def assign_identical(
    members: tuple[str, ...],
    topics: Sequence[str],
    cluster: ClusterMetadata,
    kept: Mapping[str, list[TopicPartition]],
) -> Owned:
    """Member -> its sorted partitions, for ``members`` (in member order) all subscribed to
    ``topics``; ``kept[m]`` are ``m``'s valid, uncontested claims, sorted."""
    order = tuple(sorted(topics))
    counts = cluster.partition_counts
    base: dict[str, int] = {}
    at = 0
    for t in order:
        base[t] = at
        at += counts[t]
    core = assign if _stickyext is None else _stickyext.assign
    out: Owned = core(cluster.flat_partitions(order), members, [kept[m] for m in members], base)
    return out


def assign(
    flat: tuple[TopicPartition, ...],
    members: tuple[str, ...],
    kept: list[list[TopicPartition]],
    base: dict[str, int],
) -> Owned:
    """The pure-Python core (twin of the compiled one): ``kept[j]`` are the claims of
    ``members[j]``; ``base[topic]`` is where ``topic``'s partitions start in ``flat``."""
    quota = quotas(members, len(flat), {m: len(c) for m, c in zip(members, kept, strict=True)})
    keep = {m: sorted(base[tp[0]] + tp[1] for tp in c[:quota[m]])
            for m, c in zip(members, kept, strict=True)}
    if any(keep.values()):
        taken = set(chain.from_iterable(keep.values()))
        free: Sequence[int] = list(filterfalse(taken.__contains__, range(len(flat))))
    else:
        free = range(len(flat))
    dealt: dict[str, list[Sequence[int]]] = {m: [] for m in members}
    active = [m for m in members if quota[m] > len(keep[m])]
    i = 0
    level = 0
    while active:
        k = len(active)
        top = min(quota[m] - len(keep[m]) for m in active)
        block = free[i:i + k * (top - level)]
        for j, m in enumerate(active):
            dealt[m].append(block[j::k])
        i += len(block)
        level = top
        active = [m for m in active if quota[m] - len(keep[m]) > level]
    out: Owned = {}
    at = flat.__getitem__
    for m in members:
        if keep[m]:
            out[m] = tuple(map(at, sorted(chain(keep[m], *dealt[m]))))
            continue
        cuts = [_cut(flat, c) for c in dealt[m]]
        out[m] = cuts[0] if len(cuts) == 1 else tuple(chain.from_iterable(cuts))
    return out


def _cut(flat: tuple[TopicPartition, ...], indices: Sequence[int]) -> tuple[TopicPartition, ...]:
    """``flat``'s items at ``indices`` (a range is cut by slicing)."""
    if isinstance(indices, range):
        return flat[indices.start:indices.stop:indices.step]
    return tuple(map(flat.__getitem__, indices))
