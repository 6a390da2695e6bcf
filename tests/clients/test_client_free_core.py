"""The core needs no Kafka client: importing it loads none, and each adapter names its extra."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[2]
CLIENT_MODULES = ("kafka", "aiokafka", "confluent_kafka")

# Run in a child interpreter; hides the Kafka clients (as if not installed) when BLOCK is set.
PROBE = textwrap.dedent(
    """
    import importlib.abc, json, sys
    BLOCK = {block!r}

    class Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCK:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    if BLOCK:
        sys.meta_path.insert(0, Hide())
    {body}
    print(json.dumps(sorted({{m.partition(".")[0] for m in sys.modules}})))
    """
)


def run_probe(body: str, block: tuple[str, ...] = (), python: str = sys.executable,
              cwd: Path = ROOT) -> tuple[set[str], str]:
    code = PROBE.format(block=list(block), body=textwrap.dedent(body).strip())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([python, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    return set(json.loads(lines[-1])), "\n".join(lines[:-1])


def test_importing_the_core_packages_loads_no_client_and_no_numpy() -> None:
    loaded, _ = run_probe("import partitioning, strategies, partitioning.registry, strategies.registry")
    assert not loaded & {*CLIENT_MODULES, "numpy"}, loaded


def test_the_cli_and_simulator_import_no_client() -> None:
    loaded, _ = run_probe("import kpart.cli, kpart.simulation")
    assert not loaded & set(CLIENT_MODULES), loaded


def test_kpart_compare_runs_with_every_client_hidden() -> None:
    loaded, out = run_probe(
        """
        from kpart.cli import main
        try:
            main(["compare", "--no-progress", "--json"])
        except SystemExit as exc:
            assert not exc.code, exc.code
        """,
        block=CLIENT_MODULES,
    )
    assert json.loads(out), "kpart compare printed nothing"
    assert not loaded & set(CLIENT_MODULES)


def test_core_partitioners_and_assignors_work_with_every_client_hidden() -> None:
    _, out = run_probe(
        """
        import partitioning, strategies
        from partitioning import PartitionView
        p = partitioning.registry.create("murmur2").partition(b"21", None, PartitionView("t", range(6)))
        group = {m: strategies.MemberSubscription(m, {"t"}) for m in ("a", "b")}
        a = strategies.get_assignor("cooperative-sticky").assign(group, strategies.ClusterMetadata({"t": 6}))
        print(p, sorted(a.counts().values()))
        """,
        block=CLIENT_MODULES,
    )
    # Java: toPositive(murmur2("21")) % 6 with murmur2("21") = -973932308
    assert out == f"{(-973932308 & 0x7FFFFFFF) % 6} [3, 3]"


@pytest.mark.parametrize(
    ("statement", "extra"),
    [
        ("partitioning.kafka_python.create('murmur2')", "kafka-python"),
        ("partitioning.BoundedProducer", "kafka-python"),
        ("import strategies.kafka_python", "kafka-python"),
        ("import partitioning.kafka_python", "kafka-python"),
        ("import partitioning.producer", "kafka-python"),
        ("import partitioning.aiokafka", "aiokafka"),
        ("import strategies.aiokafka", "aiokafka"),
        ("import partitioning.confluent", "confluent"),
    ],
)
def test_a_missing_client_names_the_extra_to_install(statement: str, extra: str) -> None:
    _, out = run_probe(
        f"""
        import partitioning
        try:
            {statement}
        except ImportError as exc:
            print(type(exc).__name__, exc)
        """,
        block=CLIENT_MODULES,
    )
    assert out.startswith("MissingClientError kpart's "), out
    assert out.endswith(f"pip install 'kpart[{extra}]'"), out


def test_no_client_is_a_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {d.split(">")[0].split("=")[0].split("<")[0].strip().lower() for d in project["dependencies"]}
    assert not names & {"kafka-python", "aiokafka", "confluent-kafka"}, names
    extras = project["optional-dependencies"]
    assert {"kafka-python", "aiokafka", "confluent"} <= set(extras)
    assert all("kpart[" in extras["test"][0] and e in extras["test"][0]
               for e in ("kafka-python", "aiokafka", "confluent"))


@pytest.mark.integration
def test_fresh_install_without_any_client(tmp_path: Path) -> None:
    """pip-installs the project and its runtime dependencies only into a new venv (no system
    site-packages), then imports the core, runs the CLI and checks the adapters' errors."""
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, files):
        rel = Path(name.decode())
        if (ROOT / rel).is_file() and rel.parts[0] not in ("tests", "docs", "broker", "benchmarks"):
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_bytes((ROOT / rel).read_bytes())
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # the same versions as this environment's, so pip takes them from its cache
    deps = []
    for dep in project["dependencies"]:
        name = dep.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip()
        deps.append(f"{name}=={version(name)}")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         *deps, str(src)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    loaded, out = run_probe(
        """
        import partitioning, strategies
        assert partitioning.__file__.startswith(sys.prefix), partitioning.__file__
        mods = sorted({m.partition(".")[0] for m in sys.modules})
        from kpart.cli import main
        try:
            main(["compare", "--no-progress", "--csv"])
        except SystemExit as exc:
            assert not exc.code, exc.code
        for stmt in ("import partitioning.kafka_python", "import partitioning.aiokafka",
                     "import strategies.aiokafka", "import partitioning.confluent"):
            try:
                exec(stmt)
            except ImportError as exc:
                print("ERR", exc)
        """,
        python=str(python), cwd=tmp_path,
    )
    assert not loaded & set(CLIENT_MODULES)
    errors = [line for line in out.splitlines() if line.startswith("ERR ")]
    assert len(errors) == 4, out
    assert errors[1:] == [
        "ERR kpart's aiokafka adapter needs aiokafka: pip install 'kpart[aiokafka]'",
        "ERR kpart's aiokafka adapter needs aiokafka: pip install 'kpart[aiokafka]'",
        "ERR kpart's confluent-kafka adapter needs confluent-kafka: pip install 'kpart[confluent]'",
    ], out
    assert "strategy" in out.splitlines()[0].lower() or "," in out.splitlines()[0], out
