//! The secrets plan: which client settings of which cluster come from which Secret key, and
//! how mm2.properties refers to them without holding them.
//!
//! Stores are files in a Secret mounted read-only at `/etc/mirrormaker2/secrets/<alias>`;
//! `*.location` keys point there. Passwords and JAAS configs are read at start-up by Kafka's
//! `DirectoryConfigProvider` (`${secrets:<dir>:<key>}`), restricted with `allowed.paths`, so
//! the ConfigMap never holds a secret. A literal secret in the descriptor is refused: it would
//! otherwise sit in Git and in a ConfigMap readable by anyone who can read the namespace.

use std::collections::{BTreeMap, BTreeSet};

use crate::descriptor::{Credentials, Located};
use crate::diagnostics::{Collector, Diagnostic};
use crate::properties::Entry;

use super::aliases::AliasDecl;
use super::names::dns_label;
use super::secret_keys::{self, Owner, SecretKind, ValueForm};
use super::view::GeneratedSecret;
use crate::hash;
use crate::inputs::Inputs;
use crate::properties::UserProperties;

pub const SECRETS_ROOT: &str = "/etc/mirrormaker2/secrets";
pub const PROVIDER_NAME: &str = "secrets";
pub const PROVIDER_CLASS: &str = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";

/// Client setting suffixes that name secret material, and the Secret key each defaults to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretSetting {
    TruststoreLocation,
    TruststorePassword,
    KeystoreLocation,
    KeystorePassword,
    KeyPassword,
    JaasConfig,
}

impl SecretSetting {
    pub const ALL: [SecretSetting; 6] = [
        SecretSetting::TruststoreLocation,
        SecretSetting::TruststorePassword,
        SecretSetting::KeystoreLocation,
        SecretSetting::KeystorePassword,
        SecretSetting::KeyPassword,
        SecretSetting::JaasConfig,
    ];

    pub fn config_key(self) -> &'static str {
        match self {
            SecretSetting::TruststoreLocation => "ssl.truststore.location",
            SecretSetting::TruststorePassword => "ssl.truststore.password",
            SecretSetting::KeystoreLocation => "ssl.keystore.location",
            SecretSetting::KeystorePassword => "ssl.keystore.password",
            SecretSetting::KeyPassword => "ssl.key.password",
            SecretSetting::JaasConfig => "sasl.jaas.config",
        }
    }

    pub fn default_secret_key(self) -> &'static str {
        match self {
            SecretSetting::TruststoreLocation => "truststore.jks",
            SecretSetting::TruststorePassword => "truststore.password",
            SecretSetting::KeystoreLocation => "keystore.jks",
            SecretSetting::KeystorePassword => "keystore.password",
            SecretSetting::KeyPassword => "key.password",
            SecretSetting::JaasConfig => "sasl.jaas.config",
        }
    }

    /// The descriptor field that renames this key (`tls.truststoreKey`, ...).
    pub fn extension_field(self) -> &'static str {
        match self {
            SecretSetting::TruststoreLocation => "tls.truststoreKey",
            SecretSetting::TruststorePassword => "tls.truststorePasswordKey",
            SecretSetting::KeystoreLocation => "tls.keystoreKey",
            SecretSetting::KeystorePassword => "tls.keystorePasswordKey",
            SecretSetting::KeyPassword => "tls.keyPasswordKey",
            SecretSetting::JaasConfig => "sasl.jaasConfigKey",
        }
    }

    pub fn is_file(self) -> bool {
        matches!(
            self,
            SecretSetting::TruststoreLocation | SecretSetting::KeystoreLocation
        )
    }

    fn is_sasl(self) -> bool {
        self == SecretSetting::JaasConfig
    }
}

/// One cluster's Secret references, as the descriptor and flags decided them.
#[derive(Debug, Clone)]
pub struct ClusterSecrets {
    pub alias: String,
    pub tls_secret: String,
    pub sasl_secret: String,
    pub keys: BTreeMap<SecretSetting, String>,
    /// Settings whose Secret key the descriptor names explicitly.
    pub explicit: BTreeSet<SecretSetting>,
    /// Whether the cluster entry has a `tls` block.
    pub has_tls_block: bool,
}

