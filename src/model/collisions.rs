//! Generated names made from user text (aliases become volume and Secret names, kube contexts
//! become directory names) must stay apart after sanitizing: `Src_A` and `src-a` both become
//! `src-a`. Two clusters would then share one Secret, or one Deployment would list a volume
//! twice, which the API server refuses.
//!
//! A collision is refused, not resolved with a hash suffix: users review these names in Git
//! and in the cluster, and a located error that says which two inputs meet is easier to act on
//! than a name that changes shape when a second alias appears.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::{Diagnostic, Location};

/// Where a piece of user text was written: its YAML path (or flag) and its location.
#[derive(Debug, Clone)]
pub struct Origin {
    pub path: String,
    pub location: Option<Location>,
}

impl Origin {
    /// `kafkaClusters[0].alias at d.yaml:4:12`
    pub fn describe(&self) -> String {
        match &self.location {
            Some(l) => format!("{} at {}:{}:{}", self.path, l.file.name, l.line, l.col + 1),
            None => self.path.clone(),
        }
    }
}

/// One generated name and the user text it was made from.
#[derive(Debug, Clone)]
pub struct Derived<'a> {
    pub name: String,
    pub input: &'a str,
    pub origin: Origin,
}

/// An error for every generated name that two different inputs give. `what`: the kind of
/// name (`volume name`); `input_kind`: what the inputs are (`cluster aliases`).
pub fn check(derived: &[Derived<'_>], what: &str, input_kind: &str, help: &str) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&str, &Derived<'_>> = BTreeMap::new();
    let mut reported: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut out = Vec::new();
    for d in derived {
        match first.get(d.name.as_str()) {
            Some(f) if f.input != d.input && reported.insert((&d.name, d.input)) => out.push(
                Diagnostic::error(format!(
                    "{input_kind} `{}` ({}) and `{}` ({}) both give the {what} `{}`",
                    f.input.escape_default(),
                    f.origin.describe(),
                    d.input.escape_default(),
                    d.origin.describe(),
                    d.name
                ))
                .at(d.origin.location.clone())
                .path(d.origin.path.clone())
                .help(help.to_string()),
            ),
            Some(_) => {}
            None => {
                first.insert(&d.name, d);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived<'a>(name: &str, input: &'a str) -> Derived<'a> {
        Derived {
            name: name.into(),
            input,
            origin: Origin {
                path: format!("alias {input}"),
                location: None,
            },
        }
    }

    #[test]
    fn only_different_inputs_with_one_name_collide() {
        let ok = [derived("a", "a"), derived("b", "b"), derived("a", "a")];
        let twice = [derived("x", "X"), derived("x", "x"), derived("x", "x")];
        assert_eq!(
            check(&twice, "Secret name", "cluster aliases", "h").len(),
            1
        );
        assert!(check(&ok, "volume name", "cluster aliases", "h").is_empty());
        let clash = [
            derived("src-a", "Src_A"),
            derived("b", "b"),
            derived("src-a", "src-a"),
        ];
        let errors = check(&clash, "volume name", "cluster aliases", "h");
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "cluster aliases `Src_A` (alias Src_A) and `src-a` (alias src-a) both give the volume name `src-a`"
        );
        assert_eq!(errors[0].yaml_path.as_deref(), Some("alias src-a"));
    }
}
