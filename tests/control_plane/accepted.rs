//! Whatever mm2gen accepts, the API server accepts: generated descriptors (names, aliases,
//! namespaces, quantities inside and outside the API server's grammar, tolerations, labels,
//! Secret names and keys, replicas, heap sizes) are rendered by the CLI; every output mm2gen
//! writes must pass `kubectl apply --server-side --dry-run=server --validate=strict`.
//! What mm2gen refuses is summed up by its message, so a generator that only ever produces
//! refused input shows up.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

use crate::cluster::ControlPlane;
use crate::common::{self, path_str};
use crate::kube::{self, namespace};

/// Enough cases to reach every field's invalid values many times; the whole test stays
/// around a minute on the shared 2-core machine because the dry runs are batched.
const CASES: usize = 600;
const CASES_PER_DRY_RUN: usize = 40;
const TARGET_BOOTSTRAP: &str = "kafka-all-broker.kafka.svc.cluster.local:29092";

/// Strings that are mostly valid Kubernetes names, sometimes not.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        40 => "[a-z][a-z0-9-]{0,14}[a-z0-9]",
        1 => "[a-z0-9][a-z0-9.-]{0,10}",
        1 => "[ -~]{1,12}",
        1 => "[a-z]{55,70}",
        1 => "[A-Z][a-zA-Z0-9_]{0,8}",
    ]
}

fn quantity() -> BoxedStrategy<Value> {
    prop_oneof![
        // The grammar of k8s.io/apimachinery/pkg/api/resource: a signed decimal number and a
        // binary SI, decimal SI or decimal exponent suffix.
        30 => (
            prop_oneof![12 => Just(""), 1 => Just("+"), 1 => Just("-")],
            "[0-9]{1,4}(\\.[0-9]{0,3})?|\\.[0-9]{1,3}",
            "|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]{1,2}"
        )
            .prop_map(|(s, n, u)| Value::from(format!("{s}{n}{u}"))),
        // Whole amounts, as most users write them: memory and storage must be whole bytes.
        45 => "[1-9][0-9]{0,3}(Ki|Mi|Gi|k|M|G)?".prop_map(Value::from),
        // Outside it: stray letters, spaces, other suffixes, hexadecimal.
        2 => "[0-9a-zA-Z .+-]{0,6}".prop_map(Value::from),
        1 => prop_oneof![Just("1Gb"), Just("0x10"), Just(" 1"), Just("1 Gi"), Just("1e400"), Just("9999999999999999999999Ei")].prop_map(Value::from),
        // YAML numbers, as a user writes `cpu: 1` or `cpu: 0.5`.
        1 => (-2i64..100).prop_map(Value::from),
        1 => (-1.0f64..16.0).prop_map(|f| json!((f * 1000.0).round() / 1000.0)),
    ]
    .boxed()
}

fn resources() -> impl Strategy<Value = Option<Value>> {
    let resource = prop_oneof![
        4 => Just("cpu".to_string()),
        4 => Just("memory".to_string()),
        1 => Just("ephemeral-storage".to_string()),
        1 => Just("hugepages-2Mi".to_string()),
        1 => "[a-z]{1,6}(/[a-z]{1,6})?",
    ];
    let list = prop::collection::btree_map(resource, quantity(), 0..3);
    prop::option::of((list.clone(), list).prop_map(|(requests, limits)| {
        let mut r = serde_json::Map::new();
        if !requests.is_empty() {
            r.insert("requests".into(), json!(requests));
        }
        if !limits.is_empty() {
            r.insert("limits".into(), json!(limits));
        }
        Value::Object(r)
    }))
}

fn label_key() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => "([a-z0-9]{1,8}\\.[a-z]{2,4}/)?[a-zA-Z0-9]([a-zA-Z0-9._-]{0,10}[a-zA-Z0-9])?",
        1 => "[ -~]{0,10}",
        1 => "[a-z]{64,66}",
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => "([a-zA-Z0-9]([a-zA-Z0-9._-]{0,10}[a-zA-Z0-9])?)?",
        1 => "[ -~]{0,10}",
        1 => "[a-z]{63,65}",
    ]
}

