//! Bootstrap addresses: from the descriptor, a KafkaCluster resource or `--bootstrap-servers`.

use super::aliases::{AliasDecl, Scope, SdmInfo};
use super::view::Cluster;
use crate::diagnostics::{did_you_mean_or, Collector, Diagnostic};
use crate::inputs::Inputs;
use crate::resolve::{self, ListenerLookup};

/// Bootstrap servers per alias: overrides first, then the descriptor or the KafkaCluster.
pub(crate) fn bootstrap_addresses(
    aliases: &[AliasDecl],
    inputs: &Inputs,
    scope: &Scope,
    diags: &mut Collector,
) -> Vec<Cluster> {
    for (alias, _) in &inputs.bootstrap_overrides {
        if !aliases.iter().any(|a| &a.alias == alias) {
            let names: Vec<&str> = aliases.iter().map(|a| a.alias.as_str()).collect();
            let help = did_you_mean_or(alias, names.iter().copied(), || {
                format!("declared aliases: {}", names.join(", "))
            });
            diags.push(
                Diagnostic::error(format!("--bootstrap-servers names unknown alias `{alias}`"))
                    .help(help),
            );
        }
    }
    let mut out = Vec::new();
    for a in aliases {
        let override_ = inputs
            .bootstrap_overrides
            .iter()
            .rev()
            .find(|(al, _)| al == &a.alias);
        let address = if let Some((_, addr)) = override_ {
            if let Err(why) = check_bootstrap(addr) {
                diags.push(
                    Diagnostic::error(format!("--bootstrap-servers {}={addr}: {why}", a.alias))
                        .help("give host:port pairs separated by commas, e.g. kafka-0.example.com:9092,kafka-1.example.com:9092"),
                );
            }
            addr.clone()
        } else if let Some(b) = &a.non_sdm_bootstrap {
            if let Err(why) = check_bootstrap(&b.value) {
                diags.push(b.diag(Diagnostic::error(format!("bootstrapServerAddress `{}`: {why}", b.value.escape_default()))).help(
                    "give host:port pairs separated by commas, e.g. kafka-0.example.com:9092,kafka-1.example.com:9092",
                ));
            }
            b.value.clone()
        } else if let Some(sdm) = &a.sdm {
            let resolved = if scope.is_local(&a.alias) {
                sdm_bootstrap(a, sdm, inputs)
            } else {
                remote_sdm_bootstrap(a, sdm, inputs)
            };
            match resolved {
                Ok(addr) => addr,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            }
        } else {
            continue;
        };
        out.push(Cluster {
            alias: a.alias.clone(),
            bootstrap_servers: address,
            kafka_cluster: a
                .sdm
                .as_ref()
                .map(|s| (s.namespace.clone(), s.name.clone())),
        });
    }
    out
}

pub(crate) fn sdm_bootstrap(
    a: &AliasDecl,
    sdm: &SdmInfo,
    inputs: &Inputs,
) -> std::result::Result<String, Diagnostic> {
    let fix = format!(
        "pass the KafkaCluster resource with --kafka-cluster FILE (e.g. from `kubectl get kafkacluster {} -n {} -o yaml`), or set the address with --bootstrap-servers {}=HOST:PORT (in a MirrorMaker2Migration object: `kafkaClusterFiles:` or `bootstrapServers:`, or a KafkaCluster in the same stream)",
        sdm.name, sdm.namespace, a.alias
    );
    let Some(listener) = &sdm.internal_listener else {
        return Err(Diagnostic::error(format!("{} names no listener to reach Kafka cluster {}/{} through", a.path, sdm.namespace, sdm.name))
            .at(a.location.clone())
            .path(a.path.clone())
            .help("set `internalListenerName:` (or `externalListenerName:`) to a listener of the KafkaCluster, e.g. `internal`"));
    };
    let Some(cr) = resolve::find_kafka_cluster(
        &inputs.kafka_clusters,
        &sdm.namespace,
        &sdm.name,
        sdm.context.as_deref(),
    ) else {
        let known: Vec<String> = inputs
            .kafka_clusters
            .iter()
            .map(|c| format!("{}/{}", c.namespace.as_deref().unwrap_or("?"), c.name))
            .collect();
        let seen = if known.is_empty() {
            "no KafkaCluster resource was given".to_string()
        } else {
            format!("the KafkaCluster resources given are {}", known.join(", "))
        };
        return Err(Diagnostic::error(format!(
            "cannot find the bootstrap address of `{}`: {seen}, none is {}/{}",
            a.alias, sdm.namespace, sdm.name
        ))
        .at(a.location.clone())
        .path(a.path.clone())
        .help(fix));
    };
    match cr.internal_bootstrap(&listener.value, &sdm.namespace) {
        ListenerLookup::Found { host, port } => {
            let fix = "correct the KafkaCluster resource given with --kafka-cluster (it must be the one running in the cluster)";
            if !(1..=65535).contains(&port) {
                return Err(listener
                    .diag(Diagnostic::error(format!(
                        "listener `{}` of KafkaCluster {}/{} has containerPort {port}, outside 1-65535",
                        listener.value, sdm.namespace, sdm.name
                    )))
                    .help(fix));
            }
            if let Err(why) = crate::k8s_rules::dns1123_subdomain(&host) {
                return Err(listener
                    .diag(Diagnostic::error(format!(
                        "the bootstrap host `{}` of KafkaCluster {}/{} (from its name and `kubernetesClusterDomain`) {why}",
                        host.escape_default(), sdm.namespace, sdm.name
                    )))
                    .help(format!("{fix}; `kubernetesClusterDomain` is a DNS name such as `cluster.local`")));
            }
            Ok(format!("{host}:{port}"))
        }
        ListenerLookup::NoSuchListener { available } => Err(listener
            .diag(Diagnostic::error(format!(
                "KafkaCluster {}/{} has no listener named `{}` (it has: {})",
                sdm.namespace,
                sdm.name,
                listener.value,
                if available.is_empty() {
                    "none".to_string()
                } else {
                    available.join(", ")
                }
            )))
            .help(did_you_mean_or(
                &listener.value,
                available.iter().map(String::as_str),
                || fix,
            ))),
        ListenerLookup::NoPort { listener: l } => Err(listener
            .diag(Diagnostic::error(format!(
                "listener `{l}` of KafkaCluster {}/{} has no containerPort",
                sdm.namespace, sdm.name
            )))
            .help(fix)),
    }
}

