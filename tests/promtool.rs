//! The generated PrometheusRule against the real promtool (built from the pinned Prometheus
//! module by scripts/install-tools): `promtool check rules` on its groups, and `promtool test
//! rules` with a firing and a not-firing case for every alert, on series shaped like the
//! exporter's (the names and labels of the rules in the ConfigMap).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::{json, Value};

fn promtool() -> PathBuf {
    match std::env::var_os("MM2GEN_PROMTOOL") {
        Some(p) if PathBuf::from(&p).exists() => PathBuf::from(p),
        _ => panic!("MM2GEN_PROMTOOL is not set to an installed promtool: run `scripts/install-tools` and `source ~/.cache/mm2gen-tools/env.sh` (scripts/test-all does both)"),
    }
}

/// The PrometheusRule rendered from the fixture with every switch on.
fn rendered_rule() -> Value {
    let json = render_ok(&[
        "render",
        "-f",
        path_str(&fixture("observability.yaml")),
        "--kafka-cluster",
        path_str(&example("kafkacluster.yaml")),
        "-o",
        "json",
    ]);
    let list: Value = serde_json::from_str(&json).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "PrometheusRule")
        .expect("the fixture renders a PrometheusRule")
        .clone()
}

fn rule<'a>(rule: &'a Value, alert: &str) -> &'a Value {
    rule["spec"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .find(|r| r["alert"] == alert)
        .unwrap_or_else(|| panic!("no alert {alert}"))
}

