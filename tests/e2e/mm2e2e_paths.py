"""Where the e2e test finds Kafka's jars and the Java helper.

The Kafka version is defined once, in pom.xml (<kafka.version>); install-kafka and
the tests both read it from there through this module. So are the older broker lines of the
broker matrix, in brokers/pom.xml (<e2e.broker.versions>): broker-only jar sets.

    python3 mm2e2e_paths.py --shell   # KAFKA_VERSION=..., LIBS_DIR=..., HELPER_JAR=... for bash
"""

from __future__ import annotations

import hashlib
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

E2E_DIR = Path(__file__).resolve().parent
POM = E2E_DIR / "pom.xml"
BROKERS_POM = E2E_DIR / "brokers" / "pom.xml"
_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def kafka_version() -> str:
    root = ET.parse(POM).getroot()
    node = root.find("m:properties/m:kafka.version", _NS)
    if node is None or not (node.text or "").strip():
        raise RuntimeError(f"{POM}: <properties><kafka.version> missing")
    return node.text.strip()


def jmx_exporter_version() -> str:
    root = ET.parse(POM).getroot()
    node = root.find("m:properties/m:jmx.exporter.version", _NS)
    if node is None or not (node.text or "").strip():
        raise RuntimeError(f"{POM}: <properties><jmx.exporter.version> missing")
    return node.text.strip()


def jmx_agent_jar() -> Path:
    """The real Prometheus JMX exporter agent (Maven Central), copied by install-kafka."""
    v = jmx_exporter_version()
    return tools_dir() / f"jmx-exporter-{v}" / f"jmx_prometheus_javaagent-{v}.jar"


def broker_versions() -> list[str]:
    """The older Kafka lines the matrix runs as brokers (ZooKeeper mode), oldest first."""
    root = ET.parse(BROKERS_POM).getroot()
    node = root.find("m:properties/m:e2e.broker.versions", _NS)
    if node is None or not (node.text or "").strip():
        raise RuntimeError(f"{BROKERS_POM}: <properties><e2e.broker.versions> missing")
    return [v.strip() for v in node.text.split(",") if v.strip()]


def broker_libs_dir(version: str) -> Path:
    """A broker's runtime jars: the full set of the pinned version, or a broker-only set."""
    if version == kafka_version():
        return libs_dir()
    return tools_dir() / f"kafka-{version}" / "libs"


def tools_dir() -> Path:
    base = os.environ.get("MM2GEN_TOOLS_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "mm2gen-tools"
    )
    return Path(base)


def kafka_dir() -> Path:
    return tools_dir() / f"kafka-{kafka_version()}"


def libs_dir() -> Path:
    """Kafka's runtime jars (the equivalent of /opt/kafka/libs in the apache/kafka image)."""
    return kafka_dir() / "libs"


def helper_sources() -> list[Path]:
    files = [POM] + sorted((E2E_DIR / "src").rglob("*.java"))
    return sorted(files, key=lambda p: p.relative_to(E2E_DIR).as_posix())


def helper_hash() -> str:
    h = hashlib.sha256()
    for f in helper_sources():
        h.update(f.relative_to(E2E_DIR).as_posix().encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def helper_jar() -> Path:
    """The Java helper, built by install-kafka, keyed by a hash of its sources."""
    return kafka_dir() / f"helper-{helper_hash()}" / "mm2e2e-helper.jar"


def libs_complete() -> bool:
    return (libs_dir() / ".complete").is_file()


def missing_message() -> str | None:
    problems = []
    if not libs_complete():
        problems.append(f"Kafka {kafka_version()} libs not found in {libs_dir()}")
    for v in broker_versions():
        if not (broker_libs_dir(v) / ".complete").is_file():
            problems.append(f"Kafka {v} broker libs not found in {broker_libs_dir(v)}")
    if not helper_jar().is_file():
        problems.append(f"e2e Java helper not built ({helper_jar()})")
    if not jmx_agent_jar().is_file():
        problems.append(f"JMX exporter agent not found ({jmx_agent_jar()})")
    if problems:
        return "; ".join(problems) + ": run tests/e2e/install-kafka"
    return None


if __name__ == "__main__":
    if sys.argv[1:] == ["--shell"]:
        import shlex

        for k, v in [
            ("KAFKA_VERSION", kafka_version()),
            ("KAFKA_DIR", str(kafka_dir())),
            ("LIBS_DIR", str(libs_dir())),
            ("HELPER_JAR", str(helper_jar())),
            ("BROKER_VERSIONS", " ".join(broker_versions())),
            ("JMX_EXPORTER_VERSION", jmx_exporter_version()),
            ("JMX_AGENT_JAR", str(jmx_agent_jar())),
            ("TOOLS_DIR", str(tools_dir())),
        ]:
            print(f"{k}={shlex.quote(v)}")
    else:
        print(f"kafka {kafka_version()}\nlibs {libs_dir()}\nhelper {helper_jar()}")
