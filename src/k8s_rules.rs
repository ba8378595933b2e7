//! The API server's own rules for values that mm2gen passes through or derives from user text,
//! as pure functions. The typed check (k8s-openapi) only knows the shape of an object; these
//! rules are what `kubectl apply` would refuse later, so they are checked here where the value
//! still has its place in the descriptor.
//!
//! Sources (Kubernetes 1.34): k8s.io/apimachinery/pkg/util/validation (names, labels),
//! k8s.io/apimachinery/pkg/api/validate/content (label keys and values),
//! k8s.io/apimachinery/pkg/api/resource (the quantity grammar and suffixes), and
//! pkg/apis/core/validation (resources, tolerations, affinity, the 1 MiB ConfigMap/Secret
//! limit). The unit tests use the valid and invalid examples of those packages' own tests.

use std::cmp::Ordering;

use serde_json::Value;

/// What the API server refuses in a value: where below the value (`limits.cpu`, `[0].key`;
/// empty for the value itself), what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at: String,
    /// The problem is the key of the map entry at `at`, not its value.
    pub on_key: bool,
    pub message: String,
    pub help: String,
}

impl Violation {
    fn new(at: impl Into<String>, message: impl Into<String>, help: impl Into<String>) -> Self {
        Violation {
            at: at.into(),
            on_key: false,
            message: message.into(),
            help: help.into(),
        }
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` of any length.
fn is_dns1123_label_text(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn dns1123_label(value: &str) -> Result<(), String> {
    if value.len() > 63 {
        return Err("must be no more than 63 characters".into());
    }
    if is_dns1123_label_text(value) {
        Ok(())
    } else {
        Err("must be a lowercase RFC 1123 label: lower case letters, digits or `-`, starting and ending with a letter or digit".into())
    }
}

/// DNS-1123 labels joined by `.`, at most 253 characters (names of most objects); the API
/// server's pattern does not limit the labels within to 63 characters.
pub fn dns1123_subdomain(value: &str) -> Result<(), String> {
    if value.len() > 253 {
        return Err("must be no more than 253 characters".into());
    }
    if value.is_empty() || value.split('.').any(|l| !is_dns1123_label_text(l)) {
        return Err("must be a lowercase RFC 1123 subdomain: lower case letters, digits, `-` or `.`, starting and ending with a letter or digit".into());
    }
    Ok(())
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (Service names).
pub fn dns1035_label(value: &str) -> Result<(), String> {
    dns1123_label(value)?;
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must be a DNS-1035 label: it must start with a lower case letter".into());
    }
    Ok(())
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: the name part of a label key, and a label value.
fn is_label_name(value: &str) -> bool {
    let b = value.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A label key (a "qualified name"): an optional DNS-1123 subdomain prefix and `/`, then a name
/// of at most 63 characters.
pub fn label_key(value: &str) -> Result<(), String> {
    let (prefix, name) = match value.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, value),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err("has an empty prefix before `/`".into());
        }
        if name.contains('/') {
            return Err("may hold at most one `/`".into());
        }
        dns1123_subdomain(prefix).map_err(|e| format!("has a prefix `{prefix}` that {e}"))?;
    }
    if name.is_empty() {
        return Err("has an empty name part".into());
    }
    if name.len() > 63 {
        return Err("has a name part longer than 63 characters".into());
    }
    if !is_label_name(name) {
        return Err("must be letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit (with an optional DNS subdomain prefix and `/`, e.g. `example.com/MyName`)".into());
    }
    Ok(())
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_`, `.`, starting and ending with
/// a letter or digit.
pub fn label_value(value: &str) -> Result<(), String> {
    if value.len() > 63 {
        return Err("is longer than 63 characters".into());
    }
    if !value.is_empty() && !is_label_name(value) {
        return Err("must be empty or letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit".into());
    }
    Ok(())
}

/// A key of a Secret or ConfigMap (`[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or
/// `..`): it is also a file name in the mounted volume.
pub fn data_key(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("is empty".into());
    }
    if value.len() > 253 {
        return Err("is longer than 253 characters".into());
    }
    if value == "." || value == ".." {
        return Err("may not be `.` or `..`".into());
    }
    if !value
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        return Err("may hold only letters, digits, `.`, `_` and `-`".into());
    }
    Ok(())
}

