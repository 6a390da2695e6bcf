"""``field``: routing by a logical field, the Avro schema-id pitfall, and missing fields."""

from __future__ import annotations

import io
import struct

import fastavro
import pytest
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

import partitioning
from partitioning import PartitioningError, PartitionView
from tests.partitioning.fakes import FakeCluster

N = 12
VIEW = PartitionView("orders", range(N))

KEY_SCHEMA_V1 = fastavro.parse_schema(
    {"type": "record", "name": "OrderKey", "fields": [{"name": "customer", "type": "string"}]}
)
KEY_SCHEMA_V2 = fastavro.parse_schema(
    {
        "type": "record",
        "name": "OrderKey",
        "fields": [
            {"name": "customer", "type": "string"},
            {"name": "region", "type": ["null", "string"], "default": None},
        ],
    }
)


def confluent_avro(record: dict, schema: dict, schema_id: int) -> bytes:
    """Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary body."""
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, schema, record)
    return b"\x00" + struct.pack(">I", schema_id) + buf.getvalue()


def java_partition(data: bytes, n: int = N) -> int:
    return (kafka_python_murmur2(data) & 0x7FFFFFFF) % n


CUSTOMERS = [f"customer-{i}" for i in range(200)]


def test_hashing_serialized_avro_keys_moves_keys_when_the_schema_id_changes() -> None:
    murmur2 = partitioning.registry.create("murmur2")
    moved = 0
    for c in CUSTOMERS:
        key = {"customer": c}
        before = murmur2.partition(confluent_avro(key, KEY_SCHEMA_V1, 1), None, VIEW)
        after = murmur2.partition(confluent_avro(key, KEY_SCHEMA_V2, 2), None, VIEW)
        moved += before != after
    assert moved > len(CUSTOMERS) // 2  # the pitfall: most keys change partition


def test_field_partitioner_keeps_keys_put_across_schema_ids() -> None:
    p = partitioning.kafka_python.create("field", field="customer", source="key")
    cluster = FakeCluster({"orders": N})
    for c in CUSTOMERS:
        key = {"customer": c}
        v1 = p.partition("orders", key, confluent_avro(key, KEY_SCHEMA_V1, 1), None, b"x", cluster)
        key2 = {"customer": c, "region": "eu"}
        v2 = p.partition("orders", key2, confluent_avro(key2, KEY_SCHEMA_V2, 2), None, b"x", cluster)
        assert v1 == v2 == java_partition(c.encode())


def test_nested_value_field_and_each_hash() -> None:
    value = {"order": {"customer": "alice"}}
    p = partitioning.registry.create("field", field="order.customer")
    assert p.partition_record(None, value, None, b"", VIEW) == java_partition(b"alice")
    fnv = partitioning.registry.create("field", field="order.customer", hash="fnv1a")
    plain_fnv1a = partitioning.registry.create("fnv1a")
    assert fnv.partition_record(None, value, None, b"", VIEW) == plain_fnv1a.partition(b"alice", None, VIEW)


def test_field_read_from_json_bytes_when_no_record_is_given() -> None:
    p = partitioning.registry.create("field", field="user")
    assert p.partition(None, b'{"user": "bob", "n": 1}', VIEW) == java_partition(b"bob")


def test_integer_fields_hash_their_decimal_text() -> None:
    p = partitioning.registry.create("field", field="id")
    assert p.partition_record(None, {"id": 42}, None, None, VIEW) == java_partition(b"42")


def test_callable_extractor() -> None:
    p = partitioning.registry.create("field", field=lambda key, value: value["a"] + value["b"])
    assert p.partition_record(None, {"a": "x", "b": "y"}, None, None, VIEW) == java_partition(b"xy")


def test_missing_field_is_an_error_naming_the_field() -> None:
    p = partitioning.kafka_python.create("field", field="customer")
    with pytest.raises(PartitioningError, match="value field 'customer'"):
        p.partition("orders", None, None, {"other": 1}, b"{}", FakeCluster({"orders": N}))


def test_missing_field_can_fall_back_to_the_key() -> None:
    p = partitioning.registry.create("field", field="customer", on_missing="key")
    assert p.partition_record(b"k", {"other": 1}, b"k", None, VIEW) == java_partition(b"k")
    with pytest.raises(PartitioningError, match="no value field"):
        p.partition_record(None, {"other": 1}, None, None, VIEW)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"field": ""}, ValueError),
        ({"field": "a..b"}, ValueError),
        ({"field": 3}, TypeError),
        ({"field": "a", "source": "header"}, ValueError),
        ({"field": "a", "hash": "sha256"}, ValueError),
        ({"field": "a", "on_missing": "drop"}, ValueError),
    ],
)
def test_bad_options_are_rejected(options: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        partitioning.registry.create("field", **options)


@pytest.mark.parametrize("record,what", [
    ({"name": "bob"}, "a callable"),  # "name.upper" reaches str.upper: its repr has an address
    ({"name": {"upper": object()}}, "a object"),
    ({"name": {"upper": [1, 2]}}, "a list"),
])
def test_a_field_that_is_not_data_is_refused_naming_it(record: dict, what: str) -> None:
    p = partitioning.registry.create("field", field="name.upper")
    with pytest.raises(PartitioningError, match=rf"'name.upper' of a record of topic 'orders' is {what},"):
        p.partition_record(None, record, None, None, VIEW)


def test_an_extractor_returning_something_that_is_not_data_is_refused() -> None:
    p = partitioning.registry.create("field", field=lambda key, value: value.get)
    with pytest.raises(PartitioningError, match="extractor '<lambda>' .* is a callable, not data"):
        p.partition_record(None, {"a": 1}, None, None, VIEW)


@pytest.mark.parametrize(("mapping", "partitioner"), [
    ("murmur2", "murmur2"), ("fnv1a", "fnv1a"), ("crc32", "consistent"), ("murmur3", "murmur3"),
    ("jump", "jump"),
])
def test_a_key_mapping_name_means_the_whole_rule_of_the_partitioner_it_is_named_after(
        mapping: str, partitioner: str) -> None:
    from partitioning.mapping import KEY_MAPPINGS

    keyed = partitioning.registry.create(partitioner)
    for n in (1, 6, 7, 100):
        view = PartitionView("t", range(n))
        for i in range(300):
            key = b"key-%d" % i
            assert KEY_MAPPINGS[mapping](key, n) == keyed.partition(key, None, view), (mapping, n, key)


def test_the_field_hash_option_refuses_an_unknown_mapping_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown hash 'sha1'; known: crc32, fnv1a, jump, murmur2, murmur3"):
        partitioning.registry.create("field", field="id", hash="sha1")
