//! The pod spec's rules of `pkg/apis/core/validation`: container resources, tolerations,
//! node selector labels and affinity.

use std::cmp::Ordering;

use serde_json::Value;

use super::names::{label_key, label_value};
use super::quantity::{Quantity, Whole};

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

/// Whether the API server's `MilliValue` of `q` overflows 64 bits: it then sees a fraction of
/// a byte in any amount.
fn beyond_milli_range(q: &Quantity) -> bool {
    match q.whole() {
        Whole::Value(v) => v > (i64::MAX / 1000) as u128,
        Whole::TooLarge => true,
        Whole::Fraction => false,
    }
}

/// Resources counted in bytes, which the API server wants whole.
fn is_bytes(name: &str) -> bool {
    matches!(name, "memory" | "ephemeral-storage") || name.starts_with("hugepages-")
}

/// A `hugepages-<size>` amount must be a whole number of pages of a valid size (the API
/// server's `IsHugePageResourceValueDivisible`): what is wrong, and the help.
fn hugepages_problem(name: &str, amount: &Quantity, text: &str) -> Option<(String, String)> {
    let size = name.strip_prefix("hugepages-")?;
    let page = match Quantity::parse(size).map(|q| (q.is_negative(), q.whole())) {
        Ok((false, Whole::Value(page))) if page > 0 => page,
        _ => {
            return Some((
                format!("resource name `{name}` does not name a page size"),
                "name the node's page size, e.g. `hugepages-2Mi` or `hugepages-1Gi`".to_string(),
            ))
        }
    };
    match amount.whole() {
        Whole::Value(bytes) if bytes % page != 0 => Some((
            format!("`{text}` is not a whole number of `{size}` pages"),
            format!(
                "give `{name}` a multiple of its page size {size}, with the same request and limit"
            ),
        )),
        _ => None,
    }
}

/// `ValidateResourceRequirements` for a container: resource names, quantities that parse and
/// are not negative (whole numbers for extended resources, whole bytes for memory and storage,
/// whole pages for hugepages), hugepages only beside cpu or memory, requests not above limits.
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
                Ok(q) if is_bytes(name) && beyond_milli_range(&q) => out.push(Violation::new(
                    &at,
                    format!("`{text}` is more bytes than the API server can count"),
                    "give an amount below 8Pi (the API server counts bytes in thousandths within 64 bits)",
                )),
                Ok(q) if is_bytes(name) && !q.is_integer() => out.push(Violation::new(
                    &at,
                    format!("`{text}` is not a whole number of bytes"),
                    "give whole bytes, e.g. `512Mi` or `2Gi` (the API server calls a fractional byte value invalid)",
                )),
                Ok(q) => {
                    if let Some(problem) = hugepages_problem(name, &q, text) {
                        out.push(Violation::new(&at, problem.0, problem.1));
                        continue;
                    }
                    parsed[slot].push((name.clone(), q))
                }
            }
        }
    }
    let names = || {
        ["limits", "requests"]
            .into_iter()
            .filter_map(|g| value.get(g).and_then(Value::as_object))
            .flat_map(|m| m.keys().map(String::as_str))
    };
    if names().any(|n| n.starts_with("hugepages-")) && !names().any(|n| n == "cpu" || n == "memory")
    {
        out.push(Violation::new(
            "limits",
            "hugepages are requested without cpu or memory",
            "also request `memory` (or `cpu`): the API server refuses hugepages alone",
        ));
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
        check_requirement_values(values.iter().copied(), at, "nodes", out);
    }
}

/// A requirement's `values` are label values of the objects it selects (`nodes`, `pods`).
fn check_requirement_values<'a>(
    values: impl Iterator<Item = &'a str>,
    at: &str,
    selected: &str,
    out: &mut Vec<Violation>,
) {
    for (j, v) in values.enumerate() {
        if let Err(why) = label_value(v) {
            out.push(Violation::new(
                format!("{at}.values[{j}]"),
                format!("label value `{}` {why}", v.escape_default()),
                format!("use a label value as the {selected} carry it"),
            ));
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
        let values = r
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        check_requirement_values(
            values.map(|v| v.as_str().unwrap_or_default()),
            &at,
            "pods",
            out,
        );
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

    /// Found by the control-plane property test: the API server refuses hugepages that are not
    /// whole pages or come without cpu or memory, and warns about fractional bytes.
    #[test]
    fn bytes_are_whole_and_hugepages_whole_pages_beside_memory() {
        let at =
            |v: Value| -> Vec<String> { check_resources(&v).into_iter().map(|v| v.at).collect() };
        let ok = json!({"requests": {"memory": "0.5Gi", "ephemeral-storage": "1.5Ki"}, "limits": {"memory": "0.5Gi"}});
        assert_eq!(check_resources(&ok), vec![]);
        let ok = json!({"requests": {"memory": "1Gi", "hugepages-2Mi": "4Mi"}, "limits": {"memory": "1Gi", "hugepages-2Mi": "4Mi"}});
        assert_eq!(check_resources(&ok), vec![]);
        assert_eq!(
            at(json!({"requests": {"memory": "1m"}})),
            ["requests.memory"]
        );
        assert_eq!(
            at(json!({"limits": {"ephemeral-storage": "5.969"}})),
            ["limits.ephemeral-storage"]
        );
        assert_eq!(
            at(
                json!({"requests": {"cpu": "1", "hugepages-2Mi": "1Mi"}, "limits": {"hugepages-2Mi": "1Mi"}})
            ),
            ["limits.hugepages-2Mi", "requests.hugepages-2Mi"]
        );
        assert_eq!(
            at(json!({"requests": {"hugepages-2Mi": "2Mi"}, "limits": {"hugepages-2Mi": "2Mi"}})),
            ["limits"]
        );
        assert_eq!(
            at(json!({"requests": {"memory": "1Gi", "hugepages-x": "2Mi"}})),
            ["requests.hugepages-x"]
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

    #[test]
    fn requirement_values_name_the_objects_they_select_in_their_help() {
        let bad = json!({
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "a", "operator": "In", "values": ["ok", "-x"]}]}]}},
            "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "k",
                "labelSelector": {"matchExpressions": [{"key": "a", "operator": "In", "values": ["y-"]}]}}]}
        });
        let found: Vec<(String, String, String)> = check_affinity(&bad)
            .into_iter()
            .map(|v| (v.at, v.message, v.help))
            .collect();
        let nodes = "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[1]";
        let pods = "podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values[0]";
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, nodes);
        assert!(found[0].1.starts_with("label value `-x` "), "{found:?}");
        assert_eq!(found[0].2, "use a label value as the nodes carry it");
        assert_eq!(found[1].0, pods);
        assert!(found[1].1.starts_with("label value `y-` "), "{found:?}");
        assert_eq!(found[1].2, "use a label value as the pods carry it");
    }
}
