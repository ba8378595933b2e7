//! The tests against the control plane. Each takes the shared control plane, works in a
//! namespace of its own, and returns what went wrong as its error.

use std::time::Duration;

use serde_json::Value;

use crate::cluster::ControlPlane;
use crate::common::{self, path_str, render_ok, rendered_cases};
use crate::kube::{self, apply_server_side, eventually, get, id, kubectl_ok, list, namespace};
use crate::stored::differences;

type Test = fn(&ControlPlane) -> Result<(), String>;

pub const ALL: &[(&str, Test)] = &[
    (
        "pod_security_restricted_refuses_a_privileged_pod",
        pod_security_restricted_refuses_a_privileged_pod,
    ),
    (
        "mm2gen_pods_are_admitted_under_pod_security_restricted_and_run",
        mm2gen_pods_are_admitted_under_pod_security_restricted_and_run,
    ),
    (
        "upstream_crds_are_established",
        upstream_crds_are_established,
    ),
    (
        "the_guides_kafkacluster_needs_the_sdm_field_the_open_source_crd_lacks",
        the_guides_kafkacluster_needs_the_sdm_field_the_open_source_crd_lacks,
    ),
    (
        "apply_and_comparison_catch_an_unknown_field_and_a_rewritten_value",
        apply_and_comparison_catch_an_unknown_field_and_a_rewritten_value,
    ),
    (
        "every_rendered_output_is_stored_as_sent",
        every_rendered_output_is_stored_as_sent,
    ),
    (
        "gitops_a_config_change_rolls_a_new_replicaset_and_an_unchanged_reapply_changes_nothing",
        gitops_a_config_change_rolls_a_new_replicaset_and_an_unchanged_reapply_changes_nothing,
    ),
    (
        "gitops_applyset_prune_removes_the_old_immutable_configmap",
        crate::pruning::gitops_applyset_prune_removes_the_old_immutable_configmap,
    ),
    (
        "kustomize_plugin_krm_function_and_argocd_outputs_are_stored_as_sent",
        crate::adapters::kustomize_plugin_krm_function_and_argocd_outputs_are_stored_as_sent,
    ),
    (
        "several_replicas_hpa_pdb_and_headless_service_target_the_deployment",
        several_replicas_hpa_pdb_and_headless_service_target_the_deployment,
    ),
    (
        "helm_3_and_4_install_upgrade_rollback_uninstall_the_chart",
        crate::helm::helm_3_and_4_install_upgrade_rollback_uninstall_the_chart,
    ),
    (
        "property_negative_control_a_server_dry_run_refuses_an_invalid_object",
        crate::accepted::a_server_dry_run_refuses_an_invalid_object,
    ),
    (
        "property_whatever_mm2gen_accepts_the_api_server_accepts",
        crate::accepted::whatever_mm2gen_accepts_the_api_server_accepts,
    ),
];

/// The CRDs of tests/crds (upstream files, unchanged), applied before any test runs.
pub const CRDS: [&str; 6] = [
    "kafkaclusters.kafka.banzaicloud.io",
    "kafkatopics.kafka.banzaicloud.io",
    "kafkausers.kafka.banzaicloud.io",
    "podmonitors.monitoring.coreos.com",
    "prometheusrules.monitoring.coreos.com",
    "servicemonitors.monitoring.coreos.com",
];

pub fn install_crds(cp: &ControlPlane) -> Result<(), String> {
    let dir = common::repo().join("tests/crds");
    kubectl_ok(
        cp,
        &[
            "apply",
            "--server-side",
            "--field-manager=mm2gen-test",
            "--validate=strict",
            "-f",
            path_str(&dir),
        ],
    )
    .map_err(|e| format!("installing the CRDs of {}: {e}", dir.display()))?;
    eventually(
        "the CRDs to be Established",
        Duration::from_secs(60),
        || {
            Ok(CRDS
                .iter()
                .all(|crd| established(cp, crd).unwrap_or(false))
                .then_some(()))
        },
    )
}

fn established(cp: &ControlPlane, crd: &str) -> Result<bool, String> {
    let o: Value = serde_json::from_str(&kubectl_ok(cp, &["get", "crd", crd, "-o", "json"])?)
        .map_err(|e| format!("{crd}: {e}"))?;
    Ok(o["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Established" && c["status"] == "True"))
}

const SECOND: Duration = Duration::from_secs(1);

