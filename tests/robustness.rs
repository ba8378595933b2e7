//! Property tests and hostile input: render never panics, is deterministic, keeps the user's
//! properties verbatim, and no descriptor value can add a line to mm2.properties or a field to
//! a manifest. Resource-exhaustion inputs fail fast with a clear error.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mm2gen::{descriptor, Inputs};
use proptest::prelude::*;

fn inputs() -> Inputs {
    Inputs {
        bootstrap_overrides: vec![(
            "target-cluster".into(),
            "kafka-all-broker.kafka.svc.cluster.local:29092".into(),
        )],
        ..Inputs::default()
    }
}

fn descriptor_text(alias: &str, address: &str, properties: &str) -> String {
    let block: String = properties.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "kafkaClusters:\n  - alias: target-cluster\n    internalListenerName: internal\nnonSDMKafkaClusters:\n  - alias: {}\n    bootstrapServerAddress: {}\nmirrorMaker2Properties: |\n{block}",
        serde_json::to_string(alias).unwrap(),
        serde_json::to_string(address).unwrap(),
    )
}

fn render(text: &str) -> Result<String, String> {
    let d = descriptor::load("d.yaml", text, PathBuf::from(".")).map_err(|e| e.to_string())?;
    mm2gen::render(&d, &inputs())
        .map(|r| r.into_manifests().to_yaml())
        .map_err(|e| e.to_string())
}

fn properties_of(yaml: &str) -> String {
    let cm = serde_yaml_ng::Deserializer::from_str(yaml)
        .map(|d| <serde_json::Value as serde::Deserialize>::deserialize(d).unwrap())
        .find(|o| o["kind"] == "ConfigMap")
        .unwrap();
    cm["data"]["mm2.properties"].as_str().unwrap().to_string()
}

/// A plausible user properties line: comments, key=value with the separators Java accepts.
fn property_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "# [ -~]{0,30}",
        (
            "[a-z][a-z.]{0,20}",
            "[ -~]{0,20}",
            prop_oneof![Just("="), Just(" = "), Just(": "), Just(" ")]
        )
            .prop_map(|(k, v, sep)| format!(
                "{k}{sep}{}",
                v.trim_start_matches(['{', ' ']).replace('\\', "")
            )),
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn user_properties_come_out_verbatim_and_render_is_deterministic(lines in prop::collection::vec(property_line(), 0..20)) {
        let mut props = vec!["source-cluster->target-cluster.enabled=true".to_string()];
        props.extend(lines.into_iter().filter(|l| !l.starts_with("clusters") && !l.contains("bootstrap.servers") && !l.starts_with("config.providers")));
        let text = descriptor_text("source-cluster", "src.example.com:9092", &props.join("\n"));
        match render(&text) {
            Ok(first) => {
                prop_assert_eq!(&first, &render(&text).unwrap());
                let composed = properties_of(&first);
                let user = composed.split_once("# user provided mm2 settings\n").unwrap().1;
                let expected = props.join("\n");
                prop_assert_eq!(user.trim_end_matches('\n'), expected.trim_end_matches('\n'));
            }
            // A generated line can be a mistake render refuses (a placeholder, a secret); never a panic.
            Err(e) => prop_assert!(e.contains("error:"), "{}", e),
        }
    }

    #[test]
    fn no_alias_or_address_can_inject_a_line_or_a_field(alias in "[ -~\\n\\t]{1,24}", address in "[ -~\\n]{1,40}") {
        let text = descriptor_text(&alias, &address, "");
        if let Ok(yaml) = render(&text) {
            // Accepted values are plain: the alias is a topic-name part, the address host:port pairs.
            prop_assert!(alias.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')), "accepted alias {:?}", alias);
            let props = properties_of(&yaml);
            let maintained: Vec<&str> = props.lines().take_while(|l| *l != "# user provided mm2 settings").collect();
            prop_assert_eq!(maintained.len(), 4, "{}", props);
            let objects = serde_yaml_ng::Deserializer::from_str(&yaml).count();
            prop_assert_eq!(objects, 4);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\\n]{0,400}") {
        let _ = render(&text);
    }
}

