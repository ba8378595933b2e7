//! mm2gen inside GitOps pipelines, driven by the real tools: `kubectl kustomize` (legacy exec
//! plugin), standalone kustomize (KRM exec function, from `scripts/install-tools`), the Argo CD
//! plugin's generate command run the way the CMP server runs it, and the pre-commit hook.
//!
//! The examples under examples/kustomize/ and argocd/ are built as shipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use common::{path_str, repo, stderr, stdout};

const BIN: &str = env!("CARGO_BIN_EXE_mm2gen");

fn examples() -> PathBuf {
    repo().join("examples/kustomize")
}

/// A scratch home for one test: the legacy plugin installed under its own XDG_CONFIG_HOME and a
/// bin directory with `mm2gen` and `mm2gen-krm` for the PATH of exec functions.
struct Setup {
    tmp: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let xdg = tmp.path().join("xdg");
        let o = Command::new(BIN)
            .args([
                "kustomize-plugin",
                "install",
                "--config-home",
                path_str(&xdg),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "plugin install failed: {}", stderr(&o));
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        for name in ["mm2gen", "mm2gen-krm"] {
            std::os::unix::fs::symlink(BIN, bin.join(name)).unwrap();
        }
        Setup { tmp }
    }

    fn dir(&self, name: &str) -> PathBuf {
        let d = self.tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn path_env(&self) -> String {
        let bin = self.tmp.path().join("bin");
        format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    fn env(&self, c: &mut Command) {
        c.env("XDG_CONFIG_HOME", self.tmp.path().join("xdg"))
            .env("PATH", self.path_env())
            .stdin(Stdio::null());
    }

    fn kubectl(&self, args: &[&str], dir: &Path) -> Output {
        let mut c = Command::new("kubectl");
        c.arg("kustomize").args(args).arg(dir);
        self.env(&mut c);
        c.output()
            .expect("kubectl runs (it is on the PATH of the test machine)")
    }

    fn kustomize(&self, args: &[&str], dir: &Path) -> Output {
        let mut c = Command::new(kustomize_bin());
        c.arg("build").args(args).arg(dir);
        self.env(&mut c);
        c.output().expect("standalone kustomize runs")
    }
}

fn kustomize_bin() -> PathBuf {
    match std::env::var_os("MM2GEN_KUSTOMIZE").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "MM2GEN_KUSTOMIZE is not set: run scripts/install-tools, then \
             `source ~/.cache/mm2gen-tools/env.sh` (scripts/test-all does both)"
        ),
    }
}

fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}",
        o.status,
        stderr(&o)
    );
    stdout(&o)
}

/// Kustomize's own formatting of a YAML stream: `kubectl kustomize` of a directory holding it.
fn normalize(setup: &Setup, name: &str, stream: &str) -> String {
    let dir = setup.dir(&format!("normalize-{name}"));
    std::fs::write(dir.join("all.yaml"), stream).unwrap();
    std::fs::write(dir.join("kustomization.yaml"), "resources:\n- all.yaml\n").unwrap();
    ok(setup.kubectl(&[], &dir), "kubectl kustomize (normalize)")
}

/// Copies the files of a directory (examples are flat).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn docs(stream: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(stream)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML document"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn kinds(stream: &str) -> Vec<String> {
    docs(stream)
        .iter()
        .map(|d| d["kind"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn yaml_file(rel: &str) -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(repo().join(rel)).unwrap()).unwrap()
}

