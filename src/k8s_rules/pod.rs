//! The pod spec's rules of `pkg/apis/core/validation`: tolerations, node selector labels and
//! affinity (container resources: resources.rs), and the violation type they all report.

use serde_json::Value;

use super::names::{label_key, label_value};

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
    pub(super) fn new(
        at: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Violation {
            at: at.into(),
            on_key: false,
            message: message.into(),
            help: help.into(),
        }
    }
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
