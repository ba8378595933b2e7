"""End-to-end with several replicas: the pods of one rendered Deployment share the migration.

With `minReplicas: 2` mm2gen renders a Deployment of 2 pods whose mm2.properties turns on
MirrorMaker 2's internal REST server (KIP-710: `dedicated.mode.enable.internal.rest=true`,
`listeners=http://:8080`). Without it, a dedicated MirrorMaker 2 node that is not the leader
cannot hand its connectors' task configurations to the leader, which is why the vendor guide pins
the replicas to 1.

Here both pods run side by side as Kubernetes would run them: each in its own network namespace,
with its own IP address and hostname (mm2e2e_netns.PodNetwork), the rendered files mounted as
volumes (mm2e2e_pod.Pod), against two real KRaft clusters reached through a bridge. The checks:
every record replicated, the source tasks spread over both pods, each pod advertising its own
address to the other, a topic created mid-run replicated, the remaining pod taking over within
the rebalance delay mm2gen sets when the other stops (a scale-down), a new pod joining and taking
a share (a scale-up), and no errors in any log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

import mm2e2e_kafka as kafka
import mm2e2e_paths as paths
import test_e2e
from mm2e2e_netns import PodNetwork
from mm2e2e_pod import Pod, load_objects

REPLICAS = 2
TOPICS = [(f"events-{i}", 6, 2500) for i in range(4)]  # 24 partitions
LATE_TOPIC = ("late-events", 3, 600)
AFTER_SCALE_DOWN = ("after-scale-down", 3, 600)
AFTER_SCALE_UP = ("after-scale-up", 3, 600)
TASKS_MAX = 8
BUDGET_S = 300
PROPERTIES = f"""{test_e2e.SOURCE}->{test_e2e.TARGET}.enabled=true
{test_e2e.SOURCE}->{test_e2e.TARGET}.offset-syncs.topic.location=target
replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy
tasks.max={TASKS_MAX}
refresh.topics.interval.seconds=5
refresh.groups.interval.seconds=5
emit.checkpoints.interval.seconds=2
emit.heartbeats.interval.seconds=2
sync.topic.acls.enabled=false
replication.factor=1
offset-syncs.topic.replication.factor=1
checkpoints.topic.replication.factor=1
heartbeats.topic.replication.factor=1
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1"""


class Scale:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.deadline = time.monotonic() + BUDGET_S
        self.clusters: list[kafka.KafkaCluster] = []
        self.pods: list[Pod] = []
        self.pod_ips: list[str] = []
        self.objects: list[dict] = []
        self.mm2_properties = ""
        self.report: dict = {}
        self.late_report: dict = {}
        self.scale_down_report: dict = {}
        self.scale_down_seconds = 0.0
        self.scale_up_report: dict = {}
        self.all_running_before_scale_down = False
        self.assignments_before_scale_down: list[tuple[str, list[str]]] = []
        self.failure_logs: str | None = None

    def remaining(self, cap: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 5:
            raise TimeoutError("e2e (scale) time budget exhausted")
        return min(cap, left)

    def logs(self) -> str:
        return "\n".join([c.logs(40) for c in self.clusters] + [p.logs(60) for p in self.pods])

    def start_pod(self, net: PodNetwork) -> Pod:
        """One more pod of the rendered Deployment, in a network namespace of its own."""
        i = len(self.pods)
        ns, ip = net.reserve()
        pod = Pod(self.objects, self.base / f"mm2-{i}", paths.libs_dir(), replica=i, pod_ip=ip,
                  netns=ns, expected_image=f"apache/kafka:{paths.kafka_version()}")
        net.create(ns, ip, pod.pod_name)
        self.pods.append(pod)
        self.pod_ips.append(ip)
        pod.start()
        return pod

    def new_topic_replicated(self, topic: tuple[str, int, int], wait: float, abort) -> dict:
        """Creates `topic` (name, partitions, records) on the source and waits, at most `wait`
        seconds, until the target has every record: the verify helper's report."""
        name, partitions, records = topic
        source, target = self.clusters
        kafka.run_helper("setup", {
            "cluster": source.client(),
            "topics": [{"name": name, "partitions": partitions, "records": records,
                        "keys": 97, "valueBytes": 80}],
        }, self.base / "helper", timeout=self.remaining(60))
        return kafka.run_helper("verify", {
            "source": source.client(),
            "target": target.client(),
            "timeoutMs": int(self.remaining(wait) * 1000) - 10000,
            "pollMs": 1000,
            "topics": [name],
        }, self.base / "helper", timeout=self.remaining(wait + 10), abort=abort)

    def close(self) -> None:
        # Stop every pod before removing any mount point the launcher created on the host.
        for p in self.pods:
            p.stop()
        for p in self.pods:
            p.cleanup()
        for c in self.clusters:
            c.stop()


