//! Migration mistakes mm2gen can see before anything runs: misspelled or mistyped MirrorMaker2
//! keys (checked against the key table of the pinned Kafka, generated from Kafka's own
//! ConfigDefs by scripts/gen-mm2-keys), the guide's empty-separator trick, replication factors
//! the target cannot honour, ACLs MirrorMaker2 will not copy, flows that loop or do nothing.
//!
//! Findings are diagnostics (what, where, why, how to fix). `mm2gen lint` prints them;
//! `mm2gen render` prints the warnings on stderr without changing its output.

mod keys;
pub mod topics;
mod values;

use std::collections::BTreeSet;

use crate::descriptor::Descriptor;
use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::model::policy::PolicyKind;
use crate::model::{Flow, Model};
use crate::properties::UserProperties;
use crate::{resolve, Inputs};

pub use keys::KeyTable;

/// Every finding for a descriptor: the errors render would report, then the warnings, then what
/// the source clusters' topic listings (`--source-topics`) say about the flows.
pub fn lint(d: &Descriptor, inputs: &Inputs, listings: &[topics::TopicListing]) -> Vec<Diagnostic> {
    let (d, inputs) = match crate::resolve_references(d, inputs) {
        Ok(r) => r,
        Err(e) => return e.diagnostics,
    };
    match crate::analyze(&d, &inputs) {
        Ok(crate::Analysis {
            properties: props,
            models,
            warnings: mut out,
        }) => {
            let aliases: Vec<String> = models
                .first()
                .map(|m| m.clusters.iter().map(|c| c.alias.clone()).collect())
                .unwrap_or_default();
            out.extend(topics::unknown_aliases(listings, &aliases));
            out.extend(topics::findings(&props, &models, listings));
            out
        }
        Err(e) => {
            let mut out = e.diagnostics;
            // What needs only the properties and the aliases the descriptor names can still be
            // checked: a linter reports all it can in one run.
            if let Ok(props) = crate::model::parse_user_properties(&d) {
                out.extend(unbuilt_findings(&props, &declared_aliases(&d)));
            }
            out
        }
    }
}

/// The warnings of a descriptor that renders (what `render` shows on stderr).
pub fn warnings(props: &UserProperties, models: &[Model], inputs: &Inputs) -> Vec<Diagnostic> {
    let aliases: Vec<String> = models
        .first()
        .map(|m| m.clusters.iter().map(|c| c.alias.clone()).collect())
        .unwrap_or_default();
    let flows: Vec<&Flow> = models.iter().flat_map(|m| &m.flows).collect();
    let mut out = key_findings(props, &aliases);
    out.extend(separator_trick(props));
    out.extend(flow_findings(props, &aliases, &flows));
    out.extend(replication_factors(props, models, inputs));
    out.extend(acl_sync(props));
    out.extend(refresh_intervals(props));
    out.extend(key_table_version(models));
    out
}

/// The key table is generated from one Kafka's ConfigDefs (the pinned one, the default image):
/// with another image, say that the keys were checked against those, not the image's.
fn key_table_version(models: &[Model]) -> Option<Diagnostic> {
    let table = KeyTable::pinned().kafka_version;
    let model = models.first()?;
    let runs = model.kafka_version.as_deref();
    if runs == Some(table) {
        return None;
    }
    let image = &model.image;
    let runs = runs.map_or("a Kafka version its tag does not say".to_string(), |v| {
        format!("Kafka {v}")
    });
    Some(
        Diagnostic::note(format!(
            "MirrorMaker2 keys were checked against Kafka {table}'s configs, but image `{image}` runs {runs}"
        ))
        .help(format!(
            "a key that version added or removed is not flagged or is flagged wrongly: check such keys against that version's documentation (Kafka {table} is the default image's version)"
        )),
    )
}

/// The warnings of [`warnings`] that need no model, for a descriptor that does not build.
fn unbuilt_findings(props: &UserProperties, aliases: &[String]) -> Vec<Diagnostic> {
    let names: Vec<&str> = aliases.iter().map(String::as_str).collect();
    let flows = crate::model::enabled_flows(props, &names);
    let mut out = key_findings(props, aliases);
    out.extend(separator_trick(props));
    out.extend(flow_findings(
        props,
        aliases,
        &flows.iter().collect::<Vec<_>>(),
    ));
    out.extend(acl_sync(props));
    out.extend(refresh_intervals(props));
    out
}