/// A Deployment's ReplicaSets, oldest first.
pub fn replicasets_of(cp: &ControlPlane, ns: &str, deployment: &str) -> Result<Vec<Value>, String> {
    let mut sets: Vec<Value> = list(cp, ns, "replicasets")?
        .into_iter()
        .filter(|rs| {
            rs["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|o| {
                    o.iter()
                        .any(|r| r["kind"] == "Deployment" && r["name"] == deployment)
                })
        })
        .collect();
    sets.sort_by_key(|rs| {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
            .as_str()
            .and_then(|r| r.parse::<u64>().ok())
            .unwrap_or(0)
    });
    Ok(sets)
}

fn the<'a>(objects: &'a [Value], kind: &str) -> Result<&'a Value, String> {
    let mut of_kind = objects.iter().filter(|o| o["kind"] == kind);
    match (of_kind.next(), of_kind.next()) {
        (Some(o), None) => Ok(o),
        _ => Err(format!("expected exactly one {kind} in the output")),
    }
}

fn name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

/// mm2gen's output for `args` with the namespace set to `ns`.
fn render(args: &[String], ns: &str) -> String {
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["-n", ns]);
    render_ok(&args)
}

fn example_args() -> Vec<String> {
    rendered_cases()
        .into_iter()
        .find(|(name, _)| *name == "example")
        .expect("the example is a rendered case")
        .1
}

fn pod_security_restricted_refuses_a_privileged_pod(cp: &ControlPlane) -> Result<(), String> {
    let privileged = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"privileged"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}"#;
    let restricted = namespace(cp, "pod-security-restricted", true)?;
    let args = ["create", "-n", &restricted, "--dry-run=server", "-f", "-"];
    let refused = kube::kubectl_stdin(cp, &args, privileged);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    if refused.status.success() || !stderr.contains("violates PodSecurity \"restricted") {
        return Err(format!(
            "a privileged pod in a namespace enforcing `restricted` was not refused by PodSecurity ({}):\n{stderr}",
            refused.status
        ));
    }
    // Negative control: the same pod without the label is admitted, so the refusal above is
    // Pod Security's and not some other error.
    let open = namespace(cp, "pod-security-unlabelled", false)?;
    eventually("the default ServiceAccount", 30 * SECOND, || {
        Ok(cp
            .kubectl(&["get", "serviceaccount", "default", "-n", &open])
            .status
            .success()
            .then_some(()))
    })?;
    let args = ["create", "-n", &open, "--dry-run=server", "-f", "-"];
    let admitted = kube::kubectl_stdin(cp, &args, privileged);
    if !admitted.status.success() {
        return Err(format!(
            "the negative control failed: the pod was refused without Pod Security labels too:\n{}",
            String::from_utf8_lossy(&admitted.stderr)
        ));
    }
    Ok(())
}

