//! Values of known keys checked the way MirrorMaker2's ConfigDef parses and validates them.

use crate::diagnostics::did_you_mean;

use super::keys::{KeyInfo, Kind};

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
                let example = info.default().filter(|d| number(d).is_some());
                let help = match (info.kind, example) {
                    (Kind::Double, Some(d)) => format!("write a number such as the default, `{d}`"),
                    (_, Some(d)) => format!("write a whole number such as the default, `{d}`"),
                    (Kind::Double, None) => "write a number, e.g. `0.5`".to_string(),
                    _ => "write a whole number, e.g. `3`".to_string(),
                };
                return problem(what, help);
            };
            let range = info.valid().unwrap_or_default();
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
    let help = match did_you_mean(value, info.one_of.iter()) {
        Some(s) => format!("did you mean `{s}`? (one of {choices})"),
        None => format!("write one of {choices}"),
    };
    problem(format!("`{value}`, not one of the accepted values"), help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::keys::{KeyTable, Lookup, Scope};

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
        assert_eq!(p.help, "did you mean `target`? (one of `source`, `target`)");
        assert_eq!(check(Cluster, "security.protocol", "ssl"), None);
        assert_eq!(check(Cluster, "security.protocol", "plaintext"), None);
        assert_eq!(check(Cluster, "security.protocol", "SASL_SSL"), None);
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