/// Strings made of what trips YAML emitters: indicators, quotes, comment and mapping marks,
/// leading/trailing spaces, tabs, line breaks, and words YAML 1.1 or 1.2 reads as non-strings.
fn tricky_string() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "Z",
        "0",
        "1.5",
        "-",
        "? ",
        ": ",
        ":",
        "#",
        " #",
        "'",
        "\"",
        "\\",
        "|",
        ">",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&",
        "*",
        "!",
        "%",
        "@",
        "`",
        " ",
        "  ",
        "\t",
        "\n",
        "\n\n",
        "\r",
        "---",
        "...",
        "true",
        "yes",
        "No",
        "on",
        "~",
        "null",
        "0x1F",
        "0o17",
        "1e3",
        ".inf",
        "1:20",
        "2001-12-14",
        "é",
        "\u{2028}",
        "\u{feff}",
        "\u{7f}",
    ]);
    prop::collection::vec(pieces, 0..8).prop_map(|p| p.concat())
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        tricky_string().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec((tricky_string(), inner), 0..6)
                .prop_map(|entries| serde_json::Value::Object(entries.into_iter().collect())),
        ]
    })
}

#[test]
fn multi_line_strings_read_back_whatever_their_first_line() {
    for text in [
        "\t\n",
        "\tx\ny",
        "\n\tx",
        "\n  x\ny",
        "  x\ny",
        "\n",
        "\n\n",
        " \n",
        "x\n",
        "x\n\n\n",
        "x\n\ty",
        "x\n \ny",
        "x\n\n  y\n",
        "# header\n  indented=1\n\tkey=tab\n",
        "x \ny\t\n",
    ] {
        let value = serde_json::json!({"data": {"mm2.properties": text}, "list": [text, [text]]});
        let yaml = mm2gen::output::yaml_text(&value);
        let back: serde_json::Value = serde_yaml_ng::from_str(&yaml)
            .unwrap_or_else(|e| panic!("{text:?} written as\n{yaml}\ndoes not parse: {e}"));
        assert_eq!(back, value, "{text:?} written as\n{yaml}");
    }
    // YAML allows implicit keys up to 1,024 characters; a longer key needs the explicit `? ` form.
    let long = "k".repeat(1100);
    let value = serde_json::json!({ long.clone(): "v", "m": { long: [1] } });
    let yaml = mm2gen::output::yaml_text(&value);
    let back: serde_json::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    assert_eq!(back, value);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// The YAML mm2gen writes reads back as the same value in an independent parser (libyaml,
    /// through serde_yaml_ng), whatever the strings hold.
    #[test]
    fn written_yaml_reads_back_as_the_same_value(value in json_value()) {
        let text = mm2gen::output::yaml_text(&value);
        let back: serde_json::Value = serde_yaml_ng::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &value, "{}", text);
    }
}

/// How long a render may run before a test calls it a hang. Not a speed target (bench/ measures
/// speed): it only turns an endless loop or a runaway expansion into a failure on a loaded
/// machine instead of a CI run that never ends.
const HANG_GUARD: Duration = Duration::from_secs(300);

fn assert_refused(text: &str, message: &str) {
    let start = Instant::now();
    let err = render(text).expect_err("hostile input must be refused");
    assert!(err.contains(message), "{err}");
    assert!(start.elapsed() < HANG_GUARD, "took {:?}", start.elapsed());
}

#[test]
fn alias_bombs_deep_nesting_and_huge_files_are_refused() {
    let mut bomb = String::from("a: &a [x, x]\n");
    for i in 1..30 {
        bomb.push_str(&format!(
            "b{i}: &b{i} [*{}, *{}]\n",
            if i == 1 {
                "a".to_string()
            } else {
                format!("b{}", i - 1)
            },
            if i == 1 {
                "a".to_string()
            } else {
                format!("b{}", i - 1)
            }
        ));
    }
    assert_refused(&bomb, "YAML aliases (`*name`) are not supported");
    assert_refused(
        &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        "recursion limit exceeded",
    );
    assert_refused(
        &format!("{}{}", "[".repeat(100), "]".repeat(100)),
        "nests deeper than 64 levels",
    );
    let huge = format!("mirrorMaker2Properties: |\n{}", "  k=v\n".repeat(4_000_000));
    assert_refused(&huge, "mm2gen reads inputs of at most");
}

/// `lines` lines of a client setting under the source alias, after the flow.
fn client_setting_lines(lines: usize) -> String {
    let mut props = vec!["source-cluster->target-cluster.enabled=true".to_string()];
    props.extend((0..lines).map(|i| format!("source-cluster.consumer.client.rack=rack-{i}")));
    descriptor_text("source-cluster", "src.example.com:9092", &props.join("\n"))
}

