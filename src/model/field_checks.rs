//! Values of the descriptor that the type check accepts but the API server, the JVM or
//! MirrorMaker2 would refuse later (`kubectl apply`, pod start): checked here, where the value
//! still has its place in the descriptor, with the rules of [`crate::k8s_rules`].

use std::collections::BTreeMap;

use regex_syntax::ast;

use crate::descriptor::{Credentials, Descriptor, Located};
use crate::diagnostics::{Collector, Diagnostic, Location};
use crate::k8s_rules::{self, Violation};
use crate::properties::Entry;

use crate::properties::UserProperties;

/// The path of a violation below a located value: `mirrorMaker2Spec.resources` + `limits.cpu`.
fn below(base: &str, at: &str) -> String {
    match at {
        "" => base.to_string(),
        a if a.starts_with('[') => format!("{base}{a}"),
        a => format!("{base}.{a}"),
    }
}

/// The location of the value at `path`, else of the nearest value above it that was written
/// (a missing `effect` is reported where its toleration is).
fn nearest_location(
    locations: &BTreeMap<String, Location>,
    path: &str,
    fallback: &Option<Location>,
) -> Option<Location> {
    let mut p = path;
    loop {
        if let Some(l) = locations.get(p) {
            return Some(l.clone());
        }
        match p.rfind(['.', '[']) {
            Some(i) => p = &p[..i],
            None => return fallback.clone(),
        }
    }
}

fn push_violations<T>(
    v: &Located<T>,
    locations: &BTreeMap<String, Location>,
    violations: Vec<Violation>,
    diags: &mut Collector,
) {
    for violation in violations {
        let path = below(&v.path, &violation.at);
        let key_location = violation
            .on_key
            .then(|| locations.get(&format!("{path}:key")).cloned())
            .flatten();
        let location = key_location.or_else(|| nearest_location(locations, &path, &v.location));
        diags.push(
            Diagnostic::error(format!("`{path}`: {}", violation.message))
                .at(location)
                .path(path)
                .help(violation.help),
        );
    }
}

/// The pod fields mm2gen passes through: resources, nodeSelector, tolerations, affinity.
pub fn check_pod_fields(d: &Descriptor, diags: &mut Collector) {
    let spec = &d.spec;
    let at = &spec.value_locations;
    if let Some(r) = &spec.resources {
        push_violations(r, at, k8s_rules::check_resources(&r.value), diags);
    }
    if let Some(n) = &spec.node_selector {
        push_violations(n, at, k8s_rules::check_labels(&n.value, ""), diags);
    }
    if let Some(t) = &spec.tolerations {
        push_violations(t, at, k8s_rules::check_tolerations(&t.value), diags);
    }
    if let Some(a) = &spec.affinity {
        push_violations(a, at, k8s_rules::check_affinity(&a.value), diags);
    }
}

/// Secret names are object names (DNS-1123 subdomains); Secret keys become file names in the
/// mounted volume, so `../../etc/passwd` would point outside it.
pub fn check_credentials(credentials: &Credentials, diags: &mut Collector) {
    let tls = credentials.tls.iter().flat_map(|t| {
        [
            (&t.secret_name, true),
            (&t.truststore_key, false),
            (&t.truststore_password_key, false),
            (&t.keystore_key, false),
            (&t.keystore_password_key, false),
            (&t.key_password_key, false),
        ]
    });
    let sasl = credentials
        .sasl
        .iter()
        .flat_map(|s| [(&s.secret_name, true), (&s.jaas_config_key, false)]);
    for (field, is_name) in tls.chain(sasl) {
        let Some(v) = field else { continue };
        let (result, what, help) = if is_name {
            (
                k8s_rules::dns1123_subdomain(&v.value),
                "Secret name",
                "name the Secret as it is in the cluster: lower-case letters, digits, `-` and `.`, at most 253 characters",
            )
        } else {
            (
                k8s_rules::data_key(&v.value),
                "Secret key",
                "use the key as it is in the Secret: letters, digits, `.`, `_` and `-`, at most 253 characters (it becomes a file name in the mounted Secret)",
            )
        };
        if let Err(why) = result {
            diags.push(
                v.diag(Diagnostic::error(format!(
                    "{what} `{}` in `{}` {why}",
                    v.value.escape_default(),
                    v.path
                )))
                .help(help),
            );
        }
    }
}

