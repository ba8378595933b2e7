"""Kafka test clusters (one node each) on 127.0.0.1, TLS material made with the JDK's keytool, and
the Java helper runner. A cluster runs Kafka 4.3.1 (the pinned version) in KRaft combined mode, or
an older broker line of the matrix (mm2e2e_paths.broker_versions()) in ZooKeeper mode with its own
ZooKeeper server, or 3.9 in KRaft mode.

Every process started here is a child of the test process, started in its own session, and
stopped by its PID (SIGTERM, then SIGKILL) by `stop()`.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import mm2e2e_paths as paths

JAVA = os.environ.get("JAVA_HOME") and os.path.join(os.environ["JAVA_HOME"], "bin", "java") or "java"
KEYTOOL = os.environ.get("JAVA_HOME") and os.path.join(os.environ["JAVA_HOME"], "bin", "keytool") or "keytool"

STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
# ZooKeeper-mode brokers keep their ACLs in ZooKeeper (removed in Kafka 4.0 with ZooKeeper itself)
ACL_AUTHORIZER = "kafka.security.authorizer.AclAuthorizer"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def tail(path: Path, lines: int = 80) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return f"<cannot read {path}: {e}>"
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def stop_pid(proc: subprocess.Popen | None, name: str = "", grace: float = 20.0) -> None:
    """SIGTERM the process by its PID, SIGKILL after `grace` seconds."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def kafka_uuid() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting with '-'."""
    while True:
        s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not s.startswith("-"):
            return s


def classpath(version: str | None = None) -> str:
    return str(paths.broker_libs_dir(version or paths.kafka_version()) / "*")


def major_minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


# --------------------------------------------------------------------------- TLS material


@dataclass
class Pki:
    """CA + broker + client stores made with keytool. Broker stores are PKCS12; the client's
    (MirrorMaker 2's) stores are `client_store_type` (PKCS12 or JKS)."""

    dir: Path
    truststore: Path
    truststore_password: str
    broker_keystore: Path
    broker_password: str
    client_keystore: Path
    client_password: str
    client_key_password: str
    client_dn: str
    client_truststore: Path
    client_store_type: str

    @property
    def client_principal(self) -> str:
        return f"User:{self.client_dn}"


def _keytool(*args: str, cwd: Path) -> None:
    # -J options: keytool is a short-lived JVM, C1 only starts it faster
    r = subprocess.run([KEYTOOL, "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", *args], cwd=cwd,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"keytool {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")


