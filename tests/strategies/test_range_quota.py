"""The per-topic range quota shared by ``range`` and the broker's KIP-848 ``range`` port."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.range import RangeQuota


@settings(deadline=None)
@given(partitions=st.integers(0, 200), subscribers=st.integers(1, 30), data=st.data())
def test_counts_stay_range_balanced_however_the_takes_are_split(
        partitions: int, subscribers: int, data: st.DataObject) -> None:
    quota = RangeQuota(partitions, subscribers)
    held = [0] * subscribers
    left = partitions
    for _ in range(2 * subscribers):  # rounds of partial takes, in any order
        c = data.draw(st.integers(0, subscribers - 1))
        k = data.draw(st.integers(0, min(quota.room(held[c]), left)))
        quota.took(held[c], held[c] + k)
        held[c] += k
        left -= k
    for c in range(subscribers):  # then everyone fills up to its room
        k = min(quota.room(held[c]), left)
        quota.took(held[c], held[c] + k)
        held[c] += k
        left -= k
    per, extra = divmod(partitions, subscribers)
    assert left == 0, "the rooms add up to every partition"
    assert set(held) <= {per, per + 1}
    assert sum(1 for h in held if h == per + 1) == extra


def test_whole_shares_taken_in_order_give_the_first_subscribers_the_extras() -> None:
    quota = RangeQuota(11, 4)
    shares = []
    for _ in range(4):
        share = quota.room(0)
        quota.took(0, share)
        shares.append(share)
    assert shares == [3, 3, 3, 2]
