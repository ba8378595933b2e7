//! What an operator watches a migration with: the Prometheus JMX exporter loaded into the
//! MirrorMaker2 JVM (its rules file in the ConfigMap, so under the content hash), the log4j2
//! config with the descriptor's levels, and the switches for the Prometheus Operator objects
//! and the Grafana dashboard. Pure: the descriptor's spec in, decisions out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::descriptor::{Located, Mm2Spec};
use crate::diagnostics::{Collector, Diagnostic};
use crate::version;

/// The exporter's port: the one the Prometheus JMX exporter documents and Strimzi uses.
pub const DEFAULT_METRICS_PORT: u16 = 9404;
/// Where the init container puts the agent jar; the MirrorMaker2 container reads it from here.
pub const AGENT_DIR: &str = "/opt/jmx-exporter";
pub const AGENT_FILE: &str = "jmx_prometheus_javaagent.jar";
pub const EXPORTER_RULES_FILE: &str = "jmx-exporter.yaml";
pub const LOG4J2_FILE: &str = "log4j2.properties";
/// log4j2's levels, in the order it ranks them.
pub const LOG_LEVELS: &[&str] = &[
    "OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL",
];

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub port: u16,
    /// Image of the init container that copies the agent jar into the shared emptyDir.
    pub agent_image: String,
    /// Path (a shell glob is allowed) of the jar inside `agent_image`; handed to the init
    /// container in an environment variable, never spliced into its command.
    pub agent_jar: String,
    /// `KAFKA_OPTS` for kafka-run-class.sh, which puts it on the java command line.
    pub kafka_opts: String,
    pub rules: String,
    pub pod_monitor: bool,
    pub alerts: Option<Alerts>,
    pub dashboard: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alerts {
    pub replication_latency_seconds: i64,
    pub record_age_seconds: i64,
    pub checkpoint_age_seconds: i64,
    pub for_minutes: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Logging {
    /// log4j2.properties, mounted with the rest of the ConfigMap.
    pub config: String,
    /// `KAFKA_LOG4J_OPTS`: connect-mirror-maker.sh uses its own file only when this is unset.
    pub log4j_opts: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Observability {
    pub metrics: Option<Metrics>,
    pub logging: Logging,
}

impl Observability {
    /// The ConfigMap's files besides mm2.properties, by key.
    pub fn config_files(&self) -> BTreeMap<&'static str, &str> {
        let mut files = BTreeMap::from([(LOG4J2_FILE, self.logging.config.as_str())]);
        if let Some(m) = &self.metrics {
            files.insert(EXPORTER_RULES_FILE, m.rules.as_str());
        }
        files
    }
}

pub fn decide(spec: &Mm2Spec, config_dir: &str, diags: &mut Collector) -> Observability {
    Observability {
        metrics: metrics(spec, config_dir, diags),
        logging: logging(spec, config_dir, diags),
    }
}

fn metrics(spec: &Mm2Spec, config_dir: &str, diags: &mut Collector) -> Option<Metrics> {
    let m = spec.metrics.clone().unwrap_or_default();
    if m.enabled.as_ref().is_some_and(|e| !e.value) {
        for switch in [&m.pod_monitor, &m.dashboard]
            .into_iter()
            .flatten()
            .filter(|s| s.value)
        {
            diags.push(
                switch
                    .diag(Diagnostic::error(format!(
                        "`{}` needs the metrics endpoint, but `metrics.enabled` is false",
                        switch.path
                    )))
                    .help("set `metrics.enabled: true`, or drop this switch"),
            );
        }
        return None;
    }
    let port = match &m.port {
        None => DEFAULT_METRICS_PORT,
        Some(p) => match u16::try_from(p.value) {
            Ok(port) if port >= 1024 && port != crate::model::REST_PORT => port,
            _ => {
                diags.push(
                    p.diag(Diagnostic::error(format!(
                        "metrics port {} is not a port MirrorMaker2 can listen on",
                        p.value
                    )))
                    .label("not in 1024..=65535, or taken by the REST server")
                    .help(format!(
                        "the pod runs as a non-root user: pick a port from 1024 to 65535 other than {}, e.g. {DEFAULT_METRICS_PORT}",
                        crate::model::REST_PORT
                    )),
                );
                DEFAULT_METRICS_PORT
            }
        },
    };
    let agent_image = one_line(&m.agent_image, diags)
        .unwrap_or_else(|| version::DEFAULT_JMX_EXPORTER_IMAGE.to_string());
    let agent_jar = one_line(&m.agent_jar, diags)
        .unwrap_or_else(|| version::DEFAULT_JMX_EXPORTER_JAR.to_string());
    let alerts = m.alerts.as_ref().and_then(|a| {
        if !a.enabled.as_ref().is_none_or(|e| e.value) {
            return None;
        }
        Some(Alerts {
            replication_latency_seconds: threshold(&a.replication_latency_seconds, 60, diags),
            record_age_seconds: threshold(&a.record_age_seconds, 300, diags),
            checkpoint_age_seconds: threshold(&a.checkpoint_age_seconds, 600, diags),
            for_minutes: threshold(&a.for_minutes, 10, diags),
        })
    });
    Some(Metrics {
        port,
        agent_image,
        agent_jar,
        kafka_opts: format!(
            "-javaagent:{AGENT_DIR}/{AGENT_FILE}={port}:{config_dir}/{EXPORTER_RULES_FILE}"
        ),
        rules: EXPORTER_RULES.to_string(),
        pod_monitor: m.pod_monitor.as_ref().is_some_and(|s| s.value),
        alerts,
        dashboard: m.dashboard.as_ref().is_some_and(|s| s.value),
    })
}

fn one_line(value: &Option<Located<String>>, diags: &mut Collector) -> Option<String> {
    let v = value.as_ref()?;
    if v.value.trim().is_empty() || v.value.contains(['\n', '\r']) {
        diags.push(
            v.diag(Diagnostic::error(format!(
                "`{}` must be one non-empty line",
                v.path
            )))
            .help("write the value on one line, or remove the key to use mm2gen's default"),
        );
        return None;
    }
    Some(v.value.clone())
}

fn threshold(value: &Option<Located<i64>>, default: i64, diags: &mut Collector) -> i64 {
    match value {
        None => default,
        Some(v) if v.value > 0 => v.value,
        Some(v) => {
            diags.push(
                v.diag(Diagnostic::error(format!(
                    "`{}` must be greater than 0, found {}",
                    v.path, v.value
                )))
                .label("an alert with this threshold would always or never fire")
                .help(format!("give a whole number above 0, e.g. {default}")),
            );
            default
        }
    }
}

fn level(value: &Located<String>, diags: &mut Collector) -> Option<&'static str> {
    let upper = value.value.to_ascii_uppercase();
    let found = LOG_LEVELS.iter().find(|l| **l == upper).copied();
    if found.is_none() {
        let help = crate::diagnostics::did_you_mean_or(&upper, LOG_LEVELS.iter().copied(), || {
            format!("log4j2's levels are: {}", LOG_LEVELS.join(", "))
        });
        diags.push(
            value
                .diag(Diagnostic::error(format!(
                    "`{}` is not a log4j2 level",
                    value.value
                )))
                .label("not a level")
                .help(help),
        );
    }
    found
}

