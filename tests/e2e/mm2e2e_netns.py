"""A small pod network on one host, for running several MirrorMaker 2 pods side by side.

Each pod gets what Kubernetes gives it: its own network namespace with its own IP address (a
veth pair attached to a bridge), its own hostname, and an /etc/hosts that maps that hostname to
its IP (`ip netns exec` binds /etc/netns/NAME/hosts over /etc/hosts). The host keeps the
bridge's first address, where the brokers open a listener for the pods. Needs root and iproute2.

    with PodNetwork() as net:
        ns, ip = net.reserve()
        pod = Pod(..., pod_ip=ip, netns=ns)
        net.create(ns, ip, pod.pod_name)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


class PodNetworkError(RuntimeError):
    pass


def _ip(*args: str) -> None:
    r = subprocess.run(["ip", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise PodNetworkError(f"`ip {' '.join(args)}` failed: {r.stderr.strip()}")


class PodNetwork:
    def __init__(self, subnet: str = "10.77.0") -> None:
        if shutil.which("ip") is None:
            raise PodNetworkError("`ip` (iproute2) is not on PATH: install iproute2")
        if os.geteuid() != 0:
            raise PodNetworkError("creating network namespaces needs root")
        # Names carry the pid, so two runs on one machine do not collide; the subnet is private.
        self.tag = f"m2g{os.getpid() % 100000}"
        self.bridge = f"{self.tag}br"
        self.subnet = subnet
        self.host_ip = f"{subnet}.1"
        self.namespaces: list[str] = []

    def __enter__(self) -> "PodNetwork":
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.host_ip}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        return self

    def reserve(self) -> tuple[str, str]:
        """The namespace name and IP address of the next pod (created by `create`)."""
        n = len(self.namespaces)
        return f"{self.tag}-pod{n}", f"{self.subnet}.{10 + n}"

    def create(self, ns: str, ip: str, hostname: str) -> None:
        n = len(self.namespaces)
        assert (ns, ip) == self.reserve(), "create the pods in the order they were reserved"
        host_end, pod_end = f"{self.tag}h{n}", f"{self.tag}p{n}"
        _ip("netns", "add", ns)
        self.namespaces.append(ns)
        _ip("link", "add", host_end, "type", "veth", "peer", "name", pod_end)
        _ip("link", "set", pod_end, "netns", ns)
        _ip("link", "set", host_end, "master", self.bridge, "up")
        _ip("-n", ns, "addr", "add", f"{ip}/24", "dev", pod_end)
        _ip("-n", ns, "link", "set", pod_end, "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        etc = Path("/etc/netns") / ns
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "hosts").write_text(f"127.0.0.1\tlocalhost\n{ip}\t{hostname}\n")

    def __exit__(self, *exc) -> None:
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