fn tolerations() -> impl Strategy<Value = Option<Value>> {
    let toleration = (
        prop::option::of(label_key()),
        prop_oneof![
            Just(None),
            Just(Some("Equal")),
            Just(Some("Exists")),
            Just(Some("In"))
        ],
        prop::option::of(label_value()),
        prop_oneof![
            Just(None),
            Just(Some("NoSchedule")),
            Just(Some("PreferNoSchedule")),
            Just(Some("NoExecute")),
            Just(Some("Never")),
        ],
        prop::option::of(-10i64..600),
    )
        .prop_map(|(key, operator, value, effect, seconds)| {
            let mut t = serde_json::Map::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    t.insert(k.into(), v);
                }
            };
            put("key", key.map(Value::from));
            put("operator", operator.map(Value::from));
            put("value", value.map(Value::from));
            put("effect", effect.map(Value::from));
            put("tolerationSeconds", seconds.map(Value::from));
            Value::Object(t)
        });
    prop::option::of(prop::collection::vec(toleration, 0..3).prop_map(Value::from))
}

fn node_selector() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(
        prop::collection::btree_map(label_key(), label_value(), 0..3).prop_map(|m| json!(m)),
    )
}

fn affinity() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(
        (label_key(), label_value(), prop_oneof![9 => 1i64..=100, 1 => -5i64..120], label_key()).prop_map(|(k, v, weight, topology)| {
            json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": weight,
                "podAffinityTerm": {"topologyKey": topology, "labelSelector": {"matchLabels": {k: v}}}
            }]}})
        }),
    )
}

/// A data key: mostly the rule's characters, sometimes others.
fn data_key() -> impl Strategy<Value = String> {
    prop_oneof![30 => "[-._a-zA-Z0-9]{1,14}", 1 => "[ -~]{0,8}", 1 => Just("..".to_string())]
}

#[derive(Debug, Clone)]
struct Case {
    namespace: String,
    deployment: String,
    source: String,
    target: String,
    kafka_namespace: String,
    kafka_user: Option<String>,
    tls: Option<(String, String, String)>,
    sasl: Option<(String, String)>,
    heap: Option<String>,
    replicas: (Option<i64>, Option<i64>),
    spec: BTreeMap<&'static str, Value>,
}

