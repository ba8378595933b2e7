"""End-to-end: the manifests rendered by `mm2gen render` really migrate a Kafka cluster.

Two real single-node KRaft clusters run on 127.0.0.1: a *source* with an mTLS listener
(ssl.client.auth=required) and ACL enforcement (StandardAuthorizer), and a plaintext *target*.
The test writes a migration descriptor pointing at them, runs `$MM2GEN_BIN render`, and runs the
rendered Deployment's container (MirrorMaker 2 from Kafka's jars, exactly as the apache/kafka image's
/opt/kafka/bin/connect-mirror-maker.sh would, with the ConfigMap/Secret/emptyDir volumes mounted at
their mountPaths in a private mount namespace: see mm2e2e_pod.py). Then it checks on the target:
records, partitions and order; excluded topics; topic configs; ACLs; translated consumer-group
offsets; MM2's internal topics (and none on the source).

Prerequisites: tests/e2e/install-kafka (Kafka jars + Java helper, from Maven Central) and
MM2GEN_BIN=path/to/mm2gen.  Run: MM2GEN_BIN=target/release/mm2gen pytest tests/e2e -x -v
"""

from __future__ import annotations

import base64
import json
import concurrent.futures
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

import mm2e2e_kafka as kafka
import mm2e2e_paths as paths
from mm2e2e_pod import Pod, load_objects

SOURCE = "source-cluster"
TARGET = "target-cluster"
TOTAL_BUDGET_S = 300  # hard upper bound for the whole module (setup + MM2 + verification)
VERIFY_TIMEOUT_S = 150  # bounded waits for replication / ACL sync / offset sync

# --------------------------------------------------------------------------- the workload

REPLICATED_TOPICS = [
    # name, partitions, records, configs
    ("orders", 6, 4000, {}),
    ("payments", 8, 3000, {}),
    ("customers", 6, 3000, {
        "cleanup.policy": "compact",
        "retention.ms": "1209600000",
        "min.compaction.lag.ms": "3600000",
        "max.message.bytes": "2097152",
    }),
]
# topics that `topics.exclude=.*[\-\.]internal, .*\.replica, __.*, _.*` must skip
EXCLUDED_TOPICS = ["app-internal", "metrics.internal", "foo.replica", "_private", "__hidden"]
GROUP_HALF = "orders-service"  # committed half-way through `orders`
GROUP_DONE = "billing"  # consumed all of `payments`
GROUP_EXCLUDED = "console-consumer-4242"  # groups.exclude=console-consumer-.*
ALICE_READ = {"resourceType": "TOPIC", "name": "orders", "patternType": "LITERAL",
              "principal": "User:alice", "host": "*", "operation": "READ", "permission": "ALLOW"}
BOB_WRITE = {"resourceType": "TOPIC", "name": "orders", "patternType": "LITERAL",
             "principal": "User:bob", "host": "*", "operation": "WRITE", "permission": "ALLOW"}

# The migration guide's mirrorMaker2Properties, verbatim (guide "Deploy MirrorMaker2"; `{...}`
# placeholders are mm2gen's to fill in). The guide replicates topics under their own names with
# DefaultReplicationPolicy, an empty separator and empty cluster aliases.
GUIDE_PROPERTIES = r"""# replication topologies and flows, mm2 config, etc.
source-cluster->target-cluster.enabled=true
# keep the *-offset-syncs-* topic on the target side to avoid needing MirrorMaker2 to have write permissions on the source cluster
source-cluster->target-cluster.offset-syncs.topic.location=target
# set this to true if we have ACLs
sync.topic.acls.enabled=false
tasks.max=5000
replication.policy.separator=
source.cluster.alias=
target.cluster.alias=
topics.exclude=.*[\\-\\.]internal, .*\\.replica, __.*, _.*
groups.exclude=console-consumer-.*, connect-.*, __.*, _.*
# Setting the frequency to check source cluster for new topics and new consumer groups.
refresh.topics.interval.seconds=300
refresh.groups.interval.seconds=300
# Setting replication factor of newly created remote topics
# For anything other than development testing, a value greater than 1 is recommended to ensure availability.
replication.factor=2
############################# MM2 Internal Topic Settings #############################
# For anything other than development testing, a value greater than 1 is recommended to ensure availability,
checkpoints.topic.replication.factor=2
heartbeats.topic.replication.factor=2
offset-syncs.topic.replication.factor=2
offset.storage.replication.factor=2
status.storage.replication.factor=2
config.storage.replication.factor=2
# Only needed if the source cluster is using SSL
source-cluster.security.protocol=SSL
source-cluster.ssl.truststore.password={truststore password}
source-cluster.ssl.truststore.location={truststore location}
source-cluster.ssl.keystore.password={keystore password}
source-cluster.ssl.keystore.location={keystore location}
source-cluster.ssl.key.password={key password}"""

