"""``field``: partition by a field of the record (or any callable), hashed with any mapping.

Users need not copy data into the key: ``create("field", field="user.id")`` routes by
``value["user"]["id"]``. The extracted field is turned into bytes (bytes as is, ``str`` as
UTF-8, anything else as ``str(x)`` in UTF-8) and mapped with ``hash`` (``murmur2`` by default,
so ``field`` of a string equals Java's partition for a record whose key is that string).
Only data is hashed: ``str``, bytes, ``int``, ``float``, ``Decimal`` and ``UUID`` (their text is
the same in every process). Anything else -- a method reached by the path (``"name.upper"``),
a container, an arbitrary object whose ``str()`` is its address -- raises
:class:`~partitioning.core.PartitioningError` naming the field, rather than hash a text that
differs between processes.

It also cures the Schema Registry pitfall: Confluent's Avro wire format prefixes a magic byte
and the 4-byte schema id to the serialized key, so hashing the serialized key moves a key to
another partition when its schema id changes; ``source="key"`` with a field of the logical key
hashes the field only.

Where a field path is looked up: the unserialized record (what the adapter passes through
``partition_record``), decoded as JSON when it is bytes. A callable extractor receives the
unserialized ``(key, value)`` as they are.
A missing field raises :class:`~partitioning.core.PartitioningError` naming it, unless
``on_missing="key"``, which falls back to the ``hash`` of the serialized key (and still raises
when the record has no key) -- a record is never silently misrouted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

from partitioning.core import PartitioningError, PartitionView, check_key
from partitioning.mapping import key_mapping

Extractor = Callable[[Any, Any], Any]
"""(record key, record value) -> the object to partition by."""

_MISSING = object()


def _lookup(obj: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if isinstance(obj, Mapping):
            obj = obj.get(part, _MISSING)
        else:
            obj = getattr(obj, part, _MISSING)
        if obj is _MISSING or obj is None:
            return _MISSING
    return obj


DATA_TYPES: tuple[type, ...] = (str, bytes, bytearray, memoryview, int, float, Decimal, uuid.UUID)
"""What a field may hold to be hashed: types whose text is the same in every process."""


def field_bytes(obj: Any, label: str = "field") -> bytes:
    """The bytes hashed for an extracted field; raises for values that are not data."""
    if isinstance(obj, bytes):
        return obj
    if isinstance(obj, bytearray | memoryview):
        return bytes(obj)
    if isinstance(obj, str):
        return obj.encode("utf-8")
    if not isinstance(obj, DATA_TYPES):
        kind = "a callable" if callable(obj) else f"a {type(obj).__name__}"
        raise PartitioningError(
            f"{label} is {kind}, not data (str, bytes, int, float, Decimal or UUID): refusing to"
            " hash it, its text would differ between processes; point the field at a scalar or"
            " pass a callable extractor that returns one"
        )
    return str(obj).encode("utf-8")


class FieldPartitioner:
    """Partition by ``field`` (dotted path or callable) of the record's ``source`` side."""

    def __init__(
        self,
        field: str | Extractor,
        source: Literal["value", "key"] = "value",
        hash: str = "murmur2",
        on_missing: Literal["error", "key"] = "error",
    ) -> None:
        if source not in ("value", "key"):
            raise ValueError(f"source must be 'value' or 'key', got {source!r}")
        if on_missing not in ("error", "key"):
            raise ValueError(f"on_missing must be 'error' or 'key', got {on_missing!r}")
        if isinstance(field, str):
            if not field or any(not p for p in field.split(".")):
                raise ValueError(f"field must be a non-empty dotted path, got {field!r}")
            path = tuple(field.split("."))
            self._extract: Extractor = lambda k, v: _lookup(_decoded(k if source == "key" else v), path)
            self._label = f"{source} field {field!r}"
        elif callable(field):
            self._extract = field
            self._label = f"extractor {getattr(field, '__name__', field)!r}"
        else:
            raise TypeError(f"field must be a dotted path or a callable, not {type(field).__name__}")
        self._source = source
        self._mapping = key_mapping(hash)
        self._on_missing = on_missing

    def _route(self, obj: Any, key: bytes | None, view: PartitionView) -> int:
        if obj is _MISSING or obj is None:
            if self._on_missing == "key" and key is not None:
                return view.all[self._mapping(check_key(key) or b"", len(view.all))]
            raise PartitioningError(f"record of topic {view.topic!r} has no {self._label}")
        return view.all[self._mapping(field_bytes(obj, f"the {self._label} of a record of topic"
                                                     f" {view.topic!r}"), len(view.all))]

    def partition_record(
        self,
        record_key: Any,
        record_value: Any,
        key: bytes | None,
        value: bytes | None,
        view: PartitionView,
    ) -> int:
        """Route using the unserialized record (preferred by adapters)."""
        return self._route(self._extract(record_key, record_value), key, view)

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        """Route using serialized bytes only: a field path is read from JSON; a callable
        extractor receives the bytes."""
        return self._route(self._extract(key, value), key, view)


def _decoded(data: Any) -> Any:
    """JSON-decode bytes when possible; anything else is returned unchanged."""
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            return json.loads(bytes(data))
        except (ValueError, UnicodeDecodeError):
            return data
    return data