impl ClusterSecrets {
    pub fn new(alias: &str, default_secret: String, credentials: &Credentials) -> ClusterSecrets {
        let pick = |v: &Option<Located<String>>, d: &str| {
            v.as_ref().map_or(d.to_string(), |l| l.value.clone())
        };
        let tls = credentials.tls.clone().unwrap_or_default();
        let sasl = credentials.sasl.clone().unwrap_or_default();
        let mut keys = BTreeMap::new();
        let mut explicit = BTreeSet::new();
        for s in SecretSetting::ALL {
            let custom = match s {
                SecretSetting::TruststoreLocation => &tls.truststore_key,
                SecretSetting::TruststorePassword => &tls.truststore_password_key,
                SecretSetting::KeystoreLocation => &tls.keystore_key,
                SecretSetting::KeystorePassword => &tls.keystore_password_key,
                SecretSetting::KeyPassword => &tls.key_password_key,
                SecretSetting::JaasConfig => &sasl.jaas_config_key,
            };
            keys.insert(s, pick(custom, s.default_secret_key()));
            if custom.is_some() {
                explicit.insert(s);
            }
        }
        ClusterSecrets {
            explicit,
            has_tls_block: credentials.tls.is_some(),
            alias: alias.to_string(),
            tls_secret: pick(&tls.secret_name, &default_secret),
            sasl_secret: pick(&sasl.secret_name, &default_secret),
            keys,
        }
    }

    pub fn mount_dir(&self) -> String {
        format!("{SECRETS_ROOT}/{}", self.alias)
    }

    fn secret_for(&self, s: SecretSetting) -> &str {
        if s.is_sasl() {
            &self.sasl_secret
        } else {
            &self.tls_secret
        }
    }
}

/// A volume that projects the used keys of a cluster's Secret(s) into its mount directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVolume {
    pub alias: String,
    pub volume_name: String,
    pub mount_path: String,
    /// Secret name -> keys used from it.
    pub sources: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Debug, Default)]
pub struct SecretsPlan {
    /// User lines (by first line) whose value mm2gen rewrites.
    pub replacements: BTreeMap<usize, (Entry, String)>,
    pub volumes: Vec<SecretVolume>,
    /// Whether any value references the `secrets` config provider.
    pub uses_provider: bool,
    /// Client settings mm2gen adds for remote SDM clusters reached through their mesh gateway.
    pub remote_tls_lines: Vec<(String, String)>,
}

/// The store type a file name implies, when it is not Kafka's default (JKS).
fn store_type_of(file: &str) -> Option<&'static str> {
    let lower = file.to_ascii_lowercase();
    if [".pem", ".crt", ".key"].iter().any(|e| lower.ends_with(e)) {
        Some("PEM")
    } else if [".p12", ".pfx"].iter().any(|e| lower.ends_with(e)) {
        Some("PKCS12")
    } else {
        None
    }
}

pub fn is_placeholder(value: &str) -> bool {
    secret_keys::value_form(value) == ValueForm::Placeholder
}

