"""End-to-end across broker versions: the rendered MirrorMaker2 (4.3.1, the image the Deployment
pins) migrates from the Kafka clusters people migrate away from.

Each cell of the matrix is a source and a target broker (version and mode, see mm2e2e_kafka) with
the workload, descriptor and rendering of test_e2e.py's `guide` variant (mTLS source, ACLs on both
sides). The oldest source against Koperator's broker line (2.8.2 ZooKeeper -> 3.9.2 ZooKeeper) gets
every check of test_e2e.py; the other cells records and translated offsets.

Cells in the default run: DEFAULT_CELLS. `MM2E2E_MATRIX=full` runs every cell of CELLS.
The target runs in ZooKeeper mode: Koperator's KafkaCluster CRD defaults `spec.kRaft` to false.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import mm2e2e_kafka as kafka
import test_e2e as base

KRAFT, ZK = "kraft", "zookeeper"


@dataclass(frozen=True)
class Broker:
    version: str
    mode: str

    def __str__(self) -> str:
        return f"{self.version}-{'zk' if self.mode == ZK else 'kraft'}"


@dataclass(frozen=True)
class Cell:
    source: Broker
    target: Broker
    full: bool = False  # every check of test_e2e.py, not only records and offsets

    @property
    def id(self) -> str:
        return f"{self.source}-to-{self.target}"


KAFKA_28 = Broker("2.8.2", ZK)
KAFKA_39 = Broker("3.9.2", ZK)
KAFKA_39_KRAFT = Broker("3.9.2", KRAFT)
KAFKA_43 = Broker("4.3.1", KRAFT)

CELLS = [
    Cell(KAFKA_28, KAFKA_39, full=True),
    Cell(KAFKA_39, KAFKA_43),
    Cell(KAFKA_28, KAFKA_43),
    Cell(KAFKA_39, KAFKA_39),
    Cell(KAFKA_43, KAFKA_39),
    Cell(KAFKA_28, KAFKA_39_KRAFT),
]
DEFAULT_CELLS = CELLS[:3]


def selected_cells() -> list[Cell]:
    matrix = os.environ.get("MM2E2E_MATRIX", "default")
    if matrix not in ("default", "full"):
        raise pytest.UsageError(f"MM2E2E_MATRIX={matrix}: expected `default` or `full`")
    return CELLS if matrix == "full" else DEFAULT_CELLS


class MatrixEnv(base.Env):
    def close(self) -> None:
        """Stops MirrorMaker2, then both clusters at once: each broker (and its ZooKeeper) by PID."""
        if self.pod is not None:
            self.pod.cleanup()
        threads = [threading.Thread(target=c.stop) for c in self.clusters]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _start_clusters(e: base.Env, pki_future, cell: Cell) -> None:
    target = kafka.KafkaCluster("target", e.base / "target", acls=True,
                                version=cell.target.version, mode=cell.target.mode)
    e.clusters.append(target)
    errors: list[BaseException] = []

    def make_source():
        try:
            e.pki = pki_future.result(timeout=e.remaining(120))
            source = kafka.KafkaCluster("source", e.base / "source", pki=e.pki, acls=True,
                                        version=cell.source.version, mode=cell.source.mode)
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


def _verify_records_and_offsets(e: base.Env) -> None:
    """test_e2e's verification without waiting for the ACL sync."""
    spec = {
        "source": e.source.client(),
        "target": e.target.client(),
        "timeoutMs": int(e.remaining(base.VERIFY_TIMEOUT_S) * 1000) - 15000,
        "pollMs": 1000,
        "topics": [t[0] for t in base.REPLICATED_TOPICS],
        "configTopics": [],
        "groups": [base.GROUP_HALF, base.GROUP_DONE, base.GROUP_EXCLUDED],
        "waitGroups": {
            g: {tp: base.max_rewind(off, e.setup_out["topics"][tp.rsplit("-", 1)[0]][int(tp.rsplit("-", 1)[1])])
                for tp, off in e.setup_out["groups"][g].items()}
            for g in (base.GROUP_HALF, base.GROUP_DONE)
        },
        "resume": [{"group": base.GROUP_HALF, "topic": "orders"}, {"group": base.GROUP_DONE, "topic": "payments"}],
        "scanTopics": [],
        "scanStrings": [],
    }
    e.report = kafka.run_helper("verify", spec, e.base / "helper", timeout=e.remaining(base.VERIFY_TIMEOUT_S + 30),
                                abort=lambda: None if e.pod.running() else
                                f"MM2 exited with {e.pod.proc.returncode}")
    if not e.pod.running():
        pytest.fail(f"MM2 exited with {e.pod.proc.returncode} during the test", pytrace=False)


