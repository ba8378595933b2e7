//! MirrorMaker2's identity on the target: a Koperator `KafkaUser` named after the in-mesh
//! principal (`<namespace>-<serviceaccount>`, as Streaming Data Manager's Istio ACLs see it)
//! with the topic grants MirrorMaker2 needs there, as narrow as the flows allow.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::descriptor::Descriptor;
use crate::diagnostics::{Collector, Diagnostic};

use super::names::check_dns_label;
use super::view::{Flow, KafkaUserModel};
use crate::properties::UserProperties;

/// One entry of the KafkaUser's `spec.topicGrants`, serialized in the CRD's shape.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct TopicGrant {
    pub topic_name: String,
    /// `read` or `write`.
    pub access_type: &'static str,
    /// `literal` or `prefixed`.
    pub pattern_type: &'static str,
}

/// A `topics` pattern of MirrorMaker2 (a Java regex) as an ACL resource.
#[derive(Debug, PartialEq, Eq)]
enum TopicPattern {
    Literal(String),
    Prefix(String),
    Any,
}

fn classify_pattern(pattern: &str) -> TopicPattern {
    let (body, prefixed) = match pattern.strip_suffix(".*") {
        Some(b) if !b.ends_with('\\') => (b, true),
        _ => (pattern, false),
    };
    // `\.` is a literal dot; an unescaped `.` is read as the dot users mean in topic names.
    let literal = body.replace("\\.", ".").replace("\\-", "-");
    let plain = !literal.is_empty()
        && literal
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    match (plain, prefixed) {
        (true, false) => TopicPattern::Literal(literal),
        (true, true) => TopicPattern::Prefix(literal),
        (false, true) if body.is_empty() => TopicPattern::Any,
        _ => TopicPattern::Any,
    }
}

#[allow(clippy::too_many_arguments)]
pub fn kafka_user(
    d: &Descriptor,
    props: &UserProperties,
    flows: &[Flow],
    target_alias: &str,
    target: Option<(&str, &str)>,
    name: &str,
    namespace: &str,
    diags: &mut Collector,
) -> Option<KafkaUserModel> {
    let spec = d.spec.kafka_user.clone().unwrap_or_default();
    if spec.enabled.as_ref().is_some_and(|e| !e.value) {
        return None;
    }
    let (cluster_namespace, cluster_name) = target?;
    let user_name = spec
        .name
        .as_ref()
        .map_or_else(|| format!("{namespace}-{name}"), |n| n.value.clone());
    if let Err(why) = check_dns_label(&user_name, 63) {
        let d = Diagnostic::error(format!("KafkaUser name `{}` {why}", user_name.escape_default()))
            .help("set mirrorMaker2Spec.kafkaUser.name to the principal Streaming Data Manager gives MirrorMaker2 (`<namespace>-<serviceaccount>`)");
        diags.push(match &spec.name {
            Some(n) => n.diag(d),
            None => d,
        });
    }

    let mut grants = BTreeSet::new();
    let mut notes = Vec::new();
    let mut warned = BTreeSet::new();
    let both = |topic: String, pattern: &'static str, grants: &mut BTreeSet<TopicGrant>| {
        for access in ["read", "write"] {
            grants.insert(TopicGrant {
                topic_name: topic.clone(),
                access_type: access,
                pattern_type: pattern,
            });
        }
    };
    // Connect's own topics (mm2-configs/-offsets/-status.<source>.internal) and the offset-syncs
    // topic (`mm2-offset-syncs<sep><alias><sep>internal`) all start with `mm2-`.
    both("mm2-".to_string(), "prefixed", &mut grants);
    both("heartbeats".to_string(), "literal", &mut grants);
    for key in [
        "offset.storage.topic",
        "config.storage.topic",
        "status.storage.topic",
    ] {
        if let Some(e) = props.get(key) {
            both(e.value.trim().to_string(), "literal", &mut grants);
        }
    }
    for flow in flows.iter().filter(|f| f.target == target_alias) {
        let policy = &flow.policy;
        both(policy.checkpoints_topic(), "literal", &mut grants);
        let flow_key = format!("{}->{}.topics", flow.source, flow.target);
        // Which key the patterns come from, for the note: aliases are validated names and the
        // keys mm2gen's own, while the patterns are user text that may hold line breaks.
        let (patterns, from_key) = match props.get(&flow_key) {
            Some(e) => (e.value.clone(), Some(flow_key.as_str())),
            None => match props.get("topics") {
                Some(e) => (e.value.clone(), Some("topics")),
                None => (".*".to_string(), None),
            },
        };
        let why_broad = match from_key {
            Some(key) => format!("`{key}` holds a pattern that is neither a literal topic name nor `prefix.*`"),
            None => format!("neither `{flow_key}` nor `topics` is set (MirrorMaker2 then replicates every topic)"),
        };
        for pattern in patterns.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let write = |topic: String, pattern_type: &'static str| TopicGrant {
                topic_name: topic,
                access_type: "write",
                pattern_type,
            };
            let grant = match (classify_pattern(pattern), policy.remote_prefix()) {
                (TopicPattern::Literal(t), Some(_)) => {
                    policy.remote_topic(&t).map(|r| write(r, "literal"))
                }
                (TopicPattern::Prefix(p), Some(_)) => {
                    policy.remote_topic(&p).map(|r| write(r, "prefixed"))
                }
                (TopicPattern::Any, Some(prefix)) if !prefix.is_empty() => {
                    Some(write(prefix, "prefixed"))
                }
                _ => None,
            };
            match grant {
                Some(g) => {
                    grants.insert(g);
                }
                None => {
                    grants.insert(write("*".to_string(), "literal"));
                    let why = format!(
                        "flow {}->{} replicates topics under their own names and {why_broad}, so MirrorMaker2 may write any topic on the target",
                        flow.source, flow.target
                    );
                    if warned.insert((flow_key.clone(), pattern.to_string())) {
                        diags.push(
                            Diagnostic::warning(format!(
                                "KafkaUser `{user_name}` grants write on every topic: flow {}->{} replicates topics matching `{}` under their own names, so MirrorMaker2 may write any topic on the target",
                                flow.source, flow.target, crate::output::comment_line(pattern)
                            ))
                            .help(format!("list literal topic names or `prefix.*` patterns in `{flow_key}` to narrow the grant")),
                        );
                    }
                    if !notes.contains(&why) {
                        notes.push(why);
                    }
                }
            }
        }
    }
    notes.push(
        "KafkaUser cannot express cluster-level ACLs: if the target enforces ACLs for this principal, also grant DESCRIBE_CONFIGS and ALTER_CONFIGS on the replicated topics (topic config sync) and ALTER on the cluster (sync.topic.acls.enabled) with Streaming Data Manager's ACL resources".to_string(),
    );
    Some(KafkaUserModel {
        secret_name: format!("{user_name}-kafkauser"),
        name: user_name,
        namespace: namespace.to_string(),
        cluster_name: cluster_name.to_string(),
        cluster_namespace: cluster_namespace.to_string(),
        grants: grants.into_iter().collect(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_patterns_become_the_narrowest_acl() {
        assert_eq!(
            classify_pattern("orders"),
            TopicPattern::Literal("orders".into())
        );
        assert_eq!(
            classify_pattern("orders\\.v1"),
            TopicPattern::Literal("orders.v1".into())
        );
        assert_eq!(
            classify_pattern("payments.*"),
            TopicPattern::Prefix("payments".into())
        );
        assert_eq!(classify_pattern(".*"), TopicPattern::Any);
        assert_eq!(classify_pattern("a|b"), TopicPattern::Any);
    }
}
