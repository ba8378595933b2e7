//! Which Kafka versions meet in a migration, and the combinations that cannot work.
//!
//! MirrorMaker2's version is read from its image's tag. A broker's comes from the descriptor
//! (`nonSDMKafkaClusters[].kafkaVersion`, mm2gen's extension: nothing else says what a legacy
//! source runs) or from the Koperator `KafkaCluster` (`spec.clusterImage`, and the images of
//! `spec.brokerConfigGroups` and `spec.brokers[].brokerConfig`, which override it per broker).
//! A cluster whose version is not known is not checked.
//!
//! The floor: Kafka 4 clients only speak the protocol versions of brokers 2.1 and newer
//! (KIP-896), so MirrorMaker2 4.x cannot copy from or to older brokers at all. Proven against
//! real brokers by tests/e2e/test_broker_matrix.py down to 2.8.2, with ZooKeeper and AclAuthorizer.

use crate::descriptor::Located;
use crate::diagnostics::{Collector, Diagnostic, Location};
use crate::resolve::KafkaClusterResource;
use crate::version;
use crate::yaml::Node;

/// The oldest broker that Kafka 4 clients talk to (KIP-896).
const KAFKA_4_CLIENT_FLOOR: (u32, u32, u32) = (2, 1, 0);
/// The first broker with IncrementalAlterConfigs (KIP-339), the only call MirrorMaker2 4.x
/// alters a replicated topic's configs with (its fallback to AlterConfigs is gone).
const INCREMENTAL_ALTER_CONFIGS: (u32, u32, u32) = (2, 3, 0);
/// A MirrorMaker2 image for older brokers: the newest line whose clients still reach them.
const IMAGE_FOR_OLD_BROKERS: &str = "apache/kafka:3.9.2";

/// A cluster one of the instance's flows reads from or writes to.
pub struct Broker<'a> {
    pub alias: &'a str,
    /// `kafkaVersion` as the descriptor states it.
    pub stated: Option<&'a Located<String>>,
    /// The KafkaCluster resource of a cluster managed by Streaming Data Manager, when given.
    pub kafka_cluster: Option<&'a KafkaClusterResource>,
    /// A flow writes to it with topic config sync on.
    pub syncs_topic_configs_into: bool,
}

/// A broker version and where it was read.
struct Known {
    version: (u32, u32, u32),
    text: String,
    location: Option<Location>,
    path: String,
    /// How the message names where the version came from.
    origin: String,
}

/// Errors for versions that do not parse and for brokers the MirrorMaker2 image cannot reach.
pub fn check(mm2_version: Option<&str>, image: &str, brokers: &[Broker], diags: &mut Collector) {
    let mm2 = mm2_version.and_then(version::parse);
    for b in brokers {
        for known in versions_of(b, diags) {
            let Some(mm2) = mm2 else { continue };
            // Both findings say the same thing of a different broker feature: what this
            // MirrorMaker2 cannot do with the cluster, where the broker version was read and why.
            let finding = |severity: fn(String) -> Diagnostic, cannot: &str, because: &str| {
                severity(format!(
                    "MirrorMaker2 of image `{image}` (Kafka {}) {cannot} cluster `{}`: {} says its brokers run Kafka {}, and {because}",
                    mm2_version.unwrap_or("?"),
                    b.alias,
                    known.origin,
                    known.text
                ))
                .at(known.location.clone())
                .path(known.path.clone())
            };
            if mm2 >= (4, 0, 0) && known.version < KAFKA_4_CLIENT_FLOOR {
                diags.push(
                    finding(
                        Diagnostic::error,
                        "cannot talk to",
                        "Kafka 4 clients need brokers 2.1 or newer (KIP-896)",
                    )
                    .label("older than Kafka 2.1")
                    .help(format!(
                        "run a MirrorMaker2 whose clients still reach these brokers: `--image {IMAGE_FOR_OLD_BROKERS}` (or `mirrorMaker2Spec.image: {IMAGE_FOR_OLD_BROKERS}`); or upgrade the brokers to 2.1 or newer"
                    )),
                );
            } else if mm2 >= (4, 0, 0)
                && b.syncs_topic_configs_into
                && known.version < INCREMENTAL_ALTER_CONFIGS
            {
                diags.push(
                    finding(
                        Diagnostic::warning,
                        "cannot sync topic configs into",
                        "MirrorMaker2 4 changes topic configs only with IncrementalAlterConfigs (Kafka 2.3, KIP-339)",
                    )
                    .label("older than Kafka 2.3")
                    .help(format!(
                        "topics are still created with the source's configs, later changes are not copied: upgrade the target to 2.3 or newer, or use `--image {IMAGE_FOR_OLD_BROKERS}`, or set `sync.topic.configs.enabled=false` and copy config changes yourself"
                    )),
                );
            }
        }
    }
}