/// Runs the plugin's generate command as Argo CD's CMP server does: the command of
/// argocd/plugin.yaml, in a copy of the Application's source directory, with the sidecar's
/// environment plus the build environment and the Application's env entries as ARGOCD_ENV_*.
fn argocd_generate(setup: &Setup, app_dir: &Path) -> Output {
    let plugin = yaml_file("argocd/plugin.yaml");
    let app = yaml_file("argocd/application.yaml");
    let discover = plugin["spec"]["discover"]["fileName"].as_str().unwrap();
    assert!(
        app_dir.join(discover).is_file(),
        "discovery ({discover}) does not match {}",
        app_dir.display()
    );
    let generate = &plugin["spec"]["generate"];
    let mut argv: Vec<String> = generate["command"]
        .as_array()
        .into_iter()
        .chain(generate["args"].as_array())
        .flatten()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let program = argv.remove(0);
    let source = &app["spec"]["source"];
    let mut c = Command::new(program);
    c.args(argv)
        .current_dir(app_dir)
        .env_clear()
        .env("PATH", setup.path_env())
        .env("HOME", setup.tmp.path())
        .env("ARGOCD_APP_NAME", app["metadata"]["name"].as_str().unwrap())
        .env(
            "ARGOCD_APP_NAMESPACE",
            app["spec"]["destination"]["namespace"].as_str().unwrap(),
        )
        .env(
            "ARGOCD_APP_REVISION",
            "0123456789abcdef0123456789abcdef01234567",
        )
        .env("ARGOCD_APP_SOURCE_PATH", source["path"].as_str().unwrap())
        .env(
            "ARGOCD_APP_SOURCE_REPO_URL",
            source["repoURL"].as_str().unwrap(),
        )
        .env(
            "ARGOCD_APP_SOURCE_TARGET_REVISION",
            source["targetRevision"].as_str().unwrap(),
        )
        .env("KUBE_VERSION", "1.34.1")
        .env(
            "KUBE_API_VERSIONS",
            "v1,apps/v1,kafka.banzaicloud.io/v1beta1",
        )
        .stdin(Stdio::null());
    for e in source["plugin"]["env"].as_array().into_iter().flatten() {
        c.env(
            format!("ARGOCD_ENV_{}", e["name"].as_str().unwrap()),
            e["value"].as_str().unwrap(),
        );
    }
    c.output().expect("the generate command runs")
}

/// The Application's source directory as the CMP server sees it: a fresh copy.
fn argocd_app_copy(setup: &Setup, name: &str) -> PathBuf {
    let app = yaml_file("argocd/application.yaml");
    let dir = setup.dir(name);
    copy_dir(
        &repo().join(app["spec"]["source"]["path"].as_str().unwrap()),
        &dir,
    );
    dir
}

#[test]
fn cli_legacy_plugin_krm_function_and_argocd_plugin_give_the_same_objects() {
    let setup = Setup::new();
    let legacy = examples().join("legacy");

    let cli_dir = setup.dir("cli");
    let o = common::run(&[
        "render",
        "-f",
        path_str(&legacy.join("mm2-descriptor.yaml")),
        "--kafka-cluster",
        path_str(&legacy.join("kafkacluster.yaml")),
        "--output-dir",
        path_str(&cli_dir),
    ]);
    ok(o, "mm2gen render --output-dir");
    let cli = ok(
        setup.kubectl(&[], &cli_dir),
        "kubectl kustomize of the CLI output",
    );
    assert_eq!(
        kinds(&cli),
        [
            "ServiceAccount",
            "ConfigMap",
            "Deployment",
            "KafkaUser",
            "NetworkPolicy"
        ]
    );

    let via_kubectl = ok(
        setup.kubectl(&["--enable-alpha-plugins"], &legacy),
        "kubectl kustomize --enable-alpha-plugins examples/kustomize/legacy",
    );
    assert_eq!(via_kubectl, cli, "legacy plugin (kubectl kustomize)");
    let via_kustomize = ok(
        setup.kustomize(&["--enable-alpha-plugins"], &legacy),
        "kustomize build --enable-alpha-plugins examples/kustomize/legacy",
    );
    assert_eq!(via_kustomize, cli, "legacy plugin (standalone kustomize)");

    let krm = ok(
        setup.kustomize(
            &["--enable-alpha-plugins", "--enable-exec"],
            &examples().join("krm"),
        ),
        "kustomize build --enable-alpha-plugins --enable-exec examples/kustomize/krm",
    );
    assert_eq!(
        krm, cli,
        "KRM function (the KafkaCluster resource stays out)"
    );

    let app = argocd_app_copy(&setup, "argocd-app");
    let o = argocd_generate(&setup, &app);
    let generated = ok(o.clone(), "argocd generate command");
    assert!(
        stderr(&o).contains("warning: KafkaUser"),
        "warnings go to stderr:\n{}",
        stderr(&o)
    );
    assert_eq!(
        normalize(&setup, "argocd", &generated),
        cli,
        "Argo CD plugin"
    );
}

