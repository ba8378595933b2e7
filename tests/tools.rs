//! Every rendered output against real validators: the Kubernetes OpenAPI schemas of the three
//! newest minors (kubernetes-validate, --strict) and the KafkaUser CRD's openAPIV3Schema
//! (jsonschema). scripts/install-tools installs both; a missing tool fails the test.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

pub const KUBERNETES_VERSIONS: &[&str] = &["1.35.0", "1.36.0", "1.37.0"];
/// Kinds of custom resources, checked against their CRDs instead of the Kubernetes schemas.
const CRD_KINDS: &[&str] = &["KafkaUser", "PodMonitor", "PrometheusRule"];

fn tool(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) if !p.is_empty() && PathBuf::from(&p).exists() => PathBuf::from(p),
        _ => panic!("{var} is not set to an installed tool: run `scripts/install-tools` and `source ~/.cache/mm2gen-tools/env.sh` (scripts/test-all does both)"),
    }
}

fn rendered_objects() -> Vec<(String, Vec<serde_json::Value>)> {
    rendered_cases()
        .into_iter()
        .map(|(name, mut args)| {
            args.extend(["-o".to_string(), "json".to_string()]);
            let json = render_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
            let list: serde_json::Value = serde_json::from_str(&json).unwrap();
            (name.to_string(), list["items"].as_array().unwrap().clone())
        })
        .collect()
}

#[test]
fn every_rendered_object_passes_the_kubernetes_schemas_of_three_minors() {
    let validator = tool("MM2GEN_K8S_VALIDATE");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, objects) in rendered_objects() {
        for (i, o) in objects
            .iter()
            .enumerate()
            .filter(|(_, o)| !CRD_KINDS.contains(&o["kind"].as_str().unwrap_or("")))
        {
            let path = dir.path().join(format!("{name}-{i}.yaml"));
            std::fs::write(&path, serde_yaml_ng::to_string(o).unwrap()).unwrap();
            files.push(path);
        }
    }
    assert!(
        files.len() >= 20,
        "too few objects to validate: {}",
        files.len()
    );
    for version in KUBERNETES_VERSIONS {
        let o = Command::new(&validator)
            .args(["-k", version, "--strict"])
            .args(&files)
            .output()
            .unwrap();
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "Kubernetes {version}:\n{out}");
        assert!(
            !out.to_lowercase().contains("warn"),
            "Kubernetes {version} warned:\n{out}"
        );
    }
}

#[test]
fn the_validator_rejects_what_it_should() {
    // Proves the schema test can fail: an unknown field and a wrong type are rejected.
    let validator = tool("MM2GEN_K8S_VALIDATE");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nimmutable: yes-please\ndatta: {}\n",
    )
    .unwrap();
    let o = Command::new(&validator)
        .args(["-k", KUBERNETES_VERSIONS[0], "--strict"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success());
}

const VALIDATE_CRD: &str = r#"
import json, sys, yaml, jsonschema
schema = yaml.safe_load(open(sys.argv[1]))
objects = json.load(sys.stdin)
errors = []
for o in objects:
    for e in jsonschema.Draft7Validator(schema).iter_errors(o):
        errors.append(f"{o['metadata']['name']}: {'/'.join(map(str, e.path))}: {e.message}")
print("\n".join(errors))
sys.exit(1 if errors else 0)
"#;