def make_pki(d: Path, client_cn: str = "mm2-client", client_store_type: str = "PKCS12") -> Pki:
    d.mkdir(parents=True, exist_ok=True)
    ca_pw = "ca-pass-e2e"
    ext = {"PKCS12": "p12", "JKS": "jks"}[client_store_type]
    # distinct passwords everywhere, so that a mix-up in mm2.properties cannot go unnoticed
    # (PKCS12 ties the key password to the store password; JKS does not)
    pki = Pki(
        dir=d,
        truststore=d / "truststore.p12",
        truststore_password="trust-pass-e2e",
        broker_keystore=d / "broker.p12",
        broker_password="broker-pass-e2e",
        client_keystore=d / f"client-keystore.{ext}",
        client_password="client-store-pass-e2e",
        client_key_password="client-key-pass-e2e" if client_store_type == "JKS" else "client-store-pass-e2e",
        client_dn=f"CN={client_cn},OU=e2e,O=mm2gen",
        client_truststore=d / f"client-truststore.{ext}",
        client_store_type=client_store_type,
    )
    common = ["-storetype", "PKCS12", "-keyalg", "RSA", "-keysize", "2048", "-validity", "30"]
    _keytool("-genkeypair", "-alias", "ca", "-dname", "CN=mm2gen-e2e-ca", "-ext", "bc:c",
             "-keystore", "ca.p12", "-storepass", ca_pw, *common, cwd=d)
    _keytool("-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", ca_pw, "-rfc",
             "-file", "ca.pem", cwd=d)

    def leaf(name: str, dn: str, store: Path, pw: str, san: str | None, eku: str,
             store_type: str = "PKCS12", key_pw: str | None = None) -> None:
        kp = ["-keypass", key_pw] if key_pw and key_pw != pw else []
        gen = ["-storetype", store_type] + common[2:]
        _keytool("-genkeypair", "-alias", name, "-dname", dn, "-keystore", store.name,
                 "-storepass", pw, *kp, *gen, cwd=d)
        _keytool("-certreq", "-alias", name, "-keystore", store.name, "-storepass", pw, *kp,
                 "-file", f"{name}.csr", cwd=d)
        ext = ["-ext", f"EKU={eku}", "-ext", "KU=digitalSignature,keyEncipherment"]
        if san:
            ext += ["-ext", f"SAN={san}"]
        _keytool("-gencert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", ca_pw,
                 "-infile", f"{name}.csr", "-outfile", f"{name}.pem", "-rfc", "-validity", "30",
                 *ext, cwd=d)
        _keytool("-importcert", "-alias", "ca", "-file", "ca.pem", "-keystore", store.name,
                 "-storepass", pw, "-noprompt", cwd=d)
        _keytool("-importcert", "-alias", name, "-file", f"{name}.pem", "-keystore", store.name,
                 "-storepass", pw, *kp, "-noprompt", cwd=d)

    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        futs = [
            ex.submit(leaf, "broker", "CN=localhost,OU=e2e,O=mm2gen", pki.broker_keystore,
                      pki.broker_password, "dns:localhost,ip:127.0.0.1", "serverAuth,clientAuth"),
            ex.submit(leaf, "client", pki.client_dn, pki.client_keystore, pki.client_password,
                      None, "clientAuth", client_store_type, pki.client_key_password),
            ex.submit(_keytool, "-importcert", "-alias", "ca", "-file", "ca.pem", "-keystore",
                      pki.truststore.name, "-storetype", "PKCS12", "-storepass",
                      pki.truststore_password, "-noprompt", cwd=d),
            ex.submit(_keytool, "-importcert", "-alias", "ca", "-file", "ca.pem", "-keystore",
                      pki.client_truststore.name, "-storetype", client_store_type, "-storepass",
                      pki.truststore_password, "-noprompt", cwd=d),
        ]
        for f in futs:
            f.result()
    return pki


# --------------------------------------------------------------------------- clusters

BROKER_LOG4J2 = """\
status = warn
name = e2e-broker
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = INFO
"""

# Kafka before 4.0 logs through log4j 1.x (reload4j here), configured by -Dlog4j.configuration
BROKER_LOG4J1 = """\
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=${kafka.logs.dir}/server.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.zookeeper=WARN
"""

ZOOKEEPER_LOG4J1 = BROKER_LOG4J1.replace("server.log", "zookeeper.log")