/// A remote SDM cluster is reached through its external listener: the address Koperator
/// publishes in the KafkaCluster's status (`status.listenerStatuses.externalListeners`).
pub(crate) fn remote_sdm_bootstrap(
    a: &AliasDecl,
    sdm: &SdmInfo,
    inputs: &Inputs,
) -> std::result::Result<String, Diagnostic> {
    let fix = format!(
        "pass the KafkaCluster exported with its status (`kubectl get kafkacluster {} -n {} -o yaml` in its cluster) with --kafka-cluster, or set the address with --bootstrap-servers {}=HOST:PORT",
        sdm.name, sdm.namespace, a.alias
    );
    let Some(listener) = &sdm.external_listener else {
        return Err(Diagnostic::error(format!(
            "`{}` runs in another Kubernetes cluster than this MirrorMaker2, so it is reached through its external listener, but it names none",
            a.alias
        ))
        .at(a.location.clone())
        .path(format!("{}.externalListenerName", a.path))
        .help("set `externalListenerName:` (e.g. `external`), or set the address with --bootstrap-servers"));
    };
    let cr = resolve::find_kafka_cluster(
        &inputs.kafka_clusters,
        &sdm.namespace,
        &sdm.name,
        sdm.context.as_deref(),
    );
    let addresses = cr
        .map(|c| c.external_addresses(&listener.value))
        .unwrap_or_default();
    if addresses.is_empty() {
        let why = match cr {
            None => format!("no KafkaCluster {}/{} was given", sdm.namespace, sdm.name),
            Some(_) => format!(
                "KafkaCluster {}/{} publishes no address for external listener `{}` in its status",
                sdm.namespace, sdm.name, listener.value
            ),
        };
        return Err(listener
            .diag(Diagnostic::error(format!(
                "cannot find the external bootstrap address of remote cluster `{}`: {why}",
                a.alias
            )))
            .help(fix));
    }
    let joined = addresses.join(",");
    if let Err(why) = check_bootstrap(&joined) {
        return Err(listener
            .diag(Diagnostic::error(format!(
                "the external address of remote cluster `{}` in the status of KafkaCluster {}/{}: {why}",
                a.alias, sdm.namespace, sdm.name
            )))
            .help(fix));
    }
    Ok(joined)
}

/// `host:port[,host:port...]`: checked strictly because the value is written into
/// mm2.properties, where a line break or `#` would change what MirrorMaker2 reads.
pub fn check_bootstrap(value: &str) -> std::result::Result<(), String> {
    if value.is_empty() {
        return Err("it is empty".into());
    }
    for part in value.split(',') {
        let part = part.trim();
        let (host, port) = if let Some(rest) = part.strip_prefix('[') {
            let (h, p) = rest
                .split_once("]:")
                .ok_or_else(|| format!("`{part}` is not [ipv6]:port"))?;
            if !h
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            {
                return Err(format!("`{h}` is not an IPv6 address"));
            }
            (h, p)
        } else {
            part.rsplit_once(':')
                .ok_or_else(|| format!("`{}` has no port", part.escape_default()))?
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
        {
            return Err(format!(
                "`{}` is not a host name or address",
                host.escape_default()
            ));
        }
        match port.parse::<u32>() {
            Ok(p) if (1..=65535).contains(&p) => {}
            _ => return Err(format!("`{}` is not a port number", port.escape_default())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_addresses_are_checked_strictly() {
        assert!(check_bootstrap("a.example.com:9092,b:9093").is_ok());
        assert!(check_bootstrap("[::1]:9092").is_ok());
        assert!(check_bootstrap("a:9092\nclusters=x").is_err());
        assert!(check_bootstrap("a").is_err());
        assert!(check_bootstrap("a:0").is_err());
        assert!(check_bootstrap("a b:1").is_err());
    }
}