/// The API server's limit on the data of one ConfigMap or Secret (`MaxSecretSize`, also used
/// for ConfigMaps), counted over the values.
pub const MAX_DATA_BYTES: usize = 1024 * 1024;

/// A Kubernetes quantity (`500m`, `1Gi`, `1e3`, `0.5`), kept exactly: the value is
/// `sign * digits * 10^decimal_exponent * 2^binary_exponent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    negative: bool,
    /// The significant digits, without leading zeros ("" for zero).
    digits: String,
    decimal_exponent: i64,
    binary_exponent: u32,
}

impl Quantity {
    /// Parses `<sign>?<number><suffix>` as `resource.ParseQuantity` does: the number is
    /// `digits`, `digits.`, `digits.digits` or `.digits`; the suffix is a binary SI one (`Ki` to
    /// `Ei`), a decimal SI one (`n`, `u`, `m`, none, `k`, `M`, `G`, `T`, `P`, `E`), or `e`/`E`
    /// and a signed integer exponent. Nothing else, no spaces.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        if text.is_empty() {
            return Err("is empty".into());
        }
        let (negative, rest) = match text.as_bytes()[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after_int) = rest.split_at(int_len);
        let (frac_part, suffix) = match after_int.strip_prefix('.') {
            Some(after_dot) => {
                let n = after_dot.bytes().take_while(u8::is_ascii_digit).count();
                after_dot.split_at(n)
            }
            None => ("", after_int),
        };
        let (decimal, binary) = match suffix {
            "Ki" => (0, 10),
            "Mi" => (0, 20),
            "Gi" => (0, 30),
            "Ti" => (0, 40),
            "Pi" => (0, 50),
            "Ei" => (0, 60),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "" => (0, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            s if s.starts_with(['e', 'E']) => {
                let exp = &s[1..];
                let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("has the unknown suffix `{s}`"));
                }
                let e: i64 = exp
                    .parse::<i32>()
                    .map_err(|_| format!("has the exponent `{s}`, which is out of range"))?
                    .into();
                (e, 0)
            }
            _ if int_part.is_empty() && frac_part.is_empty() => {
                return Err("does not start with a number".into())
            }
            s => return Err(format!("has the unknown suffix `{s}`")),
        };
        // Without digits ParseQuantity reads the number as 0 on its int64 fast path (`m`,
        // `Gi`, `-` are accepted as zero); where that path is not taken (a scale below nano,
        // a binary suffix above Ti) it parses the empty text as a decimal and fails.
        if int_part.is_empty() && frac_part.is_empty() && !(binary <= 40 && decimal >= -9) {
            return Err("does not start with a number".into());
        }
        let all = format!("{int_part}{frac_part}");
        let trimmed = all.trim_start_matches('0');
        let trailing = trimmed.len() - trimmed.trim_end_matches('0').len();
        let digits = trimmed.trim_end_matches('0').to_string();
        Ok(Quantity {
            negative: negative && !digits.is_empty(),
            decimal_exponent: decimal - frac_part.len() as i64 + trailing as i64,
            binary_exponent: if digits.is_empty() { 0 } else { binary },
            digits,
        })
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Whether the value is a whole number.
    pub fn is_integer(&self) -> bool {
        self.digits.is_empty() || self.decimal_exponent >= 0
    }

    /// The magnitude as `mantissa * 10^exp`, exactly, when it fits in 128 bits.
    fn exact(&self) -> Option<(u128, i64)> {
        let mut m: u128 = self
            .digits
            .parse()
            .ok()
            .or(self.digits.is_empty().then_some(0))?;
        m = m.checked_mul(1u128.checked_shl(self.binary_exponent)?)?;
        Some((m, self.decimal_exponent))
    }

    fn approximate(&self) -> f64 {
        let m: f64 = self.digits.parse().unwrap_or(0.0);
        m * 10f64.powi(self.decimal_exponent.clamp(-400, 400) as i32)
            * 2f64.powi(self.binary_exponent as i32)
    }

    /// Compares two non-negative quantities exactly (approximately only beyond 128 bits, far
    /// past any real resource amount).
    pub fn cmp_magnitude(&self, other: &Quantity) -> Ordering {
        if let (Some((a, ea)), Some((b, eb))) = (self.exact(), other.exact()) {
            let scale = |m: u128, by: i64| {
                u32::try_from(by)
                    .ok()
                    .and_then(|by| 10u128.checked_pow(by))
                    .and_then(|f| m.checked_mul(f))
            };
            let low = ea.min(eb);
            if let (Some(a), Some(b)) = (scale(a, ea - low), scale(b, eb - low)) {
                return a.cmp(&b);
            }
        }
        self.approximate()
            .partial_cmp(&other.approximate())
            .unwrap_or(Ordering::Equal)
    }
}