#[test]
fn legacy_plugin_as_a_transformer_reads_the_kafkacluster_from_the_resources() {
    let setup = Setup::new();
    let dir = setup.dir("transformer");
    copy_dir(&examples().join("krm"), &dir);
    // The KRM example's layout, run by the legacy plugin: no exec annotation.
    std::fs::write(
        dir.join("mm2gen.yaml"),
        "apiVersion: mm2gen.io/v1alpha1\nkind: MirrorMaker2Migration\nmetadata:\n  name: mirrormaker2\ndescriptorFile: mm2-descriptor.yaml\n",
    )
    .unwrap();
    let out = ok(
        setup.kubectl(&["--enable-alpha-plugins"], &dir),
        "kubectl kustomize of the legacy transformer",
    );
    let base = ok(
        setup.kubectl(&["--enable-alpha-plugins"], &examples().join("legacy")),
        "legacy base",
    );
    assert_eq!(out, base);
}

#[test]
fn krm_function_runs_as_mm2gen_krm_without_args() {
    let setup = Setup::new();
    let dir = setup.dir("krm-symlink");
    copy_dir(&examples().join("krm"), &dir);
    edit(
        &dir.join("mm2gen.yaml"),
        "        path: mm2gen\n        args: [krm]\n",
        "        path: mm2gen-krm\n",
    );
    let out = ok(
        setup.kustomize(&["--enable-alpha-plugins", "--enable-exec"], &dir),
        "kustomize build of the mm2gen-krm form",
    );
    let reference = ok(
        setup.kustomize(
            &["--enable-alpha-plugins", "--enable-exec"],
            &examples().join("krm"),
        ),
        "kustomize build of examples/kustomize/krm",
    );
    assert_eq!(out, reference);
    // kubectl's Kustomize (v5.5) ignores KRM exec functions without a word.
    let o = setup.kubectl(&["--enable-alpha-plugins"], &dir);
    assert_eq!(ok(o, "kubectl kustomize of a KRM exec function"), "");
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in the output"))
}

