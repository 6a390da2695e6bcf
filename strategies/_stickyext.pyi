"""Types of the compiled core (strategies/_stickyext.c); see its pure-Python twins."""

from strategies.core import TopicPartition

def partitions(cls: type[TopicPartition], topic: str, numbers: list[int]) -> tuple[TopicPartition, ...]: ...
def concat(parts: tuple[tuple[TopicPartition, ...], ...]) -> tuple[TopicPartition, ...]: ...
def assign(
    flat: tuple[TopicPartition, ...],
    members: tuple[str, ...],
    kept: list[list[TopicPartition]],
    base: dict[str, int],
) -> dict[str, tuple[TopicPartition, ...]]: ...
def read_assignment(buf: bytes, cls: type[TopicPartition]) -> tuple[tuple[TopicPartition, ...], int]: ...
def fill(
    order: list[str],
    topics: dict[str, tuple[str, ...]],
    count: dict[str, int],
    level: int,
    left: dict[str, int],
    parts: dict[str, list[TopicPartition]],
    fresh: dict[str, dict[str, list[TopicPartition]]],
) -> None: ...
def runs(
    members: tuple[str, ...],
    sticky: dict[str, dict[str, list[TopicPartition]]],
    fresh: dict[str, dict[str, list[TopicPartition]]],
    interned: dict[str, tuple[TopicPartition, ...]],
) -> dict[str, tuple[TopicPartition, ...]]: ...