const QUANTITY_HELP: &str = "write a Kubernetes quantity such as `500m`, `2`, `0.5`, `1e3`, `512Mi` or `2Gi` (a number, then an optional suffix n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or e<exponent>)";

/// Container resource names the API server accepts without a domain prefix.
fn is_standard_container_resource(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-")
}

/// Extended resources (`example.com/gpu`) are not overcommitted: their request must equal
/// the limit. Hugepages neither.
fn overcommit_allowed(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    native && !name.starts_with("hugepages-")
}

/// `ValidateResourceRequirements` for a container: resource names, quantities that parse and
/// are not negative (whole numbers for extended resources), requests not above limits.
pub fn check_resources(value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut parsed: [Vec<(String, Quantity)>; 2] = [Vec::new(), Vec::new()];
    for (slot, group) in ["limits", "requests"].into_iter().enumerate() {
        let Some(Value::Object(map)) = value.get(group) else {
            continue;
        };
        for (name, q) in map {
            let at = format!("{group}.{name}");
            let name_problem = if name.contains('/') {
                label_key(name).err()
            } else if !is_standard_container_resource(name) {
                Some("is not a container resource (cpu, memory, ephemeral-storage, hugepages-<size>, or a domain-prefixed extended resource)".to_string())
            } else {
                None
            };
            if let Some(why) = name_problem {
                out.push(Violation::new(
                    &at,
                    format!("resource name `{name}` {why}"),
                    "use `cpu` or `memory` (MirrorMaker2 needs nothing else)",
                ));
                continue;
            }
            // A YAML number (`cpu: 1`) is a quantity too; mm2gen writes it as a string.
            let text = match q {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            let text = text.as_str();
            match Quantity::parse(text) {
                Err(why) => out.push(Violation::new(
                    &at,
                    format!(
                        "`{}` is not a Kubernetes quantity: it {why}",
                        text.escape_default()
                    ),
                    QUANTITY_HELP,
                )),
                Ok(q) if q.is_negative() => out.push(Violation::new(
                    &at,
                    format!("`{text}` is negative"),
                    "a resource amount must be zero or more",
                )),
                Ok(q) if !overcommit_allowed(name) && name.contains('/') && !q.is_integer() => out
                    .push(Violation::new(
                        &at,
                        format!("`{text}` is not a whole number"),
                        "an extended resource is counted in whole units",
                    )),
                Ok(q) => parsed[slot].push((name.clone(), q)),
            }
        }
    }
    let [limits, requests] = &parsed;
    for (name, request) in requests {
        let text = |group: &str| match &value[group][name] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match limits.iter().find(|(n, _)| n == name) {
            Some((_, limit)) => {
                let order = request.cmp_magnitude(limit);
                if !overcommit_allowed(name) && order != Ordering::Equal {
                    out.push(Violation::new(
                        format!("requests.{name}"),
                        format!(
                            "the request `{}` of `{name}` must equal its limit `{}`",
                            text("requests"),
                            text("limits")
                        ),
                        format!(
                            "give `{name}` the same request and limit: it cannot be overcommitted"
                        ),
                    ));
                } else if order == Ordering::Greater {
                    out.push(Violation::new(
                        format!("requests.{name}"),
                        format!(
                            "the request `{}` of `{name}` is above its limit `{}`",
                            text("requests"),
                            text("limits")
                        ),
                        format!("lower the request of `{name}` or raise its limit: a container may not request more than its limit"),
                    ));
                }
            }
            None if !overcommit_allowed(name) => out.push(Violation::new(
                format!("limits.{name}"),
                format!("`{name}` has a request but no limit"),
                format!("set `limits.{name}` to the request: it cannot be overcommitted"),
            )),
            None => {}
        }
    }
    out
}

fn str_field<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// `ValidateTolerations`.
pub fn check_tolerations(value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (i, t) in value.as_array().into_iter().flatten().enumerate() {
        let (key, operator, value, effect) = (
            str_field(t, "key"),
            str_field(t, "operator"),
            str_field(t, "value"),
            str_field(t, "effect"),
        );
        if !key.is_empty() {
            if let Err(why) = label_key(key) {
                out.push(Violation::new(
                    format!("[{i}].key"),
                    format!("toleration key `{}` {why}", key.escape_default()),
                    "use the key of the node taint, e.g. `dedicated` or `example.com/dedicated`",
                ));
            }
        } else if operator != "Exists" {
            out.push(Violation::new(
                format!("[{i}].operator"),
                "a toleration without `key` must have `operator: Exists` (it then matches every taint)",
                "add the taint's `key`, or set `operator: Exists`",
            ));
        }
        if t.get("tolerationSeconds").is_some_and(|s| !s.is_null()) && effect != "NoExecute" {
            out.push(Violation::new(
                format!("[{i}].effect"),
                "`tolerationSeconds` needs `effect: NoExecute`",
                "set `effect: NoExecute`, or remove `tolerationSeconds`",
            ));
        }
        match operator {
            "" | "Equal" => {
                if let Err(why) = label_value(value) {
                    out.push(Violation::new(
                        format!("[{i}].value"),
                        format!("toleration value `{}` {why}", value.escape_default()),
                        "use the value of the node taint",
                    ));
                }
            }
            "Exists" if !value.is_empty() => out.push(Violation::new(
                format!("[{i}].value"),
                "a toleration with `operator: Exists` may not have a `value`",
                "remove `value`, or use `operator: Equal`",
            )),
            "Exists" => {}
            other => out.push(Violation::new(
                format!("[{i}].operator"),
                format!(
                    "toleration operator `{}` is not supported",
                    other.escape_default()
                ),
                "use `Equal` or `Exists`",
            )),
        }
        if !matches!(effect, "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            out.push(Violation::new(
                format!("[{i}].effect"),
                format!("toleration effect `{}` is not supported", effect.escape_default()),
                "use `NoSchedule`, `PreferNoSchedule` or `NoExecute` (or leave it out to match every effect)",
            ));
        }
    }
    out
}

