//! A real Kubernetes control plane for the tests: etcd, kube-apiserver, kube-controller-manager
//! and kube-scheduler (built by scripts/install-control-plane), started on free loopback ports
//! with RBAC, the PodSecurity admission plugin and credentials made for this run only, and one
//! node simulated by kwok, so that scheduled pods become Running (no container runs).
//!
//! One control plane serves a whole test run; `Drop` stops it. Every process is stopped by its
//! PID in each way the run can end: normally (`Drop`), on SIGINT/SIGTERM/SIGHUP (a thread waits
//! for them and stops the processes before exiting), and if the test process itself dies
//! uncatchably, the kernel kills them (`PR_SET_PDEATHSIG`).

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The environment variables scripts/install-tools writes into env.sh, one per installed file.
const INSTALLED: [(&str, &str); 7] = [
    ("etcd", "MM2GEN_ETCD"),
    ("kube-apiserver", "MM2GEN_KUBE_APISERVER"),
    ("kube-controller-manager", "MM2GEN_KUBE_CONTROLLER_MANAGER"),
    ("kube-scheduler", "MM2GEN_KUBE_SCHEDULER"),
    ("kwok", "MM2GEN_KWOK"),
    ("kwok's stages", "MM2GEN_KWOK_STAGES"),
    ("kubectl", "MM2GEN_KUBECTL"),
];

/// The node kwok simulates: large enough for every test's pods.
const NODE: &str = r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"kwok-node","labels":{"kubernetes.io/hostname":"kwok-node","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","type":"kwok"},"annotations":{"kwok.x-k8s.io/node":"fake"}},"status":{"allocatable":{"cpu":"64","memory":"256Gi","pods":"250"},"capacity":{"cpu":"64","memory":"256Gi","pods":"250"}}}"#;

/// Pod Security labels every test namespace carries: `warn` as well as `enforce`, so a workload
/// object whose pod template would be refused also shows up as a warning at apply time.
pub const POD_SECURITY_LABELS: [&str; 3] = [
    "pod-security.kubernetes.io/enforce=restricted",
    "pod-security.kubernetes.io/warn=restricted",
    "pod-security.kubernetes.io/audit=restricted",
];

/// Processes the signal thread stops: shared with it, so it never needs the `ControlPlane`.
type Running = Arc<Mutex<Vec<(String, u32)>>>;

pub struct ControlPlane {
    state: tempfile::TempDir,
    kubectl: PathBuf,
    kubeconfig: PathBuf,
    children: Mutex<Vec<(String, Child)>>,
    running: Running,
}

fn binary(name: &str, var: &str) -> Result<PathBuf, String> {
    match std::env::var_os(var) {
        Some(p) if !p.is_empty() && Path::new(&p).is_file() => Ok(PathBuf::from(p)),
        Some(p) if !p.is_empty() => Err(format!(
            "{var}={} does not name an installed {name}: run `scripts/install-tools` (it builds the control plane) and `source ~/.cache/mm2gen-tools/env.sh`",
            Path::new(&p).display()
        )),
        _ => Err(format!(
            "{var} is not set, so {name} cannot be found: run `scripts/install-tools` (it builds the control plane) and `source ~/.cache/mm2gen-tools/env.sh` (scripts/test-all does both)"
        )),
    }
}

const STATE_PREFIX: &str = "mm2gen-control-plane-";
/// The file in a state directory naming the PID of the test process that owns it.
const OWNER: &str = "owner.pid";

/// Removes the state directories of earlier runs whose test process is gone: a run killed with
/// SIGKILL runs no code of ours (its processes die by PR_SET_PDEATHSIG, its directory stays).
fn remove_abandoned_state() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(STATE_PREFIX));
        let owner = fs::read_to_string(path.join(OWNER))
            .ok()
            .and_then(|p| p.trim().parse::<libc::pid_t>().ok());
        if let (true, Some(pid)) = (ours, owner) {
            // SAFETY: kill(2) with signal 0 only checks whether the process exists.
            let gone = unsafe { libc::kill(pid, 0) } != 0
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
            if gone {
                let _ = fs::remove_dir_all(&path);
            }
        }
    }
}