fn mm2gen_pods_are_admitted_under_pod_security_restricted_and_run(
    cp: &ControlPlane,
) -> Result<(), String> {
    let ns = namespace(cp, "pod-security-mm2gen", true)?;
    // apply_server_side fails on any warning, and the namespace warns about pod templates that
    // `restricted` would refuse.
    let stored = apply_server_side(cp, &render(&example_args(), &ns))?;
    let deployment = the(&stored, "Deployment")?;
    let selector = deployment["spec"]["selector"]["matchLabels"]
        .as_object()
        .ok_or("the Deployment has no matchLabels")?
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(",");
    // The ReplicaSet controller creates the pods; Pod Security enforces on each, so a pod that
    // exists was admitted under `restricted`. The scheduler then binds it to kwok's node, which
    // reports it Running (no container runs).
    let want = deployment["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
    let phases = "jsonpath={range .items[*]}{.status.phase}{\"\\n\"}{end}";
    eventually("the Deployment's pods to be Running", 60 * SECOND, || {
        let out = kubectl_ok(
            cp,
            &["get", "pods", "-n", &ns, "-l", &selector, "-o", phases],
        )?;
        Ok((out.lines().filter(|p| *p == "Running").count() >= want).then_some(()))
    })
    .map_err(|e| {
        let events = cp.kubectl(&["get", "events", "-n", &ns]);
        format!("{e}; events:\n{}", String::from_utf8_lossy(&events.stdout))
    })?;
    let rollout = [
        "rollout",
        "status",
        "deployment",
        name(deployment),
        "-n",
        &ns,
        "--timeout=60s",
    ];
    kubectl_ok(cp, &rollout).map(|_| ())
}

fn upstream_crds_are_established(cp: &ControlPlane) -> Result<(), String> {
    for crd in CRDS {
        if !established(cp, crd)? {
            return Err(format!("CRD {crd} is not Established"));
        }
    }
    Ok(())
}

fn the_guides_kafkacluster_needs_the_sdm_field_the_open_source_crd_lacks(
    cp: &ControlPlane,
) -> Result<(), String> {
    let ns = namespace(cp, "kafkacluster", true)?;
    let text =
        std::fs::read_to_string(common::example("kafkacluster.yaml")).map_err(|e| e.to_string())?;
    let mut guide = kube::objects(&text);
    if guide.len() != 1 {
        return Err("examples/kafkacluster.yaml should hold one KafkaCluster".into());
    }
    let mut cluster = guide.remove(0);
    cluster["metadata"]["namespace"] = Value::from(ns.as_str());
    let refused = apply_server_side(cp, &cluster.to_string());
    match refused {
        Err(e) if e.contains(".spec.istioControlPlane: field not declared in schema") => {}
        Err(e) => return Err(format!("refused, but not for spec.istioControlPlane: {e}")),
        Ok(_) => {
            return Err(
                "the open-source KafkaCluster CRD accepted spec.istioControlPlane: tests/crds/README.md is out of date"
                    .into(),
            )
        }
    }
    let spec = cluster["spec"]
        .as_object_mut()
        .ok_or("the KafkaCluster has no spec")?;
    spec.remove("istioControlPlane");
    // The example is trimmed to what mm2gen reads; a real KafkaCluster has these fields, which
    // the CRD requires. With them, everything the example does set must be valid upstream.
    for (field, value) in [
        ("cruiseControlConfig", serde_json::json!({})),
        ("oneBrokerPerNode", serde_json::json!(false)),
        (
            "rollingUpgradeConfig",
            serde_json::json!({"failureThreshold": 1}),
        ),
    ] {
        if spec.insert(field.into(), value).is_some() {
            return Err(format!(
                "examples/kafkacluster.yaml now sets spec.{field}: drop it here"
            ));
        }
    }
    let stored = apply_server_side(cp, &cluster.to_string())?;
    let diff = differences(&cluster, &stored[0]);
    if diff.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the KafkaCluster was not stored as sent:\n{}",
            diff.join("\n")
        ))
    }
}

/// The kube contexts of a rendered output: one MirrorMaker2 instance each.
fn contexts(objects: &[Value]) -> Vec<String> {
    let mut contexts: Vec<String> = objects
        .iter()
        .filter_map(|o| o["metadata"]["annotations"]["mm2gen.io/kube-context"].as_str())
        .map(str::to_string)
        .collect();
    contexts.sort();
    contexts.dedup();
    contexts
}

/// Applies `manifest` into its namespace and compares every object the server returns with
/// the one sent.
pub fn applied_as_sent(cp: &ControlPlane, what: &str, manifest: &str) -> Result<usize, String> {
    let sent = kube::objects(manifest);
    let stored = apply_server_side(cp, manifest).map_err(|e| format!("{what}: {e}"))?;
    if stored.len() != sent.len() {
        return Err(format!(
            "{what}: sent {} objects, the server returned {}",
            sent.len(),
            stored.len()
        ));
    }
    let mut problems = Vec::new();
    for (s, t) in sent.iter().zip(&stored) {
        for d in differences(s, t) {
            problems.push(format!("{what}: {}{d}", id(s)));
        }
    }
    if problems.is_empty() {
        Ok(sent.len())
    } else {
        Err(problems.join("\n"))
    }
}