/// Builds the plan for every cluster from the user's properties. `remote_tls`: aliases of
/// SDM clusters in another Kubernetes cluster, whose `tls` block mm2gen turns into client
/// settings in this instance only (their internal listener, used where they are local, needs
/// none).
pub fn plan(
    props: &UserProperties,
    clusters: &[ClusterSecrets],
    remote_tls: &[&str],
    diags: &mut Collector,
) -> SecretsPlan {
    let mut plan = SecretsPlan::default();
    let mut used: BTreeMap<&str, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    // By alias: the clusters come in declaration order, which is not sorted.
    let by_alias: BTreeMap<&str, &ClusterSecrets> =
        clusters.iter().map(|c| (c.alias.as_str(), c)).collect();
    for entry in &props.entries {
        let Some((cluster, setting)) = classify(entry, &by_alias, props, diags) else {
            continue;
        };
        let dir = cluster.mount_dir();
        let key = &cluster.keys[&setting];
        let value = entry.value.trim();
        let wanted = if setting.is_file() {
            format!("{dir}/{key}")
        } else {
            format!("${{{PROVIDER_NAME}:{dir}:{key}}}")
        };
        if is_placeholder(value) {
            plan.replacements
                .insert(entry.first_line, (entry.clone(), wanted));
        } else if setting.is_file() {
            match value.strip_prefix(&format!("{dir}/")) {
                Some(file) if !file.contains('/') => {
                    used.entry(cluster.alias.as_str())
                        .or_default()
                        .entry(cluster.secret_for(setting).to_string())
                        .or_default()
                        .insert(file.to_string());
                }
                _ => diags.push(
                    props
                        .diag_at_value(entry, Diagnostic::error(format!(
                            "`{}` points at `{value}`, a path that does not exist in the MirrorMaker2 pod",
                            entry.key
                        )))
                        .label("outside the mounted Secret")
                        .help(format!(
                            "mm2gen mounts the stores of `{}` from Secret `{}` at {dir}; put the file in that Secret under key `{key}` and write `{{{}}}` (or `{wanted}`) as the value",
                            cluster.alias,
                            cluster.secret_for(setting),
                            setting.config_key().replace('.', " "),
                        )),
                ),
            }
            continue;
        } else {
            diags.push(
                props
                    .diag_at_value(entry, Diagnostic::error(format!(
                        "`{}` holds a literal secret; mm2gen never writes secrets into the ConfigMap",
                        entry.key
                    )))
                    .label("literal secret value")
                .secret_span()
                    .secret_span()
                    .help(format!(
                        "put it in Secret `{}` under key `{key}` (rename with `{}` on the cluster entry) and write a placeholder such as `{{{}}}` as the value: mm2gen reads it through Kafka's DirectoryConfigProvider",
                        cluster.secret_for(setting),
                        setting.extension_field(),
                        setting.config_key().replace('.', " "),
                    )),
            );
            continue;
        }
        if !setting.is_file() {
            plan.uses_provider = true;
        }
        used.entry(cluster.alias.as_str())
            .or_default()
            .entry(cluster.secret_for(setting).to_string())
            .or_default()
            .insert(key.clone());
    }
    for cluster in clusters
        .iter()
        .filter(|c| remote_tls.contains(&c.alias.as_str()) && c.has_tls_block)
    {
        let dir = cluster.mount_dir();
        let a = &cluster.alias;
        let mut add = |setting: SecretSetting, lines: &mut Vec<(String, String)>| {
            let key = &cluster.keys[&setting];
            let value = if setting.is_file() {
                format!("{dir}/{key}")
            } else {
                format!("${{{PROVIDER_NAME}:{dir}:{key}}}")
            };
            lines.push((format!("{a}.{}", setting.config_key()), value));
            used.entry(cluster.alias.as_str())
                .or_default()
                .entry(cluster.tls_secret.clone())
                .or_default()
                .insert(key.clone());
        };
        let mut lines = vec![(format!("{a}.security.protocol"), "SSL".to_string())];
        for (location, kind) in [
            (SecretSetting::TruststoreLocation, "truststore"),
            (SecretSetting::KeystoreLocation, "keystore"),
        ] {
            if let Some(store_type) = store_type_of(&cluster.keys[&location]) {
                lines.push((format!("{a}.ssl.{kind}.type"), store_type.to_string()));
            }
            add(location, &mut lines);
        }
        for password in [
            SecretSetting::TruststorePassword,
            SecretSetting::KeystorePassword,
            SecretSetting::KeyPassword,
        ] {
            if cluster.explicit.contains(&password) {
                add(password, &mut lines);
                plan.uses_provider = true;
            }
        }
        plan.remote_tls_lines.extend(lines);
    }
    for cluster in clusters {
        if let Some(sources) = used.remove(cluster.alias.as_str()) {
            plan.volumes.push(SecretVolume {
                alias: cluster.alias.clone(),
                volume_name: format!("secrets-{}", super::names::dns_label(&cluster.alias, 50)),
                mount_path: cluster.mount_dir(),
                sources,
            });
        }
    }
    plan
}