@pytest.fixture(scope="module")
def scale(request):
    mm2gen = test_e2e._require_prerequisites()
    base = Path(tempfile.mkdtemp(prefix="mm2gen-e2e-scale-", dir="/var/tmp"))
    s = Scale(base)
    request.module.E2E_ENV = s  # for conftest.py's failure hook
    with PodNetwork() as net:
        try:
            for name in ("source", "target"):
                # ACLs on: the verify helper describes them (clients come in as User:ANONYMOUS, a super user)
                s.clusters.append(kafka.KafkaCluster(name, base / name, bridge_ip=net.host_ip, acls=True))
            source, target = s.clusters
            for c in s.clusters:
                c.start()
            ready_by = time.monotonic() + s.remaining(90)
            for c in s.clusters:
                c.wait_ready(ready_by)
            kafka.run_helper("setup", {
                "cluster": source.client(),
                "topics": [{"name": n, "partitions": p, "records": r, "keys": 97, "valueBytes": 80}
                           for n, p, r in TOPICS],
            }, base / "helper", timeout=s.remaining(90))

            desc = test_e2e.descriptor(source.bridge_bootstrap, PROPERTIES)
            desc["mirrorMaker2Spec"] = {"minReplicas": REPLICAS, "maxReplicas": REPLICAS}
            (base / "descriptor.yaml").write_text(yaml.safe_dump(desc, sort_keys=False))
            out = base / "rendered"
            cmd = test_e2e.mm2gen_render_command(mm2gen, base / "descriptor.yaml",
                                                 target.bridge_bootstrap, out, {})
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=s.remaining(60))
            if r.returncode != 0:
                pytest.fail(f"mm2gen render failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}",
                            pytrace=False)
            s.objects = load_objects(out)
            s.mm2_properties = "".join(
                "".join((o.get("data") or {}).values()) for o in s.objects if o.get("kind") == "ConfigMap")

            for _ in range(REPLICAS):
                s.start_pod(net)

            def dead() -> str | None:
                gone = [p.pod_name for p in s.pods if not p.running()]
                return f"MM2 pods exited: {gone}" if gone else None

            s.report = kafka.run_helper("verify", {
                "source": source.client(),
                "target": target.client(),
                "timeoutMs": int(s.remaining(200) * 1000) - 15000,
                "pollMs": 1000,
                "topics": [n for n, _, _ in TOPICS],
            }, base / "helper", timeout=s.remaining(230), abort=dead)
            if dead():
                pytest.fail(dead(), pytrace=False)

            # A topic created mid-migration: whichever pod runs MirrorSourceConnector must get
            # new task configurations written by the group's leader (over the internal REST
            # server when it is the other pod).
            s.late_report = s.new_topic_replicated(LATE_TOPIC, 90, dead)

            # Scale down: one pod stops (SIGTERM, as the kubelet does); the other takes over once
            # the group stops waiting for it (mm2gen: 30 s; Connect's default: 5 minutes, longer
            # than this wait).
            s.all_running_before_scale_down = all(p.running() for p in s.pods)
            s.assignments_before_scale_down = [final_assignment(p) for p in s.pods]
            t0 = time.monotonic()
            s.pods[-1].stop()
            s.scale_down_report = s.new_topic_replicated(
                AFTER_SCALE_DOWN, 150,
                lambda: None if s.pods[0].running() else "the remaining MM2 pod exited")
            s.scale_down_seconds = time.monotonic() - t0

            # Scale up again: a new pod (a new group member) joins the remaining one and gets
            # part of the work.
            joiner = s.start_pod(net)
            until = time.monotonic() + s.remaining(120)
            while time.monotonic() < until and joiner.running() and \
                    not re.search(r"Creating task MirrorSourceConnector-", pod_log(joiner)):
                time.sleep(1)
            s.scale_up_report = s.new_topic_replicated(
                AFTER_SCALE_UP, 120,
                lambda: None if s.pods[0].running() and joiner.running() else "an MM2 pod exited")
        except BaseException:
            s.failure_logs = s.logs()
            s.close()
            print(f"e2e (scale) work dir kept: {base}")
            raise
        try:
            yield s
        finally:
            s.close()
            if request.session.testsfailed == 0 and not os.environ.get("MM2E2E_KEEP"):
                shutil.rmtree(base, ignore_errors=True)
            else:
                print(f"e2e (scale) work dir kept: {base}")


def pod_log(pod: Pod) -> str:
    return pod.stdout_file.read_text(errors="replace")


def test_rendered_deployment_runs_several_replicas_with_the_internal_rest_server(scale):
    [dep] = [o for o in scale.objects if o["kind"] == "Deployment"]
    assert dep["spec"]["replicas"] == REPLICAS
    assert re.search(r"(?m)^dedicated\.mode\.enable\.internal\.rest=true$", scale.mm2_properties)
    assert re.search(rf"(?m)^{test_e2e.TARGET}\.scheduled\.rebalance\.max\.delay\.ms=\d+$",
                     scale.mm2_properties)
    assert scale.all_running_before_scale_down


