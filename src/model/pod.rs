//! The pod's shape: resources, heap, scheduling constraints, the Istio revision.

use super::aliases::non_empty;
use crate::descriptor::{Descriptor, Located};
use crate::diagnostics::{Collector, Diagnostic};
use serde::Serialize;

/// Resources as given (type-checked), else derived from the heap: the JVM needs the heap plus
/// roughly 512Mi of metaspace, threads and buffers.
pub(crate) fn pod_resources(
    d: &Descriptor,
    heap_opts: &str,
    diags: &mut Collector,
) -> serde_json::Value {
    if let Some(r) = &d.spec.resources {
        let mut value = r.value.clone();
        // Users write `cpu: 1`; Kubernetes quantities are strings.
        for group in ["limits", "requests"] {
            if let Some(serde_json::Value::Object(m)) = value.get_mut(group) {
                for v in m.values_mut() {
                    if let serde_json::Value::Number(n) = v {
                        *v = serde_json::Value::String(n.to_string());
                    }
                }
            }
        }
        let located = Located {
            value,
            location: r.location.clone(),
            path: r.path.clone(),
        };
        return typed_passthrough::<k8s_openapi::api::core::v1::ResourceRequirements>(
            &Some(located),
            diags,
        )
        .unwrap_or_default();
    }
    let heap_mib = max_heap_mib(heap_opts).unwrap_or(2048);
    let memory = format!("{}Mi", heap_mib + 512);
    serde_json::json!({
        "requests": {"cpu": "500m", "memory": memory},
        "limits": {"memory": memory},
    })
}

/// The `-Xmx` of the JVM options, in MiB.
pub fn max_heap_mib(opts: &str) -> Option<u64> {
    let v = opts
        .split_whitespace()
        .rev()
        .find_map(|o| o.strip_prefix("-Xmx"))?;
    let (digits, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let n: u64 = digits.parse().ok()?;
    match unit {
        "g" | "G" => Some(n * 1024),
        "m" | "M" => Some(n),
        "k" | "K" => Some(n / 1024),
        "" => Some(n / (1024 * 1024)),
        _ => None,
    }
}

/// A user value that goes into the pod spec, checked against the Kubernetes type: a field the
/// type does not have (a typo such as `nodeAfinity`) is an error, not a silent loss.
pub(crate) fn typed_passthrough<T>(
    value: &Option<Located<serde_json::Value>>,
    diags: &mut Collector,
) -> Option<serde_json::Value>
where
    T: serde::de::DeserializeOwned + Serialize,
{
    let v = value.as_ref()?;
    match crate::check::roundtrip::<T>(&v.value) {
        Ok(typed) => Some(typed),
        Err(problem) => {
            diags.push(
                v.diag(Diagnostic::error(format!(
                    "`{}` is not a valid Kubernetes value: {}",
                    v.path, problem.message
                )))
                .help(problem.help),
            );
            None
        }
    }
}

pub(crate) fn istio_revision(d: &Descriptor, diags: &mut Collector) -> Option<String> {
    let icp = d.spec.istio_control_plane.as_ref()?;
    match (non_empty(&icp.name), non_empty(&icp.namespace)) {
        (None, None) => None,
        (Some(n), Some(ns)) => {
            let revision = format!("{n}.{ns}");
            let ok = revision.len() <= 63
                && revision
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            if !ok {
                diags.push(
                    Diagnostic::error(format!(
                        "istioControlPlane `{revision}` cannot be a label value"
                    ))
                    .at(icp.location.clone())
                    .path(icp.path.clone())
                    .help(
                        "use the IstioControlPlane's name and namespace as they are in the cluster",
                    ),
                );
            }
            Some(revision)
        }
        _ => {
            diags.push(
                Diagnostic::error("istioControlPlane needs both `name` and `namespace`")
                    .at(icp.location.clone())
                    .path(icp.path.clone())
                    .help("give the IstioControlPlane of Streaming Data Manager, e.g. name: sdm-icp-v115x, namespace: istio-system; or remove the block"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_size_is_read_from_xmx() {
        assert_eq!(max_heap_mib("-Xms256M -Xmx2G"), Some(2048));
        assert_eq!(max_heap_mib("-Xmx512m"), Some(512));
        assert_eq!(max_heap_mib("-Xms1g"), None);
    }
}
