//! Expanding `MirrorMaker2Migration` objects inside a stream of Kubernetes objects: what the
//! Helm post-renderer, the Kustomize transformer and the KRM function all do.
//!
//! Every other document passes through byte for byte. `KafkaCluster` objects of the stream
//! resolve the target's bootstrap address, like `--kafka-cluster` files.

use std::path::Path;

use super::duplicates;
use crate::descriptor;
use crate::diagnostics::{Diagnostic, Error, Result, SourceFile};
use crate::yaml;
use crate::{resolve, Inputs, Manifests};

/// One document of a YAML stream: its original text and, unless it is empty, its parse.
#[derive(Debug, Clone)]
pub struct RawDocument {
    pub text: String,
    pub node: Option<yaml::Node>,
    /// The stream's text with this document at its original lines, for located errors.
    pub source: SourceFile,
}

/// Splits a stream at `---` lines, keeping each document's text as it was.
pub fn split(name: &str, text: &str) -> Result<Vec<RawDocument>> {
    let mut chunks: Vec<(usize, String)> = vec![(1, String::new())];
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        let is_separator = bare == "---"
            || bare.starts_with("--- ")
            || bare.starts_with("---\t")
            || bare.starts_with("--- #");
        if is_separator {
            chunks.push((n + 2, String::new()));
        } else {
            chunks
                .last_mut()
                .expect("chunks starts non-empty")
                .1
                .push_str(line);
        }
    }
    let mut docs = Vec::new();
    for (first_line, chunk) in chunks {
        // Padding keeps line numbers of errors those of the whole stream.
        let padded = format!("{}{chunk}", "\n".repeat(first_line - 1));
        let source = SourceFile::new(name, padded);
        let mut nodes = match yaml::parse_documents(&source) {
            Ok(nodes) => nodes,
            Err(_) if is_foreign(&chunk) => {
                docs.push(RawDocument {
                    text: chunk,
                    node: None,
                    source,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        if nodes.len() > 1 {
            return Err(Diagnostic::error(format!(
                "{name}: a document holds more than one YAML document (`...` end markers?)"
            ))
            .at(Some(nodes[1].location(&source)))
            .help("separate documents with `---` lines")
            .into());
        }
        let node = nodes.pop().filter(|n| !n.is_null());
        if node.is_none() && chunk.trim().is_empty() {
            continue;
        }
        docs.push(RawDocument {
            text: chunk,
            node,
            source,
        });
    }
    Ok(docs)
}

/// A document mm2gen's own parser refuses (YAML anchors and aliases, duplicate keys) that is
/// valid YAML of a kind mm2gen never reads: the user's object, which Helm and Kustomize accept,
/// so it passes through untouched instead of failing the whole stream. A MirrorMaker2Migration
/// or KafkaCluster keeps the error: mm2gen reads those, and refuses aliases there because they
/// can expand exponentially and leave a value without one place in the file for a located
/// error. serde_yaml_ng bounds alias expansion, and only `kind` is kept from the document.
fn is_foreign(chunk: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Head {
        kind: Option<String>,
    }
    serde_yaml_ng::from_str::<Head>(chunk).is_ok_and(|head| {
        !matches!(
            head.kind.as_deref(),
            Some(descriptor::KRM_KIND | "KafkaCluster")
        )
    })
}

/// Helm 4 annotates every document it pipes into a post-renderer with the template it came
/// from, and files the objects that come back by it (`# Source:`, `--show-only`, the release's
/// manifest), removing the annotation. Objects generated from a wrapper inherit its value, so
/// they stay under the wrapper's template instead of `generated-by-postrender-<n>.yaml`.
const HELM_FILENAME_ANNOTATION: &str = "postrenderer.helm.sh/postrender-filename";

fn annotate(manifests: &mut Manifests, key: &str, value: &str) {
    for m in &mut manifests.objects {
        if let Some(metadata) = m.value.get_mut("metadata").and_then(|v| v.as_object_mut()) {
            let annotations = metadata
                .entry("annotations")
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            if let Some(a) = annotations.as_object_mut() {
                a.insert(key.to_string(), value.into());
            }
        }
    }
}

/// What an expansion produced, in stream order.
pub enum Expanded<'a> {
    PassThrough(&'a RawDocument),
    Generated(Manifests),
}

/// Expands every `MirrorMaker2Migration` of `docs`; `KafkaCluster` objects among them join the
/// inputs. Warnings are returned alongside; any error fails the whole expansion.
pub fn expand<'a>(
    docs: &'a [RawDocument],
    inputs: &Inputs,
    base_dir: &Path,
) -> Result<(Vec<Expanded<'a>>, Vec<Diagnostic>)> {
    let mut inputs = inputs.clone();
    for doc in docs {
        if let Some(node) = &doc.node {
            inputs.kafka_clusters.extend(resolve::kafka_clusters_in(
                &doc.source,
                std::slice::from_ref(node),
            )?);
        }
    }
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut generated = duplicates::Generated::default();
    for doc in docs {
        match &doc.node {
            Some(node) if descriptor::is_krm_wrapper(node) => {
                let rendered = descriptor::from_node(&doc.source, node, base_dir.to_path_buf())
                    .and_then(|d| crate::render(&d, &inputs));
                match rendered {
                    Ok(mut r) => {
                        warnings.append(&mut r.warnings);
                        let mut manifests = r.into_manifests();
                        if let Some(file) = node
                            .get("metadata")
                            .and_then(|m| m.get("annotations"))
                            .and_then(|a| a.get_str(HELM_FILENAME_ANNOTATION))
                        {
                            annotate(&mut manifests, HELM_FILENAME_ANNOTATION, file);
                        }
                        let here = format!(
                            "the MirrorMaker2Migration `{}` at line {}",
                            node.get("metadata")
                                .and_then(|m| m.get_str("name"))
                                .unwrap_or("?"),
                            node.start.line
                        );
                        let objects = manifests.objects.iter().map(|m| &m.value);
                        if let Some((object, first)) = generated.add(objects, &here) {
                            errors.push(
                                Diagnostic::error(format!(
                                    "{first} and {here} both generate {object}"
                                ))
                                .at(Some(node.location(&doc.source)))
                                .help(duplicates::HELP),
                            );
                            continue;
                        }
                        out.push(Expanded::Generated(manifests));
                    }
                    Err(e) => errors.extend(e.diagnostics),
                }
            }
            _ => out.push(Expanded::PassThrough(doc)),
        }
    }
    if !errors.is_empty() {
        return Err(Error::from(errors));
    }
    Ok((out, warnings))
}

/// The expanded stream as YAML text.
pub fn expand_text(
    name: &str,
    text: &str,
    inputs: &Inputs,
    base_dir: &Path,
) -> Result<(String, Vec<Diagnostic>)> {
    let docs = split(name, text)?;
    let (expanded, warnings) = expand(&docs, inputs, base_dir)?;
    let mut out = String::new();
    for e in expanded {
        match e {
            Expanded::PassThrough(doc) => {
                out.push_str("---\n");
                out.push_str(&doc.text);
                if !doc.text.ends_with('\n') {
                    out.push('\n');
                }
            }
            Expanded::Generated(m) => out.push_str(&m.to_yaml()),
        }
    }
    Ok((out, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_objects_inherit_helm_4s_template_annotation() {
        let stream = r#"apiVersion: mm2gen.io/v1alpha1
kind: MirrorMaker2Migration
metadata:
  name: mm2
  annotations:
    postrenderer.helm.sh/postrender-filename: 'chart/templates/mm2.yaml'
bootstrapServers: {t: 'kafka:9092'}
spec:
  kafkaClusters:
  - alias: t
  nonSDMKafkaClusters:
  - {alias: s, bootstrapServerAddress: 'legacy:9092'}
  mirrorMaker2Properties: |
    s->t.enabled=true
"#;
        let (text, _) = expand_text("s", stream, &Inputs::default(), Path::new(".")).unwrap();
        let objects: Vec<serde_yaml_ng::Value> = serde_yaml_ng::Deserializer::from_str(&text)
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect();
        assert!(objects.len() >= 3, "{text}");
        for o in &objects {
            assert_eq!(
                o["metadata"]["annotations"][HELM_FILENAME_ANNOTATION], "chart/templates/mm2.yaml",
                "{text}"
            );
        }
    }

    #[test]
    fn split_keeps_document_text_and_stream_line_numbers() {
        let text = "# Source: a\na: 1\n---\n# Source: b\nb:   2\n--- # c\n";
        let docs = split("s", text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].text, "# Source: b\nb:   2\n");
        assert_eq!(
            docs[1].node.as_ref().unwrap().get("b").unwrap().start.line,
            5
        );
    }
}
