//! Files one input names for another (Argo CD's DESCRIPTOR and KAFKA_CLUSTER, a wrapper's
//! `descriptorFile` and `kafkaClusterFiles`): Argo CD and the KRM function read none outside
//! their directory, `..` and symlinks followed; and no adapter quotes a file that is not a
//! descriptor or KafkaCluster stream in an error.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};

use common::*;

const DESCRIPTOR: &str = "\
kafkaClusters:
  - alias: target-cluster
    internalListenerName: internal
nonSDMKafkaClusters:
  - bootstrapServerAddress: source.example.com:9092
    alias: source-cluster
mirrorMaker2Properties: |-
  source-cluster->target-cluster.enabled=true
";

/// What no error may show: a line of a file that is not a descriptor.
const SECRET_LINE: &str = "token: s3cr3t-never-printed";

/// A machine with an application directory `app/` and, next to it, files it must not read.
struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new() -> Machine {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        std::fs::create_dir(&app).unwrap();
        std::fs::write(app.join("mm2-descriptor.yaml"), DESCRIPTOR).unwrap();
        // Outside: a descriptor (so only the path check can refuse it) and a credentials file.
        std::fs::write(dir.path().join("outside.yaml"), DESCRIPTOR).unwrap();
        std::fs::write(dir.path().join("token"), format!("{SECRET_LINE}\n")).unwrap();
        Machine { dir }
    }

    fn app(&self) -> std::path::PathBuf {
        self.dir.path().join("app")
    }

    fn argocd(&self, env: &[(&str, &str)]) -> Output {
        let mut c = mm2gen();
        c.arg("argocd-generate")
            .current_dir(self.app())
            .env("ARGOCD_ENV_BOOTSTRAP_SERVERS", "target-cluster=kafka:9092")
            .stdin(Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }
}