fn case() -> impl Strategy<Value = Case> {
    let heap = prop::option::of(prop_oneof![
        8 => (1u32..4096, "[mMgG]", 0u32..4096)
            .prop_map(|(a, u, more)| format!("-Xms{a}{u} -Xmx{}{u}", a + more)),
        1 => ("[0-9]{1,4}", "[kKmMgG]?", "[0-9]{1,4}", "[kKmMgG]?")
            .prop_map(|(a, u, b, v)| format!("-Xms{a}{u} -Xmx{b}{v}")),
        1 => "[ -~]{0,12}",
    ]);
    (
        (name(), name(), name(), name(), name()),
        prop::option::of(name()),
        prop::option::of((name(), data_key(), data_key())),
        prop::option::of((name(), data_key())),
        heap,
        (prop::option::of(-1i64..6), prop::option::of(-1i64..8)),
        (resources(), tolerations(), node_selector(), affinity()),
    )
        .prop_map(
            |(
                (namespace, deployment, source, target, kafka_namespace),
                kafka_user,
                tls,
                sasl,
                heap,
                replicas,
                (resources, tolerations, node_selector, affinity),
            )| {
                let spec = [
                    ("resources", resources),
                    ("tolerations", tolerations),
                    ("nodeSelector", node_selector),
                    ("affinity", affinity),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
                Case {
                    namespace,
                    deployment,
                    source,
                    // `--bootstrap-servers ALIAS=HOST:PORT` is how the test names the target's
                    // brokers; an alias with `=` or `,` cannot be said there.
                    target: match target.replace(['=', ','], "-") {
                        t if t.is_empty() => "t".into(),
                        t => t,
                    },
                    kafka_namespace,
                    kafka_user,
                    tls,
                    sasl,
                    heap,
                    replicas,
                    spec,
                }
            },
        )
}

/// The descriptor of `case`, as JSON (a YAML subset, and no quoting to get wrong).
fn descriptor(c: &Case) -> String {
    let mut source =
        json!({"alias": c.source, "bootstrapServerAddress": "legacy.example.com:9092"});
    let mut properties = vec![format!("{}->{}.enabled=true", c.source, c.target)];
    if let Some((secret, truststore, password)) = &c.tls {
        source["tls"] = json!({"secretName": secret, "truststoreKey": truststore, "truststorePasswordKey": password});
        properties.push(format!("{}.security.protocol=SSL", c.source));
        properties.push(format!(
            "{}.ssl.truststore.location={{truststore location}}",
            c.source
        ));
        properties.push(format!(
            "{}.ssl.truststore.password={{truststore password}}",
            c.source
        ));
    }
    if let Some((secret, jaas)) = &c.sasl {
        source["sasl"] = json!({"secretName": secret, "jaasConfigKey": jaas});
        properties.push(format!("{}.sasl.mechanism=SCRAM-SHA-512", c.source));
        properties.push(format!("{}.sasl.jaas.config={{jaas config}}", c.source));
    }
    let mut spec = json!(c.spec);
    if let Some(heap) = &c.heap {
        spec["kafkaHeapOpts"] = json!(heap);
    }
    if let Some(min) = c.replicas.0 {
        spec["minReplicas"] = json!(min);
    }
    if let Some(max) = c.replicas.1 {
        spec["maxReplicas"] = json!(max);
    }
    if let Some(user) = &c.kafka_user {
        spec["kafkaUser"] = json!({"name": user});
    }
    serde_json::to_string_pretty(&json!({
        "kafkaClusters": [{
            "alias": c.target, "namespace": c.kafka_namespace, "name": "kafka",
            "internalListenerName": "internal"
        }],
        "nonSDMKafkaClusters": [source],
        "mirrorMaker2Spec": spec,
        "mirrorMaker2Properties": properties.join("\n"),
    }))
    .expect("a JSON value serializes")
}

/// mm2gen's output for `case`, or the first line of its error.
fn render(c: &Case, dir: &std::path::Path, index: usize) -> Result<String, String> {
    let file = dir.join(format!("case-{index}.json"));
    std::fs::write(&file, descriptor(c)).map_err(|e| e.to_string())?;
    let o = common::run(&[
        "render",
        "-f",
        path_str(&file),
        // `--flag=VALUE`: a generated value may start with `-`.
        &format!("--bootstrap-servers={}={TARGET_BOOTSTRAP}", c.target),
        &format!("--namespace={}", c.namespace),
        &format!("--name={}", c.deployment),
    ]);
    let stderr = common::stderr(&o);
    match o.status.code() {
        Some(0) => Ok(common::stdout(&o)),
        Some(1) => Err(stderr
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("error without a message")
            .to_string()),
        _ => panic!(
            "mm2gen neither rendered nor refused (exit {}):\n{stderr}\n{}",
            o.status,
            descriptor(c)
        ),
    }
}

/// Values earlier runs found that mm2gen rendered and the API server refused (or warned about
/// with strict validation), checked on every run besides the generated ones: mm2gen now
/// refuses them itself.
fn counterexamples() -> Vec<Case> {
    let with_resources = |name: &str, resources: Value| Case {
        namespace: "counterexamples".into(),
        deployment: name.into(),
        source: "source-cluster".into(),
        target: "target-cluster".into(),
        kafka_namespace: "kafka".into(),
        kafka_user: None,
        tls: None,
        sasl: None,
        heap: None,
        replicas: (None, None),
        spec: BTreeMap::from([("resources", resources)]),
    };
    vec![
        // Refused: "is not positive integer multiple of hugepages-2Mi".
        with_resources(
            "hugepages",
            json!({"requests": {"cpu": "1", "memory": "1Gi", "hugepages-2Mi": "1Mi"}, "limits": {"memory": "1Gi", "hugepages-2Mi": "1Mi"}}),
        ),
        // Refused: "HugePages require cpu or memory".
        with_resources(
            "hugepages-alone",
            json!({"requests": {"hugepages-2Mi": "2Mi"}, "limits": {"hugepages-2Mi": "2Mi"}}),
        ),
        // Refused: a projected item path "must not start with '..'".
        Case {
            tls: None,
            sasl: Some(("x4".into(), "..g_Lx.hH".into())),
            ..with_resources("dotdot-key", json!({"requests": {"cpu": "1"}}))
        },
        // Warned: `fractional byte value "1m" is invalid, must be an integer`.
        with_resources(
            "fractional-memory",
            json!({"requests": {"memory": "1m"}, "limits": {"memory": "1m"}}),
        ),
    ]
}

/// A server-side dry run of `manifest` with strict field validation: the server's error or
/// warning, if any.
pub fn dry_run(cp: &ControlPlane, manifest: &str) -> Result<(), String> {
    let args = [
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager=mm2gen-test",
        "--validate=strict",
        "-f",
        "-",
    ];
    let o = kube::kubectl_stdin(cp, &args, manifest);
    let stderr = String::from_utf8_lossy(&o.stderr);
    if o.status.success() && !stderr.to_lowercase().contains("warning") {
        Ok(())
    } else {
        Err(stderr.into_owned())
    }
}

pub fn whatever_mm2gen_accepts_the_api_server_accepts(cp: &ControlPlane) -> Result<(), String> {
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    // The suite runs the same cases every time, so a landing never depends on a lucky draw;
    // MM2GEN_EXPLORE=1 draws new ones, to look for more inputs the API server refuses.
    let mut runner = if std::env::var_os("MM2GEN_EXPLORE").is_some() {
        TestRunner::new(Config::default())
    } else {
        TestRunner::new_with_rng(
            Config::default(),
            TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        )
    };
    let strategy = case();
    let mut accepted: Vec<(Case, String)> = Vec::new();
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    let mut bad_quantities: Vec<(Value, String)> = Vec::new();
    let mut cases = counterexamples();
    for _ in 0..CASES {
        cases.push(
            strategy
                .new_tree(&mut runner)
                .map_err(|e| e.to_string())?
                .current(),
        );
    }
    for (index, c) in cases.into_iter().enumerate() {
        match render(&c, work.path(), index) {
            Ok(out) => accepted.push((c, out)),
            Err(e) => {
                if e.contains("is not a Kubernetes quantity") {
                    bad_quantities.push((c.spec["resources"].clone(), e.clone()));
                }
                *refusals.entry(refusal_kind(&e)).or_default() += 1
            }
        }
    }
    eprintln!(
        "whatever_mm2gen_accepts: {} of {CASES} generated descriptors rendered; refused: {refusals:#?}",
        accepted.len()
    );
    // Each generator mostly produces valid values, so most cases must render: fewer means the
    // test checks little. And some must be refused, or the invalid values never reach mm2gen.
    if accepted.len() < CASES / 5 || refusals.is_empty() {
        return Err(format!(
            "{} of {CASES} cases rendered: the generators no longer mix valid and invalid input",
            accepted.len()
        ));
    }
    let namespaces: BTreeSet<&str> = accepted.iter().map(|(c, _)| c.namespace.as_str()).collect();
    for ns in namespaces {
        generated_namespace(cp, ns).map_err(|e| {
            format!("mm2gen accepted namespace {ns:?}, which the API server refuses: {e}")
        })?;
    }
    let mut problems = Vec::new();
    for batch in accepted.chunks(CASES_PER_DRY_RUN) {
        let manifest: String = batch.iter().map(|(_, out)| format!("---\n{out}")).collect();
        if dry_run(cp, &manifest).is_ok() {
            continue;
        }
        // Find the cases the server refuses, one by one.
        let found_before = problems.len();
        for (c, out) in batch {
            if let Err(e) = dry_run(cp, out) {
                problems.push(format!(
                    "mm2gen rendered this descriptor (-n {:?} --name {:?}) but the API server refuses its output:\n{e}\n{}",
                    c.namespace,
                    c.deployment,
                    descriptor(c)
                ));
            }
        }
        if problems.len() == found_before {
            problems.push("a batch was refused but none of its cases alone: objects of different cases collide".into());
        }
    }
    compare_refused_quantities_with_the_server(cp, &bad_quantities)?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n\n"))
    }
}

