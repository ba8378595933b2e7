//! Facts from outside the descriptor: Koperator `KafkaCluster` resources (for bootstrap
//! addresses) and kubeconfig files (for the default kube context of an alias).

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, Result, SourceFile};
use crate::yaml::{self, Node};

pub const KAFKA_CLUSTER_API_VERSION: &str = "kafka.banzaicloud.io/v1beta1";

/// A Koperator `KafkaCluster` custom resource, as exported with kubectl or written by hand.
#[derive(Debug, Clone)]
pub struct KafkaClusterResource {
    pub name: String,
    pub namespace: Option<String>,
    /// The kube context of the Kubernetes cluster it was exported from, when the user said
    /// (`--kafka-cluster CONTEXT=FILE`): two regions often both run `kafka/kafka`.
    pub context: Option<String>,
    pub source: SourceFile,
    pub node: Node,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerLookup {
    Found { host: String, port: i64 },
    NoSuchListener { available: Vec<String> },
    NoPort { listener: String },
}

impl KafkaClusterResource {
    /// The operator's in-cluster bootstrap for one listener: the all-broker Service (or the
    /// headless one when `headlessServiceEnabled`), in the cluster domain, at the listener's
    /// containerPort. Internal listeners are looked up first; the guide lets
    /// `internalListenerName` default to the external listener's name, whose containerPort is
    /// also served by the broker pods.
    pub fn internal_bootstrap(&self, listener: &str, namespace: &str) -> ListenerLookup {
        let spec = self.node.get("spec");
        let listeners = spec.and_then(|s| s.get("listenersConfig"));
        let mut available = Vec::new();
        for group in ["internalListeners", "externalListeners"] {
            for l in listeners
                .and_then(|l| l.get(group))
                .and_then(Node::as_seq)
                .unwrap_or(&[])
            {
                let Some(name) = l.get_str("name") else {
                    continue;
                };
                available.push(name.to_string());
                if name != listener {
                    continue;
                }
                let Some(port) = l.get("containerPort").and_then(Node::as_i64) else {
                    return ListenerLookup::NoPort {
                        listener: listener.to_string(),
                    };
                };
                let headless = spec
                    .and_then(|s| s.get("headlessServiceEnabled"))
                    .and_then(Node::as_bool)
                    .unwrap_or(false);
                let domain = spec
                    .and_then(|s| s.get_str("kubernetesClusterDomain"))
                    .filter(|d| !d.is_empty())
                    .unwrap_or("cluster.local");
                let service = if headless { "headless" } else { "all-broker" };
                return ListenerLookup::Found {
                    host: format!("{}-{service}.{namespace}.svc.{domain}", self.name),
                    port,
                };
            }
        }
        ListenerLookup::NoSuchListener { available }
    }

    /// Addresses Koperator publishes for an external listener in the status: the `any-broker`
    /// (load balancer) entry when there is one, else every broker's.
    pub fn external_addresses(&self, listener: &str) -> Vec<String> {
        let entries = self
            .node
            .get("status")
            .and_then(|s| s.get("listenerStatuses"))
            .and_then(|s| s.get("externalListeners"))
            .and_then(|s| s.get(listener))
            .and_then(Node::as_seq)
            .unwrap_or(&[]);
        let named = |n: &Node| {
            (
                n.get_str("name").unwrap_or("").to_string(),
                n.get_str("address").unwrap_or("").to_string(),
            )
        };
        if let Some((_, any)) = entries
            .iter()
            .map(named)
            .find(|(name, a)| *name == "any-broker" && !a.is_empty())
        {
            return vec![any];
        }
        entries
            .iter()
            .map(named)
            .map(|(_, a)| a)
            .filter(|a| !a.is_empty())
            .collect()
    }

    /// A broker setting from `spec.readOnlyConfig` (Koperator's cluster-wide broker config).
    pub fn broker_config(&self, key: &str) -> Option<String> {
        let text = self.node.get("spec")?.get_str("readOnlyConfig")?;
        let entries = crate::properties::parse(text).ok()?;
        entries
            .into_iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| e.value.trim().to_string())
    }

    /// The number of brokers in `spec.brokers`, for replication-factor checks.
    pub fn broker_count(&self) -> Option<usize> {
        self.node
            .get("spec")?
            .get("brokers")?
            .as_seq()
            .map(<[Node]>::len)
    }
}

/// Reads every `KafkaCluster` from a file (multi-document YAML, JSON, or a `kind: List`).
pub fn load_kafka_clusters(path: &Path) -> Result<Vec<KafkaClusterResource>> {
    let text = read_text(path, "the KafkaCluster file", "--kafka-cluster")?;
    let source = SourceFile::new(path.display().to_string(), text);
    kafka_clusters_in(&source, &yaml::parse_documents(&source)?)
}

