//! Replicas, autoscaling and what several dedicated MirrorMaker2 nodes need (KIP-710).

use super::view::Autoscaling;
use crate::descriptor::Descriptor;
use crate::diagnostics::{Collector, Diagnostic};
use crate::version;

pub(crate) fn replicas(
    d: &Descriptor,
    kafka_version: Option<&str>,
    image: &str,
    diags: &mut Collector,
) -> (i64, Option<Autoscaling>) {
    let min = d.spec.min_replicas.as_ref();
    let max = d.spec.max_replicas.as_ref();
    let min_v = min.map_or(1, |m| m.value);
    let max_v = max.map_or(min_v.max(1), |m| m.value);
    for r in [min, max].into_iter().flatten() {
        if r.value < 1 || r.value > 100 {
            diags.push(
                r.diag(Diagnostic::error(format!(
                    "`{}` is {}; it must be between 1 and 100",
                    r.path, r.value
                )))
                .help("MirrorMaker2 needs at least one pod"),
            );
        }
    }
    if min_v > max_v {
        let at = max.or(min).expect("min > max needs a user-given value");
        diags.push(
            at.diag(Diagnostic::error(format!(
                "minReplicas ({min_v}) is greater than maxReplicas ({max_v})"
            )))
            .help("set maxReplicas to at least minReplicas"),
        );
    }
    if max_v > 1 {
        let too_old = kafka_version
            .and_then(version::parse)
            .is_some_and(|v| v < (3, 5, 0));
        if too_old {
            let at = max
                .or(min)
                .expect("more than one replica needs a user-given value");
            diags.push(
                at.diag(Diagnostic::error(format!(
                    "several MirrorMaker2 replicas need Kafka 3.5 or newer (KIP-710), but image `{image}` runs Kafka {}",
                    kafka_version.unwrap_or("?")
                )))
                .help(format!("use a newer image (the default is {}) or set minReplicas and maxReplicas to 1", version::DEFAULT_IMAGE)),
            );
        } else if kafka_version.is_none() {
            diags.push(Diagnostic::warning(format!(
                "cannot tell the Kafka version of image `{image}`; several replicas need Kafka 3.5 or newer (KIP-710)"
            )));
        }
    }
    let autoscaling = (max_v > min_v).then_some(Autoscaling {
        min_replicas: min_v,
        max_replicas: max_v,
    });
    (min_v, autoscaling)
}

/// How long a group of several MirrorMaker2 pods keeps the connectors and tasks of a pod that
/// left before handing them to the others. Connect's default, 5 minutes, waits for a worker that
/// bounces; a Kubernetes pod that is gone is replaced by a new member, which gets the work when it
/// joins, so the wait only stalls replication after a scale-down (the e2e test measured it).
pub const REBALANCE_MAX_DELAY_MS: u32 = 30_000;
