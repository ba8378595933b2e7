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
            "plugin.discovery=service_load",
            "`plugin.discovery` at the top level reaches only the loading of MirrorMaker2's own config providers",
            "d.yaml:10:3",
            "also write `<target alias>.plugin.discovery`",
        ),
        (
            "plugin.discovery=everything",
            "`plugin.discovery` is `everything`, not one of the accepted values",
            "d.yaml:10:20",
            "`SERVICE_LOAD`",
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
fn plugin_discovery_for_every_worker_is_not_a_finding() {
    // MirrorMaker2 itself reads the top-level key; each flow's worker its target's.
    let (code, out) = lint(
        &[
            "plugin.discovery=hybrid_fail",
            "target-cluster.plugin.discovery=hybrid_fail",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("plugin.discovery"), "{out}");
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

/// A source cluster's `kafka-topics.sh --describe` output (Kafka 4 layout, tab-separated), with
/// a topic of each kind MirrorSourceConnector decides about.
const SOURCE_TOPICS: &str = "\
Topic: orders\tTopicId: mZ6t1ZJbQ3K6bqbsRk0F4A\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=delete
\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: 
\tTopic: orders\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: 
\tTopic: orders\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: 
Topic: payments\tTopicId: 4pV0ytqdRCeVpmcmhx3xFw\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: 
Topic: target-cluster.orders\tTopicId: 5a\tPartitionCount: 4\tReplicationFactor: 1\tConfigs: 
Topic: other.heartbeats\tTopicId: 6b\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: 
Topic: __consumer_offsets\tTopicId: 7c\tPartitionCount: 50\tReplicationFactor: 1\tConfigs: 
Topic: mm2-offsets.source-cluster.internal\tTopicId: 8d\tPartitionCount: 25\tReplicationFactor: 1\tConfigs: 
Topic: audit.replica\tTopicId: 9e\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: 
";

fn with_source_topics(extra: &[&str], listing: &str, alias: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let topics = dir.path().join("topics.txt");
    std::fs::write(&topics, listing).unwrap();
    let arg = format!("{alias}={}", topics.display());
    lint(extra, &["--source-topics", &arg])
}

#[test]
fn source_topics_predict_what_each_flow_replicates() {
    // Kept: orders, payments, and other.heartbeats (heartbeats are replicated whatever the
    // filter). Left out: a topic that came from the target (a cycle), Kafka's and MirrorMaker2's
    // internal topics, and `.replica` (the default topics.exclude).
    let (code, out) = with_source_topics(&["tasks.max=100"], SOURCE_TOPICS, "source-cluster");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(
            "note: flow source-cluster->target-cluster replicates 3 of the 7 topics listed in"
        ) && out.contains("(6 partitions): orders, other.heartbeats, payments"),
        "{out}"
    );
    assert!(
        out.contains("`tasks.max` is 100, but flow source-cluster->target-cluster can run at most 6 source tasks")
            && out.contains("d.yaml:10:13")
            && out.contains("set `tasks.max` to about 6"),
        "{out}"
    );
    // tasks.max within twice the partitions: no warning; the flow-level value wins.
    let (_, out) = with_source_topics(
        &[
            "tasks.max=100",
            "source-cluster->target-cluster.tasks.max=8",
        ],
        SOURCE_TOPICS,
        "source-cluster",
    );
    assert!(!out.contains("can run at most"), "{out}");

    // The filter decides: an exclude that removes everything leaves a flow with nothing to do.
    let (_, out) = with_source_topics(
        &["topics=orders, payments", "topics.exclude=.*"],
        SOURCE_TOPICS,
        "source-cluster",
    );
    assert!(
        out.contains("replicates 1 of the 7 topics") && out.contains("): other.heartbeats"),
        "{out}"
    );
    let (_, out) = with_source_topics(
        &["topics=orders", "heartbeats.replication.enabled=false"],
        SOURCE_TOPICS,
        "source-cluster",
    );
    assert!(
        out.contains("replicates 1 of the 7 topics") && out.contains("): orders"),
        "{out}"
    );
    let (_, out) = with_source_topics(
        &[
            "topics=nothing-like-this",
            "heartbeats.replication.enabled=false",
        ],
        SOURCE_TOPICS,
        "source-cluster",
    );
    assert!(
        out.contains(
            "warning: flow source-cluster->target-cluster replicates none of the 7 topics"
        ),
        "{out}"
    );
}

#[test]
fn source_topics_count_pods_that_would_idle() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d.yaml");
    std::fs::write(
        &d,
        BASE.replace(
            "mirrorMaker2Properties: |-\n",
            "mirrorMaker2Spec:\n  minReplicas: 2\n  maxReplicas: 8\nmirrorMaker2Properties: |-\n  tasks.max=4\n",
        ),
    )
    .unwrap();
    let topics = dir.path().join("topics.txt");
    std::fs::write(&topics, SOURCE_TOPICS).unwrap();
    let kc = example("kafkacluster.yaml");
    let arg = format!("source-cluster={}", topics.display());
    let o = run(&[
        "lint",
        "-f",
        path_str(&d),
        "--kafka-cluster",
        path_str(&kc),
        "--source-topics",
        &arg,
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("up to 8 MirrorMaker2 pods, but the flows of this instance have 4 source tasks in all: 4 pods would replicate nothing")
            && out.contains("set `maxReplicas` to at most 4"),
        "{out}"
    );
}

#[test]
fn source_topics_refuse_bad_listings_and_unknown_aliases() {
    let (code, out) = with_source_topics(&[], SOURCE_TOPICS, "source-clustr");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("--source-topics names `source-clustr`, which is not a cluster alias")
            && out.contains("did you mean `--source-topics source-cluster="),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let topics = dir.path().join("topics.txt");
    std::fs::write(&topics, "orders\npayments\n").unwrap();
    let arg = format!("source-cluster={}", topics.display());
    let o = run(&[
        "lint",
        "-f",
        path_str(&example("descriptor.yaml")),
        "--source-topics",
        &arg,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("lists no topic") && err.contains("kafka-topics.sh"),
        "{err}"
    );

    // Absurd counts are input like any other: no overflow, no panic.
    let huge = "Topic: a\tPartitionCount: 18446744073709551615\nTopic: b\tPartitionCount: 18446744073709551615\n";
    let (code, out) = with_source_topics(&["tasks.max=2147483647"], huge, "source-cluster");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("(18446744073709551615 partitions)"), "{out}");

    // Java-only regex syntax: said plainly, not guessed.
    let (code, out) =
        with_source_topics(&["topics=(?!internal).*"], SOURCE_TOPICS, "source-cluster");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("cannot predict which topics flow source-cluster->target-cluster replicates: mm2gen cannot evaluate the `topics` pattern"), "{out}");
}

#[test]
fn many_flows_without_an_offset_syncs_location_make_one_finding() {
    let mut text = String::from(
        "kafkaClusters:\n  - alias: target-cluster\n    internalListenerName: internal\nnonSDMKafkaClusters:\n",
    );
    for i in 0..12 {
        text.push_str(&format!(
            "  - alias: src-{i}\n    bootstrapServerAddress: src-{i}.example.com:9092\n"
        ));
    }
    text.push_str(
        "mirrorMaker2Properties: |-\n  src-0->target-cluster.offset-syncs.topic.location=source\n",
    );
    for i in 0..12 {
        text.push_str(&format!("  src-{i}->target-cluster.enabled=true\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d.yaml");
    std::fs::write(&d, text).unwrap();
    let kc = example("kafkacluster.yaml");
    let out = stdout(&run(&[
        "lint",
        "-f",
        path_str(&d),
        "--kafka-cluster",
        path_str(&kc),
    ]));
    // The flow that says `source` is pointed at; the eleven that say nothing share one finding.
    assert!(
        out.contains("flow src-0->target-cluster keeps its offset-syncs topic on the source")
            && out.contains("d.yaml:30:53"),
        "{out}"
    );
    assert!(
        out.contains("11 flows keep their offset-syncs topics on the source (src-1->target-cluster, src-2->target-cluster,")
            && out.contains("src-10->target-cluster, and 1 more)")
            && out.contains("set `offset-syncs.topic.location=target` at the top level"),
        "{out}"
    );
    assert_eq!(
        out.matches("keeps its offset-syncs topic").count(),
        1,
        "{out}"
    );
}

#[test]
fn alias_errors_do_not_hide_the_other_findings() {
    let text = BASE.replace(
        "    alias: source-cluster\n",
        "    alias: source-cluster\n  - bootstrapServerAddress: two.example.com:9092\n    alias: source-cluster\n  - bootstrapServerAddress: three.example.com:9092\n    alias: Bad_Alias!\n",
    ) + "  source-clustr->target-cluster.topics=orders\n  replicaton.factor=2\n  replication.policy.separator=\n  source-cluster->target-cluster.sync.topic.acls.enabled=true\n";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.yaml");
    std::fs::write(&p, text).unwrap();
    let kc = example("kafkacluster.yaml");
    let o = run(&["lint", "-f", path_str(&p), "--kafka-cluster", path_str(&kc)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for finding in [
        // Both alias errors, ...
        "error: cluster alias `source-cluster` is declared twice",
        "error: cluster alias `Bad_Alias!` contains `!`",
        // ... the flow checks that need only the aliases' names, ...
        "error: unknown cluster alias `source-clustr`",
        // ... and the warnings that need only the properties.
        "warning: unknown MirrorMaker2 key `replicaton.factor`",
        "warning: the empty separator and aliases keep topic names, but only by accident",
    ] {
        assert!(out.contains(finding), "missing `{finding}` in\n{out}");
    }
}

#[test]
fn lint_reports_every_yaml_alias_not_only_the_first() {
    let text = BASE
        .replace(
            "  - alias: target-cluster\n",
            "  - alias: &t target-cluster\n",
        )
        .replace("    alias: source-cluster\n", "    alias: *t\n")
        + "mirrorMaker2Spec: &spec {}\nx: *spec\n";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.yaml");
    std::fs::write(&p, text).unwrap();
    let kc = example("kafkacluster.yaml");
    let o = run(&["lint", "-f", path_str(&p), "--kafka-cluster", path_str(&kc)]);
    assert_eq!(o.status.code(), Some(1));
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        out.matches("YAML aliases (`*name`) are not supported")
            .count(),
        2,
        "{out}"
    );
    assert!(
        out.contains("d.yaml:6:12") && out.contains("d.yaml:11:4"),
        "{out}"
    );
}
