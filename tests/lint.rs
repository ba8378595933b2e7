//! `mm2gen lint`: each check finds its mistake, points at the line, and says how to fix it.

mod common;

use common::*;

const BASE: &str = "\
kafkaClusters:
  - alias: target-cluster
    internalListenerName: internal
nonSDMKafkaClusters:
  - bootstrapServerAddress: src.example.com:9092
    alias: source-cluster
mirrorMaker2Properties: |-
  source-cluster->target-cluster.enabled=true
  source-cluster->target-cluster.offset-syncs.topic.location=target
";

/// Lints BASE plus `extra` properties lines (the first one is line 10 of the file).
fn lint(extra: &[&str], args: &[&str]) -> (Option<i32>, String) {
    let text = format!(
        "{BASE}{}",
        extra.iter().map(|l| format!("  {l}\n")).collect::<String>()
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.yaml");
    std::fs::write(&p, text).unwrap();
    let kc = example("kafkacluster.yaml");
    let mut all = vec!["lint", "-f", path_str(&p), "--kafka-cluster", path_str(&kc)];
    all.extend_from_slice(args);
    let o = run(&all);
    (o.status.code(), stdout(&o))
}

#[test]
fn each_check_reports_what_where_and_how() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "replicaton.factor=2",
            "unknown MirrorMaker2 key `replicaton.factor`",
            "d.yaml:10:3",
            "did you mean `replication.factor`?",
        ),
        (
            "replication.factor=two",
            "`replication.factor` is not a whole number",
            "d.yaml:10:22",
            "write a whole number",
        ),
        (
            "sync.topic.acls.enabled=yes",
            "`sync.topic.acls.enabled` is not true or false",
            "d.yaml:10:27",
            "write `true` or `false`",
        ),
        (
            "source-clustr.security.protocol=SSL",
            "unknown MirrorMaker2 key `source-clustr.security.protocol`",
            "d.yaml:10:3",
            "did you mean `source-cluster.security.protocol`?",
        ),
        (
            "source-cluster.consumer.max.pol.records=5",
            "unknown MirrorMaker2 key `source-cluster.consumer.max.pol.records`",
            "d.yaml:10:18",
            "did you mean `source-cluster.consumer.max.poll.records`?",
        ),
        (
            "source-cluster->target-cluster.emit.checkpoint.interval.seconds=5",
            "unknown MirrorMaker2 key",
            "d.yaml:10:34",
            "did you mean `source-cluster->target-cluster.emit.checkpoints.interval.seconds`?",
        ),
        (
            "tasks.max=0",
            "`tasks.max` is out of range [1,...]",
            "d.yaml:10:13",
            "write a value in [1,...]",
        ),
        (
            "source-cluster->target-cluster.offset-syncs.topic.location=targt",
            "is `targt`, not one of the accepted values",
            "d.yaml:10:62",
            "did you mean `target`?",
        ),
        (
            "producer.acks=all",
            "`producer.acks` is a producer setting, but MirrorMaker2 does not read it at the top level",
            "d.yaml:10:3",
            "`<alias>.producer.acks`",
        ),
        (
            "source-cluster->target-cluster.offset.storage.replication.factor=2",
            "is a Connect worker setting, but MirrorMaker2 does not read it under a flow",
            "d.yaml:10:34",
            "`<target alias>.offset.storage.replication.factor`",
        ),
        (
            "source-cluster.replication.factor=2",
            "is a connector setting, but MirrorMaker2 does not read it under a cluster alias",
            "d.yaml:10:18",
            "`<source>-><target>.replication.factor`",
        ),
        (
            "replication.policy.separator=",
            "the empty separator and aliases keep topic names, but only by accident",
            "d.yaml:10:3",
            "IdentityReplicationPolicy",
        ),
        (
            "replication.factor=3",
            "`replication.factor` is 3, but the target KafkaCluster has 2 brokers",
            "d.yaml:10:22",
            "at most 2",
        ),
        (
            "sync.topic.acls.enabled=true",
            "ACL sync copies only TOPIC ACLs with a LITERAL pattern that do not ALLOW WRITE",
            "d.yaml:10:3",
            "create those ACLs on the target yourself",
        ),
        (
            "refresh.groups.interval.seconds=7200",
            "notices new topics or groups only after more than an hour",
            "d.yaml:10:35",
            "between 30 and 600",
        ),
        (
            "target-cluster->source-cluster.topics=orders",
            "flow target-cluster->source-cluster is configured but not enabled",
            "d.yaml:10:3",
            "target-cluster->source-cluster.enabled=true",
        ),
    ];
    let mut failures = Vec::new();
    for (line, message, location, help) in cases {
        let (code, out) = lint(&[line], &[]);
        if code != Some(0)
            || !out.contains(message)
            || !out.contains(location)
            || !out.contains(help)
        {
            failures.push(format!(
                "`{line}`: exit {code:?}, expected `{message}` at {location} with `{help}`:\n{out}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn replication_factor_below_the_targets_min_insync_replicas_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kc.yaml");
    let cr = std::fs::read_to_string(example("kafkacluster.yaml"))
        .unwrap()
        .replace(
            "spec:\n",
            "spec:\n  readOnlyConfig: |\n    min.insync.replicas=2\n",
        );
    std::fs::write(&kc, cr).unwrap();
    let d = dir.path().join("d.yaml");
    std::fs::write(&d, format!("{BASE}  replication.factor=1\n")).unwrap();
    let o = run(&["lint", "-f", path_str(&d), "--kafka-cluster", path_str(&kc)]);
    let out = stdout(&o);
    assert!(
        out.contains("min.insync.replicas is 2: writes with acks=all")
            && out.contains("d.yaml:10:22"),
        "{out}"
    );
}

#[test]
fn loops_and_offset_syncs_on_the_source_are_reported() {
    let (_, out) = lint(
        &[
            "target-cluster->source-cluster.enabled=true",
            "replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
        ],
        &[],
    );
    assert!(
        out.contains("are both enabled with a replication policy that keeps topic names"),
        "{out}"
    );
    assert!(
        out.contains(
            "flow target-cluster->source-cluster keeps its offset-syncs topic on the source"
        ),
        "{out}"
    );
}

#[test]
fn the_guides_keys_are_all_known() {
    let o = run(&[
        "lint",
        "-f",
        path_str(&fixture("seed-descriptor.yaml")),
        "--kafka-cluster",
        path_str(&example("kafkacluster.yaml")),
    ]);
    let out = stdout(&o);
    assert!(!out.contains("unknown MirrorMaker2 key"), "{out}");
    assert!(out.contains("0 errors"), "{out}");
}

#[test]
fn strict_turns_warnings_into_a_failure_and_errors_always_fail() {
    assert_eq!(lint(&[], &[]).0, Some(0));
    assert_eq!(lint(&["replicaton.factor=2"], &[]).0, Some(0));
    assert_eq!(lint(&["replicaton.factor=2"], &["--strict"]).0, Some(1));
    let (code, out) = lint(&["clusters=a"], &[]);
    assert_eq!(code, Some(1));
    assert!(
        out.contains("`clusters` is maintained by mm2gen") && out.contains("1 errors"),
        "{out}"
    );
}

#[test]
fn json_findings_are_machine_readable() {
    let (_, out) = lint(&["replicaton.factor=2"], &["-o", "json"]);
    let findings: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let f = findings
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("replicaton.factor"))
        .unwrap();
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(10), Some(3))
    );
    assert!(f["file"].as_str().unwrap().ends_with("d.yaml"));
    assert_eq!(f["help"], "did you mean `replication.factor`?");
}

#[test]
fn render_shows_the_same_warnings_on_stderr_only() {
    let text = format!("{BASE}  replicaton.factor=2\n");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.yaml");
    std::fs::write(&p, text).unwrap();
    let kc = example("kafkacluster.yaml");
    let o = run(&[
        "render",
        "-f",
        path_str(&p),
        "--kafka-cluster",
        path_str(&kc),
    ]);
    assert!(o.status.success());
    assert!(
        stderr(&o).contains("unknown MirrorMaker2 key `replicaton.factor`"),
        "{}",
        stderr(&o)
    );
    assert!(!stdout(&o).contains("warning"));
}
