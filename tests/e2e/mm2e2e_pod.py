"""Run the MirrorMaker 2 container of rendered Kubernetes manifests as a local process.

Given the objects written by `mm2gen render` (a directory with one YAML file per object, or one
multi-document YAML stream), this module finds the Deployment and runs its first container the way
a kubelet + container runtime would run it from the `apache/kafka` image, without Kubernetes:

* volumes of the pod are materialized in a staging directory: `configMap` and `secret` (looked up
  among the rendered objects, or among extra objects the test supplies, e.g. a Secret the user
  creates by hand), with `items`, `defaultMode`/`mode`, `optional`; `emptyDir`;
* every volumeMount of the container (with `subPath`, `readOnly`) is bind-mounted at exactly its
  `mountPath` inside a private mount namespace (`unshare -m --propagation private`), so paths in
  mm2.properties such as /etc/mirrormaker2/mm2.properties are real paths for that process only;
  the image's /opt/kafka (config/, libs/) is emulated the same way;
* env: `value` (with Kubernetes' `$(VAR)` expansion), `valueFrom` (`fieldRef`, `resourceFieldRef`,
  `secretKeyRef`, `configMapKeyRef`), `envFrom`; anything unknown is an error;
* command/args: only `/opt/kafka/bin/connect-mirror-maker.sh ARGS...` is accepted; that script and
  kafka-run-class.sh (Kafka 4.x) are translated into the `java ... MirrorMaker ARGS...` command line
  they would exec; ARGS are passed byte for byte.  Anything else is refused: the test must not
  adapt to the manifests;
* initContainers: only mm2gen's copy of the JMX exporter agent, which becomes the real agent jar
  (the pinned release, from Maven Central via install-kafka) in its emptyDir;
* securityContext: runAsUser/runAsGroup/fsGroup (the image's user is appuser, uid/gid 1000) via
  setpriv, readOnlyRootFilesystem via a read-only remount of / inside the namespace.

Nothing of the rendered files is edited: mm2.properties is written byte for byte as rendered.

Usable as a module (Pod) or from the command line:
    python3 mm2e2e_pod.py RENDERED_DIR_OR_FILE [--extra SECRETS.yaml] [--workdir DIR]
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import math
import os
import posixpath
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

import yaml

import mm2e2e_paths

SCRIPT = "/opt/kafka/bin/connect-mirror-maker.sh"
KAFKA_HOME = "/opt/kafka"
MM2_MAIN = "org.apache.kafka.connect.mirror.MirrorMaker"
# apache/kafka image: USER appuser (created by `adduser -D appuser` on Alpine: uid/gid 1000)
IMAGE_UID = 1000
IMAGE_GID = 1000
# apache/kafka image environment (eclipse-temurin base): JAVA_HOME is mapped to the local JDK
IMAGE_ENV_DEFAULTS = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "en_US.UTF-8",
    "LANGUAGE": "en_US:en",
    "LC_ALL": "en_US.UTF-8",
}

# The image's /opt/kafka/config/connect-log4j2.yaml: console + ${kafka.logs.dir}/connect.log.
CONNECT_LOG4J2_YAML = """\
Configuration:
  Properties:
    Property:
      - name: "kafka.logs.dir"
        value: "."
      - name: "logPattern"
        value: "[%d] %p %X{connector.context}%m (%c:%L)%n"
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "${logPattern}"
    RollingFile:
      - name: ConnectAppender
        fileName: "${sys:kafka.logs.dir}/connect.log"
        filePattern: "${sys:kafka.logs.dir}/connect-%d{yyyy-MM-dd-HH}.log"
        PatternLayout:
          pattern: "${logPattern}"
        TimeBasedTriggeringPolicy:
          modulate: true
          interval: 1
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
        - ref: ConnectAppender
