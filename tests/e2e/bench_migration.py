#!/usr/bin/env python3
"""Benchmark (not a test): how fast does MirrorMaker 2, deployed from mm2gen's rendered manifests,
replicate compared with a plain producer writing the same records into the target?

Same setup as the e2e test, but plaintext and without ACLs: two single-node KRaft clusters on
127.0.0.1, the guide's descriptor rendered with `$MM2GEN_BIN render`, the rendered Deployment's
container run by mm2e2e_pod.Pod. Then, in the same run:

  1. MM2:  N keyed records are produced into `bench` on the source while a watcher polls the end
           offsets of `bench` on the target; reported: records/s from the first produced record to
           the last record visible on the target, and that end-to-end time;
  2. raw:  the same N records are produced straight into `bench-raw` on the target; records/s.

Prints both rates and their ratio (MM2 / raw), and writes them as JSON with --json FILE.

    tests/e2e/install-kafka
    MM2GEN_BIN=target/debug/mm2gen python3 tests/e2e/bench_migration.py --records 200000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402

import mm2e2e_kafka as kafka  # noqa: E402
import mm2e2e_paths as paths  # noqa: E402
import test_e2e  # noqa: E402  (the descriptor and THE mm2gen invocation are shared with the test)
from mm2e2e_pod import Pod, load_objects  # noqa: E402


def bench_properties() -> str:
    """The guide's properties for a plaintext source: the SSL lines dropped."""
    lines = [line for line in test_e2e.guide_properties().splitlines()
             if not re.match(r"^source-cluster\.(security|ssl)\.", line)]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--value-bytes", type=int, default=100)
    ap.add_argument("--mm2gen", default=os.environ.get("MM2GEN_BIN"))
    ap.add_argument("--timeout", type=float, default=600, help="upper bound for the whole run (s)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()

    missing = paths.missing_message()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    if not a.mm2gen:
        print("set MM2GEN_BIN or pass --mm2gen", file=sys.stderr)
        return 2
    mm2gen = os.path.abspath(a.mm2gen)
    deadline = time.monotonic() + a.timeout

    def left(cap: float) -> float:
        rest = deadline - time.monotonic()
        if rest <= 1:
            raise TimeoutError("benchmark time budget exhausted")
        return min(cap, rest)

    base = Path(tempfile.mkdtemp(prefix="mm2gen-bench-", dir="/var/tmp"))
    source = kafka.KafkaCluster("source", base / "source", heap="-Xms1g -Xmx1g")
    target = kafka.KafkaCluster("target", base / "target", heap="-Xms1g -Xmx1g")
    pod: Pod | None = None
    ok = False
    try:
        for c in (source, target):
            c.start()
        ready_by = time.monotonic() + left(90)
        for c in (source, target):
            c.wait_ready(ready_by)
        topic = {"name": "bench", "partitions": a.partitions}
        kafka.run_helper("setup", {"cluster": source.client(), "topics": [topic]}, base / "helper", left(60))
        kafka.run_helper("setup", {"cluster": target.client(), "topics": [{**topic, "name": "bench-raw"}]},
                         base / "helper", left(60))

        desc = base / "descriptor.yaml"
        desc.write_text(yaml.safe_dump(test_e2e.descriptor(source.bootstrap, bench_properties()),
                                       sort_keys=False))
        out = base / "rendered"
        cmd = test_e2e.mm2gen_render_command(mm2gen, desc, target.bootstrap, out, {})
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=left(60))
        if r.returncode != 0:
            print(f"mm2gen render failed: {' '.join(cmd)}\n{r.stdout}{r.stderr}", file=sys.stderr)
            return 1
        objects = load_objects(out)
        pod = Pod(objects, base / "mm2", paths.libs_dir(),
                  expected_image=f"apache/kafka:{paths.kafka_version()}")
        t_mm2 = time.monotonic()
        pod.start()

        # 1. through MM2: a watcher on the target waits until MM2 has created `bench` there (MM2 is
        #    replicating), then polls its end offsets; only then the producer writes to the source
        ready = base / "watch.ready"
        watch_result: dict = {}
        watch_error: list[BaseException] = []

        def watch():
            try:
                watch_result.update(kafka.run_helper(
                    "watch", {"cluster": target.client(), "topic": "bench", "records": a.records,
                              "timeoutMs": int(left(600) * 1000) - 5000, "readyFile": str(ready)},
                    base / "helper", left(600),
                    abort=lambda: None if pod.running() else f"MM2 exited with {pod.proc.returncode}"))
            except BaseException as ex:  # noqa: BLE001 - reported by the main thread
                watch_error.append(ex)

        th = threading.Thread(target=watch)
        th.start()
        while not ready.exists() and th.is_alive():
            time.sleep(0.05)
        if watch_error or not ready.exists():
            raise RuntimeError(f"MM2 did not create `bench` on the target: {watch_error}\n{pod.logs(60)}")
        mm2_ready_s = time.monotonic() - t_mm2
        produced = kafka.run_helper("produce", {"cluster": source.client(), "topic": "bench",
                                                "records": a.records, "valueBytes": a.value_bytes},
                                    base / "helper", left(600))
        th.join(left(600))
        if watch_error:
            raise watch_error[0]
        if watch_result.get("lastVisibleMs", -1) < 0:
            raise RuntimeError(f"not all records visible on the target in time: {watch_result}\n{pod.logs(60)}")

        # 2. raw producer into the target, same records
        raw = kafka.run_helper("produce", {"cluster": target.client(), "topic": "bench-raw",
                                           "records": a.records, "valueBytes": a.value_bytes},
                               base / "helper", left(600))

        e2e_ms = watch_result["lastVisibleMs"] - produced["startMs"]
        raw_ms = raw["endMs"] - raw["startMs"]
        res = {
            "kafka": paths.kafka_version(),
            "records": a.records,
            "partitions": a.partitions,
            "value_bytes": a.value_bytes,
            "mm2_startup_until_topic_created_s": round(mm2_ready_s, 1),
            "source_produce_records_per_s": round(a.records / max(produced["endMs"] - produced["startMs"], 1) * 1000),
            "mm2_records_per_s": round(a.records / max(e2e_ms, 1) * 1000),
            "mm2_first_produce_to_last_visible_s": round(e2e_ms / 1000, 2),
            "mm2_first_to_last_visible_s": round(
                (watch_result["lastVisibleMs"] - watch_result["firstVisibleMs"]) / 1000, 2),
            "raw_producer_records_per_s": round(a.records / max(raw_ms, 1) * 1000),
        }
        res["ratio_mm2_to_raw"] = round(res["mm2_records_per_s"] / res["raw_producer_records_per_s"], 3)
        print(json.dumps(res, indent=2))
        print(f"\nMM2 replicated {a.records} records at {res['mm2_records_per_s']}/s "
              f"(first produce -> last visible on target: {res['mm2_first_produce_to_last_visible_s']} s); "
              f"raw producer into the target: {res['raw_producer_records_per_s']}/s; "
              f"ratio MM2/raw = {res['ratio_mm2_to_raw']}")
        if a.json:
            Path(a.json).write_text(json.dumps(res, indent=2) + "\n")
        ok = True
        return 0
    except Exception:
        for c in (source, target):
            print(c.logs(40), file=sys.stderr)
        if pod is not None:
            print(pod.logs(80), file=sys.stderr)
        raise
    finally:
        if pod is not None:
            pod.cleanup()
        for c in (source, target):
            c.stop()
        if ok and not a.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"work dir: {base}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
