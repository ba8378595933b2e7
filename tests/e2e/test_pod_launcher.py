"""Unit tests of the MM2 pod launcher (mm2e2e_pod): no Kafka, no mm2gen, no mounts."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from mm2e2e_pod import Pod, PodError, expand_k8s, load_objects, parse_quantity

SCRIPT = "/opt/kafka/bin/connect-mirror-maker.sh"


def deployment(container: dict | None = None, volumes: list | None = None, pod_sc: dict | None = None) -> dict:
    c = {"name": "mm2", "image": "apache/kafka:4.3.1", "command": [SCRIPT],
         "args": ["/etc/mm2/mm2.properties"]}
    c.update(container or {})
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "mm2", "namespace": "kafka"},
            "spec": {"template": {"metadata": {"labels": {"app": "mm2"}},
                                  "spec": {"containers": [c], "volumes": volumes or [],
                                           **({"securityContext": pod_sc} if pod_sc else {})}}}}


@pytest.fixture
def libs(tmp_path: Path) -> Path:
    d = tmp_path / "libs"
    d.mkdir()
    for n in ["kafka-clients-4.3.1.jar", "connect-mirror-4.3.1.jar", "x-sources.jar", ".complete"]:
        (d / n).write_text("")
    return d


def pod(tmp_path: Path, libs: Path, objs: list[dict], **kw) -> Pod:
    return Pod(objs, tmp_path / "work", libs, **kw)


def test_expand_k8s():
    env = {"A": "1", "B": "x y"}
    assert expand_k8s("$(A)-$(B)", env) == "1-x y"
    assert expand_k8s("$$(A)", env) == "$(A)"
    assert expand_k8s("$(NOPE) $A $", env) == "$(NOPE) $A $"


def test_parse_quantity():
    assert parse_quantity("2Gi") == 2 * 2**30
    assert parse_quantity("500m") == 0.5
    assert parse_quantity("1e3") == 1000


def test_java_command_translates_the_script(tmp_path, libs):
    p = pod(tmp_path, libs, [deployment({
        "args": ["/etc/mm2/mm2.properties", "--clusters", "target cluster"],
        "env": [{"name": "KAFKA_HEAP_OPTS", "value": "-Xms1g  -Xmx2g"},
                {"name": "KAFKA_OPTS", "value": "-Da=b -Dc=$(POD)"},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]})])
    cmd, env = p.java_command({"JAVA_HOME": "/jdk", **p.env})
    assert cmd[0] == "/jdk/bin/java"
    assert cmd[1:3] == ["-Xms1g", "-Xmx2g"]
    # args are passed as they are, after the main class
    i = cmd.index("org.apache.kafka.connect.mirror.MirrorMaker")
    assert cmd[i + 1:] == ["/etc/mm2/mm2.properties", "--clusters", "target cluster"]
    cp = cmd[cmd.index("-cp") + 1].split(":")
    assert cp == ["/opt/kafka/bin/../libs/connect-mirror-4.3.1.jar", "/opt/kafka/bin/../libs/kafka-clients-4.3.1.jar"]
    # KAFKA_OPTS after the classpath; $(POD) is not expanded since POD is defined after it
    assert cmd[cmd.index("-cp") + 2:i] == ["-Da=b", "-Dc=$(POD)"]
    assert "-Dlog4j2.configurationFile=/opt/kafka/bin/../config/connect-log4j2.yaml" in cmd
    assert "-Dkafka.logs.dir=/opt/kafka/bin/../logs" in cmd
    assert env["KAFKA_LOG4J_OPTS"] == "-Dlog4j2.configurationFile=/opt/kafka/bin/../config/connect-log4j2.yaml"


def test_default_heap_of_the_script(tmp_path, libs):
    p = pod(tmp_path, libs, [deployment()])
    cmd, env = p.java_command({"JAVA_HOME": "/jdk"})
    assert cmd[1:3] == ["-Xms256M", "-Xmx2G"] and env["KAFKA_HEAP_OPTS"] == "-Xms256M -Xmx2G"


@pytest.mark.parametrize("container, message", [
    ({"command": ["/bin/sh", "-c", "exec java"]}, "refusing"),
    ({"command": None}, "no `command`"),
    ({"args": ["-daemon", "/x"]}, "-daemon"),
    ({"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}}]}, "not supported"),
    ({"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]}, "not found"),
    ({"image": "apache/kafka:3.9.0"}, "e2e test runs"),
])
def test_refusals(tmp_path, libs, container, message):
    with pytest.raises(PodError, match=message):
        p = pod(tmp_path, libs, [deployment(container)], expected_image="apache/kafka:4.3.1")
        p.java_command({"JAVA_HOME": "/jdk", **p.env})


def test_volumes_materialized(tmp_path, libs):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "kafka"},
              "data": {"keystore.jks": base64.b64encode(b"\x00\x01").decode()}, "stringData": {"pw": "p"}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "kafka"},
          "data": {"mm2.properties": "a=b\\\\c\n", "other": "x"}}
    vols = [{"name": "config", "configMap": {"name": "c", "items": [{"key": "mm2.properties", "path": "mm2.properties"}]}},
            {"name": "sec", "projected": {"defaultMode": 0o440, "sources": [{"secret": {"name": "s"}}]}},
            {"name": "tmp", "emptyDir": {}}]
    mounts = [{"name": "config", "mountPath": "/etc/mm2"},
              {"name": "sec", "mountPath": "/etc/mm2/secrets/src", "readOnly": True},
              {"name": "tmp", "mountPath": "/tmp"}]
    existed = Path("/etc/mm2").exists()
    p = pod(tmp_path, libs, [cm, deployment({"volumeMounts": mounts}, vols, {"fsGroup": 1000})],
            extra_objects=[secret])
    p._materialize()
    try:
        by_target = {m.target: m for m in p.mounts}
        config = by_target["/etc/mm2"].source
        assert (config / "mm2.properties").read_bytes() == b"a=b\\\\c\n"  # byte for byte
        assert not (config / "other").exists()  # only `items`
        assert (config / "secrets" / "src").is_dir()  # nested mount point made in the volume
        sec = by_target["/etc/mm2/secrets/src"].source
        assert (sec / "keystore.jks").read_bytes() == b"\x00\x01"
        assert (sec / "pw").read_text() == "p"
        assert (sec / "pw").stat().st_mode & 0o777 == 0o440 and (sec / "pw").stat().st_gid == 1000
        assert by_target["/etc/mm2"].read_only and by_target["/etc/mm2/secrets/src"].read_only
        assert not by_target["/tmp"].read_only
        # parents are mounted before children
        order = [m.target for m in p.mounts]
        assert order.index("/etc/mm2") < order.index("/etc/mm2/secrets/src")
        assert order.index("/opt/kafka") < order.index("/opt/kafka/libs")
        # /tmp is a mount path: the staging dir must not be under it
        assert not str(p.staging).startswith("/tmp/")
    finally:
        p.cleanup()
    # the host mount point the launcher had to create is gone
    assert Path("/etc/mm2").exists() == existed


def test_load_objects_multi_document(tmp_path):
    f = tmp_path / "all.yaml"
    f.write_text("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
                 "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n")
    assert [o["kind"] for o in load_objects(f)] == ["ConfigMap", "Secret"]


AGENT_COPY = {"name": "jmx-exporter-agent", "image": "quay.io/strimzi/kafka:0.45.0-kafka-3.9.0",
              "command": ["/bin/sh", "-ec", 'set -- $AGENT_JAR; cp "$1" /opt/jmx-exporter/jmx_prometheus_javaagent.jar'],
              "env": [{"name": "AGENT_JAR", "value": "/opt/prometheus-jmx-exporter/jmx_prometheus_javaagent*.jar"}],
              "volumeMounts": [{"name": "jmx-exporter", "mountPath": "/opt/jmx-exporter"}]}


def with_init(dep: dict, init: dict) -> dict:
    dep["spec"]["template"]["spec"]["initContainers"] = [init]
    return dep


def test_the_agent_copy_puts_the_real_jar_into_its_empty_dir(tmp_path, libs):
    jar = tmp_path / "agent.jar"
    jar.write_bytes(b"PK the agent")
    dep = with_init(deployment(volumes=[{"name": "jmx-exporter", "emptyDir": {}}]), AGENT_COPY)
    p = pod(tmp_path, libs, [dep], agent_jar=jar, emulate_user=False)
    assert p.agent_copies == [("jmx-exporter", "jmx_prometheus_javaagent.jar")]
    p._materialize()
    assert (p.staging / "volumes" / "jmx-exporter" / "jmx_prometheus_javaagent.jar").read_bytes() == b"PK the agent"


def test_any_other_init_container_is_refused(tmp_path, libs):
    other = {**AGENT_COPY, "command": ["/bin/sh", "-ec", "wget http://example.invalid/x.jar"]}
    dep = with_init(deployment(volumes=[{"name": "jmx-exporter", "emptyDir": {}}]), other)
    with pytest.raises(PodError, match="only the JMX exporter agent copy"):
        pod(tmp_path, libs, [dep])
    dep = with_init(deployment(volumes=[{"name": "jmx-exporter", "configMap": {"name": "x"}}]), AGENT_COPY)
    with pytest.raises(PodError, match="not an emptyDir"):
        pod(tmp_path, libs, [dep])


def test_the_e2e_agent_is_the_release_mm2gen_pins():
    import re
    import mm2e2e_paths
    version_rs = (Path(__file__).resolve().parents[2] / "src" / "version.rs").read_text()
    pinned = re.search(r'JMX_EXPORTER_VERSION: &str = "([^"]+)"', version_rs).group(1)
    assert mm2e2e_paths.jmx_exporter_version() == pinned
