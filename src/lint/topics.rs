//! Which source topics each enabled flow replicates, predicted from the source cluster's
//! `kafka-topics.sh --describe` output (`mm2gen lint --source-topics ALIAS=FILE`) the way
//! `MirrorSourceConnector.shouldReplicateTopic` of the pinned Kafka decides: the topic filter
//! (`topics`, `topics.exclude`), heartbeats, internal topics and cycles. From that: flows that
//! replicate nothing, `tasks.max` far above the partitions a flow can use (MirrorMaker2 gives every
//! task at least one partition), and pods that would have no source task.

use std::path::Path;

use regex::Regex;

use super::keys::KeyTable;
use crate::diagnostics::{did_you_mean, Diagnostic, Location, Result, SourceFile};
use crate::model::{Flow, Model};
use crate::properties::UserProperties;

/// The topics of one cluster, as `kafka-topics.sh --describe` printed them.
#[derive(Debug, Clone)]
pub struct TopicListing {
    pub alias: String,
    pub file: SourceFile,
    pub topics: Vec<ListedTopic>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTopic {
    pub name: String,
    pub partitions: u64,
}

/// How many replicated topics a note names before it only counts them.
const NAMED_TOPICS: usize = 20;

const HOW_TO_LIST: &str = "write the source's topics with `kafka-topics.sh --bootstrap-server <source> --describe [--command-config client.properties] > topics.txt` and pass `--source-topics <alias>=topics.txt`";

pub fn load_listing(alias: &str, path: &Path) -> Result<TopicListing> {
    let text = crate::resolve::read_input(path, "topic listing", "--source-topics")?;
    parse_listing(alias, SourceFile::new(path.display().to_string(), text))
}

/// Reads the topic lines (`Topic: <name> ... PartitionCount: <n> ...`) and skips the per-partition
/// lines under them, so the output of any Kafka release since 2.x is accepted.
pub fn parse_listing(alias: &str, file: SourceFile) -> Result<TopicListing> {
    let mut topics: Vec<ListedTopic> = Vec::new();
    // Names seen so far: a listing repeats each name on its partition lines, and searching
    // the list for every topic line made a large cluster's listing quadratic.
    let mut seen: foldhash::HashSet<String> = foldhash::HashSet::default();
    for (index, line) in file.text.lines().enumerate() {
        if !line.starts_with("Topic:") {
            continue; // partition lines (indented), blank lines, tool warnings
        }
        let field = |name: &str| {
            line.split('\t').find_map(|f| {
                f.trim()
                    .strip_prefix(name)
                    .and_then(|v| v.strip_prefix(':'))
                    .map(str::trim)
            })
        };
        let at = |col: usize, len: usize| Some(Location::new(&file, index + 1, col, len));
        let name = field("Topic").filter(|n| !n.is_empty() && !n.contains(' '));
        let Some(name) = name else {
            return Err(Diagnostic::error("a topic line without a topic name")
                .at(at(0, line.len()))
                .help(HOW_TO_LIST)
                .into());
        };
        let Some(count) = field("PartitionCount") else {
            if field("Partition").is_some() {
                // A partition line that lost its indentation: not a topic of its own.
                continue;
            }
            return Err(Diagnostic::error(format!(
                "topic `{name}` has no `PartitionCount:` field: this is not the output of `kafka-topics.sh --describe`"
            ))
            .at(at(0, line.len()))
            .help(format!("{HOW_TO_LIST}; fields are separated by tabs")).into());
        };
        let partitions = count.parse::<u64>().map_err(|_| {
            let col = line.find(count).unwrap_or(0);
            Diagnostic::error(format!(
                "topic `{name}`: `PartitionCount: {count}` is not a whole number"
            ))
            .at(at(col, count.len()))
            .help(HOW_TO_LIST)
        })?;
        if seen.insert(name.to_string()) {
            topics.push(ListedTopic {
                name: name.to_string(),
                partitions,
            });
        }
    }
    if topics.is_empty() {
        return Err(Diagnostic::error(format!(
            "{} lists no topic: no line starts with `Topic:`",
            file.name
        ))
        .help(HOW_TO_LIST)
        .into());
    }
    Ok(TopicListing {
        alias: alias.to_string(),
        file,
        topics,
    })
}

/// Listings for aliases the descriptor does not have: an error each, with a suggestion.
pub fn unknown_aliases(listings: &[TopicListing], aliases: &[String]) -> Vec<Diagnostic> {
    listings
        .iter()
        .filter(|l| !aliases.contains(&l.alias))
        .map(|l| {
            let help = match did_you_mean(&l.alias, aliases.iter().map(String::as_str)) {
                Some(a) => format!("did you mean `--source-topics {a}={}`?", l.file.name),
                None => format!("the cluster aliases are: {}", aliases.join(", ")),
            };
            Diagnostic::error(format!(
                "--source-topics names `{}`, which is not a cluster alias of the descriptor",
                l.alias
            ))
            .help(help)
        })
        .collect()
}

/// What a flow would replicate, or why mm2gen cannot tell.
enum Prediction<'a> {
    Topics(Vec<&'a ListedTopic>),
    Unknown(Diagnostic),
}

pub fn findings(
    props: &UserProperties,
    models: &[Model],
    listings: &[TopicListing],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if listings.is_empty() {
        return out;
    }
    for model in models {
        // Source tasks of this instance's flows; None once any flow cannot be predicted.
        let mut source_tasks: Option<u64> = Some(0);
        for flow in &model.flows {
            let Some(listing) = listings.iter().find(|l| l.alias == flow.source) else {
                source_tasks = None;
                continue;
            };
            let topics = match predict(props, flow, listing) {
                Prediction::Topics(t) => t,
                Prediction::Unknown(d) => {
                    out.push(d);
                    source_tasks = None;
                    continue;
                }
            };
            // Saturating: a listing is input, and its counts may be absurd.
            let partitions: u64 = topics
                .iter()
                .fold(0u64, |sum, t| sum.saturating_add(t.partitions));
            out.push(replicated_note(props, flow, listing, &topics, partitions));
            if topics.is_empty() {
                out.push(
                    props.diag_at_flow(&flow.source, &flow.target, Diagnostic::warning(format!(
                        "flow {}->{} replicates none of the {} topics of `{}` listed in {}",
                        flow.source, flow.target, listing.topics.len(), listing.alias, listing.file.name
                    )))
                    .help("check `topics` and `topics.exclude`: MirrorMaker2 matches each pattern (a Java regex) against the whole topic name"),
                );
            }
            let (tasks_max, tasks_entry) = tasks_max(props, flow);
            if partitions > 0 && tasks_max > partitions.saturating_mul(2) {
                let heap = crate::model::max_heap_mib(&model.heap_opts)
                    .map(|m| format!(" with a {m} MiB heap"))
                    .unwrap_or_default();
                let d = Diagnostic::warning(format!(
                    "`tasks.max` is {tasks_max}, but flow {}->{} can run at most {partitions} source tasks: it replicates {} topics with {partitions} partitions, and MirrorMaker2 gives every task at least one partition. New topics raise the task count toward {tasks_max}, each task with its own consumer and producer, in {} pod(s){heap}",
                    flow.source, flow.target, topics.len(), pods(model)
                ));
                let d = match tasks_entry {
                    Some(e) => props.diag_at_value(e, d),
                    None => props.diag_at_flow(&flow.source, &flow.target, d),
                };
                out.push(d.help(format!(
                    "set `tasks.max` to about {partitions}, the partitions this flow replicates (tasks beyond pods × cores add little throughput)"
                )));
            }
            if let Some(sum) = source_tasks.as_mut() {
                *sum = sum.saturating_add(tasks_max.min(partitions));
            }
        }
        let pods = pods(model);
        if let Some(tasks) = source_tasks.filter(|&t| (pods as u64) > t.max(1)) {
            out.push(
                Diagnostic::warning(format!(
                    "up to {pods} MirrorMaker2 pods, but the flows of this instance have {tasks} source tasks in all: {} pods would replicate nothing (only checkpoint and heartbeat tasks, which are light)",
                    pods as u64 - tasks
                ))
                .path("mirrorMaker2Spec.maxReplicas")
                .help(format!(
                    "set `maxReplicas` to at most {} or raise `tasks.max`",
                    tasks.max(1)
                )),
            );
        }
    }
    out
}

fn pods(model: &Model) -> i64 {
    model
        .autoscaling
        .as_ref()
        .map_or(model.replicas, |a| a.max_replicas)
}

/// A connector setting of one flow: `<source>-><target>.key`, else the top-level `key`.
fn flow_setting<'a>(
    props: &'a UserProperties,
    flow: &Flow,
    key: &str,
) -> Option<&'a crate::properties::Entry> {
    props
        .get(&format!("{}->{}.{key}", flow.source, flow.target))
        .or_else(|| props.get(key))
}

