#!/usr/bin/env python3
"""Benchmark (not a test): how fast does MirrorMaker 2, deployed from mm2gen's rendered manifests,
replicate compared with a plain producer writing the same records into the target?

Same setup as the e2e test, but plaintext and without ACLs: two single-node KRaft clusters on
127.0.0.1, the guide's descriptor rendered with `$MM2GEN_BIN render`, the rendered Deployment's
container run by mm2e2e_pod.Pod. Then, in the same run:

  1. backlog: N keyed records are in `bench` on the source before MirrorMaker2 starts (the
              migration case: existing data to copy); a watcher polls the end offsets of `bench`
              on the target; reported: records/s from the first to the last record visible there;
  2. live:    N more records are produced into `bench` on the source while MirrorMaker2 runs;
              reported: records/s from the first produced record to the last visible on the target
              (producer, brokers and MirrorMaker2 then share the CPUs), and that end-to-end time;
  3. raw:     the same N records are produced straight into `bench-raw-<i>` on the target, three
              times; records/s of the median run.

Prints the rates and the ratios MM2 / raw, and writes them as JSON with --json FILE.

    tests/e2e/install-kafka
    MM2GEN_BIN=target/debug/mm2gen python3 tests/e2e/bench_migration.py [--records 1000000]
        [--property tasks.max=2 ...]
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


def bench_properties(extra: list[str]) -> str:
    """The guide's properties for a plaintext source (the SSL lines dropped), then `extra`
    (--property), to compare a tuning with what mm2gen renders by default."""
    lines = [line for line in test_e2e.guide_properties().splitlines()
             if not re.match(r"^source-cluster\.(security|ssl)\.", line)]
    return "\n".join(lines + extra)


def watch_target(a, target, pod, base, left, expected: int, produce) -> dict:
    """Waits until `expected` records are visible in `bench` on the target, polling its end
    offsets from a helper; with `produce`, runs it once the watcher is polling. Returns the
    watcher's timings (and the producer's)."""
    ready = base / f"watch-{expected}.ready"
    result: dict = {}
    errors: list[BaseException] = []

    def watch():
        try:
            result.update(kafka.run_helper(
                "watch", {"cluster": target.client(), "topic": "bench", "records": expected,
                          "timeoutMs": int(left(600) * 1000) - 5000, "readyFile": str(ready)},
                base / "helper", left(600),
                abort=lambda: None if pod.running() else f"MM2 exited with {pod.proc.returncode}"))
        except BaseException as ex:  # noqa: BLE001 - reported by the caller
            errors.append(ex)

    th = threading.Thread(target=watch)
    th.start()
    while not ready.exists() and th.is_alive():
        time.sleep(0.05)
    topic_visible = time.monotonic()
    if errors or not ready.exists():
        th.join()
        raise RuntimeError(f"MM2 did not create `bench` on the target: {errors}\n{pod.logs(60)}")
    produced = produce() if produce else None
    th.join(left(600))
    if errors:
        raise errors[0]
    if result.get("lastVisibleMs", -1) < 0:
        raise RuntimeError(f"not all records visible on the target in time: {result}\n{pod.logs(60)}")
    return {"watch": result, "produced": produced, "topic_visible_monotonic": topic_visible}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--value-bytes", type=int, default=100)
    ap.add_argument("--mm2gen", default=os.environ.get("MM2GEN_BIN"))
    ap.add_argument("--timeout", type=float, default=600, help="upper bound for the whole run (s)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--property", action="append", default=[], metavar="KEY=VALUE",
                    help="an mm2.properties line appended to the descriptor's (repeatable)")
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
        kafka.run_helper("setup", {"cluster": target.client(),
                                   "topics": [{**topic, "name": f"bench-raw-{i}"} for i in range(3)]},
                         base / "helper", left(60))

        desc = base / "descriptor.yaml"
        desc.write_text(yaml.safe_dump(test_e2e.descriptor(source.bootstrap, bench_properties(a.property)),
                                       sort_keys=False))
        out = base / "rendered"
        cmd = test_e2e.mm2gen_render_command(mm2gen, desc, target.bootstrap, out, {})
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=left(60))
        if r.returncode != 0:
            print(f"mm2gen render failed: {' '.join(cmd)}\n{r.stdout}{r.stderr}", file=sys.stderr)
            return 1
        objects = load_objects(out)
        # 1. backlog: the records are on the source before MirrorMaker2 starts
        backlog = kafka.run_helper("produce", {"cluster": source.client(), "topic": "bench",
                                               "records": a.records, "valueBytes": a.value_bytes},
                                   base / "helper", left(600))
        pod = Pod(objects, base / "mm2", paths.libs_dir(),
                  expected_image=f"apache/kafka:{paths.kafka_version()}")
        t_mm2 = time.monotonic()
        pod.start()
        drained = watch_target(a, target, pod, base, left, expected=a.records, produce=None)
        mm2_ready_s = drained["topic_visible_monotonic"] - t_mm2

        # 2. live: N more records while MirrorMaker2 runs
        live = watch_target(a, target, pod, base, left, expected=2 * a.records,
                            produce=lambda: kafka.run_helper(
                                "produce", {"cluster": source.client(), "topic": "bench",
                                            "records": a.records, "valueBytes": a.value_bytes},
                                base / "helper", left(600)))
        produced = live["produced"]
        watch_result = live["watch"]

        # 3. raw producer into the target, same records, three times: a run of a few seconds on
        #    shared CPUs varies by a third, the median is the peer
        raws = []
        for i in range(3):
            raw = kafka.run_helper("produce", {"cluster": target.client(), "topic": f"bench-raw-{i}",
                                               "records": a.records, "valueBytes": a.value_bytes},
                                   base / "helper", left(600))
            raws.append(raw["endMs"] - raw["startMs"])

        drain_ms = drained["watch"]["lastVisibleMs"] - drained["watch"]["firstVisibleMs"]
        e2e_ms = watch_result["lastVisibleMs"] - produced["startMs"]
        raw_ms = sorted(raws)[1]
        rate = lambda ms: round(a.records / max(ms, 1) * 1000)  # noqa: E731
        res = {
            "kafka": paths.kafka_version(),
            "records": a.records,
            "extra_properties": a.property,
            "partitions": a.partitions,
            "value_bytes": a.value_bytes,
            "source_produce_records_per_s": rate(backlog["endMs"] - backlog["startMs"]),
            "mm2_startup_until_topic_created_s": round(mm2_ready_s, 1),
            "backlog_mm2_records_per_s": rate(drain_ms),
            "backlog_mm2_first_to_last_visible_s": round(drain_ms / 1000, 2),
            "live_mm2_records_per_s": rate(e2e_ms),
            "live_mm2_first_produce_to_last_visible_s": round(e2e_ms / 1000, 2),
            "raw_producer_records_per_s": rate(raw_ms),
            "raw_producer_runs_records_per_s": [rate(ms) for ms in raws],
        }
        res["ratio_backlog_mm2_to_raw"] = round(res["backlog_mm2_records_per_s"] / res["raw_producer_records_per_s"], 3)
        res["ratio_live_mm2_to_raw"] = round(res["live_mm2_records_per_s"] / res["raw_producer_records_per_s"], 3)
        print(json.dumps(res, indent=2))
        print(f"\nraw producer into the target: {res['raw_producer_records_per_s']}/s\n"
              f"MM2 copying a backlog of {a.records} records: {res['backlog_mm2_records_per_s']}/s "
              f"(ratio MM2/raw = {res['ratio_backlog_mm2_to_raw']})\n"
              f"MM2 following {a.records} records produced while it runs: {res['live_mm2_records_per_s']}/s, "
              f"first produce -> last visible on the target {res['live_mm2_first_produce_to_last_visible_s']} s "
              f"(ratio MM2/raw = {res['ratio_live_mm2_to_raw']})")
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