fn versions_of(b: &Broker, diags: &mut Collector) -> Vec<Known> {
    let mut out = Vec::new();
    if let Some(stated) = b.stated {
        match version::parse(&stated.value).filter(|_| is_plain_version(&stated.value)) {
            Some(v) => out.push(Known {
                version: v,
                text: stated.value.clone(),
                location: stated.location.clone(),
                path: stated.path.clone(),
                origin: format!("`{}`", stated.path),
            }),
            None => diags.push(
                stated
                    .diag(Diagnostic::error(format!(
                        "`{}` is `{}`, not a Kafka version",
                        stated.path, stated.value
                    )))
                    .label("expected major.minor or major.minor.patch")
                    .help("write the version the brokers run, e.g. `kafkaVersion: 2.8.2` (the first line of `kafka-broker-api-versions.sh` or the broker's log says it)"),
            ),
        }
    }
    if let Some(cr) = b.kafka_cluster {
        for (path, node, image) in kafka_cluster_images(cr) {
            if let Some(text) = version::kafka_version_of_image(image) {
                if let Some(v) = version::parse(&text) {
                    out.push(Known {
                        version: v,
                        location: Some(node.location(&cr.source)),
                        origin: format!("the image `{image}` of KafkaCluster {} ({path})", cr.name),
                        text,
                        path,
                    });
                }
            }
        }
    }
    out
}