/// The `KafkaCluster` resources among parsed documents (also inside `kind: List`).
pub fn kafka_clusters_in(source: &SourceFile, docs: &[Node]) -> Result<Vec<KafkaClusterResource>> {
    let mut out = Vec::new();
    let mut stack: Vec<&Node> = docs.iter().rev().collect();
    while let Some(doc) = stack.pop() {
        if doc.get_str("kind") == Some("List") {
            if let Some(items) = doc.get("items").and_then(Node::as_seq) {
                stack.extend(items.iter().rev());
            }
            continue;
        }
        if doc.get_str("kind") != Some("KafkaCluster") {
            continue;
        }
        let api = doc.get_str("apiVersion").unwrap_or("");
        if api != KAFKA_CLUSTER_API_VERSION {
            return Err(Diagnostic::error(format!(
                "KafkaCluster with apiVersion `{api}`; mm2gen reads Koperator's `{KAFKA_CLUSTER_API_VERSION}`"
            ))
            .at(Some(doc.location(source)))
            .help("export the resource with `kubectl get kafkacluster NAME -n NAMESPACE -o yaml`")
            .into());
        }
        let metadata = doc.get("metadata");
        let Some(name) = metadata.and_then(|m| m.get_str("name")) else {
            return Err(Diagnostic::error("KafkaCluster without metadata.name")
                .at(Some(doc.location(source)))
                .help("give the resource its name, as in the cluster")
                .into());
        };
        out.push(KafkaClusterResource {
            context: None,
            name: name.to_string(),
            namespace: metadata
                .and_then(|m| m.get_str("namespace"))
                .map(str::to_string),
            source: source.clone(),
            node: doc.clone(),
        });
    }
    Ok(out)
}

/// Finds the KafkaCluster `namespace/name` of the Kubernetes cluster `context`. A resource
/// without a namespace (hand-written) matches any namespace, as `kubectl apply -n` would place
/// it; one without a context matches any context.
pub fn find_kafka_cluster<'a>(
    all: &'a [KafkaClusterResource],
    namespace: &str,
    name: &str,
    context: Option<&str>,
) -> Option<&'a KafkaClusterResource> {
    let context_matches = |c: &KafkaClusterResource, exact: bool| match (&c.context, context) {
        (Some(a), Some(b)) => a == b,
        (None, _) => !exact,
        (Some(_), None) => !exact,
    };
    let candidates = |exact: bool| {
        all.iter()
            .filter(move |c| c.name == name && context_matches(c, exact))
    };
    for exact in [true, false] {
        let found = candidates(exact)
            .find(|c| c.namespace.as_deref() == Some(namespace))
            .or_else(|| candidates(exact).find(|c| c.namespace.is_none()));
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The `current-context` of a kubeconfig file, and the names of its contexts.
#[derive(Debug, Clone)]
pub struct Kubeconfig {
    pub path: PathBuf,
    pub current_context: Option<String>,
    pub contexts: Vec<String>,
}

pub fn load_kubeconfig(path: &Path) -> Result<Kubeconfig> {
    let text = read_text(path, "the kubeconfig", "kubernetesConfigs")?;
    let source = SourceFile::new(path.display().to_string(), text);
    let docs = yaml::parse_documents(&source)?;
    let doc = docs.first();
    Ok(Kubeconfig {
        path: path.to_path_buf(),
        current_context: doc
            .and_then(|d| d.get_str("current-context"))
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        contexts: doc
            .and_then(|d| d.get("contexts"))
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|c| c.get_str("name").map(str::to_string))
            .collect(),
    })
}

/// Resolves a kubeconfig path from the descriptor: `~` is the home directory, relative paths
/// are relative to the descriptor's directory.
pub fn kubeconfig_path(raw: &str, base_dir: &Path) -> PathBuf {
    let expanded = match raw.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map_or_else(|| PathBuf::from(raw), |h| PathBuf::from(h).join(rest)),
        None => PathBuf::from(raw),
    };
    if expanded.is_absolute() {
        expanded
    } else {
        base_dir.join(expanded)
    }
}

/// Reads a file for `what`, named by `flag`, as UTF-8 text.
fn read_text(path: &Path, what: &str, flag: &str) -> Result<String> {
    let bytes = read_bytes(path, what, flag)?;
    String::from_utf8(bytes).map_err(|_| {
        Diagnostic::error(format!("{what} {} is not UTF-8 text", path.display()))
            .help(format!("check the path given in {flag}"))
            .into()
    })
}

pub fn read_input(path: &Path, what: &str, flag: &str) -> Result<String> {
    read_text(path, what, flag)
}

