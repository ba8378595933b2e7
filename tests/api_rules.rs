//! Values the API server, the JVM or MirrorMaker2 refuse are refused by mm2gen, with the place
//! in the descriptor and a fix; the valid edge cases next to them still render.

mod common;

use common::*;

/// BASE with `spec` (lines starting at column 3) added to mirrorMaker2Spec, from line 12.
fn with_spec(spec: &str) -> String {
    BASE.replace("  maxReplicas: 1\n", &format!("  maxReplicas: 1\n{spec}"))
}

/// BASE with a `tls:` block on the source cluster, from line 9.
fn with_tls(tls: &str) -> String {
    BASE.replace(
        "    alias: source-cluster\n",
        &format!("    alias: source-cluster\n    tls:\n{tls}"),
    )
}

fn kafkacluster() -> String {
    path_str(&example("kafkacluster.yaml")).to_string()
}

fn render(descriptor: &str, extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.yaml");
    std::fs::write(&path, descriptor).unwrap();
    let kc = kafkacluster();
    let mut args = vec!["render", "-f", path_str(&path), "--kafka-cluster", &kc];
    args.extend(extra);
    run(&args)
}

/// Fails with exit 1, nothing on stdout, and stderr holding every one of `expected`.
fn refused(name: &str, descriptor: &str, extra: &[&str], expected: &[&str]) -> Option<String> {
    let o = render(descriptor, extra);
    let err = stderr(&o);
    let mut problems = Vec::new();
    if o.status.code() != Some(1) {
        problems.push(format!("exit code {:?}, not 1", o.status.code()));
    }
    if !o.stdout.is_empty() {
        problems.push("wrote to stdout".into());
    }
    if err.contains("panicked") {
        problems.push("panicked".into());
    }
    for e in expected {
        if !err.contains(e) {
            problems.push(format!("`{e}` missing"));
        }
    }
    (!problems.is_empty()).then(|| {
        format!(
            "case {name}: {}\n--- stderr ---\n{err}",
            problems.join(", ")
        )
    })
}

