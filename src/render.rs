//! Rendering: the minijinja templates in templates/ (embedded at build time) place the model's
//! values into YAML documents. Every value goes through `tojson`, so no descriptor value can add
//! a line or a field to a manifest.

use minijinja::{context, Environment, UndefinedBehavior};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Result};
use crate::model::{Model, CONFIG_DIR};

/// Templates in output order (one per kind).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "serviceaccount.yaml.j2",
        include_str!("../templates/serviceaccount.yaml.j2"),
    ),
    (
        "secret.yaml.j2",
        include_str!("../templates/secret.yaml.j2"),
    ),
    (
        "configmap.yaml.j2",
        include_str!("../templates/configmap.yaml.j2"),
    ),
    (
        "kafkauser.yaml.j2",
        include_str!("../templates/kafkauser.yaml.j2"),
    ),
    (
        "service.yaml.j2",
        include_str!("../templates/service.yaml.j2"),
    ),
    (
        "deployment.yaml.j2",
        include_str!("../templates/deployment.yaml.j2"),
    ),
    ("hpa.yaml.j2", include_str!("../templates/hpa.yaml.j2")),
    ("pdb.yaml.j2", include_str!("../templates/pdb.yaml.j2")),
    // MirrorMaker2 serves nothing: ingress only from its peers (KIP-710 REST) and to the Istio
    // sidecar's health and metrics ports; egress stays open for the clusters it connects to.
    (
        "networkpolicy.yaml.j2",
        include_str!("../templates/networkpolicy.yaml.j2"),
    ),
];

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_filter("tojson", tojson);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("embedded template {name} does not parse: {e}"));
    }
    env
}

/// Values go into the templates' YAML as JSON (a YAML subset), so no value can break out of its
/// field. minijinja's own `tojson` also escapes `<`, `>`, `&` and `'` for HTML, which YAML does not
/// need and which costs a second pass over every string (half of a large render's templating).
fn tojson(value: &minijinja::Value) -> Result<minijinja::Value, minijinja::Error> {
    serde_json::to_string(value)
        .map(minijinja::Value::from_safe_string)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string()))
}

/// Renders every object of the model, in kind order, as JSON values.
pub fn render(model: &Model) -> Result<Vec<Value>> {
    let env = environment();
    let ctx = context! {
        model => model,
        config_dir => CONFIG_DIR,
    };
    let mut objects = Vec::new();
    for (name, _) in TEMPLATES {
        let text = env
            .get_template(name)
            .and_then(|t| t.render(&ctx))
            .map_err(|e| internal(format!("template {name} failed: {e:#}")))?;
        for doc in text
            .split("\n---\n")
            .map(str::trim)
            .filter(|d| !d.is_empty() && *d != "---")
        {
            let doc = doc.strip_prefix("---\n").unwrap_or(doc);
            let parsed = crate::descriptor::yaml::parse_documents(
                &crate::diagnostics::SourceFile::new(*name, doc),
            )
            .map_err(|e| internal(format!("template {name} renders invalid YAML: {e}\n{doc}")))?;
            let mut value: Value = match parsed.as_slice() {
                [one] => one.to_json(),
                _ => {
                    return Err(internal(format!(
                        "template {name} renders {} documents in one",
                        parsed.len()
                    )))
                }
            };
            add_annotations(&mut value, &model.object_annotations);
            objects.push(value);
        }
    }
    Ok(objects)
}

/// Annotations every object of an instance carries (like Kustomize's commonAnnotations).
fn add_annotations(object: &mut Value, annotations: &std::collections::BTreeMap<String, String>) {
    if annotations.is_empty() {
        return;
    }
    let metadata = &mut object["metadata"];
    if !metadata["annotations"].is_object() {
        metadata["annotations"] = Value::Object(Default::default());
    }
    for (k, v) in annotations {
        metadata["annotations"][k] = Value::String(v.clone());
    }
}

fn internal(message: String) -> crate::diagnostics::Error {
    Diagnostic::error(format!("internal error: {message}"))
        .help("this is a bug in mm2gen's templates; please report it with the descriptor")
        .into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_embedded_template_parses() {
        let _ = super::environment();
    }
}