/// A logger name as log4j2 and Java spell them: a class or package name.
fn check_logger_name(name: &Located<String>, diags: &mut Collector) -> bool {
    let ok = !name.value.is_empty()
        && name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$' | '-'));
    if !ok {
        diags.push(
            name.diag(Diagnostic::error(format!(
                "`{}` is not a logger name",
                name.value.escape_debug()
            )))
            .label("a logger is named by a Java class or package")
            .help("write a name such as `org.apache.kafka.connect.mirror.MirrorSourceConnector`"),
        );
    }
    ok
}

fn logging(spec: &Mm2Spec, config_dir: &str, diags: &mut Collector) -> Logging {
    let l = spec.logging.clone().unwrap_or_default();
    let root = l
        .level
        .as_ref()
        .and_then(|v| level(v, diags))
        .unwrap_or("INFO");
    let json = l.json.as_ref().is_some_and(|j| j.value);
    let mut out = String::from(
        "# log4j2 config of MirrorMaker2, generated by mm2gen from the descriptor's mirrorMaker2Spec.logging\n\
         status = warn\n\
         appender.stdout.type = Console\n\
         appender.stdout.name = STDOUT\n",
    );
    if json {
        // JsonLayout is in log4j-core and needs only Jackson, which Kafka ships.
        out.push_str(
            "appender.stdout.layout.type = JsonLayout\n\
             appender.stdout.layout.compact = true\n\
             appender.stdout.layout.eventEol = true\n\
             appender.stdout.layout.properties = true\n",
        );
    } else {
        // Kafka's own connect-log4j2 pattern, with the connector context of each line.
        out.push_str(
            "appender.stdout.layout.type = PatternLayout\n\
             appender.stdout.layout.pattern = [%d] %p %X{connector.context}%m (%c:%L)%n\n",
        );
    }
    out.push_str(&format!(
        "rootLogger.level = {root}\nrootLogger.appenderRef.stdout.ref = STDOUT\n"
    ));
    let mut seen = BTreeMap::new();
    for (name, value) in &l.loggers {
        let level = level(value, diags);
        if !check_logger_name(name, diags) {
            continue;
        }
        let Some(level) = level else { continue };
        if seen.insert(name.value.clone(), level).is_some() {
            diags.push(
                name.diag(Diagnostic::error(format!(
                    "logger `{}` is given twice",
                    name.value
                )))
                .help("keep one level per logger"),
            );
        }
    }
    for (i, (name, level)) in seen.iter().enumerate() {
        out.push_str(&format!(
            "logger.l{i}.name = {name}\nlogger.l{i}.level = {level}\n"
        ));
    }
    Logging {
        config: out,
        log4j_opts: format!("-Dlog4j2.configurationFile={config_dir}/{LOG4J2_FILE}"),
    }
}

