//! Shell completions and man pages generated from the clap definition.

mod common;

use std::process::Command;

use common::*;

const SUBCOMMANDS: &[&str] = &[
    "render",
    "lint",
    "expand",
    "krm",
    "kustomize-plugin",
    "argocd-generate",
    "schema",
    "completions",
    "man",
];

#[test]
fn completions_cover_every_subcommand_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = render_ok(&["completions", shell]);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} completion lacks `{sub}`");
        }
        assert!(
            script.contains("output-dir"),
            "{shell} completion lacks render's flags"
        );
    }
    let bash = render_ok(&["completions", "bash"]);
    let checked = Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(&bash)
        .status()
        .unwrap();
    assert!(
        checked.success(),
        "the bash completion script does not parse"
    );
}

#[test]
fn man_pages_render_without_warnings_and_document_every_flag() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["man", "--dir", path_str(dir.path())]);
    assert!(o.status.success(), "{}", stderr(&o));
    for sub in SUBCOMMANDS {
        let page = dir.path().join(format!("mm2gen-{sub}.1"));
        assert!(page.exists(), "no man page for {sub}");
        // groff (installed with man-db on every machine of this project) reports roff mistakes
        // as warnings with -ww; -z renders without output.
        let g = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .expect("groff is installed");
        assert!(
            g.status.success() && g.stderr.is_empty(),
            "{sub}: {}",
            String::from_utf8_lossy(&g.stderr)
        );
    }
    let render = std::fs::read_to_string(dir.path().join("mm2gen-render.1")).unwrap();
    for flag in [
        "kafka\\-cluster",
        "bootstrap\\-servers",
        "output\\-dir",
        "secret\\-file",
        "context",
    ] {
        assert!(render.contains(flag), "mm2gen-render.1 lacks --{flag}");
    }
    assert!(std::fs::read_to_string(dir.path().join("mm2gen.1"))
        .unwrap()
        .contains(".SH SUBCOMMANDS"));
}