# What the test changes in the guide's text: single-broker clusters (replication factors 1), ACLs
# on the source (sync them), and short intervals so that everything happens within seconds.
TEST_SETTINGS = """
sync.group.offsets.enabled=true
emit.checkpoints.interval.seconds=2
sync.group.offsets.interval.seconds=2
sync.topic.configs.interval.seconds=5
sync.topic.acls.interval.seconds=5
emit.heartbeats.interval.seconds=2"""


def guide_properties() -> str:
    text = GUIDE_PROPERTIES
    for old, new in [
        ("sync.topic.acls.enabled=false", "sync.topic.acls.enabled=true"),
        ("refresh.topics.interval.seconds=300", "refresh.topics.interval.seconds=5"),
        ("refresh.groups.interval.seconds=300", "refresh.groups.interval.seconds=5"),
    ]:
        assert old in text
        text = text.replace(old, new)
    text = re.sub(r"(?m)^(\S*replication\.factor)=2$", r"\1=1", text)
    return text + TEST_SETTINGS


# The same migration with Kafka's IdentityReplicationPolicy instead of the empty-separator trick.
IDENTITY_PROPERTIES = r"""source-cluster->target-cluster.enabled=true
source-cluster->target-cluster.offset-syncs.topic.location=target
sync.topic.acls.enabled=true
sync.topic.configs.enabled=true
emit.checkpoints.enabled=true
replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy
topics.exclude=.*[\\-\\.]internal, .*\\.replica, __.*, _.*
groups.exclude=console-consumer-.*, connect-.*, __.*, _.*
refresh.topics.interval.seconds=5
refresh.groups.interval.seconds=5
replication.factor=1
offset-syncs.topic.replication.factor=1
checkpoints.topic.replication.factor=1
heartbeats.topic.replication.factor=1
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
tasks.max=4
source-cluster.security.protocol=SSL
source-cluster.ssl.truststore.location={truststore location}
source-cluster.ssl.truststore.password={truststore password}
source-cluster.ssl.keystore.location={keystore location}
source-cluster.ssl.keystore.password={keystore password}
source-cluster.ssl.key.password={key password}""" + TEST_SETTINGS

# The source reached over SASL_SSL/SCRAM-SHA-512 instead of mTLS; the CA and the JAAS config are
# in two Secrets the user creates (named in the descriptor, see SCRAM_SOURCE_SECRETS).
SCRAM_PROPERTIES = IDENTITY_PROPERTIES.split("source-cluster.security.protocol=")[0] + r"""source-cluster.security.protocol=SASL_SSL
source-cluster.sasl.mechanism=SCRAM-SHA-512
source-cluster.sasl.jaas.config={jaas config}
source-cluster.ssl.truststore.type=PKCS12
source-cluster.ssl.truststore.location={truststore location}
source-cluster.ssl.truststore.password={truststore password}""" + TEST_SETTINGS
SCRAM_USER = "mm2"
SCRAM_PASSWORD = "mm2-scram-secret-e2e"
SCRAM_SOURCE_SECRETS = {
    "tls": {"secretName": "legacy-kafka-ca", "truststoreKey": "ca.p12", "truststorePasswordKey": "ca.password"},
    "sasl": {"secretName": "legacy-kafka-mm2-scram", "jaasConfigKey": "jaas.conf"},
}