def test_every_record_replicated_by_the_pair(scale):
    rep = scale.report
    assert rep["topicsReplicated"], f"not all records replicated in time: {rep['records']}"
    for name, partitions, records in TOPICS:
        t = rep["records"][name]
        assert t["targetPartitions"] == partitions and t["sourceRecords"] == records, t
        assert t["equal"], f"{name}: source and target differ"


def test_each_pod_advertises_its_own_address(scale):
    """The pods find each other by the address each one advertises: its own pod IP, not
    localhost (what Jetty falls back to when the hostname does not resolve)."""
    for pod, ip in zip(scale.pods, scale.pod_ips):
        urls = set(re.findall(r"advertising URL (http://\S+?)/?\s", pod_log(pod)))
        assert urls, f"{pod.pod_name}: no REST server started\n{pod.logs(40)}"
        assert urls == {f"http://{ip}:8080"}, f"{pod.pod_name} advertises {urls}, its IP is {ip}"


def test_source_tasks_run_on_both_pods(scale):
    """MirrorMaker 2 spreads its tasks over the group: each pod runs some of the source tasks,
    and together they run all min(tasks.max, partitions) of them."""
    per_pod = [set(re.findall(r"Creating task MirrorSourceConnector-(\d+)", pod_log(p))) for p in scale.pods]
    assert all(per_pod), f"source tasks per pod: {per_pod}"
    expected = {str(i) for i in range(min(TASKS_MAX, sum(p for _, p, _ in TOPICS)))}
    assert set().union(*per_pod) == expected, f"source tasks per pod: {per_pod}"


def final_assignment(pod: Pod) -> tuple[str, list[str]]:
    """(leader URL, connectors) of the last group assignment this pod logged."""
    found = re.findall(r"leaderUrl='([^']*)', offset=\d+, connectorIds=\[([^]]*)\]", pod_log(pod))
    assert found, f"{pod.pod_name}: no group assignment logged"
    leader, connectors = found[-1]
    return leader, [c for c in connectors.split(", ") if c]


def test_a_topic_created_during_the_migration_is_replicated(scale):
    rep = scale.late_report
    name, partitions, records = LATE_TOPIC
    assert rep["topicsReplicated"], f"{name} not replicated in time: {rep['records']}"
    t = rep["records"][name]
    assert t["targetPartitions"] == partitions and t["sourceRecords"] == records and t["equal"], t
    # Both pods agree on one leader, which is one of them.
    assignments = scale.assignments_before_scale_down
    leaders = {leader for leader, _ in assignments}
    assert len(leaders) == 1, assignments
    [leader] = leaders
    assert leader in {f"http://{ip}:8080/" for ip in scale.pod_ips}, (leader, scale.pod_ips)
    holder = [ip for ip, (_, c) in zip(scale.pod_ips, assignments) if "MirrorSourceConnector" in c]
    assert len(holder) == 1, assignments
    path = "forwarded to the leader over REST" if f"http://{holder[0]}:8080/" != leader else "written by the leader"
    print(f"MirrorSourceConnector on {holder[0]}, leader {leader}: task configs {path}")


def test_after_a_pod_stops_the_other_replicates_alone(scale):
    rep = scale.scale_down_report
    name, partitions, records = AFTER_SCALE_DOWN
    print(f"scale down to one pod: {name} replicated {scale.scale_down_seconds:.0f} s after the stop")
    assert rep["topicsReplicated"], f"{name} not replicated in time: {rep['records']}"
    t = rep["records"][name]
    assert t["targetPartitions"] == partitions and t["sourceRecords"] == records and t["equal"], t


def test_a_pod_that_joins_takes_a_share(scale):
    joiner = scale.pods[-1]
    assert joiner.running(), f"{joiner.pod_name} exited"
    tasks = re.findall(r"Creating task MirrorSourceConnector-(\d+)", pod_log(joiner))
    assert tasks, f"{joiner.pod_name} joined but got no source task\n{joiner.logs(40)}"
    rep = scale.scale_up_report
    name, partitions, records = AFTER_SCALE_UP
    assert rep["topicsReplicated"], f"{name} not replicated in time: {rep['records']}"
    t = rep["records"][name]
    assert t["targetPartitions"] == partitions and t["sourceRecords"] == records and t["equal"], t


def test_no_errors_in_any_pod(scale):
    for pod in scale.pods:
        errors = [line for line in pod_log(pod).splitlines() if re.match(r"^\[[^]]+\] ERROR ", line)]
        assert not errors, f"{pod.pod_name} logged errors:\n" + "\n".join(errors[:20])
