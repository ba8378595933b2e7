//! The KRM functions spec: a `ResourceList` in, a `ResourceList` out. The functionConfig is a
//! `MirrorMaker2Migration` (it is expanded), `MirrorMaker2Migration` items are expanded in
//! place (transformer use), `KafkaCluster` items resolve bootstrap addresses, and every other
//! item passes through with its annotations. Errors and warnings become `results`.

use std::path::Path;

use serde_json::{json, Value};

use crate::descriptor::{self, yaml};
use crate::diagnostics::{Diagnostic, Error, Severity, SourceFile};
use crate::{resolve, Inputs};

/// Runs the function. Returns the output ResourceList (YAML) and whether it failed.
pub fn run(input: &str, inputs: &Inputs, base_dir: &Path) -> (String, bool) {
    let source = SourceFile::new("<ResourceList>", input);
    match process(&source, inputs, base_dir) {
        Ok((items, warnings)) => (resource_list(items, &warnings, None), false),
        Err((items, e, config)) => (resource_list(items, &e.diagnostics, config.as_ref()), true),
    }
}

type Failure = (Vec<Value>, Error, Option<Value>);

fn process(
    source: &SourceFile,
    inputs: &Inputs,
    base_dir: &Path,
) -> Result<(Vec<Value>, Vec<Diagnostic>), Failure> {
    let docs = yaml::parse_documents(source).map_err(|e| (Vec::new(), e, None))?;
    let root = docs.into_iter().next().ok_or_else(|| {
        (
            Vec::new(),
            Error::from(
                Diagnostic::error("empty input: expected a ResourceList on stdin")
                    .help("run mm2gen as a KRM function (kustomize --enable-exec, kpt fn)"),
            ),
            None,
        )
    })?;
    if root.get_str("kind") != Some("ResourceList") {
        let e = Diagnostic::error(format!(
            "expected a ResourceList, got kind `{}`",
            root.get_str("kind").unwrap_or("?")
        ))
        .at(Some(root.location(source)))
        .help("KRM functions read `apiVersion: config.kubernetes.io/v1`, `kind: ResourceList`");
        return Err((Vec::new(), e.into(), None));
    }
    let items: Vec<&yaml::Node> = root
        .get("items")
        .and_then(yaml::Node::as_seq)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    let items_json: Vec<Value> = items.iter().map(|n| n.to_json()).collect();
    let config = root.get("functionConfig").filter(|c| !c.is_null());
    let config_json = config.map(yaml::Node::to_json);
    let fail = |e: Error| (items_json.clone(), e, config_json.clone());

    let mut inputs = inputs.clone();
    for item in &items {
        inputs
            .kafka_clusters
            .extend(resolve::kafka_clusters_in(source, std::slice::from_ref(*item)).map_err(fail)?);
    }
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let mut render_node = |node: &yaml::Node, out: &mut Vec<Value>| {
        let result = descriptor::from_node(source, node, base_dir.to_path_buf())
            .and_then(|d| crate::render(&d, &inputs));
        match result {
            Ok(r) => {
                warnings.extend(r.warnings.clone());
                out.extend(r.manifests().objects.into_iter().map(|m| m.value));
            }
            Err(e) => errors.extend(e.diagnostics),
        }
    };
    for (item, json) in items.iter().zip(&items_json) {
        if descriptor::is_krm_wrapper(item) {
            render_node(item, &mut out);
        } else {
            out.push(json.clone());
        }
    }
    if let Some(config) = config {
        if descriptor::is_krm_wrapper(config) {
            render_node(config, &mut out);
        } else if config.get_str("kind").is_some()
            && !items.iter().any(|i| descriptor::is_krm_wrapper(i))
        {
            errors.push(
                Diagnostic::error(format!("functionConfig is a `{}`, not a MirrorMaker2Migration", config.get_str("kind").unwrap_or("?")))
                    .at(Some(config.location(source)))
                    .help("give the MirrorMaker2Migration (apiVersion mm2gen.io/v1alpha1) as the function's config"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(fail(Error::from(errors)));
    }
    Ok((out, warnings))
}

fn resource_list(items: Vec<Value>, diagnostics: &[Diagnostic], config: Option<&Value>) -> String {
    let results: Vec<Value> = diagnostics.iter().map(|d| result(d, config)).collect();
    let mut list = json!({
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
    });
    if !results.is_empty() {
        list["results"] = Value::Array(results);
    }
    serde_yaml::to_string(&list).expect("a JSON value always serializes to YAML")
}

fn result(d: &Diagnostic, config: Option<&Value>) -> Value {
    let mut message = d.message.clone();
    if let Some(w) = d.where_() {
        message.push_str(&format!(" (at {w})"));
    }
    if let Some(h) = &d.help {
        message.push_str(&format!("; help: {h}"));
    }
    let mut r = json!({
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "message": message,
    });
    if let Some(c) = config {
        let meta = &c["metadata"];
        let mut reference =
            json!({"apiVersion": c["apiVersion"], "kind": c["kind"], "name": meta["name"]});
        if let Some(ns) = meta.get("namespace") {
            reference["namespace"] = ns.clone();
        }
        r["resourceRef"] = reference;
        let annotations = &meta["annotations"];
        if let Some(path) = annotations
            .get("internal.config.kubernetes.io/path")
            .or_else(|| annotations.get("config.kubernetes.io/path"))
        {
            r["file"] = json!({"path": path});
        }
    }
    if let Some(p) = &d.yaml_path {
        r["field"] = json!({"path": p});
    }
    r
}
