//! The KRM functions spec: a `ResourceList` in, a `ResourceList` out. The functionConfig is a
//! `MirrorMaker2Migration` (it is expanded), `MirrorMaker2Migration` items are expanded in
//! place (transformer use), `KafkaCluster` items resolve bootstrap addresses, and every other
//! item passes through with its annotations. Errors and warnings become `results`.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

use super::duplicates;
use crate::descriptor;
use crate::diagnostics::{Diagnostic, Error, Severity, SourceFile};
use crate::yaml;
use crate::{resolve, Inputs};

/// The name mm2gen answers to as a KRM function without arguments (argv[0], a symlink): for
/// runners that give an exec function no arguments.
pub const EXEC_NAME: &str = "mm2gen-krm";

/// A diagnostic and the object it is about (the functionConfig or an item), which gives the
/// result its `resourceRef` and `file`.
type Finding = (Diagnostic, Option<Value>);

/// Runs the function. Returns the output ResourceList (YAML) and whether it failed.
///
/// The findings also go to stderr: kustomize keeps a function's `results` to itself and
/// reports a failed exec function only as `couldn't execute function: exit status 1`, while
/// it passes the function's stderr through (kpt shows both).
pub fn run(input: &str, inputs: &Inputs, base_dir: &Path) -> (String, bool) {
    let source = SourceFile::new("<ResourceList>", input);
    let (items, findings, failed) = match process(&source, inputs, base_dir) {
        Ok((items, warnings)) => (items, warnings, false),
        Err((items, errors)) => (items, errors, true),
    };
    let mut stderr = std::io::stderr().lock();
    for (d, origin) in &findings {
        // A closed stderr is no reason to fail: the results carry the same.
        let _ = match origin.as_ref().map(describe) {
            Some(object) => writeln!(stderr, "mm2gen krm: in {object}:\n{d}"),
            None => writeln!(stderr, "{d}"),
        };
    }
    (resource_list(items, &findings, &source), failed)
}

/// The input items (unchanged) and every error, when the function fails.
type Failure = (Vec<Value>, Vec<Finding>);

fn process(
    source: &SourceFile,
    inputs: &Inputs,
    base_dir: &Path,
) -> Result<(Vec<Value>, Vec<Finding>), Failure> {
    let unattributed = |e: Error| -> Failure {
        (
            Vec::new(),
            e.diagnostics.into_iter().map(|d| (d, None)).collect(),
        )
    };
    let docs = yaml::parse_documents(source).map_err(unattributed)?;
    let root = docs.into_iter().next().ok_or_else(|| {
        unattributed(Error::from(
            Diagnostic::error("empty input: expected a ResourceList on stdin")
                .help("run mm2gen as a KRM function (kustomize --enable-exec, kpt fn)"),
        ))
    })?;
    if root.get_str("kind") != Some("ResourceList") {
        let e = Diagnostic::error(format!(
            "expected a ResourceList, got kind `{}`",
            root.get_str("kind").unwrap_or("?")
        ))
        .at(Some(root.location(source)))
        .help("KRM functions read `apiVersion: config.kubernetes.io/v1`, `kind: ResourceList`");
        return Err(unattributed(e.into()));
    }
    if let Some(node) = root
        .get("items")
        .filter(|n| !n.is_null() && n.as_seq().is_none())
    {
        let e = Diagnostic::error(format!(
            "`items` is {}, not a list: its resources would be lost",
            node.kind_name()
        ))
        .at(Some(node.location(source)))
        .help("write `items:` as a list, one `- apiVersion: ...` entry per resource");
        return Err(unattributed(e.into()));
    }
    let items: Vec<&yaml::Node> = root
        .get("items")
        .and_then(yaml::Node::as_seq)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    let items_json: Vec<Value> = items.iter().map(|n| n.to_json()).collect();
    let config = root.get("functionConfig").filter(|c| !c.is_null());
    let config_json = config.map(yaml::Node::to_json);
    let about = |diagnostics: Vec<Diagnostic>, origin: &Value| -> Vec<Finding> {
        diagnostics
            .into_iter()
            .map(|d| (d, Some(origin.clone())))
            .collect()
    };

    let mut inputs = inputs.clone();
    // The function config may come from someone else's repository: its files stay in ours.
    inputs
        .reference_root
        .get_or_insert_with(|| base_dir.to_path_buf());
    for (item, json) in items.iter().zip(&items_json) {
        let found = resolve::kafka_clusters_in(source, std::slice::from_ref(*item))
            .map_err(|e| (items_json.clone(), about(e.diagnostics, json)))?;
        inputs.kafka_clusters.extend(found);
    }
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let mut generated = duplicates::Generated::default();
    let mut render_node = |node: &yaml::Node, origin: &Value, out: &mut Vec<Value>| {
        let result = descriptor::from_node(source, node, base_dir.to_path_buf())
            .and_then(|d| crate::render(&d, &inputs));
        match result {
            Ok(mut r) => {
                warnings.extend(about(std::mem::take(&mut r.warnings), origin));
                let objects: Vec<Value> = r
                    .into_manifests()
                    .objects
                    .into_iter()
                    .map(|m| m.value)
                    .collect();
                match generated.add(&objects, origin) {
                    Some((object, first)) => {
                        let d = Diagnostic::error(format!(
                            "{} and {} both generate {object}",
                            describe(&first),
                            describe(origin)
                        ))
                        .at(Some(node.location(source)))
                        .help(duplicates::HELP);
                        errors.extend(about(vec![d], origin));
                    }
                    None => out.extend(objects),
                }
            }
            Err(e) => errors.extend(about(e.diagnostics, origin)),
        }
    };
    for (item, json) in items.iter().zip(&items_json) {
        if descriptor::is_krm_wrapper(item) {
            render_node(item, json, &mut out);
        } else {
            out.push(json.clone());
        }
    }
    if let (Some(config), Some(config_json)) = (config, &config_json) {
        if descriptor::is_krm_wrapper(config) {
            render_node(config, config_json, &mut out);
        } else if config.get_str("kind").is_some()
            && !items.iter().any(|i| descriptor::is_krm_wrapper(i))
        {
            let d = Diagnostic::error(format!("functionConfig is a `{}`, not a MirrorMaker2Migration", config.get_str("kind").unwrap_or("?")))
                .at(Some(config.location(source)))
                .help("give the MirrorMaker2Migration (apiVersion mm2gen.io/v1alpha1) as the function's config");
            errors.extend(about(vec![d], config_json));
        }
    }
    if !errors.is_empty() {
        return Err((items_json, errors));
    }
    Ok((out, warnings))
}

