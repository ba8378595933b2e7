//! Shared helpers of the integration tests: run the real mm2gen binary as a user would.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

pub fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

pub fn mm2gen() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mm2gen"));
    c.current_dir(repo());
    c
}

pub fn run(args: &[&str]) -> Output {
    mm2gen()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("mm2gen runs")
}

pub fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = mm2gen()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mm2gen runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Renders successfully or fails the test with mm2gen's stderr.
pub fn render_ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "mm2gen {args:?} failed:\n{}",
        stderr(&o)
    );
    stdout(&o)
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// Every case the output tests render: (name, arguments).
pub fn rendered_cases() -> Vec<(&'static str, Vec<String>)> {
    let f = |n: &str| path_str(&fixture(n)).to_string();
    let e = |n: &str| path_str(&example(n)).to_string();
    vec![
        (
            "example",
            vec![
                "render".into(),
                "-f".into(),
                e("descriptor.yaml"),
                "--kafka-cluster".into(),
                e("kafkacluster.yaml"),
            ],
        ),
        (
            "seed_ssl",
            vec![
                "render".into(),
                "-f".into(),
                f("seed-descriptor.yaml"),
                "--kafka-cluster".into(),
                e("kafkacluster.yaml"),
            ],
        ),
        (
            "sasl_scram",
            vec![
                "render".into(),
                "-f".into(),
                f("sasl-scram.yaml"),
                "--kafka-cluster".into(),
                e("kafkacluster.yaml"),
            ],
        ),
        (
            "mixed_sources",
            vec![
                "render".into(),
                "-f".into(),
                f("mixed-sources.yaml"),
                "--bootstrap-servers".into(),
                "target=kafka-all-broker.kafka.svc.cluster.local:29092".into(),
            ],
        ),
        (
            "multi_replica",
            vec![
                "render".into(),
                "-f".into(),
                f("multi-replica.yaml"),
                "--kafka-cluster".into(),
                f("target-kafkacluster.yaml"),
            ],
        ),
        (
            "two_regions",
            vec![
                "render".into(),
                "-f".into(),
                f("two-regions.yaml"),
                "--kafka-cluster".into(),
                format!("eu-west={}", f("kafkacluster-eu.yaml")),
                "--kafka-cluster".into(),
                format!("us-east={}", f("kafkacluster-us.yaml")),
            ],
        ),
        (
            "observability",
            vec![
                "render".into(),
                "-f".into(),
                f("observability.yaml"),
                "--kafka-cluster".into(),
                e("kafkacluster.yaml"),
            ],
        ),
        (
            "generated_secret",
            vec![
                "render".into(),
                "-f".into(),
                f("seed-descriptor.yaml"),
                "--kafka-cluster".into(),
                e("kafkacluster.yaml"),
                "--secret-file".into(),
                format!(
                    "source-cluster:truststore.jks={}",
                    f("stores/truststore.jks")
                ),
                "--secret-file".into(),
                format!("source-cluster:keystore.jks={}", f("stores/keystore.jks")),
                "--secret-file".into(),
                format!("source-cluster={}", f("stores/truststore.password")),
                "--secret-file".into(),
                format!("source-cluster={}", f("stores/keystore.password")),
                "--secret-file".into(),
                format!("source-cluster={}", f("stores/key.password")),
            ],
        ),
    ]
}

/// The mm2.properties mm2gen renders for `descriptor_text` (written to a temporary file) with
/// the target KafkaCluster in `kafka_cluster` and any `extra` arguments.
pub fn rendered_properties(descriptor_text: &str, kafka_cluster: &Path, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let descriptor = dir.path().join("d.yaml");
    std::fs::write(&descriptor, descriptor_text).unwrap();
    let mut args = vec![
        "render",
        "-f",
        path_str(&descriptor),
        "--kafka-cluster",
        path_str(kafka_cluster),
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    let list: serde_json::Value = serde_json::from_str(&render_ok(&args)).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "ConfigMap")
        .expect("a ConfigMap is rendered")["data"]["mm2.properties"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every place mm2gen's diagnostics in `stderr` point at (their `--> file:line:column` lines),
/// in order, as (file, line, column): tests compare positions as numbers, because a text match
/// of `d.yaml:14:3` also accepts `d.yaml:14:30`.
pub fn pointed_locations(stderr: &str) -> Vec<(String, usize, usize)> {
    stderr
        .lines()
        .filter_map(|line| {
            let place = line.trim_start().strip_prefix("--> ")?.trim_end();
            let mut parts = place.rsplitn(3, ':');
            let column = parts.next()?.parse().ok()?;
            let line = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_string(), line, column))
        })
        .collect()
}

/// `file:line:column` split into its parts, if it is one.
pub fn parse_location(location: &str) -> Option<(&str, usize, usize)> {
    let mut parts = location.rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some((parts.next()?, line, column))
}

/// One SDM target and one source outside SDM with one flow, the properties block last, so a
/// test adds lines to it (its last line is line 14) or to mirrorMaker2Spec (after line 12).
pub const BASE: &str = "\
kafkaClusters:
  - namespace: kafka
    name: kafka
    alias: target-cluster
    internalListenerName: internal
nonSDMKafkaClusters:
  - bootstrapServerAddress: source.example.com:9092
    alias: source-cluster
mirrorMaker2Spec:
  minReplicas: 1
  maxReplicas: 1
mirrorMaker2Properties: |-
  source-cluster->target-cluster.enabled=true
";
