//! Topic names as MirrorMaker2's replication policy builds them, for the KafkaUser grants.
//!
//! Mirrors `DefaultReplicationPolicy` / `IdentityReplicationPolicy` of the pinned Kafka
//! version: remote topic = alias + separator + topic (identity: topic), internal topics use the
//! separator unless `replication.policy.internal.topic.separator.enabled=false`, and the aliases
//! the policy sees are `source.cluster.alias`/`target.cluster.alias` when the user set them
//! (the guide's empty-alias trick), else the flow's aliases.

use crate::properties::UserProperties;

pub const DEFAULT_POLICY: &str = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy";
pub const IDENTITY_POLICY: &str = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyKind {
    Default,
    Identity,
    /// A class mm2gen does not know: names cannot be predicted.
    Custom(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
        let flow_prefix = format!("{source}->{target}.");
        let mut flow_key = flow_prefix.clone();
        let mut lookup_raw = |key: &str| {
            flow_key.truncate(flow_prefix.len());
            flow_key.push_str(key);
            props.get(&flow_key).or_else(|| props.get(key))
        };
        let trimmed = |e: &crate::properties::Entry| e.value.trim().to_string();
        let kind = match lookup_raw("replication.policy.class")
            .map(trimmed)
            .as_deref()
        {
            None | Some(DEFAULT_POLICY) | Some("") => PolicyKind::Default,
            Some(IDENTITY_POLICY) => PolicyKind::Identity,
            Some(other) => PolicyKind::Custom(other.to_string()),
        };
        // java.util.Properties keeps trailing spaces of a value and MirrorMaker2 uses the
        // separator as is, so it is not trimmed.
        let separator =
            lookup_raw("replication.policy.separator").map_or(".".to_string(), |e| e.value.clone());
        let internal_enabled = lookup_raw("replication.policy.internal.topic.separator.enabled")
            .map(trimmed)
            .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
        NamingPolicy {
            kind,
            internal_separator: if internal_enabled {
                separator.clone()
            } else {
                ".".to_string()
            },
            separator,
            source_alias: lookup_raw("source.cluster.alias")
                .map(trimmed)
                .unwrap_or_else(|| source.to_string()),
            target_alias: lookup_raw("target.cluster.alias")
                .map(trimmed)
                .unwrap_or_else(|| target.to_string()),
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

    // What follows decides which source topics a flow replicates, as
    // `MirrorSourceConnector.shouldReplicateTopic` does with the pinned Kafka's policies.
    // `None` where the policy is a class mm2gen does not know.

    /// The cluster a topic name says it comes from (`ReplicationPolicy.topicSource`).
    pub fn topic_source(&self, topic: &str) -> Option<Option<String>> {
        match &self.kind {
            PolicyKind::Custom(_) => None,
            PolicyKind::Identity if !self.looks_like_heartbeat(topic) => {
                Some(Some(self.source_alias.clone()))
            }
            _ => {
                let parts = java_split(topic, &self.separator);
                Some((parts.len() >= 2).then(|| parts[0].to_string()))
            }
        }
    }

    /// The name one hop upstream (`ReplicationPolicy.upstreamTopic`).
    pub fn upstream_topic(&self, topic: &str) -> Option<Option<String>> {
        match &self.kind {
            PolicyKind::Custom(_) => None,
            PolicyKind::Identity if !self.looks_like_heartbeat(topic) => {
                Some(Some(topic.to_string()))
            }
            _ => Some(self.topic_source(topic)?.map(|source| {
                topic
                    .get(source.len() + self.separator.len()..)
                    .unwrap_or("")
                    .to_string()
            })),
        }
    }

    fn looks_like_heartbeat(&self, topic: &str) -> bool {
        topic.ends_with(HEARTBEATS_TOPIC)
    }

    /// `ReplicationPolicy.isHeartbeatsTopic`: the topic, followed upstream, is `heartbeats`.
    pub fn is_heartbeats_topic(&self, topic: &str) -> Option<bool> {
        let mut current = topic.to_string();
        // Each hop strips at least one character, so this ends.
        loop {
            match self.upstream_topic(&current)? {
                Some(up) if up != current => current = up,
                _ => return Some(current == HEARTBEATS_TOPIC),
            }
        }
    }

    /// `ReplicationPolicy.isInternalTopic`: Kafka's own topics and MirrorMaker2's.
    pub fn is_internal_topic(&self, topic: &str) -> Option<bool> {
        if matches!(self.kind, PolicyKind::Custom(_)) {
            return None;
        }
        let s = &self.internal_separator;
        let mm2_internal = (topic.starts_with("mm2") && topic.ends_with(&format!("{s}internal")))
            || topic.ends_with(&format!("{s}checkpoints{s}internal"));
        Some(topic.starts_with("__") || topic.starts_with('.') || mm2_internal)
    }

    /// `MirrorSourceConnector.isCycle`: the topic came from `target` at some hop upstream.
    pub fn is_cycle(&self, topic: &str, target: &str) -> Option<bool> {
        let mut current = topic.to_string();
        loop {
            match self.topic_source(&current)? {
                None => return Some(false),
                Some(source) if source == target => return Some(true),
                Some(_) => match self.upstream_topic(&current)? {
                    Some(up) if up != current => current = up,
                    _ => return Some(false),
                },
            }
        }
    }
}

/// `ReplicationPolicy.heartbeatsTopic()`.
pub const HEARTBEATS_TOPIC: &str = "heartbeats";

/// `String.split(Pattern.quote(separator))`: an empty separator splits between every
/// character, and trailing empty parts are dropped.
fn java_split<'a>(text: &'a str, separator: &str) -> Vec<&'a str> {
    let mut parts: Vec<&str> = if separator.is_empty() {
        text.char_indices()
            .map(|(i, c)| &text[i..i + c.len_utf8()])
            .collect()
    } else {
        text.split(separator).collect()
    };
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
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
    fn decides_internal_heartbeat_and_cycle_topics_like_kafka() {
        let default = NamingPolicy::for_flow(&props(""), "src", "dst");
        assert_eq!(default.topic_source("dst.orders"), Some(Some("dst".into())));
        assert_eq!(default.topic_source("orders"), Some(None));
        assert_eq!(default.is_cycle("dst.orders", "dst"), Some(true));
        assert_eq!(default.is_cycle("other.dst.orders", "dst"), Some(true));
        assert_eq!(default.is_cycle("other.orders", "dst"), Some(false));
        assert_eq!(default.is_heartbeats_topic("a.b.heartbeats"), Some(true));
        assert_eq!(default.is_heartbeats_topic("my-heartbeats"), Some(false));
        assert_eq!(default.is_internal_topic("__consumer_offsets"), Some(true));
        assert_eq!(default.is_internal_topic(".hidden"), Some(true));
        assert_eq!(
            default.is_internal_topic("mm2-offsets.src.internal"),
            Some(true)
        );
        assert_eq!(
            default.is_internal_topic("src.checkpoints.internal"),
            Some(true)
        );
        assert_eq!(default.is_internal_topic("orders.internal"), Some(false));

        // The guide's trick: an empty separator makes every name of two or more characters
        // look remote, from the cluster named by its first character.
        let text = "replication.policy.separator=\nsource.cluster.alias=\ntarget.cluster.alias=\n";
        let trick = NamingPolicy::for_flow(&props(text), "src", "dst");
        assert_eq!(trick.topic_source("orders"), Some(Some("o".into())));
        assert_eq!(trick.upstream_topic("orders"), Some(Some("rders".into())));
        assert_eq!(trick.is_cycle("orders", "dst"), Some(false));
        assert_eq!(trick.is_cycle("orders", "d"), Some(true));
        assert_eq!(trick.is_heartbeats_topic("heartbeats"), Some(false));
        assert_eq!(
            trick.is_internal_topic("mm2-offset-syncsinternal"),
            Some(true)
        );

        let identity = NamingPolicy::for_flow(
            &props(&format!("replication.policy.class={IDENTITY_POLICY}\n")),
            "src",
            "dst",
        );
        assert_eq!(identity.is_cycle("dst.orders", "dst"), Some(false));
        assert_eq!(identity.is_heartbeats_topic("src.heartbeats"), Some(true));
        let custom = NamingPolicy::for_flow(
            &props("replication.policy.class=com.example.Policy\n"),
            "src",
            "dst",
        );
        assert_eq!(custom.is_cycle("orders", "dst"), None);
    }

    #[test]
    fn identity_policy_keeps_names() {
        let text = format!("replication.policy.class={IDENTITY_POLICY}\n");
        let p = NamingPolicy::for_flow(&props(&text), "src", "dst");
        assert_eq!(p.remote_topic("orders").unwrap(), "orders");
        assert_eq!(p.checkpoints_topic(), "src.checkpoints.internal");
    }
}