fn default_of(key: &str) -> String {
    KeyTable::pinned()
        .find(&["source"], key)
        .and_then(|k| k.default())
        .unwrap_or_default()
        .to_string()
}

fn tasks_max<'a>(
    props: &'a UserProperties,
    flow: &Flow,
) -> (u64, Option<&'a crate::properties::Entry>) {
    let entry = flow_setting(props, flow, "tasks.max");
    let value = entry
        .and_then(|e| e.value.trim().parse::<u64>().ok())
        .or_else(|| default_of("tasks.max").parse().ok())
        .unwrap_or(1);
    (value, entry)
}

fn replicated_note(
    props: &UserProperties,
    flow: &Flow,
    listing: &TopicListing,
    topics: &[&ListedTopic],
    partitions: u64,
) -> Diagnostic {
    let mut names: Vec<&str> = topics
        .iter()
        .take(NAMED_TOPICS)
        .map(|t| t.name.as_str())
        .collect();
    names.sort_unstable();
    let more = topics.len().saturating_sub(NAMED_TOPICS);
    let list = if topics.is_empty() {
        String::new()
    } else if more > 0 {
        format!(": {} and {more} more", names.join(", "))
    } else {
        format!(": {}", names.join(", "))
    };
    props.diag_at_flow(&flow.source, &flow.target,
        Diagnostic::note(format!(
            "flow {}->{} replicates {} of the {} topics listed in {} ({partitions} partitions){list}",
            flow.source,
            flow.target,
            topics.len(),
            listing.topics.len(),
            listing.file.name
        )),
    )
}