/// The exporter's rules: MirrorMaker2's own metrics with their flow labels, the Connect
/// worker's task health, the source consumers' lag, the target producers' errors. Names follow
/// Prometheus conventions (base units, `_total` for counters); the JVM's come with the agent.
/// The patterns name each MBean's key properties, so an MBean MirrorMaker2 adds in a later
/// release is left out rather than exported under a guessed name. The exporter matches them
/// unanchored against `domain<keys><>attribute: value`: each ends in `attribute:`, or
/// `record-age-ms` would also take `record-age-ms-max` under the same name. MirrorMaker2's
/// client ids hold `>` and `|`, so the MBean name quotes them: the quotes are not captured.
const EXPORTER_RULES: &str = r#"# Prometheus JMX exporter rules for MirrorMaker2, generated by mm2gen.
lowercaseOutputName: true
lowercaseOutputLabelNames: true
rules:
- pattern: 'kafka.connect.mirror<type=MirrorSourceConnector, source=([^,]+), target=([^,]+), topic=([^,]+), partition=([0-9]+)><>record-count:'
  name: mirrormaker2_source_records_total
  type: COUNTER
  help: Records replicated to the target, per target topic partition
  labels: {source: "$1", target: "$2", topic: "$3", partition: "$4"}
- pattern: 'kafka.connect.mirror<type=MirrorSourceConnector, source=([^,]+), target=([^,]+), topic=([^,]+), partition=([0-9]+)><>byte-count:'
  name: mirrormaker2_source_bytes_total
  type: COUNTER
  help: Bytes replicated to the target, per target topic partition
  labels: {source: "$1", target: "$2", topic: "$3", partition: "$4"}
- pattern: 'kafka.connect.mirror<type=MirrorSourceConnector, source=([^,]+), target=([^,]+), topic=([^,]+), partition=([0-9]+)><>record-age-ms:'
  name: mirrormaker2_source_record_age_seconds
  type: GAUGE
  valueFactor: 0.001
  help: Age of the last replicated record when it was read from the source
  labels: {source: "$1", target: "$2", topic: "$3", partition: "$4"}
- pattern: 'kafka.connect.mirror<type=MirrorSourceConnector, source=([^,]+), target=([^,]+), topic=([^,]+), partition=([0-9]+)><>replication-latency-ms:'
  name: mirrormaker2_source_replication_latency_seconds
  type: GAUGE
  valueFactor: 0.001
  help: Time from the record's timestamp to its write on the target
  labels: {source: "$1", target: "$2", topic: "$3", partition: "$4"}
- pattern: 'kafka.connect.mirror<type=MirrorCheckpointConnector, source=([^,]+), target=([^,]+), group=([^,]+), topic=([^,]+), partition=([0-9]+)><>checkpoint-latency-ms:'
  name: mirrormaker2_checkpoint_latency_seconds
  type: GAUGE
  valueFactor: 0.001
  help: Time from a consumer group's offset commit on the source to its checkpoint on the target
  labels: {source: "$1", target: "$2", group: "$3", topic: "$4", partition: "$5"}