"""


class PodError(Exception):
    """The manifests cannot be run faithfully (or are invalid): the test must fail."""


# --------------------------------------------------------------------------- loading


def load_objects(path: str | os.PathLike) -> list[dict]:
    """All Kubernetes objects of a directory of YAML/JSON files, or of one multi-document file."""
    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix in (".yaml", ".yml", ".json")) \
        if p.is_dir() else [p]
    objs: list[dict] = []
    for f in files:
        for doc in yaml.safe_load_all(f.read_text()):
            if doc is None:
                continue
            if not isinstance(doc, dict) or "kind" not in doc:
                raise PodError(f"{f}: not a Kubernetes object: {str(doc)[:200]}")
            if doc["kind"] == "List" or doc["kind"].endswith("List") and "items" in doc:
                objs.extend(doc.get("items") or [])
            else:
                objs.append(doc)
    return objs


# --------------------------------------------------------------------------- small helpers

_QTY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[a-zA-Z]*)$")
_SUFFIX = {
    "": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def parse_quantity(q: Any) -> float:
    s = str(q).strip()
    m = _QTY.match(s)
    if not m:
        raise PodError(f"invalid quantity {q!r}")
    num, suf = m.groups()
    if suf and suf[0] in "eE" and suf[1:].lstrip("+-").isdigit():
        return float(num + suf)
    if suf not in _SUFFIX:
        raise PodError(f"invalid quantity suffix in {q!r}")
    return float(num) * _SUFFIX[suf]


def expand_k8s(s: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion for env values, command and args ($$ escapes $)."""
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "$" and i + 1 < len(s):
            n = s[i + 1]
            if n == "$":
                out.append("$")
                i += 2
                continue
            if n == "(":
                j = s.find(")", i + 2)
                if j >= 0:
                    name = s[i + 2:j]
                    out.append(env[name] if name in env else s[i:j + 1])
                    i = j + 1
                    continue
            out.append(c + n)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def sh_split(s: str | None) -> list[str]:
    """Word splitting of an unquoted shell expansion ($KAFKA_OPTS etc.): on whitespace, no quotes."""
    return (s or "").split()


def _is_under(p: str, ancestor: str) -> bool:
    p, a = PurePosixPath(p), PurePosixPath(ancestor)
    return p == a or a in p.parents


def host_java_home() -> str:
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    if not java:
        raise PodError("no java on PATH")
    return str(Path(java).resolve().parent.parent)


# --------------------------------------------------------------------------- the pod


@dataclasses.dataclass
class Mount:
    target: str  # path inside the "container"
    source: Path  # materialized on the host
    read_only: bool
    is_file: bool
    what: str  # for messages


