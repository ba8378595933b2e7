//! Flows (`A->B.enabled`): which are on, which instance hosts each, and what each needs.

use std::collections::BTreeSet;

use crate::descriptor::Descriptor;
use crate::diagnostics::{Collector, Diagnostic};
use crate::inputs::Inputs;
use crate::properties::{KeyMap, KeySet, UserProperties};
use crate::resolve::{self};

use super::aliases::{AliasDecl, Scope};
use super::kafka_versions;
use super::view::Flow;

/// Flows switched on with `A->B.enabled=true` (MirrorMaker2 reads booleans case-insensitively).
pub fn enabled_flows(props: &UserProperties, aliases: &[&str]) -> Vec<Flow> {
    let position: KeyMap<&str, usize> = aliases.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    let mut flows: Vec<(usize, usize)> = Vec::new();
    for e in &props.entries {
        let Some((source, target)) = e
            .key
            .strip_suffix(".enabled")
            .and_then(|f| f.split_once("->"))
        else {
            continue;
        };
        // The last value wins; an unknown alias was reported by check_user_keys.
        let enabled = props
            .get(&e.key)
            .is_some_and(|last| last.value.trim().eq_ignore_ascii_case("true"));
        if let (true, Some(&s), Some(&t)) = (enabled, position.get(source), position.get(target)) {
            if s != t {
                flows.push((s, t));
            }
        }
    }
    // MirrorMaker2 orders nothing by flow; sort for deterministic output.
    flows.sort_unstable();
    flows.dedup();
    flows
        .into_iter()
        .map(|(s, t)| Flow::new(props, aliases[s], aliases[t]))
        .collect()
}

pub(crate) fn flow_warnings(
    props: &UserProperties,
    aliases: &[&str],
    flows: &[Flow],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if flows.is_empty() {
        out.push(
            Diagnostic::warning(
                "no replication flow is enabled: MirrorMaker2 will start and copy nothing",
            )
            .help("enable one, e.g. `source-cluster->target-cluster.enabled=true`"),
        );
    }
    for e in &props.entries {
        if let Some(flow) = e.key.strip_suffix(".enabled").filter(|k| k.contains("->")) {
            if !e.value.trim().eq_ignore_ascii_case("true")
                && !e.value.trim().eq_ignore_ascii_case("false")
            {
                out.push(
                    props
                        .diag_at_value(
                            e,
                            Diagnostic::warning(format!(
                                "flow `{flow}` is enabled only by `true`; `{}` counts as false",
                                e.value.trim()
                            )),
                        )
                        .help("write `true` or `false`"),
                );
            }
        }
    }
    let _ = aliases;
    out
}

/// The SDM cluster MirrorMaker2 runs next to: the local target of the enabled flows, else the
/// first local SDM cluster.
pub(crate) fn target_cluster<'a>(
    aliases: &'a [AliasDecl],
    flows: &[Flow],
    scope: &Scope,
) -> Option<&'a AliasDecl> {
    let local = || {
        aliases
            .iter()
            .filter(|a| a.sdm.is_some() && scope.is_local(&a.alias))
    };
    local()
        .find(|a| flows.iter().any(|f| f.target == a.alias))
        .or_else(|| local().next())
}

/// One instance lives in one namespace: its local targets must agree unless -n decides.
pub(crate) fn check_one_namespace(
    inputs: &Inputs,
    aliases: &[AliasDecl],
    flows: &[Flow],
    scope: &Scope,
    diags: &mut Collector,
) {
    if inputs.namespace.is_some() {
        return;
    }
    let targets: Vec<&AliasDecl> = aliases
        .iter()
        .filter(|a| {
            a.sdm.is_some() && scope.is_local(&a.alias) && flows.iter().any(|f| f.target == a.alias)
        })
        .collect();
    let namespaces: BTreeSet<&str> = targets
        .iter()
        .filter_map(|a| a.sdm.as_ref().map(|s| s.namespace.as_str()))
        .collect();
    if namespaces.len() > 1 {
        let at = targets[1];
        diags.push(
            Diagnostic::error(format!(
                "the flows of one MirrorMaker2 instance write to Kafka clusters in different namespaces ({})",
                namespaces.iter().copied().collect::<Vec<_>>().join(", ")
            ))
            .at(at.location.clone())
            .path(at.path.clone())
            .help("choose the instance's namespace with -n/--namespace, or split the descriptor"),
        );
    }
}

