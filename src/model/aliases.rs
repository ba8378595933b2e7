//! Cluster aliases: declared by the descriptor or defaulted as the guide says, checked to be
//! usable in topic names and to stay apart once made into Kubernetes names, and the aliases
//! the user's property keys name.

use std::collections::{BTreeMap, BTreeSet};

use crate::descriptor::{Descriptor, Located};
use crate::diagnostics::{did_you_mean_or, Collector, Diagnostic, Location};
use crate::inputs::Inputs;
use crate::properties::{Entry, KeySet, UserProperties};
use crate::resolve::{self};

use super::secrets::ClusterSecrets;
use super::view::GeneratedSecret;
use super::{collisions, secret_keys, secrets};

/// An alias as the model uses it, with where it was decided.
pub(crate) struct AliasDecl {
    pub(crate) alias: String,
    pub(crate) origin: Option<Located<String>>,
    /// How the alias was decided, for messages about defaulted aliases.
    pub(crate) defaulted_from: Option<String>,
    pub(crate) path: String,
    pub(crate) location: Option<Location>,
    pub(crate) sdm: Option<SdmInfo>,
    pub(crate) non_sdm_bootstrap: Option<Located<String>>,
    pub(crate) credentials: crate::descriptor::Credentials,
}

pub(crate) struct SdmInfo {
    pub(crate) namespace: String,
    pub(crate) name: String,
    /// The Kubernetes cluster it runs in: kubernetesConfigContext, else --kube-context, else
    /// the first kubeconfig's current-context.
    pub(crate) context: Option<String>,
    pub(crate) explicit_context: Option<Located<String>>,
    pub(crate) internal_listener: Option<Located<String>>,
    pub(crate) external_listener: Option<Located<String>>,
}

/// Which part of the descriptor one MirrorMaker2 instance runs.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// The instance's kube context, when known.
    pub(crate) context: Option<String>,
    /// SDM aliases in this instance's Kubernetes cluster; None: a single instance, every SDM
    /// cluster is local.
    pub(crate) local: Option<BTreeSet<String>>,
}

impl Scope {
    pub(crate) fn is_local(&self, alias: &str) -> bool {
        self.local.as_ref().is_none_or(|l| l.contains(alias))
    }
}

