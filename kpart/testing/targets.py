"""What ``MODULE:OBJECT`` names, and what it is: an assignor or a partitioner, ours or
kafka-python's. kafka-python is imported only when the object comes from it."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from partitioning.core import Partitioner
from strategies.core import Assignor


class TargetError(ValueError):
    """The named object cannot be loaded or tested; the message says why, in one line."""


ASSIGNOR_CLAIMS: Mapping[str, type] = {
    "balance": int,  # with identical subscriptions, counts differ by at most this
    "balance_any_subscriptions": bool,  # no member could take from one owning balance+1 more
    "sticky": bool,  # fewest moves of any balanced assignment (identical subscriptions)
    "rounds": int,  # a cooperative rebalance settles within this many rounds (default 2)
}
PARTITIONER_CLAIMS: Mapping[str, type] = {
    "uniform": bool,  # keys spread uniformly (default True for keyed partitioners)
}


def load_object(spec: str) -> Any:
    """The object ``spec`` names: ``package.module:Name`` or ``path/to/file.py:Name``."""
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise TargetError(f"{spec!r}: expected MODULE:OBJECT, e.g. strategies:StickyAssignor "
                          f"or examples/custom_assignor.py:PinnedAssignor")
    module = _load_module(module_part)
    obj: Any = module
    for name in attr.split("."):
        if not hasattr(obj, name):
            raise TargetError(f"{spec!r}: {module_part} has no attribute {attr!r}")
        obj = getattr(obj, name)
    return obj


def _load_module(name: str) -> Any:
    if name.endswith(".py") or os.sep in name or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise TargetError(f"{name}: no such file")
        module_name = "kpart_check_" + path.resolve().as_posix().replace("/", "_").replace(".", "_")
        if module_name in sys.modules:
            return sys.modules[module_name]
        folder = str(path.resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise TargetError(f"{name}: not a Python file")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise TargetError(f"{name}: importing it raised {type(exc).__name__}: {exc}") from exc
        return module
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise TargetError(f"{name}: no module named {exc.name!r}") from exc
    except Exception as exc:
        raise TargetError(f"{name}: importing it raised {type(exc).__name__}: {exc}") from exc


def _from_kafka_python(obj: Any) -> bool:
    cls = obj if inspect.isclass(obj) else type(obj)
    return any(base.__module__.split(".")[0] == "kafka" for base in cls.__mro__)


def _is_factory(obj: Any) -> bool:
    return inspect.isclass(obj) or inspect.isfunction(obj)


def _instance(obj: Any, label: str) -> tuple[Any, Callable[[], Any] | None]:
    """A class or a zero-argument factory function is called; an instance is used as is."""
    if not _is_factory(obj):
        return obj, None
    try:
        return obj(), obj
    except TypeError as exc:
        raise TargetError(f"{label}: {obj.__name__}() needs arguments ({exc}); "
                          f"name an instance instead") from exc


def as_assignor(obj: Any, label: str) -> tuple[Assignor, Callable[[], Assignor] | None] | None:
    """``obj`` as a core assignor and a factory of fresh ones; ``None`` if not an assignor."""
    if _from_kafka_python(obj):
        from kpart.testing.kafka_python import KafkaPythonAssignorUnderTest, is_kafka_assignor

        if not is_kafka_assignor(obj):
            return None
        inner, factory = _instance(obj, label)
        make = (lambda: KafkaPythonAssignorUnderTest(factory())) if factory else None
        return KafkaPythonAssignorUnderTest(inner), make
    if isinstance(obj, Assignor) or (inspect.isclass(obj) and issubclass(obj, Assignor)):
        return _instance(obj, label)
    if inspect.isfunction(obj):
        made, factory = _instance(obj, label)
        return (made, factory) if isinstance(made, Assignor) else None
    return None


def as_partitioner(obj: Any, label: str) -> tuple[Any, Callable[[], Any] | None] | None:
    """``obj`` as a core partitioner and a factory of fresh ones; ``None`` if not one."""
    if _from_kafka_python(obj):
        from kpart.testing.kafka_python import KafkaPythonPartitionerUnderTest, is_kafka_partitioner

        if not is_kafka_partitioner(obj):
            return None
        inner, factory = _instance(obj, label)
        make = (lambda: KafkaPythonPartitionerUnderTest(factory())) if factory else None
        return KafkaPythonPartitionerUnderTest(inner), make
    if inspect.isclass(obj) and callable(getattr(obj, "partition", None)):
        return _instance(obj, label)
    if inspect.isfunction(obj):
        made, factory = _instance(obj, label)
        return (made, factory) if isinstance(made, Partitioner) else None
    if not inspect.isclass(obj) and isinstance(obj, Partitioner):
        return obj, None
    return None


def claims_of(obj: Any, extra: Mapping[str, object], known: Mapping[str, type],
              label: str) -> dict[str, object]:
    """The object's ``claims`` attribute updated with ``extra``, each checked against ``known``."""
    inner = getattr(obj, "inner", obj)
    claims = dict(getattr(inner, "claims", None) or {})
    claims.update(extra)
    for key, value in claims.items():
        if key not in known:
            raise TargetError(f"{label}: unknown claim {key!r}; known: {', '.join(known)}")
        want = known[key]
        if want is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise TargetError(f"{label}: claim {key!r} must be an int >= 0, got {value!r}")
        if want is bool and not isinstance(value, bool):
            raise TargetError(f"{label}: claim {key!r} must be true or false, got {value!r}")
    return claims


def parse_claim(text: str) -> tuple[str, object]:
    """``balance=1`` -> ("balance", 1); ``sticky`` or ``sticky=true`` -> ("sticky", True)."""
    key, sep, raw = text.partition("=")
    if not key:
        raise TargetError(f"--claim {text!r}: expected NAME=VALUE, e.g. balance=1")
    if not sep or raw.lower() in ("true", "yes"):
        return key, True
    if raw.lower() in ("false", "no"):
        return key, False
    try:
        return key, int(raw)
    except ValueError:
        raise TargetError(f"--claim {text!r}: value must be an int or true/false") from None