/// `ValidateLabels` for a map of label keys to values (nodeSelector, matchLabels).
pub fn check_labels(value: &Value, at: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    for (k, v) in value.as_object().into_iter().flatten() {
        let path = if at.is_empty() {
            k.clone()
        } else {
            format!("{at}.{k}")
        };
        if let Err(why) = label_key(k) {
            out.push(Violation {
                on_key: true,
                ..Violation::new(
                    &path,
                    format!("label key `{}` {why}", k.escape_default()),
                    "use a label key of the nodes or pods, e.g. `kubernetes.io/os` or `node-role`",
                )
            });
        }
        if let Err(why) = label_value(v.as_str().unwrap_or_default()) {
            out.push(Violation::new(
                &path,
                format!(
                    "label value `{}` {why}",
                    v.as_str().unwrap_or_default().escape_default()
                ),
                "use a label value as the nodes or pods carry it",
            ));
        }
    }
    out
}

/// A node selector requirement (`ValidateNodeSelectorRequirement`): a label key, an operator,
/// and values as the operator needs them.
fn check_node_requirement(r: &Value, at: &str, field_selector: bool, out: &mut Vec<Violation>) {
    let key = str_field(r, "key");
    let operator = str_field(r, "operator");
    let values: Vec<&str> = r
        .get("values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or_default())
        .collect();
    if !field_selector {
        if let Err(why) = label_key(key) {
            out.push(Violation::new(
                format!("{at}.key"),
                format!("label key `{}` {why}", key.escape_default()),
                "use a label key of the nodes, e.g. `kubernetes.io/os` or `topology.kubernetes.io/zone`",
            ));
        }
    }
    let problem = match operator {
        "In" | "NotIn" if values.is_empty() => {
            Some(format!("`{operator}` needs at least one value in `values`"))
        }
        "Exists" | "DoesNotExist" if !values.is_empty() => {
            Some(format!("`{operator}` takes no `values`"))
        }
        "Gt" | "Lt" if values.len() != 1 || values[0].parse::<i64>().is_err() => Some(format!(
            "`{operator}` needs exactly one whole number in `values`"
        )),
        "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => None,
        other => Some(format!(
            "operator `{}` is not supported",
            other.escape_default()
        )),
    };
    if let Some(p) = problem {
        out.push(Violation::new(
            format!("{at}.operator"),
            p,
            "use `In` or `NotIn` with values, `Exists` or `DoesNotExist` without, `Gt` or `Lt` with one number",
        ));
    }
    if matches!(operator, "In" | "NotIn") && !field_selector {
        for (j, v) in values.iter().enumerate() {
            if let Err(why) = label_value(v) {
                out.push(Violation::new(
                    format!("{at}.values[{j}]"),
                    format!("label value `{}` {why}", v.escape_default()),
                    "use a label value as the nodes carry it",
                ));
            }
        }
    }
}

fn check_node_selector_term(term: &Value, at: &str, out: &mut Vec<Violation>) {
    for (field, is_field) in [("matchExpressions", false), ("matchFields", true)] {
        for (i, r) in term
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            check_node_requirement(r, &format!("{at}.{field}[{i}]"), is_field, out);
        }
    }
}