#[test]
fn values_the_api_server_refuses_are_located_errors() {
    let cases: Vec<(&str, String, Vec<&str>, Vec<&str>)> = vec![
        (
            "cpu_lots",
            with_spec("  resources:\n    limits:\n      cpu: lots\n"),
            vec![],
            vec!["`mirrorMaker2Spec.resources.limits.cpu`: `lots` is not a Kubernetes quantity", "d.yaml:14:12", "help: write a Kubernetes quantity such as `500m`"],
        ),
        (
            "memory_two_dots",
            with_spec("  resources:\n    requests:\n      memory: 1.5.5\n"),
            vec![],
            vec!["`1.5.5` is not a Kubernetes quantity: it has the unknown suffix `.5`", "mirrorMaker2Spec.resources.requests.memory", "d.yaml:14:15"],
        ),
        (
            "memory_negative",
            with_spec("  resources:\n    requests:\n      memory: -1Gi\n"),
            vec![],
            vec!["`-1Gi` is negative", "mirrorMaker2Spec.resources.requests.memory", "help: a resource amount must be zero or more"],
        ),
        (
            "request_above_limit",
            with_spec("  resources:\n    requests:\n      memory: 2Gi\n    limits:\n      memory: 1Gi\n"),
            vec![],
            vec!["the request `2Gi` of `memory` is above its limit `1Gi`", "mirrorMaker2Spec.resources.requests.memory", "d.yaml:14:15", "help: lower the request"],
        ),
        (
            "toleration_exists_with_value",
            with_spec("  tolerations:\n    - key: dedicated\n      operator: Exists\n      value: kafka\n"),
            vec![],
            vec!["`mirrorMaker2Spec.tolerations[0].value`: a toleration with `operator: Exists` may not have a `value`", "d.yaml:15:14", "help: remove `value`"],
        ),
        (
            "toleration_unknown_operator",
            with_spec("  tolerations:\n    - key: dedicated\n      operator: Is\n"),
            vec![],
            vec!["toleration operator `Is` is not supported", "mirrorMaker2Spec.tolerations[0].operator", "d.yaml:14:17", "help: use `Equal` or `Exists`"],
        ),
        (
            "toleration_seconds_without_no_execute",
            with_spec("  tolerations:\n    - key: dedicated\n      operator: Exists\n      effect: NoSchedule\n      tolerationSeconds: 30\n"),
            vec![],
            vec!["`tolerationSeconds` needs `effect: NoExecute`", "mirrorMaker2Spec.tolerations[0].effect", "d.yaml:15:15", "help: set `effect: NoExecute`"],
        ),
        (
            "toleration_bad_key",
            with_spec("  tolerations:\n    - key: bad key\n      operator: Exists\n"),
            vec![],
            vec!["toleration key `bad key`", "mirrorMaker2Spec.tolerations[0].key"],
        ),
        (
            "node_selector_bad_key",
            with_spec("  nodeSelector:\n    example.com/a/b: x\n"),
            vec![],
            vec!["label key `example.com/a/b` may hold at most one `/`", "mirrorMaker2Spec.nodeSelector.example.com/a/b", "d.yaml:13:5"],
        ),
        (
            "node_selector_bad_value",
            with_spec("  nodeSelector:\n    disk: \"fast ssd\"\n"),
            vec![],
            vec!["label value `fast ssd`", "mirrorMaker2Spec.nodeSelector.disk"],
        ),
        (
            "affinity_bad_label_key",
            with_spec("  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n          - matchExpressions:\n              - key: -zone\n                operator: In\n                values: [a]\n"),
            vec![],
            vec!["label key `-zone`", "mirrorMaker2Spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key", "d.yaml:17:22"],
        ),
        (
            "tls_secret_name_uppercase",
            with_tls("      secretName: Source_TLS\n"),
            vec![],
            vec!["Secret name `Source_TLS` in `nonSDMKafkaClusters[0].tls.secretName` must be a lowercase RFC 1123 subdomain", "d.yaml:10:19", "help: name the Secret as it is in the cluster"],
        ),
        (
            "secret_key_escapes_the_mount",
            with_tls("      secretName: source-tls\n      truststoreKey: ../../etc/passwd\n"),
            vec![],
            vec!["Secret key `../../etc/passwd` in `nonSDMKafkaClusters[0].tls.truststoreKey` may hold only letters", "d.yaml:11:22", "it becomes a file name in the mounted Secret"],
        ),
        (
            "secret_key_too_long",
            with_tls(&format!("      truststoreKey: {}\n", "k".repeat(300))),
            vec![],
            vec!["is longer than 253 characters", "nonSDMKafkaClusters[0].tls.truststoreKey"],
        ),
        (
            "image_with_a_space",
            BASE.to_string(),
            vec!["--image", "apache/kafka:3.9.0 --privileged"],
            vec!["image `apache/kafka:3.9.0 --privileged` holds ` `", "--image", "help: give an image reference"],
        ),
        (
            "image_with_a_line_break",
            with_spec("  image: \"apache/kafka:3.9.0\\nx\"\n"),
            vec![],
            vec!["image `apache/kafka:3.9.0\\nx` holds `\\n`", "d.yaml:12:10"],
        ),
        (
            "service_name_starts_with_a_digit",
            BASE.replace("maxReplicas: 1", "maxReplicas: 3"),
            vec!["--name", "2mm2"],
            vec!["name `2mm2` cannot name the Service that several replicas need: it must be a DNS-1035 label", "--name", "help: start the name with a letter"],
        ),
        (
            "heap_initial_above_max",
            with_spec("  kafkaHeapOpts: -Xms4G -Xmx1G\n"),
            vec![],
            vec!["kafkaHeapOpts sets an initial heap (`-Xms4G`) above the maximum (`-Xmx1G`)", "d.yaml:12:18", "help: make -Xms at most -Xmx"],
        ),
        (
            "heap_max_zero",
            with_spec("  kafkaHeapOpts: -Xmx0\n"),
            vec![],
            vec!["`-Xmx0` in kafkaHeapOpts sets a maximum heap of zero", "d.yaml:12:18", "help: give a size"],
        ),
        (
            "heap_unreadable",
            with_spec("  kafkaHeapOpts: -Xmx2GB\n"),
            vec![],
            vec!["`-Xmx2GB` in kafkaHeapOpts is not a heap size the JVM reads", "d.yaml:12:18"],
        ),
        (
            "topics_exclude_invalid_regex",
            format!("{BASE}  source-cluster->target-cluster.topics.exclude=orders.(\n"),
            vec![],
            vec!["`source-cluster->target-cluster.topics.exclude` is not a valid regular expression", "d.yaml:14:49", "help: fix the pattern"],
        ),
        (
            "groups_invalid_regex",
            format!("{BASE}  groups=[abc\n"),
            vec![],
            vec!["`groups` is not a valid regular expression", "d.yaml:14:10"],
        ),
        (
            "configmap_over_one_mib",
            format!("{BASE}  topics={}\n", "t".repeat(1_100_000)),
            vec![],
            vec!["the ConfigMap for mm2.properties would hold", "the API server refuses more than 1048576 (1 MiB)", "mirrorMaker2Properties", "help: shorten mirrorMaker2Properties"],
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, d, extra, expected)| refused(name, d, extra, expected))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn kafkacluster_ports_and_domains_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(example("kafkacluster.yaml")).unwrap();
    let cases = [
        (
            "port",
            base.replacen("containerPort: 29092", "containerPort: 70000", 1),
            "has containerPort 70000, outside 1-65535",
        ),
        (
            "domain",
            base.replacen(
                "spec:\n",
                "spec:\n  kubernetesClusterDomain: \"bad domain\"\n",
                1,
            ),
            "(from its name and `kubernetesClusterDomain`) must be a lowercase RFC 1123 subdomain",
        ),
    ];
    for (name, kc, message) in cases {
        assert_ne!(kc, base, "case {name} changed nothing");
        let kc_path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&kc_path, kc).unwrap();
        let d = dir.path().join("d.yaml");
        std::fs::write(&d, BASE).unwrap();
        let o = run(&[
            "render",
            "-f",
            path_str(&d),
            "--kafka-cluster",
            path_str(&kc_path),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "case {name}: {err}");
        assert!(o.stdout.is_empty(), "case {name}");
        assert!(err.contains(message), "case {name}: {err}");
        assert!(err.contains("d.yaml:5:27"), "case {name}: {err}");
        assert!(
            err.contains("help: correct the KafkaCluster resource"),
            "case {name}: {err}"
        );
    }
}

