"""Unit tests of the cluster launcher's broker configs per version and mode (no Kafka started)."""

from __future__ import annotations

from pathlib import Path

import pytest

import mm2e2e_kafka as kafka
import mm2e2e_paths as paths


def pki(tmp_path: Path) -> kafka.Pki:
    return kafka.Pki(dir=tmp_path, truststore=tmp_path / "t.p12", truststore_password="t",
                     broker_keystore=tmp_path / "b.p12", broker_password="b",
                     client_keystore=tmp_path / "c.p12", client_password="c", client_key_password="c",
                     client_dn="CN=x", client_truststore=tmp_path / "ct.p12", client_store_type="PKCS12")


@pytest.mark.parametrize("version", ["2.8.2", "3.9.2"])
def test_zookeeper_mode_broker(tmp_path, version):
    c = kafka.KafkaCluster("s", tmp_path, pki=pki(tmp_path), acls=True, version=version, mode="zookeeper")
    p = c.properties()
    assert p["zookeeper.connect"] == f"127.0.0.1:{c.zookeeper_port}/kafka"
    assert p["authorizer.class.name"] == "kafka.security.authorizer.AclAuthorizer"
    assert p["super.users"] == "User:ANONYMOUS"
    assert p["listener.name.mtls.ssl.client.auth"] == "required"
    assert p["inter.broker.listener.name"] == "INTERNAL"
    # nothing of KRaft, nothing newer than the broker knows
    assert not {k for k in p if k.startswith(("process.roles", "controller.", "node.id", "share."))}
    assert "CONTROLLER" not in p["listeners"] and "CONTROLLER" not in p["listener.security.protocol.map"]
    assert c.log4j1 and str(paths.broker_libs_dir(version)) in kafka.classpath(version)


def test_kraft_modes_keep_their_authorizer(tmp_path):
    for version in ("3.9.2", paths.kafka_version()):
        c = kafka.KafkaCluster("t", tmp_path, acls=True, version=version)
        p = c.properties()
        assert p["process.roles"] == "broker,controller"
        assert p["authorizer.class.name"] == kafka.STANDARD_AUTHORIZER
        assert "zookeeper.connect" not in p
        assert ("share.coordinator.state.topic.replication.factor" in p) == (version.startswith("4."))


def test_refuses_what_the_broker_cannot_be(tmp_path):
    with pytest.raises(ValueError, match="no ZooKeeper mode"):
        kafka.KafkaCluster("x", tmp_path, version="4.3.1", mode="zookeeper")
    with pytest.raises(ValueError, match="KRaft only"):
        kafka.KafkaCluster("x", tmp_path, pki=pki(tmp_path), version="2.8.2", mode="zookeeper",
                           scram_users={"u": "p"})
    with pytest.raises(ValueError, match="unknown broker mode"):
        kafka.KafkaCluster("x", tmp_path, mode="zk")


def test_broker_versions_are_pinned_once():
    versions = paths.broker_versions()
    assert versions == sorted(versions, key=kafka.major_minor), "oldest first"
    assert paths.kafka_version() not in versions
    assert all(kafka.major_minor(v) < (4, 0) for v in versions), "the older lines run with ZooKeeper"