- pattern: 'kafka.connect<type=connect-worker-metrics, connector=([^,]+)><>connector-(running|failed|paused|unassigned|destroyed|restarting)-task-count:'
  name: mirrormaker2_connector_tasks
  type: GAUGE
  help: Tasks of a MirrorMaker2 connector by state
  labels: {connector: "$1", state: "$2"}
- pattern: 'kafka.connect<type=connector-task-metrics, connector=([^,]+), task=([0-9]+)><>offset-commit-failure-percentage:'
  name: mirrormaker2_task_offset_commit_failure_ratio
  type: GAUGE
  help: Share of a task's offset commits that failed
  labels: {connector: "$1", task: "$2"}
- pattern: 'kafka.consumer<type=consumer-fetch-manager-metrics, client-id="?([^,"]+)"?><>records-lag-max:'
  name: mirrormaker2_consumer_records_lag_max
  type: GAUGE
  help: Largest lag in records of a MirrorMaker2 consumer on the source
  labels: {client_id: "$1"}
- pattern: 'kafka.consumer<type=consumer-fetch-manager-metrics, client-id="?([^,"]+)"?><>fetch-total:'
  name: mirrormaker2_consumer_fetches_total
  type: COUNTER
  help: Fetch requests of a MirrorMaker2 consumer
  labels: {client_id: "$1"}
- pattern: 'kafka.producer<type=producer-metrics, client-id="?([^,"]+)"?><>record-error-total:'
  name: mirrormaker2_producer_record_errors_total
  type: COUNTER
  help: Records a MirrorMaker2 producer failed to send to the target
  labels: {client_id: "$1"}
