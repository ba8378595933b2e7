//! Helm 3 and Helm 4 for real: charts/mirrormaker2 through mm2gen's post-renderer, installed,
//! upgraded, rolled back and uninstalled against the control plane.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::cluster::ControlPlane;
use crate::common;
use crate::kube::{eventually, get, kubectl_ok, namespace};
use crate::tests::replicasets_of;

const RELEASE: &str = "mm2";

struct Helm<'a> {
    major: u8,
    bin: PathBuf,
    home: tempfile::TempDir,
    cp: &'a ControlPlane,
    ns: String,
}

impl Helm<'_> {
    fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("HELM_") {
                c.env_remove(&k);
            }
        }
        let h = self.home.path();
        // The post-renderers run `mm2gen` from PATH: the binary under test comes first.
        let mut path = vec![h.join("bin")];
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        c.env("HELM_DATA_HOME", h.join("data"))
            .env("HELM_CONFIG_HOME", h.join("config"))
            .env("HELM_CACHE_HOME", h.join("cache"))
            .env("KUBECONFIG", self.cp.kubeconfig())
            .env(
                "PATH",
                std::env::join_paths(path).expect("PATH entries join"),
            )
            .current_dir(common::repo())
            .stdin(Stdio::null());
        c
    }

    fn ok(&self, args: &[&str]) -> Result<String, String> {
        let o = self
            .cmd()
            .args(args)
            .output()
            .map_err(|e| format!("cannot run helm{}: {e}", self.major))?;
        if o.status.success() {
            Ok(String::from_utf8_lossy(&o.stdout).into_owned())
        } else {
            Err(format!(
                "helm{} {} failed ({}):\n{}{}",
                self.major,
                args.join(" "),
                o.status,
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ))
        }
    }

    /// `--post-renderer` for this helm: Helm 3 takes the script, Helm 4 the installed plugin.
    fn post_renderer(&self) -> Result<String, String> {
        if self.major == 3 {
            return Ok(common::repo()
                .join("scripts/helm-plugin/postrender")
                .display()
                .to_string());
        }
        let plugin = common::repo().join("helm/postrenderer-mm2");
        self.ok(&["plugin", "install", common::path_str(&plugin)])?;
        Ok("mm2-postrender".into())
    }
}

fn new_helm(cp: &ControlPlane, major: u8) -> Result<Helm<'_>, String> {
    let var = format!("MM2GEN_HELM{major}");
    let bin = match std::env::var_os(&var) {
        Some(p) if Path::new(&p).is_file() => PathBuf::from(p),
        _ => {
            return Err(format!(
                "{var} is not set to an installed helm {major}: run `scripts/install-tools` and `source ~/.cache/mm2gen-tools/env.sh`"
            ))
        }
    };
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::create_dir(home.path().join("bin")).map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_mm2gen"), home.path().join("bin/mm2gen"))
        .map_err(|e| e.to_string())?;
    let ns = namespace(cp, &format!("helm{major}"), true)?;
    Ok(Helm {
        major,
        bin,
        home,
        cp,
        ns,
    })
}

