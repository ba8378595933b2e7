//! Brokers the MirrorMaker2 image cannot talk to: `render` and `lint` refuse them with the fix,
//! from the source's `kafkaVersion` and from the target KafkaCluster's images.

mod common;

use common::*;

fn descriptor(source_version: Option<&str>) -> String {
    let version = source_version.map_or(String::new(), |v| format!("    kafkaVersion: \"{v}\"\n"));
    format!(
        "kafkaClusters:
  - alias: target-cluster
    internalListenerName: internal
nonSDMKafkaClusters:
  - bootstrapServerAddress: src.example.com:9092
    alias: source-cluster
{version}mirrorMaker2Properties: |-
  source-cluster->target-cluster.enabled=true
"
    )
}

const KAFKA_CLUSTER: &str = "\
apiVersion: kafka.banzaicloud.io/v1beta1
kind: KafkaCluster
metadata:
  name: kafka
  namespace: kafka
spec:
  headlessServiceEnabled: false
  clusterImage: IMAGE
  listenersConfig:
    internalListeners:
      - name: internal
        type: plaintext
        containerPort: 29092
        usedForInnerBrokerCommunication: true
  brokers:
    - id: 0
";

struct Case {
    _dir: tempfile::TempDir,
    descriptor: std::path::PathBuf,
    kafka_cluster: std::path::PathBuf,
    out: std::path::PathBuf,
}

fn case(source_version: Option<&str>, target_image: &str) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let descriptor_path = dir.path().join("d.yaml");
    std::fs::write(&descriptor_path, descriptor(source_version)).unwrap();
    let kc = dir.path().join("kc.yaml");
    std::fs::write(&kc, KAFKA_CLUSTER.replace("IMAGE", target_image)).unwrap();
    let out = dir.path().join("out");
    Case {
        _dir: dir,
        descriptor: descriptor_path,
        kafka_cluster: kc,
        out,
    }
}

fn render(c: &Case, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "render",
        "-f",
        path_str(&c.descriptor),
        "--kafka-cluster",
        path_str(&c.kafka_cluster),
        "--output-dir",
        path_str(&c.out),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

const KOPERATOR_DEFAULT: &str = "ghcr.io/adobe/koperator/kafka:2.13-3.9.2-jdk21.0.11";

#[test]
fn the_matrix_renders_with_the_default_image() {
    // the versions tests/e2e/test_broker_matrix.py proves: no finding about them
    for v in ["2.8.2", "3.9.2", "4.3.1"] {
        let c = case(Some(v), KOPERATOR_DEFAULT);
        let o = render(&c, &[]);
        assert_eq!(o.status.code(), Some(0), "{v}: {}", stderr(&o));
        assert!(!stderr(&o).contains("KIP-896"), "{v}: {}", stderr(&o));
        assert!(c.out.join("kustomization.yaml").exists());
    }
}

#[test]
fn render_refuses_a_source_older_than_2_1_and_writes_nothing() {
    let c = case(Some("2.0.1"), KOPERATOR_DEFAULT);
    let o = render(&c, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot talk to cluster `source-cluster`")
            && err.contains("Kafka 4 clients need brokers 2.1 or newer (KIP-896)"),
        "{err}"
    );
    assert!(err.contains("d.yaml:7:19"), "points at kafkaVersion: {err}");
    assert!(err.contains("--image apache/kafka:3.9.2"), "{err}");
    assert!(!c.out.exists(), "nothing written");

    // the fix the error names works
    let o = render(&c, &["--image", "apache/kafka:3.9.2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn lint_refuses_a_target_kafka_cluster_older_than_2_1() {
    let c = case(None, "ghcr.io/banzaicloud/kafka:2.13-2.0.1");
    let o = run(&[
        "lint",
        "-f",
        path_str(&c.descriptor),
        "--kafka-cluster",
        path_str(&c.kafka_cluster),
    ]);
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("cannot talk to cluster `target-cluster`"),
        "{out}"
    );
    assert!(out.contains("spec.clusterImage"), "{out}");
    assert!(
        out.contains("kc.yaml:8:"),
        "points at the image in the KafkaCluster: {out}"
    );
}

#[test]
fn kafka_version_that_is_no_version_is_an_error() {
    let c = case(Some("latest"), KOPERATOR_DEFAULT);
    let o = render(&c, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("is `latest`, not a Kafka version"), "{err}");
    assert!(err.contains("kafkaVersion: 2.8.2"), "{err}");
}

#[test]
fn lint_says_which_kafka_the_keys_were_checked_against() {
    let c = case(Some("2.8.2"), KOPERATOR_DEFAULT);
    let lint = |extra: &[&str]| {
        let mut args = vec![
            "lint",
            "-f",
            path_str(&c.descriptor),
            "--kafka-cluster",
            path_str(&c.kafka_cluster),
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let other = lint(&["--image", "apache/kafka:3.9.2"]);
    assert!(
        other.contains(
            "MirrorMaker2 keys were checked against Kafka 4.3.1's configs, but image `apache/kafka:3.9.2` runs Kafka 3.9.2"
        ),
        "{other}"
    );
    let unknown = lint(&["--image", "registry.example.com/mm2:latest"]);
    assert!(
        unknown.contains("a Kafka version its tag does not say"),
        "{unknown}"
    );
    // negative control: the default image is the key table's version
    let pinned = lint(&[]);
    assert!(!pinned.contains("keys were checked against"), "{pinned}");
}

#[test]
fn render_warns_that_topic_configs_cannot_be_synced_into_a_target_before_2_3() {
    let c = case(None, "ghcr.io/banzaicloud/kafka:2.13-2.2.1");
    let o = render(&c, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "a warning, not an error: {err}");
    assert!(
        err.contains("cannot sync topic configs into cluster `target-cluster`")
            && err.contains("IncrementalAlterConfigs (Kafka 2.3, KIP-339)"),
        "{err}"
    );
    assert!(err.contains("sync.topic.configs.enabled=false"), "{err}");

    // negative control: with topic config sync off there is nothing to warn about
    let text =
        std::fs::read_to_string(&c.descriptor).unwrap() + "  sync.topic.configs.enabled=false\n";
    std::fs::write(&c.descriptor, text).unwrap();
    std::fs::remove_dir_all(&c.out).unwrap();
    let o = render(&c, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("IncrementalAlterConfigs"),
        "{}",
        stderr(&o)
    );
}
