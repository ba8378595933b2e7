//! The section of mm2.properties mm2gen maintains, and its conflicts with the user's lines.

use crate::diagnostics::{Collector, Diagnostic};
use crate::properties::{KeySet, UserProperties};
use crate::version;

use super::defaults::REST_PORT;
use super::scaling::REBALANCE_MAX_DELAY_MS;
use super::secrets;
use super::view::Cluster;

pub(crate) fn maintained_lines(
    clusters: &[Cluster],
    plan: &secrets::SecretsPlan,
    multi_node: bool,
    targets: &[&str],
    props: &UserProperties,
    image: &str,
) -> Vec<(String, String)> {
    let mut lines = vec![(
        "clusters".to_string(),
        clusters
            .iter()
            .map(|c| c.alias.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )];
    for c in clusters {
        lines.push((
            format!("{}.bootstrap.servers", c.alias),
            c.bootstrap_servers.clone(),
        ));
    }
    lines.extend(plan.remote_tls_lines.iter().cloned());
    if plan.uses_provider {
        let p = secrets::PROVIDER_NAME;
        lines.push(("config.providers".into(), p.into()));
        lines.push((
            format!("config.providers.{p}.class"),
            secrets::PROVIDER_CLASS.into(),
        ));
        lines.push((
            format!("config.providers.{p}.param.allowed.paths"),
            secrets::SECRETS_ROOT.into(),
        ));
    }
    // Without it MirrorMaker2 scans every class on its classpath for plugins at every start:
    // once for itself and once per herder, 3 to 4 s each on the e2e machine (more under a CPU
    // limit), and a WARN that suggests this very setting. A herder reads worker settings from
    // its target cluster's keys only. A `plugin.discovery` of the user's, at any level, is kept
    // alone, and so is a `plugin.path`: plugins added there may have no manifests.
    let user_decides = props.entries.iter().any(|e| {
        ["plugin.discovery", "plugin.path"].iter().any(|k| {
            e.key
                .strip_suffix(k)
                .is_some_and(|p| p.is_empty() || p.ends_with('.'))
        })
    });
    if !user_decides && version::official_image_has_plugin_manifests(image) {
        lines.push(("plugin.discovery".into(), "service_load".into()));
        for target in targets {
            lines.push((format!("{target}.plugin.discovery"), "service_load".into()));
        }
    }
    if multi_node {
        // The REST server reads `listeners` untransformed (no config providers). With no host,
        // Jetty advertises the pod's own address, which the other pods can reach.
        lines.push(("dedicated.mode.enable.internal.rest".into(), "true".into()));
        lines.push(("listeners".into(), format!("http://:{REST_PORT}")));
        // A worker setting: MirrorMaker2 reads it from the target cluster's keys. The user's own
        // value, if any, is kept.
        for target in targets {
            let key = format!("{target}.scheduled.rebalance.max.delay.ms");
            if props.get(&key).is_none() {
                lines.push((key, REBALANCE_MAX_DELAY_MS.to_string()));
            }
        }
    }
    lines
}

pub(crate) fn check_maintained_conflicts(
    props: &UserProperties,
    maintained: &[(String, String)],
    diags: &mut Collector,
) {
    let maintained: KeySet<&str> = maintained.iter().map(|(k, _)| k.as_str()).collect();
    for e in &props.entries {
        if e.key == "clusters" || e.key.ends_with(".bootstrap.servers") {
            continue;
        }
        if maintained.contains(e.key.as_str()) {
            diags.push(
                props
                    .diag_at_key(e, Diagnostic::error(format!("`{}` is maintained by mm2gen for this descriptor", e.key)))
                    .label("conflicts with a maintained setting")
                    .help("remove this line: mm2gen sets it for the mounted secrets (config.providers) or for several replicas (KIP-710 REST settings)"),
            );
        }
    }
}