/// Which cluster's Secret setting a user line fills, when mm2gen fills it. Reports every other
/// secret that would reach the ConfigMap: a literal at any scope, inline key material, and a
/// placeholder that names no single cluster or a secret mm2gen does not mount.
fn classify<'c>(
    entry: &Entry,
    clusters: &BTreeMap<&str, &'c ClusterSecrets>,
    props: &UserProperties,
    diags: &mut Collector,
) -> Option<(&'c ClusterSecrets, SecretSetting)> {
    let key = entry.key.as_str();
    let kind = secret_keys::secret_kind(key)?;
    let form = secret_keys::value_form(&entry.value);
    if matches!(form, ValueForm::Empty | ValueForm::References) {
        // Nothing, or the user's own config provider references: theirs to keep.
        return None;
    }
    let setting = match kind {
        SecretKind::Mountable(setting) => setting,
        SecretKind::InlineKeyMaterial => {
            diags.push(
                props
                    .diag_at_value(entry, Diagnostic::error(format!("`{key}` holds key material inline; it would end up in the ConfigMap")))
                    .label("inline key material")
                    .secret_span()
                    .help("put the PEM files in the cluster's Secret and use `ssl.keystore.type=PEM` with `ssl.keystore.location` pointing at a placeholder, which mm2gen fills"),
            );
            return None;
        }
        SecretKind::Other => {
            let (what, label) = match form {
                ValueForm::Placeholder => ("holds a placeholder mm2gen cannot fill: it mounts only the stores, store passwords and JAAS config of a cluster", "placeholder"),
                _ => ("holds a literal secret; mm2gen never writes secrets into the ConfigMap", "literal secret value"),
            };
            let d = props
                .diag_at_value(entry, Diagnostic::error(format!("`{key}` {what}")))
                .label(label)
                .help("keep it in a Secret and write a config provider reference such as `${<provider>:<path>:<key>}` as the whole value, so that only the reference is in the ConfigMap");
            diags.push(if form == ValueForm::Literal {
                d.secret_span()
            } else {
                d
            });
            return None;
        }
    };
    let owner = secret_keys::owner(key, |alias| clusters.contains_key(alias));
    let cluster = match owner {
        Owner::Cluster {
            alias,
            setting: read,
        } if read == setting.config_key() => clusters.get(alias).copied(),
        _ => None,
    };
    if cluster.is_some() {
        return cluster.map(|c| (c, setting));
    }
    if setting.is_file() && form == ValueForm::Literal {
        // A path, not a secret, at a scope mm2gen does not mount for: the user's own file.
        return None;
    }
    let name = setting.config_key();
    let (scope, label, fix, example) = match owner {
        Owner::BothSidesOf { flow } => (
            format!("applies to both clusters of flow `{flow}`"),
            "no single cluster",
            "write it for the side it belongs to",
            format!(
                "`{flow}.source.{}` or `{flow}.target.{}`",
                client_scope_of(key, name),
                client_scope_of(key, name)
            ),
        ),
        _ => (
            "applies to every cluster".to_string(),
            "no cluster alias",
            "prefix it with the alias of the cluster it belongs to",
            format!("`<alias>.{}`", key_without_flow(key)),
        ),
    };
    if form == ValueForm::Literal {
        diags.push(
            props
                .diag_at_value(entry, Diagnostic::error(format!(
                    "`{key}` holds a literal secret; mm2gen never writes secrets into the ConfigMap"
                )))
                .label("literal secret value")
                .secret_span()
                .help(format!(
                    "put it in the Secret of the cluster it belongs to (key `{}`) and write a placeholder such as `{{{}}}` as the value of {example}: mm2gen reads it through Kafka's DirectoryConfigProvider",
                    setting.default_secret_key(),
                    name.replace('.', " "),
                )),
        );
    } else {
        diags.push(
            props
                .diag_at_key(
                    entry,
                    Diagnostic::error(format!(
                        "`{key}` {scope}, so mm2gen cannot tell whose Secret holds it"
                    )),
                )
                .label(label)
                .help(format!("{fix}, e.g. {example}")),
        );
    }
    None
}