#[test]
fn overlay_patches_the_generated_deployment_and_keeps_the_hashed_configmap_reference() {
    let setup = Setup::new();
    let overlay = examples().join("overlays/production");
    let out = ok(
        setup.kubectl(&["--enable-alpha-plugins"], &overlay),
        "kubectl kustomize --enable-alpha-plugins examples/kustomize/overlays/production",
    );
    let base = ok(
        setup.kubectl(&["--enable-alpha-plugins"], &examples().join("legacy")),
        "legacy base",
    );
    let (out_objects, base_objects) = (docs(&out), docs(&base));
    assert_eq!(out_objects.len(), base_objects.len());

    let deployment = find(&out_objects, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let resources = &pod["containers"][0]["resources"];
    assert_eq!(resources["requests"]["cpu"], "2");
    assert_eq!(resources["limits"]["cpu"], "4");
    assert_eq!(
        resources["requests"]["memory"], "2560Mi",
        "memory untouched"
    );
    assert_eq!(pod["nodeSelector"]["node-pool"], "kafka-migration");

    let configmap = find(&out_objects, "ConfigMap");
    assert_eq!(configmap, find(&base_objects, "ConfigMap"));
    let name = configmap["metadata"]["name"].as_str().unwrap();
    let sha = deployment["spec"]["template"]["metadata"]["annotations"]["mm2gen.io/config-sha256"]
        .as_str()
        .unwrap();
    assert_eq!(name, format!("mirrormaker2-config-{}", &sha[..10]));
    let volumes = pod["volumes"].as_array().unwrap();
    let config = volumes.iter().find(|v| v["name"] == "config").unwrap();
    assert_eq!(config["configMap"]["name"], name);

    // The same overlay on the KRM base, with standalone kustomize (kustomize refuses absolute
    // paths in resources: both are copied side by side).
    copy_dir(&examples().join("krm"), &setup.dir("krm"));
    let krm_overlay = setup.dir("krm-overlay");
    std::fs::copy(
        overlay.join("deployment-resources.yaml"),
        krm_overlay.join("deployment-resources.yaml"),
    )
    .unwrap();
    std::fs::write(
        krm_overlay.join("kustomization.yaml"),
        "resources:\n- ../krm\npatches:\n- path: deployment-resources.yaml\n",
    )
    .unwrap();
    let krm = ok(
        setup.kustomize(&["--enable-alpha-plugins", "--enable-exec"], &krm_overlay),
        "kustomize build of the overlay on the KRM base",
    );
    assert_eq!(krm, out);
}

/// A copy of an example whose descriptor has a misspelt alias; returns the line:column of it.
fn broken_copy(setup: &Setup, example: &Path, name: &str) -> (PathBuf, String) {
    let dir = setup.dir(name);
    copy_dir(example, &dir);
    let descriptor = dir.join("mm2-descriptor.yaml");
    edit(
        &descriptor,
        "  source-cluster->target-cluster.enabled=true",
        "  source-clustr->target-cluster.enabled=true",
    );
    let text = std::fs::read_to_string(&descriptor).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("source-clustr->"))
        .unwrap()
        + 1;
    (dir, format!("mm2-descriptor.yaml:{line}:3"))
}

fn assert_reports_the_misspelt_alias(err: &str, location: &str) {
    for expected in [
        "error: unknown cluster alias `source-clustr`",
        location,
        "help: did you mean `source-cluster`?",
    ] {
        assert!(err.contains(expected), "no `{expected}` in:\n{err}");
    }
}

#[test]
fn errors_surface_through_kustomize_with_message_and_location() {
    let setup = Setup::new();

    let (legacy, location) = broken_copy(&setup, &examples().join("legacy"), "legacy-broken");
    for o in [
        setup.kubectl(&["--enable-alpha-plugins"], &legacy),
        setup.kustomize(&["--enable-alpha-plugins"], &legacy),
    ] {
        assert!(!o.status.success());
        assert_eq!(stdout(&o), "");
        assert_reports_the_misspelt_alias(&stderr(&o), &location);
    }

    let (krm, location) = broken_copy(&setup, &examples().join("krm"), "krm-broken");
    let o = setup.kustomize(&["--enable-alpha-plugins", "--enable-exec"], &krm);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_reports_the_misspelt_alias(&err, &location);
    assert!(err.contains("mm2gen krm: in MirrorMaker2Migration mirrormaker2"));
    assert!(err.contains("Error: couldn't execute function: exit status 1"));

    let (app, location) = broken_copy(&setup, &argocd_app_copy(&setup, "app"), "app-broken");
    let o = argocd_generate(&setup, &app);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "", "nothing on stdout when generate fails");
    assert_reports_the_misspelt_alias(&stderr(&o), &location);
}

/// The last line of kubectl's stderr without klog's `E1125 06:58:37.445024 9688 run.go:72] `.
fn klog_message(err: &str) -> &str {
    let line = err.trim_end().lines().last().unwrap_or("");
    line.split_once("] ").map_or(line, |(_, m)| m)
}