/// Where mm2gen refuses a quantity, does the server too? The same `resources` on a bare Pod
/// (in a namespace without Pod Security, so that Pod Security refuses nothing) is dry-run. A
/// quantity mm2gen refuses and the server takes is printed, not failed: refusing more than the
/// server is safe (the server trims spaces around a quantity and stores it rewritten, which a
/// stored-as-sent check would flag anyway).
fn compare_refused_quantities_with_the_server(
    cp: &ControlPlane,
    refused: &[(Value, String)],
) -> Result<(), String> {
    let ns = namespace(cp, "refused-quantities", false)?;
    let mut stricter = 0;
    for (resources, mm2gen_said) in refused {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "quantity", "namespace": ns},
            "spec": {"containers": [{"name": "c", "image": "busybox", "resources": resources}]}
        });
        match dry_run(cp, &pod.to_string()) {
            Err(e)
                if e.contains("quantities must match the regular expression")
                    || e.contains("unable to parse quantity") => {}
            other => {
                stricter += 1;
                eprintln!(
                    "note: mm2gen refused a quantity ({mm2gen_said}) that the API server parses: {other:?}\n  resources: {resources}"
                );
            }
        }
    }
    eprintln!(
        "refused quantities: {} refused by mm2gen, {stricter} of them parsed by the API server",
        refused.len()
    );
    Ok(())
}