/// A `topics`/`topics.exclude` list as `DefaultTopicFilter` compiles it: the elements joined
/// with `|`, matched against the whole name; an empty list matches nothing.
fn topic_pattern(
    props: &UserProperties,
    flow: &Flow,
    key: &str,
) -> std::result::Result<Option<Regex>, Diagnostic> {
    let entry = flow_setting(props, flow, key);
    let value = entry.map_or_else(|| default_of(key), |e| e.value.clone());
    let elements: Vec<&str> = value
        .trim()
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if elements.is_empty() {
        return Ok(None);
    }
    let joined = elements.join("|");
    Regex::new(&format!("^(?:{joined})$"))
        .map(Some)
        .map_err(|e| {
            let d = Diagnostic::note(format!(
                "cannot predict which topics flow {}->{} replicates: mm2gen cannot evaluate the `{key}` pattern `{joined}` ({})",
                flow.source,
                flow.target,
                e.to_string().lines().last().unwrap_or("invalid pattern").trim()
            ))
            .help("MirrorMaker2 uses Java regular expressions; mm2gen evaluates the common subset (no look-around, back-references or possessive quantifiers)");
            match entry {
                Some(e) => props.diag_at_value(e, d),
                None => d,
            }
        })
}

fn predict<'a>(props: &UserProperties, flow: &Flow, listing: &'a TopicListing) -> Prediction<'a> {
    let unknown = |why: &str| {
        Prediction::Unknown(props.diag_at_flow(
            &flow.source,
            &flow.target,
            Diagnostic::note(format!(
                "cannot predict which topics flow {}->{} replicates: {why}",
                flow.source, flow.target
            )),
        ))
    };
    let filter_class = flow_setting(props, flow, "topic.filter.class")
        .map(|e| e.value.trim().to_string())
        .filter(|c| !c.is_empty() && *c != default_of("topic.filter.class"));
    if let Some(class) = filter_class {
        return unknown(&format!("it uses the topic filter `{class}`"));
    }
    let (include, exclude) = match (
        topic_pattern(props, flow, "topics"),
        topic_pattern(props, flow, "topics.exclude"),
    ) {
        (Ok(i), Ok(e)) => (i, e),
        (Err(d), _) | (_, Err(d)) => return Prediction::Unknown(d),
    };
    let heartbeats = flow_setting(props, flow, "heartbeats.replication.enabled")
        .map_or_else(
            || default_of("heartbeats.replication.enabled"),
            |e| e.value.clone(),
        )
        .trim()
        .eq_ignore_ascii_case("true");
    let policy = &flow.policy;
    let mut replicated = Vec::new();
    for topic in &listing.topics {
        let name = topic.name.as_str();
        let filtered = include.as_ref().is_some_and(|r| r.is_match(name))
            && !exclude.as_ref().is_some_and(|r| r.is_match(name));
        let decision = (|| {
            let wanted = filtered || (heartbeats && policy.is_heartbeats_topic(name)?);
            Some(
                wanted
                    && !policy.is_internal_topic(name)?
                    && !policy.is_cycle(name, &flow.target)?,
            )
        })();
        match decision {
            Some(true) => replicated.push(topic),
            Some(false) => {}
            None => {
                return unknown(&format!(
                    "it uses the replication policy `{}`",
                    match &policy.kind {
                        crate::model::policy::PolicyKind::Custom(c) => c.as_str(),
                        _ => "?",
                    }
                ))
            }
        }
    }
    Prediction::Topics(replicated)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESCRIBE: &str = "Topic: orders\tTopicId: 3dEnXPMzQ4yGQw3JwQfJSA\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=delete\n\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n\tTopic: orders\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\n\tTopic: orders\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1\nTopic: __consumer_offsets\tTopicId: x\tPartitionCount: 50\tReplicationFactor: 1\tConfigs: \nTopic: payments\tPartitionCount: 2\tReplicationFactor: 1\tConfigs:\n";

    #[test]
    fn reads_the_describe_output_of_old_and_new_kafka() {
        let l = parse_listing("src", SourceFile::new("t.txt", DESCRIBE)).unwrap();
        let got: Vec<(&str, u64)> = l
            .topics
            .iter()
            .map(|t| (t.name.as_str(), t.partitions))
            .collect();
        assert_eq!(
            got,
            [("orders", 3), ("__consumer_offsets", 50), ("payments", 2)]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_a_listing_or_a_clear_error(
            lines in proptest::collection::vec("(Topic: [a-z._-]{0,8}\t(PartitionCount: [0-9]{0,3}\t)?|\t|[ -~]{0,20}){0,4}", 0..6)
        ) {
            let text = lines.join("\n");
            match parse_listing("src", SourceFile::new("t.txt", text.clone())) {
                Ok(l) => {
                    proptest::prop_assert!(!l.topics.is_empty());
                    for t in &l.topics {
                        proptest::prop_assert!(!t.name.is_empty() && !t.name.contains(char::is_whitespace));
                        let summary = format!("Topic: {}\t", t.name);
                        proptest::prop_assert!(text.lines().any(|l| l.starts_with(&summary)));
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    proptest::prop_assert!(message.contains("kafka-topics.sh") || message.contains("Topic"), "{}", message);
                }
            }
        }
    }

    #[test]
    fn a_listing_of_a_hundred_thousand_topics_reads_every_topic_once() {
        let text: String = (0..100_000)
            .map(|i| format!("Topic: t{i}\tPartitionCount: 1\n\tTopic: t{i}\tPartition: 0\n"))
            .collect();
        let listing = parse_listing("src", SourceFile::new("t.txt", text)).unwrap();
        assert_eq!(listing.topics.len(), 100_000);
        assert_eq!(listing.topics[99_999].name, "t99999");
    }

    #[test]
    fn a_topic_listed_twice_is_one_topic() {
        let text = "Topic: a\tPartitionCount: 2\nTopic: b\tPartitionCount: 1\nTopic: a\tPartitionCount: 2\n";
        let listing = parse_listing("src", SourceFile::new("t.txt", text)).unwrap();
        let names: Vec<&str> = listing.topics.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn absurd_partition_counts_do_not_overflow() {
        let text = "Topic: a\tPartitionCount: 18446744073709551615\nTopic: b\tPartitionCount: 18446744073709551615\n";
        let listing = parse_listing("src", SourceFile::new("t.txt", text)).unwrap();
        let props = crate::properties::UserProperties::new(
            "src->dst.enabled=true\ntasks.max=9223372036854775807\n".to_string(),
            crate::properties::parse("src->dst.enabled=true\ntasks.max=9223372036854775807\n")
                .unwrap(),
            None,
        );
        let flow = Flow::new(&props, "src", "dst");
        match predict(&props, &flow, &listing) {
            Prediction::Topics(t) => assert_eq!(t.len(), 2),
            Prediction::Unknown(d) => panic!("{}", d.message),
        }
        assert_eq!(tasks_max(&props, &flow).0, 9223372036854775807);
    }

    #[test]
    fn refuses_what_is_not_a_describe_output() {
        let err = parse_listing("src", SourceFile::new("t.txt", "orders\npayments\n")).unwrap_err();
        assert!(err.to_string().contains("lists no topic"), "{err}");
        let err = parse_listing(
            "src",
            SourceFile::new("t.txt", "Topic: orders\tPartitionCount: three\n"),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("t.txt:1:"), "{text}");
        assert!(text.contains("is not a whole number"), "{text}");
        let err = parse_listing(
            "src",
            SourceFile::new("t.txt", "Topic: orders\tReplicationFactor: 1\n"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no `PartitionCount:`"), "{err}");
    }
}
