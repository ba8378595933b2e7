//! Helm integration against the real helm 3 and helm 4 that scripts/install-tools installs
//! (MM2GEN_HELM3, MM2GEN_HELM4): the `mm2` plugin (plugin.yaml, scripts/helm-plugin/), the
//! post-renderers (scripts/helm-plugin/postrender for Helm 3, the helm/postrenderer-mm2 plugin
//! for Helm 4) and the chart charts/mirrormaker2. Every helm runs in its own temporary
//! HELM_DATA_HOME/CONFIG_HOME/CACHE_HOME, with the mm2gen under test first on PATH.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde::Deserialize;
use serde_yaml_ng::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mm2gen_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mm2gen"))
}

fn tool(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) if !p.is_empty() && Path::new(&p).exists() => PathBuf::from(p),
        _ => panic!(
            "{var} is not set to an installed tool: run `scripts/install-tools` and \
             `source ~/.cache/mm2gen-tools/env.sh` (scripts/test-all does both)"
        ),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

fn show(o: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    )
}

/// Runs mm2gen as a user would, in the repository.
fn mm2gen(args: &[&str]) -> Output {
    Command::new(mm2gen_bin())
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .expect("mm2gen runs")
}

fn mm2gen_ok(args: &[&str]) -> String {
    let o = mm2gen(args);
    assert!(o.status.success(), "mm2gen {args:?}\n{}", show(&o));
    text(&o.stdout)
}