fn resource_list(items: Vec<Value>, findings: &[Finding], source: &SourceFile) -> String {
    let results: Vec<Value> = findings
        .iter()
        .map(|(d, origin)| result(d, origin.as_ref(), source))
        .collect();
    let mut list = json!({
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
    });
    if !results.is_empty() {
        list["results"] = Value::Array(results);
    }
    crate::output::yaml_text(&list)
}

/// `kind name (file)` of an object, for stderr.
fn describe(object: &Value) -> String {
    let mut s = format!(
        "{} {}",
        object["kind"].as_str().unwrap_or("?"),
        object["metadata"]["name"].as_str().unwrap_or("?")
    );
    if let Some(path) = file_of(object) {
        s.push_str(&format!(" ({path})"));
    }
    s
}

/// The file kustomize or kpt read the object from, as its annotations say.
fn file_of(object: &Value) -> Option<&str> {
    let annotations = &object["metadata"]["annotations"];
    annotations
        .get("internal.config.kubernetes.io/path")
        .or_else(|| annotations.get("config.kubernetes.io/path"))
        .and_then(Value::as_str)
}

fn result(d: &Diagnostic, origin: Option<&Value>, source: &SourceFile) -> Value {
    // A location inside the ResourceList is a line of a stream the user never sees: the
    // object (resourceRef, file) and the field path say where instead. A location in another
    // file (a `descriptorFile`, a `kafkaClusterFiles` entry) is the user's own file: keep it,
    // and give no field path, which would name a field of that file, not of the object.
    let in_list = d
        .location
        .as_ref()
        .is_none_or(|l| l.file.name == source.name);
    let mut message = d.message.clone();
    match (&d.location, &d.yaml_path) {
        (Some(l), _) if !in_list => {
            message.push_str(&format!(" (at {}:{}:{})", l.file.name, l.line, l.col + 1))
        }
        // `spec.mirrorMaker2Properties (line 3 of the block)` reads as a location once.
        (_, Some(p)) => message.push_str(&format!(
            " (at {})",
            p.replacen(" (", ", ", 1).trim_end_matches(')')
        )),
        _ => {}
    }
    if let Some(h) = &d.help {
        message.push_str(&format!("; help: {h}"));
    }
    let mut r = json!({
        // The KRM function results API says `info` where mm2gen says `note`.
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning", Severity::Note => "info" },
        "message": message,
    });
    if let Some(c) = origin {
        let meta = &c["metadata"];
        let mut reference =
            json!({"apiVersion": c["apiVersion"], "kind": c["kind"], "name": meta["name"]});
        if let Some(ns) = meta.get("namespace") {
            reference["namespace"] = ns.clone();
        }
        r["resourceRef"] = reference;
        if let Some(path) = file_of(c) {
            r["file"] = json!({"path": path});
        }
    }
    if let (true, Some(p)) = (in_list, &d.yaml_path) {
        // The properties block's line note is not part of a field path.
        let field = p.split(" (").next().unwrap_or(p);
        r["field"] = json!({"path": field});
    }
    r
}