#[test]
fn generated_secret_over_one_mib_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("big.jks");
    std::fs::write(&store, vec![7u8; 1024 * 1024 + 1]).unwrap();
    let arg = format!("source-cluster:truststore.jks={}", path_str(&store));
    let o = render(BASE, &["--secret-file", &arg]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(o.stdout.is_empty());
    assert!(err.contains("the Secret for the --secret-file files of `source-cluster` would hold 1048577 bytes; the API server refuses more than 1048576 (1 MiB)"), "{err}");
    assert!(err.contains("--secret-file"), "{err}");
    assert!(err.contains("help: keep only the stores"), "{err}");
    // One byte less is accepted: the limit is the API server's, not a rounder number.
    std::fs::write(&store, vec![7u8; 1024 * 1024]).unwrap();
    let o = render(BASE, &["--secret-file", &arg]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Negative controls: the valid edge cases next to each rule still render.
#[test]
fn valid_edge_cases_still_render() {
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("quantities", with_spec("  resources:\n    requests:\n      cpu: 500m\n      memory: 1Gi\n    limits:\n      cpu: 1e3\n      memory: 1Gi\n"), vec![]),
        ("fraction_and_number", with_spec("  resources:\n    requests:\n      cpu: 0.5\n    limits:\n      cpu: 1\n"), vec![]),
        ("tolerations", with_spec("  tolerations:\n    - operator: Exists\n    - key: example.com/dedicated\n      operator: Equal\n      value: kafka\n      effect: NoExecute\n      tolerationSeconds: 60\n"), vec![]),
        ("prefixed_label_keys", with_spec("  nodeSelector:\n    kubernetes.io/os: linux\n    node.example.com/Disk_Type: ssd\n    empty: \"\"\n"), vec![]),
        ("pod_anti_affinity", with_spec("  affinity:\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - weight: 100\n          podAffinityTerm:\n            topologyKey: kubernetes.io/hostname\n            labelSelector:\n              matchLabels:\n                app.kubernetes.io/name: mirrormaker2\n"), vec![]),
        ("tls_names_and_keys", with_tls("      secretName: source.tls-1\n      truststoreKey: ca_bundle.p12\n"), vec![]),
        ("heap_equal_sizes", with_spec("  kafkaHeapOpts: -Xms2g -Xmx2048m\n"), vec![]),
        ("java_only_regex", format!("{BASE}  source-cluster->target-cluster.topics=(?!internal).*, orders\\\\..*\n"), vec![]),
        ("digit_name_single_replica", BASE.to_string(), vec!["--name", "2mm2"]),
        ("image_digest", BASE.to_string(), vec!["--image", "registry.example.com:5000/apache/kafka:3.9.0@sha256:0123456789abcdef"]),
    ];
    for (name, d, extra) in cases {
        let o = render(&d, &extra);
        assert_eq!(o.status.code(), Some(0), "case {name}: {}", stderr(&o));
    }
}
