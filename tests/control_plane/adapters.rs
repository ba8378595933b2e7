//! The other adapters' outputs applied like the CLI's: the Kustomize legacy exec plugin (through
//! `kubectl kustomize` and standalone kustomize), the KRM exec function (standalone kustomize)
//! and the Argo CD plugin's generate command, each server-side with strict validation, and
//! stored as sent. Each runs on a copy of the shipped example, into a namespace of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::cluster::ControlPlane;
use crate::common::{self, path_str};
use crate::kube::{self, namespace};
use crate::tests::applied_as_sent;

const BIN: &str = env!("CARGO_BIN_EXE_mm2gen");

fn copy_example(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().map_err(|e| e.to_string())?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The example's generator config with `metadata.namespace` set, the documented way to render
/// into another namespace than the target KafkaCluster's.
fn set_namespace(dir: &Path, ns: &str) -> Result<(), String> {
    let config = dir.join("mm2gen.yaml");
    let text = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    let anchor = "\n  name: mirrormaker2\n";
    if !text.contains(anchor) {
        return Err(format!("{} no longer sets metadata.name", config.display()));
    }
    std::fs::write(
        &config,
        text.replacen(anchor, &format!("{anchor}  namespace: {ns}\n"), 1),
    )
    .map_err(|e| e.to_string())
}

/// A scratch home: the legacy plugin installed under its own XDG_CONFIG_HOME, `mm2gen` on the
/// PATH for the KRM exec function.
struct Home {
    tmp: tempfile::TempDir,
}

impl Home {
    fn new() -> Result<Self, String> {
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let xdg = tmp.path().join("xdg");
        let o = Command::new(BIN)
            .args([
                "kustomize-plugin",
                "install",
                "--config-home",
                path_str(&xdg),
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if !o.status.success() {
            return Err(format!("plugin install failed: {}", common::stderr(&o)));
        }
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(BIN, bin.join("mm2gen")).map_err(|e| e.to_string())?;
        Ok(Home { tmp })
    }

    fn env(&self, c: &mut Command) {
        let path = format!(
            "{}:{}",
            self.tmp.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        c.env("XDG_CONFIG_HOME", self.tmp.path().join("xdg"))
            .env("PATH", path)
            .stdin(Stdio::null());
    }

    fn example(&self, name: &str, ns: &str) -> Result<PathBuf, String> {
        let dir = self.tmp.path().join(name);
        copy_example(&common::repo().join("examples/kustomize").join(name), &dir)?;
        set_namespace(&dir, ns)?;
        Ok(dir)
    }
}

fn succeeded(what: &str, o: Output) -> Result<String, String> {
    if o.status.success() {
        Ok(common::stdout(&o))
    } else {
        Err(format!(
            "{what} failed ({}):\n{}",
            o.status,
            common::stderr(&o)
        ))
    }
}

/// The objects of `stream` that mm2gen generated: the KRM function passes the kustomization's
/// own resources (the user's KafkaCluster) through, and those are not ours to apply.
fn generated(stream: &str) -> String {
    kube::objects(stream)
        .into_iter()
        .filter(|o| o["kind"] != "KafkaCluster")
        .map(|o| format!("---\n{}\n", serde_json::to_string(&o).expect("JSON")))
        .collect()
}

pub fn kustomize_plugin_krm_function_and_argocd_outputs_are_stored_as_sent(
    cp: &ControlPlane,
) -> Result<(), String> {
    let home = Home::new()?;
    let kustomize = std::env::var_os("MM2GEN_KUSTOMIZE")
        .filter(|v| !v.is_empty())
        .ok_or("MM2GEN_KUSTOMIZE is not set: run scripts/install-tools and `source ~/.cache/mm2gen-tools/env.sh`")?;
    let mut outputs = Vec::new();

    let ns = namespace(cp, "adapter-legacy-kubectl", true)?;
    let dir = home.example("legacy", &ns)?;
    let mut c = cp.kubectl_command();
    c.args(["kustomize", "--enable-alpha-plugins", path_str(&dir)]);
    home.env(&mut c);
    let o = c.output().map_err(|e| e.to_string())?;
    outputs.push((
        "legacy plugin, kubectl kustomize",
        succeeded("kubectl kustomize --enable-alpha-plugins", o)?,
    ));

    let ns = namespace(cp, "adapter-legacy-kustomize", true)?;
    let dir = home.example("legacy", &ns)?;
    let mut c = Command::new(&kustomize);
    c.args(["build", "--enable-alpha-plugins", path_str(&dir)]);
    home.env(&mut c);
    let o = c.output().map_err(|e| e.to_string())?;
    outputs.push((
        "legacy plugin, kustomize build",
        succeeded("kustomize build --enable-alpha-plugins", o)?,
    ));

    let ns = namespace(cp, "adapter-krm", true)?;
    let dir = home.example("krm", &ns)?;
    let mut c = Command::new(&kustomize);
    c.args([
        "build",
        "--enable-alpha-plugins",
        "--enable-exec",
        path_str(&dir),
    ]);
    home.env(&mut c);
    let o = c.output().map_err(|e| e.to_string())?;
    let krm = succeeded("kustomize build --enable-alpha-plugins --enable-exec", o)?;
    outputs.push(("KRM function", generated(&krm)));

    // The Argo CD plugin's generate command, in a copy of the Application's source directory,
    // with the Application's env entry and destination namespace as the CMP server passes them.
    let ns = namespace(cp, "adapter-argocd", true)?;
    let app = home.tmp.path().join("argocd-app");
    copy_example(&common::repo().join("argocd/example-app"), &app)?;
    let o = Command::new(BIN)
        .arg("argocd-generate")
        .current_dir(&app)
        .env("ARGOCD_APP_NAMESPACE", &ns)
        .env("ARGOCD_ENV_KAFKA_CLUSTER", "kafkacluster.yaml")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    outputs.push(("argocd-generate", succeeded("mm2gen argocd-generate", o)?));

    let mut problems = Vec::new();
    for (what, manifest) in &outputs {
        match applied_as_sent(cp, what, manifest) {
            // ServiceAccount, ConfigMap, Deployment, KafkaUser, NetworkPolicy at the least.
            Ok(n) if n >= 5 => {}
            Ok(n) => problems.push(format!("{what}: only {n} objects")),
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
