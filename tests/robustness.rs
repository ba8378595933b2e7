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

fn assert_fails_fast(text: &str, message: &str) {
    let start = Instant::now();
    let err = render(text).expect_err("hostile input must be refused");
    assert!(err.contains(message), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn alias_bombs_deep_nesting_and_huge_files_fail_fast() {
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
    assert_fails_fast(&bomb, "YAML aliases (`*name`) are not supported");
    assert_fails_fast(
        &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        "recursion limit exceeded",
    );
    assert_fails_fast(
        &format!("{}{}", "[".repeat(100), "]".repeat(100)),
        "nests deeper than 64 levels",
    );
    let huge = format!("mirrorMaker2Properties: |\n{}", "  k=v\n".repeat(4_000_000));
    assert_fails_fast(&huge, "mm2gen reads inputs of at most");
}

/// `lines` lines of a client setting under the source alias, after the flow.
fn client_setting_lines(lines: usize) -> String {
    let mut props = vec!["source-cluster->target-cluster.enabled=true".to_string()];
    props.extend((0..lines).map(|i| format!("source-cluster.consumer.client.rack=rack-{i}")));
    descriptor_text("source-cluster", "src.example.com:9092", &props.join("\n"))
}

#[test]
fn a_hundred_thousand_properties_lines_are_judged_in_bounded_time() {
    let text = client_setting_lines(100_000);
    let start = Instant::now();
    // Every line goes through the whole model; the 4.6 MB of mm2.properties are more than the
    // API server takes in one ConfigMap.
    let err = render(&text).unwrap_err();
    assert!(
        err.contains("the API server refuses more than 1048576 (1 MiB)"),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn properties_up_to_the_configmap_limit_render_in_bounded_time() {
    let text = client_setting_lines(22_000);
    let start = Instant::now();
    let yaml = render(&text).unwrap();
    let properties = properties_of(&yaml);
    assert!(properties.lines().count() > 22_000);
    assert!(properties.len() > 1_000_000, "{} bytes", properties.len());
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
}