/// The first executable called `name` on PATH.
fn which(name: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` is not on PATH"))
}

/// One helm (3 or 4) with its own homes, and a PATH whose first directory holds the mm2gen
/// under test (where the plugin's install hook and scripts look for it).
struct Helm {
    major: u8,
    bin: PathBuf,
    home: tempfile::TempDir,
    path: OsString,
}

impl Helm {
    fn new(major: u8) -> Helm {
        let bin = tool(&format!("MM2GEN_HELM{major}"));
        let home = tempfile::tempdir().unwrap();
        let bindir = home.path().join("bin");
        std::fs::create_dir(&bindir).unwrap();
        std::os::unix::fs::symlink(mm2gen_bin(), bindir.join("mm2gen")).unwrap();
        let mut dirs = vec![bindir];
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let path = std::env::join_paths(dirs).unwrap();
        Helm {
            major,
            bin,
            home,
            path,
        }
    }

    fn both() -> [Helm; 2] {
        [Helm::new(3), Helm::new(4)]
    }

    fn name(&self) -> String {
        format!("helm{}", self.major)
    }

    /// A helm command that sees none of the caller's Helm or kube settings: HELM_NAMESPACE is
    /// `default` and HELM_KUBECONTEXT empty unless a test sets them.
    fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("HELM_") {
                c.env_remove(&k);
            }
        }
        let h = self.home.path();
        c.env("HELM_DATA_HOME", h.join("data"))
            .env("HELM_CONFIG_HOME", h.join("config"))
            .env("HELM_CACHE_HOME", h.join("cache"))
            .env("KUBECONFIG", h.join("no-kubeconfig"))
            .env("PATH", &self.path)
            .current_dir(repo())
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("helm runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(o.status.success(), "{} {args:?}\n{}", self.name(), show(&o));
        text(&o.stdout)
    }

    fn install_plugin(&self, dir: &Path) -> String {
        let o = self.run(&["plugin", "install", dir.to_str().unwrap()]);
        assert!(
            o.status.success(),
            "{} plugin install {}\n{}",
            self.name(),
            dir.display(),
            show(&o)
        );
        format!("{}{}", text(&o.stdout), text(&o.stderr))
    }

    /// `--post-renderer` for this helm: Helm 3 takes the script, Helm 4 the installed plugin.
    fn post_renderer(&self) -> Vec<String> {
        let pr = if self.major == 3 {
            repo()
                .join("scripts/helm-plugin/postrender")
                .display()
                .to_string()
        } else {
            self.install_plugin(&repo().join("helm/postrenderer-mm2"));
            "mm2-postrender".to_string()
        };
        vec!["--post-renderer".into(), pr]
    }
}

fn args_of(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The objects of a YAML stream, in order.
fn objects(stream: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(stream)
        .map(|d| Value::deserialize(d).expect("valid YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

fn key(o: &Value) -> String {
    format!(
        "{}/{}/{}",
        o["kind"].as_str().unwrap_or_default(),
        o["metadata"]["namespace"].as_str().unwrap_or_default(),
        o["metadata"]["name"].as_str().unwrap_or_default()
    )
}

fn sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by_key(key);
    v
}

fn is_wrapper(o: &Value) -> bool {
    o["kind"] == "MirrorMaker2Migration"
}

/// Splits `helm template` output into its documents' texts ("---\n" first line included).
fn documents(stream: &str) -> Vec<String> {
    let mut docs: Vec<String> = Vec::new();
    for line in stream.split_inclusive('\n') {
        if line == "---\n" || docs.is_empty() {
            docs.push(String::new());
        }
        docs.last_mut().unwrap().push_str(line);
    }
    docs
}

fn cargo_version() -> String {
    let toml = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let package = toml.split("\n[").next().unwrap();
    package
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "version").then(|| v.trim().trim_matches('"').to_string())
        })
        .expect("Cargo.toml has a [package] version")
}

fn yaml_file(rel: &str) -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(repo().join(rel)).unwrap()).unwrap()
}

#[test]
fn every_plugin_and_chart_version_is_cargo_tomls() {
    let version = cargo_version();
    for (file, field) in [
        ("plugin.yaml", "version"),
        ("helm/postrenderer-mm2/plugin.yaml", "version"),
        ("charts/mirrormaker2/Chart.yaml", "version"),
        ("charts/mirrormaker2/Chart.yaml", "appVersion"),
    ] {
        let got = yaml_file(file)[field].as_str().map(str::to_string);
        assert_eq!(
            got.as_deref(),
            Some(version.as_str()),
            "{file}: `{field}` must be Cargo.toml's version {version} (as a string)"
        );
    }
    assert_eq!(
        mm2gen_ok(&["--version"]).trim(),
        format!("mm2gen {version}")
    );
}

#[test]
fn chart_values_schema_is_the_one_gen_chart_schema_writes() {
    let o = Command::new(repo().join("scripts/gen-chart-schema"))
        .arg("--stdout")
        .env("MM2GEN", mm2gen_bin())
        .output()
        .unwrap();
    assert!(o.status.success(), "scripts/gen-chart-schema\n{}", show(&o));
    let committed =
        std::fs::read_to_string(repo().join("charts/mirrormaker2/values.schema.json")).unwrap();
    assert!(
        text(&o.stdout) == committed,
        "charts/mirrormaker2/values.schema.json is out of date: run scripts/gen-chart-schema and commit it"
    );
}

// ---- the `mm2` plugin -----------------------------------------------------------------------

/// A descriptor whose target alias comes from the kube context (`${context}_kafka_kafka`).
const CONTEXT_DESCRIPTOR: &str = "\
kafkaClusters:
  - namespace: kafka
    name: kafka
    internalListenerName: internal
nonSDMKafkaClusters:
  - bootstrapServerAddress: legacy.example.com:9092
    alias: source-cluster
mirrorMaker2Properties: |
  source-cluster->prod_kafka_kafka.enabled=true
  source-cluster->prod_kafka_kafka.topics=orders.*
";

const KUBECONFIG: &str = "\
apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c, user: u, namespace: team-x}
- name: prod
  context: {cluster: c, user: u}
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:6443'}
users:
- name: u
  user: {token: not-used}
";

#[test]
fn plugin_installs_from_the_working_tree_and_renders_like_mm2gen() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = dir.path().join("context-descriptor.yaml");
    std::fs::write(&ctx, CONTEXT_DESCRIPTOR).unwrap();
    let ctx = ctx.to_str().unwrap();
    // Context `dev` (current) has namespace team-x, context `prod` none.
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, KUBECONFIG).unwrap();
    let kubeconfig = kubeconfig.to_str().unwrap();
    let example = ["-f", "examples/descriptor.yaml"];
    let kc = ["--kafka-cluster", "examples/kafkacluster.yaml"];

    // (helm mm2 arguments, extra environment, the equivalent mm2gen arguments)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        // Helm's namespace is `default` when nobody chose one: not passed on.
        (
            [&["mm2", "render"][..], &example, &kc].concat(),
            vec![],
            [&["render"][..], &example, &kc].concat(),
        ),
        (
            [&["mm2", "render"][..], &example, &kc, &["-o", "json"]].concat(),
            vec![],
            [&["render"][..], &example, &kc, &["-o", "json"]].concat(),
        ),
        // Helm takes -n/--namespace and --kube-context out of the arguments; the plugin gives
        // them back to mm2gen.
        (
            [&["mm2", "render", "-n", "team-a"][..], &example, &kc].concat(),
            vec![],
            [&["render", "-n", "team-a"][..], &example, &kc].concat(),
        ),
        (
            [&["-n", "team-a", "mm2", "render"][..], &example, &kc].concat(),
            vec![],
            [&["render", "-n", "team-a"][..], &example, &kc].concat(),
        ),
        (
            [&["mm2", "render", "--namespace=team-a"][..], &example, &kc].concat(),
            vec![],
            [&["render", "-n", "team-a"][..], &example, &kc].concat(),
        ),
        (
            [&["mm2", "render"][..], &example, &kc].concat(),
            vec![("HELM_NAMESPACE", "team-b")],
            [&["render", "-n", "team-b"][..], &example, &kc].concat(),
        ),
        // A namespace equal to Helm's fallback (the kube context's, else `default`) is taken
        // as not given...
        (
            [&["mm2", "render", "-n", "default"][..], &example, &kc].concat(),
            vec![],
            [&["render"][..], &example, &kc].concat(),
        ),
        (
            [&["mm2", "render"][..], &example, &kc].concat(),
            vec![("KUBECONFIG", kubeconfig)],
            [&["render"][..], &example, &kc].concat(),
        ),
        (
            [&["mm2", "render", "-n", "team-x"][..], &example, &kc].concat(),
            vec![("KUBECONFIG", kubeconfig)],
            [&["render"][..], &example, &kc].concat(),
        ),
        (
            [&["mm2", "render", "-n", "default"][..], &example, &kc].concat(),
            vec![("KUBECONFIG", kubeconfig)],
            [&["render", "-n", "default"][..], &example, &kc].concat(),
        ),
        (
            [
                &["mm2", "render", "--kube-context", "prod", "-n", "team-x"][..],
                &example,
                &kc,
            ]
            .concat(),
            vec![("KUBECONFIG", kubeconfig)],
            [
                &["render", "--kube-context", "prod", "-n", "team-x"][..],
                &example,
                &kc,
            ]
            .concat(),
        ),
        // ...while mm2gen's own flag in the attached form reaches mm2gen untouched and wins.
        (
            [&["mm2", "render", "-ndefault"][..], &example, &kc].concat(),
            vec![("HELM_NAMESPACE", "team-b")],
            [&["render", "-n", "default"][..], &example, &kc].concat(),
        ),
        (
            vec![
                "mm2",
                "render",
                "-f",
                ctx,
                "--kube-context",
                "prod",
                kc[0],
                kc[1],
            ],
            vec![],
            vec!["render", "-f", ctx, "--kube-context", "prod", kc[0], kc[1]],
        ),
        (
            vec!["mm2", "render", "-f", ctx, kc[0], kc[1]],
            vec![("HELM_KUBECONTEXT", "prod")],
            vec!["render", "-f", ctx, "--kube-context", "prod", kc[0], kc[1]],
        ),
        // Errors: the same message and exit code.
        (
            vec!["mm2", "render", "-f", ctx, kc[0], kc[1]],
            vec![],
            vec!["render", "-f", ctx, kc[0], kc[1]],
        ),
        (
            vec!["mm2", "render", "--no-such-flag"],
            vec![],
            vec!["render", "--no-such-flag"],
        ),
        (vec!["mm2", "--help"], vec![], vec!["--help"]),
        (
            vec!["mm2", "render", "--help"],
            vec![],
            vec!["render", "--help"],
        ),
        (vec!["mm2", "--version"], vec![], vec!["--version"]),
    ];

    for helm in Helm::both() {
        let said = helm.install_plugin(&repo());
        let found = helm.home.path().join("bin/mm2gen");
        assert!(
            said.contains(&format!("using {}", found.display())),
            "{}: the install hook should use the mm2gen on PATH:\n{said}",
            helm.name()
        );
        assert!(said.contains("scripts/helm-plugin/postrender"), "{said}");
        assert!(helm.ok(&["plugin", "list"]).contains("mm2"));

        for (helm_args, env, mm2gen_args) in &cases {
            let got = helm
                .cmd()
                .args(helm_args)
                .envs(env.iter().copied())
                .output()
                .unwrap();
            let want = mm2gen(mm2gen_args);
            let what = format!(
                "{} {helm_args:?} {env:?} vs mm2gen {mm2gen_args:?}",
                helm.name()
            );
            assert!(
                got.stdout == want.stdout,
                "{what}: stdout differs\n{}\n--- mm2gen\n{}",
                show(&got),
                show(&want)
            );
            assert_eq!(got.status.code(), want.status.code(), "{what}: exit code");
            // Helm adds one line of its own after a failing plugin.
            assert!(
                text(&got.stderr).starts_with(&text(&want.stderr)),
                "{what}: stderr differs\n{}\n--- mm2gen\n{}",
                show(&got),
                show(&want)
            );
            if want.status.success() {
                assert_eq!(text(&got.stderr), text(&want.stderr), "{what}");
            }
        }
    }
}

#[test]
fn plugin_install_builds_mm2gen_with_cargo_when_none_is_installed() {
    // A copy of the plugin (so that nothing lands in the working tree's target/) and a `cargo`
    // that records its arguments and "builds" by linking the mm2gen under test.
    for helm in Helm::both() {
        let h = helm.home.path();
        let plugin = h.join("plugin");
        std::fs::create_dir_all(plugin.join("scripts/helm-plugin")).unwrap();
        std::fs::copy(repo().join("plugin.yaml"), plugin.join("plugin.yaml")).unwrap();
        std::fs::write(plugin.join("Cargo.toml"), "[package]\nname = \"mm2gen\"\n").unwrap();
        for f in ["mm2", "install", "lib.sh", "postrender"] {
            let from = repo().join("scripts/helm-plugin").join(f);
            std::fs::copy(&from, plugin.join("scripts/helm-plugin").join(f)).unwrap();
        }
        let tools = h.join("tools");
        std::fs::create_dir(&tools).unwrap();
        for t in ["sh", "dirname", "sed", "cat", "mkdir", "ln"] {
            std::os::unix::fs::symlink(which(t), tools.join(t)).unwrap();
        }
        let log = h.join("cargo-args");
        write(
            &tools,
            "cargo",
            &format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}'\n\
                 while [ $# -gt 0 ]; do [ \"$1\" = --target-dir ] && dir=$2; shift; done\n\
                 mkdir -p \"$dir/release\" && ln -s '{bin}' \"$dir/release/mm2gen\"\n",
                log = log.display(),
                bin = mm2gen_bin().display()
            ),
        );
        std::fs::set_permissions(
            tools.join("cargo"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();

        let o = helm
            .cmd()
            .args(["plugin", "install", plugin.to_str().unwrap()])
            .env("PATH", &tools)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}\n{}", helm.name(), show(&o));
        let said = format!("{}{}", text(&o.stdout), text(&o.stderr));
        let built = plugin.join("target/release/mm2gen");
        assert!(said.contains("building it with cargo"), "{said}");
        assert!(
            said.contains(&format!("built {}", built.display())),
            "{said}"
        );
        let args = std::fs::read_to_string(&log).unwrap();
        let manifest = plugin.join("Cargo.toml");
        let target = plugin.join("target");
        assert_eq!(
            args.lines().collect::<Vec<_>>(),
            [
                "build",
                "--release",
                "--locked",
                "--manifest-path",
                manifest.to_str().unwrap(),
                "--target-dir",
                target.to_str().unwrap(),
            ],
            "{}",
            helm.name()
        );
        // `helm mm2` runs the built binary (no mm2gen on PATH).
        let o = helm
            .cmd()
            .args(["mm2", "--version"])
            .env("PATH", &tools)
            .output()
            .unwrap();
        assert_eq!(
            text(&o.stdout),
            text(&mm2gen(&["--version"]).stdout),
            "{}",
            show(&o)
        );
    }
}

#[test]
fn plugin_install_fails_loudly_without_mm2gen_and_cargo() {
    // PATH holds only what the hook itself needs: no mm2gen, no cargo, and no ~/.cargo either.
    for helm in Helm::both() {
        let tools = helm.home.path().join("tools");
        std::fs::create_dir(&tools).unwrap();
        for t in ["sh", "dirname", "sed", "cat"] {
            std::os::unix::fs::symlink(which(t), tools.join(t)).unwrap();
        }
        let o = helm
            .cmd()
            .args(["plugin", "install", repo().to_str().unwrap()])
            .env("PATH", &tools)
            .env("HOME", helm.home.path())
            .env("CARGO_HOME", helm.home.path().join("cargo"))
            .output()
            .unwrap();
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{}\n{}", helm.name(), show(&o));
        for part in [
            "mm2: error: no mm2gen binary, and no cargo to build one",
            "`mm2gen` on PATH",
            "cargo: not on PATH",
            "help: put an mm2gen binary on PATH",
            "helm plugin uninstall mm2",
            "plugin install hook for \"mm2\" exited with error",
        ] {
            assert!(
                err.contains(part),
                "{}: missing `{part}` in\n{err}",
                helm.name()
            );
        }
    }
}

// ---- post-renderers ---------------------------------------------------------------------------

/// `s` indented by `n` spaces (for a YAML block).
fn indent(s: &str, n: usize) -> String {
    s.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{}{l}\n", " ".repeat(n))
            }
        })
        .collect()
}

/// A chart whose stream holds the target KafkaCluster, unrelated objects, and a
/// MirrorMaker2Migration wrapping the example descriptor (namespace and name mm2gen's defaults).
fn stream_chart(dir: &Path) -> PathBuf {
    let chart = dir.join("app");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    )
    .unwrap();
    std::fs::copy(
        repo().join("examples/kafkacluster.yaml"),
        chart.join("templates/kafkacluster.yaml"),
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/unrelated.yaml"),
        "# an application that has nothing to do with MirrorMaker2\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-settings, namespace: apps}\n\
         data:\n  greeting: \"hello: world\"   # a comment\n  list: |\n    a\n    b\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: app\n  namespace: apps\n  \
         annotations:\n    example.com/note: 'kept'\nspec:\n  ports: [{port: 80, targetPort: 8080}]\n  \
         selector:\n    app: app\n",
    )
    .unwrap();
    let descriptor = std::fs::read_to_string(repo().join("examples/descriptor.yaml")).unwrap();
    std::fs::write(
        chart.join("templates/mm2.yaml"),
        format!(
            "apiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nmetadata:\n  name: mm2\nspec:\n{}",
            indent(&descriptor, 2)
        ),
    )
    .unwrap();
    chart
}

#[test]
fn post_renderer_expands_the_migration_and_passes_everything_else_through() {
    let dir = tempfile::tempdir().unwrap();
    let chart = stream_chart(dir.path());
    let chart = chart.to_str().unwrap();
    // What the wrapper renders to, resolved with the stream's KafkaCluster.
    let wrapper = dir.path().join("app/templates/mm2.yaml");
    let generated = mm2gen_ok(&[
        "render",
        "-f",
        wrapper.to_str().unwrap(),
        "--kafka-cluster",
        "examples/kafkacluster.yaml",
    ]);

    for helm in Helm::both() {
        let plain = helm.ok(&["template", "r", chart]);
        let pr = helm.post_renderer();
        let expanded = helm.ok(&args_of(
            &[vec!["template".into(), "r".into(), chart.into()], pr].concat(),
        ));
        if helm.major == 3 {
            // Helm 3 prints the post-renderer's output as it is: the wrapper's document is
            // replaced by mm2gen's manifests, every other document is there byte for byte.
            let docs = documents(&plain);
            let wrappers: Vec<&String> = docs
                .iter()
                .filter(|d| d.contains("# Source: app/templates/mm2.yaml"))
                .collect();
            assert_eq!(wrappers.len(), 1, "{plain}");
            let want = plain.replacen(wrappers[0].as_str(), &generated, 1);
            assert!(
                expanded == want,
                "helm3 --post-renderer output\n{expanded}\n--- expected\n{want}"
            );
        } else {
            // Helm 4 re-serialises the post-renderer's input and output (and annotates each
            // document with its template file on the way in): compare objects.
            let mut want: Vec<Value> = objects(&plain)
                .into_iter()
                .filter(|o| !is_wrapper(o))
                .collect();
            want.extend(objects(&generated));
            let got = objects(&expanded);
            assert!(
                !expanded.contains("postrenderer.helm.sh"),
                "Helm 4's filename annotation leaked into the output:\n{expanded}"
            );
            // The generated objects inherit the wrapper's template (its annotation).
            assert!(!expanded.contains("generated-by-postrender"), "{expanded}");
            let from_wrapper = documents(&expanded)
                .iter()
                .filter(|d| d.contains("# Source: app/templates/mm2.yaml\n"))
                .count();
            assert_eq!(from_wrapper, objects(&generated).len(), "{expanded}");
            assert_eq!(
                sorted(got),
                sorted(want),
                "helm4 --post-renderer output:\n{expanded}"
            );
        }
    }
}

// ---- the chart ----------------------------------------------------------------------------------

const CHART: &str = "charts/mirrormaker2";

fn write(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn chart_lints_clean() {
    for helm in Helm::both() {
        let out = helm.ok(&["lint", "--strict", CHART]);
        assert!(
            !out.contains("[WARNING]") && !out.contains("[ERROR]"),
            "{} lint:\n{out}",
            helm.name()
        );
    }
}

#[test]
fn chart_with_post_renderer_renders_what_mm2gen_renders_and_passes_the_kubernetes_schemas() {
    let validator = tool("MM2GEN_K8S_VALIDATE");
    let dir = tempfile::tempdir().unwrap();
    let by_address = write(
        dir.path(),
        "address.yaml",
        "bootstrapServers:\n  target-cluster: kafka-all-broker.kafka.svc.cluster.local:29092\n",
    );
    // Relative to the directory helm runs in (the repository here).
    let by_file = write(
        dir.path(),
        "file.yaml",
        "kafkaClusterFiles: [examples/kafkacluster.yaml]\n",
    );
    // The chart's default descriptor is the example's; release `mm2` in namespace `kafka`.
    let want = mm2gen_ok(&[
        "render",
        "-f",
        "examples/descriptor.yaml",
        "--kafka-cluster",
        "examples/kafkacluster.yaml",
        "-n",
        "kafka",
        "--name",
        "mm2",
    ]);

    let mut files = Vec::new();
    for helm in Helm::both() {
        let pr = helm.post_renderer();
        for values in [&by_address, &by_file] {
            let args = [
                vec![
                    "template",
                    "mm2",
                    CHART,
                    "-n",
                    "kafka",
                    "-f",
                    values.as_str(),
                ],
                args_of(&pr),
            ]
            .concat();
            let got = helm.ok(&args);
            if helm.major == 3 {
                assert!(
                    got == want,
                    "helm3 {args:?}\n{got}\n--- mm2gen render\n{want}"
                );
            } else {
                assert_eq!(
                    sorted(objects(&got)),
                    sorted(objects(&want)),
                    "helm4 {args:?}\n{got}"
                );
                // Filed under the chart's template, so --show-only selects them.
                let only = [
                    &args[..],
                    &["--show-only", "templates/mirrormaker2migration.yaml"],
                ]
                .concat();
                assert_eq!(objects(&helm.ok(&only)), objects(&got), "helm4 {only:?}");
            }
            for (i, o) in objects(&got).iter().enumerate() {
                if o["kind"] == "KafkaUser" {
                    continue; // no schema in kubernetes-validate; tests/tools.rs checks its CRD
                }
                let name = format!("{}-{}-{i}.yaml", helm.name(), files.len());
                files.push(write(
                    dir.path(),
                    &name,
                    &serde_yaml_ng::to_string(o).unwrap(),
                ));
            }
        }
    }
    assert!(files.len() >= 12, "too few objects: {files:?}");
    let o = Command::new(validator)
        .args(["-k", "1.37.0", "--strict"])
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "kubernetes-validate\n{}", show(&o));
    assert!(
        !text(&o.stdout).to_lowercase().contains("warn"),
        "{}",
        show(&o)
    );
}

#[test]
fn chart_notes_tell_what_was_deployed_and_how_to_check_replication() {
    // Helm 4 renders NOTES offline with --dry-run=client (Helm 3 wants a cluster for it).
    let helm = Helm::new(4);
    let pr = helm.post_renderer();
    let dir = tempfile::tempdir().unwrap();
    let values = write(
        dir.path(),
        "v.yaml",
        "bootstrapServers:\n  target-cluster: kafka-all-broker.kafka.svc.cluster.local:29092\n",
    );
    let args = [
        vec![
            "install",
            "mm2",
            CHART,
            "-n",
            "kafka",
            "-f",
            values.as_str(),
            "--dry-run=client",
        ],
        args_of(&pr),
    ]
    .concat();
    let out = helm.ok(&args);
    let notes = out
        .split("\nNOTES:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no NOTES in\n{out}"));
    for part in [
        "MirrorMaker2 `mm2` is installed in namespace kafka (release mm2, revision 1).",
        "Replication flows: source-cluster->target-cluster\n",
        "kubectl -n kafka rollout status deployment/mm2",
        "kubectl -n kafka logs deployment/mm2 -f",
        "kafka-consumer-groups.sh --bootstrap-server <target bootstrap> --describe --all-groups",
        "helm rollback mm2",
    ] {
        assert!(notes.contains(part), "NOTES lack `{part}`:\n{notes}");
    }
}

#[test]
fn bad_values_are_rejected_by_the_chart_schema() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.yaml",
        "descriptor:\n  mirrorMaker2Spek: {}\n  kafkaClusters:\n    - alias: bad alias\n",
    );
    let typo = write(dir.path(), "typo.yaml", "bootstrapServer: {}\n");
    for helm in Helm::both() {
        for args in [
            vec!["lint", CHART, "-f", bad.as_str()],
            vec!["template", "mm2", CHART, "-f", bad.as_str()],
        ] {
            let o = helm.run(&args);
            let err = format!("{}{}", text(&o.stdout), text(&o.stderr));
            assert_eq!(
                o.status.code(),
                Some(1),
                "{} {args:?}\n{}",
                helm.name(),
                show(&o)
            );
            for part in [
                "additional properties 'mirrorMaker2Spek' not allowed",
                "/descriptor/kafkaClusters/0/alias",
                "does not match pattern",
            ] {
                assert!(
                    err.contains(part),
                    "{} {args:?}: missing `{part}`:\n{err}",
                    helm.name()
                );
            }
        }
        let o = helm.run(&["template", "mm2", CHART, "-f", typo.as_str()]);
        assert_eq!(o.status.code(), Some(1), "{}", show(&o));
        assert!(
            text(&o.stderr).contains("additional properties 'bootstrapServer' not allowed"),
            "{}",
            show(&o)
        );
    }
}

#[test]
fn a_missing_kafka_cluster_fails_through_helm_with_mm2gens_message() {
    for helm in Helm::both() {
        let pr = helm.post_renderer();
        let args = [vec!["template", "mm2", CHART, "-n", "kafka"], args_of(&pr)].concat();
        let o = helm.run(&args);
        let err = text(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{} {args:?}\n{}",
            helm.name(),
            show(&o)
        );
        assert!(o.stdout.is_empty(), "{}", show(&o));
        for part in [
            "error: cannot find the bootstrap address of `target-cluster`",
            "--> <stdin>:",
            "help: pass the KafkaCluster resource with --kafka-cluster FILE",
        ] {
            assert!(
                err.contains(part),
                "{}: missing `{part}` in\n{err}",
                helm.name()
            );
        }
    }
}

fn expand_stdin(stream: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(mm2gen_bin())
        .arg("expand")
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const SMALL_MIGRATION: &str = "apiVersion: mm2gen.io/v1alpha1
kind: MirrorMaker2Migration
metadata: {name: mm2}
bootstrapServers: {t: 'kafka:9092'}
spec:
  kafkaClusters:
  - alias: t
  nonSDMKafkaClusters:
  - {alias: s, bootstrapServerAddress: 'legacy:9092'}
  mirrorMaker2Properties: |
    s->t.enabled=true
";

#[test]
fn expand_passes_an_unrelated_document_with_yaml_anchors_through_untouched() {
    let unrelated = "# Source: chart/templates/app.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  labels: &labels {app: web}\nspec:\n  selector:\n    matchLabels: *labels\n";
    let o = expand_stdin(&format!("---\n{unrelated}---\n{SMALL_MIGRATION}"));
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = text(&o.stdout);
    assert!(out.starts_with(&format!("---\n{unrelated}---\n")), "{out}");
    assert!(out.contains("kind: ConfigMap"), "{out}");

    // mm2gen's own documents still refuse aliases, with the place (the alias on the stream's
    // line 15, the 4th of the document) and the reason.
    for ours in [
        SMALL_MIGRATION.replace("metadata: {name: mm2}", "metadata: &m {name: mm2}\nx: *m"),
        "apiVersion: kafka.banzaicloud.io/v1beta1\nkind: KafkaCluster\nmetadata: &m {name: kafka}\nx: *m\n".to_string(),
    ] {
        let o = expand_stdin(&format!("---\n{unrelated}---\n{ours}"));
        assert_eq!(o.status.code(), Some(1), "{}", show(&o));
        let err = text(&o.stderr);
        assert!(err.contains("YAML aliases (`*name`) are not supported"), "{err}");
        assert!(err.contains("<stdin>:15:"), "{err}");
        assert!(o.stdout.is_empty(), "{}", show(&o));
    }
}

#[test]
fn expand_refuses_two_migrations_that_generate_the_same_objects() {
    let o = expand_stdin(&format!("---\n{SMALL_MIGRATION}---\n{SMALL_MIGRATION}"));
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = text(&o.stderr);
    assert!(
        err.contains("error: the MirrorMaker2Migration `mm2` at line 2 and the MirrorMaker2Migration `mm2` at line 14 both generate ServiceAccount `"),
        "{err}"
    );
    assert!(err.contains("<stdin>:14:1"), "{err}");
    assert!(
        err.contains("help: give each MirrorMaker2Migration its own `metadata.name`"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "{}", show(&o));
    // Negative control: another name generates other objects.
    let other = SMALL_MIGRATION.replace("{name: mm2}", "{name: mm2-other}");
    let o = expand_stdin(&format!("---\n{SMALL_MIGRATION}---\n{other}"));
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(text(&o.stdout).matches("kind: Deployment").count(), 2);
}
