//! Bad input: every case checks the message, where it points and the exit code, as a user
//! running the binary sees them.

mod common;

use common::*;

/// BASE with one more properties line (line 14 of the file, key at column 3).
fn with_property(line: &str) -> String {
    format!("{BASE}  {line}\n")
}

struct Case {
    name: &'static str,
    descriptor: String,
    args: Vec<String>,
    message: &'static str,
    /// `line:col` in d.yaml, or any other text that says where (a YAML path, a flag).
    location: &'static str,
    help: &'static str,
}

fn case(
    name: &'static str,
    descriptor: impl Into<String>,
    message: &'static str,
    location: &'static str,
    help: &'static str,
) -> Case {
    Case {
        name,
        descriptor: descriptor.into(),
        args: Vec::new(),
        message,
        location,
        help,
    }
}

fn kafkacluster_arg() -> Vec<String> {
    vec![
        "--kafka-cluster".into(),
        path_str(&example("kafkacluster.yaml")).into(),
    ]
}

fn cases() -> Vec<Case> {
    let mut cases = vec![
        case("unknown_top_level_field", "kafkaCluster:\n  - name: kafka\n", "unknown field `kafkaCluster` in the descriptor", "d.yaml:1:1", "did you mean `kafkaClusters`?"),
        case("unknown_cluster_field", BASE.replace("    alias: target-cluster", "    aliass: target-cluster"), "unknown field `aliass` in `kafkaClusters[0]`", "d.yaml:4:5", "did you mean `alias`?"),
        case("replicas_not_a_number", BASE.replace("minReplicas: 1", "minReplicas: one"), "`mirrorMaker2Spec.minReplicas` must be a whole number, found a string", "d.yaml:10:16", "write a number"),
        case("min_greater_than_max", BASE.replace("minReplicas: 1", "minReplicas: 3").replace("maxReplicas: 1", "maxReplicas: 2"), "minReplicas (3) is greater than maxReplicas (2)", "d.yaml:11:16", "set maxReplicas to at least minReplicas"),
        case("unknown_source_alias_in_flow", BASE.replace("  source-cluster->", "  source-clustr->"), "unknown cluster alias `source-clustr` as the source of flow", "d.yaml:13:3", "did you mean `source-cluster`?"),
        case("unknown_target_alias_in_flow", BASE.replace("->target-cluster", "->target-clustr"), "unknown cluster alias `target-clustr` as the target of flow", "d.yaml:13:19", "did you mean `target-cluster`?"),
        case("clusters_redefined", with_property("clusters=a, b"), "`clusters` is maintained by mm2gen", "d.yaml:14:3", "remove this line"),
        case("bootstrap_redefined", with_property("target-cluster.bootstrap.servers=x:1"), "`target-cluster.bootstrap.servers` is maintained by mm2gen", "d.yaml:14:3", "--bootstrap-servers"),
        case("placeholder_left", with_property("tasks.max={tasks}"), "`tasks.max` still holds the guide's placeholder `{tasks}`", "d.yaml:14:13", "replace it with a real value"),
        case("literal_password", with_property("source-cluster.ssl.truststore.password=changeit"), "`source-cluster.ssl.truststore.password` holds a literal secret", "d.yaml:14:42", "truststore.password"),
        case("location_outside_mount", with_property("source-cluster.ssl.truststore.location=/etc/ssl/ts.jks"), "points at `/etc/ssl/ts.jks`, a path that does not exist in the MirrorMaker2 pod", "d.yaml:14:42", "/etc/mirrormaker2/secrets/source-cluster"),
        case("secret_without_alias", with_property("ssl.truststore.password={pw}"), "`ssl.truststore.password` applies to every cluster", "d.yaml:14:3", "prefix it with the alias"),
        case("inline_key_material", with_property("source-cluster.ssl.keystore.key=-----BEGIN PRIVATE KEY-----"), "holds key material inline", "d.yaml:14:35", "ssl.keystore.type=PEM"),
        case("duplicate_alias", BASE.replace("alias: source-cluster", "alias: target-cluster"), "cluster alias `target-cluster` is declared twice", "d.yaml:4:12", "needs its own alias"),
        case(
            "illegal_default_alias",
            BASE.replace("    alias: target-cluster\n", "    kubernetesConfigContext: kubernetes-admin@target\n").replace("->target-cluster", "->kubernetes-admin@target_kafka_kafka"),
            "cluster alias `kubernetes-admin@target_kafka_kafka` contains `@`",
            "d.yaml:2:5",
            "set `alias:` explicitly",
        ),
        case("no_alias_no_context", BASE.replace("    alias: target-cluster\n", ""), "kafkaClusters[0] has no alias and no kube context to derive one from", "d.yaml:2:5", "set `alias:`"),
        case("missing_bootstrap_address", BASE.replace("  - bootstrapServerAddress: source.example.com:9092\n    alias", "  - alias"), "`nonSDMKafkaClusters[0]` has no `bootstrapServerAddress`", "d.yaml:7:5", "bootstrapServerAddress: kafka-1.example.com:9092"),
        case(
            "bootstrap_address_with_a_line_break",
            BASE.replace("source.example.com:9092", "\"source.example.com:9092\\nclusters=evil\""),
            "bootstrapServerAddress `source.example.com:9092\\nclusters=evil`",
            "d.yaml:7:29",
            "host:port pairs",
        ),
        case("listener_missing", BASE.replace("internalListenerName: internal", "internalListenerName: internl"), "KafkaCluster kafka/kafka has no listener named `internl`", "d.yaml:5:27", "did you mean `internal`?"),
        case("invalid_yaml", "kafkaClusters:\n  - name: a\n   bad: [\n", "d.yaml is not valid YAML or JSON", "d.yaml:3:", "check the indentation"),
        case("two_documents", format!("{BASE}---\n{BASE}"), "holds 2 YAML documents", "d.yaml:15:1", "remove the `---` separators"),
        case("krm_wrong_api_version", "apiVersion: mm2gen.io/v1\nkind: MirrorMaker2Migration\nmetadata:\n  name: x\nspec: {}\n", "unsupported apiVersion `mm2gen.io/v1`", "d.yaml:1:13", "use `apiVersion: mm2gen.io/v1alpha1`"),
        case("affinity_typo", BASE.replace("  maxReplicas: 1\n", "  maxReplicas: 1\n  affinity:\n    nodeAfinity: {}\n"), "`nodeAfinity` is not a field of this Kubernetes type", "d.yaml:13:5", "check the spelling of `nodeAfinity`"),
        case("resources_wrong_type", BASE.replace("  maxReplicas: 1\n", "  maxReplicas: 1\n  resources:\n    limits:\n      memory: [1Gi]\n"), "at `limits.memory`", "d.yaml:13:5", "Kubernetes API reference"),
        case("duplicate_key", format!("{BASE}mirrorMaker2Spec: {{}}\n"), "duplicate key `mirrorMaker2Spec` (first defined on line 9)", "d.yaml:14:1", "remove one of the two"),
        case("yaml_alias", BASE.replace("maxReplicas: 1", "maxReplicas: *one").replace("minReplicas: 1", "minReplicas: &one 1"), "YAML aliases (`*name`) are not supported", "d.yaml:11:16", "write the value out in full"),
        case("non_ascii_value", with_property("topics=café"), "non-ASCII character", "d.yaml:14:3", "\\uXXXX"),
        case("bad_properties_escape", with_property("topics=\\uZZZZ"), "cannot be read as Java properties", "d.yaml:14:3", "escapes are"),
        case("empty_file", "", "d.yaml is empty", "d.yaml is empty", "pass the MirrorMaker2 migration descriptor"),
        case("metrics_unknown_switch", BASE.replace("  maxReplicas: 1\n", "  maxReplicas: 1\n  metrics:\n    podMonitr: true\n"), "unknown field `podMonitr` in `mirrorMaker2Spec.metrics`", "d.yaml:13:5", "did you mean `podMonitor`?"),
        case("metrics_port_privileged", BASE.replace("  maxReplicas: 1\n", "  maxReplicas: 1\n  metrics:\n    port: 80\n"), "metrics port 80 is not a port MirrorMaker2 can listen on", "d.yaml:13:11", "pick a port from 1024 to 65535"),
        case("alert_threshold_zero", BASE.replace("  maxReplicas: 1\n", "  maxReplicas: 1\n  metrics:\n    alerts:\n      recordAgeSeconds: 0\n"), "`mirrorMaker2Spec.metrics.alerts.recordAgeSeconds` must be greater than 0, found 0", "d.yaml:14:25", "a whole number above 0"),
        case("log_level_typo", BASE.replace("  maxReplicas: 1\n", "  maxReplicas: 1\n  logging:\n    loggers:\n      org.apache.kafka.connect.mirror: DEBG\n"), "`DEBG` is not a log4j2 level", "d.yaml:14:40", "did you mean `DEBUG`?"),
        case("root_log_level_unknown", BASE.replace("  maxReplicas: 1\n", "  maxReplicas: 1\n  logging:\n    level: LOUD\n"), "`LOUD` is not a log4j2 level", "d.yaml:13:12", "log4j2's levels are: OFF, FATAL"),
        case("istio_incomplete", BASE.replace("  maxReplicas: 1\n", "  maxReplicas: 1\n  istioControlPlane:\n    name: sdm-icp\n"), "istioControlPlane needs both `name` and `namespace`", "d.yaml:13:5", "give the IstioControlPlane"),
        case("list_where_string_expected", BASE.replace("alias: source-cluster", "alias: [source-cluster]"), "`nonSDMKafkaClusters[0].alias` must be a string, found a list", "d.yaml:8:12", "single value"),
        case("descriptor_is_a_list", "- a\n- b\n", "a descriptor must be a mapping, found a list", "d.yaml:1:1", "examples/descriptor.yaml"),
        case("no_kafka_clusters", "nonSDMKafkaClusters:\n  - alias: a\n    bootstrapServerAddress: a:1\n", "the descriptor lists no kafkaClusters", "kafkaClusters", "list it under `kafkaClusters`"),
        case(
            "kubeconfig_missing",
            format!("kubernetesConfigs:\n  - nope-kubeconfig.yaml\n{}", BASE.replace("    alias: target-cluster\n", "")),
            "cannot read the kubeconfig",
            "d.yaml:2:5",
            "kubernetesConfigs",
        ),
    ];
    for c in &mut cases {
        if c.args.is_empty() {
            c.args = kafkacluster_arg();
        }
    }
    let mut missing_cr = case(
        "kafkacluster_missing",
        BASE,
        "cannot find the bootstrap address of `target-cluster`: no KafkaCluster resource was given",
        "d.yaml:2:5",
        "--kafka-cluster FILE",
    );
    missing_cr.args = vec![];
    cases.push(missing_cr);
    let mut bad_name = case(
        "invalid_name_flag",
        BASE,
        "name `My_MM2` may hold only lower-case letters",
        "--name",
        "lower-case letters, digits and `-`",
    );
    bad_name.args = [kafkacluster_arg(), vec!["--name".into(), "My_MM2".into()]].concat();
    cases.push(bad_name);
    let mut bad_override = case(
        "bootstrap_override_unknown_alias",
        BASE,
        "--bootstrap-servers names unknown alias `target-clustr`",
        "--bootstrap-servers",
        "did you mean `target-cluster`?",
    );
    bad_override.args = [
        kafkacluster_arg(),
        vec!["--bootstrap-servers".into(), "target-clustr=a:1".into()],
    ]
    .concat();
    cases.push(bad_override);
    let mut bad_secret_file = case(
        "secret_file_unknown_alias",
        BASE,
        "--secret-file names unknown alias `nobody`",
        "--secret-file",
        "use ALIAS=FILE",
    );
    bad_secret_file.args = [
        kafkacluster_arg(),
        vec![
            "--secret-file".into(),
            format!("nobody={}", path_str(&fixture("stores/key.password"))),
        ],
    ]
    .concat();
    cases.push(bad_secret_file);
    cases
}