/// Aliases in the order MirrorMaker2's `clusters` lists them: non-SDM clusters first, then
/// SDM clusters, each in descriptor order.
pub(crate) fn declare_aliases(
    d: &Descriptor,
    inputs: &Inputs,
    diags: &mut Collector,
) -> Vec<AliasDecl> {
    let mut out = Vec::new();
    for c in &d.non_sdm_clusters {
        let Some(alias) = required(
            &c.alias,
            &c.path,
            "alias",
            c.location.clone(),
            "name the cluster, e.g. `alias: source-cluster`",
            diags,
        ) else {
            continue;
        };
        let bootstrap = required(
            &c.bootstrap_server_address,
            &c.path,
            "bootstrapServerAddress",
            c.location.clone(),
            "give the source cluster's listener address, e.g. `bootstrapServerAddress: kafka-1.example.com:9092`",
            diags,
        );
        out.push(AliasDecl {
            alias: alias.value.clone(),
            origin: Some(alias.clone()),
            defaulted_from: None,
            path: c.path.clone(),
            location: c.location.clone(),
            sdm: None,
            non_sdm_bootstrap: bootstrap.cloned(),
            credentials: c.credentials.clone(),
        });
    }
    for c in &d.kafka_clusters {
        let namespace = non_empty(&c.namespace).unwrap_or("kafka").to_string();
        let name = non_empty(&c.name).unwrap_or("kafka").to_string();
        let needs_kubeconfig =
            non_empty(&c.kubernetes_config_context).is_none() && inputs.kube_context.is_none();
        let first_kubeconfig = d.kubernetes_configs.first().zip(inputs.kubeconfigs.first());
        let current_context = match (needs_kubeconfig, first_kubeconfig) {
            (true, Some((first, kc))) => {
                match kc {
                    Ok(k) => k.current_context.clone(),
                    // Only an alias that must be derived from it makes a missing kubeconfig fatal.
                    Err(e) if non_empty(&c.alias).is_none() => {
                        for diag in &e.diagnostics {
                            diags.push(first.diag(diag.clone()));
                        }
                        None
                    }
                    Err(_) => None,
                }
            }
            _ => None,
        };
        let context = non_empty(&c.kubernetes_config_context)
            .map(str::to_string)
            .or_else(|| inputs.kube_context.clone())
            .or(current_context);
        let (alias, defaulted_from) = match non_empty(&c.alias) {
            Some(a) => (a.to_string(), None),
            None => match &context {
                Some(ctx) => (
                    format!("{ctx}_{namespace}_{name}"),
                    Some(format!("`${{kubernetesConfigContext}}_${{namespace}}_${{name}}` with context `{ctx}`")),
                ),
                None => {
                    diags.push(
                        Diagnostic::error(format!("{} has no alias and no kube context to derive one from", c.path))
                            .at(c.location.clone())
                            .path(c.path.clone())
                            .help("set `alias:` (e.g. `alias: target-cluster`), or `kubernetesConfigContext:`, or list a kubeconfig with a current-context in `kubernetesConfigs`"),
                    );
                    continue;
                }
            },
        };
        let internal = c
            .internal_listener_name
            .clone()
            .filter(|l| !l.value.is_empty())
            .or_else(|| {
                c.external_listener_name
                    .clone()
                    .filter(|l| !l.value.is_empty())
            });
        out.push(AliasDecl {
            alias,
            origin: c.alias.clone().filter(|a| !a.value.is_empty()),
            defaulted_from,
            path: c.path.clone(),
            location: c.location.clone(),
            sdm: Some(SdmInfo {
                namespace,
                name,
                context,
                explicit_context: c
                    .kubernetes_config_context
                    .clone()
                    .filter(|l| !l.value.is_empty()),
                internal_listener: internal,
                external_listener: c
                    .external_listener_name
                    .clone()
                    .filter(|l| !l.value.is_empty()),
            }),
            non_sdm_bootstrap: None,
            credentials: c.credentials.clone(),
        });
    }
    if d.kafka_clusters.is_empty() {
        diags.push(
            Diagnostic::error("the descriptor lists no kafkaClusters")
                .help("MirrorMaker2 runs next to the Streaming Data Manager Kafka cluster it migrates into: list it under `kafkaClusters` (namespace, name, alias)"),
        );
    }
    out
}

pub(crate) fn required<'a>(
    value: &'a Option<Located<String>>,
    parent: &str,
    field: &str,
    parent_location: Option<Location>,
    help: &str,
    diags: &mut Collector,
) -> Option<&'a Located<String>> {
    match value {
        Some(v) if !v.value.trim().is_empty() => Some(v),
        Some(v) => {
            diags.push(
                v.diag(Diagnostic::error(format!("`{parent}.{field}` is empty")))
                    .help(help.to_string()),
            );
            None
        }
        None => {
            diags.push(
                Diagnostic::error(format!("`{parent}` has no `{field}`"))
                    .at(parent_location)
                    .path(format!("{parent}.{field}"))
                    .help(help.to_string()),
            );
            None
        }
    }
}

pub(crate) fn non_empty(v: &Option<Located<String>>) -> Option<&str> {
    v.as_ref()
        .map(|l| l.value.as_str())
        .filter(|s| !s.is_empty())
}

