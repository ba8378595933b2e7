//! The configuration keys of the pinned Kafka's MirrorMaker2, from
//! data/mm2-config-keys-<kafka>.json (generated from Kafka's own ConfigDefs by
//! scripts/gen-mm2-keys), and where MirrorMaker2 reads each of them.
//!
//! Where a key is read follows `MirrorMakerConfig` of the pinned Kafka:
//! - top level: MirrorMakerConfig's own keys, connector keys (copied into every flow), the
//!   client keys of `MirrorClientConfig` (copied into every cluster), and the worker keys
//!   under `offset.storage`, `config.storage`, `status.storage`, `*.converter`, `task`,
//!   `worker` and `replication.policy` (`workerConfig`). Other worker and client keys written
//!   at the top level are ignored.
//! - `<alias>.`: client keys, `producer.`/`consumer.`/`admin.` client keys, and worker keys
//!   (the Connect worker of a flow is built from its target's cluster keys).
//! - `<source>-><target>.`: connector keys, with `producer.`/`consumer.`/`admin.` and
//!   `source.`/`target.` client prefixes. Worker keys are not read here.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::diagnostics::did_you_mean;

const TABLE_JSON: &str = include_str!("../../data/mm2-config-keys-4.3.1.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `key`
    TopLevel,
    /// `<alias>.key`
    Cluster,
    /// `<source>-><target>.key`
    Flow,
}

impl Scope {
    /// Where a key of this scope is written, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::TopLevel => "at the top level",
            Scope::Cluster => "under a cluster alias",
            Scope::Flow => "under a flow (`<source>-><target>.`)",
        }
    }
}

/// The ConfigDef type of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Boolean,
    Short,
    Int,
    Long,
    Double,
    String,
    List,
    Class,
    Password,
}

/// One key of a ConfigDef: its type and what its validator accepts, where mm2gen can tell.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub kind: Kind,
    pub default: Option<String>,
    /// The validator's own description, e.g. `[1,...]` or `[source, target]`.
    pub valid: Option<String>,
    /// The accepted values (each element, for a list).
    pub one_of: Vec<String>,
    pub case_insensitive: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// A list whose validator refuses empty elements and duplicates.
    pub validated_list: bool,
    pub non_empty: bool,
}

/// Which kind of setting a key is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Connector,
    MirrorMaker,
    Worker,
    Producer,
    Consumer,
    Admin,
    /// The public Connect REST API, which dedicated MirrorMaker2 does not run.
    Rest,
}