#[test]
fn a_hundred_thousand_properties_lines_are_refused_as_too_large_for_a_configmap() {
    let text = client_setting_lines(100_000);
    let start = Instant::now();
    // Every line goes through the whole model; the 4.6 MB of mm2.properties are more than the
    // API server takes in one ConfigMap.
    let err = render(&text).unwrap_err();
    assert!(
        err.contains("the API server refuses more than 1048576 (1 MiB)"),
        "{err}"
    );
    assert!(start.elapsed() < HANG_GUARD, "took {:?}", start.elapsed());
}

#[test]
fn properties_up_to_the_configmap_limit_render() {
    let text = client_setting_lines(22_000);
    let start = Instant::now();
    let yaml = render(&text).unwrap();
    let properties = properties_of(&yaml);
    assert!(properties.lines().count() > 22_000);
    assert!(properties.len() > 1_000_000, "{} bytes", properties.len());
    assert!(start.elapsed() < HANG_GUARD, "took {:?}", start.elapsed());
}

/// Text a descriptor can carry into mm2gen's output as a user would write it in
/// mirrorMaker2Properties: Java-properties escapes that become line breaks, separators and
/// invisible characters once read, and the YAML that would follow them.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "orders",
        ".*",
        "|",
        "\\n",
        "\\r",
        "\\r\\n",
        "\\u0085",
        "\\u2028",
        "\\u2029",
        "\\ufeff",
        "\\t",
        "\\u0000",
        "\\u202e",
        "---",
        "...",
        "kind: ClusterRoleBinding",
        "apiVersion: v1",
        "name: cluster-admin",
        "# ",
        "- x",
        "{a: b}",
        "'",
        "\"",
        ": ",
        ",",
    ]);
    prop::collection::vec(pieces, 0..10).prop_map(|p| p.concat())
}

/// A descriptor with user text in the places where it reaches the output: flow topic
/// patterns (also under the identity policy, where a broad grant gets a note), the global
/// `topics`, other values, an alias, the KafkaUser name.
fn hostile_descriptor() -> impl Strategy<Value = String> {
    (
        hostile_text(),
        hostile_text(),
        hostile_text(),
        any::<bool>(),
        prop_oneof![
            6 => Just("source-cluster".to_string()),
            1 => "[ -~]{1,12}",
            1 => hostile_text(),
        ],
        prop_oneof![
            6 => Just(None),
            1 => Just(Some("mm2-user".to_string())),
            1 => "[ -~é\\n\u{2028}]{1,12}".prop_map(Some),
        ],
    )
        .prop_map(|(topics, global, value, identity, alias, user)| {
            let mut props = vec![format!("{alias}->target-cluster.enabled=true")];
            if identity {
                props.push(
                    "replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
                        .to_string(),
                );
            }
            props.push(format!("{alias}->target-cluster.topics={topics}"));
            props.push(format!("topics={global}"));
            props.push(format!("{alias}.consumer.client.rack={value}"));
            let mut text = descriptor_text(&alias, "src.example.com:9092", &props.join("\n"));
            if let Some(user) = user {
                text.push_str(&format!(
                    "mirrorMaker2Spec:\n  kafkaUser:\n    name: {}\n",
                    serde_json::to_string(&user).unwrap()
                ));
            }
            text
        })
}

/// Every kind mm2gen generates (templates/); anything else in its output was injected.
const GENERATED_KINDS: &[&str] = &[
    "ConfigMap",
    "Deployment",
    "HorizontalPodAutoscaler",
    "KafkaUser",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Secret",
    "Service",
    "ServiceAccount",
];

/// The documents of a YAML stream, read by an independent parser (libyaml).
fn parse_stream(text: &str) -> Result<Vec<serde_json::Value>, TestCaseError> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| {
            <serde_json::Value as serde::Deserialize>::deserialize(d)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))
        })
        .collect()
}

/// `text` holds exactly mm2gen's `objects`, in order, and nothing else.
fn holds_exactly(text: &str, objects: &[mm2gen::Manifest], how: &str) -> Result<(), TestCaseError> {
    let parsed = parse_stream(text)?;
    let values: Vec<&serde_json::Value> = objects.iter().map(|m| &m.value).collect();
    prop_assert_eq!(
        parsed.iter().collect::<Vec<_>>(),
        values,
        "{} output differs from the objects mm2gen generated:\n{}",
        how,
        text
    );
    for o in &parsed {
        let kind = o["kind"].as_str().unwrap_or_default();
        prop_assert!(
            GENERATED_KINDS.contains(&kind),
            "{} output holds kind {:?}",
            how,
            kind
        );
    }
    Ok(())
}

