//! mm2gen's extensions under `mirrorMaker2Spec`: image, resources, metrics and alerts, logging,
//! and the user's mm2.properties block with its line map.

use std::collections::BTreeMap;

use saphyr_parser::ScalarStyle;

use crate::diagnostics::{Location, SourceFile};
use crate::yaml::{Node, Value};

use super::fields::*;
use super::types::*;

use super::reader::{display_path, join, Reader};

impl Reader {
    pub(super) fn spec(&mut self, node: &Node, path: &str) -> Mm2Spec {
        let mut s = Mm2Spec::default();
        let allowed = SPEC_FIELDS;
        for (k, v) in self.fields(node, path, allowed) {
            let p = join(path, k);
            match k {
                "kafkaHeapOpts" => s.kafka_heap_opts = self.string(v, &p),
                "resources" | "nodeSelector" | "tolerations" | "affinity" => {
                    let value = self.json(v, &p);
                    record_locations(v, &p, &self.file, &mut s.value_locations);
                    match k {
                        "resources" => s.resources = value,
                        "nodeSelector" => s.node_selector = value,
                        "tolerations" => s.tolerations = value,
                        _ => s.affinity = value,
                    }
                }
                "minReplicas" => s.min_replicas = self.integer(v, &p),
                "maxReplicas" => s.max_replicas = self.integer(v, &p),
                "image" => s.image = self.string(v, &p),
                "istioControlPlane" => {
                    let mut icp = IstioControlPlane {
                        path: p.clone(),
                        location: self.loc(v),
                        name: None,
                        namespace: None,
                    };
                    for (k2, v2) in self.fields(v, &p, ISTIO_FIELDS) {
                        let p2 = join(&p, k2);
                        match k2 {
                            "name" => icp.name = self.string(v2, &p2),
                            _ => icp.namespace = self.string(v2, &p2),
                        }
                    }
                    s.istio_control_plane = Some(icp);
                }
                "kafkaUser" => {
                    let mut ku = KafkaUserSpec::default();
                    for (k2, v2) in self.fields(v, &p, KAFKA_USER_FIELDS) {
                        let p2 = join(&p, k2);
                        match k2 {
                            "enabled" => ku.enabled = self.boolean(v2, &p2),
                            _ => ku.name = self.string(v2, &p2),
                        }
                    }
                    s.kafka_user = Some(ku);
                }
                "metrics" => s.metrics = Some(self.metrics(v, &p)),
                "logging" => s.logging = Some(self.logging(v, &p)),
                _ => {}
            }
        }
        s
    }

    pub(super) fn metrics(&mut self, node: &Node, path: &str) -> MetricsSpec {
        let mut m = MetricsSpec::default();
        for (k, v) in self.fields(node, path, METRICS_FIELDS) {
            let p = join(path, k);
            match k {
                "enabled" => m.enabled = self.boolean(v, &p),
                "port" => m.port = self.integer(v, &p),
                "agentImage" => m.agent_image = self.string(v, &p),
                "agentJar" => m.agent_jar = self.string(v, &p),
                "podMonitor" => m.pod_monitor = self.boolean(v, &p),
                "dashboard" => m.dashboard = self.boolean(v, &p),
                _ => {
                    let mut a = AlertsSpec::default();
                    for (k2, v2) in self.fields(v, &p, ALERTS_FIELDS) {
                        let p2 = join(&p, k2);
                        match k2 {
                            "enabled" => a.enabled = self.boolean(v2, &p2),
                            "replicationLatencySeconds" => {
                                a.replication_latency_seconds = self.integer(v2, &p2)
                            }
                            "recordAgeSeconds" => a.record_age_seconds = self.integer(v2, &p2),
                            "checkpointAgeSeconds" => {
                                a.checkpoint_age_seconds = self.integer(v2, &p2)
                            }
                            _ => a.for_minutes = self.integer(v2, &p2),
                        }
                    }
                    m.alerts = Some(a);
                }
            }
        }
        m
    }

    pub(super) fn logging(&mut self, node: &Node, path: &str) -> LoggingSpec {
        let mut l = LoggingSpec::default();
        for (k, v) in self.fields(node, path, LOGGING_FIELDS) {
            let p = join(path, k);
            match k {
                "level" => l.level = self.string(v, &p),
                "json" => l.json = self.boolean(v, &p),
                _ => {
                    let Value::Map(entries) = &v.value else {
                        if !v.is_null() {
                            let what = v.kind_name();
                            self.error(
                                v,
                                &p,
                                format!("`{}` must be a mapping, found {what}", display_path(&p)),
                                "write one `logger.name: LEVEL` line per logger, e.g. `org.apache.kafka.connect.mirror.MirrorSourceConnector: DEBUG`",
                            );
                        }
                        continue;
                    };
                    for (key, value) in entries {
                        let Some(name) = self.string(key, &p) else {
                            continue;
                        };
                        let p2 = join(&p, &name.value);
                        if let Some(level) = self.string(value, &p2) {
                            l.loggers.push((name, level));
                        }
                    }
                }
            }
        }
        l
    }

    pub(super) fn properties(&mut self, node: &Node, path: &str) -> Option<PropertiesBlock> {
        let scalar = match &node.value {
            Value::Null => return None,
            Value::Scalar(s) => s,
            _ => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`mirrorMaker2Properties` must be a text block, found {what}"),
                    "write it as `mirrorMaker2Properties: |-` followed by indented key=value lines",
                );
                return None;
            }
        };
        let line_map = if matches!(scalar.style, ScalarStyle::Literal) {
            literal_line_map(&self.file, node.start.line)
        } else {
            None
        };
        Some(PropertiesBlock {
            text: scalar.text.clone(),
            location: self.loc(node),
            path: path.to_string(),
            line_map,
        })
    }
}

/// Where the content of a literal block scalar starts. The parser reports the scalar at its
/// indicator (`|`, `|-`) or at its first content line depending on the input; content starts
/// on the line after an indicator, indented like its first non-blank line.
fn literal_line_map(file: &SourceFile, reported_line: usize) -> Option<LineMap> {
    let lines: Vec<&str> = file.text.lines().collect();
    let at = lines.get(reported_line.checked_sub(1)?)?;
    let is_indicator = at.split('#').next().map(str::trim_end).is_some_and(|l| {
        l.ends_with('|') || l.ends_with("|-") || l.ends_with("|+") || l.contains(": |")
    });
    let first_line = if is_indicator {
        reported_line + 1
    } else {
        reported_line
    };
    let indent = lines
        .iter()
        .skip(first_line - 1)
        .find(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())?;
    Some(LineMap { first_line, indent })
}

/// The location of every value below `node`, by YAML path, and of every map key (at the
/// entry's path and `:key`).
fn record_locations(
    node: &Node,
    path: &str,
    file: &SourceFile,
    out: &mut BTreeMap<String, Location>,
) {
    out.insert(path.to_string(), node.location(file));
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let child = format!("{path}.{}", k.key_text());
                out.insert(format!("{child}:key"), k.location(file));
                record_locations(v, &child, file, out);
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                record_locations(v, &format!("{path}[{i}]"), file, out);
            }
        }
        _ => {}
    }
}