pki_future = base.pki_future


@pytest.fixture(scope="module", params=selected_cells(), ids=lambda c: c.id)
def env(request, pki_future):
    cell: Cell = request.param
    mm2gen = base._require_prerequisites()
    work = Path(tempfile.mkdtemp(prefix=f"mm2gen-e2e-matrix-{cell.source}-{cell.target}-", dir="/var/tmp"))
    e = MatrixEnv(work, "guide")
    e.cell = cell
    request.module.E2E_ENV = e  # for conftest.py's failure hook
    t0 = time.monotonic()
    try:
        _start_clusters(e, pki_future, cell)
        e.timings["clusters_ready"] = time.monotonic() - t0
        base._create_workload(e)
        e.timings["workload"] = time.monotonic() - t0
        base._render_and_launch(e, mm2gen, source_kafka_version=cell.source.version)
        e.timings["mm2_started"] = time.monotonic() - t0
        (base._verify if cell.full else _verify_records_and_offsets)(e)
        e.timings["verified"] = time.monotonic() - t0
    except BaseException:
        e.failure_logs = e.logs()  # before the processes are stopped
        e.close()
        print(f"\ne2e {cell.id} timings (s): { {k: round(v, 1) for k, v in e.timings.items()} }\n"
              f"e2e work dir kept: {work}")
        raise
    try:
        yield e
    finally:
        e.close()
        e.timings["total_with_cleanup"] = time.monotonic() - t0
        print(f"\ne2e {cell.id} timings (s): { {k: round(v, 1) for k, v in e.timings.items()} }")
        if request.session.testsfailed == 0 and not os.environ.get("MM2E2E_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"e2e work dir kept: {work}")


def full_checks_only(env) -> None:
    if not env.cell.full:
        pytest.skip(f"{env.cell.id}: records and offsets only (the full checks run on the oldest source)")


# --------------------------------------------------------------------------- every cell


def test_every_record_replicated_in_order(env):
    base.test_every_record_replicated_in_order(env)


def test_consumer_group_offsets_translated(env):
    base.test_consumer_group_offsets_translated(env)


def test_mm2_runs_only_the_source_to_target_flow(env):
    base.test_mm2_runs_only_the_source_to_target_flow(env)


# --------------------------------------------------------------------------- the full cell


def test_excluded_topics_not_replicated(env):
    full_checks_only(env)
    base.test_excluded_topics_not_replicated(env)


def test_topic_configs_synced(env):
    full_checks_only(env)
    base.test_topic_configs_synced(env)


def test_acls_synced(env):
    """The READ ACL comes from the source's AclAuthorizer (ZooKeeper), the WRITE ACL stays."""
    full_checks_only(env)
    base.test_acls_synced(env)


def test_internal_topics(env):
    full_checks_only(env)
    base.test_internal_topics(env)


def test_no_plaintext_secrets_in_mm2_topics(env):
    full_checks_only(env)
    base.test_no_plaintext_secrets_in_mm2_topics(env)


def test_mm2_log_has_no_errors(env):
    full_checks_only(env)
    base.test_mm2_log_has_no_errors(env)


def test_lint_predicts_the_topics_mm2_replicated(env):
    full_checks_only(env)
    base.test_lint_predicts_the_topics_mm2_replicated(env)