#[test]
fn without_the_plugin_flags_kustomize_fails_or_skips_as_documented() {
    let setup = Setup::new();
    let legacy = examples().join("legacy");
    let krm = examples().join("krm");

    let o = setup.kubectl(&[], &legacy);
    assert!(!o.status.success());
    assert_eq!(
        klog_message(&stderr(&o)),
        r#""command failed" err="loading generator plugins: failed to load generator: external plugins disabled; unable to load external plugin 'MirrorMaker2Migration'""#
    );
    let o = setup.kustomize(&[], &legacy);
    assert!(!o.status.success());
    assert_eq!(
        stderr(&o),
        "Error: loading generator plugins: failed to load generator: external plugins disabled; unable to load external plugin 'MirrorMaker2Migration'\n"
    );
    let o = setup.kustomize(&[], &krm);
    assert!(!o.status.success());
    assert_eq!(
        stderr(&o),
        "Error: external plugins disabled; unable to load external plugin 'MirrorMaker2Migration'\n"
    );
    // --enable-alpha-plugins without --enable-exec: the function is skipped, the build succeeds
    // without the MirrorMaker2 objects (only the local-config KafkaCluster was there: nothing).
    let o = setup.kustomize(&["--enable-alpha-plugins"], &krm);
    assert_eq!(ok(o, "kustomize build without --enable-exec"), "");
    // kubectl's Kustomize (v5.5) predates `exec.args`.
    let o = setup.kubectl(&["--enable-alpha-plugins"], &krm);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(r#"json: unknown field \"args\""#),
        "{}",
        stderr(&o)
    );
}

const RESOURCE_LIST: &str = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: kafka.banzaicloud.io/v1beta1
  kind: KafkaCluster
  metadata:
    name: kafka
    namespace: kafka
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: kafkacluster.yaml
  spec:
    listenersConfig:
      internalListeners:
      - {name: internal, containerPort: 29092, type: plaintext}
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: unrelated
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: unrelated.yaml
  data: {a: "1"}
- apiVersion: mm2gen.io/v1alpha1
  kind: MirrorMaker2Migration
  metadata:
    name: eu-migration
    namespace: kafka
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: migrations/eu.yaml
  spec:
    kafkaClusters:
    - {namespace: kafka, name: kafka, kubernetesConfigContext: target, alias: target-cluster, internalListenerName: internal}
    nonSDMKafkaClusters:
    - {bootstrapServerAddress: "legacy-0.example.com:9092", alias: source-cluster}
    mirrorMaker2Properties: |
      source-cluster->target-cluster.enabled=true
      source-cluster->target-cluster.topics=orders.*
      source-cluster->target-cluster.offset-syncs.topic.location=target
"#;

fn krm(input: &str, argv0: Option<&Path>) -> Output {
    use std::io::Write;
    let mut c = match argv0 {
        Some(p) => Command::new(p),
        None => {
            let mut c = Command::new(BIN);
            c.arg("krm");
            c
        }
    };
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn krm_function_expands_items_in_place_and_passes_the_others_through() {
    let o = krm(RESOURCE_LIST, None);
    let out = ok(o, "mm2gen krm");
    let list: Value = serde_yaml_ng::from_str(&out).unwrap();
    let input: Value = serde_yaml_ng::from_str(RESOURCE_LIST).unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0], input["items"][0], "KafkaCluster passes through");
    assert_eq!(items[1], input["items"][1], "unrelated item passes through");
    let generated: Vec<&str> = items[2..]
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        generated,
        [
            "ServiceAccount",
            "ConfigMap",
            "KafkaUser",
            "Deployment",
            "NetworkPolicy"
        ]
    );
    let cm = &items[3];
    assert!(cm["data"]["mm2.properties"].as_str().unwrap().contains(
        "target-cluster.bootstrap.servers=kafka-all-broker.kafka.svc.cluster.local:29092"
    ));
    assert!(list.get("results").is_none(), "{out}");

    // The same through the `mm2gen-krm` name (argv[0]), for runners that pass no arguments.
    let setup = Setup::new();
    let o = krm(
        RESOURCE_LIST,
        Some(&setup.tmp.path().join("bin/mm2gen-krm")),
    );
    assert_eq!(ok(o, "mm2gen-krm"), out);
}

