//! mm2gen's output applied to a real Kubernetes control plane: etcd, kube-apiserver (RBAC, Pod
//! Security admission), kube-controller-manager, kube-scheduler and a kwok node, built by
//! scripts/install-control-plane and started once for the whole run (cluster.rs). Each test
//! works in its own namespace.
//!
//! A custom harness (libtest-mimic) so that the control plane starts once before the tests and
//! is stopped after them, which the standard harness has no hook for. A missing binary fails
//! the run with what to install; nothing is skipped.
//!
//!   scripts/install-tools && . ~/.cache/mm2gen-tools/env.sh
//!   cargo test --test control_plane [-- NAME]

#[path = "../common/mod.rs"]
mod common;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod accepted;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod adapters;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod cluster;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod helm;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod kube;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod pruning;
mod stored;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod tests;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn main() {
    use std::sync::{Arc, OnceLock};
    use std::time::Instant;

    use libtest_mimic::{Arguments, Trial};

    let args = Arguments::from_args();
    let shared: Arc<OnceLock<cluster::ControlPlane>> = Arc::default();
    // Every name starts with `control_plane::`, so that `cargo test -- --skip control_plane::`
    // runs the rest of the suite without them (scripts/test-all runs them as their own phase).
    let mut trials = vec![Trial::test(
        "control_plane::stored_comparison_flags_every_kind_of_difference",
        || stored::comparison_flags_every_kind_of_difference().map_err(Into::into),
    )];
    let first_cluster_trial = trials.len();
    for (name, test) in tests::ALL {
        let shared = shared.clone();
        trials.push(Trial::test(format!("control_plane::{name}"), move || {
            let cp = shared
                .get()
                .expect("main starts the control plane before any test that needs it");
            test(cp).map_err(Into::into)
        }));
    }
    let needed = !args.list
        && trials[first_cluster_trial..]
            .iter()
            .any(|t| !args.is_filtered_out(t) && !args.is_ignored(t));
    if needed {
        let start = Instant::now();
        match cluster::ControlPlane::start().and_then(|cp| {
            tests::install_crds(&cp)?;
            Ok(cp)
        }) {
            Ok(cp) => {
                eprintln!(
                    "control plane: ready in {:.1} s (kubeconfig {})",
                    start.elapsed().as_secs_f64(),
                    cp.kubeconfig().display()
                );
                let _ = shared.set(cp);
            }
            Err(e) => {
                eprintln!("error: the Kubernetes control plane for the tests did not start: {e}");
                std::process::exit(1);
            }
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(cp) = shared.get() {
        cp.stop();
    }
    conclusion.exit()
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() {
    eprintln!("error: the control-plane tests run on Linux (glibc) only");
    std::process::exit(1);
}