fn declared_aliases(d: &Descriptor) -> Vec<String> {
    let sdm = d.kafka_clusters.iter().filter_map(|c| c.alias.as_ref());
    let non_sdm = d.non_sdm_clusters.iter().filter_map(|c| c.alias.as_ref());
    sdm.chain(non_sdm).map(|a| a.value.clone()).collect()
}

/// After this many unknown keys the rest are counted, not listed: each suggestion compares the
/// key with every known one, and a wrong file should not take minutes to report.
const MAX_UNKNOWN_KEY_FINDINGS: usize = 50;

/// Unknown keys (with a suggestion) and values of the wrong type, at every scope MirrorMaker2
/// reads: top level, `<alias>.`, `<alias>.{consumer,producer,admin}.`, `<source>-><target>.`.
fn key_findings(props: &UserProperties, aliases: &[String]) -> Vec<Diagnostic> {
    let table = KeyTable::pinned();
    let known_aliases: crate::properties::KeySet<&str> =
        aliases.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    let mut unknown = 0;
    for e in &props.entries {
        let (scope, rest, offset) = if let Some((source, after)) = e.key.split_once("->") {
            match crate::model::alias_prefix(after, &known_aliases) {
                Some(target) => (
                    keys::Scope::Flow,
                    &after[target.len() + 1..],
                    source.len() + 2 + target.len() + 1,
                ),
                None => continue, // an unknown alias: render reports it
            }
        } else if let Some(alias) = crate::model::alias_prefix(&e.key, &known_aliases) {
            (
                keys::Scope::Cluster,
                &e.key[alias.len() + 1..],
                alias.len() + 1,
            )
        } else {
            (keys::Scope::TopLevel, e.key.as_str(), 0)
        };
        match table.lookup(scope, rest) {
            keys::Lookup::Known(info) => out.extend(refused_value(props, e, info)),
            keys::Lookup::Misplaced(role) => {
                out.push(
                    props
                        .diag_at_key_part(
                            e,
                            offset,
                            rest.len(),
                            Diagnostic::warning(format!(
                                "`{rest}` is {}, but MirrorMaker2 does not read it {}: `{}` is ignored",
                                role.describe(),
                                scope.describe(),
                                e.key
                            )),
                        )
                        .label("not read here")
                        .help(misplaced_help(role, rest)),
                );
            }
            keys::Lookup::ConfigProvidersOnly(info) => {
                if let Some(refused) = refused_value(props, e, info) {
                    out.push(refused);
                } else if !aliases
                    .iter()
                    .any(|a| props.get(&format!("{a}.{}", e.key)).is_some())
                {
                    out.push(
                        props
                            .diag_at_key(
                                e,
                                Diagnostic::warning(format!(
                                    "`{}` at the top level reaches only the loading of MirrorMaker2's own config providers, not the flows' Connect workers",
                                    e.key
                                )),
                            )
                            .label("read for config providers only")
                            .help(format!(
                                "also write `<target alias>.{}`: each flow's Connect worker takes its settings from its target cluster",
                                e.key
                            )),
                    );
                }
            }
            keys::Lookup::Dynamic => {}
            keys::Lookup::Unknown if unknown >= MAX_UNKNOWN_KEY_FINDINGS => unknown += 1,
            keys::Lookup::Unknown => {
                unknown += 1;
                // A misspelled alias makes a cluster key look like an unknown top-level key.
                let alias_typo = (scope == keys::Scope::TopLevel)
                    .then(|| e.key.split_once('.'))
                    .flatten()
                    .and_then(|(first, tail)| {
                        did_you_mean(first, aliases.iter().map(String::as_str))
                            .map(|alias| format!("did you mean `{alias}.{tail}`? (`{first}` is not a declared alias)"))
                    });
                let help = alias_typo.or_else(|| {
                    table
                        .suggest(scope, rest)
                        .map(|s| format!("did you mean `{}{s}`?", &e.key[..offset]))
                });
                out.push(
                    props
                        .diag_at_key_part(e, offset, rest.len(), Diagnostic::warning(format!(
                            "unknown MirrorMaker2 key `{}` (Kafka {}): MirrorMaker2 ignores it",
                            e.key,
                            table.kafka_version
                        )))
                        .label("not a key of this scope")
                        .help(help.unwrap_or_else(|| "check the spelling against the MirrorMaker2, Connect worker and client configs of this Kafka version".to_string())),
                );
            }
        }
    }
    if unknown > MAX_UNKNOWN_KEY_FINDINGS {
        out.push(
            Diagnostic::warning(format!(
                "{} more unknown MirrorMaker2 keys are not listed",
                unknown - MAX_UNKNOWN_KEY_FINDINGS
            ))
            .help("fix the keys above first; is this the right properties block?"),
        );
    }
    out
}