/// A label selector (`ValidateLabelSelector`): matchLabels and matchExpressions.
fn check_label_selector(sel: &Value, at: &str, out: &mut Vec<Violation>) {
    if let Some(m) = sel.get("matchLabels") {
        out.extend(check_labels(m, &format!("{at}.matchLabels")));
    }
    for (i, r) in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("{at}.matchExpressions[{i}]");
        let key = str_field(r, "key");
        if let Err(why) = label_key(key) {
            out.push(Violation::new(
                format!("{at}.key"),
                format!("label key `{}` {why}", key.escape_default()),
                "use a label key of the pods, e.g. `app.kubernetes.io/name`",
            ));
        }
        let operator = str_field(r, "operator");
        let n = r
            .get("values")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let problem = match operator {
            "In" | "NotIn" if n == 0 => Some(format!("`{operator}` needs at least one value")),
            "Exists" | "DoesNotExist" if n > 0 => Some(format!("`{operator}` takes no values")),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => None,
            other => Some(format!(
                "operator `{}` is not supported",
                other.escape_default()
            )),
        };
        if let Some(p) = problem {
            out.push(Violation::new(
                format!("{at}.operator"),
                p,
                "use `In` or `NotIn` with values, `Exists` or `DoesNotExist` without",
            ));
        }
        for (j, v) in r
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let v = v.as_str().unwrap_or_default();
            if let Err(why) = label_value(v) {
                out.push(Violation::new(
                    format!("{at}.values[{j}]"),
                    format!("label value `{}` {why}", v.escape_default()),
                    "use a label value as the pods carry it",
                ));
            }
        }
    }
}

fn check_pod_affinity_term(term: &Value, at: &str, out: &mut Vec<Violation>) {
    for sel in ["labelSelector", "namespaceSelector"] {
        if let Some(s) = term.get(sel).filter(|s| !s.is_null()) {
            check_label_selector(s, &format!("{at}.{sel}"), out);
        }
    }
    let topology = str_field(term, "topologyKey");
    let problem = if topology.is_empty() {
        Some("`topologyKey` is required".to_string())
    } else {
        label_key(topology)
            .err()
            .map(|why| format!("topologyKey `{}` {why}", topology.escape_default()))
    };
    if let Some(p) = problem {
        out.push(Violation::new(
            format!("{at}.topologyKey"),
            p,
            "use a node label key such as `kubernetes.io/hostname` or `topology.kubernetes.io/zone`",
        ));
    }
}