# MM2's own topics on the target, per variant (worker topics are named after the cluster alias in
# `clusters`, the connectors' after the replication policy)
WORKER_TOPICS = {f"mm2-{t}.source-cluster.internal" for t in ("configs", "offsets", "status")}
VARIANTS = {
    "guide": {
        "auth": "mtls",
        "properties": guide_properties,
        "internal_topics": WORKER_TOPICS | {"mm2-offset-syncsinternal", "checkpointsinternal", "heartbeats"},
    },
    "identity": {
        "auth": "mtls",
        "properties": lambda: IDENTITY_PROPERTIES,
        "internal_topics": WORKER_TOPICS | {"mm2-offset-syncs.source-cluster.internal",
                                            "source-cluster.checkpoints.internal", "heartbeats"},
    },
    "scram": {
        "properties": lambda: SCRAM_PROPERTIES,
        "internal_topics": WORKER_TOPICS | {"mm2-offset-syncs.source-cluster.internal",
                                            "source-cluster.checkpoints.internal", "heartbeats"},
        "auth": "scram",
    },
}


def descriptor(source_bootstrap: str, properties: str, source_secrets: dict | None = None,
               source_kafka_version: str | None = None) -> dict:
    version = {"kafkaVersion": source_kafka_version} if source_kafka_version else {}
    return {
        "kubernetesConfigs": [],
        "kafkaClusters": [{
            "namespace": "kafka",
            "name": "kafka",
            "kubernetesConfigContext": "target",
            "alias": TARGET,
            "internalListenerName": "internal",
            "externalListenerName": "external",
        }],
        "nonSDMKafkaClusters": [{"bootstrapServerAddress": source_bootstrap, "alias": SOURCE,
                                 **version, **(source_secrets or {})}],
        "mirrorMaker2Spec": {"minReplicas": 1, "maxReplicas": 1},
        "mirrorMaker2Properties": properties,
    }


# =========================================================================== mm2gen invocation
# THE place where the test calls mm2gen. Adjust here (and only here) when mm2gen's CLI or its
# default Secret key names change.
#
# Key names of a cluster's TLS Secret that mm2gen references by default in mm2.properties; the
# test writes one file per key into a directory (the stores' type follows the extension).
SECRET_KEYS = ("truststore.jks", "keystore.jks", "truststore.password", "keystore.password", "key.password")


def mm2gen_render_command(mm2gen: str, descriptor_file: Path, target_bootstrap: str,
                          out_dir: Path, secret_dirs: dict[str, Path]) -> list[str]:
    cmd = [mm2gen, "render", "-f", str(descriptor_file),
           "--bootstrap-servers", f"{TARGET}={target_bootstrap}",
           "--output-dir", str(out_dir)]
    for alias, d in secret_dirs.items():
        for f in sorted(d.iterdir()):
            cmd += ["--secret-file", f"{alias}={f}"]  # key = file name
    return cmd
# ===========================================================================


def write_secret_dir(d: Path, pki: kafka.Pki) -> None:
    """The TLS Secret's files for MM2's client certificate, one file per key of SECRET_KEYS."""
    d.mkdir()
    content = {
        "truststore": pki.client_truststore.read_bytes(),
        "keystore": pki.client_keystore.read_bytes(),
        "truststore.password": pki.truststore_password.encode(),
        "keystore.password": pki.client_password.encode(),
        "key.password": pki.client_key_password.encode(),
    }
    for key in SECRET_KEYS:
        stem = key if key.endswith(".password") else key.rsplit(".", 1)[0]
        (d / key).write_bytes(content[stem])


