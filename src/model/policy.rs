//! Topic names as MirrorMaker2's replication policy builds them, for the KafkaUser grants.
//!
//! Mirrors `DefaultReplicationPolicy` / `IdentityReplicationPolicy` of the pinned Kafka
//! version: remote topic = alias + separator + topic (identity: topic), internal topics use the
//! separator unless `replication.policy.internal.topic.separator.enabled=false`, and the aliases
//! the policy sees are `source.cluster.alias`/`target.cluster.alias` when the user set them
//! (the guide's empty-alias trick), else the flow's aliases.

use super::UserProperties;

pub const DEFAULT_POLICY: &str = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy";
pub const IDENTITY_POLICY: &str = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyKind {
    Default,
    Identity,
    /// A class mm2gen does not know: names cannot be predicted.
    Custom(String),
}

#[derive(Debug, Clone)]
pub struct NamingPolicy {
    pub kind: PolicyKind,
    pub separator: String,
    pub internal_separator: String,
    pub source_alias: String,
    pub target_alias: String,
}

impl NamingPolicy {
    /// The policy one flow runs with: flow-level keys override top-level ones.
    pub fn for_flow(props: &UserProperties, source: &str, target: &str) -> NamingPolicy {
        let lookup_raw = |key: &str| {
            props
                .get(&format!("{source}->{target}.{key}"))
                .or_else(|| props.get(key))
        };
        let lookup = |key: &str| lookup_raw(key).map(|e| e.value.trim().to_string());
        let kind = match lookup("replication.policy.class").as_deref() {
            None | Some(DEFAULT_POLICY) | Some("") => PolicyKind::Default,
            Some(IDENTITY_POLICY) => PolicyKind::Identity,
            Some(other) => PolicyKind::Custom(other.to_string()),
        };
        // java.util.Properties keeps trailing spaces of a value and MirrorMaker2 uses the
        // separator as is, so it is not trimmed.
        let separator =
            lookup_raw("replication.policy.separator").map_or(".".to_string(), |e| e.value.clone());
        let internal_enabled = lookup("replication.policy.internal.topic.separator.enabled")
            .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
        NamingPolicy {
            kind,
            internal_separator: if internal_enabled {
                separator.clone()
            } else {
                ".".to_string()
            },
            separator,
            source_alias: lookup("source.cluster.alias").unwrap_or_else(|| source.to_string()),
            target_alias: lookup("target.cluster.alias").unwrap_or_else(|| target.to_string()),
        }
    }

    /// The name a source topic gets on the target, if the policy is known.
    pub fn remote_topic(&self, topic: &str) -> Option<String> {
        match self.kind {
            PolicyKind::Default => Some(format!("{}{}{topic}", self.source_alias, self.separator)),
            PolicyKind::Identity => Some(topic.to_string()),
            PolicyKind::Custom(_) => None,
        }
    }

    /// The prefix every remote topic of this flow starts with ("" when names are kept).
    pub fn remote_prefix(&self) -> Option<String> {
        self.remote_topic("")
    }

    pub fn checkpoints_topic(&self) -> String {
        let s = &self.internal_separator;
        format!("{}{s}checkpoints{s}internal", self.source_alias)
    }

    pub fn offset_syncs_topic(&self, cluster_alias: &str) -> String {
        let s = &self.internal_separator;
        format!("mm2-offset-syncs{s}{cluster_alias}{s}internal")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties::parse;

    fn props(text: &str) -> UserProperties {
        UserProperties::new(text.to_string(), parse(text).unwrap(), None)
    }

    #[test]
    fn default_policy_prefixes_the_source_alias() {
        let p = NamingPolicy::for_flow(&props(""), "src", "dst");
        assert_eq!(p.remote_topic("orders").unwrap(), "src.orders");
        assert_eq!(p.checkpoints_topic(), "src.checkpoints.internal");
        assert_eq!(p.offset_syncs_topic("dst"), "mm2-offset-syncs.dst.internal");
    }

    #[test]
    fn guide_trick_keeps_names_but_mangles_internal_topics() {
        let text = "replication.policy.separator=\nsource.cluster.alias=\ntarget.cluster.alias=\n";
        let p = NamingPolicy::for_flow(&props(text), "src", "dst");
        assert_eq!(p.remote_topic("orders").unwrap(), "orders");
        assert_eq!(p.checkpoints_topic(), "checkpointsinternal");
        assert_eq!(
            p.offset_syncs_topic(&p.target_alias),
            "mm2-offset-syncsinternal"
        );
    }

    #[test]
    fn identity_policy_keeps_names() {
        let text = format!("replication.policy.class={IDENTITY_POLICY}\n");
        let p = NamingPolicy::for_flow(&props(&text), "src", "dst");
        assert_eq!(p.remote_topic("orders").unwrap(), "orders");
        assert_eq!(p.checkpoints_topic(), "src.checkpoints.internal");
    }
}
