//! mm2gen inside GitOps pipelines, driven by the real tools: `kubectl kustomize` (legacy exec
//! plugin), standalone kustomize (KRM exec function, from `scripts/install-tools`), the Argo CD
//! plugin's generate command run the way the CMP server runs it, and the pre-commit hook.
//!
//! The examples under examples/kustomize/ and argocd/ are built as shipped.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use common::{path_str, stderr, stdout};

const BIN: &str = env!("CARGO_BIN_EXE_mm2gen");

/// A scratch home for one test: the legacy plugin installed under its own XDG_CONFIG_HOME and a
/// bin directory with `mm2gen` and `mm2gen-krm` for the PATH of exec functions.
struct Setup {
    tmp: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let xdg = tmp.path().join("xdg");
        let o = Command::new(BIN)
            .args([
                "kustomize-plugin",
                "install",
                "--config-home",
                path_str(&xdg),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "plugin install failed: {}", stderr(&o));
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        for name in ["mm2gen", "mm2gen-krm"] {
            std::os::unix::fs::symlink(BIN, bin.join(name)).unwrap();
        }
        Setup { tmp }
    }
}

fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}",
        o.status,
        stderr(&o)
    );
    stdout(&o)
}

const RESOURCE_LIST: &str = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: kafka.banzaicloud.io/v1beta1
  kind: KafkaCluster
  metadata:
    name: kafka
    namespace: kafka
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: kafkacluster.yaml
  spec:
    listenersConfig:
      internalListeners:
      - {name: internal, containerPort: 29092, type: plaintext}
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: unrelated
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: unrelated.yaml
  data: {a: "1"}
- apiVersion: mm2gen.io/v1alpha1
  kind: MirrorMaker2Migration
  metadata:
    name: eu-migration
    namespace: kafka
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: migrations/eu.yaml
  spec:
    kafkaClusters:
    - {namespace: kafka, name: kafka, kubernetesConfigContext: target, alias: target-cluster, internalListenerName: internal}
    nonSDMKafkaClusters:
    - {bootstrapServerAddress: "legacy-0.example.com:9092", alias: source-cluster}
    mirrorMaker2Properties: |
      source-cluster->target-cluster.enabled=true
      source-cluster->target-cluster.topics=orders.*
"#;

fn krm(input: &str, argv0: Option<&Path>) -> Output {
    use std::io::Write;
    let mut c = match argv0 {
        Some(p) => Command::new(p),
        None => {
            let mut c = Command::new(BIN);
            c.arg("krm");
            c
        }
    };
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn krm_function_expands_items_in_place_and_passes_the_others_through() {
    let o = krm(RESOURCE_LIST, None);
    let out = ok(o, "mm2gen krm");
    let list: Value = serde_yaml::from_str(&out).unwrap();
    let input: Value = serde_yaml::from_str(RESOURCE_LIST).unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0], input["items"][0], "KafkaCluster passes through");
    assert_eq!(items[1], input["items"][1], "unrelated item passes through");
    let generated: Vec<&str> = items[2..]
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        generated,
        ["ServiceAccount", "ConfigMap", "KafkaUser", "Deployment"]
    );
    let cm = &items[3];
    assert!(cm["data"]["mm2.properties"].as_str().unwrap().contains(
        "target-cluster.bootstrap.servers=kafka-all-broker.kafka.svc.cluster.local:29092"
    ));
    assert!(list.get("results").is_none(), "{out}");

    // The same through the `mm2gen-krm` name (argv[0]), for runners that pass no arguments.
    let setup = Setup::new();
    let o = krm(
        RESOURCE_LIST,
        Some(&setup.tmp.path().join("bin/mm2gen-krm")),
    );
    assert_eq!(ok(o, "mm2gen-krm"), out);
}

#[test]
fn krm_function_reports_errors_as_results_on_the_offending_object() {
    let input = RESOURCE_LIST.replace(
        "      source-cluster->target-cluster.topics",
        "      source-clustr->target-cluster.topics",
    );
    let o = krm(&input, None);
    assert_eq!(o.status.code(), Some(1));
    let list: Value = serde_yaml::from_str(&stdout(&o)).unwrap();
    let expected_items: Value = serde_yaml::from_str::<Value>(&input).unwrap()["items"].clone();
    assert_eq!(
        list["items"], expected_items,
        "input items returned unchanged"
    );
    let results = list["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    let r = &results[0];
    assert_eq!(r["severity"], "error");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.starts_with("unknown cluster alias `source-clustr`"),
        "{message}"
    );
    assert!(message.contains("line 2 of the block"), "{message}");
    assert!(
        message.contains("help: did you mean `source-cluster`?"),
        "{message}"
    );
    assert_eq!(
        r["resourceRef"],
        serde_json::json!({"apiVersion": "mm2gen.io/v1alpha1", "kind": "MirrorMaker2Migration",
                           "name": "eu-migration", "namespace": "kafka"})
    );
    assert_eq!(r["field"]["path"], "spec.mirrorMaker2Properties");
    assert_eq!(r["file"]["path"], "migrations/eu.yaml");
    // Kustomize shows a failed function's stderr, not its results.
    let err = stderr(&o);
    assert!(
        err.contains("mm2gen krm: in MirrorMaker2Migration eu-migration (migrations/eu.yaml):"),
        "{err}"
    );
    assert!(
        err.contains("error: unknown cluster alias `source-clustr`"),
        "{err}"
    );
}

#[test]
fn krm_function_reports_warnings_as_warning_results() {
    // Identity replication of every topic: a KafkaUser that may write any topic, with a warning.
    let input = RESOURCE_LIST.replace(
        "      source-cluster->target-cluster.topics=orders.*\n",
        "      replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n",
    );
    let o = krm(&input, None);
    let out = ok(o.clone(), "mm2gen krm");
    let list: Value = serde_yaml::from_str(&out).unwrap();
    let results = list["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(r["severity"], "warning");
        assert_eq!(r["resourceRef"]["name"], "eu-migration");
    }
    assert!(stderr(&o).contains("warning: KafkaUser"));
}
