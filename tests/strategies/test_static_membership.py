"""Static members: a restart (new member id, same group.instance.id) gets the same partitions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from strategies import ClusterMetadata, MemberSubscription, get_assignor
from strategies.cooperative import with_ownership

META = ClusterMetadata({"t": 7, "u": 5})


def static_group() -> dict[str, MemberSubscription]:
    return {
        "d-1": MemberSubscription("d-1", {"t", "u"}),
        "s-a": MemberSubscription("s-a", {"t", "u"}, group_instance_id="host-3"),
        "s-b": MemberSubscription("s-b", {"t", "u"}, group_instance_id="host-1"),
        "d-2": MemberSubscription("d-2", {"t", "u"}),
    }


@pytest.mark.parametrize("name", ["range", "roundrobin"])
def test_restart_with_new_member_id_keeps_partitions(name: str) -> None:
    assignor = get_assignor(name)
    g = static_group()
    before = assignor.assign(g, META)
    restarted = dict(g)
    restarted["s-a2"] = replace(restarted.pop("s-a"), member_id="s-a2")
    after = assignor.assign(restarted, META)
    assert after.owned["s-a2"] == before.owned["s-a"]
    assert all(after.owned[m] == before.owned[m] for m in ("d-1", "d-2", "s-b"))


@pytest.mark.parametrize("name", ["sticky", "cooperative-sticky"])
def test_restarted_member_without_memory_gets_its_partitions_back(name: str) -> None:
    assignor = get_assignor(name)
    g = static_group()
    before = assignor.assign(g, META)
    owned = with_ownership(g, before.owned, 1)
    owned = {m: replace(s, user_data=assignor.encode_user_data(s.owned_partitions, 1))
             for m, s in owned.items()}
    restarted = dict(owned)
    restarted["s-a2"] = replace(restarted.pop("s-a"), member_id="s-a2", owned_partitions=(),
                                generation=-1, user_data=None)
    after = assignor.assign(restarted, META)
    assert after.owned["s-a2"] == before.owned["s-a"]
