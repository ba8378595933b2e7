//! Which mm2.properties keys hold secret material, and whose cluster a key belongs to: the one
//! rule that render, lint and every diagnostic (which masks secret values) share.
//!
//! A secret in any line of mm2.properties ends up in the ConfigMap, whether or not
//! MirrorMaker2 reads the key where it is written, so whether a key is secret depends only on
//! its last part (`...ssl.key.password`), never on its scope. The scope matters for the other
//! question, which cluster's Secret a placeholder refers to. MirrorMaker2 reads client
//! settings at these scopes (`MirrorMakerConfig`, `MirrorConnectorConfig` and the connector
//! configs of the pinned Kafka):
//! - `<alias>.` and its `consumer.`/`producer.`/`admin.` client scopes: that cluster;
//! - `<source>-><target>.` with `source.cluster.`, `source.consumer.`, `source.producer.`,
//!   `source.admin.` (the source) and the same `target.` scopes (the target);
//! - the top level, and a flow's own `consumer.`/`producer.`/`admin.` scopes, which apply to
//!   the clients of every cluster (the top level) or of both sides of the flow.

use super::secrets::SecretSetting;

/// Client settings that hold key material inline (PEM) and are always refused as literals.
const INLINE_KEY_MATERIAL: &[&str] = &["ssl.keystore.key", "ssl.keystore.certificate.chain"];

/// Kafka client settings of type PASSWORD beyond the ones mm2gen mounts and the inline key
/// material (the pinned key table's ConfigDefs, minus `ssl.truststore.certificates`, which
/// holds public CA certificates).
const OTHER_PASSWORD_SETTINGS: &[&str] = &[
    "sasl.oauthbearer.assertion.private.key.passphrase",
    "sasl.oauthbearer.client.credentials.client.secret",
];

/// Words that make the last part of a key secret when it ends with one, for keys Kafka does not
/// define: parameters of config providers (`config.providers.vault.param.token`), of login
/// callbacks and the like. Ends, not contains: `secretName` names a Secret, it is none.
const SECRET_WORDS: &[&str] = &["password", "passwd", "passphrase", "secret", "token"];

/// What kind of secret material a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A setting mm2gen fills from a cluster's Secret (a store location, a password, a JAAS
    /// config).
    Mountable(SecretSetting),
    /// PEM key material written inline.
    InlineKeyMaterial,
    /// Any other secret: only a config provider reference keeps it out of the ConfigMap.
    Other,
}

/// Whether `key` ends with the setting `name` as a whole dotted part.
fn ends_with_setting(key: &str, name: &str) -> bool {
    key.strip_suffix(name)
        .is_some_and(|before| before.is_empty() || before.ends_with('.'))
}

/// The secret material `key` holds, at whatever scope it is written.
pub fn secret_kind(key: &str) -> Option<SecretKind> {
    if let Some(setting) = SecretSetting::ALL
        .into_iter()
        .find(|s| ends_with_setting(key, s.config_key()))
    {
        return Some(SecretKind::Mountable(setting));
    }
    if INLINE_KEY_MATERIAL
        .iter()
        .any(|name| ends_with_setting(key, name))
    {
        return Some(SecretKind::InlineKeyMaterial);
    }
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    if OTHER_PASSWORD_SETTINGS
        .iter()
        .any(|name| ends_with_setting(key, name))
        || SECRET_WORDS.iter().any(|w| last.ends_with(w))
    {
        return Some(SecretKind::Other);
    }
    None
}

/// Whether the value of `key` is secret and must never be shown. Store locations are paths,
/// not secrets.
pub fn holds_secret_value(key: &str) -> bool {
    match secret_kind(key) {
        Some(SecretKind::Mountable(s)) => !s.is_file(),
        Some(_) => true,
        None => false,
    }
}

/// How a secret-bearing value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueForm {
    Empty,
    /// The guide's `{...}` placeholder, which mm2gen fills with a Secret reference.
    Placeholder,
    /// Only config provider references (`${provider:path:key}`), resolved at start-up.
    References,
    /// Anything else, including text mixed with a reference: a secret in the ConfigMap.
    Literal,
}

pub fn value_form(value: &str) -> ValueForm {
    let v = value.trim();
    if v.is_empty() {
        return ValueForm::Empty;
    }
    if v.len() >= 2 && v.starts_with('{') && v.ends_with('}') && !v.contains("${") {
        return ValueForm::Placeholder;
    }
    let mut rest = v;
    while let Some(after) = rest.trim_start().strip_prefix("${") {
        match after.find('}') {
            Some(end) => rest = &after[end + 1..],
            None => return ValueForm::Literal,
        }
    }
    if rest.trim().is_empty() {
        ValueForm::References
    } else {
        ValueForm::Literal
    }
}

/// Whose clients read a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner<'k> {
    /// One cluster's clients, and the setting as its clients read it.
    Cluster { alias: &'k str, setting: &'k str },
    /// The clients of every cluster (top level).
    EveryCluster,
    /// Both sides of a flow (`<flow>.consumer.`, ...) or no client at all (a flow's own key).
    BothSidesOf { flow: &'k str },
    /// A flow whose target is not a declared alias (reported with the flows).
    UnknownFlow,
}

/// Client scopes inside a cluster scope or inside one side of a flow.
const CLIENT_SCOPES: &[&str] = &["consumer.", "producer.", "admin."];