fn free_port() -> Result<u16, String> {
    // The port is released before the server binds it; a collision is possible but rare, and
    // shows as a start failure that names the port.
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run openssl (needed for the control plane's keys): {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {} failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

/// A CA, the API server's serving certificate for 127.0.0.1 signed by it, and the key that signs
/// service-account tokens: all new for every run.
fn make_keys(dir: &Path) -> Result<(), String> {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    let mut ca = vec!["req", "-x509", "-nodes", "-days", "2"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=mm2gen-test-ca",
    ]);
    openssl(dir, &ca)?;
    let mut serving = vec!["req", "-x509", "-nodes", "-days", "2"];
    serving.extend(ec);
    serving.extend([
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-keyout",
        "apiserver.key",
        "-out",
        "apiserver.crt",
        "-subj",
        "/CN=kube-apiserver",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ]);
    openssl(dir, &serving)?;
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "service-account.key",
        ],
    )
}

fn kubeconfig(server: &str, ca: &Path, user: &str, token: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: mm2gen-test\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\nusers:\n- name: {user}\n  user:\n    token: {token}\ncontexts:\n- name: mm2gen-test\n  context:\n    cluster: mm2gen-test\n    user: {user}\ncurrent-context: mm2gen-test\n",
        ca = ca.display()
    )
}

/// The last lines of a process's log, for a start failure's message.
fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(25)..].join("\n")
}

