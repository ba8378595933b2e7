#!/usr/bin/env python3
"""Benchmark: mm2gen render against its peer, `kubectl kustomize` of the equivalent hand-written
base in bench/kustomize-base (configMapGenerator + Deployment), measured in the same run; then
the cost of descriptors with 100 to 1,000 flows. Prints figures; asserts nothing.

    python3 bench/render.py [--runs 30]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_once(cmd):
    """Wall seconds and peak RSS (KiB) of one run of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss


def measure(*cmds, runs):
    """Median wall seconds and max peak RSS (KiB) of each command over `runs` runs, after a
    warm-up. The commands take turns, so a machine that speeds up or slows down during the
    run (shared CPUs do) affects them alike and their ratio stays fair."""
    samples = [([], []) for _ in cmds]
    for i in range(runs + 1):
        for cmd, (walls, peaks) in zip(cmds, samples):
            wall, peak = run_once(cmd)
            if i > 0:
                walls.append(wall)
                peaks.append(peak)
    return [(statistics.median(w), max(p)) for w, p in samples]


def descriptor_with_flows(n):
    lines = [
        "kafkaClusters:",
        "  - namespace: kafka",
        "    name: kafka",
        "    alias: target",
        "    internalListenerName: internal",
        "nonSDMKafkaClusters:",
    ]
    for i in range(n):
        lines += [f"  - alias: src-{i}", f"    bootstrapServerAddress: src-{i}.example.com:9092"]
    lines.append("mirrorMaker2Properties: |-")
    for i in range(n):
        lines += [f"  src-{i}->target.enabled=true", f"  src-{i}->target.topics=orders-{i}, events-{i}.*"]
    lines.append("  replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--locked"], cwd=REPO, check=True)
    mm2gen = os.path.join(REPO, "target/release/mm2gen")
    example = [mm2gen, "render", "-f", "examples/descriptor.yaml", "--kafka-cluster", "examples/kafkacluster.yaml"]
    peer = ["kubectl", "kustomize", "bench/kustomize-base"]

    # /bin/true takes turns with the two: what starting and reaping any process costs this
    # harness (fork/exec from Python, the dynamic loader), paid by both sides alike.
    ours, theirs, spawn = measure(example, peer, ["/bin/true"], runs=args.runs)
    print(f"example descriptor, median of {args.runs} runs (peak RSS):")
    print(f"  mm2gen render         {ours[0] * 1000:8.2f} ms  {ours[1] / 1024:7.1f} MiB")
    print(f"  kubectl kustomize     {theirs[0] * 1000:8.2f} ms  {theirs[1] / 1024:7.1f} MiB")
    print(f"  /bin/true             {spawn[0] * 1000:8.2f} ms  (the harness's cost of one process)")
    print(f"  ratio                 {theirs[0] / ours[0]:8.1f}x faster, {theirs[1] / ours[1]:5.1f}x less memory")
    net_ours, net_theirs = ours[0] - spawn[0], theirs[0] - spawn[0]
    if net_ours > 0:
        print(f"  ratio, net of /bin/true {net_theirs / net_ours:6.1f}x faster "
              f"({net_ours * 1000:.2f} ms vs {net_theirs * 1000:.2f} ms)")

    print("flows  median ms  ms/flow  peak MiB")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (100, 250, 500, 1000):
            path = os.path.join(tmp, f"flows-{n}.yaml")
            with open(path, "w") as f:
                f.write(descriptor_with_flows(n))
            [(wall, peak)] = measure(
                [mm2gen, "render", "-f", path, "--bootstrap-servers", "target=kafka-all-broker.kafka.svc.cluster.local:29092"],
                runs=max(5, args.runs // 3),
            )
            print(f"{n:5d}  {wall * 1000:9.2f}  {wall * 1000 / n:7.4f}  {peak / 1024:8.1f}")


if __name__ == "__main__":
    main()