fn mm2gen_bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_mm2gen"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    /// For any descriptor, what every output path writes parses, and holds exactly the objects
    /// mm2gen generates: no value can end a comment and start an object of its own.
    #[test]
    fn any_descriptor_renders_only_the_objects_mm2gen_generates(text in hostile_descriptor()) {
        let Ok(d) = descriptor::load("d.yaml", &text, PathBuf::from(".")) else { return Ok(()) };
        let Ok(rendered) = mm2gen::render(&d, &inputs()) else { return Ok(()) };
        let objects = rendered.into_manifests().objects;

        // render (stdout)
        let manifests = mm2gen::Manifests { objects: objects.clone() };
        holds_exactly(&manifests.to_yaml(), &objects, "render")?;

        // render --output-dir: kustomization.yaml lists the files, each holds one object.
        let dir = tempfile::tempdir().unwrap();
        mm2gen::output::write_directory(dir.path(), &manifests).unwrap();
        let kustomization = std::fs::read_to_string(dir.path().join("kustomization.yaml")).unwrap();
        let k = parse_stream(&kustomization)?;
        prop_assert_eq!(k.len(), 1, "{}", kustomization);
        prop_assert_eq!(k[0]["kind"].as_str(), Some("Kustomization"), "{}", kustomization);
        let files: Vec<String> = objects.iter().map(|m| m.file_name()).collect();
        prop_assert_eq!(&k[0]["resources"], &serde_json::json!(files), "{}", kustomization);
        for m in &objects {
            let file = std::fs::read_to_string(dir.path().join(m.file_name())).unwrap();
            holds_exactly(&file, std::slice::from_ref(m), "--output-dir")?;
        }

        // expand (the Helm post-renderer and the stream adapters), next to an unrelated object.
        let spec: String = text.lines().map(|l| format!("  {l}\n")).collect();
        let stream = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\n---\napiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nmetadata:\n  name: mm2\nbootstrapServers:\n  target-cluster: kafka-all-broker.kafka.svc.cluster.local:29092\nspec:\n{spec}"
        );
        // The same descriptor renders wrapped, so a failure here is a finding too.
        let (expanded, _) = mm2gen::adapters::stream::expand_text("<stdin>", &stream, &Inputs::default(), std::path::Path::new("."))
            .map_err(|e| TestCaseError::fail(format!("expand refused what render accepted: {e}")))?;
        let parsed = parse_stream(&expanded)?;
        prop_assert_eq!(parsed.len(), objects.len() + 1, "{}", expanded);
        prop_assert_eq!(parsed[0]["metadata"]["name"].as_str(), Some("unrelated"));
        let generated: Vec<&str> = parsed[1..].iter().map(|o| o["kind"].as_str().unwrap_or_default()).collect();
        let expected: Vec<&str> = objects.iter().map(|m| m.kind.as_str()).collect();
        prop_assert_eq!(generated, expected, "{}", expanded);

        // argocd-generate, as the Config Management Plugin runs it.
        let app = tempfile::tempdir().unwrap();
        std::fs::write(app.path().join("mm2-descriptor.yaml"), &text).unwrap();
        let out = mm2gen_bin()
            .arg("argocd-generate")
            .current_dir(app.path())
            .env("ARGOCD_ENV_BOOTSTRAP_SERVERS", "target-cluster=kafka-all-broker.kafka.svc.cluster.local:29092")
            .output()
            .unwrap();
        prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        holds_exactly(&String::from_utf8(out.stdout).unwrap(), &objects, "argocd-generate")?;
    }
}

#[test]
fn a_topic_pattern_with_line_breaks_adds_no_object_through_the_grant_note() {
    let props = [
        "replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
        "source-cluster->target-cluster.enabled=true",
        r"source-cluster->target-cluster.topics=a|b\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: pwn\n#",
    ];
    let yaml = render(&descriptor_text(
        "source-cluster",
        "src:9092",
        &props.join("\n"),
    ))
    .unwrap();
    assert!(!yaml.contains("ClusterRoleBinding\n"), "{yaml}");
    let kinds: Vec<String> = serde_yaml_ng::Deserializer::from_str(&yaml)
        .map(|d| <serde_json::Value as serde::Deserialize>::deserialize(d).unwrap())
        .map(|o| o["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "ServiceAccount",
            "ConfigMap",
            "KafkaUser",
            "Deployment",
            "NetworkPolicy"
        ],
        "{yaml}"
    );
    // The broad grant is still explained, by the key that holds the pattern.
    assert!(
        yaml.contains(
            "# flow source-cluster->target-cluster replicates topics under their own names"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains("and `source-cluster->target-cluster.topics` holds a pattern"),
        "{yaml}"
    );
}