/// A value the key's ConfigDef would refuse.
fn refused_value(
    props: &UserProperties,
    e: &crate::properties::Entry,
    info: &keys::KeyInfo,
) -> Option<Diagnostic> {
    let problem = values::value_problem(info, &e.value)?;
    Some(
        props
            .diag_at_value(
                e,
                Diagnostic::warning(format!(
                    "`{}` is {}: MirrorMaker2 will refuse to start",
                    e.key, problem.problem
                )),
            )
            .help(problem.help),
    )
}

/// Where a real key that was written in the wrong scope takes effect.
fn misplaced_help(role: keys::Role, key: &str) -> String {
    use keys::Role;
    match role {
        Role::Connector => format!(
            "write it at the top level (every flow) or as `<source>-><target>.{key}` (one flow)"
        ),
        Role::MirrorMaker => format!("write `{key}` at the top level"),
        Role::Worker => format!(
            "write it as `<target alias>.{key}`: each flow's Connect worker takes its settings from its target cluster"
        ),
        Role::Producer | Role::Consumer | Role::Admin => {
            let client = match role {
                Role::Producer => "producer",
                Role::Consumer => "consumer",
                _ => "admin",
            };
            let bare = key
                .strip_prefix(client)
                .and_then(|k| k.strip_prefix('.'))
                .unwrap_or(key);
            format!(
                "write it as `<alias>.{client}.{bare}` (one cluster) or `<source>-><target>.{client}.{bare}` (one flow)"
            )
        }
        Role::Rest => "remove it: dedicated MirrorMaker2 runs no public Connect REST API (its KIP-710 internal API has no such setting)".to_string(),
    }
}

/// The guide's `replication.policy.separator=` / `source.cluster.alias=` / `target.cluster.alias=`.
fn separator_trick(props: &UserProperties) -> Vec<Diagnostic> {
    let empty = |k: &str| props.get(k).is_some_and(|e| e.value.is_empty());
    let default_policy = props.get("replication.policy.class").is_none_or(|e| {
        e.value.trim().is_empty() || e.value.trim() == crate::model::policy::DEFAULT_POLICY
    });
    let Some(sep) = props
        .get("replication.policy.separator")
        .filter(|_| empty("replication.policy.separator") && default_policy)
    else {
        return Vec::new();
    };
    vec![props
        .diag_at_key(sep, Diagnostic::warning(
            "the empty separator and aliases keep topic names, but only by accident: with DefaultReplicationPolicy every topic now looks remote (an empty separator splits a name between every character, so `orders` seems to come from cluster `o`), MirrorMaker2's internal topics lose their cluster names (`checkpointsinternal`, `mm2-offset-syncsinternal`, shared by every flow), and cycle detection stops working",
        ))
        .label("empty replication.policy.separator")
        .help(format!(
            "use `replication.policy.class={}` (Kafka 3.0+) and remove the empty `replication.policy.separator`, `source.cluster.alias` and `target.cluster.alias` lines: it keeps topic names on purpose",
            crate::model::policy::IDENTITY_POLICY
        ))]
}

