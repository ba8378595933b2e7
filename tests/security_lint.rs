//! Every rendered output passes a real Kubernetes security linter (checkov, installed by
//! scripts/install-tools), with only the deliberate exceptions of tests/security/checkov.yaml.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

fn checkov() -> PathBuf {
    match std::env::var_os("MM2GEN_CHECKOV") {
        Some(p) if PathBuf::from(&p).exists() => PathBuf::from(p),
        _ => panic!("MM2GEN_CHECKOV is not set to an installed checkov: run `scripts/install-tools` and `source ~/.cache/mm2gen-tools/env.sh` (scripts/test-all does both)"),
    }
}

/// checkov skips hidden directories, and tempfile's default names start with a dot.
fn visible_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mm2gen-checkov-")
        .tempdir()
        .unwrap()
}

fn run_checkov(dir: &std::path::Path) -> (bool, String) {
    let o = Command::new(checkov())
        .arg("--config-file")
        .arg(repo().join("tests/security/checkov.yaml"))
        .args(["--compact", "-d"])
        .arg(dir)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
    )
}

#[test]
fn every_rendered_output_passes_checkov() {
    let dir = visible_tempdir();
    for (name, args) in rendered_cases() {
        let mut args: Vec<String> = args;
        args.extend([
            "--output-dir".to_string(),
            path_str(&dir.path().join(name)).to_string(),
        ]);
        let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    }
    let (ok, out) = run_checkov(dir.path());
    assert!(ok, "checkov findings:\n{out}");
    // It really looked: hundreds of checks over every object.
    let passed: usize = out
        .lines()
        .find_map(|l| l.split("Passed checks: ").nth(1))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        passed > 300,
        "checkov checked too little ({passed} passed):\n{out}"
    );
}

#[test]
fn checkov_finds_what_it_should() {
    // Proves the test can fail: a privileged container is reported.
    let dir = visible_tempdir();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad, namespace: x}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: busybox:1.36\n        securityContext: {privileged: true}\n",
    )
    .unwrap();
    let (ok, out) = run_checkov(dir.path());
    assert!(!ok && out.contains("CKV_K8S_16"), "{out}");
}
