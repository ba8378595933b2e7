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
fn literal_secrets_are_refused_at_every_scope() {
    let jaas = |pw: &str| {
        format!("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"mm2\" password=\"{pw}\";")
    };
    let cases: Vec<(String, String)> = vec![
        (
            "source-cluster.ssl.truststore.password".into(),
            "Qz1cluster".into(),
        ),
        (
            "source-cluster.consumer.ssl.key.password".into(),
            "Qz2clientc".into(),
        ),
        (
            "source-cluster.producer.ssl.keystore.password".into(),
            "Qz3clientp".into(),
        ),
        (
            "source-cluster.admin.sasl.jaas.config".into(),
            jaas("Qz4admin"),
        ),
        (
            "source-cluster->target-cluster.ssl.truststore.password".into(),
            "Qz5flow".into(),
        ),
        (
            "source-cluster->target-cluster.consumer.ssl.key.password".into(),
            "Qz6flowc".into(),
        ),
        (
            "source-cluster->target-cluster.producer.ssl.key.password".into(),
            "Qz7flowp".into(),
        ),
        (
            "source-cluster->target-cluster.admin.ssl.key.password".into(),
            "Qz8flowa".into(),
        ),
        (
            "source-cluster->target-cluster.sasl.jaas.config".into(),
            jaas("Qz9flowj"),
        ),
        (
            "source-cluster->target-cluster.source.cluster.ssl.keystore.password".into(),
            "Qz10sc".into(),
        ),
        (
            "source-cluster->target-cluster.target.cluster.ssl.key.password".into(),
            "Qz11tc".into(),
        ),
        (
            "source-cluster->target-cluster.source.consumer.sasl.jaas.config".into(),
            jaas("Qz12scon"),
        ),
        (
            "source-cluster->target-cluster.target.producer.ssl.key.password".into(),
            "Qz13tprod".into(),
        ),
        (
            "source-cluster->target-cluster.source.admin.ssl.truststore.password".into(),
            "Qz14sadm".into(),
        ),
        (
            "source-cluster->target-cluster.target.admin.sasl.jaas.config".into(),
            jaas("Qz15tadm"),
        ),
        ("ssl.keystore.password".into(), "Qz16top".into()),
        ("consumer.ssl.key.password".into(), "Qz17topc".into()),
        ("source.cluster.ssl.key.password".into(), "Qz18topsc".into()),
    ];
    for (key, value) in &cases {
        let secret = value
            .split('"')
            .find(|p| p.starts_with("Qz"))
            .unwrap_or(value);
        assert_refused(
            &with_property(&format!("{key}={value}")),
            secret,
            &format!("`{key}` holds a literal secret"),
            &value_at(key),
            "placeholder",
        );
    }
}

