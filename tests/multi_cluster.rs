//! Descriptors that span several Kubernetes clusters: one MirrorMaker2 per cluster, remote SDM
//! clusters through their external listener.

mod common;

use std::process::Command;

use common::*;

fn two_regions(extra: &[&str]) -> std::process::Output {
    let eu = format!("eu-west={}", path_str(&fixture("kafkacluster-eu.yaml")));
    let us = format!("us-east={}", path_str(&fixture("kafkacluster-us.yaml")));
    let d = fixture("two-regions.yaml");
    let mut args = vec![
        "render",
        "-f",
        path_str(&d),
        "--kafka-cluster",
        &eu,
        "--kafka-cluster",
        &us,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn objects(yaml: &str) -> Vec<serde_json::Value> {
    serde_yaml_ng::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn properties_of(objects: &[serde_json::Value], context: &str) -> String {
    objects
        .iter()
        .find(|o| {
            o["kind"] == "ConfigMap"
                && o["metadata"]["annotations"]["mm2gen.io/kube-context"] == context
        })
        .unwrap_or_else(|| panic!("no ConfigMap for {context}"))["data"]["mm2.properties"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn each_region_runs_the_flows_that_write_to_it() {
    let o = two_regions(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let all = objects(&stdout(&o));
    let eu = properties_of(&all, "eu-west");
    let us = properties_of(&all, "us-east");
    // Local clusters through the internal listener, remote ones through the status address.
    assert!(
        eu.contains("\neu.bootstrap.servers=kafka-all-broker.kafka.svc.cluster.local:29092\n"),
        "{eu}"
    );
    assert!(
        eu.contains("\nus.bootstrap.servers=kafka-us.example.com:29092\n"),
        "{eu}"
    );
    assert!(
        us.contains("\neu.bootstrap.servers=kafka-eu.example.com:29092\n"),
        "{us}"
    );
    // Client TLS only for the remote one.
    assert!(
        eu.contains("\nus.security.protocol=SSL\n") && !eu.contains("\neu.security.protocol"),
        "{eu}"
    );
    assert!(
        us.contains("\neu.security.protocol=SSL\n") && !us.contains("\nus.security.protocol"),
        "{us}"
    );
    let deployments: Vec<&serde_json::Value> =
        all.iter().filter(|o| o["kind"] == "Deployment").collect();
    assert_eq!(deployments.len(), 2);
    let args =
        |d: &serde_json::Value| d["spec"]["template"]["spec"]["containers"][0]["args"].clone();
    assert_eq!(
        args(deployments[0]),
        serde_json::json!([
            "/etc/mirrormaker2/config/mm2.properties",
            "--clusters",
            "eu"
        ])
    );
    assert_eq!(
        args(deployments[1]),
        serde_json::json!([
            "/etc/mirrormaker2/config/mm2.properties",
            "--clusters",
            "us"
        ])
    );
    assert_eq!(
        deployments[0]["metadata"]["annotations"]["mm2gen.io/flows"],
        "legacy->eu,us->eu"
    );
    assert_eq!(
        deployments[1]["metadata"]["annotations"]["mm2gen.io/flows"],
        "eu->us"
    );
    assert!(all
        .iter()
        .all(|o| o["metadata"]["annotations"]["mm2gen.io/kube-context"].is_string()));
}

#[test]
fn context_flag_renders_one_instance() {
    let all = stdout(&two_regions(&[]));
    let o = two_regions(&["--context", "us-east"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let us = stdout(&o);
    assert!(
        all.ends_with(&us),
        "the us-east instance is the second part of the full output"
    );
    assert!(!us.contains("eu-west"));
    let o = two_regions(&["--context", "ap-south"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no MirrorMaker2 instance runs in kube context `ap-south`")
            && stderr(&o).contains("eu-west, us-east"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn output_dir_gets_one_kustomization_per_context() {
    let dir = tempfile::tempdir().unwrap();
    let d = path_str(dir.path()).to_string();
    let o = two_regions(&["--output-dir", &d]);
    assert!(o.status.success(), "{}", stderr(&o));
    for ctx in ["eu-west", "us-east"] {
        let sub = dir.path().join(ctx);
        assert!(sub.join("kustomization.yaml").exists(), "{ctx}");
        let built = Command::new("kubectl")
            .arg("kustomize")
            .arg(&sub)
            .output()
            .unwrap();
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        let out = String::from_utf8(built.stdout).unwrap();
        assert!(out.contains(&format!("mm2gen.io/kube-context: {ctx}")));
    }
    let o = two_regions(&["--output-dir", &d, "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_bootstrap_override_replaces_the_status_address() {
    let eu = format!("eu-west={}", path_str(&fixture("kafkacluster-eu.yaml")));
    let d = fixture("two-regions.yaml");
    // No us-east KafkaCluster: the address of us must come from somewhere.
    let o = run(&["render", "-f", path_str(&d), "--kafka-cluster", &eu]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("cannot find the external bootstrap address of remote cluster `us`"),
        "{err}"
    );
    assert!(
        err.contains("--kafka-cluster") && err.contains("--bootstrap-servers us=HOST:PORT"),
        "{err}"
    );
    assert!(err.contains("two-regions.yaml:"), "{err}");
    let o = run(&[
        "render",
        "-f",
        path_str(&d),
        "--kafka-cluster",
        &eu,
        "--bootstrap-servers",
        "us=gw.us.example.com:29092",
        "--context",
        "eu-west",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("us.bootstrap.servers=gw.us.example.com:29092"));
}

fn render_text(text: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.yaml");
    std::fs::write(&p, text).unwrap();
    std::fs::copy(
        fixture("two-regions-kubeconfig.yaml"),
        dir.path().join("two-regions-kubeconfig.yaml"),
    )
    .unwrap();
    let eu = format!("eu-west={}", path_str(&fixture("kafkacluster-eu.yaml")));
    let us = format!("us-east={}", path_str(&fixture("kafkacluster-us.yaml")));
    run(&[
        "render",
        "-f",
        path_str(&p),
        "--kafka-cluster",
        &eu,
        "--kafka-cluster",
        &us,
    ])
}

#[test]
fn multi_cluster_errors_point_at_the_cause() {
    let base = std::fs::read_to_string(fixture("two-regions.yaml")).unwrap();
    let cases = [
        (base.replace("kubernetesConfigContext: us-east", "kubernetesConfigContext: us-eats"), "kube context `us-eats` is in none of the kubeconfigs", "did you mean `us-east`?"),
        (base.replace("  replication.factor=3\n", "  legacy->legacy2.enabled=true\n").replace("    alias: legacy\n", "    alias: legacy\n  - bootstrapServerAddress: legacy2.example.com:9092\n    alias: legacy2\n"), "connects two clusters outside Streaming Data Manager", "disable this flow"),
        (base.replace("  replication.factor=3\n", "  us.security.protocol=SSL\n"), "`us.security.protocol` would apply in every Kubernetes cluster", "`tls:` block"),
        (base.replace("  replication.factor=3\n", "  eu->legacy.enabled=true\n"), "writes to a cluster outside Streaming Data Manager", "separate descriptor"),
    ];
    for (text, message, help) in cases {
        let o = render_text(&text);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains(message) && err.contains(help) && err.contains("d.yaml:"),
            "expected `{message}`:\n{err}"
        );
    }
}