/// A namespace for generated cases, sent as JSON: kube::namespace writes YAML by hand, where a
/// generated name such as `7` would read as a number.
fn generated_namespace(cp: &ControlPlane, name: &str) -> Result<(), String> {
    let labels: serde_json::Map<String, Value> = crate::cluster::POD_SECURITY_LABELS
        .iter()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), Value::from(v)))
        .collect();
    let manifest = json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": labels}
    });
    let args = ["apply", "--server-side", "--validate=strict", "-f", "-"];
    let o = kube::kubectl_stdin(cp, &args, &manifest.to_string());
    let stderr = String::from_utf8_lossy(&o.stderr);
    if o.status.success() && !stderr.to_lowercase().contains("warning") {
        Ok(())
    } else {
        Err(stderr.into_owned())
    }
}

/// What a refusal is about, without the generated values: the message with every quoted
/// part and number left out.
fn refusal_kind(error: &str) -> String {
    let mut kind = String::new();
    for (i, part) in error.split('`').enumerate() {
        kind.push_str(if i % 2 == 0 { part } else { "…" });
    }
    kind.replace(|c: char| c.is_ascii_digit(), "")
        .chars()
        .take(100)
        .collect()
}

/// The negative control: the dry run really checks. mm2gen's own output, spoilt with a
/// quantity the server's grammar refuses and with an unknown field, is refused each time,
/// and the unspoilt output passes.
pub fn a_server_dry_run_refuses_an_invalid_object(cp: &ControlPlane) -> Result<(), String> {
    let ns = namespace(cp, "dry-run-negative-control", true)?;
    let args: Vec<String> = common::rendered_cases().remove(0).1;
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["-n", &ns]);
    let objects = kube::objects(&common::render_ok(&args));
    let deployment = objects
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .ok_or("the example renders no Deployment")?;
    dry_run(cp, &deployment.to_string())
        .map_err(|e| format!("the unspoilt Deployment is refused: {e}"))?;
    let mut bad_quantity = deployment.clone();
    bad_quantity["spec"]["template"]["spec"]["containers"][0]["resources"] =
        json!({"requests": {"cpu": "1.5.5"}});
    match dry_run(cp, &bad_quantity.to_string()) {
        Err(e) if e.contains("quantities must match the regular expression") => {}
        other => return Err(format!("a bad quantity was not refused: {other:?}")),
    }
    let mut unknown = deployment.clone();
    unknown["spec"]["template"]["spec"]["tolerationz"] = json!([]);
    match dry_run(cp, &unknown.to_string()) {
        Err(e) if e.contains("tolerationz") => Ok(()),
        other => Err(format!("an unknown field was not refused: {other:?}")),
    }
}