/// MirrorMaker2 builds topic names from aliases (`mm2-offsets.<alias>.internal`, ...), so an
/// alias must be usable in a Kafka topic name; it is also a properties key prefix and a path.
pub(crate) fn check_aliases(aliases: &[AliasDecl], diags: &mut Collector) {
    let mut seen: BTreeMap<&str, &AliasDecl> = BTreeMap::new();
    for a in aliases {
        let bad: Vec<char> = a
            .alias
            .chars()
            .filter(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let problem = if !bad.is_empty() {
            Some(format!(
                "contains {}, which MirrorMaker2 cannot use: it puts aliases into Kafka topic names (letters, digits, `.`, `_`, `-` only)",
                bad.iter().map(|c| format!("`{}`", c.escape_default())).collect::<Vec<_>>().join(", ")
            ))
        } else if a.alias == "." || a.alias == ".." {
            Some("is not a legal Kafka topic name part".to_string())
        } else if a.alias.len() > 100 {
            Some("is longer than 100 characters; MirrorMaker2's internal topic names would exceed Kafka's 249".to_string())
        } else if a.alias.contains("->") {
            Some("contains `->`, which separates the aliases of a flow".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            let mut d = Diagnostic::error(format!("cluster alias `{}` {problem}", a.alias));
            d = match (&a.origin, &a.defaulted_from) {
                (Some(origin), _) => origin.diag(d).help("choose a name such as `source-cluster` or `target-cluster`"),
                (None, Some(how)) => d
                    .at(a.location.clone())
                    .path(format!("{}.alias", a.path))
                    .help(format!("the alias defaulted to {how}; set `alias:` explicitly, e.g. `alias: target-cluster`")),
                (None, None) => d.at(a.location.clone()).path(a.path.clone()),
            };
            diags.push(d);
        }
        if let Some(first) = seen.insert(&a.alias, a) {
            let d = Diagnostic::error(format!(
                "cluster alias `{}` is declared twice (also at {})",
                a.alias, first.path
            ))
            .at(a
                .origin
                .as_ref()
                .and_then(|o| o.location.clone())
                .or(a.location.clone()))
            .path(a.path.clone())
            .help("every cluster needs its own alias: MirrorMaker2 addresses clusters by alias");
            diags.push(d);
        }
    }
}

pub(crate) fn alias_origin(a: &AliasDecl) -> collisions::Origin {
    match &a.origin {
        Some(o) => collisions::Origin {
            path: o.path.clone(),
            location: o.location.clone(),
        },
        None => collisions::Origin {
            path: format!("{}.alias", a.path),
            location: a.location.clone(),
        },
    }
}

/// Volume and Secret names made from aliases must not meet after sanitizing.
pub(crate) fn check_name_collisions(
    aliases: &[AliasDecl],
    cluster_secrets: &[ClusterSecrets],
    generated: &[GeneratedSecret],
    plan: &secrets::SecretsPlan,
    diags: &mut Collector,
) {
    let origin = |alias: &str| {
        aliases
            .iter()
            .find(|a| a.alias == alias)
            .map(alias_origin)
            .unwrap_or(collisions::Origin {
                path: alias.to_string(),
                location: None,
            })
    };
    let volumes: Vec<collisions::Derived> = plan
        .volumes
        .iter()
        .map(|v| collisions::Derived {
            name: v.volume_name.clone(),
            input: &v.alias,
            origin: origin(&v.alias),
        })
        .collect();
    let help = "rename one of the aliases: mm2gen lower-cases an alias and turns other characters than letters and digits into `-` (and cuts it) to make Kubernetes names, and does not add a hash, so the names you review stay the ones you chose";
    for e in collisions::check(&volumes, "volume name", "cluster aliases", help) {
        diags.push(e);
    }
    // Secret names mm2gen derives from an alias (a `secretName` the user wrote is theirs to
    // share): the Secrets it generates, and the default names a volume mounts.
    let mut secret_names: Vec<collisions::Derived> = generated
        .iter()
        .map(|g| collisions::Derived {
            name: g.name.clone(),
            input: &g.alias,
            origin: origin(&g.alias),
        })
        .collect();
    for (a, cs) in aliases.iter().zip(cluster_secrets) {
        let explicit = |s: Option<&crate::descriptor::Located<String>>| s.is_some();
        let tls = a
            .credentials
            .tls
            .as_ref()
            .and_then(|t| t.secret_name.as_ref());
        let sasl = a
            .credentials
            .sasl
            .as_ref()
            .and_then(|t| t.secret_name.as_ref());
        for (secret, written) in [
            (&cs.tls_secret, explicit(tls)),
            (&cs.sasl_secret, explicit(sasl)),
        ] {
            let mounted = plan
                .volumes
                .iter()
                .any(|v| v.alias == a.alias && v.sources.contains_key(secret));
            if mounted && !written {
                secret_names.push(collisions::Derived {
                    name: secret.clone(),
                    input: &a.alias,
                    origin: alias_origin(a),
                });
            }
        }
    }
    for e in collisions::check(&secret_names, "Secret name", "cluster aliases", help) {
        diags.push(e);
    }
}

/// Keys that mm2gen maintains may not be set by the user, and flows must name declared aliases.
pub(crate) fn check_user_keys(props: &UserProperties, aliases: &[&str], diags: &mut Collector) {
    let known: KeySet<&str> = aliases.iter().copied().collect();
    for e in &props.entries {
        if e.key == "clusters" {
            diags.push(
                props
                    .diag_at_key(e, Diagnostic::error("`clusters` is maintained by mm2gen"))
                    .label("redefines the maintained cluster list")
                    .help("remove this line: mm2gen lists every cluster of kafkaClusters and nonSDMKafkaClusters"),
            );
        }
        if e.key
            .strip_suffix(".bootstrap.servers")
            .is_some_and(|a| known.contains(a))
        {
            {
                diags.push(
                    props
                        .diag_at_key(e, Diagnostic::error(format!("`{}` is maintained by mm2gen", e.key)))
                        .label("redefines a maintained bootstrap address")
                        .help("remove this line: set the address with bootstrapServerAddress, the KafkaCluster resource, or --bootstrap-servers ALIAS=HOST:PORT"),
                );
            }
        }
        if let Some((source, rest)) = e.key.split_once("->") {
            let target = alias_prefix(rest, &known);
            let target_text = rest.split('.').next().unwrap_or(rest);
            if !known.contains(source) {
                diags.push(unknown_alias(props, e, source, 0, aliases));
            }
            if target.is_none() {
                diags.push(unknown_alias(
                    props,
                    e,
                    target_text,
                    source.len() + 2,
                    aliases,
                ));
            }
        }
        let value = e.value.trim();
        if secrets::is_placeholder(value) && !is_secret_key(&e.key) {
            diags.push(
                props
                    .diag_at_value(
                        e,
                        Diagnostic::error(format!(
                            "`{}` still holds the guide's placeholder `{value}`",
                            e.key
                        )),
                    )
                    .label("placeholder")
                    .help("replace it with a real value, or remove the line"),
            );
        }
    }
}

/// The longest declared alias that `key` starts with, followed by a `.`.
pub fn alias_prefix<'a>(key: &'a str, known: &KeySet<&str>) -> Option<&'a str> {
    key.match_indices('.')
        .rev()
        .map(|(i, _)| &key[..i])
        .find(|p| known.contains(p))
}

