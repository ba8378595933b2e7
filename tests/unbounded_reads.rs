//! Inputs that never end (`/dev/zero`, an endless pipe) fail fast with exit 1 and a message
//! that names the input and the limit, for every kind of input mm2gen reads. Each run has a
//! deadline, so a regression fails instead of hanging the suite.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Generous for a debug build reading 16 MiB on a loaded machine; the old code never ended.
const DEADLINE: Duration = Duration::from_secs(30);

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

enum Stdin {
    Null,
    /// Valid YAML, repeated until mm2gen stops reading.
    Endless,
}

/// Runs mm2gen and returns its output, killing it and failing the test at the deadline.
fn run_bounded(args: &[&str], stdin: Stdin, dir: &std::path::Path) -> Output {
    let mut child = mm2gen()
        .args(args)
        .current_dir(dir)
        .stdin(match stdin {
            Stdin::Null => Stdio::null(),
            Stdin::Endless => Stdio::piped(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mm2gen runs");
    if let Some(mut pipe) = child.stdin.take() {
        // A writer that never stops on its own: only mm2gen closing the pipe ends it.
        std::thread::spawn(move || {
            let chunk = "# more\n".repeat(8192);
            while pipe.write_all(chunk.as_bytes()).is_ok() {}
        });
    }
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for mm2gen").is_some() {
            return child.wait_with_output().expect("mm2gen output");
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mm2gen {args:?} still reading after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_refused(args: &[&str], stdin: Stdin, input: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.yaml"), DESCRIPTOR).unwrap();
    std::fs::write(
        dir.path().join("kubeconfig-d.yaml"),
        // Without an alias, the target's alias derives from the kubeconfig's current context.
        format!(
            "kubernetesConfigs:\n  - /dev/zero\n{}",
            DESCRIPTOR.replace("  - alias: target-cluster\n    internal", "  - internal")
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("plugin.yaml"),
        "apiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nmetadata:\n  name: mm2\ndescriptorFile: d.yaml\nbootstrapServers:\n  target-cluster: kafka:9092\n",
    )
    .unwrap();
    let o = run_bounded(args, stdin, dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.contains(&format!("error: {input}")) && err.contains("is larger than 16 MiB"),
        "{args:?}: {err}"
    );
    assert!(
        err.contains("mm2gen reads inputs of at most 16777216 bytes"),
        "{err}"
    );
    assert!(err.contains("help: "), "{err}");
    assert!(o.stdout.is_empty(), "{args:?} wrote output");
}

const TARGET: &str = "--bootstrap-servers=target-cluster=kafka:9092";

#[test]
fn dev_zero_as_the_descriptor_fails_fast() {
    assert_refused(
        &["render", "-f", "/dev/zero", TARGET],
        Stdin::Null,
        "the descriptor /dev/zero",
    );
    assert_refused(
        &["lint", "-f", "/dev/zero"],
        Stdin::Null,
        "the descriptor /dev/zero",
    );
}

#[test]
fn dev_zero_as_a_kafka_cluster_file_fails_fast() {
    assert_refused(
        &["render", "-f", "d.yaml", "--kafka-cluster", "/dev/zero"],
        Stdin::Null,
        "the KafkaCluster file /dev/zero",
    );
}

#[test]
fn dev_zero_as_a_secret_file_fails_fast() {
    assert_refused(
        &[
            "render",
            "-f",
            "d.yaml",
            TARGET,
            "--secret-file",
            "source-cluster:truststore.jks=/dev/zero",
        ],
        Stdin::Null,
        "the --secret-file /dev/zero",
    );
}

#[test]
fn dev_zero_as_a_topic_listing_fails_fast() {
    assert_refused(
        &[
            "lint",
            "-f",
            "d.yaml",
            TARGET,
            "--source-topics",
            "source-cluster=/dev/zero",
        ],
        Stdin::Null,
        "topic listing /dev/zero",
    );
}

#[test]
fn dev_zero_as_a_kubeconfig_fails_fast() {
    assert_refused(
        &["render", "-f", "kubeconfig-d.yaml", TARGET],
        Stdin::Null,
        "the kubeconfig /dev/zero",
    );
}

#[test]
fn dev_zero_as_the_kustomize_plugin_config_fails_fast() {
    assert_refused(
        &["kustomize-exec", "/dev/zero"],
        Stdin::Null,
        "the plugin config /dev/zero",
    );
}

#[test]
fn an_endless_descriptor_on_stdin_fails_fast() {
    assert_refused(
        &["render", "-f", "-", TARGET],
        Stdin::Endless,
        "the descriptor on standard input",
    );
    assert_refused(
        &["lint", "-f", "-", TARGET],
        Stdin::Endless,
        "the descriptor on standard input",
    );
}

#[test]
fn an_endless_stream_into_the_adapters_fails_fast() {
    for args in [
        &["expand", TARGET][..],
        &["krm", TARGET][..],
        &["kustomize-exec", "plugin.yaml"][..],
    ] {
        assert_refused(args, Stdin::Endless, "the YAML stream on standard input");
    }
}