/// `2.8.2` or `2.8`: what `kafkaVersion` accepts (the schema's pattern).
fn is_plain_version(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Every broker image a KafkaCluster names, with its path in the resource.
fn kafka_cluster_images(cr: &KafkaClusterResource) -> Vec<(String, &Node, &str)> {
    let Some(spec) = cr.node.get("spec") else {
        return Vec::new();
    };
    let mut candidates: Vec<(String, Option<&Node>)> =
        vec![("spec.clusterImage".into(), spec.get("clusterImage"))];
    for (key, group) in spec
        .get("brokerConfigGroups")
        .and_then(Node::as_map)
        .unwrap_or(&[])
    {
        let name = key.as_scalar().map_or("?", |s| s.text.as_str());
        candidates.push((
            format!("spec.brokerConfigGroups.{name}.image"),
            group.get("image"),
        ));
    }
    for (i, broker) in spec
        .get("brokers")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        candidates.push((
            format!("spec.brokers[{i}].brokerConfig.image"),
            broker.get("brokerConfig").and_then(|c| c.get("image")),
        ));
    }
    candidates
        .into_iter()
        .filter_map(|(path, node)| {
            let node = node?;
            let image = node.as_scalar()?.text.as_str();
            Some((path, node, image))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    fn stated(v: &str) -> Located<String> {
        Located {
            value: v.to_string(),
            location: None,
            path: "nonSDMKafkaClusters[0].kafkaVersion".into(),
        }
    }

    fn kafka_cluster(yaml: &str) -> KafkaClusterResource {
        let source = SourceFile::new("kafkacluster.yaml", yaml.to_string());
        let docs = crate::yaml::parse_documents(&source).unwrap();
        crate::resolve::kafka_clusters_in(&source, &docs)
            .unwrap()
            .remove(0)
    }

    fn errors(mm2: Option<&str>, brokers: &[Broker]) -> Vec<String> {
        let mut diags = Collector::default();
        check(mm2, "img", brokers, &mut diags);
        match diags.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.diagnostics.into_iter().map(|d| d.message).collect(),
        }
    }

    #[test]
    fn kafka_4_refuses_brokers_older_than_2_1_and_accepts_the_matrix() {
        for (broker, refused) in [
            ("2.0.1", true),
            ("0.11.0", true),
            ("2.1", false),
            ("2.8.2", false),
            ("3.9.2", false),
        ] {
            let v = stated(broker);
            let b = [Broker {
                alias: "legacy",
                stated: Some(&v),
                kafka_cluster: None,
                syncs_topic_configs_into: false,
            }];
            assert_eq!(!errors(Some("4.3.1"), &b).is_empty(), refused, "{broker}");
            // an older MirrorMaker2 (the fix the error suggests) reaches them all
            assert!(errors(Some("3.9.2"), &b).is_empty(), "{broker}");
        }
        let v = stated("2.0.1");
        let b = [Broker {
            alias: "legacy",
            stated: Some(&v),
            kafka_cluster: None,
            syncs_topic_configs_into: false,
        }];
        let e = errors(Some("4.3.1"), &b);
        assert!(
            e[0].contains("Kafka 4 clients need brokers 2.1 or newer"),
            "{e:?}"
        );
        // an image whose version is unknown is not checked
        assert!(errors(None, &b).is_empty());
    }

    #[test]
    fn kafka_4_warns_that_it_cannot_sync_configs_into_brokers_before_2_3() {
        let warned = |broker: &str, into: bool, mm2: &str| {
            let v = stated(broker);
            let b = [Broker {
                alias: "t",
                stated: Some(&v),
                kafka_cluster: None,
                syncs_topic_configs_into: into,
            }];
            let mut diags = Collector::default();
            check(Some(mm2), "img", &b, &mut diags);
            assert!(diags.errors.is_empty(), "{broker}: {:?}", diags.errors);
            diags
                .warnings
                .iter()
                .any(|w| w.message.contains("IncrementalAlterConfigs"))
        };
        assert!(warned("2.2.2", true, "4.3.1"));
        assert!(!warned("2.3.0", true, "4.3.1"));
        assert!(
            !warned("2.2.2", false, "4.3.1"),
            "no flow syncs configs into it"
        );
        assert!(
            !warned("2.2.2", true, "3.9.2"),
            "MirrorMaker2 3.x falls back to AlterConfigs"
        );
    }

    #[test]
    fn kafka_version_must_be_a_version() {
        for bad in ["latest", "2.8.2-rc1", "2", "v2.8.2", ""] {
            let v = stated(bad);
            let b = [Broker {
                alias: "legacy",
                stated: Some(&v),
                kafka_cluster: None,
                syncs_topic_configs_into: false,
            }];
            let e = errors(Some("4.3.1"), &b);
            assert_eq!(e.len(), 1, "{bad}: {e:?}");
            assert!(e[0].contains("not a Kafka version"), "{e:?}");
        }
    }

    #[test]
    fn reads_the_target_version_from_the_kafka_cluster_images() {
        let cr = kafka_cluster(
            "apiVersion: kafka.banzaicloud.io/v1beta1\nkind: KafkaCluster\nmetadata: {name: kafka, namespace: kafka}\nspec:\n  clusterImage: ghcr.io/adobe/koperator/kafka:2.13-3.9.2-jdk21.0.11\n  brokerConfigGroups:\n    default: {storageConfigs: []}\n    old: {image: 'ghcr.io/banzaicloud/kafka:2.13-2.0.1'}\n  brokers:\n    - id: 0\n      brokerConfig: {image: 'ghcr.io/banzaicloud/kafka:2.13-1.1.0'}\n",
        );
        let found: Vec<String> = kafka_cluster_images(&cr)
            .into_iter()
            .map(|(p, _, i)| format!("{p}={}", version::kafka_version_of_image(i).unwrap()))
            .collect();
        assert_eq!(
            found,
            [
                "spec.clusterImage=3.9.2",
                "spec.brokerConfigGroups.old.image=2.0.1",
                "spec.brokers[0].brokerConfig.image=1.1.0"
            ]
        );
        let b = [Broker {
            alias: "target",
            stated: None,
            kafka_cluster: Some(&cr),
            syncs_topic_configs_into: true,
        }];
        let e = errors(Some("4.3.1"), &b);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].contains("spec.brokerConfigGroups.old.image") && e[0].contains("2.0.1"),
            "{e:?}"
        );

        // Koperator's default image alone is fine
        let ok = kafka_cluster(
            "apiVersion: kafka.banzaicloud.io/v1beta1\nkind: KafkaCluster\nmetadata: {name: kafka, namespace: kafka}\nspec:\n  clusterImage: ghcr.io/adobe/koperator/kafka:2.13-3.9.2-jdk21.0.11\n",
        );
        let b = [Broker {
            alias: "target",
            stated: None,
            kafka_cluster: Some(&ok),
            syncs_topic_configs_into: true,
        }];
        assert!(errors(Some("4.3.1"), &b).is_empty());
    }
}