fn assert_outside(o: &Output, named_by: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("error: {named_by} `")), "{err}");
    assert!(err.contains("is outside"), "{err}");
    assert!(err.contains("help: name a file inside"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
    assert!(o.stdout.is_empty(), "wrote output:\n{}", stdout(o));
}

#[test]
fn argocd_reads_the_descriptor_inside_the_application() {
    let m = Machine::new();
    let o = m.argocd(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Negative control for the tests below: the same descriptor, outside, is refused only
    // because of where it is.
    let o = m.argocd(&[("ARGOCD_ENV_DESCRIPTOR", "../outside.yaml")]);
    assert_outside(&o, "ARGOCD_ENV_DESCRIPTOR");
}

#[test]
fn argocd_refuses_descriptor_paths_outside_the_application() {
    let m = Machine::new();
    let outside = m.dir.path().join("token");
    for path in [
        "/etc/passwd",
        "../token",
        "sub/../../token",
        outside.to_str().unwrap(),
    ] {
        let o = m.argocd(&[("ARGOCD_ENV_DESCRIPTOR", path)]);
        assert_outside(&o, "ARGOCD_ENV_DESCRIPTOR");
        let o = m.argocd(&[("PARAM_DESCRIPTOR", path)]);
        assert_outside(&o, "ARGOCD_ENV_DESCRIPTOR");
    }
}

#[cfg(unix)]
#[test]
fn argocd_refuses_a_symlink_that_leads_out_of_the_application() {
    let m = Machine::new();
    std::os::unix::fs::symlink(m.dir.path().join("outside.yaml"), m.app().join("link.yaml"))
        .unwrap();
    let o = m.argocd(&[("ARGOCD_ENV_DESCRIPTOR", "link.yaml")]);
    assert_outside(&o, "ARGOCD_ENV_DESCRIPTOR");
    // A symlink that stays inside is fine.
    std::os::unix::fs::symlink("mm2-descriptor.yaml", m.app().join("inside.yaml")).unwrap();
    let o = m.argocd(&[("ARGOCD_ENV_DESCRIPTOR", "inside.yaml")]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn argocd_refuses_kafka_cluster_files_outside_the_application() {
    let m = Machine::new();
    let o = m.argocd(&[("ARGOCD_ENV_KAFKA_CLUSTER", "../token")]);
    assert_outside(&o, "ARGOCD_ENV_KAFKA_CLUSTER");
    let o = m.argocd(&[("ARGOCD_ENV_KAFKA_CLUSTER", "/etc/passwd")]);
    assert_outside(&o, "ARGOCD_ENV_KAFKA_CLUSTER");
}

fn wrapper(reference: &str) -> String {
    format!(
        "apiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nmetadata:\n  name: mm2\nbootstrapServers:\n  target-cluster: kafka:9092\n{reference}\n"
    )
}

#[test]
fn argocd_refuses_a_wrappers_references_outside_the_application_at_their_line() {
    let m = Machine::new();
    for (reference, named_by) in [
        ("descriptorFile: ../outside.yaml", "descriptorFile"),
        ("descriptorFile: /etc/passwd", "descriptorFile"),
        (
            "kafkaClusterFiles: [../token]\ndescriptorFile: mm2-descriptor.yaml",
            "kafkaClusterFiles",
        ),
    ] {
        std::fs::write(m.app().join("w.yaml"), wrapper(reference)).unwrap();
        let o = m.argocd(&[("ARGOCD_ENV_DESCRIPTOR", "w.yaml")]);
        assert_outside(&o, named_by);
        assert!(stderr(&o).contains("w.yaml:7:"), "{}", stderr(&o));
    }
}

fn krm(dir: &Path, config: &str) -> Output {
    let list =
        format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n{}",
        config.lines().map(|l| format!("  {l}\n")).collect::<String>()
    );
    let mut child = mm2gen()
        .arg("krm")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), list.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_krm_function_refuses_files_outside_its_directory() {
    let m = Machine::new();
    let o = krm(&m.app(), &wrapper("descriptorFile: mm2-descriptor.yaml"));
    assert!(o.status.success(), "{}", stderr(&o));
    for reference in [
        "descriptorFile: ../outside.yaml",
        "descriptorFile: /etc/passwd",
        "kafkaClusterFiles: [../token]\ndescriptorFile: mm2-descriptor.yaml",
    ] {
        let o = krm(&m.app(), &wrapper(reference));
        let (out, err) = (stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("is outside"), "{err}");
        assert!(out.contains("is outside"), "the results say it too:\n{out}");
        assert!(
            !err.contains("s3cr3t") && !out.contains("s3cr3t"),
            "{err}\n{out}"
        );
    }
}

/// Files inside the directory that are not what they are named as: never quoted.
#[test]
fn a_referenced_file_that_is_no_descriptor_is_not_quoted() {
    let m = Machine::new();
    let app = m.app();
    std::fs::write(
        app.join("not-yaml.txt"),
        format!("{SECRET_LINE}\n  bad: [\n"),
    )
    .unwrap();
    std::fs::write(app.join("other.yaml"), format!("{SECRET_LINE}\nuser: x\n")).unwrap();
    for (reference, message) in [
        ("descriptorFile: not-yaml.txt", "is not valid YAML or JSON"),
        (
            "descriptorFile: other.yaml",
            "is not a MirrorMaker2 migration descriptor",
        ),
        (
            "kafkaClusterFiles: [not-yaml.txt]\ndescriptorFile: mm2-descriptor.yaml",
            "is not valid YAML or JSON",
        ),
    ] {
        std::fs::write(app.join("w.yaml"), wrapper(reference)).unwrap();
        // Argo CD, the KRM function, and a plain render of the wrapper alike.
        let outputs = [
            m.argocd(&[("ARGOCD_ENV_DESCRIPTOR", "w.yaml")]),
            krm(&app, &wrapper(reference)),
            mm2gen()
                .args(["render", "-f", "w.yaml"])
                .current_dir(&app)
                .output()
                .unwrap(),
        ];
        for o in outputs {
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{reference}: {err}");
            assert!(err.contains(message), "{reference}: {err}");
            assert!(!err.contains("s3cr3t"), "{reference}: {err}");
            assert!(!stdout(&o).contains("s3cr3t"), "{reference}");
        }
    }
}

#[test]
fn a_plain_render_of_a_wrapper_still_reads_files_where_the_user_says() {
    let m = Machine::new();
    let outside = m.dir.path().join("outside.yaml");
    std::fs::write(
        m.app().join("w.yaml"),
        wrapper(&format!("descriptorFile: {}", outside.display())),
    )
    .unwrap();
    let o = mm2gen()
        .args(["render", "-f", "w.yaml"])
        .current_dir(m.app())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_kubeconfig_that_does_not_parse_is_not_quoted() {
    let m = Machine::new();
    std::fs::write(
        m.app().join("kubeconfig"),
        format!("users:\n- {SECRET_LINE}\n  bad: [\n"),
    )
    .unwrap();
    // Without an alias, the target's alias derives from the kubeconfig's current context.
    let descriptor = format!(
        "kubernetesConfigs:\n  - kubeconfig\n{}",
        DESCRIPTOR.replace("  - alias: target-cluster\n    internal", "  - internal")
    );
    std::fs::write(m.app().join("k.yaml"), descriptor).unwrap();
    let o = mm2gen()
        .args([
            "render",
            "-f",
            "k.yaml",
            "--bootstrap-servers=target-cluster=kafka:9092",
        ])
        .current_dir(m.app())
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("is not valid YAML or JSON"), "{err}");
    assert!(
        err.contains("k.yaml:2:5"),
        "located at the reference: {err}"
    );
    assert!(!err.contains("s3cr3t"), "{err}");
}

#[test]
fn argocd_reads_no_kubeconfig_outside_the_application() {
    let m = Machine::new();
    let kubeconfig = "apiVersion: v1\nkind: Config\ncurrent-context: leaked-context\ncontexts:\n- name: leaked-context\n  context: {cluster: c, user: u}\n";
    std::fs::write(m.dir.path().join("kubeconfig"), kubeconfig).unwrap();
    std::fs::write(
        m.app().join("kubeconfig"),
        kubeconfig.replace("leaked", "app"),
    )
    .unwrap();
    // Without an alias, the target's alias derives from the kubeconfig's current context.
    let descriptor = |path: &str, context: &str| {
        format!(
            "kubernetesConfigs:\n  - {path}\n{}",
            DESCRIPTOR
                .replace("  - alias: target-cluster\n    internal", "  - internal")
                .replace("->target-cluster", &format!("->{context}_kafka_kafka"))
        )
    };
    let write = |path: &str, context: &str| {
        std::fs::write(
            m.app().join("mm2-descriptor.yaml"),
            descriptor(path, context),
        )
        .unwrap();
        m.argocd(&[(
            "ARGOCD_ENV_BOOTSTRAP_SERVERS",
            &format!("{context}_kafka_kafka=kafka:9092"),
        )])
    };
    let o = write("kubeconfig", "app-context");
    assert!(o.status.success(), "control: {}", stderr(&o));
    let o = write("../kubeconfig", "leaked-context");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}\n{}", stdout(&o));
    assert!(err.contains("kubernetesConfigs `"), "{err}");
    assert!(err.contains("is outside"), "{err}");
    assert!(err.contains("mm2-descriptor.yaml:2:5"), "{err}");
    assert!(!stdout(&o).contains("leaked"), "{}", stdout(&o));
}