fn run(args: &[&Path]) -> Output {
    Command::new(promtool()).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const FLOW: &str = "source-cluster->target-cluster";
const POD: &str = r#"namespace="kafka",pod="mirrormaker2-7d9c-x2x4q""#;

fn source_series(metric: &str, source: &str, values: &str) -> Value {
    json!({
        "series": format!(r#"{metric}{{source="{source}",target="target-cluster",topic="{source}.orders",partition="0",{POD}}}"#),
        "values": values,
    })
}

/// One unit test: `series`, then at `at` the alert fires (with its rendered labels and
/// annotations, plus `extra_labels`) or does not.
fn case(rule: &Value, series: Vec<Value>, at: &str, fires: bool, extra_labels: Value) -> Value {
    let mut labels = rule["labels"].clone();
    for (k, v) in extra_labels.as_object().unwrap() {
        labels[k] = v.clone();
    }
    let expected = if fires {
        json!([{"exp_labels": labels, "exp_annotations": rule["annotations"]}])
    } else {
        json!([])
    };
    json!({
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [{"eval_time": at, "alertname": rule["alert"], "exp_alerts": expected}],
    })
}

/// Every alert firing and not firing. The thresholds are the fixture's (120 s latency, 600 s
/// record age, 900 s checkpoints, 15 minutes).
fn unit_tests(r: &Value) -> Vec<Value> {
    let latency = rule(r, "MirrorMaker2ReplicationLatencyHigh");
    let age = rule(r, "MirrorMaker2RecordAgeHigh");
    let stalled = rule(r, "MirrorMaker2NoProgress");
    let checkpoints = rule(r, "MirrorMaker2CheckpointsStale");
    let failed = rule(r, "MirrorMaker2TasksFailed");
    let absent = rule(r, "MirrorMaker2Absent");
    let topic = "source-cluster";
    let lag = |values: &str| {
        json!({
            "series": format!(r#"mirrormaker2_consumer_records_lag_max{{client_id="{FLOW}|MirrorSourceConnector|0|replication-consumer",{POD}}}"#),
            "values": values,
        })
    };
    let checkpoint = |values: &str| {
        json!({
            "series": format!(r#"mirrormaker2_checkpoint_latency_seconds{{source="source-cluster",target="target-cluster",group="billing",topic="orders",partition="0",{POD}}}"#),
            "values": values,
        })
    };
    let tasks = |values: &str| {
        json!({
            "series": format!(r#"mirrormaker2_connector_tasks{{connector="MirrorSourceConnector",state="failed",{POD}}}"#),
            "values": values,
        })
    };
    let up = |values: &str| json!({"series": format!("up{{{POD}}}"), "values": values});
    let none = json!({});
    vec![
        case(
            latency,
            vec![source_series(
                "mirrormaker2_source_replication_latency_seconds",
                topic,
                "200x40",
            )],
            "20m",
            true,
            none.clone(),
        ),
        case(
            latency,
            vec![source_series(
                "mirrormaker2_source_replication_latency_seconds",
                topic,
                "100x40",
            )],
            "20m",
            false,
            none.clone(),
        ),
        // Only for 10 minutes: below `for`.
        case(
            latency,
            vec![source_series(
                "mirrormaker2_source_replication_latency_seconds",
                topic,
                "100x30 200x10",
            )],
            "40m",
            false,
            none.clone(),
        ),
        // Another source's flow into the same target is not this flow.
        case(
            latency,
            vec![source_series(
                "mirrormaker2_source_replication_latency_seconds",
                "other-cluster",
                "200x40",
            )],
            "20m",
            false,
            none.clone(),
        ),
        case(
            age,
            vec![source_series(
                "mirrormaker2_source_record_age_seconds",
                topic,
                "700x40",
            )],
            "20m",
            true,
            none.clone(),
        ),
        case(
            age,
            vec![source_series(
                "mirrormaker2_source_record_age_seconds",
                topic,
                "500x40",
            )],
            "20m",
            false,
            none.clone(),
        ),
        case(
            stalled,
            vec![
                source_series("mirrormaker2_source_records_total", topic, "1000+0x40"),
                lag("50x40"),
            ],
            "25m",
            true,
            none.clone(),
        ),
        case(
            stalled,
            vec![
                source_series("mirrormaker2_source_records_total", topic, "1000+10x40"),
                lag("50x40"),
            ],
            "25m",
            false,
            none.clone(),
        ),
        // No records because there are none to read: not a stall.
        case(
            stalled,
            vec![
                source_series("mirrormaker2_source_records_total", topic, "1000+0x40"),
                lag("0x40"),
            ],
            "25m",
            false,
            none.clone(),
        ),
        case(
            checkpoints,
            vec![checkpoint("1000x40")],
            "20m",
            true,
            none.clone(),
        ),
        case(
            checkpoints,
            vec![checkpoint("100x40")],
            "20m",
            false,
            none.clone(),
        ),
        case(failed, vec![tasks("1x20")], "10m", true, none.clone()),
        case(failed, vec![tasks("0x20")], "10m", false, none.clone()),
        case(absent, vec![up("0x20")], "10m", true, none.clone()),
        case(absent, vec![], "10m", true, none.clone()),
        case(absent, vec![up("1x20")], "10m", false, none),
    ]
}

fn write_files(dir: &Path, rule: &Value, tests: Vec<Value>) -> (PathBuf, PathBuf) {
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        json!({"groups": rule["spec"]["groups"]}).to_string(),
    )
    .unwrap();
    let test = dir.join("test.yaml");
    let body = json!({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests});
    std::fs::write(&test, body.to_string()).unwrap();
    (rules, test)
}

#[test]
fn the_prometheus_rule_passes_promtool_check_rules() {
    let dir = tempfile::tempdir().unwrap();
    let (rules, _) = write_files(dir.path(), &rendered_rule(), Vec::new());
    let o = run(&[Path::new("check"), Path::new("rules"), &rules]);
    assert!(o.status.success(), "{}", text(&o));
    // And the check can fail: a broken expression is refused.
    let mut bad = rendered_rule();
    bad["spec"]["groups"][0]["rules"][0]["expr"] = "max(".into();
    let (rules, _) = write_files(dir.path(), &bad, Vec::new());
    assert!(!run(&[Path::new("check"), Path::new("rules"), &rules])
        .status
        .success());
}

#[test]
fn every_alert_fires_when_it_should_and_not_otherwise() {
    let rule = rendered_rule();
    let dir = tempfile::tempdir().unwrap();
    let (_, test) = write_files(dir.path(), &rule, unit_tests(&rule));
    let o = run(&[Path::new("test"), Path::new("rules"), &test]);
    assert!(o.status.success(), "{}", text(&o));
    // Every alert the rule defines has a test.
    let tested: Vec<String> = unit_tests(&rule)
        .iter()
        .map(|t| {
            t["alert_rule_test"][0]["alertname"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for group in rule["spec"]["groups"].as_array().unwrap() {
        for r in group["rules"].as_array().unwrap() {
            let name = r["alert"].as_str().unwrap();
            assert!(tested.iter().any(|t| t == name), "{name} has no unit test");
        }
    }
}

#[test]
fn promtool_test_rules_fails_on_a_wrong_expectation() {
    // Negative control: the same series with the expectation flipped must fail, so the
    // passing run above is not promtool accepting anything.
    let rule = rendered_rule();
    let flipped: Vec<Value> = unit_tests(&rule)
        .into_iter()
        .take(2)
        .map(|mut t| {
            let exp = &mut t["alert_rule_test"][0]["exp_alerts"];
            *exp = if exp.as_array().unwrap().is_empty() {
                json!([{"exp_labels": {"severity": "warning"}}])
            } else {
                json!([])
            };
            t
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (_, test) = write_files(dir.path(), &rule, flipped);
    assert!(!run(&[Path::new("test"), Path::new("rules"), &test])
        .status
        .success());
}