/// `cluster.<setting>` for a flow's own client setting, `<client>.<setting>` under a client scope.
fn client_scope_of(key: &str, setting: &str) -> String {
    let before = key.strip_suffix(setting).unwrap_or("");
    match ["consumer.", "producer.", "admin."]
        .into_iter()
        .find(|c| before.ends_with(c))
    {
        Some(client) => format!("{client}{setting}"),
        None => format!("cluster.{setting}"),
    }
}

/// The key as written under a cluster alias: without a flow or a side prefix.
fn key_without_flow(key: &str) -> &str {
    let key = match key.split_once("->") {
        Some((_, after)) => after.split_once('.').map_or(after, |(_, rest)| rest),
        None => key,
    };
    ["source.cluster.", "target.cluster.", "source.", "target."]
        .into_iter()
        .find_map(|p| key.strip_prefix(p))
        .unwrap_or(key)
}

pub(crate) fn generated_secrets(
    name: &str,
    aliases: &[AliasDecl],
    inputs: &Inputs,
    diags: &mut Collector,
) -> Vec<GeneratedSecret> {
    let mut by_alias: BTreeMap<&str, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    for file in &inputs.secret_files {
        let (alias, key) = (&file.alias, &file.key);
        if !aliases.iter().any(|a| &a.alias == alias) {
            diags.push(
                Diagnostic::error(format!("--secret-file names unknown alias `{alias}`"))
                    .help("use ALIAS=FILE with an alias of the descriptor"),
            );
            continue;
        }
        if let Err(why) = check_secret_key(key) {
            diags.push(
                Diagnostic::error(format!("--secret-file key `{key}` {why}"))
                    .help("use ALIAS:KEY=FILE to choose a key of letters, digits, `.`, `_`, `-`"),
            );
            continue;
        }
        match &file.contents {
            Ok(bytes) => {
                if by_alias
                    .entry(alias)
                    .or_default()
                    .insert(key.clone(), bytes.clone())
                    .is_some()
                {
                    diags.push(
                        Diagnostic::error(format!(
                            "--secret-file gives key `{key}` of `{alias}` twice"
                        ))
                        .help("give each key once"),
                    );
                }
            }
            Err(e) => e.diagnostics.iter().for_each(|d| diags.push(d.clone())),
        }
    }
    by_alias
        .into_iter()
        .map(|(alias, files)| {
            let sha256 = hash::sha256_hex(&hash::canonical_map_bytes(&files));
            GeneratedSecret {
                name: format!("{name}-{}-{}", dns_label(alias, 40), &sha256[..10]),
                alias: alias.to_string(),
                sha256,
                data: files
                    .into_iter()
                    .map(|(k, v)| (k, hash::base64(&v)))
                    .collect(),
            }
        })
        .collect()
}

pub(crate) fn check_generated_keys(
    generated: &[GeneratedSecret],
    volumes: &[SecretVolume],
    diags: &mut Collector,
) {
    for g in generated {
        for v in volumes {
            if let Some(keys) = v.sources.get(&g.name) {
                for k in keys {
                    if !g.data.contains_key(k) {
                        diags.push(
                            Diagnostic::error(format!("mm2.properties of `{}` needs key `{k}`, but --secret-file gave only {}", g.alias, g.data.keys().cloned().collect::<Vec<_>>().join(", ")))
                                .help(format!("add --secret-file {}:{k}=FILE", g.alias)),
                        );
                    }
                }
            }
        }
    }
}

/// The length of the bytes a padded base64 text holds.
pub(crate) fn base64_decoded_len(b64: &str) -> usize {
    b64.len() / 4 * 3 - b64.bytes().rev().take_while(|&b| b == b'=').count()
}

pub fn check_secret_key(key: &str) -> std::result::Result<(), String> {
    if key.is_empty() || key == "." || key == ".." || key.len() > 253 {
        return Err("is not a valid Secret key".into());
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("may hold only letters, digits, `.`, `_` and `-`".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_the_guides_braces() {
        assert!(is_placeholder("{truststore password}"));
        assert!(is_placeholder(" {x} "));
        assert!(!is_placeholder("${secrets:/d:k}"));
        assert!(!is_placeholder("changeit"));
    }
}