/// MirrorMaker2 runs next to the cluster it writes to; a flow between two clusters outside
/// Streaming Data Manager has no such place.
pub(crate) fn check_flows_have_a_host(
    props: &UserProperties,
    aliases: &[AliasDecl],
    flows: &[Flow],
    diags: &mut Collector,
) {
    let sdm: KeySet<&str> = aliases
        .iter()
        .filter(|a| a.sdm.is_some())
        .map(|a| a.alias.as_str())
        .collect();
    let is_sdm = |alias: &str| sdm.contains(alias);
    for f in flows
        .iter()
        .filter(|f| !is_sdm(&f.source) && !is_sdm(&f.target))
    {
        let d = Diagnostic::error(format!(
            "flow {}->{} connects two clusters outside Streaming Data Manager: no MirrorMaker2 instance can host it",
            f.source, f.target
        ))
        .help("mm2gen runs MirrorMaker2 next to the SDM cluster a flow writes to; replicate into one of kafkaClusters, or disable this flow");
        diags.push(props.diag_at_flow(&f.source, &f.target, d));
    }
    let multi = aliases
        .iter()
        .filter_map(|a| a.sdm.as_ref().map(|s| &s.context))
        .collect::<BTreeSet<_>>()
        .len()
        > 1;
    for f in flows
        .iter()
        .filter(|f| multi && is_sdm(&f.source) && !is_sdm(&f.target))
    {
        let key = format!("{}->{}.enabled", f.source, f.target);
        let d = Diagnostic::error(format!(
            "flow {}->{} writes to a cluster outside Streaming Data Manager, and the descriptor spans several Kubernetes clusters",
            f.source, f.target
        ))
        .help("with several Kubernetes clusters each MirrorMaker2 runs the flows into its own SDM clusters; render flows into other clusters from a separate descriptor");
        diags.push(match props.get(&key) {
            Some(e) => props.diag_at_key(e, d),
            None => d,
        });
    }
}

/// With several Kubernetes clusters an SDM cluster is local to one instance (internal
/// listener, no client TLS) and remote to the others (mesh gateway, client TLS): settings the
/// user writes for it would apply to both, so they belong in the cluster's `tls` block.
pub(crate) fn check_no_client_settings_for_sdm_clusters(
    props: &UserProperties,
    aliases: &[AliasDecl],
    diags: &mut Collector,
) {
    for e in &props.entries {
        let Some(a) = aliases
            .iter()
            .filter(|a| a.sdm.is_some())
            .find(|a| e.key.starts_with(&format!("{}.", a.alias)))
        else {
            continue;
        };
        let rest = &e.key[a.alias.len() + 1..];
        let rest = ["consumer.", "producer.", "admin."]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
        if rest == "security.protocol" || rest.starts_with("ssl.") || rest.starts_with("sasl.") {
            diags.push(
                props
                    .diag_at_key(e, Diagnostic::error(format!(
                        "`{}` would apply in every Kubernetes cluster, also where `{}` is local and reached without client TLS",
                        e.key, a.alias
                    )))
                    .label("client setting of an SDM cluster")
                    .help(format!(
                        "remove it and give `{}` a `tls:` block (secretName and keys): mm2gen adds the client TLS settings only in the instances that reach it through its mesh gateway",
                        a.alias
                    )),
            );
        }
    }
}

/// The clusters the flows read from and write to, with what says which Kafka they run.
pub(crate) fn flow_brokers<'a>(
    d: &'a Descriptor,
    inputs: &'a Inputs,
    aliases: &'a [AliasDecl],
    flows: &[Flow],
    props: &UserProperties,
) -> Vec<kafka_versions::Broker<'a>> {
    let syncs_configs = |f: &Flow| {
        [
            format!("{}->{}.sync.topic.configs.enabled", f.source, f.target),
            "sync.topic.configs.enabled".to_string(),
        ]
        .iter()
        .find_map(|k| props.get(k))
        .is_none_or(|e| !e.value.trim().eq_ignore_ascii_case("false"))
    };
    aliases
        .iter()
        .filter(|a| {
            flows
                .iter()
                .any(|f| f.source == a.alias || f.target == a.alias)
        })
        .map(|a| kafka_versions::Broker {
            alias: &a.alias,
            stated: d
                .non_sdm_clusters
                .iter()
                .find(|c| a.sdm.is_none() && c.path == a.path)
                .and_then(|c| c.kafka_version.as_ref()),
            kafka_cluster: a.sdm.as_ref().and_then(|s| {
                resolve::find_kafka_cluster(
                    &inputs.kafka_clusters,
                    &s.namespace,
                    &s.name,
                    s.context.as_deref(),
                )
            }),
            syncs_topic_configs_into: flows
                .iter()
                .any(|f| f.target == a.alias && syncs_configs(f)),
        })
        .collect()
}
