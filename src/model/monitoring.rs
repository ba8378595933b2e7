//! The Prometheus Operator objects and the Grafana dashboard built on the exporter's metrics:
//! alert rules and panels per flow, from the flows the model decided. The selectors say which
//! series belong to a flow: MirrorMaker2's MirrorSourceConnector and MirrorCheckpointConnector
//! MBeans carry both aliases (whatever the replication policy), and the clients' ids start
//! with `source->target|`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::observability::Alerts;
use super::view::Flow;

/// One flow's PromQL label matchers.
struct FlowSelectors {
    flow: String,
    source: String,
    checkpoints: String,
    consumers: String,
}

/// A PromQL string literal (double-quoted; aliases may hold characters PromQL escapes).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// A regular expression matching `text` literally (RE2 syntax, as PromQL uses).
fn regex_literal(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn selectors(flow: &Flow) -> FlowSelectors {
    let (s, t) = (&flow.source, &flow.target);
    let aliases = format!("{{source={},target={}}}", quoted(s), quoted(t));
    FlowSelectors {
        flow: format!("{s}->{t}"),
        source: aliases.clone(),
        checkpoints: aliases,
        consumers: format!(
            "{{client_id=~{}}}",
            quoted(&format!(
                "{}.*",
                regex_literal(&format!("{s}->{t}|MirrorSourceConnector"))
            ))
        ),
    }
}

fn alert(
    name: &str,
    expr: String,
    for_minutes: i64,
    flow: Option<&str>,
    summary: String,
    runbook: &str,
) -> Value {
    let mut labels = json!({"severity": "warning"});
    if let Some(f) = flow {
        labels["flow"] = json!(f);
    }
    json!({
        "alert": name,
        "expr": expr,
        "for": format!("{for_minutes}m"),
        "labels": labels,
        "annotations": {"summary": summary, "runbook": runbook},
    })
}

/// What the opt-in monitoring objects hold; `None` leaves the object out.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Monitoring {
    pub pod_monitor: bool,
    pub rule_groups: Option<Value>,
    pub dashboard: Option<DashboardConfigMap>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DashboardConfigMap {
    pub name: String,
    /// The instance's labels and `grafana_dashboard: "1"`, which Grafana's sidecar looks for.
    pub labels: BTreeMap<String, String>,
    /// One file, named per instance: the sidecar puts every dashboard in one folder.
    pub data: BTreeMap<String, String>,
}

pub fn decide(
    name: &str,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    flows: &[Flow],
    metrics: Option<&super::observability::Metrics>,
) -> Monitoring {
    Monitoring {
        pod_monitor: metrics.is_some_and(|m| m.pod_monitor),
        rule_groups: metrics
            .and_then(|m| m.alerts.as_ref())
            .map(|a| rule_groups(name, namespace, flows, a)),
        dashboard: metrics.filter(|m| m.dashboard).map(|_| {
            let mut labels = labels.clone();
            labels.insert("grafana_dashboard".to_string(), "1".to_string());
            DashboardConfigMap {
                name: format!("{name}-dashboard"),
                labels,
                data: BTreeMap::from([(
                    format!("mirrormaker2-{namespace}-{name}.json"),
                    dashboard(name, flows),
                )]),
            }
        }),
    }
}

/// The PrometheusRule's groups: one per flow, and one for the instance.
pub fn rule_groups(name: &str, namespace: &str, flows: &[Flow], a: &Alerts) -> Value {
    let mut groups = Vec::new();
    for flow in flows {
        let f = selectors(flow);
        let rules = vec![
            alert(
                "MirrorMaker2ReplicationLatencyHigh",
                format!("max(mirrormaker2_source_replication_latency_seconds{}) > {}", f.source, a.replication_latency_seconds),
                a.for_minutes,
                Some(&f.flow),
                format!("flow {} writes records more than {}s after they were produced", f.flow, a.replication_latency_seconds),
                "The target is slow to accept writes or MirrorMaker2 is short of CPU. Check the target producers' errors and retries (mirrormaker2_producer_record_retries_total), the target brokers' request latency, and the pod's CPU throttling; raise tasks.max if the source has many partitions.",
            ),
            alert(
                "MirrorMaker2RecordAgeHigh",
                format!("max(mirrormaker2_source_record_age_seconds{}) > {}", f.source, a.record_age_seconds),
                a.for_minutes,
                Some(&f.flow),
                format!("flow {} replicates records older than {}s: it is behind the source", f.flow, a.record_age_seconds),
                "MirrorMaker2 reads old records: it is catching up or falling behind. Compare the source consumers' lag (mirrormaker2_consumer_records_lag_max) over time: falling is catching up, rising needs more tasks or more resources.",
            ),
            alert(
                "MirrorMaker2NoProgress",
                format!(
                    "(sum(rate(mirrormaker2_source_records_total{}[5m])) == 0) and on() (max(mirrormaker2_consumer_records_lag_max{}) > 0)",
                    f.source, f.consumers
                ),
                a.for_minutes,
                Some(&f.flow),
                format!("flow {} replicates nothing while its source consumers have lag", f.flow),
                "Replication stalled. Check MirrorMaker2's log for errors of this flow (authorization on the target, a missing topic, a broker outage), the task states (mirrormaker2_connector_tasks), and that the target accepts writes.",
            ),
            alert(
                "MirrorMaker2CheckpointsStale",
                format!("max(mirrormaker2_checkpoint_latency_seconds{}) > {}", f.checkpoints, a.checkpoint_age_seconds),
                a.for_minutes,
                Some(&f.flow),
                format!("flow {} checkpoints consumer offsets more than {}s late: a consumer switched to the target now would re-read", f.flow, a.checkpoint_age_seconds),
                "Offset translation lags. Check that MirrorCheckpointConnector runs, that offset syncs are still written after a broker outage, and emit.checkpoints.interval.seconds; do not move consumers to the target until it recovers.",
            ),
        ];
        groups.push(json!({"name": format!("mirrormaker2.{}.{}", name, f.flow), "rules": rules}));
    }
    let pods = format!(
        "namespace={},pod=~{}",
        quoted(namespace),
        quoted(&format!("{}-.*", regex_literal(name)))
    );
    let instance = vec![
        alert(
            "MirrorMaker2TasksFailed",
            format!("sum(mirrormaker2_connector_tasks{{state=\"failed\",{pods}}}) > 0"),
            a.for_minutes.min(5),
            None,
            "a MirrorMaker2 task has failed".to_string(),
            "A failed task stays failed until restarted. Read the task's stack trace in MirrorMaker2's log; after fixing the cause, restart the pod (kubectl rollout restart).",
        ),
        alert(
            "MirrorMaker2Absent",
            format!("absent(up{{{pods}}} == 1)"),
            a.for_minutes.min(5),
            None,
            format!("no MirrorMaker2 pod of {namespace}/{name} is scraped"),
            "No migration is running. Check the Deployment's pods (kubectl get pods), their events and the previous container's log; check that Prometheus selects the PodMonitor.",
        ),
    ];
    groups.push(json!({"name": format!("mirrormaker2.{name}"), "rules": instance}));
    Value::Array(groups)
}

fn panel(id: usize, title: &str, expr: String, unit: &str, x: u64, y: u64) -> Value {
    json!({
        "id": id,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 6, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        // Series summed `by (topic)` are told apart by topic; a single series by the title.
        "targets": [{"refId": "A", "expr": expr,
                     "legendFormat": if expr.contains("by (topic)") { "{{topic}}" } else { title }}],
    })
}

/// The Grafana dashboard: one row per flow with its lag, throughput, latency and checkpoint age.
pub fn dashboard(name: &str, flows: &[Flow]) -> String {
    let mut panels = Vec::new();
    let mut id = 1;
    for (row, flow) in flows.iter().enumerate() {
        let f = selectors(flow);
        let y = row as u64 * 9;
        panels.push(json!({"id": id, "type": "row", "title": format!("flow {}", f.flow), "collapsed": false, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []}));
        id += 1;
        for (i, (title, expr, unit)) in [
            (
                "Source lag (records)",
                format!("max(mirrormaker2_consumer_records_lag_max{})", f.consumers),
                "short",
            ),
            (
                "Throughput (records/s)",
                format!(
                    "sum by (topic) (rate(mirrormaker2_source_records_total{}[5m]))",
                    f.source
                ),
                "rps",
            ),
            (
                "Replication latency",
                format!(
                    "max by (topic) (mirrormaker2_source_replication_latency_seconds{})",
                    f.source
                ),
                "s",
            ),
            (
                "Checkpoint latency",
                format!(
                    "max by (topic) (mirrormaker2_checkpoint_latency_seconds{})",
                    f.checkpoints
                ),
                "s",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            panels.push(panel(id, title, expr, unit, i as u64 * 6, y + 1));
            id += 1;
        }
    }
    let dashboard = json!({
        "title": format!("MirrorMaker2 migration {name}"),
        "uid": format!("mm2gen-{}", crate::hash::sha256_hex(name.as_bytes()).get(..12).unwrap_or("")),
        "schemaVersion": 39,
        "editable": false,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
        "panels": panels,
    });
    serde_json::to_string_pretty(&dashboard).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserProperties;

    fn flows(props: &str) -> Vec<Flow> {
        let entries = crate::properties::parse(props).unwrap_or_default();
        let p = UserProperties::new(props.to_string(), entries, None);
        vec![Flow::new(&p, "src", "dst")]
    }

    #[test]
    fn a_flow_is_selected_by_its_aliases_whatever_the_replication_policy() {
        for props in [
            "",
            "replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n",
        ] {
            let f = selectors(&flows(props)[0]);
            assert_eq!(f.source, r#"{source="src",target="dst"}"#);
            assert_eq!(f.checkpoints, f.source);
            assert_eq!(
                f.consumers,
                r#"{client_id=~"src->dst\\|MirrorSourceConnector.*"}"#
            );
        }
    }

    #[test]
    fn aliases_are_quoted_and_escaped_in_promql() {
        assert_eq!(quoted(r#"a"b"#), r#""a\"b""#);
        assert_eq!(regex_literal("a.b|c"), r"a\.b\|c");
    }

    #[test]
    fn every_flow_gets_its_alerts_and_the_instance_its_own() {
        let a = Alerts {
            replication_latency_seconds: 60,
            record_age_seconds: 300,
            checkpoint_age_seconds: 600,
            for_minutes: 10,
        };
        let groups = rule_groups("mm2", "kafka", &flows(""), &a);
        let names: Vec<Vec<&str>> = groups
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                g["rules"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["alert"].as_str().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(
            names,
            [
                vec![
                    "MirrorMaker2ReplicationLatencyHigh",
                    "MirrorMaker2RecordAgeHigh",
                    "MirrorMaker2NoProgress",
                    "MirrorMaker2CheckpointsStale"
                ],
                vec!["MirrorMaker2TasksFailed", "MirrorMaker2Absent"],
            ]
        );
        assert_eq!(groups[0]["rules"][0]["labels"]["flow"], "src->dst");
    }

    #[test]
    fn the_dashboard_is_json_with_a_row_per_flow() {
        let d: Value = serde_json::from_str(&dashboard("mm2", &flows(""))).unwrap();
        let panels = d["panels"].as_array().unwrap();
        assert_eq!(panels.len(), 5);
        assert_eq!(panels[0]["title"], "flow src->dst");
    }
}
