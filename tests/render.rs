//! The rendered output as users see it: reviewed snapshots, determinism, input forms.

mod common;

use common::*;

#[test]
fn rendered_outputs_match_reviewed_snapshots() {
    for (name, args) in rendered_cases() {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let yaml = render_ok(&args);
        insta::assert_snapshot!(name, yaml);
    }
}

#[test]
fn same_input_gives_identical_bytes() {
    for (_, args) in rendered_cases() {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(render_ok(&args), render_ok(&args));
    }
}

/// Reverses the key order of every mapping, recursively.
fn reversed(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(reversed).collect()),
        v => v.clone(),
    }
}

#[test]
fn json_input_and_reordered_keys_give_the_same_bytes() {
    for fixture_path in [
        example("descriptor.yaml"),
        fixture("seed-descriptor.yaml"),
        fixture("multi-replica.yaml"),
    ] {
        let yaml_text = std::fs::read_to_string(&fixture_path).unwrap();
        let value: serde_json::Value = serde_yaml_ng::from_str(&yaml_text).unwrap();
        let kc = if fixture_path.ends_with("multi-replica.yaml") {
            fixture("target-kafkacluster.yaml")
        } else {
            example("kafkacluster.yaml")
        };
        let expected = render_ok(&[
            "render",
            "-f",
            path_str(&fixture_path),
            "--kafka-cluster",
            path_str(&kc),
        ]);
        let dir = tempfile::tempdir().unwrap();
        for (i, v) in [value.clone(), reversed(&value)].iter().enumerate() {
            let json_path = dir.path().join(format!("d{i}.json"));
            std::fs::write(&json_path, serde_json::to_string_pretty(v).unwrap()).unwrap();
            let got = render_ok(&[
                "render",
                "-f",
                path_str(&json_path),
                "--kafka-cluster",
                path_str(&kc),
            ]);
            assert_eq!(
                got,
                expected,
                "{} as JSON (variant {i}) renders differently",
                fixture_path.display()
            );
        }
    }
}

#[test]
fn krm_wrapped_descriptor_renders_like_the_bare_one() {
    let bare = std::fs::read_to_string(example("descriptor.yaml")).unwrap();
    let indented: String = bare.lines().map(|l| format!("  {l}\n")).collect();
    let wrapped = format!("apiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nmetadata:\n  name: mirrormaker2\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\nspec:\n{indented}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrapped.yaml");
    std::fs::write(&path, wrapped).unwrap();
    let kc = example("kafkacluster.yaml");
    let expected = render_ok(&[
        "render",
        "-f",
        path_str(&example("descriptor.yaml")),
        "--kafka-cluster",
        path_str(&kc),
    ]);
    assert_eq!(
        render_ok(&[
            "render",
            "-f",
            path_str(&path),
            "--kafka-cluster",
            path_str(&kc)
        ]),
        expected
    );
}

#[test]
fn krm_metadata_names_the_objects_and_flags_win() {
    let bare = std::fs::read_to_string(example("descriptor.yaml")).unwrap();
    let indented: String = bare.lines().map(|l| format!("  {l}\n")).collect();
    let wrapped = format!("apiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nmetadata:\n  name: eu-migration\n  namespace: mm2\nspec:\n{indented}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrapped.yaml");
    std::fs::write(&path, wrapped).unwrap();
    let kc = example("kafkacluster.yaml");
    let out = render_ok(&[
        "render",
        "-f",
        path_str(&path),
        "--kafka-cluster",
        path_str(&kc),
    ]);
    assert!(
        out.contains("kind: Deployment\nmetadata:\n  name: eu-migration\n  namespace: mm2\n"),
        "{out}"
    );
    let out = render_ok(&[
        "render",
        "-f",
        path_str(&path),
        "--kafka-cluster",
        path_str(&kc),
        "-n",
        "other",
        "--name",
        "x",
    ]);
    assert!(
        out.contains("kind: Deployment\nmetadata:\n  name: x\n  namespace: other\n"),
        "{out}"
    );
}