class Pod:
    """The first container of the (single) Deployment of `objects`, runnable locally."""

    def __init__(
        self,
        objects: list[dict],
        workdir: str | os.PathLike,
        libs_dir: str | os.PathLike,
        *,
        extra_objects: Iterable[dict] = (),
        expected_image: str | None = None,
        pod_ip: str = "127.0.0.1",
        node_name: str = "e2e-node",
        emulate_user: bool = True,
        replica: int = 0,
        netns: str | None = None,
        agent_jar: str | os.PathLike | None = None,
    ) -> None:
        """`netns`: run in this network namespace (`ip netns add`, with `pod_ip` on one of its
        interfaces and /etc/netns/NAME/hosts naming the pod), with its own hostname, as a pod
        has; `replica` tells the pods of one Deployment apart."""
        self.objects = list(objects)
        self.extra_objects = list(extra_objects)
        self.workdir = Path(workdir).resolve()
        self.agent_jar = Path(agent_jar) if agent_jar else None
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.libs_dir = Path(libs_dir).resolve()
        self.expected_image = expected_image
        self.pod_ip = pod_ip
        self.node_name = node_name
        self.emulate_user = emulate_user
        self.replica = replica
        self.netns = netns
        self.proc: subprocess.Popen | None = None
        self.created_host_paths: list[Path] = []  # mount points this launcher created on the host
        self.staging: Path | None = None
        self._staging_is_temp = False
        self.stdout_file = self.workdir / "mm2.stdout.log"
        self.argv: list[str] = []
        self.env: dict[str, str] = {}
        self.mounts: list[Mount] = []
        self._plan()

    # -- lookups -------------------------------------------------------------------------
    def _find(self, kind: str, name: str) -> dict | None:
        for o in self.objects + self.extra_objects:
            md = o.get("metadata") or {}
            if o.get("kind") == kind and md.get("name") == name and \
                    md.get("namespace", self.namespace) == self.namespace:
                return o
        return None

    def _configmap_data(self, name: str, optional: bool) -> dict[str, bytes] | None:
        cm = self._find("ConfigMap", name)
        if cm is None:
            if optional:
                return None
            raise PodError(f"ConfigMap {self.namespace}/{name} not found among the rendered objects")
        data: dict[str, bytes] = {}
        for k, v in (cm.get("data") or {}).items():
            if not isinstance(v, str):
                raise PodError(f"ConfigMap {name}: data[{k!r}] is a {type(v).__name__}, not a string: "
                               "the API server would reject it")
            data[k] = v.encode("utf-8")
        for k, v in (cm.get("binaryData") or {}).items():
            data[k] = base64.b64decode(v, validate=True)
        return data

    def _secret_data(self, name: str, optional: bool) -> dict[str, bytes] | None:
        s = self._find("Secret", name)
        if s is None:
            if optional:
                return None
            raise PodError(f"Secret {self.namespace}/{name} not found among the rendered objects "
                           "nor the extra objects supplied by the test")
        data: dict[str, bytes] = {}
        for k, v in (s.get("data") or {}).items():
            if not isinstance(v, str):
                raise PodError(f"Secret {name}: data[{k!r}] is not a base64 string")
            data[k] = base64.b64decode(v, validate=True)
        for k, v in (s.get("stringData") or {}).items():
            data[k] = str(v).encode("utf-8")
        return data

    # -- planning --------------------------------------------------------------------------
    def _plan(self) -> None:
        deps = [o for o in self.objects if o.get("kind") == "Deployment"]
        if len(deps) != 1:
            raise PodError(f"expected exactly one Deployment among the rendered objects, found {len(deps)}")
        self.deployment = dep = deps[0]
        self.namespace = (dep.get("metadata") or {}).get("namespace") or "default"
        tmpl = dep["spec"]["template"]
        self.pod_meta = tmpl.get("metadata") or {}
        self.podspec = ps = tmpl["spec"]
        self.agent_copies = [self._agent_copy(ic) for ic in ps.get("initContainers") or []]
        self.container = c = ps["containers"][0]
        dep_name = dep["metadata"]["name"]
        h = hashlib.sha256(yaml.safe_dump(tmpl, sort_keys=True).encode()).hexdigest()
        self.pod_name = f"{dep_name}-{h[:10]}-e2e{self.replica:02d}"
        if self.expected_image and c.get("image") != self.expected_image:
            raise PodError(f"container image is {c.get('image')!r}, the e2e test runs {self.expected_image!r}")
        self.env = self._container_env()
        cmd = [expand_k8s(str(x), self.env) for x in (c.get("command") or [])]
        args = [expand_k8s(str(x), self.env) for x in (c.get("args") or [])]
        if not cmd:
            raise PodError("container has no `command`: the image entrypoint (the Kafka broker launcher) "
                           f"would run, not MirrorMaker 2; expected command [{SCRIPT!r}]")
        if cmd[0] != SCRIPT:
            raise PodError(f"container command {cmd!r} is not [{SCRIPT!r}]: refusing to emulate anything else")
        self.script_args = cmd[1:] + args
        sc = {**(ps.get("securityContext") or {}), **(c.get("securityContext") or {})}
        self.run_uid = int(sc.get("runAsUser", IMAGE_UID))
        # without runAsGroup: the primary group of the user in the image (appuser -> 1000), else 0
        self.run_gid = int(sc.get("runAsGroup", IMAGE_GID if self.run_uid == IMAGE_UID else 0))
        fs_group = (ps.get("securityContext") or {}).get("fsGroup")
        self.fs_group = int(fs_group) if fs_group is not None else None
        self.supplemental = [int(g) for g in (ps.get("securityContext") or {}).get("supplementalGroups") or []]
        if sc.get("runAsNonRoot") and self.run_uid == 0:
            raise PodError("runAsNonRoot with runAsUser 0: the kubelet would refuse to start the container")
        self.read_only_root = bool(sc.get("readOnlyRootFilesystem"))
        self.working_dir = c.get("workingDir") or "/"

    def _agent_copy(self, ic: dict) -> tuple[str, str]:
        """The one init container the launcher emulates: mm2gen's copy of the JMX exporter agent
        from its image into an emptyDir. Its image is not run; the real agent jar of the pinned
        release (mm2e2e_paths.jmx_agent_jar) is what the copy puts there. Returns (volume, path
        inside it)."""
        cmd = list(ic.get("command") or []) + list(ic.get("args") or [])
        m = re.fullmatch(r'set -- \$AGENT_JAR; cp "\$1" (/\S+)', cmd[2]) if len(cmd) == 3 else None
        if cmd[:2] != ["/bin/sh", "-ec"] or m is None:
            raise PodError(f"init container {ic.get('name')!r}: only the JMX exporter agent copy is "
                           f"emulated, not {cmd!r}")
        dest = m.group(1)
        for vm in ic.get("volumeMounts") or []:
            root = vm["mountPath"].rstrip("/")
            if dest.startswith(root + "/"):
                if not any(v["name"] == vm["name"] and "emptyDir" in v for v in self.podspec.get("volumes") or []):
                    raise PodError(f"init container {ic.get('name')!r}: {vm['name']} is not an emptyDir")
                return vm["name"], dest[len(root) + 1:]
        raise PodError(f"init container {ic.get('name')!r}: {dest} is on no volume it mounts")

    def _field(self, path: str) -> str:
        md = self.pod_meta
        simple = {
            "metadata.name": self.pod_name,
            "metadata.namespace": self.namespace,
            "metadata.uid": "00000000-0000-4000-8000-00000000e2e0",
            "spec.nodeName": self.node_name,
            "spec.serviceAccountName": self.podspec.get("serviceAccountName", "default"),
            "status.podIP": self.pod_ip,
            "status.podIPs": self.pod_ip,
            "status.hostIP": self.pod_ip,
            "status.hostIPs": self.pod_ip,
        }
        if path in simple:
            return simple[path]
        m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
        if m:
            return str((md.get(m.group(1)) or {}).get(m.group(2), ""))
        raise PodError(f"fieldRef {path!r} is not supported by the e2e launcher")

    def _resource(self, ref: dict) -> str:
        res = ref["resource"]
        cname = ref.get("containerName") or self.container["name"]
        cont = next((x for x in self.podspec["containers"] if x["name"] == cname), None)
        if cont is None:
            raise PodError(f"resourceFieldRef: no container {cname!r}")
        kind, _, rname = res.partition(".")
        value = ((cont.get("resources") or {}).get(kind) or {}).get(rname)
        if value is None and kind == "requests":
            value = ((cont.get("resources") or {}).get("limits") or {}).get(rname)
        if value is None:
            raise PodError(f"resourceFieldRef {res}: not set on container {cname} (node allocatable "
                           "would be used, which the e2e launcher cannot know)")
        divisor = parse_quantity(ref.get("divisor", "1"))
        return str(int(math.ceil(parse_quantity(value) / divisor)))

    def _container_env(self) -> dict[str, str]:
        c = self.container
        env: dict[str, str] = {}
        for src in c.get("envFrom") or []:
            prefix = src.get("prefix", "")
            if "configMapRef" in src:
                ref = src["configMapRef"]
                data = self._configmap_data(ref["name"], ref.get("optional", False)) or {}
            elif "secretRef" in src:
                ref = src["secretRef"]
                data = self._secret_data(ref["name"], ref.get("optional", False)) or {}
            else:
                raise PodError(f"envFrom {src} not supported")
            for k, v in data.items():
                env[prefix + k] = v.decode("utf-8")
        for e in c.get("env") or []:
            name = e["name"]
            if "valueFrom" in e:
                vf = e["valueFrom"]
                if "fieldRef" in vf:
                    env[name] = self._field(vf["fieldRef"]["fieldPath"])
                elif "resourceFieldRef" in vf:
                    env[name] = self._resource(vf["resourceFieldRef"])
                elif "secretKeyRef" in vf or "configMapKeyRef" in vf:
                    is_secret = "secretKeyRef" in vf
                    ref = vf["secretKeyRef" if is_secret else "configMapKeyRef"]
                    getter = self._secret_data if is_secret else self._configmap_data
                    data = getter(ref["name"], ref.get("optional", False))
                    if data is None or ref["key"] not in data:
                        if ref.get("optional", False):
                            continue
                        raise PodError(f"env {name}: key {ref['key']!r} not in {ref['name']}")
                    env[name] = data[ref["key"]].decode("utf-8")
                else:
                    raise PodError(f"env {name}: valueFrom {vf} not supported")
            else:
                env[name] = expand_k8s(str(e.get("value", "")), env)
        return env

    # -- connect-mirror-maker.sh + kafka-run-class.sh ----------------------------------------
    def java_command(self, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
        """Translate `/opt/kafka/bin/connect-mirror-maker.sh ARGS` (Kafka 4.x) into the exec'ed
        command line and environment, given the container's environment `env`."""
        env = dict(env)
        args = list(self.script_args)
        # connect-mirror-maker.sh
        if len(args) < 1:
            raise PodError(f"{SCRIPT} without arguments only prints its usage and exits 1")
        base_dir = f"{KAFKA_HOME}/bin"  # $(dirname $0)
        if not env.get("KAFKA_LOG4J_OPTS"):
            env["KAFKA_LOG4J_OPTS"] = f"-Dlog4j2.configurationFile={base_dir}/../config/connect-log4j2.yaml"
        if not env.get("KAFKA_HEAP_OPTS"):
            env["KAFKA_HEAP_OPTS"] = "-Xms256M -Xmx2G"
        extra_args = sh_split(env["EXTRA_ARGS"] if "EXTRA_ARGS" in env else "-name mirrorMaker")
        if args[0] == "-daemon":
            raise PodError(f"{SCRIPT} -daemon would background MM2 and let the container exit")
        # kafka-run-class.sh
        home = KAFKA_HOME  # base_dir=$(dirname $0)/..
        classpath = [env["CLASSPATH"]] if env.get("CLASSPATH") else []
        libs = sorted(
            f.name for f in self.libs_dir.iterdir()
            if not f.name.startswith(".")
            and not re.search(r"(-(javadoc|scaladoc|sources|test|tests|test-sources)\.jar|\.asc|\.sha\d*)$", f.name)
        )
        classpath += [f"{home}/bin/../libs/{f}" for f in libs]
        if env.get("KAFKA_MODE") == "native":
            raise PodError("KAFKA_MODE=native is not emulated")
        if env.get("KAFKA_DEBUG"):
            raise PodError("KAFKA_DEBUG is not emulated")
        jmx = env.get("KAFKA_JMX_OPTS") or ("-Dcom.sun.management.jmxremote=true "
                                           "-Dcom.sun.management.jmxremote.authenticate=false  "
                                           "-Dcom.sun.management.jmxremote.ssl=false ")
        if env.get("JMX_PORT"):
            jmx += f" -Dcom.sun.management.jmxremote.port={env['JMX_PORT']} "
            if "-Dcom.sun.management.jmxremote.rmi.port=" not in jmx:
                jmx += f" -Dcom.sun.management.jmxremote.rmi.port={env['JMX_PORT']}"
        log_dir = env.get("LOG_DIR") or f"{home}/bin/../logs"
        self.log_dir = log_dir
        log4j_cmd = f"-Dkafka.logs.dir={log_dir} {env['KAFKA_LOG4J_OPTS']}"
        java = f"{env['JAVA_HOME']}/bin/java" if env.get("JAVA_HOME") else "java"
        heap = env.get("KAFKA_HEAP_OPTS") or "-Xmx256M"
        perf = env.get("KAFKA_JVM_PERFORMANCE_OPTS") or (
            "-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 "
            "-XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true")
        gc = env.get("KAFKA_GC_LOG_OPTS", "")
        daemon_name = None
        words = extra_args
        while words:
            w = words[0]
            if w == "-name" and len(words) > 1:
                daemon_name = words[1]
                words = words[2:]
            elif w == "-loggc":
                if not env.get("KAFKA_GC_LOG_OPTS"):
                    gc = (f"-Xlog:gc*:file={log_dir}/{daemon_name}-gc.log:time,tags:filecount=10,"
                          "filesize=100M")
                words = words[1:]
            elif w == "-daemon":
                raise PodError("EXTRA_ARGS -daemon would background MM2 and let the container exit")
            else:
                break
        cmd = [java, *sh_split(heap), *sh_split(perf), *sh_split(gc), *sh_split(jmx),
               *sh_split(log4j_cmd), "-cp", ":".join(classpath), *sh_split(env.get("KAFKA_OPTS")),
               *words, MM2_MAIN, *args]
        return cmd, env

    # -- materialization -------------------------------------------------------------------
    def _choose_staging(self) -> None:
        targets = [m.get("mountPath", "") for m in self.container.get("volumeMounts") or []] + [KAFKA_HOME]
        for cand in [self.workdir, Path("/var/tmp"), Path("/run"), Path("/dev/shm")]:
            if not any(_is_under(str(cand), t) for t in targets):
                if cand == self.workdir:
                    self.staging = self.workdir / "pod"
                    self.staging.mkdir(exist_ok=True)
                else:
                    self.staging = Path(tempfile.mkdtemp(prefix="mm2e2e-pod-", dir=cand))
                    self._staging_is_temp = True
                self.staging.chmod(0o755)
                return
        raise PodError("no staging location outside of the container's mount paths")

    def _write_files(self, vol_dir: Path, data: dict[str, bytes], items: list[dict] | None,
                     default_mode: int, what: str) -> None:
        vol_dir.mkdir(parents=True, exist_ok=True)
        if items:
            files = []
            for it in items:
                if it["key"] not in data:
                    raise PodError(f"{what}: items key {it['key']!r} not found")
                files.append((it["path"], data[it["key"]], int(it.get("mode", default_mode))))
        else:
            files = [(k, v, default_mode) for k, v in data.items()]
        for rel, content, mode in files:
            if rel.startswith("/") or ".." in PurePosixPath(rel).parts:
                raise PodError(f"{what}: invalid path {rel!r}")
            f = vol_dir / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(content)
            if self.fs_group is not None:
                os.chown(f, 0, self.fs_group)
                mode |= 0o440
            f.chmod(mode)

    def _projected(self, d: Path, proj: dict, what: str) -> None:
        default_mode = int(proj.get("defaultMode", 0o644))
        d.mkdir(parents=True, exist_ok=True)
        for src in proj.get("sources") or []:
            if "secret" in src or "configMap" in src:
                is_secret = "secret" in src
                ref = src["secret" if is_secret else "configMap"]
                getter = self._secret_data if is_secret else self._configmap_data
                data = getter(ref["name"], ref.get("optional", False))
                self._write_files(d, data or {}, ref.get("items"), default_mode,
                                  f"{what} {'Secret' if is_secret else 'ConfigMap'} {ref['name']}")
            elif "downwardAPI" in src:
                for it in src["downwardAPI"].get("items") or []:
                    if "fieldRef" in it:
                        value = self._field(it["fieldRef"]["fieldPath"])
                    elif "resourceFieldRef" in it:
                        value = self._resource(it["resourceFieldRef"])
                    else:
                        raise PodError(f"{what}: downwardAPI item {it} not supported")
                    self._write_files(d, {"v": value.encode()}, [{"key": "v", "path": it["path"],
                                      **({"mode": it["mode"]} if "mode" in it else {})}],
                                      default_mode, what)
            else:
                raise PodError(f"{what}: projected source {sorted(src)} not supported")

    def _materialize(self) -> None:
        self._choose_staging()
        st = self.staging
        vols = st / "volumes"
        vols.mkdir(exist_ok=True)
        vol_src: dict[str, tuple[Path, bool]] = {}  # name -> (dir, inherently read-only)
        for v in self.podspec.get("volumes") or []:
            name = v["name"]
            d = vols / name
            if "configMap" in v:
                src = v["configMap"]
                data = self._configmap_data(src["name"], src.get("optional", False))
                self._write_files(d, data or {}, src.get("items"), int(src.get("defaultMode", 0o644)),
                                  f"volume {name} (ConfigMap {src['name']})")
                vol_src[name] = (d, True)
            elif "secret" in v:
                src = v["secret"]
                data = self._secret_data(src["secretName"], src.get("optional", False))
                self._write_files(d, data or {}, src.get("items"), int(src.get("defaultMode", 0o644)),
                                  f"volume {name} (Secret {src['secretName']})")
                vol_src[name] = (d, True)
            elif "projected" in v:
                self._projected(d, v["projected"], f"volume {name} (projected)")
                vol_src[name] = (d, True)
            elif "emptyDir" in v:
                d.mkdir(parents=True, exist_ok=True)
                vol_src[name] = (d, False)
            else:
                raise PodError(f"volume {name}: type {sorted(set(v) - {'name'})} not supported")
            d.chmod(0o777 if "emptyDir" in v else 0o755)
            if self.fs_group is not None:
                os.chown(d, 0, self.fs_group)

        for volume, rel in self.agent_copies:
            jar = self.agent_jar or mm2e2e_paths.jmx_agent_jar()
            if not Path(jar).is_file():
                raise PodError(f"JMX exporter agent {jar} missing: run tests/e2e/install-kafka")
            target = vols / volume / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(jar, target)
            target.chmod(0o644)

        # the image's /opt/kafka: config/ (the image's connect-log4j2.yaml) and libs/
        kh = st / "kafka-home"
        (kh / "config").mkdir(parents=True, exist_ok=True)
        (kh / "bin").mkdir(exist_ok=True)
        (kh / "libs").mkdir(exist_ok=True)
        (kh / "config" / "connect-log4j2.yaml").write_text(CONNECT_LOG4J2_YAML)
        for p in [kh, kh / "config", kh / "bin", kh / "libs"]:
            p.chmod(0o755)
        (kh / "config" / "connect-log4j2.yaml").chmod(0o644)
        if self.emulate_user:
            os.chown(kh, self.run_uid, self.run_gid)  # /opt/kafka is owned by appuser in the image

        mounts = [Mount(KAFKA_HOME, kh, False, False, "image /opt/kafka"),
                  Mount(f"{KAFKA_HOME}/libs", self.libs_dir, True, False, "image /opt/kafka/libs")]
        for vm in self.container.get("volumeMounts") or []:
            name = vm["name"]
            if name not in vol_src:
                raise PodError(f"volumeMount {name}: no such volume in the pod")
            if "subPathExpr" in vm:
                raise PodError(f"volumeMount {name}: subPathExpr not supported")
            src, ro = vol_src[name]
            target = vm["mountPath"]
            if not target.startswith("/"):
                raise PodError(f"volumeMount {name}: mountPath {target!r} is not absolute")
            if vm.get("subPath"):
                sp = vm["subPath"]
                if sp.startswith("/") or ".." in PurePosixPath(sp).parts:
                    raise PodError(f"volumeMount {name}: invalid subPath {sp!r}")
                src = src / sp
                if not src.exists():
                    if ro:
                        raise PodError(f"volumeMount {name}: subPath {sp!r} not in the volume")
                    src.mkdir(parents=True)  # kubelet creates missing subPaths of writable volumes
            mounts.append(Mount(target, src, ro or bool(vm.get("readOnly")), src.is_file(),
                                f"volume {name}"))
        # parents before children, as container runtimes do
        mounts.sort(key=lambda m: len(PurePosixPath(m.target).parts))
        seen = set()
        for m in mounts:
            if m.target in seen:
                raise PodError(f"two mounts at {m.target}")
            seen.add(m.target)
        self.mounts = mounts

        # mount points: inside the nearest enclosing mount's source (the kubelet creates nested
        # mount points in configMap/secret volumes), otherwise on the host (remembered, removed later)
        for i, m in enumerate(mounts):
            parent = None
            for p in mounts[:i]:
                if _is_under(m.target, p.target) and m.target != p.target:
                    if parent is None or len(p.target) > len(parent.target):
                        parent = p
            if parent is not None:
                if parent.is_file:
                    raise PodError(f"{m.target} is under the file mount {parent.target}")
                if parent.source == self.libs_dir:
                    raise PodError(f"{m.target} is under the image's libs directory")
                rel = PurePosixPath(m.target).relative_to(parent.target)
                point = parent.source / rel
                point.parent.mkdir(parents=True, exist_ok=True)
                if m.is_file:
                    point.touch(exist_ok=True)
                else:
                    point.mkdir(exist_ok=True)
            else:
                self._host_mount_point(Path(m.target), m.is_file)

    def _host_mount_point(self, target: Path, is_file: bool) -> None:
        missing = []
        p = target
        while not p.exists():
            missing.append(p)
            p = p.parent
        if not missing:
            if is_file != target.is_file():
                raise PodError(f"host path {target} exists but is {'not ' if is_file else ''}a directory")
            return
        for q in reversed(missing):
            if q == target and is_file:
                q.touch()
            else:
                q.mkdir()
            self.created_host_paths.append(q)

    # -- running ---------------------------------------------------------------------------
    def _image_env(self) -> dict[str, str]:
        env = dict(IMAGE_ENV_DEFAULTS)
        jh = host_java_home()
        env["JAVA_HOME"] = jh  # the image's /opt/java/openjdk
        env["PATH"] = f"{jh}/bin:" + env["PATH"]
        env["HOSTNAME"] = self.pod_name
        env["HOME"] = "/home/appuser" if self.run_uid == IMAGE_UID else "/root"
        return env

    def namespace_script(self) -> str:
        q = shlex.quote
        lines = ["set -e"]
        if self.netns:
            lines.append(f"hostname {q(self.pod_name)}")
        if self.read_only_root:
            lines.append(f"mount --bind {q(str(self.staging))} {q(str(self.staging))}")
        # Every source is first bound under the staging dir (outside all mount paths): a volume
        # mounted at /tmp would otherwise hide sources under /tmp (e.g. MM2GEN_TOOLS_DIR=/tmp/...).
        holds = []
        for i, m in enumerate(self.mounts):
            hold = self.staging / f"mount-source-{i}"
            make = f"touch {q(str(hold))}" if m.is_file else f"mkdir -p {q(str(hold))}"
            lines.append(make)
            lines.append(f"mount --bind {q(str(m.source))} {q(str(hold))}")
            holds.append(hold)
        for m, hold in zip(self.mounts, holds):
            lines.append(f"mount --bind {q(str(hold))} {q(m.target)}")
            if m.read_only:
                lines.append(f"mount -o remount,bind,ro {q(m.target)}")
        if self.read_only_root:
            lines.append("mount -o remount,bind,ro /")
        lines.append(f"cd {q(self.working_dir)}")
        # kafka-run-class.sh: with KAFKA_LOG4J_OPTS set, `mkdir -p "$LOG_DIR"` if missing (as the user)
        lines.append('exec "$@"')
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        self._materialize()
        container_env = {**self._image_env(), **self.env}
        self.argv, proc_env = self.java_command(container_env)
        if proc_env.get("JAVA_HOME") != host_java_home() and not Path(proc_env["JAVA_HOME"]).exists():
            raise PodError(f"JAVA_HOME={proc_env['JAVA_HOME']} set by the manifests does not exist locally")
        self.proc_env = proc_env
        user: list[str] = []
        if self.emulate_user and self.run_uid != 0:
            groups = sorted({*([self.fs_group] if self.fs_group is not None else []), *self.supplemental})
            user = ["setpriv", f"--reuid={self.run_uid}", f"--regid={self.run_gid}"]
            user += [f"--groups={','.join(map(str, groups))}"] if groups else ["--clear-groups"]
            user += ["--"]
        mkdir_log = ["sh", "-c", 'if [ ! -d "$1" ]; then mkdir -p "$1"; fi; shift; exec "$@"', "sh",
                     self.log_dir]
        envv = ["env", "-i", *[f"{k}={v}" for k, v in proc_env.items()]]
        # `ip netns exec` also binds /etc/netns/NAME/hosts over /etc/hosts; -u: the pod's hostname
        network = ["ip", "netns", "exec", self.netns] if self.netns else []
        uts = ["-u"] if self.netns else []
        full = [*network, "unshare", "-m", *uts, "--propagation", "private", "--", "sh", "-c",
                self.namespace_script(), "sh", *user, *mkdir_log, *envv, *self.argv]
        (self.workdir / "launch.sh").write_text(
            "# what the launcher ran (for humans; env values included)\n"
            + " ".join(shlex.quote(x) for x in full) + "\n")
        out = open(self.stdout_file, "ab")
        self.proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, env={"PATH": os.environ.get("PATH", "")})
        out.close()
        (self.workdir / "pid").write_text(f"{self.proc.pid}\n")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def connect_log(self) -> Path | None:
        """Host path of the file the image's log4j2 config writes (${kafka.logs.dir}/connect.log)."""
        log_dir = posixpath.normpath(self.log_dir)
        for m in sorted(self.mounts, key=lambda m: -len(m.target)):
            if _is_under(log_dir, m.target):
                return m.source / PurePosixPath(log_dir).relative_to(m.target) / "connect.log"
        return None

    def stop(self, grace: float = 20.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass

    def cleanup(self) -> None:
        """Stop the process, remove the host mount points the launcher created and the staging dir."""
        self.stop()
        for p in reversed(self.created_host_paths):
            try:
                p.unlink() if p.is_file() else p.rmdir()
            except OSError:
                pass
        self.created_host_paths = []
        if self.staging and self._staging_is_temp:
            # keep a copy of the logs in the work dir
            for m in self.mounts:
                if m.source.is_dir() and self.staging in m.source.parents and not m.read_only:
                    dest = self.workdir / "volumes" / m.source.name
                    shutil.copytree(m.source, dest, dirs_exist_ok=True, symlinks=True)
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def logs(self, lines: int = 80) -> str:
        def tail(p: Path | None) -> str:
            if p is None or not p.exists():
                return f"<{p}: missing>"
            return "\n".join(p.read_text(errors="replace").splitlines()[-lines:])
        return f"----- MM2 stdout/stderr {self.stdout_file} -----\n{tail(self.stdout_file)}\n"


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifests")
    ap.add_argument("--extra", action="append", default=[], help="extra objects (e.g. Secrets), YAML")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--libs", default=None, help="Kafka libs dir (default: install-kafka's cache)")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    import mm2e2e_paths

    extra = [o for f in a.extra for o in load_objects(f)]
    workdir = a.workdir or tempfile.mkdtemp(prefix="mm2pod-", dir="/var/tmp")
    pod = Pod(load_objects(a.manifests), workdir, a.libs or mm2e2e_paths.libs_dir(), extra_objects=extra)
    pod.start()
    print(f"MM2 pid {pod.pid}, logs in {pod.stdout_file}; Ctrl-C stops it", file=sys.stderr)
    try:
        pod.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        pod.cleanup()
    return pod.proc.returncode or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