@dataclass
class KafkaCluster:
    """One KRaft node in combined mode (process.roles=broker,controller), standalone quorum.

    Listeners (all on 127.0.0.1):
      INTERNAL   PLAINTEXT, inter-broker + the tests' admin/producer/consumer clients
                 (principal User:ANONYMOUS, a super user when ACLs are enforced)
      CONTROLLER PLAINTEXT, the KRaft controller
      MTLS       SSL with ssl.client.auth=required (only when `pki` is given): what MM2 uses
      SCRAM      SASL_SSL with SCRAM-SHA-512 (only when `scram_users` and `pki` are given); the
                 users' credentials are written into the metadata log by `format --add-scram`
    """

    name: str
    workdir: Path
    pki: Pki | None = None
    acls: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    heap: str = "-Xms256m -Xmx768m"
    internal_port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    mtls_port: int | None = None
    scram_users: dict[str, str] = field(default_factory=dict)
    scram_port: int | None = None
    # A PLAINTEXT listener on this host address (a bridge that network-namespaced pods reach)
    bridge_ip: str | None = None
    bridge_port: int | None = None
    proc: subprocess.Popen | None = None
    pid: int | None = None
    # the broker's Kafka version and mode: "kraft", or "zookeeper" (an older line, its own ZooKeeper)
    version: str = field(default_factory=paths.kafka_version)
    mode: str = "kraft"
    zookeeper_port: int | None = None
    zookeeper_proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        if self.mode not in ("kraft", "zookeeper"):
            raise ValueError(f"unknown broker mode {self.mode!r}")
        if self.mode == "zookeeper":
            if major_minor(self.version) >= (4, 0):
                raise ValueError(f"Kafka {self.version} has no ZooKeeper mode")
            if self.scram_users:
                raise ValueError("SCRAM users are written by `format --add-scram`: KRaft only")
            if self.zookeeper_port is None:
                self.zookeeper_port = free_port()
        if self.pki and self.mtls_port is None:
            self.mtls_port = free_port()
        if self.bridge_ip and self.bridge_port is None:
            self.bridge_port = free_port()
        if self.scram_users:
            assert self.pki, "the SCRAM listener is SASL_SSL: it needs the broker's TLS stores"
            if self.scram_port is None:
                self.scram_port = free_port()

    # -- addresses -------------------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        """For the tests' own clients (PLAINTEXT)."""
        return f"127.0.0.1:{self.internal_port}"

    @property
    def mtls_bootstrap(self) -> str:
        assert self.mtls_port, "cluster has no mTLS listener"
        return f"127.0.0.1:{self.mtls_port}"

    @property
    def scram_bootstrap(self) -> str:
        assert self.scram_port, "cluster has no SCRAM listener"
        return f"127.0.0.1:{self.scram_port}"

    @property
    def bridge_bootstrap(self) -> str:
        """For pods in their own network namespaces (PLAINTEXT, on the bridge's host address)."""
        assert self.bridge_ip and self.bridge_port, "cluster has no bridge listener"
        return f"{self.bridge_ip}:{self.bridge_port}"

    def client(self) -> dict:
        """Helper spec of this cluster for the tests' clients."""
        return {"bootstrap": self.bootstrap, "props": {}}

    @property
    def log_file(self) -> Path:
        return self.workdir / "logs" / "server.log"

    @property
    def stdout_file(self) -> Path:
        return self.workdir / "logs" / "stdout.log"

    # -- lifecycle -------------------------------------------------------------------------
    def properties(self) -> dict[str, str]:
        listeners = [f"INTERNAL://127.0.0.1:{self.internal_port}"]
        advertised = [f"INTERNAL://127.0.0.1:{self.internal_port}"]
        protocols = ["INTERNAL:PLAINTEXT"]
        if self.mode == "kraft":
            listeners.append(f"CONTROLLER://127.0.0.1:{self.controller_port}")
            protocols.append("CONTROLLER:PLAINTEXT")
            props = {
                "process.roles": "broker,controller",
                "node.id": "1",
                "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
                "controller.listener.names": "CONTROLLER",
            }
        else:
            props = {
                "broker.id": "1",
                "zookeeper.connect": f"127.0.0.1:{self.zookeeper_port}/kafka",
                "zookeeper.connection.timeout.ms": "30000",
                # a single broker has no partition leadership to hand over before it stops
                "controlled.shutdown.enable": "false",
            }
        props.update({
            "inter.broker.listener.name": "INTERNAL",
            "log.dirs": str(self.workdir / "data"),
            "num.partitions": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "3",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "log.segment.bytes": str(64 * 1024 * 1024),
            "num.network.threads": "2",
            "num.io.threads": "4",
            "log.cleaner.threads": "1",
        })
        if major_minor(self.version) >= (4, 0):
            props["share.coordinator.state.topic.replication.factor"] = "1"
            props["share.coordinator.state.topic.min.isr"] = "1"
        def broker_tls(listener: str) -> dict[str, str]:
            p = f"listener.name.{listener.lower()}."
            return {
                p + "ssl.keystore.type": "PKCS12",
                p + "ssl.keystore.location": str(self.pki.broker_keystore),
                p + "ssl.keystore.password": self.pki.broker_password,
                p + "ssl.key.password": self.pki.broker_password,
                p + "ssl.truststore.type": "PKCS12",
                p + "ssl.truststore.location": str(self.pki.truststore),
                p + "ssl.truststore.password": self.pki.truststore_password,
            }

        if self.pki:
            listeners.append(f"MTLS://127.0.0.1:{self.mtls_port}")
            advertised.append(f"MTLS://127.0.0.1:{self.mtls_port}")
            protocols.append("MTLS:SSL")
            props.update(broker_tls("MTLS"))
            props["listener.name.mtls.ssl.client.auth"] = "required"
        if self.scram_users:
            listeners.append(f"SCRAM://127.0.0.1:{self.scram_port}")
            advertised.append(f"SCRAM://127.0.0.1:{self.scram_port}")
            protocols.append("SCRAM:SASL_SSL")
            props.update(broker_tls("SCRAM"))
            props["listener.name.scram.sasl.enabled.mechanisms"] = "SCRAM-SHA-512"
            props["listener.name.scram.scram-sha-512.sasl.jaas.config"] = (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;")
        if self.bridge_ip:
            listeners.append(f"BRIDGE://{self.bridge_bootstrap}")
            advertised.append(f"BRIDGE://{self.bridge_bootstrap}")
            protocols.append("BRIDGE:PLAINTEXT")
        if self.acls:
            props.update({
                "authorizer.class.name": STANDARD_AUTHORIZER if self.mode == "kraft" else ACL_AUTHORIZER,
                # the broker itself and the tests' admin client come in through the PLAINTEXT
                # listeners bound to 127.0.0.1 as User:ANONYMOUS
                "super.users": "User:ANONYMOUS",
                "allow.everyone.if.no.acl.found": "false",
            })
        props["listeners"] = ",".join(listeners)
        props["advertised.listeners"] = ",".join(advertised)
        props["listener.security.protocol.map"] = ",".join(protocols)
        props.update(self.extra)
        return props

    @property
    def log4j1(self) -> bool:
        return major_minor(self.version) < (4, 0)

    def _java(self, main: str, *args: str, heap: str = "-Xmx256m", log_config: str = "") -> list[str]:
        if self.log4j1:
            log = [f"-Dlog4j.configuration=file:{self.workdir / (log_config or 'log4j.properties')}"]
        else:
            log = [f"-Dlog4j2.configurationFile={self.workdir / 'log4j2.properties'}"]
        return [
            JAVA, *heap.split(), "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.workdir / 'logs'}", *log,
            "-cp", classpath(self.version), main, *args,
        ]

    @property
    def zookeeper_log_file(self) -> Path:
        return self.workdir / "logs" / "zookeeper.log"

    def _start_zookeeper(self) -> None:
        """A standalone ZooKeeper server from the zookeeper jar the Kafka release depends on."""
        (self.workdir / "zookeeper-log4j.properties").write_text(ZOOKEEPER_LOG4J1)
        conf = self.workdir / "zookeeper.properties"
        conf.write_text(
            f"dataDir={self.workdir / 'zookeeper'}\nclientPort={self.zookeeper_port}\n"
            "clientPortAddress=127.0.0.1\ntickTime=2000\nmaxClientCnxns=0\n"
            # the AdminServer would take port 8080, shared by every test on the machine
            "admin.enableServer=false\n")
        out = open(self.workdir / "logs" / "zookeeper-stdout.log", "wb")
        self.zookeeper_proc = subprocess.Popen(
            self._java("org.apache.zookeeper.server.quorum.QuorumPeerMain", str(conf),
                       heap="-Xmx128m", log_config="zookeeper-log4j.properties"),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=self.workdir,
        )
        out.close()
        deadline = time.monotonic() + 60
        while not port_open(self.zookeeper_port):
            if self.zookeeper_proc.poll() is not None:
                raise RuntimeError(f"[{self.name}] ZooKeeper exited with {self.zookeeper_proc.returncode}\n"
                                   + tail(self.workdir / "logs" / "zookeeper-stdout.log", 40)
                                   + tail(self.zookeeper_log_file, 40))
            if time.monotonic() > deadline:
                raise TimeoutError(f"[{self.name}] ZooKeeper not listening in time")
            time.sleep(0.2)

    def format(self) -> None:
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        (self.workdir / "log4j2.properties").write_text(BROKER_LOG4J2)
        (self.workdir / "log4j.properties").write_text(BROKER_LOG4J1)
        conf = self.workdir / "server.properties"
        conf.write_text("".join(f"{k}={v}\n" for k, v in self.properties().items()))
        if self.mode == "zookeeper":
            return  # a ZooKeeper-mode broker registers itself: there is no storage to format
        r = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "--config", str(conf),
                       "--cluster-id", kafka_uuid(), "--standalone",
                       *[a for user, pw in self.scram_users.items()
                         for a in ("--add-scram", f"SCRAM-SHA-512=[name={user},password={pw}]")]),
            capture_output=True, text=True, timeout=120,
        )
        if r.returncode != 0:
            raise RuntimeError(f"[{self.name}] kafka-storage format failed:\n{r.stdout}\n{r.stderr}")

    def start(self) -> None:
        self.format()
        if self.mode == "zookeeper":
            self._start_zookeeper()
        out = open(self.stdout_file, "wb")
        self.proc = subprocess.Popen(
            self._java("kafka.Kafka", str(self.workdir / "server.properties"), heap=self.heap),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=self.workdir,
        )
        out.close()
        self.pid = self.proc.pid
        (self.workdir / "pid").write_text(f"{self.pid}\n")

    def wait_ready(self, deadline: float) -> None:
        ports = [p for p in (self.internal_port, self.mtls_port, self.scram_port) if p]
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"[{self.name}] broker exited with {self.proc.returncode}\n"
                                   + self.logs())
            # KRaft: "Kafka Server started"; ZooKeeper mode: "[KafkaServer id=1] started"
            started = self.log_file.exists() and re.search(
                r"Kafka Server started|\[KafkaServer id=\d+\] started", self.log_file.read_text(errors="replace"))
            if started and all(port_open(p) for p in ports):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"[{self.name}] broker not ready in time\n" + self.logs())
            time.sleep(0.3)

    def stop(self) -> None:
        try:
            stop_pid(self.proc, self.name)
        finally:
            # after the broker: it deregisters from ZooKeeper on a clean shutdown
            stop_pid(self.zookeeper_proc, f"{self.name} zookeeper")

    def logs(self, lines: int = 80) -> str:
        text = (f"----- {self.name} (Kafka {self.version}, {self.mode}): tail of {self.log_file} -----\n"
                f"{tail(self.log_file, lines)}\n"
                f"----- {self.name}: tail of {self.stdout_file} -----\n{tail(self.stdout_file, 20)}\n")
        if self.zookeeper_proc is not None:
            text += f"----- {self.name}: tail of {self.zookeeper_log_file} -----\n{tail(self.zookeeper_log_file, 20)}\n"
        return text