/// A JVM heap size (`-Xmx2G`): digits and an optional k, m, g or t (either case).
fn jvm_size(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor: u64 = match unit {
        "" => 1,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        "t" | "T" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// The heap options the JVM refuses at start: an unreadable or zero `-Xms`/`-Xmx`, and an
/// initial heap above the maximum (the last of each option counts, as in the JVM).
pub fn check_heap_opts(opts: &Located<String>, diags: &mut Collector) {
    let mut initial = None;
    let mut max = None;
    for option in opts.value.split_whitespace() {
        let (slot, name, size) = if let Some(size) = option.strip_prefix("-Xmx") {
            (&mut max, "maximum", size)
        } else if let Some(size) = option.strip_prefix("-Xms") {
            (&mut initial, "initial", size)
        } else {
            continue;
        };
        match jvm_size(size) {
            Some(0) if name == "maximum" => diags.push(
                opts.diag(Diagnostic::error(format!(
                    "`{option}` in kafkaHeapOpts sets a maximum heap of zero; the JVM does not start"
                )))
                .help("give a size such as `-Xmx2G`"),
            ),
            Some(bytes) => *slot = Some((option, bytes)),
            None => diags.push(
                opts.diag(Diagnostic::error(format!(
                    "`{}` in kafkaHeapOpts is not a heap size the JVM reads",
                    option.escape_default()
                )))
                .help("write a whole number and an optional unit k, m, g or t, e.g. `-Xms256M -Xmx2G`"),
            ),
        }
    }
    if let (Some((ms, initial)), Some((mx, max))) = (initial, max) {
        if initial > max {
            diags.push(
                opts.diag(Diagnostic::error(format!(
                    "kafkaHeapOpts sets an initial heap (`{ms}`) above the maximum (`{mx}`); the JVM does not start"
                )))
                .help("make -Xms at most -Xmx, e.g. `-Xms256M -Xmx2G`"),
            );
        }
    }
}

/// A ConfigMap or Secret whose data is over the API server's limit.
pub fn data_size_error(kind: &str, what: &str, bytes: usize) -> Option<Diagnostic> {
    (bytes > k8s_rules::MAX_DATA_BYTES).then(|| {
        Diagnostic::error(format!(
            "the {kind} for {what} would hold {bytes} bytes; the API server refuses more than {} (1 MiB)",
            k8s_rules::MAX_DATA_BYTES
        ))
        .help(match kind {
            "ConfigMap" => "shorten mirrorMaker2Properties (e.g. one `topics` pattern instead of a list of names), or split the flows over several descriptors",
            _ => "keep only the stores and passwords MirrorMaker2 needs in these files, or create the Secret yourself and name it with `tls.secretName`",
        })
    })
}

/// An image reference with a space, a tab or a line break: the API server takes it in a
/// Deployment (kube-apiserver 1.34 accepts `apache/kafka:3.9.0 --privileged`), but it is no
/// reference the kubelet can pull, and a line break in it would end the label it feeds.
pub fn check_image(image: &str) -> Result<(), String> {
    match image.chars().find(|c| c.is_whitespace() || c.is_control()) {
        Some(c) => Err(format!(
            "holds `{}`; an image reference has no spaces or control characters",
            c.escape_default()
        )),
        None if image.is_empty() => Err("is empty".into()),
        None => Ok(()),
    }
}

/// Whether a key is a topic or group filter list that MirrorMaker2 compiles as Java regular
/// expressions at start, at the top level or for one flow.
fn is_pattern_key(key: &str) -> bool {
    let setting = match key.split_once("->") {
        Some((_, rest)) => rest.split_once('.').map_or("", |(_, s)| s),
        None => key,
    };
    matches!(
        setting,
        "topics" | "topics.exclude" | "groups" | "groups.exclude"
    )
}

/// Syntax errors that Java's `Pattern.compile` reports too. Everything else the Rust parser
/// refuses may be Java syntax it lacks (look-around, possessive quantifiers, `\p{javaLower}`),
/// which MirrorMaker2 accepts.
fn java_refuses_too(pattern: &str, e: &ast::Error) -> bool {
    use ast::ErrorKind as K;
    match e.kind() {
        K::GroupUnclosed
        | K::GroupUnopened
        | K::ClassUnclosed
        | K::ClassRangeInvalid
        | K::RepetitionCountInvalid
        | K::RepetitionCountUnclosed
        | K::EscapeUnexpectedEof => true,
        K::RepetitionMissing => {
            let before = pattern[..e.span().start.offset].chars().next_back();
            matches!(before, None | Some('(' | '|'))
        }
        _ => false,
    }
}

/// A topic or group pattern that Java cannot compile: MirrorMaker2 fails at start with a
/// PatternSyntaxException. MirrorMaker2 splits the list at commas and joins the elements
/// with `|`.
pub fn check_patterns(props: &UserProperties, diags: &mut Collector) {
    for e in props.entries.iter().filter(|e| is_pattern_key(&e.key)) {
        let joined = e
            .value
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("|");
        let Err(error) = ast::parse::Parser::new().parse(&joined) else {
            continue;
        };
        if !java_refuses_too(&joined, &error) {
            continue;
        }
        diags.push(pattern_error(props, e, &joined, &error));
    }
}

fn pattern_error(
    props: &UserProperties,
    e: &Entry,
    joined: &str,
    error: &ast::Error,
) -> Diagnostic {
    props
        .diag_at_value(
            e,
            Diagnostic::error(format!(
                "`{}` is not a valid regular expression: {} (in `{}`)",
                e.key,
                error.kind(),
                joined.escape_default()
            )),
        )
        .label("MirrorMaker2 fails at start on this pattern")
        .help("fix the pattern: MirrorMaker2 splits the list at commas and compiles each element as a Java regular expression (a literal `.`, `(`, `[` or `{` needs a `\\`)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jvm_sizes_read_like_the_jvm() {
        assert_eq!(jvm_size("2G"), Some(2 << 30));
        assert_eq!(jvm_size("512m"), Some(512 << 20));
        assert_eq!(jvm_size("1024"), Some(1024));
        assert_eq!(jvm_size("1t"), Some(1 << 40));
        assert_eq!(jvm_size("2GB"), None);
        assert_eq!(jvm_size("G"), None);
        assert_eq!(jvm_size("1.5G"), None);
        assert_eq!(jvm_size("99999999999999999999G"), None);
    }

    #[test]
    fn pattern_keys_are_the_filter_lists() {
        for k in [
            "topics",
            "topics.exclude",
            "a->b.topics",
            "a->b.groups.exclude",
            "groups",
        ] {
            assert!(is_pattern_key(k), "{k}");
        }
        for k in [
            "a.topics",
            "topics.regex",
            "a->b.topics.blacklist.x",
            "replication.factor",
        ] {
            assert!(!is_pattern_key(k), "{k}");
        }
    }

    #[test]
    fn only_syntax_java_refuses_is_an_error() {
        let refused = |p: &str| match ast::parse::Parser::new().parse(p) {
            Ok(_) => false,
            Err(e) => java_refuses_too(p, &e),
        };
        for bad in [
            "orders.(", "[abc", "a)", "*x", "a|+b", "x{3,1}", "a\\", "a{1",
        ] {
            assert!(refused(bad), "{bad}");
        }
        for java_ok in [
            "orders\\..*",
            "(?!internal).*",
            "a*+",
            "(\\w+)\\1",
            "\\p{javaLowerCase}+",
            ".*",
        ] {
            assert!(!refused(java_ok), "{java_ok}");
        }
    }

    #[test]
    fn images_have_no_spaces() {
        assert!(check_image("apache/kafka:3.9.0").is_ok());
        assert!(check_image("registry:5000/apache/kafka@sha256:abc").is_ok());
        assert!(check_image("apache/kafka:3.9.0 --privileged").is_err());
        assert!(check_image("apache/kafka:3.9.0\n").is_err());
        assert!(check_image("").is_err());
    }
}