impl Role {
    pub fn describe(self) -> &'static str {
        match self {
            Role::Connector => "a connector setting",
            Role::MirrorMaker => "a MirrorMaker2 setting",
            Role::Worker => "a Connect worker setting",
            Role::Producer => "a producer setting",
            Role::Consumer => "a consumer setting",
            Role::Admin => "an admin client setting",
            Role::Rest => "a setting of the public Connect REST API",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    /// MirrorMaker2 reads the key here.
    Known(&'static KeyInfo),
    /// A parameter of a pluggable class or provider: names Kafka does not fix.
    Dynamic,
    /// A real key that MirrorMaker2 does not read where it was written.
    Misplaced(Role),
    Unknown,
}

#[derive(Debug)]
pub struct KeyTable {
    pub kafka_version: String,
    scopes: BTreeMap<String, BTreeMap<String, KeyInfo>>,
}

const CLIENTS: &[(&str, Role)] = &[
    ("producer", Role::Producer),
    ("consumer", Role::Consumer),
    ("admin", Role::Admin),
];
const CONNECTORS: &[&str] = &["source", "checkpoint", "heartbeat"];
/// Worker keys MirrorMaker2 takes from the top level (`MirrorMakerConfig.workerConfig`).
const TOP_LEVEL_WORKER_PREFIXES: &[&str] = &[
    "offset.storage",
    "config.storage",
    "status.storage",
    "key.converter",
    "value.converter",
    "header.converter",
    "task",
    "worker",
];
/// Prefixes whose keys are parameters of pluggable classes: the replication policy gets every
/// `replication.policy.*` key, providers their `config.providers.<name>.param.*`.
const DYNAMIC_PREFIXES: &[&str] = &[
    "replication.policy.",
    "config.providers.",
    "transforms.",
    "predicates.",
    "metric.reporters.",
];

fn kind_of(t: &str) -> Kind {
    match t {
        "BOOLEAN" => Kind::Boolean,
        "SHORT" => Kind::Short,
        "INT" => Kind::Int,
        "LONG" => Kind::Long,
        "DOUBLE" => Kind::Double,
        "LIST" => Kind::List,
        "CLASS" => Kind::Class,
        "PASSWORD" => Kind::Password,
        _ => Kind::String,
    }
}

fn key_info(v: &serde_json::Value) -> KeyInfo {
    let text = |k: &str| v[k].as_str().map(str::to_string);
    let flag = |k: &str| v[k].as_bool().unwrap_or(false);
    KeyInfo {
        kind: kind_of(v["type"].as_str().unwrap_or("")),
        default: text("default"),
        valid: text("valid"),
        one_of: v["in"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        case_insensitive: flag("caseInsensitive"),
        min: v["min"].as_f64(),
        max: v["max"].as_f64(),
        validated_list: flag("list"),
        non_empty: flag("nonEmpty"),
    }
}

impl KeyTable {
    pub fn pinned() -> &'static KeyTable {
        static TABLE: OnceLock<KeyTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            // A unit test parses the embedded table, so this cannot fail in a built binary.
            let json: serde_json::Value =
                serde_json::from_str(TABLE_JSON).expect("the embedded key table is JSON");
            let scopes = json["scopes"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(scope, keys)| {
                    let keys = keys
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), key_info(v)))
                        .collect();
                    (scope.clone(), keys)
                })
                .collect();
            KeyTable {
                kafka_version: json["kafka"].as_str().unwrap_or("?").to_string(),
                scopes,
            }
        })
    }

    /// The key in the first of these ConfigDefs that defines it.
    pub fn find(&self, scopes: &[&str], key: &str) -> Option<&KeyInfo> {
        scopes.iter().find_map(|s| self.scopes.get(*s)?.get(key))
    }

    fn names<'a>(&'a self, scopes: &'a [&str]) -> impl Iterator<Item = &'a str> {
        scopes
            .iter()
            .filter_map(|s| self.scopes.get(*s))
            .flat_map(|m| m.keys().map(String::as_str))
    }

    /// Where MirrorMaker2 reads `key` written at `scope` (the part after the alias or flow).
    pub fn lookup(&'static self, scope: Scope, key: &str) -> Lookup {
        match scope {
            Scope::TopLevel => self.top_level(key),
            Scope::Cluster => self.cluster(key),
            Scope::Flow => self.flow(key),
        }
    }

    fn top_level(&'static self, key: &str) -> Lookup {
        let direct = ["mirrormaker", "source", "checkpoint", "heartbeat", "client"];
        if let Some(info) = self.find(&direct, key) {
            return Lookup::Known(info);
        }
        if TOP_LEVEL_WORKER_PREFIXES.iter().any(|p| key.starts_with(p)) {
            if let Some(info) = self.find(&["worker"], key) {
                return Lookup::Known(info);
            }
        }
        if self.is_dynamic(&direct, key) || self.is_dynamic(&["worker"], key) {
            return Lookup::Dynamic;
        }
        self.misplaced(key, &["rest", "worker", "producer", "consumer", "admin"])
    }

    fn cluster(&'static self, key: &str) -> Lookup {
        if let Some(info) = self.find(&["client", "worker"], key) {
            return Lookup::Known(info);
        }
        if let Some(lookup) = self.client_prefixed(key) {
            return lookup;
        }
        if self.is_dynamic(&["client", "worker"], key) {
            return Lookup::Dynamic;
        }
        self.misplaced(
            key,
            &[
                "source",
                "checkpoint",
                "heartbeat",
                "mirrormaker",
                "producer",
                "consumer",
                "admin",
            ],
        )
    }

    fn flow(&'static self, key: &str) -> Lookup {
        if let Some(info) = self.find(CONNECTORS, key) {
            return Lookup::Known(info);
        }
        // `source.`/`target.` select one side's clients; `source.cluster.`/`target.cluster.`
        // are the cluster keys MirrorMaker2 itself passes that way.
        for side in ["source.", "target."] {
            if let Some(rest) = key.strip_prefix(side) {
                if let Some(client) = rest.strip_prefix("cluster.") {
                    if let Some(info) = self.find(&["client"], client) {
                        return Lookup::Known(info);
                    }
                }
                if let Some(lookup) = self.client_prefixed(rest) {
                    return lookup;
                }
            }
        }
        if let Some(lookup) = self.client_prefixed(key) {
            return lookup;
        }
        if self.is_dynamic(CONNECTORS, key) {
            return Lookup::Dynamic;
        }
        self.misplaced(
            key,
            &["worker", "mirrormaker", "producer", "consumer", "admin"],
        )
    }

    /// `producer.x`, `consumer.x`, `admin.x`: a key of that client, or unknown.
    fn client_prefixed(&'static self, key: &str) -> Option<Lookup> {
        CLIENTS.iter().find_map(|(client, _)| {
            let rest = key.strip_prefix(client)?.strip_prefix('.')?;
            Some(match self.find(&[client], rest) {
                Some(info) => Lookup::Known(info),
                None if self.is_dynamic(&[client], rest) => Lookup::Dynamic,
                None => Lookup::Unknown,
            })
        })
    }

    fn misplaced(&self, key: &str, elsewhere: &[&str]) -> Lookup {
        let role = |scope: &str| match scope {
            "worker" => Role::Worker,
            "producer" => Role::Producer,
            "consumer" => Role::Consumer,
            "admin" => Role::Admin,
            "rest" => Role::Rest,
            "mirrormaker" => Role::MirrorMaker,
            _ => Role::Connector,
        };
        if let Some(scope) = elsewhere.iter().find(|s| self.find(&[s], key).is_some()) {
            return Lookup::Misplaced(role(scope));
        }
        // `producer.acks` at the top level: a client key under a prefix MirrorMaker2 ignores here.
        for (client, role) in CLIENTS {
            if let Some(rest) = key.strip_prefix(client).and_then(|r| r.strip_prefix('.')) {
                if self.find(&[client], rest).is_some() {
                    return Lookup::Misplaced(*role);
                }
            }
        }
        Lookup::Unknown
    }

    /// Parameters of a configured class (`key.converter.schemas.enable`, options of a
    /// `topic.filter.class`) or of providers and transforms: names Kafka does not fix.
    fn is_dynamic(&self, scopes: &[&str], key: &str) -> bool {
        DYNAMIC_PREFIXES.iter().any(|p| key.starts_with(p))
            || key.match_indices('.').any(|(i, _)| {
                matches!(
                    self.find(scopes, &key[..i]).map(|k| k.kind),
                    Some(Kind::Class) | Some(Kind::List)
                )
            })
    }

    /// The closest key MirrorMaker2 reads at this scope, with its prefix.
    pub fn suggest(&self, scope: Scope, key: &str) -> Option<String> {
        let mut names: Vec<String> = Vec::new();
        let own: &[&str] = match scope {
            Scope::TopLevel => &["mirrormaker", "source", "checkpoint", "heartbeat", "client"],
            Scope::Cluster => &["client", "worker"],
            Scope::Flow => CONNECTORS,
        };
        names.extend(self.names(own).map(str::to_string));
        if scope == Scope::TopLevel {
            names.extend(
                self.names(&["worker"])
                    .filter(|k| TOP_LEVEL_WORKER_PREFIXES.iter().any(|p| k.starts_with(p)))
                    .map(str::to_string),
            );
        }
        if scope != Scope::TopLevel {
            for (client, _) in CLIENTS {
                names.extend(self.names(&[client]).map(|k| format!("{client}.{k}")));
            }
        }
        did_you_mean(key, names.iter().map(String::as_str)).map(str::to_string)
    }
}