# --------------------------------------------------------------------------- Java helper


class HelperError(RuntimeError):
    pass


def run_helper(cmd: str, spec: dict, workdir: Path, timeout: float, abort=None) -> dict:
    """Run one subcommand of the Java helper with a JSON spec, return its JSON output.

    `abort`, if given, is polled while the helper runs; a non-None return value (a message) kills
    the helper and raises (e.g. MM2 died: no point in waiting for replication)."""
    workdir.mkdir(parents=True, exist_ok=True)
    n = len(list(workdir.glob(f"{cmd}-*.json")))
    spec_file = workdir / f"{cmd}-{n}.json"
    spec_file.write_text(json.dumps(spec, indent=2))
    log = workdir / f"{cmd}-{n}.log"
    out_file = workdir / f"{cmd}-{n}.out.json"
    with open(log, "wb") as err, open(out_file, "wb") as out:
        proc = subprocess.Popen(
            [JAVA, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             f"-Dlog4j2.configurationFile={_helper_log4j(workdir)}",
             "-cp", f"{paths.helper_jar()}:{classpath()}", "mm2e2e.Helper", cmd, str(spec_file)],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() > deadline:
                raise HelperError(f"helper {cmd} timed out after {timeout:.0f}s\n{tail(log, 40)}")
            why = abort() if abort else None
            if why:
                raise HelperError(f"helper {cmd} aborted: {why}")
    finally:
        stop_pid(proc, "helper", grace=5)
    if proc.returncode != 0:
        raise HelperError(f"helper {cmd} failed ({proc.returncode})\n{tail(log, 60)}")
    return json.loads(out_file.read_text())


def _helper_log4j(workdir: Path) -> Path:
    f = workdir / "helper-log4j2.properties"
    if not f.exists():
        f.write_text(
            "status = warn\nappender.err.type = Console\nappender.err.name = ERR\n"
            "appender.err.target = SYSTEM_ERR\nappender.err.layout.type = PatternLayout\n"
            "appender.err.layout.pattern = [%d] %p %m (%c)%n\nrootLogger.level = WARN\n"
            "rootLogger.appenderRef.err.ref = ERR\n"
        )
    return f
