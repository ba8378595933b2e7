//! The typed check: every rendered object is read into its Kubernetes type (k8s-openapi; a
//! local type for Koperator's KafkaUser). A k8s-openapi object is also written back: a field
//! the type does not know would be silently dropped by the API server or the operator, so it
//! is an error here. The local KafkaUser types refuse unknown fields while they are read.

use std::collections::BTreeMap;

use k8s_openapi::api::{apps, autoscaling, core, networking, policy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostics::Diagnostic;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub help: String,
}

/// Reads `value` as `T`; fails on a wrong type (or on an unknown field, for types that refuse
/// them).
fn read<T: DeserializeOwned>(value: &Value) -> Result<T, Problem> {
    // Tracking the path costs as much as reading the object, so it is tracked only to
    // explain a failure, by reading the object again.
    T::deserialize(value).map_err(|plain| {
        let message = match serde_path_to_error::deserialize::<_, T>(value) {
            Err(e) if e.path().to_string() != "." => format!("at `{}`: {}", e.path(), e.inner()),
            _ => plain.to_string(),
        };
        Problem {
            message,
            help: "check the value against the Kubernetes API reference for this field".to_string(),
        }
    })
}

/// Reads `value` as `T` and writes it back; fails on a wrong type or a field `T` would drop.
pub fn roundtrip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, Problem> {
    let typed: T = read(value)?;
    let back = serde_json::to_value(&typed).map_err(|e| Problem {
        message: e.to_string(),
        help: String::new(),
    })?;
    if let Some(path) = first_dropped(value, &back) {
        let field = path.rsplit('.').next().unwrap_or(&path).to_string();
        return Err(Problem {
            message: format!("`{path}` is not a field of this Kubernetes type"),
            help: format!(
                "check the spelling of `{field}` (field names are camelCase, e.g. `nodeAffinity`)"
            ),
        });
    }
    Ok(back)
}

fn written_back<T: DeserializeOwned + Serialize>(object: &Value) -> Result<(), Problem> {
    roundtrip::<T>(object).map(drop)
}

/// A KafkaUser: its own fields are read by types that refuse unknown ones (writing a user with
/// thousands of grants back just to compare was a noticeable part of a large render); its
/// metadata is a k8s-openapi type and is written back like any other.
fn check_kafka_user(object: &Value) -> Result<(), Problem> {
    read::<KafkaUser>(object)?;
    roundtrip::<ObjectMeta>(&object["metadata"])
        .map(drop)
        .map_err(|p| Problem {
            message: format!("in `metadata`: {}", p.message),
            ..p
        })
}