#[test]
fn every_bad_input_fails_with_message_location_and_help() {
    let cases = cases();
    assert!(cases.len() >= 20);
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for c in &cases {
        let path = dir.path().join("d.yaml");
        std::fs::write(&path, &c.descriptor).unwrap();
        let mut args: Vec<&str> = vec!["render", "-f", path_str(&path)];
        args.extend(c.args.iter().map(String::as_str));
        let o = run(&args);
        let err = stderr(&o);
        let problems: Vec<String> = [
            (o.status.code() != Some(1)).then(|| format!("exit code {:?}, not 1", o.status.code())),
            (!o.stdout.is_empty()).then(|| "wrote to stdout".to_string()),
            (!err.contains(c.message)).then(|| format!("message `{}` missing", c.message)),
            location_problem(c.location, &err),
            (!err.contains(c.help)).then(|| format!("help `{}` missing", c.help)),
            err.contains("panicked").then(|| "panicked".to_string()),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !problems.is_empty() {
            failures.push(format!(
                "case {}: {}\n--- stderr ---\n{err}",
                c.name,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Where the first diagnostic points, compared as numbers when `expected` is `file:line:col`;
/// any other location (a YAML path, a flag, a partial position) must appear in the text.
fn location_problem(expected: &str, err: &str) -> Option<String> {
    let Some((file, line, column)) = parse_location(expected) else {
        return (!err.contains(expected)).then(|| format!("location `{expected}` missing"));
    };
    match pointed_locations(err).first() {
        Some((f, l, c)) if f.ends_with(&format!("/{file}")) && (*l, *c) == (line, column) => None,
        Some((f, l, c)) => Some(format!("points at {f}:{l}:{c}, not {expected}")),
        None => Some(format!("no `--> {expected}` location")),
    }
}

#[test]
fn locations_are_compared_as_numbers() {
    let err = "error: x\n  --> /tmp/a/d.yaml:14:30\n   |\n";
    assert_eq!(
        pointed_locations(err),
        vec![("/tmp/a/d.yaml".to_string(), 14, 30)]
    );
    assert_eq!(location_problem("d.yaml:14:30", err), None);
    // A text match would accept these; the numbers do not.
    assert!(location_problem("d.yaml:14:3", err).is_some());
    assert!(location_problem("d.yaml:1:30", err).is_some());
    assert!(location_problem("a.yaml:14:30", "  --> /tmp/ba.yaml:14:30\n").is_some());
    assert_eq!(location_problem("--name", "error: bad --name"), None);
}

#[test]
fn errors_are_reported_together() {
    let text = BASE
        .replace("minReplicas: 1", "minReplicas: one")
        .replace("alias: source-cluster", "aliass: source-cluster");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.yaml");
    std::fs::write(&path, text).unwrap();
    let o = run(&["render", "-f", path_str(&path)]);
    let err = stderr(&o);
    assert!(
        err.contains("unknown field `aliass`") && err.contains("must be a whole number"),
        "{err}"
    );
}

#[test]
fn missing_descriptor_file_is_a_clear_error() {
    let o = run(&["render", "-f", "/nonexistent/descriptor.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("cannot read the descriptor /nonexistent/descriptor.yaml")
            && err.contains("help: check the path given in -f"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&["render"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--filename <FILE>"));
    let o = run(&["render", "-f", "x", "--bootstrap-servers", "nothing"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected ALIAS=HOST:PORT"));
}

#[test]
fn help_and_version_work() {
    let o = run(&["--help"]);
    assert!(o.status.success() && stdout(&o).contains("Examples:"));
    let o = run(&["--version"]);
    assert_eq!(
        stdout(&o).trim(),
        format!("mm2gen {}", env!("CARGO_PKG_VERSION"))
    );
}
