//! mm2gen turns a Streaming Data Manager MirrorMaker2 migration descriptor into static,
//! content-hashed Kubernetes manifests.
//!
//! The whole flow, which every entry point (CLI, Helm, Kustomize, KRM, Argo CD) shares:
//!
//! ```text
//! descriptor bytes ──descriptor::load──▶ Descriptor (as written, with source locations)
//!                  ──model::build──────▶ Model (aliases, bootstrap, secrets, grants: decided)
//!                  ──render::render────▶ objects from templates/ (minijinja)
//!                  ──check::check_object▶ the same objects, read into their types (k8s-openapi, KafkaUser)
//!                  ──Manifests─────────▶ fixed order, deterministic bytes
//!                  ──output::*─────────▶ stdout | directory (+kustomization.yaml) | drift check
//! ```

// Errors are diagnostics (message, location, help) on the cold path of a short-lived CLI:
// returning them unboxed keeps the code plain and costs nothing measurable.
#![allow(clippy::result_large_err)]

pub mod adapters;
pub mod check;
pub mod descriptor;
pub mod diagnostics;
pub mod hash;
pub mod inputs;
pub mod k8s_rules;
pub mod lint;
pub mod model;
pub mod output;
pub mod properties;
pub mod redact;
pub mod references;
pub mod render;
pub mod resolve;
pub mod schema;
pub mod version;
pub mod yaml;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

pub use descriptor::Descriptor;
pub use diagnostics::{Diagnostic, Error, Result};
pub use inputs::Inputs;
pub use output::{Format, Manifest, Manifests};

/// What a render produced: the manifests of every MirrorMaker2 instance and the warnings to
/// show (never part of the output).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub instances: Vec<RenderedInstance>,
    pub warnings: Vec<Diagnostic>,
}

/// The manifests for one Kubernetes cluster (one kube context).
#[derive(Debug, Clone)]
pub struct RenderedInstance {
    pub context: Option<String>,
    /// Where the descriptor names that context, when it does.
    pub context_origin: Option<descriptor::Located<String>>,
    pub manifests: Manifests,
}

impl Rendered {
    /// Every instance's objects, in instance order; moved, since copying every object's tree
    /// showed in the profile of a large render.
    pub fn into_manifests(self) -> Manifests {
        Manifests {
            objects: self
                .instances
                .into_iter()
                .flat_map(|i| i.manifests.objects)
                .collect(),
        }
    }
}

/// Reads a descriptor file, or standard input for `-`.
pub fn load_descriptor(path: &Path) -> Result<Descriptor> {
    if path == Path::new("-") {
        let text = resolve::read_stdin(
            "the descriptor",
            "pipe a UTF-8 YAML or JSON descriptor into `mm2gen render -f -`",
        )?;
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        return descriptor::load("<stdin>", &text, cwd);
    }
    let text = resolve::read_input(path, "the descriptor", "-f")?;
    let base = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    descriptor::load(&path.display().to_string(), &text, base)
}

/// Points errors about a referenced file that carry no location of their own at the reference.
fn blame(e: Error, reference: &descriptor::Located<String>) -> Error {
    let located = e.diagnostics.into_iter().map(|d| {
        if d.location.is_none() {
            reference.diag(d)
        } else {
            d
        }
    });
    Error::from(located.collect::<Vec<_>>())
}

/// Reads every file the descriptor names, so that the model gets plain data: a
/// `MirrorMaker2Migration` wrapper's `descriptorFile` (the descriptor itself),
/// `kafkaClusterFiles` and `bootstrapServers` (added to the inputs; flags given on the command
/// line win), then the descriptor's `kubernetesConfigs`. A descriptor without references is
/// passed through, not copied.
pub fn resolve_references<'a>(
    descriptor: &'a Descriptor,
    inputs: &'a Inputs,
) -> Result<(Cow<'a, Descriptor>, Cow<'a, Inputs>)> {
    let (descriptor, mut inputs) = follow_wrapper(descriptor, inputs)?;
    if !descriptor.kubernetes_configs.is_empty() && inputs.kubeconfigs.is_empty() {
        let root = inputs.reference_root.clone();
        inputs.to_mut().kubeconfigs = descriptor
            .kubernetes_configs
            .iter()
            .map(|k| references::load_kubeconfig(&k.value, &descriptor.base_dir, root.as_deref()))
            .collect();
    }
    Ok((descriptor, inputs))
}