fn config_hash(deployment: &Value) -> String {
    deployment["spec"]["template"]["metadata"]["annotations"]["mm2gen.io/config-sha256"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn configmaps(cp: &ControlPlane, ns: &str) -> Result<Vec<String>, String> {
    let out = kubectl_ok(
        cp,
        &[
            "get",
            "configmaps",
            "-n",
            ns,
            "-l",
            "app.kubernetes.io/managed-by=mm2gen",
            "-o",
            "name",
        ],
    )?;
    Ok(out.lines().map(str::to_string).collect())
}

/// What is left of ours in the namespace: anything but what Kubernetes puts in every namespace.
fn leftovers(cp: &ControlPlane, ns: &str) -> Result<Vec<String>, String> {
    let out = kubectl_ok(
        cp,
        &[
            "get",
            "deployments,replicasets,pods,services,configmaps,secrets,serviceaccounts,networkpolicies,poddisruptionbudgets,horizontalpodautoscalers,kafkausers",
            "-n",
            ns,
            "-o",
            "name",
        ],
    )?;
    Ok(out
        .lines()
        .filter(|l| *l != "configmap/kube-root-ca.crt" && *l != "serviceaccount/default")
        .map(str::to_string)
        .collect())
}

fn install_upgrade_rollback_uninstall(helm: &Helm) -> Result<(), String> {
    let cp = helm.cp;
    let ns = helm.ns.as_str();
    let pr = helm.post_renderer()?;
    let values = helm.home.path().join("values.yaml");
    let changed = helm.home.path().join("changed.yaml");
    std::fs::write(
        &values,
        "bootstrapServers:\n  target-cluster: kafka-all-broker.kafka.svc.cluster.local:29092\n",
    )
    .map_err(|e| e.to_string())?;
    // One property changed, the rest of the chart's default descriptor kept.
    let defaults: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(common::repo().join("charts/mirrormaker2/values.yaml"))
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let properties = defaults["descriptor"]["mirrorMaker2Properties"]
        .as_str()
        .ok_or("the chart's values have no descriptor.mirrorMaker2Properties")?;
    let edited = properties.replace(
        "refresh.topics.interval.seconds=300",
        "refresh.topics.interval.seconds=301",
    );
    if edited == properties {
        return Err(
            "the chart's default properties no longer set refresh.topics.interval.seconds=300"
                .into(),
        );
    }
    std::fs::write(
        &changed,
        serde_json::json!({"descriptor": {"mirrorMaker2Properties": edited}}).to_string(),
    )
    .map_err(|e| e.to_string())?;
    let chart = "charts/mirrormaker2";
    let run = |verb: &str, files: &[&Path]| {
        let mut args = vec![
            verb,
            RELEASE,
            chart,
            "-n",
            ns,
            "--post-renderer",
            pr.as_str(),
        ];
        for f in files {
            args.extend(["-f", common::path_str(f)]);
        }
        helm.ok(&args)
    };
    let sets = |n: usize| {
        eventually(
            &format!("{n} ReplicaSet(s)"),
            60 * Duration::from_secs(1),
            || {
                let sets = replicasets_of(cp, ns, RELEASE)?;
                Ok((sets.len() == n).then_some(sets))
            },
        )
    };

    run("install", &[&values])?;
    sets(1)?;
    let first = config_hash(&get(cp, ns, "deployment", RELEASE)?);
    let first_configmaps = configmaps(cp, ns)?;

    run("upgrade", &[&values, &changed])?;
    sets(2)?;
    let second = config_hash(&get(cp, ns, "deployment", RELEASE)?);
    if second == first || second.is_empty() {
        return Err(format!(
            "helm{} upgrade with a changed property did not change the config hash ({first})",
            helm.major
        ));
    }

    helm.ok(&["rollback", RELEASE, "1", "-n", ns])?;
    // The Deployment is back on the first pod template, so its controller scales the first
    // ReplicaSet up again instead of making a third.
    let rolled_back = sets(2)?;
    let deployment = get(cp, ns, "deployment", RELEASE)?;
    if config_hash(&deployment) != first {
        return Err(format!(
            "helm{} rollback left the config hash at {}, expected {first}",
            helm.major,
            config_hash(&deployment)
        ));
    }
    let active = eventually(
        "the first ReplicaSet to be the active one",
        60 * Duration::from_secs(1),
        || {
            let sets = replicasets_of(cp, ns, RELEASE)?;
            Ok(sets
                .into_iter()
                .find(|rs| rs["spec"]["replicas"].as_u64().unwrap_or(0) > 0))
        },
    )?;
    if config_hash(&active) != first
        || !rolled_back
            .iter()
            .any(|rs| rs["metadata"]["name"] == active["metadata"]["name"])
    {
        return Err("after the rollback the active ReplicaSet is not the first one".into());
    }
    if configmaps(cp, ns)? != first_configmaps {
        return Err(format!(
            "helm{} rollback did not restore the first ConfigMap: {:?}, expected {first_configmaps:?}",
            helm.major,
            configmaps(cp, ns)?
        ));
    }

    helm.ok(&["uninstall", RELEASE, "-n", ns])?;
    // The ReplicaSets and pods go through the garbage collector, a little later.
    eventually(
        "nothing of ours left after helm uninstall",
        60 * Duration::from_secs(1),
        || {
            let left = leftovers(cp, ns)?;
            Ok(left.is_empty().then_some(()))
        },
    )
    .map_err(|e| format!("helm{}: {e}: {:?}", helm.major, leftovers(cp, ns)))
}

pub fn helm_3_and_4_install_upgrade_rollback_uninstall_the_chart(
    cp: &ControlPlane,
) -> Result<(), String> {
    for major in [3, 4] {
        let helm = new_helm(cp, major)?;
        install_upgrade_rollback_uninstall(&helm)?;
    }
    Ok(())
}
