//! mm2gen turns a Streaming Data Manager MirrorMaker2 migration descriptor into static,
//! content-hashed Kubernetes manifests.
//!
//! The whole flow, which every entry point (CLI, Helm, Kustomize, KRM, Argo CD) shares:
//!
//! ```text
//! descriptor bytes ──descriptor::load──▶ Descriptor (as written, with source locations)
//!                  ──model::build──────▶ Model (aliases, bootstrap, secrets, grants: decided)
//!                  ──render::render────▶ objects from templates/ (minijinja)
//!                  ──check::check_object▶ typed objects (k8s-openapi, KafkaUser)
//!                  ──Manifests─────────▶ fixed order, deterministic bytes
//!                  ──output::*─────────▶ stdout | directory (+kustomization.yaml) | drift check
//! ```

pub mod check;
pub mod descriptor;
pub mod diagnostics;
pub mod hash;
pub mod model;
pub mod output;
pub mod properties;
pub mod render;
pub mod resolve;
pub mod version;

use std::path::{Path, PathBuf};

pub use descriptor::Descriptor;
pub use diagnostics::{Diagnostic, Error, Result};
pub use model::Inputs;
pub use output::{Format, Manifest, Manifests};

/// What a render produced: the manifests and the warnings to show (never part of the output).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub manifests: Manifests,
    pub warnings: Vec<Diagnostic>,
}

/// Reads a descriptor file, or standard input for `-`.
pub fn load_descriptor(path: &Path) -> Result<Descriptor> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text).map_err(|e| {
            Diagnostic::error(format!(
                "cannot read the descriptor from standard input: {e}"
            ))
            .help("pipe a UTF-8 YAML or JSON descriptor into `mm2gen render -f -`")
        })?;
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        return descriptor::load("<stdin>", &text, cwd);
    }
    let text = resolve::read_input(path, "the descriptor", "-f")?;
    let base = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    descriptor::load(&path.display().to_string(), &text, base)
}

/// The pipeline: descriptor and inputs to checked, ordered manifests.
pub fn render(descriptor: &Descriptor, inputs: &Inputs) -> Result<Rendered> {
    let model = model::build(descriptor, inputs)?;
    let objects = render::render(&model)?;
    let mut manifests = Vec::with_capacity(objects.len());
    for object in objects {
        let value = check::check_object(&object)?;
        let kind = value["kind"].as_str().unwrap_or_default().to_string();
        let name = value["metadata"]["name"]
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
    Ok(Rendered {
        manifests: Manifests { objects: manifests },
        warnings: model.warnings,
    })
}