/// The negative control of `every_rendered_output_is_stored_as_sent`: mm2gen's own Deployment,
/// spoilt two ways, fails the same checks.
fn apply_and_comparison_catch_an_unknown_field_and_a_rewritten_value(
    cp: &ControlPlane,
) -> Result<(), String> {
    let ns = namespace(cp, "negative-control", true)?;
    let objects = kube::objects(&render(&example_args(), &ns));
    let mut deployment = the(&objects, "Deployment")?.clone();

    let mut unknown = deployment.clone();
    unknown["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always".into();
    match applied_as_sent(cp, "unknown field", &unknown.to_string()) {
        Err(e) if e.contains("imagePullPolicyy") => {}
        other => return Err(format!("an unknown field was not refused: {other:?}")),
    }

    // The server stores quantities in canonical form: "1000m" CPU comes back as "1".
    let resources = &mut deployment["spec"]["template"]["spec"]["containers"][0]["resources"];
    if !resources.is_object() {
        return Err("mm2gen's container has no resources to spoil".into());
    }
    resources["requests"]["cpu"] = "1000m".into();
    match applied_as_sent(cp, "rewritten quantity", &deployment.to_string()) {
        Err(e) if e.contains("cpu: sent \"1000m\", stored \"1\"") => Ok(()),
        other => Err(format!(
            "a value the server rewrote was not reported: {other:?}"
        )),
    }
}

fn every_rendered_output_is_stored_as_sent(cp: &ControlPlane) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut applied = 0;
    for (case, args) in rendered_cases() {
        for format in ["yaml", "json"] {
            let mut args = args.clone();
            args.extend(["-o".into(), format.into()]);
            let probe = kube::objects(&render(&args, "probe"));
            let contexts = contexts(&probe);
            // An output for several Kubernetes clusters holds one instance per context, with the
            // same names: each context goes into its own namespace, as into its own cluster.
            let per_context: Vec<(String, Vec<String>)> = if contexts.len() > 1 {
                contexts
                    .iter()
                    .map(|c| {
                        let mut a = args.clone();
                        a.extend(["--context".into(), c.clone()]);
                        (format!("{case}-{c}-{format}"), a)
                    })
                    .collect()
            } else {
                vec![(format!("{case}-{format}"), args)]
            };
            for (what, args) in per_context {
                let ns = namespace(cp, &what.replace('_', "-"), true)?;
                match applied_as_sent(cp, &what, &render(&args, &ns)) {
                    Ok(n) => applied += n,
                    Err(e) => problems.push(e),
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    // Every case has a ServiceAccount, ConfigMap, KafkaUser, Deployment and NetworkPolicy at the
    // least; fewer means a case rendered nothing and passed by accident.
    if applied < rendered_cases().len() * 2 * 5 {
        return Err(format!("only {applied} objects were applied"));
    }
    Ok(())
}

fn resource_versions(cp: &ControlPlane, ns: &str) -> Result<Vec<String>, String> {
    let out = kubectl_ok(
        cp,
        &[
            "get",
            "serviceaccounts,configmaps,secrets,deployments,replicasets,networkpolicies,kafkausers",
            "-n",
            ns,
            "-o",
            "jsonpath={range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion}{\"\\n\"}{end}",
        ],
    )?;
    let mut versions: Vec<String> = out.lines().map(str::to_string).collect();
    versions.sort();
    Ok(versions)
}

fn gitops_a_config_change_rolls_a_new_replicaset_and_an_unchanged_reapply_changes_nothing(
    cp: &ControlPlane,
) -> Result<(), String> {
    let ns = namespace(cp, "gitops", true)?;
    let example = ExampleOutputDir::new(&ns)?;
    let (original, out_dir) = (example.original.clone(), example.out_dir.clone());
    let render_dir = |text: &str| example.render(text);
    let apply = || {
        kubectl_ok(
            cp,
            &["apply", "--validate=strict", "-k", path_str(&out_dir)],
        )
    };
    let revisions = |n: usize| {
        eventually(&format!("{n} ReplicaSet(s)"), 60 * SECOND, || {
            let sets = replicasets_of(cp, &ns, "mirrormaker2")?;
            Ok((sets.len() == n).then_some(sets))
        })
    };

    render_dir(&original)?;
    apply()?;
    let first = revisions(1)?;

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
    apply()?;
    let second = revisions(2)?;
    if name(&second[0]) != name(&first[0]) {
        return Err("the first ReplicaSet was replaced instead of kept as history".into());
    }
    let deployment = get(cp, &ns, "deployment", "mirrormaker2")?;
    let config_hash = |o: &Value| {
        o["spec"]["template"]["metadata"]["annotations"]["mm2gen.io/config-sha256"].clone()
    };
    if config_hash(&second[1]) != config_hash(&deployment) || config_hash(&deployment).is_null() {
        return Err(
            "the new ReplicaSet does not carry the Deployment's current config hash".into(),
        );
    }
    if config_hash(&first[0]) == config_hash(&deployment) {
        return Err("the property change did not change the pod template's config hash".into());
    }

    // Unchanged output: nothing in the namespace may change, not even a resourceVersion.
    let before = resource_versions(cp, &ns)?;
    if before.len() < 6 {
        return Err(format!("too few objects to compare: {before:?}"));
    }
    render_dir(&changed)?;
    let out = apply()?;
    std::thread::sleep(3 * SECOND);
    let after = resource_versions(cp, &ns)?;
    if before != after {
        return Err(format!(
            "re-applying an unchanged output changed objects:\nbefore: {before:?}\nafter:  {after:?}\nkubectl said:\n{out}"
        ));
    }
    if out.lines().any(|l| !l.ends_with(" unchanged")) {
        return Err(format!("kubectl apply reported changes:\n{out}"));
    }
    if replicasets_of(cp, &ns, "mirrormaker2")?.len() != 2 {
        return Err("re-applying an unchanged output created a ReplicaSet".into());
    }
    Ok(())
}

fn several_replicas_hpa_pdb_and_headless_service_target_the_deployment(
    cp: &ControlPlane,
) -> Result<(), String> {
    let ns = namespace(cp, "several-replicas", true)?;
    let args = rendered_cases()
        .into_iter()
        .find(|(name, _)| *name == "multi_replica")
        .expect("multi_replica is a rendered case")
        .1;
    let stored = apply_server_side(cp, &render(&args, &ns))?;
    let deployment = the(&stored, "Deployment")?;
    let hpa = the(&stored, "HorizontalPodAutoscaler")?;
    let pdb = the(&stored, "PodDisruptionBudget")?;
    let service = the(&stored, "Service")?;
    let target = &hpa["spec"]["scaleTargetRef"];
    if target["apiVersion"] != "apps/v1"
        || target["kind"] != "Deployment"
        || target["name"] != deployment["metadata"]["name"]
    {
        return Err(format!("the HPA targets {target}, not the Deployment"));
    }
    if service["spec"]["clusterIP"] != "None" {
        return Err(format!(
            "the Service is not headless: clusterIP {}",
            service["spec"]["clusterIP"]
        ));
    }
    let pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .ok_or("the pod template has no labels")?;
    let selects_pods = |selector: &Value| {
        selector
            .as_object()
            .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| pod_labels.get(k) == Some(v)))
    };
    if !selects_pods(&service["spec"]["selector"]) {
        return Err("the headless Service does not select the Deployment's pods".into());
    }
    if !selects_pods(&pdb["spec"]["selector"]["matchLabels"]) {
        return Err("the PDB does not select the Deployment's pods".into());
    }
    // The controllers agree: the HPA controller finds the Deployment's scale subresource, and
    // the disruption controller counts the Deployment's pods under the PDB.
    let replicas = deployment["spec"]["replicas"].as_u64().unwrap_or(1);
    eventually(
        "the HPA controller to get the Deployment's scale",
        90 * SECOND,
        || {
            let hpa = get(cp, &ns, "hpa", name(hpa))?;
            Ok(hpa["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "AbleToScale" && c["status"] == "True")
                .then_some(()))
        },
    )?;
    eventually(
        "the PDB to count the Deployment's pods",
        90 * SECOND,
        || {
            let pdb = get(cp, &ns, "pdb", name(pdb))?;
            Ok((pdb["status"]["expectedPods"].as_u64() == Some(replicas)).then_some(()))
        },
    )?;
    Ok(())
}

/// The bundled example rendered with `--output-dir` into a scratch directory, for the GitOps
/// tests: `render` writes a changed descriptor and renders it again into the same directory.
pub struct ExampleOutputDir {
    work: tempfile::TempDir,
    namespace: String,
    pub original: String,
    pub out_dir: std::path::PathBuf,
}

impl ExampleOutputDir {
    pub fn new(namespace: &str) -> Result<ExampleOutputDir, String> {
        let work = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out_dir = work.path().join("deploy");
        let original = std::fs::read_to_string(common::example("descriptor.yaml"))
            .map_err(|e| e.to_string())?;
        Ok(ExampleOutputDir {
            work,
            namespace: namespace.to_string(),
            original,
            out_dir,
        })
    }

    pub fn render(&self, text: &str) -> Result<(), String> {
        let descriptor = self.work.path().join("descriptor.yaml");
        std::fs::write(&descriptor, text).map_err(|e| e.to_string())?;
        render_ok(&[
            "render",
            "-f",
            path_str(&descriptor),
            "--kafka-cluster",
            path_str(&common::example("kafkacluster.yaml")),
            "-n",
            &self.namespace,
            "--output-dir",
            path_str(&self.out_dir),
        ]);
        Ok(())
    }
}