#[test]
fn stdin_descriptor_renders_like_the_file() {
    let kc = example("kafkacluster.yaml");
    let text = std::fs::read_to_string(example("descriptor.yaml")).unwrap();
    let o = run_with_stdin(
        &["render", "-f", "-", "--kafka-cluster", path_str(&kc)],
        &text,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        render_ok(&[
            "render",
            "-f",
            path_str(&example("descriptor.yaml")),
            "--kafka-cluster",
            path_str(&kc)
        ])
    );
}

#[test]
fn json_output_is_a_v1_list_of_the_same_objects() {
    let kc = example("kafkacluster.yaml");
    let d = example("descriptor.yaml");
    let yaml = render_ok(&[
        "render",
        "-f",
        path_str(&d),
        "--kafka-cluster",
        path_str(&kc),
    ]);
    let json = render_ok(&[
        "render",
        "-f",
        path_str(&d),
        "--kafka-cluster",
        path_str(&kc),
        "-o",
        "json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(list["kind"], "List");
    let from_yaml: Vec<serde_json::Value> = serde_yaml_ng::Deserializer::from_str(&yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    assert_eq!(list["items"].as_array().unwrap(), &from_yaml);
}

#[test]
fn user_properties_come_out_verbatim_after_the_maintained_section() {
    let kc = example("kafkacluster.yaml");
    let d = example("descriptor.yaml");
    let json = render_ok(&[
        "render",
        "-f",
        path_str(&d),
        "--kafka-cluster",
        path_str(&kc),
        "-o",
        "json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cm = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "ConfigMap")
        .unwrap();
    let props = cm["data"]["mm2.properties"].as_str().unwrap();
    let descriptor: serde_json::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&d).unwrap()).unwrap();
    let user = descriptor["mirrorMaker2Properties"].as_str().unwrap();
    let (maintained, rest) = props.split_once("# user provided mm2 settings\n").unwrap();
    assert_eq!(rest, format!("{user}\n"));
    assert!(maintained.contains("\nclusters=source-cluster, target-cluster\n"));
    assert!(maintained.contains(
        "\nsource-cluster.bootstrap.servers=ec2-184-72-117-95.compute-1.amazonaws.com:9092\n"
    ));
    assert!(maintained.contains(
        "\ntarget-cluster.bootstrap.servers=kafka-all-broker.kafka.svc.cluster.local:29092\n"
    ));
}

#[test]
fn any_config_change_changes_the_configmap_name_and_pod_annotation() {
    let kc = example("kafkacluster.yaml");
    let d = example("descriptor.yaml");
    let before = render_ok(&[
        "render",
        "-f",
        path_str(&d),
        "--kafka-cluster",
        path_str(&kc),
    ]);
    let changed = std::fs::read_to_string(&d)
        .unwrap()
        .replace("tasks.max=5000", "tasks.max=50");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.yaml");
    std::fs::write(&p, changed).unwrap();
    let after = render_ok(&[
        "render",
        "-f",
        path_str(&p),
        "--kafka-cluster",
        path_str(&kc),
    ]);
    let name = |s: &str| {
        s.lines()
            .find(|l| l.contains("name: mirrormaker2-config-"))
            .unwrap()
            .trim()
            .to_string()
    };
    let hash = |s: &str| {
        s.lines()
            .find(|l| l.contains("mm2gen.io/config-sha256"))
            .unwrap()
            .trim()
            .to_string()
    };
    assert_ne!(name(&before), name(&after));
    assert_ne!(hash(&before), hash(&after));
    // Only the config, its name and the hash differ.
    let norm = |s: &str| s.replace(&name(s), "NAME").replace(&hash(s), "HASH");
    let (b, a) = (norm(&before), norm(&after));
    let diff: Vec<String> = b
        .lines()
        .zip(a.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, _)| x.to_string())
        .collect();
    assert!(
        !diff.is_empty()
            && diff
                .iter()
                .all(|l| l.contains("tasks.max") || l.contains("content-sha256")),
        "{diff:?}"
    );
}

#[test]
fn no_secret_value_appears_in_any_configmap() {
    let secret_values = [
        "fixture-truststore-secret",
        "fixture-keystore-secret",
        "fixture-key-secret",
        "not-a-real-truststore",
    ];
    for (name, args) in rendered_cases() {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["-o", "json"]);
        let list: serde_json::Value = serde_json::from_str(&render_ok(&args)).unwrap();
        let mut properties_seen = 0;
        for cm in list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["kind"] == "ConfigMap")
        {
            let text = cm.to_string();
            for v in secret_values {
                assert!(
                    !text.contains(v),
                    "{name}: ConfigMap holds secret value {v}"
                );
            }
            // The dashboard's ConfigMap holds no properties; its text was checked above.
            let Some(props) = cm["data"]["mm2.properties"].as_str() else {
                continue;
            };
            properties_seen += 1;
            for line in props.lines().filter(|l| !l.trim_start().starts_with('#')) {
                let lower = line.to_ascii_lowercase();
                if lower.contains("password=") || lower.contains("jaas.config=") {
                    let value = line.split_once('=').unwrap().1;
                    assert!(
                        value.starts_with("${secrets:"),
                        "{name}: `{line}` is not a provider reference"
                    );
                }
            }
        }
        assert!(
            properties_seen > 0,
            "{name}: no ConfigMap with mm2.properties"
        );
    }
}