fn flow_findings(props: &UserProperties, aliases: &[String], flows: &[&Flow]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let known: crate::properties::KeySet<&str> = aliases.iter().map(String::as_str).collect();
    let mut reported = BTreeSet::new();
    let enabled_flows: crate::properties::KeySet<(&str, &str)> = flows
        .iter()
        .map(|f| (f.source.as_str(), f.target.as_str()))
        .collect();
    // Flows that never say where their offset-syncs topic goes: one finding for all of them.
    let mut unset_offset_syncs: Vec<&Flow> = Vec::new();
    for e in &props.entries {
        let Some((source, after)) = e.key.split_once("->") else {
            continue;
        };
        let Some(target) = crate::model::alias_prefix(after, &known) else {
            continue;
        };
        if !enabled_flows.contains(&(source, target))
            && reported.insert((source.to_string(), target.to_string()))
            && !e.key.ends_with(".enabled")
        {
            out.push(
                props
                    .diag_at_key(e, Diagnostic::warning(format!("flow {source}->{target} is configured but not enabled, so these settings do nothing")))
                    .help(format!("add `{source}->{target}.enabled=true`, or remove the flow's settings")),
            );
        }
    }
    for f in flows {
        let policy = &f.policy;
        let keeps_names = matches!(policy.kind, PolicyKind::Identity)
            || policy.remote_prefix().is_some_and(|p| p.is_empty());
        if keeps_names
            && enabled_flows.contains(&(f.target.as_str(), f.source.as_str()))
            && f.source < f.target
        {
            let d = Diagnostic::warning(format!(
                "flows {0}->{1} and {1}->{0} are both enabled with a replication policy that keeps topic names: every record loops between the clusters",
                f.source, f.target
            ))
            .help("enable one direction for a migration, or use DefaultReplicationPolicy (with a separator) so remote topics get a prefix and cycles are detected");
            out.push(props.diag_at_flow(&f.source, &f.target, d));
        }
        let location_key = "offset-syncs.topic.location";
        let location = props
            .get(&format!("{}->{}.{location_key}", f.source, f.target))
            .or_else(|| props.get(location_key));
        match location {
            None => unset_offset_syncs.push(f),
            Some(e) if !e.value.trim().eq_ignore_ascii_case("target") => {
                out.push(props.diag_at_value(e, offset_syncs_on_source(std::slice::from_ref(f))));
            }
            Some(_) => {}
        }
    }
    if !unset_offset_syncs.is_empty() {
        out.push(offset_syncs_on_source(&unset_offset_syncs));
    }
    out
}

/// How many flows a finding names before it only counts the rest.
const NAMED_FLOWS: usize = 10;

fn offset_syncs_on_source<F: std::borrow::Borrow<Flow>>(flows: &[F]) -> Diagnostic {
    let key = "offset-syncs.topic.location";
    let name = |f: &F| format!("{}->{}", f.borrow().source, f.borrow().target);
    if let [one] = flows {
        return Diagnostic::warning(format!(
            "flow {} keeps its offset-syncs topic on the source: MirrorMaker2 then needs CREATE and WRITE on the source cluster",
            name(one)
        ))
        .help(format!("set `{}.{key}=target` so MirrorMaker2 only reads from the source", name(one)));
    }
    let mut names: Vec<String> = flows.iter().take(NAMED_FLOWS).map(name).collect();
    if flows.len() > NAMED_FLOWS {
        names.push(format!("and {} more", flows.len() - NAMED_FLOWS));
    }
    Diagnostic::warning(format!(
        "{} flows keep their offset-syncs topics on the source ({}): MirrorMaker2 then needs CREATE and WRITE on each source cluster",
        flows.len(),
        names.join(", ")
    ))
    .help(format!("set `{key}=target` at the top level (every flow) so MirrorMaker2 only reads from the sources"))
}

const REPLICATION_FACTOR_KEYS: &[&str] = &[
    "replication.factor",
    "checkpoints.topic.replication.factor",
    "heartbeats.topic.replication.factor",
    "offset-syncs.topic.replication.factor",
    "offset.storage.replication.factor",
    "status.storage.replication.factor",
    "config.storage.replication.factor",
];