fn strip_client_scope(key: &str) -> &str {
    CLIENT_SCOPES
        .iter()
        .find_map(|scope| key.strip_prefix(scope))
        .unwrap_or(key)
}

/// Whose clients read `key`; `is_alias` says which names are declared cluster aliases.
pub fn owner<'k>(key: &'k str, is_alias: impl Fn(&str) -> bool) -> Owner<'k> {
    let longest_alias = |text: &'k str| {
        text.match_indices('.')
            .rev()
            .map(|(i, _)| &text[..i])
            .find(|p| is_alias(p))
    };
    if let Some((source, after)) = key.split_once("->") {
        let Some(target) = longest_alias(after) else {
            return Owner::UnknownFlow;
        };
        let flow = &key[..source.len() + 2 + target.len()];
        let rest = &after[target.len() + 1..];
        for (side, alias) in [("source.", source), ("target.", target)] {
            if let Some(within) = rest.strip_prefix(side) {
                let setting = match within.strip_prefix("cluster.") {
                    Some(cluster_key) => cluster_key,
                    None if CLIENT_SCOPES.iter().any(|s| within.starts_with(s)) => {
                        strip_client_scope(within)
                    }
                    None => continue,
                };
                return Owner::Cluster { alias, setting };
            }
        }
        return Owner::BothSidesOf { flow };
    }
    match longest_alias(key) {
        Some(alias) => Owner::Cluster {
            alias,
            setting: strip_client_scope(&key[alias.len() + 1..]),
        },
        None => Owner::EveryCluster,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_found_at_every_scope() {
        for key in [
            "ssl.truststore.password",
            "consumer.ssl.key.password",
            "a.ssl.keystore.password",
            "a.admin.sasl.jaas.config",
            "a->b.ssl.truststore.password",
            "a->b.source.cluster.ssl.key.password",
            "a->b.target.producer.sasl.jaas.config",
            "source.cluster.ssl.keystore.password",
        ] {
            assert!(
                matches!(secret_kind(key), Some(SecretKind::Mountable(_))),
                "{key}"
            );
            assert!(holds_secret_value(key), "{key}");
        }
        assert_eq!(
            secret_kind("a->b.source.consumer.ssl.keystore.key"),
            Some(SecretKind::InlineKeyMaterial)
        );
        for key in [
            "config.providers.vault.param.token",
            "a.sasl.oauthbearer.client.credentials.client.secret",
            "config.providers.db.param.Password",
        ] {
            assert_eq!(secret_kind(key), Some(SecretKind::Other), "{key}");
        }
    }

    #[test]
    fn ordinary_keys_and_store_locations_are_not_secret_values() {
        for key in [
            "tasks.max",
            "a.ssl.truststore.type",
            "a.sasl.mechanism",
            "config.providers.secrets.param.allowed.paths",
            "sasl.oauthbearer.token.endpoint.url",
            // Part of a setting name is not the setting.
            "a.xssl.key.password.enabled",
        ] {
            assert!(!holds_secret_value(key), "{key}");
        }
        assert!(!holds_secret_value("a.ssl.truststore.location"));
        assert_eq!(
            secret_kind("a.ssl.truststore.location"),
            Some(SecretKind::Mountable(SecretSetting::TruststoreLocation))
        );
    }

    #[test]
    fn values_are_literal_unless_placeholder_or_only_references() {
        assert_eq!(value_form(""), ValueForm::Empty);
        assert_eq!(value_form(" {key password} "), ValueForm::Placeholder);
        assert_eq!(value_form("${secrets:/d:k}"), ValueForm::References);
        assert_eq!(value_form("${a:b} ${c:d}"), ValueForm::References);
        assert_eq!(value_form("changeit"), ValueForm::Literal);
        assert_eq!(value_form("abc${secrets:/d:k}"), ValueForm::Literal);
        assert_eq!(value_form("${secrets:/d:k}abc"), ValueForm::Literal);
        assert_eq!(value_form("${unclosed"), ValueForm::Literal);
    }

    #[test]
    fn owner_follows_mirrormaker2_scopes() {
        let aliases = ["a", "b", "a.b"];
        let is_alias = |s: &str| aliases.contains(&s);
        let cluster = |alias, setting| Owner::Cluster { alias, setting };
        assert_eq!(
            owner("a.ssl.key.password", is_alias),
            cluster("a", "ssl.key.password")
        );
        assert_eq!(
            owner("a.b.consumer.ssl.key.password", is_alias),
            cluster("a.b", "ssl.key.password")
        );
        assert_eq!(
            owner("a->b.source.cluster.ssl.key.password", is_alias),
            cluster("a", "ssl.key.password")
        );
        assert_eq!(
            owner("a->b.source.consumer.sasl.jaas.config", is_alias),
            cluster("a", "sasl.jaas.config")
        );
        assert_eq!(
            owner("a->b.target.admin.ssl.key.password", is_alias),
            cluster("b", "ssl.key.password")
        );
        assert_eq!(
            owner("a->b.producer.ssl.key.password", is_alias),
            Owner::BothSidesOf { flow: "a->b" }
        );
        assert_eq!(
            owner("a->b.ssl.key.password", is_alias),
            Owner::BothSidesOf { flow: "a->b" }
        );
        assert_eq!(
            owner("consumer.ssl.key.password", is_alias),
            Owner::EveryCluster
        );
        assert_eq!(
            owner("a->c.source.cluster.ssl.key.password", is_alias),
            Owner::UnknownFlow
        );
    }
}