#[test]
fn several_replicas_hand_work_over_after_30_s_unless_the_user_says_otherwise() {
    let base = std::fs::read_to_string(fixture("multi-replica.yaml")).unwrap();
    let kc = fixture("target-kafkacluster.yaml");
    let render = |text: &str| rendered_properties(text, &kc, &[]);
    let key = "target-cluster.scheduled.rebalance.max.delay.ms";
    let ours = render(&base);
    assert_eq!(ours.matches(&format!("{key}=30000")).count(), 1, "{ours}");

    let theirs = render(&base.replacen(
        "mirrorMaker2Properties: |-\n",
        &format!("mirrorMaker2Properties: |-\n  {key}=120000\n"),
        1,
    ));
    assert!(theirs.contains(&format!("{key}=120000")), "{theirs}");
    assert!(!theirs.contains(&format!("{key}=30000")), "{theirs}");
}

#[test]
fn plugin_discovery_skips_the_classpath_scan_only_where_the_image_is_known_to_allow_it() {
    let example_text = std::fs::read_to_string(example("descriptor.yaml")).unwrap();
    let kc = example("kafkacluster.yaml");
    let properties = |descriptor_text: &str, image: Option<&str>| match image {
        Some(image) => rendered_properties(descriptor_text, &kc, &["--image", image]),
        None => rendered_properties(descriptor_text, &kc, &[]),
    };
    // MirrorMaker2 itself reads the top-level key; each herder only its target cluster's keys.
    let ours = [
        "\nplugin.discovery=service_load\n",
        "\ntarget-cluster.plugin.discovery=service_load\n",
    ];
    let default_image = properties(&example_text, None);
    let official = properties(&example_text, Some("docker.io/apache/kafka:3.9.1"));
    for text in [&default_image, &official] {
        for line in ours {
            assert_eq!(text.matches(line).count(), 1, "{line:?} in {text}");
        }
        assert_eq!(text.matches("plugin.discovery").count(), 2, "{text}");
    }

    // Plugins of another image, or of a Kafka before 3.6, may lack ServiceLoader manifests.
    for image in ["example.com/kafka-with-plugins:4.3.1", "apache/kafka:3.5.2"] {
        let other = properties(&example_text, Some(image));
        assert!(!other.contains("plugin.discovery"), "{image}: {other}");
    }

    for theirs in [
        "plugin.discovery=hybrid_fail",
        "target-cluster.plugin.discovery=only_scan",
    ] {
        let text = properties(
            &example_text.replacen(
                "mirrorMaker2Properties: |-\n",
                &format!("mirrorMaker2Properties: |-\n  {theirs}\n"),
                1,
            ),
            None,
        );
        assert_eq!(text.matches("plugin.discovery").count(), 1, "{text}");
        assert!(text.contains(theirs), "{text}");
    }
    // Plugins the user adds through plugin.path may have no ServiceLoader manifests.
    let with_plugin_path = properties(
        &example_text.replacen(
            "mirrorMaker2Properties: |-\n",
            "mirrorMaker2Properties: |-\n  target-cluster.plugin.path=/opt/plugins\n",
            1,
        ),
        None,
    );
    assert!(
        !with_plugin_path.contains("plugin.discovery"),
        "{with_plugin_path}"
    );
}