/// What is wrong with a value, as MirrorMaker2's ConfigDef would see it, and how to write it.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueProblem {
    pub problem: String,
    pub help: String,
}

fn problem(problem: impl Into<String>, help: impl Into<String>) -> Option<ValueProblem> {
    Some(ValueProblem {
        problem: problem.into(),
        help: help.into(),
    })
}

/// Checks a value the way `ConfigDef.parseType` and the key's validator do. Values that refer
/// to a config provider (`${...}`) are resolved at start-up and not checked.
pub fn value_problem(info: &KeyInfo, raw: &str) -> Option<ValueProblem> {
    let value = raw.trim();
    if value.contains("${") {
        return None;
    }
    let number = |v: &str| -> Option<f64> {
        match info.kind {
            Kind::Short => v.parse::<i16>().ok().map(f64::from),
            Kind::Int => v.parse::<i32>().ok().map(f64::from),
            Kind::Long => v.parse::<i64>().ok().map(|n| n as f64),
            _ => v
                .trim_end_matches(['d', 'D', 'f', 'F'])
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite()),
        }
    };
    match info.kind {
        Kind::Boolean
            if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") =>
        {
            problem("not true or false", "write `true` or `false`")
        }
        Kind::Short | Kind::Int | Kind::Long | Kind::Double => {
            let Some(n) = number(value) else {
                let what = match info.kind {
                    Kind::Short => "not a whole number (16-bit)",
                    Kind::Int => "not a whole number (32-bit)",
                    Kind::Long => "not a whole number (64-bit)",
                    _ => "not a number",
                };
                let example = info.default.as_deref().filter(|d| number(d).is_some());
                let help = match (info.kind, example) {
                    (Kind::Double, Some(d)) => format!("write a number such as the default, `{d}`"),
                    (_, Some(d)) => format!("write a whole number such as the default, `{d}`"),
                    (Kind::Double, None) => "write a number, e.g. `0.5`".to_string(),
                    _ => "write a whole number, e.g. `3`".to_string(),
                };
                return problem(what, help);
            };
            let range = info.valid.clone().unwrap_or_default();
            if info.min.is_some_and(|min| n < min) || info.max.is_some_and(|max| n > max) {
                return problem(
                    format!("out of range {range}"),
                    format!("write a value in {range}"),
                );
            }
            None
        }
        Kind::String if !info.one_of.is_empty() => one_of(info, value),
        Kind::String if info.non_empty && value.is_empty() => {
            problem("empty", "give it a value or remove the line")
        }
        Kind::List => {
            if value.is_empty() {
                return if info.non_empty {
                    problem("an empty list", "give at least one value")
                } else {
                    None
                };
            }
            let items: Vec<&str> = value.split(',').map(str::trim).collect();
            if info.validated_list && items.iter().any(|i| i.is_empty()) {
                return problem(
                    "a list with an empty element",
                    "remove the extra comma: elements are separated by single commas",
                );
            }
            if info.one_of.is_empty() {
                return None;
            }
            items.iter().find_map(|i| one_of(info, i))
        }
        _ => None,
    }
}