/// Stops the processes one at a time, in reverse start order: the controller manager, then the
/// API server while its etcd still answers (its shutdown writes to etcd), then etcd. SIGTERM,
/// then SIGKILL for one still running after a grace period; each is reaped.
fn stop_pids(running: &Running) {
    let mut running = running.lock().unwrap_or_else(|e| e.into_inner());
    for (name, pid) in running.iter().rev() {
        let pid = *pid as libc::pid_t;
        // SAFETY: kill(2) and waitpid(2) on a child of this process that is not reaped yet (only
        // this function reaps, and it removes what it reaped from `running`).
        unsafe {
            libc::kill(pid, libc::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut status = 0;
            while libc::waitpid(pid, &mut status, libc::WNOHANG) == 0 {
                if Instant::now() > deadline {
                    eprintln!("control plane: {name} (PID {pid}) still runs 10 s after SIGTERM; killing it");
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    running.clear();
}

/// Blocks SIGINT, SIGTERM and SIGHUP in this thread (and so in every thread started later) and
/// starts the thread that receives them: it stops the control plane and exits. Must run before
/// any other thread starts. Children get a clean signal mask from `std::process::Command`.
fn handle_signals(running: Running, state: PathBuf) {
    // SAFETY: sigset operations on a local, zero-initialised set; pthread_sigmask on this thread.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };
    std::thread::spawn(move || {
        let mut signal = 0;
        // SAFETY: sigwait on a set blocked in every thread of the process.
        unsafe { libc::sigwait(&set, &mut signal) };
        eprintln!("control plane: signal {signal} received: stopping etcd, kube-apiserver and kube-controller-manager");
        stop_pids(&running);
        let _ = fs::remove_dir_all(&state);
        std::process::exit(128 + signal);
    });
}

impl ControlPlane {
    /// Starts etcd, kube-apiserver and kube-controller-manager and waits until the API server is
    /// ready and the controller manager works. Every failure names what is missing or wrong.
    pub fn start() -> Result<ControlPlane, String> {
        let mut paths = Vec::new();
        for (name, var) in INSTALLED {
            paths.push(binary(name, var)?);
        }
        let [etcd, apiserver, controller_manager, scheduler, kwok, kwok_stages, kubectl]: [PathBuf;
            7] = paths.try_into().expect("one path per entry of INSTALLED");
        remove_abandoned_state();
        let state = tempfile::Builder::new()
            .prefix(STATE_PREFIX)
            .tempdir()
            .map_err(|e| format!("cannot create the control plane's state directory: {e}"))?;
        // SAFETY: getpid(2) has no preconditions.
        let pid = unsafe { libc::getpid() };
        fs::write(state.path().join(OWNER), pid.to_string())
            .map_err(|e| format!("cannot write {OWNER}: {e}"))?;
        let running: Running = Arc::default();
        handle_signals(running.clone(), state.path().to_path_buf());
        let dir = state.path().to_path_buf();
        make_keys(&dir)?;

        let admin_token = random_token()?;
        let kcm_token = random_token()?;
        let scheduler_token = random_token()?;
        // token,user,uid,"group1,group2": the admin is in system:masters, the controller manager
        // has only the permissions RBAC's bootstrap policy gives its user.
        fs::write(
            dir.join("tokens.csv"),
            format!(
                "{admin_token},mm2gen-test-admin,mm2gen-test-admin,\"system:masters\"\n{kcm_token},system:kube-controller-manager,system:kube-controller-manager\n{scheduler_token},system:kube-scheduler,system:kube-scheduler\n"
            ),
        )
        .map_err(|e| format!("cannot write the token file: {e}"))?;
        let api_port = free_port()?;
        let etcd_port = free_port()?;
        let peer_port = free_port()?;
        let server = format!("https://127.0.0.1:{api_port}");
        let ca = dir.join("ca.crt");
        let admin_kubeconfig = dir.join("kubeconfig");
        let kcm_kubeconfig = dir.join("kube-controller-manager.kubeconfig");
        let scheduler_kubeconfig = dir.join("kube-scheduler.kubeconfig");
        fs::write(
            &admin_kubeconfig,
            kubeconfig(&server, &ca, "mm2gen-test-admin", &admin_token),
        )
        .and_then(|_| {
            fs::write(
                &kcm_kubeconfig,
                kubeconfig(&server, &ca, "system:kube-controller-manager", &kcm_token),
            )
        })
        .and_then(|_| {
            fs::write(
                &scheduler_kubeconfig,
                kubeconfig(&server, &ca, "system:kube-scheduler", &scheduler_token),
            )
        })
        .map_err(|e| format!("cannot write a kubeconfig: {e}"))?;

        let cp = ControlPlane {
            state,
            kubectl,
            kubeconfig: admin_kubeconfig,
            children: Mutex::default(),
            running,
        };
        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let d = |f: &str| dir.join(f).display().to_string();
        cp.spawn(
            "etcd",
            &etcd,
            &[
                "--name=mm2gen-test".into(),
                format!("--data-dir={}", d("etcd")),
                format!("--listen-client-urls={etcd_url}"),
                format!("--advertise-client-urls={etcd_url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster=mm2gen-test={peer_url}"),
                // Throw-away data: durability is not worth the disk flushes.
                "--unsafe-no-fsync".into(),
                "--log-level=warn".into(),
            ],
        )?;
        cp.spawn(
            "kube-apiserver",
            &apiserver,
            &[
                format!("--etcd-servers={etcd_url}"),
                "--bind-address=127.0.0.1".into(),
                "--advertise-address=127.0.0.1".into(),
                format!("--secure-port={api_port}"),
                format!("--cert-dir={}", d("apiserver-certs")),
                format!("--tls-cert-file={}", d("apiserver.crt")),
                format!("--tls-private-key-file={}", d("apiserver.key")),
                format!("--token-auth-file={}", d("tokens.csv")),
                "--authorization-mode=RBAC".into(),
                "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,ResourceQuota".into(),
                "--service-cluster-ip-range=10.96.0.0/16".into(),
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
                format!("--service-account-key-file={}", d("service-account.key")),
                format!("--service-account-signing-key-file={}", d("service-account.key")),
                // As a real cluster allows it, so that Pod Security is what refuses a
                // privileged pod in the admission test.
                "--allow-privileged=true".into(),
                "--profiling=false".into(),
            ],
        )?;
        cp.wait_for("the API server's /readyz", Duration::from_secs(90), |cp| {
            cp.kubectl(&["get", "--raw", "/readyz"]).status.success()
        })?;
        cp.spawn(
            "kube-controller-manager",
            &controller_manager,
            &[
                format!("--kubeconfig={}", kcm_kubeconfig.display()),
                "--use-service-account-credentials=true".into(),
                format!(
                    "--service-account-private-key-file={}",
                    d("service-account.key")
                ),
                format!("--root-ca-file={}", ca.display()),
                "--leader-elect=false".into(),
                // No HTTPS endpoint: the tests only need the controllers.
                "--secure-port=0".into(),
                // Quick enough for a test to see an HPA find its target.
                "--horizontal-pod-autoscaler-sync-period=3s".into(),
                "--profiling=false".into(),
            ],
        )?;
        cp.spawn(
            "kube-scheduler",
            &scheduler,
            &[
                format!("--kubeconfig={}", scheduler_kubeconfig.display()),
                "--leader-elect=false".into(),
                "--secure-port=0".into(),
                "--profiling=false".into(),
            ],
        )?;
        cp.spawn(
            "kwok",
            &kwok,
            &[
                format!("--kubeconfig={}", cp.kubeconfig.display()),
                format!("--config={}", kwok_stages.display()),
                "--manage-all-nodes=false".into(),
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake".into(),
                "--cidr=10.244.0.0/16".into(),
                "--node-ip=127.0.0.1".into(),
            ],
        )?;
        // The service-account controller creating `default` in every namespace proves the
        // controller manager is connected and authorised.
        cp.wait_for(
            "kube-controller-manager to create the default ServiceAccount",
            Duration::from_secs(90),
            |cp| {
                cp.kubectl(&["get", "serviceaccount", "default", "-n", "default"])
                    .status
                    .success()
            },
        )?;
        let node = cp
            .kubectl_command()
            .args(["apply", "--server-side", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("stdin is piped")
                    .write_all(NODE.as_bytes())?;
                child.wait_with_output()
            })
            .map_err(|e| format!("cannot run kubectl: {e}"))?;
        if !node.status.success() {
            return Err(format!(
                "cannot create kwok's node: {}",
                String::from_utf8_lossy(&node.stderr)
            ));
        }
        cp.wait_for(
            "kwok to make its node Ready",
            Duration::from_secs(90),
            |cp| {
                let o = cp.kubectl(&[
                    "get",
                    "node",
                    "kwok-node",
                    "-o",
                    "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
                ]);
                String::from_utf8_lossy(&o.stdout).trim() == "True"
            },
        )?;
        Ok(cp)
    }

    fn spawn(&self, name: &str, exe: &Path, args: &[String]) -> Result<(), String> {
        let log_path = self.state.path().join(format!("{name}.log"));
        let log = fs::File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let log2 = log
            .try_clone()
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        // SAFETY: getpid(2) has no preconditions.
        let parent = unsafe { libc::getpid() };
        let mut command = Command::new(exe);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(move || {
                // Dies with the thread that started it (the test's main thread), even when the
                // test process is killed with SIGKILL and no code of ours runs.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {name} ({}): {e}", exe.display()))?;
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name.to_string(), child.id()));
        self.lock_children().push((name.to_string(), child));
        Ok(())
    }

    /// Polls `ready` until it holds; fails early, with the process's log, if a process exits.
    fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&ControlPlane) -> bool,
    ) -> Result<(), String> {
        let start = Instant::now();
        loop {
            for (name, child) in self.lock_children().iter_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    let log = self.state.path().join(format!("{name}.log"));
                    return Err(format!(
                        "{name} exited ({status}) while waiting for {what}; the end of {}:\n{}",
                        log.display(),
                        log_tail(&log)
                    ));
                }
            }
            if ready(self) {
                return Ok(());
            }
            if start.elapsed() > timeout {
                let logs: Vec<String> = self
                    .lock_children()
                    .iter()
                    .map(|(name, _)| {
                        let log = self.state.path().join(format!("{name}.log"));
                        format!("--- {name} ({}):\n{}", log.display(), log_tail(&log))
                    })
                    .collect();
                return Err(format!(
                    "timed out after {timeout:?} waiting for {what}\n{}",
                    logs.join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// kubectl against this control plane, with its own discovery cache.
    pub fn kubectl_command(&self) -> Command {
        let mut c = Command::new(&self.kubectl);
        c.arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .arg(format!(
                "--cache-dir={}",
                self.state.path().join("kube-cache").display()
            ))
            .stdin(Stdio::null());
        c
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_command()
            .args(args)
            .output()
            .expect("kubectl runs (MM2GEN_KUBECTL was checked at start)")
    }

    /// Stops every process by PID (see `stop_pids`); calling it again does nothing.
    pub fn stop(&self) {
        stop_pids(&self.running);
        // Reaped by stop_pids: dropping a Child neither waits for nor kills it.
        self.lock_children().clear();
        // Here and not only in TempDir's drop: a control plane shared by the tests lives in a
        // static that is never dropped.
        let _ = fs::remove_dir_all(self.state.path());
    }

    fn lock_children(&self) -> std::sync::MutexGuard<'_, Vec<(String, Child)>> {
        self.children.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        self.stop();
    }
}