def write_scram_secret_dir(d: Path, pki: kafka.Pki) -> None:
    """The files of the two user-made Secrets of the SCRAM variant (CA truststore + JAAS config)."""
    d.mkdir()
    (d / SCRAM_SOURCE_SECRETS["tls"]["truststoreKey"]).write_bytes(pki.truststore.read_bytes())
    (d / SCRAM_SOURCE_SECRETS["tls"]["truststorePasswordKey"]).write_text(pki.truststore_password)
    (d / SCRAM_SOURCE_SECRETS["sasl"]["jaasConfigKey"]).write_text(
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{SCRAM_USER}" password="{SCRAM_PASSWORD}";')


def client_store_type() -> str:
    ext = next(k for k in SECRET_KEYS if k.startswith("keystore.") and not k.endswith(".password"))
    return {"jks": "JKS", "p12": "PKCS12", "pfx": "PKCS12", "pkcs12": "PKCS12"}[ext.rsplit(".", 1)[1]]


def secrets_for_unrendered_volumes(objects: list[dict], secret_dirs: dict[str, Path]) -> list[dict]:
    """If mm2gen only *references* a TLS Secret (the user creates it), build it from the
    directory, as `kubectl create secret generic NAME --from-file=DIR` would."""
    dep = next(o for o in objects if o.get("kind") == "Deployment")
    ns = dep["metadata"].get("namespace", "default")
    rendered = {o["metadata"]["name"] for o in objects if o.get("kind") == "Secret"}
    mounts = {m["name"]: m["mountPath"] for c in dep["spec"]["template"]["spec"]["containers"]
              for m in c.get("volumeMounts") or []}
    extra = []
    for v in dep["spec"]["template"]["spec"].get("volumes") or []:
        refs = [v["secret"]["secretName"]] if "secret" in v else [
            s["secret"]["name"] for s in (v.get("projected") or {}).get("sources") or [] if "secret" in s]
        for name in refs:
            if name in rendered:
                continue
            alias = next((a for a in secret_dirs if a in name or a in mounts.get(v["name"], "")), None)
            if alias is None:
                continue
            data = {f.name: base64.b64encode(f.read_bytes()).decode()
                    for f in sorted(secret_dirs[alias].iterdir())}
            extra.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                          "metadata": {"name": name, "namespace": ns}, "data": data})
    return extra


# --------------------------------------------------------------------------- the environment