#[test]
fn krm_function_reports_errors_as_results_on_the_offending_object() {
    let input = RESOURCE_LIST.replace(
        "      source-cluster->target-cluster.topics",
        "      source-clustr->target-cluster.topics",
    );
    let o = krm(&input, None);
    assert_eq!(o.status.code(), Some(1));
    let list: Value = serde_yaml_ng::from_str(&stdout(&o)).unwrap();
    let expected_items: Value = serde_yaml_ng::from_str::<Value>(&input).unwrap()["items"].clone();
    assert_eq!(
        list["items"], expected_items,
        "input items returned unchanged"
    );
    let results = list["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    let r = &results[0];
    assert_eq!(r["severity"], "error");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.starts_with("unknown cluster alias `source-clustr`"),
        "{message}"
    );
    assert!(message.contains("line 2 of the block"), "{message}");
    assert!(
        message.contains("help: did you mean `source-cluster`?"),
        "{message}"
    );
    assert_eq!(
        r["resourceRef"],
        serde_json::json!({"apiVersion": "mm2gen.io/v1alpha1", "kind": "MirrorMaker2Migration",
                           "name": "eu-migration", "namespace": "kafka"})
    );
    assert_eq!(r["field"]["path"], "spec.mirrorMaker2Properties");
    assert_eq!(r["file"]["path"], "migrations/eu.yaml");
    // Kustomize shows a failed function's stderr, not its results.
    let err = stderr(&o);
    assert!(
        err.contains("mm2gen krm: in MirrorMaker2Migration eu-migration (migrations/eu.yaml):"),
        "{err}"
    );
    assert!(
        err.contains("error: unknown cluster alias `source-clustr`"),
        "{err}"
    );
}

#[test]
fn krm_function_reports_warnings_as_warning_results() {
    // Identity replication of every topic: a KafkaUser that may write any topic, with a warning.
    let input = RESOURCE_LIST.replace(
        "      source-cluster->target-cluster.topics=orders.*\n",
        "      replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n",
    );
    let o = krm(&input, None);
    let out = ok(o.clone(), "mm2gen krm");
    let list: Value = serde_yaml_ng::from_str(&out).unwrap();
    let results = list["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(r["severity"], "warning");
        assert_eq!(r["resourceRef"]["name"], "eu-migration");
    }
    assert!(stderr(&o).contains("warning: KafkaUser"));
}

#[test]
fn argocd_component_adds_the_sidecar_with_the_plugin_config() {
    let setup = Setup::new();
    copy_dir(&repo().join("argocd"), &setup.dir("argocd"));
    let dir = setup.dir("argocd-install");
    // A stand-in for Argo CD's install.yaml: the repo server with its shared volumes.
    std::fs::write(
        dir.join("repo-server.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: argocd-repo-server\nspec:\n  selector:\n    matchLabels: {app.kubernetes.io/name: argocd-repo-server}\n  template:\n    metadata:\n      labels: {app.kubernetes.io/name: argocd-repo-server}\n    spec:\n      containers:\n      - name: argocd-repo-server\n        image: quay.io/argoproj/argocd:latest\n      volumes:\n      - {name: var-files, emptyDir: {}}\n      - {name: plugins, emptyDir: {}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("kustomization.yaml"),
        "namespace: argocd\nresources:\n- repo-server.yaml\ncomponents:\n- ../argocd\n",
    )
    .unwrap();
    let out = ok(
        setup.kubectl(&[], &dir),
        "kubectl kustomize with the argocd component",
    );
    let objects = docs(&out);
    let configmap = find(&objects, "ConfigMap");
    assert_eq!(
        configmap["data"]["plugin.yaml"].as_str().unwrap(),
        std::fs::read_to_string(repo().join("argocd/plugin.yaml")).unwrap()
    );
    let pod = &find(&objects, "Deployment")["spec"]["template"]["spec"];
    let sidecar = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "mm2gen")
        .expect("the mm2gen sidecar");
    assert_eq!(
        sidecar["command"],
        serde_json::json!(["/var/run/argocd/argocd-cmp-server"])
    );
    assert_eq!(sidecar["securityContext"]["runAsUser"], 999);
    let mounts = sidecar["volumeMounts"].as_array().unwrap();
    let config = mounts
        .iter()
        .find(|m| m["mountPath"] == "/home/argocd/cmp-server/config/plugin.yaml")
        .expect("plugin.yaml mounted");
    assert_eq!(config["subPath"], "plugin.yaml");
    for shared in ["var-files", "plugins"] {
        assert!(
            mounts.iter().any(|m| m["name"] == shared),
            "{shared} mounted"
        );
    }
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == config["name"])
        .unwrap();
    assert_eq!(volume["configMap"]["name"], configmap["metadata"]["name"]);
}

