//! Names mm2gen makes from user text must not meet after sanitizing: two aliases that give one
//! volume or Secret name, two kube contexts that give one --output-dir subdirectory, and
//! contexts that would leave the directory are refused with both inputs and where they are.

mod common;

use common::*;

/// Two clusters outside SDM that both mount their truststore: `{a}` and `{b}` are their aliases.
fn two_sources(a: &str, b: &str) -> String {
    format!(
        "\
kafkaClusters:
  - namespace: kafka
    name: kafka
    alias: target-cluster
    internalListenerName: internal
nonSDMKafkaClusters:
  - bootstrapServerAddress: a.example.com:9092
    alias: {a}
  - bootstrapServerAddress: b.example.com:9092
    alias: {b}
mirrorMaker2Spec:
  minReplicas: 1
  maxReplicas: 1
mirrorMaker2Properties: |-
  {a}->target-cluster.enabled=true
  {b}->target-cluster.enabled=true
  {a}.ssl.truststore.location={{truststore}}
  {b}.ssl.truststore.location={{truststore}}
"
    )
}

fn render_in(dir: &std::path::Path, descriptor: &str, extra: &[&str]) -> std::process::Output {
    let path = dir.join("d.yaml");
    std::fs::write(&path, descriptor).unwrap();
    let kc = path_str(&example("kafkacluster.yaml")).to_string();
    let mut args = vec!["render", "-f", path_str(&path), "--kafka-cluster", &kc];
    args.extend(extra);
    run(&args)
}

#[test]
fn aliases_that_sanitize_to_one_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let long = "source-cluster-in-the-old-datacenter-of-the-company-eu";
    let cases = [
        (
            two_sources("Src_A", "src-a"),
            "volume name `secrets-src-a`",
            "`Src_A` (nonSDMKafkaClusters[0].alias at ",
        ),
        (
            two_sources("Src_A", "src-a"),
            "Secret name `mirrormaker2-src-a-credentials`",
            "d.yaml:8:12) and `src-a`",
        ),
        (
            two_sources(&format!("{long}-1"), &format!("{long}-2")),
            "both give the volume name `secrets-source-cluster-in-the-old-datacenter-of-the-compan`",
            "nonSDMKafkaClusters[1].alias",
        ),
    ];
    for (descriptor, message, origin) in cases {
        let o = render_in(dir.path(), &descriptor, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(o.stdout.is_empty());
        assert!(err.contains(message), "`{message}` missing:\n{err}");
        assert!(err.contains(origin), "`{origin}` missing:\n{err}");
        // Located at the second alias, with both named in the message.
        assert!(err.contains("d.yaml:10:12"), "{err}");
        assert!(err.contains("help: rename one of the aliases"), "{err}");
    }
    // Negative control: aliases that stay apart render.
    let o = render_in(dir.path(), &two_sources("Src_A", "src-b"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn generated_secrets_of_aliases_that_sanitize_to_one_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("ts.jks");
    std::fs::write(&store, "same bytes").unwrap();
    let a = format!("Src_A:truststore.jks={}", path_str(&store));
    let b = format!("src-a:truststore.jks={}", path_str(&store));
    let descriptor = two_sources("Src_A", "src-a").replace("  Src_A.ssl.truststore.location={truststore}\n  src-a.ssl.truststore.location={truststore}\n", "");
    let o = render_in(
        dir.path(),
        &descriptor,
        &["--secret-file", &a, "--secret-file", &b],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cluster aliases `Src_A`")
            && err.contains("both give the Secret name `mirrormaker2-src-a-"),
        "{err}"
    );
}

/// The two-regions fixture with its kube contexts renamed, rendered into `--output-dir`.
fn two_contexts(eu: &str, us: &str, out: &std::path::Path) -> std::process::Output {
    let dir = out.parent().unwrap();
    let text = std::fs::read_to_string(fixture("two-regions.yaml"))
        .unwrap()
        .replace("kubernetesConfigs:\n  - two-regions-kubeconfig.yaml\n", "")
        .replace(
            "kubernetesConfigContext: eu-west",
            &format!("kubernetesConfigContext: \"{eu}\""),
        )
        .replace(
            "kubernetesConfigContext: us-east",
            &format!("kubernetesConfigContext: \"{us}\""),
        );
    let d = dir.join("d.yaml");
    std::fs::write(&d, text).unwrap();
    let eu_kc = format!("{eu}={}", path_str(&fixture("kafkacluster-eu.yaml")));
    let us_kc = format!("{us}={}", path_str(&fixture("kafkacluster-us.yaml")));
    run(&[
        "render",
        "-f",
        path_str(&d),
        "--kafka-cluster",
        &eu_kc,
        "--kafka-cluster",
        &us_kc,
        "--output-dir",
        path_str(out),
    ])
}

#[test]
fn contexts_that_share_or_leave_the_output_directory_are_refused() {
    let cases = [
        ("eu/west", "eu-west", "kube contexts `eu/west` (kafkaClusters[0].kubernetesConfigContext) and `eu-west` both write into subdirectory `eu-west` of --output-dir", "d.yaml:20:30"),
        ("..", "us-east", "kube context `..` cannot name a subdirectory of --output-dir", "d.yaml:8:30"),
        (".", "us-east", "kube context `.` cannot name a subdirectory of --output-dir", "d.yaml:8:30"),
    ];
    for (eu, us, message, location) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let o = two_contexts(eu, us, &out);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(message), "`{message}` missing:\n{err}");
        assert!(err.contains(location), "`{location}` missing:\n{err}");
        assert!(err.contains("help: rename"), "{err}");
        assert!(!out.exists(), "wrote {}", out.display());
        let written: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            written,
            ["d.yaml"],
            "nothing but the descriptor in the parent"
        );
    }
    // Negative control: contexts that stay apart get one subdirectory each.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = two_contexts("eu/west", "us.east", &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("eu-west").is_dir() && out.join("us.east").is_dir());
}