/// Reads a file for `what`, named by `flag`, as bytes (a `--secret-file`), within the cap.
pub fn read_bytes(path: &Path, what: &str, flag: &str) -> Result<Vec<u8>> {
    let fail = |e: std::io::Error| {
        Diagnostic::error(format!("cannot read {what} {}: {e}", path.display()))
            .help(format!("check the path given in {flag}"))
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    read_capped(file, &format!("{what} {}", path.display()), &format!("check the path given in {flag}: it should name a text file, not a device, an endless pipe or an archive"))
        .map_err(|e| match e {
            Capped::Io(e) => fail(e).into(),
            Capped::TooLarge(d) => d.into(),
        })
}

/// Reads standard input as UTF-8 text for `what`; `help` says what to pipe in.
pub fn read_stdin(what: &str, help: &str) -> Result<String> {
    let bytes = read_capped(
        std::io::stdin().lock(),
        &format!("{what} on standard input"),
        help,
    )
    .map_err(|e| match e {
        Capped::Io(e) => Diagnostic::error(format!("cannot read {what} from standard input: {e}"))
            .help(help)
            .into(),
        Capped::TooLarge(d) => crate::diagnostics::Error::from(d),
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Diagnostic::error(format!("{what} on standard input is not UTF-8 text"))
            .help(help)
            .into()
    })
}

enum Capped {
    Io(std::io::Error),
    TooLarge(Diagnostic),
}

/// Every read from outside goes through here: it stops one byte past the cap, so `/dev/zero`
/// or an endless pipe fails at once instead of filling memory before a size check could run.
fn read_capped(
    reader: impl std::io::Read,
    what: &str,
    help: &str,
) -> std::result::Result<Vec<u8>, Capped> {
    let cap = yaml::MAX_INPUT_BYTES;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(reader, cap as u64 + 1), &mut bytes)
        .map_err(Capped::Io)?;
    if bytes.len() > cap {
        return Err(Capped::TooLarge(
            Diagnostic::error(format!(
                "{what} is larger than {} MiB; mm2gen reads inputs of at most {cap} bytes",
                cap >> 20
            ))
            .help(help),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn cluster(spec: &str) -> KafkaClusterResource {
        let text = format!(
            "apiVersion: kafka.banzaicloud.io/v1beta1\nkind: KafkaCluster\nmetadata:\n  name: kafka\n  namespace: kafka\nspec:\n{spec}"
        );
        let source = SourceFile::new("k.yaml", text);
        let docs = yaml::parse_documents(&source).unwrap();
        kafka_clusters_in(&source, &docs).unwrap().remove(0)
    }

    #[test]
    fn bootstrap_uses_all_broker_service_and_container_port() {
        let c = cluster("  listenersConfig:\n    internalListeners:\n    - name: internal\n      containerPort: 29092\n");
        assert_eq!(
            c.internal_bootstrap("internal", "kafka"),
            ListenerLookup::Found {
                host: "kafka-all-broker.kafka.svc.cluster.local".into(),
                port: 29092
            }
        );
    }

    #[test]
    fn bootstrap_uses_headless_service_and_cluster_domain_when_set() {
        let c = cluster(
            "  headlessServiceEnabled: true\n  kubernetesClusterDomain: corp.local\n  listenersConfig:\n    internalListeners:\n    - name: internal\n      containerPort: 29092\n",
        );
        assert_eq!(
            c.internal_bootstrap("internal", "kafka"),
            ListenerLookup::Found {
                host: "kafka-headless.kafka.svc.corp.local".into(),
                port: 29092
            }
        );
    }

    #[test]
    fn missing_listener_lists_the_available_ones() {
        let c = cluster("  listenersConfig:\n    externalListeners:\n    - name: external\n      containerPort: 9094\n");
        assert_eq!(
            c.internal_bootstrap("internal", "kafka"),
            ListenerLookup::NoSuchListener {
                available: vec!["external".into()]
            }
        );
    }

    #[test]
    fn an_endless_reader_stops_one_byte_past_the_cap() {
        let Err(Capped::TooLarge(d)) = read_capped(std::io::repeat(b'a'), "the input", "help")
        else {
            panic!("an endless reader must be refused");
        };
        assert!(
            d.message.starts_with("the input is larger than 16 MiB"),
            "{}",
            d.message
        );
        let at_cap = std::io::repeat(b'a').take(yaml::MAX_INPUT_BYTES as u64);
        assert_eq!(
            read_capped(at_cap, "the input", "help")
                .ok()
                .map(|b| b.len()),
            Some(yaml::MAX_INPUT_BYTES)
        );
    }

    #[test]
    fn relative_kubeconfig_paths_are_relative_to_the_descriptor() {
        assert_eq!(
            kubeconfig_path("k.yaml", Path::new("/d")),
            PathBuf::from("/d/k.yaml")
        );
        assert_eq!(
            kubeconfig_path("/abs/k.yaml", Path::new("/d")),
            PathBuf::from("/abs/k.yaml")
        );
    }
}
