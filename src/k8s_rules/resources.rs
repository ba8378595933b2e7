//! `ValidateResourceRequirements` of the API server for one container: resource names,
//! quantities, whole bytes and pages, requests against limits.

use std::cmp::Ordering;

use serde_json::Value;

use super::names::label_key;
use super::pod::Violation;
use super::quantity::{Quantity, Whole};

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
}