class Env:
    """Everything the module's tests share; `logs()` is attached to failure reports by conftest.py."""

    def __init__(self, base: Path, variant: str) -> None:
        self.base = base
        self.variant = variant
        self.auth = VARIANTS[variant]["auth"]
        self.deadline = time.monotonic() + TOTAL_BUDGET_S
        self.clusters: list[kafka.KafkaCluster] = []
        self.pod: Pod | None = None
        self.timings: dict[str, float] = {}
        self.setup_out: dict = {}
        self.report: dict = {}
        self.mm2_properties = ""
        self.failure_logs: str | None = None

    def remaining(self, cap: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 5:
            raise TimeoutError("e2e time budget exhausted")
        return min(cap, left)

    def logs(self) -> str:
        parts = [c.logs(80) for c in self.clusters]
        if self.pod is not None:
            parts.append(self.pod.logs(80))
            cl = self.pod.connect_log()
            if cl is not None:
                parts.append(f"----- MM2 {cl} -----\n{kafka.tail(cl, 80)}")
        return "\n".join(parts)

    def close(self) -> None:
        if self.pod is not None:
            self.pod.cleanup()
        for c in self.clusters:
            c.stop()


def _require_prerequisites() -> str:
    missing = paths.missing_message()
    if missing:
        pytest.fail(missing, pytrace=False)
    mm2gen = os.environ.get("MM2GEN_BIN")
    if not mm2gen:
        pytest.fail("MM2GEN_BIN is not set: point it at the mm2gen binary "
                    "(e.g. MM2GEN_BIN=target/release/mm2gen)", pytrace=False)
    if not (os.path.isfile(mm2gen) and os.access(mm2gen, os.X_OK)):
        pytest.fail(f"MM2GEN_BIN={mm2gen} is not an executable file", pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the e2e test needs root (unshare -m, bind mounts)", pytrace=False)
    return os.path.abspath(mm2gen)


@pytest.fixture(scope="module")
def pki_future():
    """The keytool PKI, made once for all variants, in the background (it takes ~10 s)."""
    _require_prerequisites()
    d = Path(tempfile.mkdtemp(prefix="mm2gen-e2e-pki-", dir="/var/tmp"))
    ex = concurrent.futures.ThreadPoolExecutor(1)
    try:
        yield ex.submit(kafka.make_pki, d / "pki", client_store_type=client_store_type())
    finally:
        ex.shutdown(wait=True)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def env(request, pki_future):
    mm2gen = _require_prerequisites()
    base = Path(tempfile.mkdtemp(prefix=f"mm2gen-e2e-{request.param}-", dir="/var/tmp"))
    e = Env(base, request.param)
    request.module.E2E_ENV = e  # for conftest.py's failure hook
    t0 = time.monotonic()
    try:
        _start_clusters(e, pki_future)
        e.timings["clusters_ready"] = time.monotonic() - t0
        _create_workload(e)
        e.timings["workload"] = time.monotonic() - t0
        _render_and_launch(e, mm2gen)
        e.timings["mm2_started"] = time.monotonic() - t0
        _verify(e)
        e.timings["verified"] = time.monotonic() - t0
    except BaseException:
        e.failure_logs = e.logs()  # before the processes are stopped
        e.close()
        print(f"\ne2e timings (s): { {k: round(v, 1) for k, v in e.timings.items()} }\n"
              f"e2e work dir kept: {base}")
        raise
    try:
        yield e
    finally:
        e.close()
        e.timings["total_with_cleanup"] = time.monotonic() - t0
        print(f"\ne2e timings (s): { {k: round(v, 1) for k, v in e.timings.items()} }")
        if request.session.testsfailed == 0 and not os.environ.get("MM2E2E_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"e2e work dir kept: {base}")


def _start_clusters(e: Env, pki_future: concurrent.futures.Future) -> None:
    target = kafka.KafkaCluster("target", e.base / "target", acls=True)
    e.clusters.append(target)
    errors: list[BaseException] = []

    def make_source():
        try:
            e.pki = pki_future.result(timeout=e.remaining(120))
            scram = {SCRAM_USER: SCRAM_PASSWORD} if e.auth == "scram" else {}
            source = kafka.KafkaCluster("source", e.base / "source", pki=e.pki, acls=True, scram_users=scram)
            e.clusters.insert(0, source)
            source.start()
        except BaseException as ex:  # noqa: BLE001 - re-raised below
            errors.append(ex)

    th = threading.Thread(target=make_source)
    th.start()
    target.start()
    th.join(e.remaining(120))
    if errors:
        raise errors[0]
    if th.is_alive():
        raise TimeoutError("TLS material / source cluster not ready in time")
    e.source, e.target = e.clusters[0], target
    ready_by = time.monotonic() + e.remaining(90)
    for c in e.clusters:
        c.wait_ready(ready_by)


def _create_workload(e: Env) -> None:
    mm2_principal = f"User:{SCRAM_USER}" if e.auth == "scram" else e.pki.client_principal
    mm2_acls = [
        {"resourceType": "TOPIC", "name": "*", "operation": op, "principal": mm2_principal}
        for op in ("READ", "DESCRIBE", "DESCRIBE_CONFIGS")
    ] + [
        {"resourceType": "GROUP", "name": "*", "operation": op, "principal": mm2_principal}
        for op in ("READ", "DESCRIBE")
    ] + [
        {"resourceType": "CLUSTER", "name": "kafka-cluster", "operation": "DESCRIBE",
         "principal": mm2_principal},
    ]
    spec = {
        "cluster": e.source.client(),
        "topics": [{"name": n, "partitions": p, "records": r, "configs": c, "keys": 97, "valueBytes": 80}
                   for n, p, r, c in REPLICATED_TOPICS]
        + [{"name": n, "partitions": 2, "records": 50} for n in EXCLUDED_TOPICS],
        "acls": [ALICE_READ, BOB_WRITE] + mm2_acls,
        "groups": [
            {"group": GROUP_HALF, "topic": "orders", "fraction": 0.5},
            {"group": GROUP_DONE, "topic": "payments", "fraction": 1.0},
            {"group": GROUP_EXCLUDED, "topic": "orders", "fraction": 0.3},
        ],
    }
    e.setup_out = kafka.run_helper("setup", spec, e.base / "helper", timeout=e.remaining(90))


def _render_and_launch(e: Env, mm2gen: str, source_kafka_version: str | None = None) -> None:
    if e.auth == "scram":
        # Secrets the user creates; the descriptor names them, mm2gen only references them
        secret_dirs = {SOURCE: e.base / "secret-source-cluster"}
        write_scram_secret_dir(secret_dirs[SOURCE], e.pki)
        secret_files: dict[str, Path] = {}
        bootstrap, source_secrets = e.source.scram_bootstrap, SCRAM_SOURCE_SECRETS
    else:
        # files for the Secret that mm2gen generates (--secret-file)
        secret_dirs = {SOURCE: e.base / "secret-source-cluster"}
        write_secret_dir(secret_dirs[SOURCE], e.pki)
        secret_files = secret_dirs
        bootstrap, source_secrets = e.source.mtls_bootstrap, None
    desc = e.base / "descriptor.yaml"
    desc.write_text(yaml.safe_dump(
        descriptor(bootstrap, VARIANTS[e.variant]["properties"](), source_secrets, source_kafka_version),
        sort_keys=False))
    out = e.base / "rendered"
    cmd = mm2gen_render_command(mm2gen, desc, e.target.bootstrap, out, secret_files)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=e.remaining(60))
    if r.returncode != 0:
        pytest.fail(f"mm2gen render failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout}\n{r.stderr}",
                    pytrace=False)
    objects = load_objects(out)
    for o in objects:
        if o.get("kind") == "ConfigMap":
            e.mm2_properties += "".join((o.get("data") or {}).values())
    e.pod = Pod(objects, e.base / "mm2", paths.libs_dir(),
                extra_objects=secrets_for_unrendered_volumes(objects, secret_dirs),
                expected_image=f"apache/kafka:{paths.kafka_version()}")
    e.pod.start()


def _verify(e: Env) -> None:
    spec = {
        "source": e.source.client(),
        "target": e.target.client(),
        "timeoutMs": int(e.remaining(VERIFY_TIMEOUT_S) * 1000) - 15000,
        "pollMs": 1000,
        "topics": [t[0] for t in REPLICATED_TOPICS],
        "configTopics": [t[0] for t in REPLICATED_TOPICS],
        "waitAcls": [ALICE_READ],
        "groups": [GROUP_HALF, GROUP_DONE, GROUP_EXCLUDED],
        # wait until the translated offsets are within what MM2's translation guarantees
        "waitGroups": {
            g: {tp: max_rewind(off, e.setup_out["topics"][tp.rsplit("-", 1)[0]][int(tp.rsplit("-", 1)[1])])
                for tp, off in e.setup_out["groups"][g].items()}
            for g in (GROUP_HALF, GROUP_DONE)
        },
        "resume": [{"group": GROUP_HALF, "topic": "orders"}, {"group": GROUP_DONE, "topic": "payments"}],
        # MM2 stores connector/task configs in its config topic on the target: the TLS passwords
        # must stay config-provider references there
        "scanTopics": sorted(t for t in VARIANTS[e.variant]["internal_topics"] if t.startswith("mm2-")),
        "scanStrings": [e.pki.truststore_password, e.pki.client_password, e.pki.client_key_password,
                        SCRAM_PASSWORD, "${secrets:"],  # the last one: proof that the scan sees the configs
    }
    e.report = kafka.run_helper("verify", spec, e.base / "helper", timeout=e.remaining(VERIFY_TIMEOUT_S + 30),
                                abort=lambda: None if e.pod.running() else
                                f"MM2 exited with {e.pod.proc.returncode}")
    if not e.pod.running():
        pytest.fail(f"MM2 exited with {e.pod.proc.returncode} during the test", pytrace=False)


# =========================================================================== the checks


def test_mm2_runs_from_rendered_manifests(env):
    assert env.pod.running(), "MM2 is not running"
    props = env.mm2_properties
    assert re.search(r"(?m)^source-cluster\.security\.protocol=(SSL|SASL_SSL)$", props), props
    left = re.findall(r"(?m)^\S+=\{[^}]*\}$", props)
    assert not left, f"descriptor placeholders left in mm2.properties: {left}"


def test_every_record_replicated_in_order(env):
    rep = env.report
    assert rep["topicsReplicated"], f"not all records replicated in time: {rep['records']}"
    for name, partitions, records, _ in REPLICATED_TOPICS:
        t = rep["records"][name]
        assert not t.get("missing"), f"{name} missing on the target"
        assert t["targetPartitions"] == partitions == t["sourcePartitions"], t
        assert t["sourceRecords"] == records
        bad = [p for p in t["partitions"] if not p["equal"]]
        assert not bad, f"{name}: partitions differ: {bad}"
        assert t["equal"]


def test_excluded_topics_not_replicated(env):
    target = set(env.report["targetTopics"])
    assert not target & set(EXCLUDED_TOPICS), f"excluded topics on the target: {target & set(EXCLUDED_TOPICS)}"
    for name in EXCLUDED_TOPICS:  # they do exist on the source
        assert name in env.report["sourceTopics"]


def test_topic_configs_synced(env):
    src = env.report["configs"]["source"]
    dst = env.report["configs"]["target"]
    for name, _, _, configs in REPLICATED_TOPICS:
        for k, v in configs.items():
            assert src[name].get(k) == v, f"source {name} {k}"
            assert dst.get(name, {}).get(k) == v, f"target {name}: {k}={dst.get(name, {}).get(k)} != {v}"


def test_acls_synced(env):
    target = env.report["acls"]["target"]
    assert env.report["aclsSynced"], f"READ ACL not synced in time; target ACLs: {target}"
    assert ALICE_READ in target
    assert BOB_WRITE not in target, "ALLOW WRITE ACLs must not be replicated"
    assert not [a for a in target if a["principal"] == "User:bob"]


def test_consumer_group_offsets_translated(env):
    rep = env.report
    groups = rep["groups"]
    ends = env.setup_out["topics"]
    for g in (GROUP_HALF, GROUP_DONE):
        src, dst = groups[g]["source"], groups[g]["target"]
        assert src, f"{g}: no committed offsets on the source"
        assert set(dst) == set(src), f"{g}: target offsets {dst} vs source {src}"
        for tp, committed in src.items():
            translated = dst[tp]
            # never skip a record (no data loss), never rewind further than MM2's translation allows
            assert translated <= committed, f"{g} {tp}: translated {translated} > committed {committed}"
            topic, part = tp.rsplit("-", 1)
            end = ends[topic][int(part)]
            assert committed - translated <= max_rewind(committed, end), (
                f"{g} {tp}: consumer would re-read {committed - translated} records "
                f"(committed {committed}, translated {translated}, end {end})")
    assert GROUP_EXCLUDED not in groups or not groups[GROUP_EXCLUDED]["target"], \
        "groups.exclude=console-consumer-.* must not be synced"
    # a consumer switched to the target starts exactly at the translated offsets: never ahead of
    # the source's committed offsets
    for g in (GROUP_HALF, GROUP_DONE):
        res = rep["resume"][g]
        topic = "orders" if g == GROUP_HALF else "payments"
        assert "error" not in res, res
        assert len(res["firstRecords"]) == len(groups[g]["source"]), res
        for part, first in res["firstRecords"].items():
            pos = int(first.split()[-1]) if first.startswith("at-end") else int(first.split()[0])
            committed = res["committed"][part]
            assert pos == committed, f"{g} {topic}-{part}: resumed at {first}, committed {committed}"
            assert 0 <= committed <= groups[g]["source"][f"{topic}-{part}"], (g, part, committed)


def max_rewind(committed: int, end: int) -> int:
    """How far behind the committed offset MM2 may translate (OffsetSyncStore keeps syncs at
    exponentially growing distances from the latest one, and a sync at most every offset.lag.max
    records): tight near the end of the partition."""
    return 100 + 4 * (end - committed)


def test_internal_topics(env):
    target = set(env.report["targetTopics"])
    source = set(env.report["sourceTopics"])
    expected_on_target = VARIANTS[env.variant]["internal_topics"]
    assert expected_on_target <= target, f"missing on target: {expected_on_target - target}"
    ours = {t[0] for t in REPLICATED_TOPICS} | set(EXCLUDED_TOPICS) | {"__consumer_offsets"}
    assert source - ours == set(), f"topics created on the source by MM2: {source - ours}"
    unexpected = target - expected_on_target - {t[0] for t in REPLICATED_TOPICS} - {"__consumer_offsets"}
    assert not unexpected, f"unexpected topics on the target: {unexpected}"


def test_no_plaintext_secrets_in_mm2_topics(env):
    found = env.report["leaks"]
    assert "${secrets:" in found.get("mm2-configs.source-cluster.internal", []), \
        f"the scan of MM2's config topic found no config-provider reference: {found}"
    leaks = {t: [s for s in f if s != "${secrets:"] for t, f in found.items()}
    leaks = {t: f for t, f in leaks.items() if f}
    assert not leaks, f"TLS passwords in plain text in MM2's topics on the target: {leaks}"


def test_mm2_runs_only_the_source_to_target_flow(env):
    """MirrorMaker 2 creates a herder for every pair of `clusters` with heartbeats enabled
    (the default), so without `--clusters target-cluster` or `target-cluster->source-cluster.
    emit.heartbeats.enabled=false` it also runs target->source: that herder creates its config/
    offsets/status topics and `heartbeats` in the *source* cluster (or, on an ACL-protected
    source, fails and logs errors)."""
    log = env.pod.stdout_file.read_text(errors="replace")
    herders = sorted(set(re.findall(r"creating herder for (\S+)", log)))
    assert herders == [f"{SOURCE}->{TARGET}"], f"MM2 herders: {herders}"


def test_mm2_log_has_no_errors(env):
    log = env.pod.stdout_file.read_text(errors="replace").splitlines()
    errors = [line for line in log if re.match(r"^\[[^]]+\] ERROR ", line)]
    assert not errors, "MM2 logged errors:\n" + "\n".join(errors[:20])


def test_mm2_finds_its_plugins_without_scanning_the_classpath(env):
    """The rendered `plugin.discovery=service_load` (official image) spares MirrorMaker2 the
    reflective scan of every jar at start (seconds per herder) and still finds every plugin it
    needs: the connectors, and the config provider behind the TLS passwords."""
    log = env.pod.stdout_file.read_text(errors="replace")
    scans = re.findall(r"Scanning plugins with (\w+) took (\d+) ms", log)
    assert scans and all(scanner == "ServiceLoaderScanner" for scanner, _ in scans), \
        f"MM2 plugin scans: {scans}"
    assert "consider reconfiguring plugin.discovery" not in log


def test_lint_predicts_the_topics_mm2_replicated(env):
    """`mm2gen lint --source-topics`, fed the real `kafka-topics --describe` output of the source,
    names exactly the topics this MirrorMaker2 replicated (filters, internal topics, the
    variant's replication policy) and their partition count."""
    describe = subprocess.run(
        [kafka.JAVA, "-cp", kafka.classpath(), "org.apache.kafka.tools.TopicCommand",
         "--bootstrap-server", env.source.bootstrap, "--describe"],
        capture_output=True, text=True, timeout=env.remaining(60))
    assert describe.returncode == 0, describe.stderr
    listing = env.base / "source-topics.txt"
    listing.write_text(describe.stdout)
    cmd = [os.environ["MM2GEN_BIN"], "lint", "-o", "json", "-f", str(env.base / "descriptor.yaml"),
           "--bootstrap-servers", f"{TARGET}={env.target.bootstrap}",
           "--source-topics", f"{SOURCE}={listing}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=env.remaining(60))
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout}\n{r.stderr}"
    findings = json.loads(r.stdout)
    notes = [f["message"] for f in findings if f["severity"] == "note"]
    assert len(notes) == 1, findings
    m = re.fullmatch(rf"flow {SOURCE}->{TARGET} replicates (\d+) of the (\d+) topics listed in "
                     rf"\S+ \((\d+) partitions\): (.*)", notes[0])
    assert m, notes[0]
    predicted = set(m.group(4).split(", "))

    # What MirrorMaker2 really did: source topics that now exist on the target too, but for
    # __consumer_offsets, which every cluster has of its own.
    source, target = set(env.report["sourceTopics"]), set(env.report["targetTopics"])
    replicated = (source & target) - {"__consumer_offsets"}
    assert predicted == replicated, f"lint predicted {predicted}, MirrorMaker2 replicated {replicated}"
    assert int(m.group(1)) == len(replicated)
    assert int(m.group(2)) == len(source)
    partitions = sum(env.report["records"][t]["targetPartitions"] for t in replicated)
    assert int(m.group(3)) == partitions

    tasks_max = int(re.search(r"(?m)^tasks\.max=(\d+)$", env.mm2_properties).group(1))
    too_many = [f for f in findings if "can run at most" in f["message"]]
    assert bool(too_many) == (tasks_max > 2 * partitions), (tasks_max, partitions, too_many)