/// Secret keys get their own placeholder findings from the secrets plan.
pub(crate) fn is_secret_key(key: &str) -> bool {
    secret_keys::secret_kind(key).is_some()
}

pub(crate) fn unknown_alias(
    props: &UserProperties,
    e: &Entry,
    alias: &str,
    offset: usize,
    aliases: &[&str],
) -> Diagnostic {
    let side = if offset == 0 { "source" } else { "target" };
    let flow = e.key.split('.').next().unwrap_or(&e.key);
    let help = did_you_mean_or(alias, aliases.iter().copied(), || {
        format!("declared aliases: {}", aliases.join(", "))
    });
    props
        .diag_at_key_part(
            e,
            offset,
            alias.len(),
            Diagnostic::error(format!(
                "unknown cluster alias `{alias}` as the {side} of flow `{flow}` in `{}`",
                e.key
            )),
        )
        .label("not declared in kafkaClusters or nonSDMKafkaClusters")
        .help(help)
}

/// A kube context named in the descriptor must exist in the kubeconfigs it lists (those that
/// can be read: the guide's placeholder path is common and harmless when nothing needs it).
pub(crate) fn check_contexts_in_kubeconfigs(
    aliases: &[AliasDecl],
    inputs: &Inputs,
    diags: &mut Collector,
) {
    let kubeconfigs: Vec<&resolve::Kubeconfig> = inputs
        .kubeconfigs
        .iter()
        .filter_map(|k| k.as_ref().ok())
        .collect();
    if kubeconfigs.is_empty() {
        return;
    }
    let known: BTreeSet<&str> = kubeconfigs
        .iter()
        .flat_map(|k| k.contexts.iter().map(String::as_str))
        .collect();
    for a in aliases {
        if let Some(ctx) = a.sdm.as_ref().and_then(|s| s.explicit_context.as_ref()) {
            if !known.contains(ctx.value.as_str()) {
                let help = did_you_mean_or(&ctx.value, known.iter().copied(), || {
                    format!(
                        "the kubeconfigs define: {}",
                        known.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                });
                diags.push(ctx.diag(Diagnostic::error(format!("kube context `{}` is in none of the kubeconfigs listed in kubernetesConfigs", ctx.value))).help(help));
            }
        }
    }
}
