#!/usr/bin/env python3
"""Benchmark: mm2gen render against its peer, `kubectl kustomize` of the equivalent hand-written
base in bench/kustomize-base (configMapGenerator + Deployment), measured in the same run, with
`mm2gen --version` to split mm2gen's start from its render; then the cost of descriptors with
100 to 1,000 flows. Prints figures; asserts nothing. Peak memory is read with GNU time
(/usr/bin/time, Debian package `time`).

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
GNU_TIME = "/usr/bin/time"


def run_once(cmd, stderr_path):
    """Wall seconds of one run of `cmd`, its stderr kept in `stderr_path` to explain a failure."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    start = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        with open(stderr_path) as f:
            sys.exit(f"{' '.join(cmd)} failed: {f.read()}")
    return wall


def measure(*cmds, runs):
    """Median wall seconds of each command over `runs` runs, after a warm-up. The commands take
    turns, so a machine that speeds up or slows down during the run (shared CPUs do) affects
    them alike and their ratio stays fair."""
    samples = [[] for _ in cmds]
    with tempfile.TemporaryDirectory() as tmp:
        stderr_path = os.path.join(tmp, "stderr")
        for i in range(runs + 1):
            for cmd, walls in zip(cmds, samples):
                wall = run_once(cmd, stderr_path)
                if i > 0:
                    walls.append(wall)
    return [statistics.median(w) for w in samples]


def peak_rss_mib(cmd, runs=3):
    """Largest peak RSS of `cmd` over a few runs, as GNU time reports it. Not from this
    script's own wait4: Linux carries a process's peak RSS over exec, so a child forked from
    Python reports at least Python's own size (15 MiB here, more than mm2gen uses)."""
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit(f"peak memory is measured with GNU time, and {GNU_TIME} is missing: apt-get install time")
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "rss")
        for _ in range(runs):
            proc = subprocess.run([GNU_TIME, "-f", "%M", "-o", report, *cmd],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if proc.returncode != 0:
                sys.exit(f"{' '.join(cmd)} under {GNU_TIME} failed: {proc.stderr.decode()}")
            with open(report) as f:
                peaks.append(int(f.read().split()[-1]))
    return max(peaks) / 1024


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
    os.chdir(REPO)  # the commands name the examples relative to it (posix_spawn takes no cwd)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--locked"], check=True)
    mm2gen = os.path.join(REPO, "target/release/mm2gen")
    example = [mm2gen, "render", "-f", "examples/descriptor.yaml", "--kafka-cluster", "examples/kafkacluster.yaml"]
    peer = ["kubectl", "kustomize", "bench/kustomize-base"]

    # /bin/true takes turns with the two: what starting and reaping any process costs this
    # harness (posix_spawn from Python, exec, the dynamic loader), paid by both sides alike.
    # `mm2gen --version` splits mm2gen's own part into starting its binary (relocations,
    # clap) and the render itself.
    ours, theirs, spawn, start = measure(example, peer, ["/bin/true"], [mm2gen, "--version"],
                                         runs=args.runs)
    our_rss, their_rss = peak_rss_mib(example), peak_rss_mib(peer)
    print(f"example descriptor, median of {args.runs} runs (peak RSS):")
    print(f"  mm2gen render         {ours * 1000:8.2f} ms  {our_rss:7.1f} MiB")
    print(f"  kubectl kustomize     {theirs * 1000:8.2f} ms  {their_rss:7.1f} MiB")
    print(f"  /bin/true             {spawn * 1000:8.2f} ms  (the harness's cost of one process)")
    print(f"  mm2gen --version      {start * 1000:8.2f} ms  (starting mm2gen without rendering: "
          f"{(start - spawn) * 1000:.2f} ms over /bin/true; the render itself "
          f"{(ours - start) * 1000:.2f} ms)")
    print(f"  ratio                 {theirs / ours:8.1f}x faster, {their_rss / our_rss:5.1f}x less memory")
    net_ours, net_theirs = ours - spawn, theirs - spawn
    if net_ours > 0:
        print(f"  ratio, net of /bin/true {net_theirs / net_ours:6.1f}x faster "
              f"({net_ours * 1000:.2f} ms vs {net_theirs * 1000:.2f} ms)")

    print("flows  median ms  ms/flow  peak MiB")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (100, 250, 500, 1000):
            path = os.path.join(tmp, f"flows-{n}.yaml")
            with open(path, "w") as f:
                f.write(descriptor_with_flows(n))
            cmd = [mm2gen, "render", "-f", path, "--bootstrap-servers",
                   "target=kafka-all-broker.kafka.svc.cluster.local:29092"]
            [wall] = measure(cmd, runs=max(5, args.runs // 3))
            print(f"{n:5d}  {wall * 1000:9.2f}  {wall * 1000 / n:7.4f}  {peak_rss_mib(cmd):8.1f}")


if __name__ == "__main__":
    main()