fn one_of(info: &KeyInfo, value: &str) -> Option<ValueProblem> {
    let accepted = if info.case_insensitive {
        info.one_of.iter().any(|v| v.eq_ignore_ascii_case(value))
    } else {
        info.one_of.iter().any(|v| v == value)
    };
    if accepted {
        return None;
    }
    let choices = info
        .one_of
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = match did_you_mean(value, info.one_of.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`? (one of {choices})"),
        None => format!("write one of {choices}"),
    };
    problem(format!("`{value}`, not one of the accepted values"), help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(l: Lookup) -> Option<Kind> {
        match l {
            Lookup::Known(info) => Some(info.kind),
            _ => None,
        }
    }

    #[test]
    fn table_is_for_the_pinned_kafka() {
        assert_eq!(
            KeyTable::pinned().kafka_version,
            crate::version::KAFKA_VERSION
        );
        assert!(
            TABLE_JSON.contains(&format!("\"kafka\": \"{}\"", crate::version::KAFKA_VERSION)),
            "regenerate the table with scripts/gen-mm2-keys and embed data/mm2-config-keys-{}.json",
            crate::version::KAFKA_VERSION
        );
    }

    #[test]
    fn table_has_every_config_def() {
        let t = KeyTable::pinned();
        for scope in [
            "mirrormaker",
            "client",
            "source",
            "checkpoint",
            "heartbeat",
            "worker",
            "rest",
            "producer",
            "consumer",
            "admin",
        ] {
            assert!(t.scopes.get(scope).is_some_and(|k| k.len() > 5), "{scope}");
        }
    }

    #[test]
    fn finds_keys_where_mirrormaker2_reads_them() {
        let t = KeyTable::pinned();
        let top = |k| known(t.lookup(Scope::TopLevel, k));
        assert_eq!(top("replication.factor"), Some(Kind::Int));
        assert_eq!(top("sync.topic.acls.enabled"), Some(Kind::Boolean));
        assert_eq!(top("offset.storage.replication.factor"), Some(Kind::Short));
        assert_eq!(top("tasks.max"), Some(Kind::Int));
        assert_eq!(top("security.protocol"), Some(Kind::String));
        assert_eq!(top("clusters"), Some(Kind::List));
        assert!(matches!(
            t.lookup(Scope::TopLevel, "config.providers.secrets.class"),
            Lookup::Dynamic
        ));
        assert!(matches!(
            t.lookup(Scope::TopLevel, "replication.policy.custom.option"),
            Lookup::Dynamic
        ));
        let cluster = |k| known(t.lookup(Scope::Cluster, k));
        assert_eq!(cluster("consumer.max.poll.records"), Some(Kind::Int));
        assert_eq!(cluster("ssl.truststore.location"), Some(Kind::String));
        assert_eq!(cluster("offset.flush.timeout.ms"), Some(Kind::Long));
        let flow = |k| known(t.lookup(Scope::Flow, k));
        assert_eq!(flow("enabled"), Some(Kind::Boolean));
        assert_eq!(flow("topics"), Some(Kind::List));
        assert_eq!(flow("producer.acks"), Some(Kind::String));
        assert_eq!(flow("target.consumer.max.poll.records"), Some(Kind::Int));
        assert_eq!(flow("source.cluster.security.protocol"), Some(Kind::String));
        assert!(matches!(
            t.lookup(Scope::TopLevel, "replicaton.factor"),
            Lookup::Unknown
        ));
        assert!(matches!(
            t.lookup(Scope::Cluster, "consumer.max.pol.records"),
            Lookup::Unknown
        ));
    }

    #[test]
    fn real_keys_in_the_wrong_scope_are_misplaced() {
        let t = KeyTable::pinned();
        let role = |s, k| match t.lookup(s, k) {
            Lookup::Misplaced(r) => Some(r),
            _ => None,
        };
        // MirrorMaker2 ignores client keys at the top level ...
        assert_eq!(role(Scope::TopLevel, "producer.acks"), Some(Role::Producer));
        assert_eq!(
            role(Scope::TopLevel, "max.poll.records"),
            Some(Role::Consumer)
        );
        // ... and worker keys outside the storage/converter/task/worker prefixes
        assert_eq!(role(Scope::TopLevel, "group.id"), Some(Role::Worker));
        assert_eq!(
            role(Scope::TopLevel, "rest.extension.classes"),
            Some(Role::Rest)
        );
        // a connector key on a cluster, a worker key on a flow
        assert_eq!(
            role(Scope::Cluster, "replication.factor"),
            Some(Role::Connector)
        );
        assert_eq!(
            role(Scope::Cluster, "max.poll.records"),
            Some(Role::Consumer)
        );
        assert_eq!(
            role(Scope::Flow, "offset.storage.replication.factor"),
            Some(Role::Worker)
        );
        assert_eq!(role(Scope::Flow, "clusters"), Some(Role::MirrorMaker));
    }

    #[test]
    fn suggests_spellings_of_the_scope() {
        let t = KeyTable::pinned();
        assert_eq!(
            t.suggest(Scope::TopLevel, "replicaton.factor").as_deref(),
            Some("replication.factor")
        );
        assert_eq!(
            t.suggest(Scope::Cluster, "consumer.max.pol.records")
                .as_deref(),
            Some("consumer.max.poll.records")
        );
        assert_eq!(
            t.suggest(Scope::Flow, "emit.checkpoint.interval.seconds")
                .as_deref(),
            Some("emit.checkpoints.interval.seconds")
        );
    }

    #[test]
    fn values_are_checked_like_configdef_does() {
        let t = KeyTable::pinned();
        let check = |scope, key, value: &str| match t.lookup(scope, key) {
            Lookup::Known(info) => value_problem(info, value).map(|p| p.problem),
            other => panic!("{key}: {other:?}"),
        };
        use Scope::*;
        assert_eq!(
            check(TopLevel, "replication.factor", "two").as_deref(),
            Some("not a whole number (32-bit)")
        );
        assert_eq!(check(TopLevel, "replication.factor", " 3 "), None);
        assert_eq!(
            check(TopLevel, "sync.topic.acls.enabled", "yes").as_deref(),
            Some("not true or false")
        );
        assert_eq!(check(TopLevel, "sync.topic.acls.enabled", "TRUE"), None);
        assert_eq!(
            check(TopLevel, "tasks.max", "0").as_deref(),
            Some("out of range [1,...]")
        );
        assert_eq!(
            check(TopLevel, "offset.storage.replication.factor", "70000").as_deref(),
            Some("not a whole number (16-bit)")
        );
        assert_eq!(check(TopLevel, "tasks.max", "${env:TASKS}"), None);
        let p = value_problem(
            match t.lookup(Flow, "offset-syncs.topic.location") {
                Lookup::Known(i) => i,
                _ => unreachable!(),
            },
            "targt",
        )
        .unwrap();
        assert!(p.help.contains("did you mean `target`?"), "{}", p.help);
        assert_eq!(check(Cluster, "security.protocol", "ssl"), None);
        assert!(check(Cluster, "security.protocol", "TLS").is_some());
        assert_eq!(
            check(TopLevel, "clusters", "a,,b").as_deref(),
            Some("a list with an empty element")
        );
        assert_eq!(check(TopLevel, "topics", "orders, payments.*"), None);
        assert!(check(Flow, "metric.names.formats", "legacy,neww").is_some());
        assert!(check(Cluster, "consumer.max.poll.records", "1.5").is_some());
    }
}
