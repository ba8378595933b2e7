//! Secrets in mm2.properties, at every scope MirrorMaker2 reads: a literal is refused with its
//! location and a help line and never printed; a `{placeholder}` becomes a Secret reference.

mod common;

use common::*;

const BASE: &str = "\
kafkaClusters:
  - namespace: kafka
    name: kafka
    alias: target-cluster
    internalListenerName: internal
nonSDMKafkaClusters:
  - bootstrapServerAddress: source.example.com:9092
    alias: source-cluster
mirrorMaker2Properties: |-
  source-cluster->target-cluster.enabled=true
";

/// BASE with one more properties line: line 11 of the file, key at column 3.
fn with_property(line: &str) -> String {
    format!("{BASE}  {line}\n")
}

fn run_on(descriptor: &str, command: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.yaml");
    std::fs::write(&file, descriptor).unwrap();
    let kafka_cluster = example("kafkacluster.yaml");
    let mut args: Vec<&str> = command.to_vec();
    args.extend(["-f", "d.yaml"]);
    args.extend(["--kafka-cluster", path_str(&kafka_cluster)]);
    let o = mm2gen()
        .current_dir(dir.path())
        .args(&args)
        .output()
        .unwrap();
    drop(dir);
    o
}

fn everything(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// Renders, lints (text, strict, JSON) and checks each refuses the line with the message,
/// `d.yaml:line:col`, the help, and never prints `secret`.
fn assert_refused(descriptor: &str, secret: &str, message: &str, location: &str, help: &str) {
    let o = run_on(descriptor, &["render"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "render must fail:\n{err}");
    assert!(stdout(&o).is_empty(), "nothing written:\n{}", stdout(&o));
    assert!(err.contains(message), "message `{message}` in:\n{err}");
    assert!(
        err.contains(&format!("--> {location}")),
        "location `{location}` in:\n{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.trim_start_matches([' ', '=']).starts_with("help:") && l.contains(help)),
        "help `{help}` in:\n{err}"
    );
    assert!(!everything(&o).contains(secret), "secret printed:\n{err}");
    for lint in [
        &["lint"][..],
        &["lint", "--strict"],
        &["lint", "-o", "json"],
    ] {
        let o = run_on(descriptor, lint);
        assert_eq!(o.status.code(), Some(1), "{lint:?}:\n{}", everything(&o));
        assert!(
            everything(&o).contains(message),
            "{lint:?}:\n{}",
            everything(&o)
        );
        assert!(
            !everything(&o).contains(secret),
            "{lint:?} printed the secret:\n{}",
            everything(&o)
        );
    }
}

/// The value column (1-based) of a line added with `with_property`.
fn value_at(key: &str) -> String {
    format!("d.yaml:11:{}", 3 + key.len() + 1)
}

#[test]
fn a_refused_literal_is_never_printed() {
    let key = "source-cluster.ssl.truststore.password";
    assert_refused(
        &with_property(&format!("{key}=Qz1cluster")),
        "Qz1cluster",
        &format!("`{key}` holds a literal secret"),
        &value_at(key),
        "placeholder",
    );
}

#[test]
fn a_continued_secret_is_refused_and_masked_on_every_line() {
    let descriptor = format!(
        "{BASE}  source-cluster.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule \\\n    required username=\"mm2\" \\\n    password=\"Qz30cont\";\n"
    );
    assert_refused(
        &descriptor,
        "Qz30cont",
        "`source-cluster.sasl.jaas.config` holds a literal secret",
        "d.yaml:11:35",
        "placeholder",
    );
}

#[test]
fn other_diagnostics_on_a_secret_line_mask_the_value() {
    // The unknown alias is reported at the key, on the line that holds the secret.
    let o = run_on(
        &with_property("source-clustr->target-cluster.source.cluster.ssl.key.password=Qz40alias"),
        &["render"],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("unknown cluster alias `source-clustr`"),
        "{err}"
    );
    assert!(err.contains("--> d.yaml:11:3"), "{err}");
    assert!(
        err.contains("source-clustr->target-cluster.source.cluster.ssl.key.password=********"),
        "the key stays readable, the value is masked:\n{err}"
    );
    assert!(!everything(&o).contains("Qz40alias"), "{err}");
}

#[test]
fn a_secret_in_a_json_descriptor_is_masked() {
    let json = r#"{"kafkaClusters": [{"namespace": "kafka", "name": "kafka", "alias": "target-cluster", "internalListenerName": "internal"}], "nonSDMKafkaClusters": [{"bootstrapServerAddress": "source.example.com:9092", "alias": "source-cluster"}], "mirrorMaker2Properties": "source-cluster->target-cluster.enabled=true\nsource-cluster.ssl.key.password=Qz50json\ntasks.max=2"}"#;
    let o = run_on(json, &["render"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("holds a literal secret"), "{err}");
    assert!(!everything(&o).contains("Qz50json"), "{err}");
}

#[test]
fn non_secret_values_are_still_quoted_in_snippets() {
    // Negative control: masking is for secret values only.
    let o = run_on(&with_property("tasks.max={tasks}"), &["render"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("tasks.max={tasks}"), "{err}");
    assert!(!err.contains("********"), "{err}");
    let o = run_on(
        &with_property("source-clustr->target-cluster.ssl.truststore.type=PKCS12"),
        &["render"],
    );
    let err = stderr(&o);
    assert!(
        err.contains("source-clustr->target-cluster.ssl.truststore.type=PKCS12"),
        "{err}"
    );
}