/// The path of the first field of `original` that the typed roundtrip lost. The path is built
/// only when something was lost: every object is compared on every render.
fn first_dropped(original: &Value, back: &Value) -> Option<String> {
    let mut segments = dropped_segments(original, back)?;
    segments.reverse();
    let mut path = String::new();
    for segment in segments {
        match segment {
            Segment::Key(k) if path.is_empty() => path.push_str(k),
            Segment::Key(k) => {
                path.push('.');
                path.push_str(k);
            }
            Segment::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    Some(path)
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// The lost field's path, innermost segment first.
fn dropped_segments<'a>(original: &'a Value, back: &Value) -> Option<Vec<Segment<'a>>> {
    match (original, back) {
        (Value::Object(o), Value::Object(b)) => o.iter().find_map(|(k, v)| {
            let mut path = match b.get(k) {
                None if v.is_null() => return None,
                None => Vec::new(),
                Some(bv) => dropped_segments(v, bv)?,
            };
            path.push(Segment::Key(k));
            Some(path)
        }),
        (Value::Array(o), Value::Array(b)) => {
            o.iter().zip(b).enumerate().find_map(|(i, (v, bv))| {
                let mut path = dropped_segments(v, bv)?;
                path.push(Segment::Index(i));
                Some(path)
            })
        }
        (Value::Object(_), _) => Some(Vec::new()),
        _ => None,
    }
}

/// Koperator's KafkaUser (kafka.banzaicloud.io/v1alpha1), the fields of its CRD schema. No
/// field is ever read: reading an object into these types is the check.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KafkaUser {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: KafkaUserSpec,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KafkaUserSpec {
    annotations: Option<BTreeMap<String, String>>,
    cluster_ref: ClusterRef,
    create_cert: Option<bool>,
    dns_names: Option<Vec<String>>,
    expiration_seconds: Option<i32>,
    include_jks: Option<bool>,
    secret_name: String,
    topic_grants: Option<Vec<TopicGrant>>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct ClusterRef {
    name: String,
    namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TopicGrant {
    access_type: AccessType,
    pattern_type: Option<PatternType>,
    topic_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum AccessType {
    Read,
    Write,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum PatternType {
    Literal,
    Match,
    Prefixed,
    Any,
}

/// The Prometheus Operator's PodMonitor (monitoring.coreos.com/v1), the fields mm2gen writes;
/// tests/tools.rs checks the rendered objects against the CRD's own schema as well.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PodMonitor {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: PodMonitorSpec,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PodMonitorSpec {
    selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    pod_metrics_endpoints: Vec<PodMetricsEndpoint>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PodMetricsEndpoint {
    port: String,
    path: String,
    interval: String,
}

/// The Prometheus Operator's PrometheusRule (monitoring.coreos.com/v1).
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PrometheusRule {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: PrometheusRuleSpec,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct PrometheusRuleSpec {
    groups: Vec<RuleGroup>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct RuleGroup {
    name: String,
    rules: Vec<AlertingRule>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct AlertingRule {
    alert: String,
    expr: String,
    #[serde(rename = "for")]
    for_: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

/// Checks one rendered object by its apiVersion and kind.
pub fn check_object(object: &Value) -> Result<(), Diagnostic> {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let result = match (api_version, kind) {
        ("v1", "ServiceAccount") => written_back::<core::v1::ServiceAccount>(object),
        ("v1", "ConfigMap") => written_back::<core::v1::ConfigMap>(object),
        ("v1", "Secret") => written_back::<core::v1::Secret>(object),
        ("v1", "Service") => written_back::<core::v1::Service>(object),
        ("apps/v1", "Deployment") => written_back::<apps::v1::Deployment>(object),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            written_back::<autoscaling::v2::HorizontalPodAutoscaler>(object)
        }
        ("networking.k8s.io/v1", "NetworkPolicy") => {
            written_back::<networking::v1::NetworkPolicy>(object)
        }
        ("policy/v1", "PodDisruptionBudget") => {
            written_back::<policy::v1::PodDisruptionBudget>(object)
        }
        ("kafka.banzaicloud.io/v1alpha1", "KafkaUser") => check_kafka_user(object),
        ("monitoring.coreos.com/v1", "PodMonitor") => read::<PodMonitor>(object).map(drop),
        ("monitoring.coreos.com/v1", "PrometheusRule") => read::<PrometheusRule>(object).map(drop),
        _ => Err(Problem {
            message: format!("no typed check for {api_version} {kind}"),
            help: String::new(),
        }),
    };
    result.map_err(|p| {
        Diagnostic::error(format!(
            "internal error: the rendered {kind} does not pass the typed check: {}",
            p.message
        ))
        .help("this is a bug in mm2gen's templates; please report it with the descriptor")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_reported_with_their_path() {
        let affinity = json!({"nodeAfinity": {}});
        let err = roundtrip::<core::v1::Affinity>(&affinity).unwrap_err();
        assert_eq!(
            err.message,
            "`nodeAfinity` is not a field of this Kubernetes type"
        );
        let toleration = json!([{"key": "a", "efect": "NoSchedule"}]);
        let err = roundtrip::<Vec<core::v1::Toleration>>(&toleration).unwrap_err();
        assert!(err.message.contains("[0].efect"), "{}", err.message);
    }

    #[test]
    fn wrong_types_are_reported_with_their_path() {
        let r = json!({"limits": {"memory": ["1Gi"]}});
        let err = roundtrip::<core::v1::ResourceRequirements>(&r).unwrap_err();
        assert!(
            err.message.starts_with("at `limits.memory`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn kafka_user_grants_are_checked() {
        let user = json!({"apiVersion": "kafka.banzaicloud.io/v1alpha1", "kind": "KafkaUser",
            "metadata": {"name": "u"}, "spec": {"clusterRef": {"name": "kafka"}, "secretName": "s",
            "topicGrants": [{"topicName": "t", "accessType": "admin"}]}});
        assert!(check_object(&user).is_err());
    }

    #[test]
    fn a_kafka_user_field_the_crd_does_not_have_is_reported_with_its_path() {
        let user = |spec: Value, metadata: Value| {
            json!({"apiVersion": "kafka.banzaicloud.io/v1alpha1", "kind": "KafkaUser",
                "metadata": metadata, "spec": spec})
        };
        let spec = json!({"clusterRef": {"name": "kafka"}, "secretName": "s",
            "topicGrants": [{"topicName": "t", "accessType": "read", "patternType": "literal"}]});
        assert!(check_object(&user(spec.clone(), json!({"name": "u"}))).is_ok());

        let mut typo = spec.clone();
        typo["topicGrants"][0]["patternTyp"] = json!("literal");
        let err = check_object(&user(typo, json!({"name": "u"}))).unwrap_err();
        assert!(
            err.message
                .contains("at `spec.topicGrants[0].patternTyp`: unknown field `patternTyp`"),
            "{}",
            err.message
        );

        let err = check_object(&user(spec, json!({"name": "u", "label": {"a": "b"}}))).unwrap_err();
        assert!(
            err.message.contains("`label` is not a field"),
            "{}",
            err.message
        );
    }

    /// One minimal object of every kind the check knows.
    fn one_of_each_kind() -> Vec<Value> {
        [
            ("v1", "ServiceAccount"),
            ("v1", "ConfigMap"),
            ("v1", "Secret"),
            ("v1", "Service"),
            ("apps/v1", "Deployment"),
            ("autoscaling/v2", "HorizontalPodAutoscaler"),
            ("networking.k8s.io/v1", "NetworkPolicy"),
            ("policy/v1", "PodDisruptionBudget"),
        ]
        .into_iter()
        .map(|(api_version, kind)| {
            json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}})
        })
        .collect()
    }

    #[test]
    fn every_kind_refuses_a_field_its_type_drops() {
        for object in one_of_each_kind() {
            let kind = object["kind"].as_str().unwrap().to_string();
            check_object(&object).unwrap_or_else(|d| panic!("{kind}: {}", d.message));
            let mut typo = object.clone();
            typo["metadata"]["lables"] = json!({"a": "b"});
            let err = check_object(&typo).expect_err(&kind);
            assert_eq!(
                err.message,
                format!(
                    "internal error: the rendered {kind} does not pass the typed check: \
                     `metadata.lables` is not a field of this Kubernetes type"
                )
            );
            let mut top = object.clone();
            top["spc"] = json!({});
            let err = check_object(&top).expect_err(&kind);
            assert!(err
                .message
                .ends_with(": `spc` is not a field of this Kubernetes type"));
        }
    }

    #[test]
    fn an_unknown_kind_has_no_typed_check() {
        let err = check_object(&json!({"apiVersion": "v1", "kind": "Pod"})).unwrap_err();
        assert_eq!(
            err.message,
            "internal error: the rendered Pod does not pass the typed check: no typed check for v1 Pod"
        );
        assert!(check_object(&json!({"apiVersion": "v2", "kind": "ConfigMap"})).is_err());
    }

    #[test]
    fn explicit_null_fields_are_not_dropped_fields() {
        let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": null}, "data": null});
        check_object(&config_map).unwrap();
        let back = roundtrip::<core::v1::ConfigMap>(&config_map).unwrap();
        assert_eq!(
            back,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
        );
    }

    #[test]
    fn an_object_that_comes_back_as_something_else_is_dropped() {
        let original = json!({"spec": {"selector": {"a": 1}}});
        assert_eq!(
            first_dropped(&original, &json!({"spec": {"selector": "a"}})).as_deref(),
            Some("spec.selector")
        );
        assert_eq!(
            first_dropped(&json!({"a": 1}), &json!("x")).as_deref(),
            Some("")
        );
        // Scalars and arrays are compared by their fields only, not by value.
        assert_eq!(first_dropped(&json!({"a": 1}), &json!({"a": 2})), None);
        assert_eq!(
            first_dropped(
                &json!({"l": [{"k": 1}, {"j": 2}]}),
                &json!({"l": [{"k": 1}, {}]})
            )
            .as_deref(),
            Some("l[1].j")
        );
        assert_eq!(first_dropped(&original, &original), None);
    }

    #[test]
    fn the_help_names_the_innermost_field() {
        let pod = json!({"containers": [{"name": "c", "resources": {"limitz": {}}}]});
        let err = roundtrip::<core::v1::PodSpec>(&pod).unwrap_err();
        assert_eq!(
            err.message,
            "`containers[0].resources.limitz` is not a field of this Kubernetes type"
        );
        assert_eq!(
            err.help,
            "check the spelling of `limitz` (field names are camelCase, e.g. `nodeAffinity`)"
        );
    }

    #[test]
    fn an_error_at_the_root_has_no_path() {
        let not_an_object = json!("x");
        let plain = serde_json::from_value::<core::v1::ConfigMap>(not_an_object.clone())
            .unwrap_err()
            .to_string();
        let err = roundtrip::<core::v1::ConfigMap>(&not_an_object).unwrap_err();
        assert_eq!(err.message, plain);
        assert!(!err.message.starts_with("at "), "{}", err.message);
        assert_eq!(
            err.help,
            "check the value against the Kubernetes API reference for this field"
        );
    }

    #[test]
    fn kafka_user_metadata_errors_say_they_are_in_metadata() {
        let user = json!({"apiVersion": "kafka.banzaicloud.io/v1alpha1", "kind": "KafkaUser",
            "metadata": {"name": "u", "label": {"a": "b"}},
            "spec": {"clusterRef": {"name": "kafka"}, "secretName": "s"}});
        let err = check_object(&user).unwrap_err();
        assert_eq!(
            err.message,
            "internal error: the rendered KafkaUser does not pass the typed check: \
             in `metadata`: `label` is not a field of this Kubernetes type"
        );
    }
}