#[test]
fn pre_commit_hook_re_renders_stale_output_and_fails_once() {
    let setup = Setup::new();
    let work = setup.dir("repo");
    copy_dir(&examples().join("legacy"), &work);
    let hook = repo().join("scripts/pre-commit-mm2gen");
    let run = || {
        Command::new(&hook)
            .args([
                "-f",
                "mm2-descriptor.yaml",
                "--kafka-cluster",
                "kafkacluster.yaml",
                "--output-dir",
                "deploy/mm2",
            ])
            .current_dir(&work)
            .env("MM2GEN", BIN)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let o = run();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("re-rendered the output of"),
        "{}",
        stderr(&o)
    );
    assert!(work.join("deploy/mm2/kustomization.yaml").is_file());
    let o = run();
    assert!(o.status.success(), "up to date now: {}", stderr(&o));

    edit(
        &work.join("mm2-descriptor.yaml"),
        "tasks.max=5000",
        "tasks.max=100",
    );
    let o = run();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("tasks.max=100"),
        "the diff:\n{}",
        stdout(&o)
    );
    let o = run();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn krm_function_refuses_items_given_as_a_map() {
    let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n  first:\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: mine}\n";
    let o = krm(input, None);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let list: Value = serde_yaml_ng::from_str(&stdout(&o)).unwrap();
    let message = list["results"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("`items` is a mapping, not a list"),
        "{message}"
    );
    assert!(
        message.contains("help: write `items:` as a list"),
        "{message}"
    );
    assert!(stderr(&o).contains("<ResourceList>:4:3"), "{}", stderr(&o));
    // Negative control: an empty or absent `items` is an empty list, as the spec allows.
    for empty in ["items: []\n", "items:\n", ""] {
        let input = format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n{empty}");
        let o = krm(&input, None);
        assert_eq!(o.status.code(), Some(0), "{empty:?}: {}", stderr(&o));
    }
}

#[test]
fn krm_function_refuses_two_migrations_that_generate_the_same_objects() {
    let migration = &RESOURCE_LIST[RESOURCE_LIST.find("- apiVersion: mm2gen.io").unwrap()..];
    let copy = migration.replace("migrations/eu.yaml", "migrations/eu-copy.yaml");
    let input = format!("{RESOURCE_LIST}{copy}");
    let o = krm(&input, None);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let list: Value = serde_yaml_ng::from_str(&stdout(&o)).unwrap();
    let results = list["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    let message = results[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "MirrorMaker2Migration eu-migration (migrations/eu.yaml) and MirrorMaker2Migration eu-migration (migrations/eu-copy.yaml) both generate ServiceAccount `kafka/"
        ),
        "{message}"
    );
    assert!(message.contains("its own `metadata.name`"), "{message}");
    assert_eq!(results[0]["file"]["path"], "migrations/eu-copy.yaml");
    // Negative control: another name generates other objects, and both are kept.
    let renamed = copy.replace("name: eu-migration", "name: eu-copy");
    let o = krm(&format!("{RESOURCE_LIST}{renamed}"), None);
    let list: Value = serde_yaml_ng::from_str(&ok(o, "two migrations")).unwrap();
    let deployments = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "Deployment")
        .count();
    assert_eq!(deployments, 2);
}