fn check_weight(w: &Value, at: &str, out: &mut Vec<Violation>) {
    let weight = w.get("weight").and_then(Value::as_i64).unwrap_or(0);
    if !(1..=100).contains(&weight) {
        out.push(Violation::new(
            format!("{at}.weight"),
            format!("weight {weight} is outside 1-100"),
            "give each preferred term a weight from 1 to 100",
        ));
    }
}

fn items<'a>(v: &'a Value, path: &[&str]) -> impl Iterator<Item = (usize, &'a Value)> {
    let mut cur = Some(v);
    for p in path {
        cur = cur.and_then(|c| c.get(p));
    }
    cur.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// `validateAffinity`: node affinity terms, pod (anti-)affinity terms and weights.
pub fn check_affinity(value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    let na = "nodeAffinity";
    let required = "requiredDuringSchedulingIgnoredDuringExecution";
    let preferred = "preferredDuringSchedulingIgnoredDuringExecution";
    for (i, term) in items(value, &[na, required, "nodeSelectorTerms"]) {
        let at = format!("{na}.{required}.nodeSelectorTerms[{i}]");
        check_node_selector_term(term, &at, &mut out);
    }
    for (i, w) in items(value, &[na, preferred]) {
        let at = format!("{na}.{preferred}[{i}]");
        check_weight(w, &at, &mut out);
        if let Some(p) = w.get("preference") {
            check_node_selector_term(p, &format!("{at}.preference"), &mut out);
        }
    }
    for pa in ["podAffinity", "podAntiAffinity"] {
        for (i, term) in items(value, &[pa, required]) {
            check_pod_affinity_term(term, &format!("{pa}.{required}[{i}]"), &mut out);
        }
        for (i, w) in items(value, &[pa, preferred]) {
            let at = format!("{pa}.{preferred}[{i}]");
            check_weight(w, &at, &mut out);
            if let Some(t) = w.get("podAffinityTerm") {
                check_pod_affinity_term(t, &format!("{at}.podAffinityTerm"), &mut out);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Examples from k8s.io/apimachinery/pkg/util/validation/validation_test.go.
    #[test]
    fn label_keys_follow_the_qualified_name_rule() {
        for ok in [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "1234",
            "simple/simple",
            "now-with-dashes/simple",
            "now-with-dashes/now-with-dashes",
            "now.with.dots/simple",
            "now-with.dashes-and.dots/simple",
            "1-num.2-num/3-num",
            "1234/5678",
            "1.2.3.4/5678",
            "Uppercase_Is_OK_123",
            "example.com/Uppercase_Is_OK_123",
            "requests.storage-foo",
        ] {
            assert_eq!(label_key(ok), Ok(()), "{ok}");
        }
        let long_name = "a".repeat(64);
        let long_prefix = format!("{}/b", "a".repeat(254));
        for bad in [
            "nospecialchars%^=@",
            "cantendwithadash-",
            "-cantstartwithadash-",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "/simple",
            long_name.as_str(),
            long_prefix.as_str(),
            "",
        ] {
            assert!(label_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_values_follow_the_rule() {
        for ok in [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "end-with-num-1",
            "1234",
            &"a".repeat(63),
            "",
        ] {
            assert_eq!(label_value(ok), Ok(()), "{ok}");
        }
        for bad in [
            &"a".repeat(64),
            "-starts-with-dash",
            "ends-with-dash-",
            ".starts.with.dot",
            "ends.with.dot.",
            "nospecialchars%^=@",
            "Tama-nui-te-rā.is.Māori.sun",
            "\\backslashes\\are\\bad",
            "-starts-with-dash",
            "has space",
            "3.6.0\n",
        ] {
            assert!(label_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_names() {
        for ok in [
            "a",
            "ab",
            "abc",
            "a1",
            "a-1",
            "a--1--2--b",
            "0",
            "01",
            "012",
            "1a",
            "1-a",
        ] {
            assert_eq!(dns1123_label(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "A",
            "ABC",
            "aBc",
            "A1",
            "A-1",
            "1-A",
            "-",
            "a-",
            "-a",
            "1-",
            "-1",
            "_",
            "a_",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(dns1123_label(bad).is_err(), "{bad}");
        }
        for ok in [
            "a.a",
            "1.a",
            "a.1",
            "0.0",
            "a-1.0-b",
            "a.b.c.d.e",
            &"a".repeat(253),
        ] {
            assert_eq!(dns1123_subdomain(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "A",
            "a.",
            ".a",
            "a..b",
            "a_b",
            "a@b",
            "../../etc",
            &"a".repeat(254),
        ] {
            assert!(dns1123_subdomain(bad).is_err(), "{bad}");
        }
        for ok in ["a", "ab", "a-1", "a--1--2--b"] {
            assert_eq!(dns1035_label(ok), Ok(()), "{ok}");
        }
        for bad in ["0", "01", "1a", "1-a", "", "A", "a-"] {
            assert!(dns1035_label(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn data_keys_are_file_names_in_the_volume() {
        for ok in [
            "a",
            "truststore.jks",
            "key_1-2.pem",
            ".dotfile",
            &"a".repeat(253),
        ] {
            assert_eq!(data_key(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../../etc/passwd",
            "a/b",
            "a b",
            &"a".repeat(254),
        ] {
            assert!(data_key(bad).is_err(), "{bad}");
        }
    }

    // Examples from k8s.io/apimachinery/pkg/api/resource/quantity_test.go.
    #[test]
    fn quantities_parse_as_the_api_server_parses_them() {
        for ok in [
            "0", "1", "500m", "1Gi", "1e3", "1E3", "1e-3", "0.5", ".5", "5.", "+1", "-1", "1.5Gi",
            "100n", "100u", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Ti", "1Pi", "1Ei",
            "0001", "1.0", "12e+6", "0.1m", "1e400", "1e-400",
            // No digits: zero, as kube-apiserver 1.34 reads them (checked with a dry run).
            "m", ".", "-", "+", "Gi", "Ki", "Ti", "e3", "e-9", "n", "-m",
        ] {
            assert!(Quantity::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "lots",
            "1.5.5",
            "1K",
            "1Kb",
            "1ki",
            "1e",
            "1ee3",
            "1e1.5",
            " 1",
            "1 ",
            "1 Gi",
            "1Gi ",
            "1,5",
            "0x10",
            "1.G.",
            "1%",
            "Pi",
            "Ei",
            "e-10",
            "1Mi1",
            "1e+",
            "1eM",
            "1e2147483648",
        ] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Quantity::parse("lots"),
            Err("does not start with a number".to_string())
        );
        assert_eq!(
            Quantity::parse("1.5.5"),
            Err("has the unknown suffix `.5`".to_string())
        );
        assert!(Quantity::parse("-1Gi").unwrap().is_negative());
        assert!(!Quantity::parse("-0").unwrap().is_negative());
        assert!(!Quantity::parse("-m").unwrap().is_negative());
        let zero = Quantity::parse("0").unwrap();
        assert_eq!(
            Quantity::parse("Gi").unwrap().cmp_magnitude(&zero),
            Ordering::Equal
        );
    }

    #[test]
    fn quantities_compare_exactly() {
        let q = |s| Quantity::parse(s).unwrap();
        assert_eq!(q("1Gi").cmp_magnitude(&q("1073741824")), Ordering::Equal);
        assert_eq!(q("1G").cmp_magnitude(&q("1Gi")), Ordering::Less);
        assert_eq!(q("500m").cmp_magnitude(&q("0.5")), Ordering::Equal);
        assert_eq!(q("1e3").cmp_magnitude(&q("1k")), Ordering::Equal);
        assert_eq!(q("2").cmp_magnitude(&q("1999m")), Ordering::Greater);
        assert_eq!(
            q("1000000000000000001").cmp_magnitude(&q("1E18")),
            Ordering::Greater
        );
        assert_eq!(q("0").cmp_magnitude(&q("0m")), Ordering::Equal);
        assert_eq!(q("1e400").cmp_magnitude(&q("1")), Ordering::Greater);
    }

    #[test]
    fn resources_are_checked_like_the_api_server() {
        let ok = json!({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}});
        assert_eq!(check_resources(&ok), vec![]);
        let ok = json!({"requests": {"cpu": "0.5", "example.com/gpu": "1"}, "limits": {"cpu": "1e3", "example.com/gpu": "1"}});
        assert_eq!(check_resources(&ok), vec![]);
        let at =
            |v: Value| -> Vec<String> { check_resources(&v).into_iter().map(|v| v.at).collect() };
        assert_eq!(at(json!({"limits": {"cpu": "lots"}})), ["limits.cpu"]);
        assert_eq!(at(json!({"limits": {"cpu": -1}})), ["limits.cpu"]);
        assert_eq!(
            at(json!({"requests": {"cpu": 2}, "limits": {"cpu": 1.5}})),
            ["requests.cpu"]
        );
        assert_eq!(
            at(json!({"limits": {"memory": "1.5.5"}})),
            ["limits.memory"]
        );
        assert_eq!(
            at(json!({"requests": {"memory": "-1Gi"}})),
            ["requests.memory"]
        );
        assert_eq!(
            at(json!({"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}})),
            ["requests.memory"]
        );
        assert_eq!(at(json!({"requests": {"cpus": "1"}})), ["requests.cpus"]);
        assert_eq!(
            at(json!({"requests": {"example.com/gpu": "1"}})),
            ["limits.example.com/gpu"]
        );
        assert_eq!(
            at(json!({"requests": {"example.com/gpu": "1"}, "limits": {"example.com/gpu": "2"}})),
            ["requests.example.com/gpu"]
        );
        assert_eq!(
            at(json!({"limits": {"example.com/gpu": "500m"}})),
            ["limits.example.com/gpu"]
        );
    }

    #[test]
    fn tolerations_are_checked_like_the_api_server() {
        let ok = json!([
            {"key": "dedicated", "operator": "Equal", "value": "kafka", "effect": "NoSchedule"},
            {"key": "example.com/node", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60},
            {"operator": "Exists"},
            {"key": "a", "value": ""},
        ]);
        assert_eq!(check_tolerations(&ok), vec![]);
        let at =
            |v: Value| -> Vec<String> { check_tolerations(&v).into_iter().map(|v| v.at).collect() };
        assert_eq!(
            at(json!([{"key": "a", "operator": "Exists", "value": "b"}])),
            ["[0].value"]
        );
        assert_eq!(
            at(json!([{"key": "a", "operator": "Is"}])),
            ["[0].operator"]
        );
        assert_eq!(
            at(json!([{"key": "a", "tolerationSeconds": 5, "effect": "NoSchedule"}])),
            ["[0].effect"]
        );
        assert_eq!(at(json!([{"key": "a b"}])), ["[0].key"]);
        assert_eq!(at(json!([{"value": "x"}])), ["[0].operator"]);
        assert_eq!(at(json!([{"key": "a", "effect": "Never"}])), ["[0].effect"]);
        assert_eq!(at(json!([{"key": "a", "value": "not ok"}])), ["[0].value"]);
    }

    #[test]
    fn affinity_and_selectors_use_label_rules() {
        let ok = json!({
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                                      {"key": "gen", "operator": "Gt", "values": ["3"]}]}]},
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}}]},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {
                "topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "mirrormaker2"}}}}]}
        });
        assert_eq!(check_affinity(&ok), vec![]);
        let bad = json!({
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "bad key", "operator": "In", "values": ["linux"]},
                                      {"key": "a", "operator": "In", "values": []},
                                      {"key": "a", "operator": "In", "values": ["-x"]}]}]}},
            "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": ""}],
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 0, "podAffinityTerm": {"topologyKey": "k"}}]}
        });
        let at: Vec<String> = check_affinity(&bad).into_iter().map(|v| v.at).collect();
        let r = "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions";
        assert_eq!(
            at,
            [
                format!("{r}[0].key"),
                format!("{r}[1].operator"),
                format!("{r}[2].values[0]"),
                "podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey".into(),
                "podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight".into(),
            ]
        );
        assert_eq!(
            check_labels(&json!({"kubernetes.io/os": "linux", "disk": ""}), ""),
            vec![]
        );
        let at: Vec<String> = check_labels(&json!({"bad/key/x": "v", "k": "bad value"}), "")
            .into_iter()
            .map(|v| v.at)
            .collect();
        assert_eq!(at, ["bad/key/x", "k"]);
    }
}