/// The wrapper's references, followed (see [`resolve_references`]).
fn follow_wrapper<'a>(
    descriptor: &'a Descriptor,
    inputs: &'a Inputs,
) -> Result<(Cow<'a, Descriptor>, Cow<'a, Inputs>)> {
    let Some(krm) = &descriptor.krm else {
        return Ok((Cow::Borrowed(descriptor), Cow::Borrowed(inputs)));
    };
    let mut inputs = inputs.clone();
    let root = inputs.reference_root.as_deref();
    for file in &krm.kafka_cluster_files {
        let path = descriptor.base_dir.join(&file.value);
        let found = references::load_kafka_clusters(&path, root, "kafkaClusterFiles")
            .map_err(|e| blame(e, file))?;
        inputs.kafka_clusters.extend(found);
    }
    let from_wrapper: Vec<(String, String)> = krm
        .bootstrap_servers
        .iter()
        .map(|(a, b)| (a.value.clone(), b.value.clone()))
        .collect();
    inputs.bootstrap_overrides.splice(0..0, from_wrapper);
    let Some(file) = &krm.descriptor_file else {
        return Ok((Cow::Borrowed(descriptor), Cow::Owned(inputs)));
    };
    let path = descriptor.base_dir.join(&file.value);
    let mut inner =
        references::load_descriptor(&path, root, "descriptorFile").map_err(|e| blame(e, file))?;
    let mut metadata = inner.krm.take().unwrap_or_default();
    metadata.name = metadata.name.or_else(|| krm.name.clone());
    metadata.namespace = metadata.namespace.or_else(|| krm.namespace.clone());
    inner.krm = Some(metadata);
    Ok((Cow::Owned(inner), Cow::Owned(inputs)))
}

/// What the one analysis of a resolved descriptor decided, shared by `render`, `lint` and
/// every adapter: the user's properties, the model of each MirrorMaker2 instance, and the
/// warnings (each instance's own, in instance order, then the lint's).
pub struct Analysis {
    pub properties: properties::UserProperties,
    pub models: Vec<model::Model>,
    pub warnings: Vec<Diagnostic>,
}

/// Builds the models of a descriptor whose references [`resolve_references`] has read.
pub fn analyze(descriptor: &Descriptor, inputs: &Inputs) -> Result<Analysis> {
    let (properties, mut models) = model::build_all_with_properties(descriptor, inputs)?;
    let mut warnings: Vec<Diagnostic> = models
        .iter_mut()
        .flat_map(|m| std::mem::take(&mut m.warnings))
        .collect();
    warnings.extend(lint::warnings(&properties, &models, inputs));
    Ok(Analysis {
        properties,
        models,
        warnings,
    })
}

/// The pipeline: descriptor and inputs to checked, ordered manifests.
pub fn render(descriptor: &Descriptor, inputs: &Inputs) -> Result<Rendered> {
    let (descriptor, inputs) = resolve_references(descriptor, inputs)?;
    let analysis = analyze(&descriptor, &inputs)?;
    let instances = analysis
        .models
        .into_iter()
        .map(render_instance)
        .collect::<Result<Vec<_>>>()?;
    Ok(Rendered {
        instances,
        warnings: analysis.warnings,
    })
}

/// One instance's objects: rendered from the templates, each read into its type, in order.
fn render_instance(model: model::Model) -> Result<RenderedInstance> {
    let objects = render::render(&model)?;
    let mut manifests = Vec::with_capacity(objects.len());
    for object in objects {
        check::check_object(&object)?;
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let comments = match (&model.kafka_user, kind.as_str()) {
            (Some(user), "KafkaUser") => user.notes.clone(),
            _ => Vec::new(),
        };
        manifests.push(Manifest {
            kind,
            name,
            value: object,
            comments,
        });
    }
    Ok(RenderedInstance {
        context: model.context,
        context_origin: model.context_origin,
        manifests: Manifests { objects: manifests },
    })
}