#[test]
fn other_secret_keys_and_mixed_values_are_refused() {
    for (key, value, secret, help) in [
        (
            "config.providers.vault.param.token",
            "Qz20token",
            "Qz20token",
            "${",
        ),
        (
            "source-cluster.sasl.oauthbearer.client.credentials.client.secret",
            "Qz21oauth",
            "Qz21oauth",
            "${",
        ),
        (
            "source-cluster.ssl.truststore.password",
            "Qz22mix${secrets:/etc/mirrormaker2/secrets/source-cluster:truststore.password}",
            "Qz22mix",
            "placeholder",
        ),
    ] {
        assert_refused(
            &with_property(&format!("{key}={value}")),
            secret,
            &format!("`{key}` holds a literal secret"),
            &value_at(key),
            help,
        );
    }
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
fn a_secret_line_quoted_in_a_message_is_masked() {
    let o = run_on(
        &with_property("source-cluster.ssl.key.password=p\u{e4}ssQz60"),
        &["render"],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("non-ASCII character in `source-cluster.ssl.key.password=********`"),
        "{err}"
    );
    assert!(err.contains("--> d.yaml:11:3"), "{err}");
    assert!(!everything(&o).contains("ssQz60"), "{err}");
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

/// The ConfigMap's mm2.properties of a render.
fn properties_of(rendered: &str) -> String {
    let doc = rendered
        .split("\n---\n")
        .find(|d| d.contains("kind: ConfigMap") && d.contains("mm2.properties"))
        .expect("a ConfigMap");
    doc.to_string()
}

fn render_descriptor(descriptor: &str) -> String {
    let o = run_on(descriptor, &["render"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn placeholders_at_flow_scope_become_secret_references() {
    let cases = [
        (
            "source-cluster->target-cluster.source.cluster.ssl.truststore.password={truststore password}",
            "source-cluster->target-cluster.source.cluster.ssl.truststore.password=${secrets:/etc/mirrormaker2/secrets/source-cluster:truststore.password}",
        ),
        (
            "source-cluster->target-cluster.source.consumer.sasl.jaas.config={jaas}",
            "source-cluster->target-cluster.source.consumer.sasl.jaas.config=${secrets:/etc/mirrormaker2/secrets/source-cluster:sasl.jaas.config}",
        ),
        (
            "source-cluster->target-cluster.target.admin.ssl.key.password={key password}",
            "source-cluster->target-cluster.target.admin.ssl.key.password=${secrets:/etc/mirrormaker2/secrets/target-cluster:key.password}",
        ),
        (
            "source-cluster.consumer.ssl.key.password={key password}",
            "source-cluster.consumer.ssl.key.password=${secrets:/etc/mirrormaker2/secrets/source-cluster:key.password}",
        ),
    ];
    for (line, expected) in cases {
        let out = render_descriptor(&with_property(line));
        let props = properties_of(&out);
        assert!(props.contains(expected), "{line}:\n{props}");
        assert!(!props.contains(line.split('=').nth(1).unwrap()), "{props}");
        assert!(props.contains("config.providers=secrets"), "{props}");
    }
    // The flow-scope placeholder mounts the same Secret keys as the cluster-scope one.
    let volumes = |out: &str| {
        out.split("\n---\n")
            .find(|d| d.contains("kind: Deployment"))
            .map(|d| d[d.rfind("- name: secrets-").unwrap()..].to_string())
            .unwrap()
    };
    let at_flow = render_descriptor(&with_property(
        "source-cluster->target-cluster.source.cluster.ssl.truststore.password={pw}",
    ));
    let at_cluster = render_descriptor(&with_property(
        "source-cluster.ssl.truststore.password={pw}",
    ));
    assert!(
        volumes(&at_flow).contains("truststore.password"),
        "{at_flow}"
    );
    assert_eq!(volumes(&at_flow), volumes(&at_cluster));
}

#[test]
fn placeholders_that_name_no_single_cluster_are_refused() {
    for (line, location, help) in [
        (
            "source-cluster->target-cluster.consumer.ssl.key.password={pw}",
            "d.yaml:11:3",
            "source-cluster->target-cluster.source.consumer.ssl.key.password",
        ),
        (
            "source-cluster->target-cluster.ssl.key.password={pw}",
            "d.yaml:11:3",
            "source-cluster->target-cluster.source.cluster.ssl.key.password",
        ),
        (
            "consumer.ssl.key.password={pw}",
            "d.yaml:11:3",
            "<alias>.consumer.ssl.key.password",
        ),
    ] {
        let o = run_on(&with_property(line), &["render"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{line}: {err}");
        assert!(err.contains("cannot tell whose Secret holds it"), "{err}");
        // A placeholder is no secret: the snippet shows it as written.
        assert!(err.contains(line), "{err}");
        assert!(err.contains(&format!("--> {location}")), "{err}");
        assert!(err.contains(help), "{err}");
    }
}

#[test]
fn krm_results_and_stderr_never_show_the_secret() {
    use std::io::Write;
    let input = std::fs::read_to_string(fixture("krm-literal-secret.yaml")).unwrap();
    let mut child = mm2gen()
        .arg("krm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("--> <ResourceList>:25:71"), "{err}");
    assert!(!err.contains("Qz70krm"), "{err}");
    let list: serde_json::Value = serde_yaml_ng::from_str(&stdout(&o)).unwrap();
    let results = list["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    let message = results[0]["message"].as_str().unwrap();
    assert!(message.contains("holds a literal secret"), "{message}");
    assert!(message.contains("help: put it in Secret"), "{message}");
    // The protocol hands the input items back unchanged: only they still hold the line.
    assert!(!serde_json::to_string(&list["results"])
        .unwrap()
        .contains("Qz70krm"));
}

#[test]
fn placeholders_are_filled_for_every_cluster_in_any_declaration_order() {
    let names = ["mid", "zeta", "alpha"];
    let mut descriptor = BASE.replace(
        "  - bootstrapServerAddress: source.example.com:9092\n    alias: source-cluster\n",
        &names
            .iter()
            .map(|n| format!("  - bootstrapServerAddress: {n}.example.com:9092\n    alias: {n}\n"))
            .collect::<String>(),
    );
    descriptor = descriptor.replace("  source-cluster->target-cluster.enabled=true\n", "");
    for n in names {
        descriptor.push_str(&format!(
            "  {n}->target-cluster.enabled=true\n  {n}.ssl.truststore.password={{pw}}\n"
        ));
    }
    let props = properties_of(&render_descriptor(&descriptor));
    for n in names {
        assert!(
            props.contains(&format!(
                "{n}.ssl.truststore.password=${{secrets:/etc/mirrormaker2/secrets/{n}:truststore.password}}"
            )),
            "{n}:\n{props}"
        );
    }
}

#[test]
fn a_secret_separated_by_blanks_alone_is_refused_and_masked() {
    // java.util.Properties reads `key value` as `key=value`.
    assert_refused(
        &with_property("source-cluster.ssl.key.password Qz80blank"),
        "Qz80blank",
        "`source-cluster.ssl.key.password` holds a literal secret",
        "d.yaml:11:35",
        "placeholder",
    );
}

#[test]
fn a_refused_literal_is_masked_even_when_its_key_is_escaped() {
    // `pass\word` is `password` to java.util.Properties, not to a reader of the text.
    assert_refused(
        &with_property("source-cluster.ssl.key.pass\\word=Qz90esc"),
        "Qz90esc",
        "`source-cluster.ssl.key.password` holds a literal secret",
        "d.yaml:11:36",
        "placeholder",
    );
}