- pattern: 'kafka.producer<type=producer-metrics, client-id="?([^,"]+)"?><>record-retry-total:'
  name: mirrormaker2_producer_record_retries_total
  type: COUNTER
  help: Sends a MirrorMaker2 producer retried
  labels: {client_id: "$1"}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::{AlertsSpec, LoggingSpec, MetricsSpec};

    fn located<T>(value: T, path: &str) -> Located<T> {
        Located {
            value,
            location: None,
            path: path.to_string(),
        }
    }

    fn decided(spec: &Mm2Spec) -> (Observability, Vec<Diagnostic>) {
        let mut diags = Collector::default();
        let o = decide(spec, "/cfg", &mut diags);
        let errors = diags
            .check()
            .err()
            .map(|e| e.diagnostics)
            .unwrap_or_default();
        (o, errors)
    }

    #[test]
    fn metrics_are_on_by_default_with_the_agent_on_the_java_command_line() {
        let (o, errors) = decided(&Mm2Spec::default());
        assert!(errors.is_empty());
        let m = o.metrics.clone().expect("metrics on by default");
        assert_eq!(m.port, DEFAULT_METRICS_PORT);
        assert_eq!(
            m.kafka_opts,
            "-javaagent:/opt/jmx-exporter/jmx_prometheus_javaagent.jar=9404:/cfg/jmx-exporter.yaml"
        );
        assert!(!m.pod_monitor && !m.dashboard && m.alerts.is_none());
        assert_eq!(
            o.logging.log4j_opts,
            "-Dlog4j2.configurationFile=/cfg/log4j2.properties"
        );
        assert!(o.logging.config.contains("rootLogger.level = INFO\n"));
        assert_eq!(
            o.config_files().keys().copied().collect::<Vec<_>>(),
            ["jmx-exporter.yaml", "log4j2.properties"]
        );
    }

    #[test]
    fn the_exporter_rules_are_yaml_with_a_name_for_every_rule() {
        let rules: serde_json::Value = serde_yaml_ng_free_parse(EXPORTER_RULES);
        let rules = rules["rules"].as_array().expect("a list of rules");
        assert!(rules.len() > 5);
        for rule in rules {
            let name = rule["name"].as_str().expect("every rule names its metric");
            assert!(name.starts_with("mirrormaker2_"), "{name}");
            // Unanchored matching: without the colon, `record-age-ms` would also match
            // `record-age-ms-max` (seen in a real scrape) and export it under the same name.
            let pattern = rule["pattern"].as_str().expect("every rule has a pattern");
            assert!(pattern.ends_with(':'), "{pattern}");
            if pattern.starts_with("kafka.connect.mirror<") {
                assert!(
                    pattern.contains("source=([^,]+), target=([^,]+)"),
                    "{pattern}"
                );
            }
            let counter = rule["type"] == "COUNTER";
            assert_eq!(name.ends_with("_total"), counter, "{name}");
        }
    }

    fn serde_yaml_ng_free_parse(text: &str) -> serde_json::Value {
        let file = crate::diagnostics::SourceFile::new("rules", text);
        let docs = crate::yaml::parse_documents(&file).expect("valid YAML");
        docs[0].to_json()
    }

    #[test]
    fn metrics_switched_off_leave_no_agent_and_refuse_objects_that_need_them() {
        let spec = Mm2Spec {
            metrics: Some(MetricsSpec {
                enabled: Some(located(false, "mirrorMaker2Spec.metrics.enabled")),
                ..Default::default()
            }),
            ..Default::default()
        };
        let (o, errors) = decided(&spec);
        assert!(errors.is_empty());
        assert!(o.metrics.is_none());
        assert_eq!(o.config_files().len(), 1);

        let spec = Mm2Spec {
            metrics: Some(MetricsSpec {
                enabled: Some(located(false, "mirrorMaker2Spec.metrics.enabled")),
                dashboard: Some(located(true, "mirrorMaker2Spec.metrics.dashboard")),
                ..Default::default()
            }),
            ..Default::default()
        };
        let (_, errors) = decided(&spec);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("metrics.dashboard"),
            "{:?}",
            errors[0]
        );
    }

    #[test]
    fn thresholds_and_ports_out_of_range_are_errors() {
        let spec = Mm2Spec {
            metrics: Some(MetricsSpec {
                port: Some(located(80, "mirrorMaker2Spec.metrics.port")),
                alerts: Some(AlertsSpec {
                    record_age_seconds: Some(located(
                        0,
                        "mirrorMaker2Spec.metrics.alerts.recordAgeSeconds",
                    )),
                    for_minutes: Some(located(5, "mirrorMaker2Spec.metrics.alerts.forMinutes")),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let (o, errors) = decided(&spec);
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("metrics port 80"));
        assert!(messages[1].contains("recordAgeSeconds"));
        assert_eq!(o.metrics.unwrap().alerts.unwrap().for_minutes, 5);
    }

    #[test]
    fn logger_levels_go_into_the_log4j2_config_sorted_by_logger() {
        let spec = Mm2Spec {
            logging: Some(LoggingSpec {
                level: Some(located("warn".into(), "mirrorMaker2Spec.logging.level")),
                loggers: vec![
                    (
                        located(
                            "org.apache.kafka.connect.mirror.MirrorSourceConnector".into(),
                            "l",
                        ),
                        located("DEBUG".into(), "l"),
                    ),
                    (
                        located("org.apache.kafka.clients".into(), "l"),
                        located("error".into(), "l"),
                    ),
                ],
                json: Some(located(true, "mirrorMaker2Spec.logging.json")),
            }),
            ..Default::default()
        };
        let (o, errors) = decided(&spec);
        assert!(errors.is_empty(), "{errors:?}");
        let config = o.logging.config;
        assert!(config.contains("rootLogger.level = WARN\n"));
        assert!(config.contains("layout.type = JsonLayout\n"));
        assert!(config.contains(
            "logger.l0.name = org.apache.kafka.clients\nlogger.l0.level = ERROR\n\
             logger.l1.name = org.apache.kafka.connect.mirror.MirrorSourceConnector\nlogger.l1.level = DEBUG\n"
        ));
    }

    #[test]
    fn a_wrong_level_or_logger_name_is_an_error_that_suggests_the_fix() {
        let spec = Mm2Spec {
            logging: Some(LoggingSpec {
                level: Some(located("DEBG".into(), "mirrorMaker2Spec.logging.level")),
                loggers: vec![(
                    located("org.apache\nrootLogger.level = OFF".into(), "l"),
                    located("INFO".into(), "l"),
                )],
                json: None,
            }),
            ..Default::default()
        };
        let (o, errors) = decided(&spec);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].message.contains("`DEBG` is not a log4j2 level"));
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `DEBUG`?"));
        assert!(errors[1].message.contains("is not a logger name"));
        assert!(!o.logging.config.contains("OFF"), "{}", o.logging.config);
    }
}