/// Replication factors against the target's broker count, when its KafkaCluster is known.
fn replication_factors(
    props: &UserProperties,
    models: &[Model],
    inputs: &Inputs,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let targets: Vec<&resolve::KafkaClusterResource> = models
        .iter()
        .filter_map(|m| m.kafka_user.as_ref())
        .filter_map(|u| {
            resolve::find_kafka_cluster(
                &inputs.kafka_clusters,
                &u.cluster_namespace,
                &u.cluster_name,
                None,
            )
        })
        .collect();
    let brokers = targets.iter().filter_map(|c| c.broker_count()).min();
    let min_isr = targets
        .iter()
        .filter_map(|c| c.broker_config("min.insync.replicas")?.parse::<i64>().ok())
        .max();
    // MirrorMaker2 does not copy min.insync.replicas (DefaultConfigPropertyFilter excludes it):
    // the topics it creates get the target brokers' value, which must fit their replication factor.
    if let (Some(isr), Some(e)) = (min_isr, props.get("replication.factor")) {
        if e.value
            .trim()
            .parse::<i64>()
            .is_ok_and(|rf| rf > 0 && rf < isr)
        {
            out.push(
                props
                    .diag_at_value(e, Diagnostic::warning(format!(
                        "`replication.factor` is {}, but the target brokers' min.insync.replicas is {isr}: writes with acks=all to the replicated topics will fail",
                        e.value.trim()
                    )))
                    .help(format!("set replication.factor to at least {isr}")),
            );
        }
    }
    let Some(brokers) = brokers else { return out };
    for e in &props.entries {
        let Some(key) = REPLICATION_FACTOR_KEYS
            .iter()
            .find(|k| e.key == **k || e.key.ends_with(&format!(".{k}")))
        else {
            continue;
        };
        let Ok(factor) = e.value.trim().parse::<i64>() else {
            continue;
        };
        if factor > brokers as i64 {
            out.push(
                props
                    .diag_at_value(e, Diagnostic::warning(format!("`{}` is {factor}, but the target KafkaCluster has {brokers} brokers: creating those topics will fail", e.key)))
                    .help(format!("set {key} to at most {brokers}")),
            );
        } else if factor == 1 && brokers >= 3 {
            out.push(
                props
                    .diag_at_value(e, Diagnostic::warning(format!("`{}` is 1 on a target with {brokers} brokers: one broker failure loses data", e.key)))
                    .help(format!("use 3 (or at least 2) for {key} in production")),
            );
        }
    }
    out
}

fn acl_sync(props: &UserProperties) -> Vec<Diagnostic> {
    let Some(e) = props
        .get("sync.topic.acls.enabled")
        .filter(|e| e.value.trim().eq_ignore_ascii_case("true"))
    else {
        return Vec::new();
    };
    vec![props
        .diag_at_key(e, Diagnostic::warning(
            "ACL sync copies only TOPIC ACLs with a LITERAL pattern that do not ALLOW WRITE: producers' WRITE grants, PREFIXED patterns and consumer GROUP ACLs are not migrated",
        ))
        .help("create those ACLs on the target yourself (Streaming Data Manager's ACL resources or KafkaUser topicGrants) before switching clients")]
}

fn refresh_intervals(props: &UserProperties) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for key in [
        "refresh.topics.interval.seconds",
        "refresh.groups.interval.seconds",
    ] {
        let Some(e) = props.get(key) else { continue };
        let Ok(seconds) = e.value.trim().parse::<i64>() else {
            continue;
        };
        let problem = if seconds > 0 && seconds < 10 {
            Some("polls the source's metadata very often")
        } else if seconds > 3600 {
            Some("notices new topics or groups only after more than an hour")
        } else {
            None
        };
        if let Some(problem) = problem {
            out.push(
                props
                    .diag_at_value(
                        e,
                        Diagnostic::warning(format!("`{key}={seconds}`: MirrorMaker2 {problem}")),
                    )
                    .help("values between 30 and 600 seconds suit a migration"),
            );
        }
    }
    out
}

/// Findings as JSON for CI and the KRM function's results.
pub fn to_json(findings: &[Diagnostic]) -> String {
    let items: Vec<serde_json::Value> = findings
        .iter()
        .map(|d| {
            serde_json::json!({
                "severity": d.severity_word(),
                "message": d.message,
                "file": d.location.as_ref().map(|l| l.file.name.clone()),
                "line": d.location.as_ref().map(|l| l.line),
                "column": d.location.as_ref().map(|l| l.col + 1),
                "path": d.yaml_path,
                "help": d.help,
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).expect("JSON values serialize");
    s.push('\n');
    s
}