fn validate_kafka_users(users: &[serde_json::Value]) -> std::process::Output {
    use std::io::Write;
    let python = tool("MM2GEN_PYTHON");
    let schema = repo().join("tests/schemas/kafka.banzaicloud.io_kafkausers.v1alpha1.schema.yaml");
    let mut child = Command::new(python)
        .args(["-c", VALIDATE_CRD])
        .arg(schema)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(users).unwrap().as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn every_kafka_user_passes_the_crd_schema() {
    let users: Vec<serde_json::Value> = rendered_objects()
        .into_iter()
        .flat_map(|(_, o)| o)
        .filter(|o| o["kind"] == "KafkaUser")
        .collect();
    assert!(users.len() >= 5);
    let o = validate_kafka_users(&users);
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // And the check can fail.
    let mut bad = users[0].clone();
    bad["spec"]["topicGrants"][0]["accessType"] = "admin".into();
    assert!(!validate_kafka_users(&[bad]).status.success());
}

/// Validates objects against a CRD's own openAPIV3Schema. The API server prunes a field the
/// schema does not declare (without a word): here it is an error, so every object schema that
/// lists its properties is closed, unless it preserves unknown fields.
const VALIDATE_AGAINST_CRD: &str = r#"
import json, sys, yaml, jsonschema
crd = yaml.safe_load(open(sys.argv[1]))
version = next(v for v in crd["spec"]["versions"] if v["name"] == sys.argv[2])
def close(node):
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node \
                and not node.get("x-kubernetes-preserve-unknown-fields"):
            node.setdefault("additionalProperties", False)
        for v in node.values():
            close(v)
    elif isinstance(node, list):
        for v in node:
            close(v)
schema = version["schema"]["openAPIV3Schema"]
close(schema)
schema["properties"].get("metadata", {}).pop("additionalProperties", None)
errors = []
for o in json.load(sys.stdin):
    for e in jsonschema.Draft7Validator(schema).iter_errors(o):
        errors.append(f"{o['metadata']['name']}: {'/'.join(map(str, e.path))}: {e.message}")
print("\n".join(errors))
sys.exit(1 if errors else 0)
"#;

/// The Prometheus Operator CRDs, the upstream files copied into tests/crds (so a clone alone
/// runs the suite).
fn monitoring_crd(plural: &str) -> PathBuf {
    let path = repo().join(format!("tests/crds/monitoring.coreos.com_{plural}.yaml"));
    assert!(path.exists(), "{} is missing", path.display());
    path
}

fn validate_against_crd(
    crd: &std::path::Path,
    objects: &[serde_json::Value],
) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(tool("MM2GEN_PYTHON"))
        .args(["-c", VALIDATE_AGAINST_CRD])
        .arg(crd)
        .arg("v1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(objects).unwrap().as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn pod_monitors_and_prometheus_rules_pass_the_prometheus_operator_crds() {
    let objects: Vec<serde_json::Value> = rendered_objects()
        .into_iter()
        .flat_map(|(_, o)| o)
        .collect();
    for (kind, plural, typo) in [
        ("PodMonitor", "podmonitors", "/spec/podMetricsEndpoints/0"),
        (
            "PrometheusRule",
            "prometheusrules",
            "/spec/groups/0/rules/0",
        ),
    ] {
        let mine: Vec<serde_json::Value> = objects
            .iter()
            .filter(|o| o["kind"] == kind)
            .cloned()
            .collect();
        assert!(!mine.is_empty(), "no {kind} rendered");
        let crd = monitoring_crd(plural);
        let o = validate_against_crd(&crd, &mine);
        assert!(
            o.status.success(),
            "{kind}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        // And the check can fail: a misspelt field is refused, not pruned.
        let mut bad = mine[0].clone();
        bad.pointer_mut(typo).unwrap()["intervall"] = "30s".into();
        assert!(
            !validate_against_crd(&crd, &[bad]).status.success(),
            "{kind} typo passed"
        );
    }
}

const VALIDATE_DESCRIPTORS: &str = r#"
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
bad = 0
for path in sys.argv[2:]:
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(open(path))))
    print(path, "valid" if not errors else "invalid: " + errors[0].message)
"#;

#[test]
fn descriptor_schema_accepts_every_example_and_rejects_bad_input() {
    let python = tool("MM2GEN_PYTHON");
    let schema = mm2gen_schema_file();
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = vec![example("descriptor.yaml")];
    for f in [
        "seed-descriptor.yaml",
        "sasl-scram.yaml",
        "mixed-sources.yaml",
        "multi-replica.yaml",
        "observability.yaml",
    ] {
        files.push(fixture(f));
    }
    let good = files.len();
    let base = std::fs::read_to_string(example("descriptor.yaml")).unwrap();
    for (i, bad) in [
        base.replace("kafkaClusters:", "kafkaCluster:"),
        base.replace("minReplicas: 1", "minReplicas: one"),
        base.replace("alias: source-cluster", "alias: source@cluster"),
        base.replace("name: kafka\n", "name: kafka\n    listener: x\n"),
        "apiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nspec: {}\ndescriptorFile: d.yaml\n".to_string(),
    ]
    .iter()
    .enumerate()
    {
        let p = dir.path().join(format!("bad-{i}.yaml"));
        std::fs::write(&p, bad).unwrap();
        files.push(p);
    }
    let o = Command::new(python)
        .args(["-c", VALIDATE_DESCRIPTORS])
        .arg(&schema)
        .args(&files)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), files.len(), "{out}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line.ends_with(" valid"), i < good, "{line}");
    }
}

/// `mm2gen schema` written to a file, so the test checks what users get.
fn mm2gen_schema_file() -> PathBuf {
    let out = render_ok(&["schema"]);
    let path = std::env::temp_dir().join(format!("mm2gen-schema-{}.json", std::process::id()));
    std::fs::write(&path, out).unwrap();
    path
}
