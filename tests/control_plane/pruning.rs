//! Old ConfigMaps pruned the way the Kubernetes documentation describes for kubectl 1.33/1.34
//! ("Declarative Management of Kubernetes Objects Using Configuration Files"): ApplySet-based
//! pruning, which records the applied set in a parent object instead of guessing it from labels.
//!
//!   KUBECTL_APPLYSET=true kubectl apply --server-side -n NS --prune \
//!     --applyset=configmaps/mirrormaker2-applyset -k DIR

use std::time::Duration;

use serde_json::Value;

use crate::cluster::ControlPlane;
use crate::common::path_str;
use crate::kube::{eventually, get, list, namespace};
use crate::tests::{replicasets_of, ExampleOutputDir};

pub const APPLYSET: &str = "configmaps/mirrormaker2-applyset";

/// `kubectl apply -k dir` with ApplySet pruning into `ns`: fails on an error or a warning.
pub fn apply_pruning(cp: &ControlPlane, ns: &str, dir: &str) -> Result<String, String> {
    let args = [
        "apply",
        "--server-side",
        "--field-manager=mm2gen-test",
        "--validate=strict",
        "-n",
        ns,
        "--prune",
        &format!("--applyset={APPLYSET}"),
        "-k",
        dir,
    ];
    let o = cp
        .kubectl_command()
        .env("KUBECTL_APPLYSET", "true")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() || stderr.to_lowercase().contains("warning") {
        return Err(format!(
            "kubectl {} ({}):\n{stderr}",
            args.join(" "),
            o.status
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

fn mm2_configmaps(cp: &ControlPlane, ns: &str) -> Result<Vec<String>, String> {
    Ok(list(cp, ns, "configmaps")?
        .iter()
        .filter(|c| c["data"]["mm2.properties"].is_string())
        .filter_map(|c| c["metadata"]["name"].as_str().map(str::to_string))
        .collect())
}

pub fn gitops_applyset_prune_removes_the_old_immutable_configmap(
    cp: &ControlPlane,
) -> Result<(), String> {
    let ns = namespace(cp, "gitops-prune", true)?;
    let example = ExampleOutputDir::new(&ns)?;
    let (original, out_dir) = (example.original.clone(), example.out_dir.clone());
    let render_dir = |text: &str| example.render(text);

    render_dir(&original)?;
    apply_pruning(cp, &ns, path_str(&out_dir))?;
    let first = mm2_configmaps(cp, &ns)?;
    if first.len() != 1 {
        return Err(format!(
            "expected one mm2.properties ConfigMap, found {first:?}"
        ));
    }
    let first_sets = eventually("the first ReplicaSet", Duration::from_secs(60), || {
        let sets = replicasets_of(cp, &ns, "mirrormaker2")?;
        Ok((sets.len() == 1).then_some(sets))
    })?;

    let changed = original.replace(
        "refresh.topics.interval.seconds=300",
        "refresh.topics.interval.seconds=301",
    );
    if changed == original {
        return Err(
            "examples/descriptor.yaml no longer sets refresh.topics.interval.seconds=300".into(),
        );
    }
    render_dir(&changed)?;
    let out = apply_pruning(cp, &ns, path_str(&out_dir))?;
    let second = mm2_configmaps(cp, &ns)?;
    if second.len() != 1 || second == first {
        return Err(format!(
            "after the change, expected only a new ConfigMap: before {first:?}, now {second:?}\nkubectl said:\n{out}"
        ));
    }
    if !out.contains(&format!("configmap/{} pruned", first[0])) {
        return Err(format!(
            "kubectl did not report pruning {}:\n{out}",
            first[0]
        ));
    }
    // The Deployment rolled: a second ReplicaSet whose pods mount the new ConfigMap.
    let sets = eventually("a second ReplicaSet", Duration::from_secs(60), || {
        let sets = replicasets_of(cp, &ns, "mirrormaker2")?;
        Ok((sets.len() == 2).then_some(sets))
    })?;
    if sets[0]["metadata"]["name"] != first_sets[0]["metadata"]["name"] {
        return Err("the first ReplicaSet was replaced instead of kept as history".into());
    }
    let mounts = |rs: &Value| rs["spec"]["template"]["spec"]["volumes"].to_string();
    if !mounts(&sets[1]).contains(&second[0]) || mounts(&sets[0]).contains(&second[0]) {
        return Err(format!(
            "the new ReplicaSet does not mount {} (and only it)",
            second[0]
        ));
    }
    // Nothing else was pruned: everything the output holds is still there.
    let deployment = get(cp, &ns, "deployment", "mirrormaker2")?;
    if deployment["metadata"]["deletionTimestamp"].is_string() {
        return Err("the Deployment is being deleted".into());
    }
    let files = std::fs::read_dir(&out_dir)
        .map_err(|e| e.to_string())?
        .filter(|f| {
            f.as_ref()
                .is_ok_and(|f| f.file_name() != "kustomization.yaml")
        })
        .count();
    let kept = out
        .lines()
        .filter(|l| l.ends_with(" serverside-applied"))
        .count();
    if kept != files {
        return Err(format!(
            "{files} objects in the output, {kept} applied:\n{out}"
        ));
    }
    Ok(())
}
