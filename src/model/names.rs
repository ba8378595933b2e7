//! Names, namespaces, labels and the image of the generated objects.

use std::collections::BTreeMap;

use crate::descriptor::Descriptor;
use crate::diagnostics::{Collector, Diagnostic};
use crate::inputs::Inputs;

use super::aliases::AliasDecl;
use super::defaults::DEFAULT_NAME;
use super::field_checks;

pub(crate) fn decide_name(d: &Descriptor, inputs: &Inputs, diags: &mut Collector) -> String {
    let from_krm = d.krm.as_ref().and_then(|k| k.name.clone());
    let name = inputs
        .name
        .clone()
        .or_else(|| from_krm.as_ref().map(|n| n.value.clone()))
        .unwrap_or_else(|| DEFAULT_NAME.to_string());
    if let Err(why) = check_dns_label(&name, 40) {
        let d = Diagnostic::error(format!("name `{}` {why}", name.escape_default()))
            .help("use lower-case letters, digits and `-`, at most 40 characters (it prefixes the names of every object)");
        diags.push(match (&inputs.name, from_krm) {
            (None, Some(n)) => n.diag(d),
            _ => d.path("--name"),
        });
    }
    name
}

/// The image goes into the container spec and its Kafka version into a label.
pub(crate) fn check_image(
    d: &Descriptor,
    inputs: &Inputs,
    image: &str,
    kafka_version: Option<&str>,
    diags: &mut Collector,
) {
    let problem = field_checks::check_image(image).err().or_else(|| {
        let version = kafka_version?;
        crate::k8s_rules::label_value(version).err().map(|why| {
            format!("gives the Kafka version `{version}` for label app.kubernetes.io/version, which {why}")
        })
    });
    let Some(why) = problem else { return };
    let err = Diagnostic::error(format!("image `{}` {why}", image.escape_default()))
        .help("give an image reference such as `apache/kafka:3.9.0` (name, `:tag` and/or `@sha256:digest`)");
    diags.push(match (&inputs.image, &d.spec.image) {
        (None, Some(i)) => i.diag(err),
        _ => err.path("--image"),
    });
}

pub(crate) fn decide_namespace(
    d: &Descriptor,
    inputs: &Inputs,
    target: Option<&AliasDecl>,
    diags: &mut Collector,
) -> String {
    let from_krm = d.krm.as_ref().and_then(|k| k.namespace.clone());
    let ns = inputs
        .namespace
        .clone()
        .or_else(|| from_krm.as_ref().map(|n| n.value.clone()))
        .or_else(|| target.and_then(|t| t.sdm.as_ref().map(|s| s.namespace.clone())))
        .unwrap_or_else(|| "kafka".to_string());
    if let Err(why) = check_dns_label(&ns, 63) {
        let d = Diagnostic::error(format!("namespace `{}` {why}", ns.escape_default())).help(
            "a Kubernetes namespace is lower-case letters, digits and `-`, at most 63 characters",
        );
        diags.push(match (&inputs.namespace, from_krm, target) {
            (Some(_), _, _) => d.path("--namespace"),
            (None, Some(n), _) => n.diag(d),
            (None, None, Some(t)) => d
                .at(t.location.clone())
                .path(format!("{}.namespace", t.path)),
            _ => d,
        });
    }
    ns
}

pub fn check_dns_label(value: &str, max: usize) -> std::result::Result<(), String> {
    if value.is_empty() {
        return Err("is empty".into());
    }
    if value.len() > max {
        return Err(format!("is longer than {max} characters"));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("may hold only lower-case letters, digits and `-`".into());
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// A DNS label made from an alias (`source_cluster.eu` -> `source-cluster-eu`).
pub fn dns_label(value: &str, max: usize) -> String {
    let mut s: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.truncate(max);
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "cluster".to_string()
    } else {
        s
    }
}

pub(crate) fn labels(name: &str, kafka_version: Option<&str>) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert(
        "app.kubernetes.io/name".to_string(),
        "mirrormaker2".to_string(),
    );
    l.insert("app.kubernetes.io/instance".to_string(), name.to_string());
    l.insert(
        "app.kubernetes.io/component".to_string(),
        "replication".to_string(),
    );
    l.insert(
        "app.kubernetes.io/part-of".to_string(),
        "kafka-migration".to_string(),
    );
    l.insert(
        "app.kubernetes.io/managed-by".to_string(),
        "mm2gen".to_string(),
    );
    if let Some(v) = kafka_version {
        l.insert("app.kubernetes.io/version".to_string(), v.to_string());
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels_from_aliases() {
        assert_eq!(dns_label("Source_Cluster.eu", 40), "source-cluster-eu");
        assert_eq!(dns_label("__", 40), "cluster");
    }
}
