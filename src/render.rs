//! Rendering: the minijinja templates in templates/ (embedded at build time) give each object
//! its YAML structure; every value the model supplies goes in through `tojson`. That filter does
//! not print the value: it sets it aside and prints a placeholder, which is swapped for the value
//! once the template's YAML is parsed. So no descriptor value can add a line or a field to a
//! manifest, and values are never parsed as YAML at all (for a large descriptor, reading the
//! grants and mm2.properties back from YAML text was a large part of the render).

use std::cell::RefCell;
use std::sync::OnceLock;

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
    (
        "dashboard.yaml.j2",
        include_str!("../templates/dashboard.yaml.j2"),
    ),
    ("hpa.yaml.j2", include_str!("../templates/hpa.yaml.j2")),
    ("pdb.yaml.j2", include_str!("../templates/pdb.yaml.j2")),
    // MirrorMaker2 serves nothing: ingress only from its peers (KIP-710 REST) and to the Istio
    // sidecar's health and metrics ports; egress stays open for the clusters it connects to.
    (
        "networkpolicy.yaml.j2",
        include_str!("../templates/networkpolicy.yaml.j2"),
    ),
    (
        "podmonitor.yaml.j2",
        include_str!("../templates/podmonitor.yaml.j2"),
    ),
    (
        "prometheusrule.yaml.j2",
        include_str!("../templates/prometheusrule.yaml.j2"),
    ),
];

thread_local! {
    /// What `tojson` set aside during the current render on this thread, in order; the
    /// placeholder of the value at index `i` is `placeholder(i)`. A value moves into the object
    /// at its placeholder, leaving `None`. Per thread, so the compiled templates can be shared.
    static PLACED: RefCell<Vec<Option<Value>>> = const { RefCell::new(Vec::new()) };
}

const PLACEHOLDER_PREFIX: &str = "__mm2gen_value_";
const PLACEHOLDER_SUFFIX: &str = "__";

fn placeholder(index: usize) -> String {
    format!("{PLACEHOLDER_PREFIX}{index}{PLACEHOLDER_SUFFIX}")
}

/// The embedded templates, compiled once per process: a stream with many migrations (the Helm
/// post-renderer, a KRM ResourceList) renders them all with one compilation.
pub fn compiled_templates() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.add_filter("tojson", set_aside);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("embedded template {name} does not parse: {e}"));
        }
        env
    })
}

/// The `tojson` filter: keeps the value for `put_values_in` and prints its placeholder.
fn set_aside(value: &minijinja::Value) -> Result<minijinja::Value, minijinja::Error> {
    let json = serde_json::to_value(value).map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
    })?;
    let index = PLACED.with_borrow_mut(|placed| {
        placed.push(Some(json));
        placed.len() - 1
    });
    Ok(minijinja::Value::from_safe_string(placeholder(index)))
}

/// Swaps every placeholder in `value` (the parsed template) for the value it stands for. A
/// placeholder inside a longer string means a template used `tojson` mid-scalar, where the
/// value would have been spliced into text: a template bug.
fn put_values_in(
    value: &mut Value,
    placed: &mut [Option<Value>],
) -> std::result::Result<(), String> {
    match value {
        Value::String(s) => {
            if let Some(index) = s
                .strip_prefix(PLACEHOLDER_PREFIX)
                .and_then(|rest| rest.strip_suffix(PLACEHOLDER_SUFFIX))
                .and_then(|digits| digits.parse::<usize>().ok())
            {
                let slot = placed.get_mut(index).ok_or_else(|| {
                    format!("{s} is template text, not a placeholder `tojson` made")
                })?;
                *value = slot.take().ok_or_else(|| {
                    format!("placeholder {s} placed twice: apply `tojson` where the value goes, not in a `set`")
                })?;
            } else if s.contains(PLACEHOLDER_PREFIX) {
                return Err(format!(
                    "`tojson` inside the string {s:?}: a value must be a whole YAML scalar"
                ));
            }
        }
        Value::Array(items) => {
            for item in items {
                put_values_in(item, placed)?;
            }
        }
        Value::Object(map) => {
            if let Some(key) = map.keys().find(|k| k.contains(PLACEHOLDER_PREFIX)) {
                return Err(format!(
                    "`tojson` in the mapping key {key:?}: keys are template text"
                ));
            }
            for item in map.values_mut() {
                put_values_in(item, placed)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

/// Renders every object of the model, in kind order, as JSON values.
pub fn render(model: &Model) -> Result<Vec<Value>> {
    let env = compiled_templates();
    PLACED.with_borrow_mut(Vec::clear);
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
            let parsed =
                crate::yaml::parse_documents(&crate::diagnostics::SourceFile::new(*name, doc))
                    .map_err(|e| {
                        internal(format!("template {name} renders invalid YAML: {e}\n{doc}"))
                    })?;
            let mut value: Value = match parsed.as_slice() {
                [one] => one.to_json(),
                _ => {
                    return Err(internal(format!(
                        "template {name} renders {} documents in one",
                        parsed.len()
                    )))
                }
            };
            PLACED
                .with_borrow_mut(|placed| put_values_in(&mut value, placed))
                .map_err(|e| internal(format!("template {name}: {e}")))?;
            add_annotations(&mut value, &model.object_annotations);
            objects.push(value);
        }
    }
    PLACED.with_borrow_mut(Vec::clear);
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
    use super::*;

    #[test]
    fn every_embedded_template_parses() {
        let _ = compiled_templates();
    }

    #[test]
    fn placeholders_are_swapped_for_their_values_whole() {
        let mut placed = vec![
            Some(serde_json::json!({"a": [1, "x: y"]})),
            Some(Value::Null),
        ];
        let mut doc =
            serde_json::json!({"spec": placeholder(0), "list": [placeholder(1), "plain"]});
        put_values_in(&mut doc, &mut placed).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({"spec": {"a": [1, "x: y"]}, "list": [null, "plain"]})
        );
    }

    #[test]
    fn a_placeholder_spliced_into_text_is_a_template_bug() {
        let mut placed = vec![Some(Value::String("v".into()))];
        let mut doc = serde_json::json!({"name": format!("prefix-{}", placeholder(0))});
        let err = put_values_in(&mut doc, &mut placed).unwrap_err();
        assert!(err.contains("whole YAML scalar"), "{err}");
        let mut doc = serde_json::json!({ placeholder(0): "v" });
        let err = put_values_in(&mut doc, &mut placed).unwrap_err();
        assert!(err.contains("mapping key"), "{err}");
    }

    #[test]
    fn a_placeholder_used_twice_is_a_template_bug_not_a_null() {
        let mut placed = vec![Some(Value::String("v".into()))];
        let mut doc = serde_json::json!({"a": placeholder(0), "b": placeholder(0)});
        let err = put_values_in(&mut doc, &mut placed).unwrap_err();
        assert!(err.contains("placed twice"), "{err}");
        let mut doc = serde_json::json!({"a": placeholder(7)});
        let err = put_values_in(&mut doc, &mut placed).unwrap_err();
        assert!(err.contains("template text"), "{err}");
    }
}
