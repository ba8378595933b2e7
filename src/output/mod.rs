//! The rendered, checked objects in their final, deterministic form, and the sinks that write
//! them: stdout (YAML stream or a JSON `List`), a directory with a kustomization.yaml, and a
//! drift check of such a directory.

mod comment;
mod directory;
mod lock;

use serde_json::Value;

pub use comment::one_line as comment_line;
pub use directory::{check_directory, write_directories, write_directory, DirectoryCheck};

use std::path::{Path, PathBuf};

use crate::{Diagnostic, RenderedInstance};

/// Where each instance's files go: the directory itself for a single instance, else one
/// subdirectory per kube context, so a GitOps tool can point one application at each cluster.
/// A context becomes a directory name with other characters than letters, digits, `.`, `_`
/// and `-` replaced by `-`; two contexts that meet that way, or a context that is `.`, `..`
/// or empty (which would write and prune in the directory or its parent), are refused rather
/// than renamed: the directory names are reviewed in Git.
pub fn instance_dirs<'a>(
    dir: &Path,
    instances: &'a [RenderedInstance],
) -> crate::Result<Vec<(PathBuf, &'a Manifests)>> {
    if let [only] = instances {
        return Ok(vec![(dir.to_path_buf(), &only.manifests)]);
    }
    let mut problems = Vec::new();
    let mut taken: std::collections::BTreeMap<String, &RenderedInstance> = Default::default();
    let mut out = Vec::new();
    let place = |i: &RenderedInstance, d: Diagnostic| match &i.context_origin {
        Some(o) => o.diag(d),
        None => d.path("the kube context (--kube-context or the kubeconfig's current-context)"),
    };
    for i in instances {
        let context = i.context.as_deref().unwrap_or("default");
        let sub: String = context
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if sub.is_empty() || sub == "." || sub == ".." {
            problems.push(place(
                i,
                Diagnostic::error(format!(
                    "kube context `{}` cannot name a subdirectory of --output-dir: it would write into {} itself or its parent",
                    context.escape_default(),
                    dir.display()
                ))
                .help("rename the kube context (in the kubeconfig and the descriptor), or render this instance on its own with `--context CONTEXT --output-dir DIR`"),
            ));
            continue;
        }
        if let Some(first) = taken.get(&sub) {
            let first_context = first.context.as_deref().unwrap_or("default");
            let first_at = first
                .context_origin
                .as_ref()
                .map_or(String::new(), |o| format!(" ({})", o.path));
            problems.push(place(
                i,
                Diagnostic::error(format!(
                    "kube contexts `{}`{first_at} and `{}` both write into subdirectory `{sub}` of --output-dir",
                    first_context.escape_default(),
                    context.escape_default()
                ))
                .help("rename one of the kube contexts (in the kubeconfig and the descriptor) so they differ in letters, digits, `.`, `_` and `-`, or render each instance into its own directory with `--context CONTEXT --output-dir DIR`"),
            ));
            continue;
        }
        taken.insert(sub.clone(), i);
        out.push((dir.join(sub), &i.manifests));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.into())
    }
}

/// A JSON value as a YAML block document: multi-line strings (mm2.properties) as literal
/// blocks, long single-line ones kept on their line. serde-saphyr writes straight into the
/// string, where libyaml's emitter (serde_yaml_ng) took a large part of a big render.
pub fn yaml_text(value: &Value) -> String {
    let mut options = serde_saphyr::SerializerOptions::default();
    // Folding long lines at spaces is for prose; manifests hold commands and JSON annotations.
    options.folded_wrap_chars = usize::MAX;
    serde_saphyr::to_string_with_options(&YamlValue(value), options)
        .expect("a JSON value always serializes to YAML")
}

/// `value` for serde-saphyr, with the multi-line strings a literal block cannot carry safely
/// double-quoted instead. serde-saphyr 2.2 writes a string whose first line with content
/// starts with a tab as a block that libyaml refuses ("found a tab character where an
/// indentation space is expected"; found by the round-trip property test in
/// tests/robustness.rs). Only blocks whose first line starts with a visible character are kept,
/// which leaves no indentation to guess; mm2.properties starts with mm2gen's own header line, so
/// it always stays a readable block.
struct YamlValue<'a>(&'a Value);

impl serde::Serialize for YamlValue<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::String(text) if text.contains('\n') && !literal_block_safe(text) => {
                serde_saphyr::DoubleQuoted(text.as_str()).serialize(serializer)
            }
            Value::Array(items) => serializer.collect_seq(items.iter().map(YamlValue)),
            Value::Object(map) => {
                serializer.collect_map(map.iter().map(|(key, value)| (key, YamlValue(value))))
            }
            other => other.serialize(serializer),
        }
    }
}

/// The first line starts with a visible character (not a space, a tab or the line's end).
fn literal_block_safe(text: &str) -> bool {
    text.split('\n')
        .next()
        .and_then(|first| first.chars().next())
        .is_some_and(|c| c != ' ' && c != '\t')
}

/// First line of every file mm2gen writes into a directory; files without it are never touched.
pub const GENERATED_HEADER: &str = "# Generated by mm2gen from a MirrorMaker2 migration descriptor. Do not edit: re-run `mm2gen render`.";

#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub kind: String,
    pub name: String,
    pub value: Value,
    /// Lines printed as YAML comments above the object (why a grant is broad, ...): mm2gen's
    /// own words, never text from the input; written through [`comment_line`] all the same.
    pub comments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Manifests {
    pub objects: Vec<Manifest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Manifest {
    pub fn yaml(&self) -> String {
        let mut out = String::new();
        for c in &self.comments {
            out.push_str("# ");
            out.push_str(&comment_line(c));
            out.push('\n');
        }
        out.push_str(&yaml_text(&self.value));
        out
    }

    /// `deployment-mirrormaker2.yaml`
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind.to_ascii_lowercase(), self.name)
    }
}

impl Manifests {
    /// A multi-document YAML stream.
    pub fn to_yaml(&self) -> String {
        self.objects
            .iter()
            .map(|m| format!("---\n{}", m.yaml()))
            .collect()
    }

    /// A `v1 List` of the objects.
    pub fn to_json(&self) -> String {
        let list = serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": self.objects.iter().map(|m| m.value.clone()).collect::<Vec<_>>(),
        });
        let mut s = serde_json::to_string_pretty(&list).expect("a JSON value always serializes");
        s.push('\n');
        s
    }

    pub fn to_format(&self, format: Format) -> String {
        match format {
            Format::Yaml => self.to_yaml(),
            Format::Json => self.to_json(),
        }
    }
}
