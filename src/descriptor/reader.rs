//! The reader's state and its primitives: located errors, the fields a map may have, typed
//! scalars and lists. The parts of the descriptor are read on top of these.

use crate::diagnostics::{did_you_mean_or, Collector, Diagnostic, Location, SourceFile};
use crate::yaml::{Node, Value};

use super::types::*;

pub(super) struct Reader {
    pub(super) file: SourceFile,
    pub(super) diags: Collector,
}

impl Reader {
    pub(super) fn loc(&self, node: &Node) -> Option<Location> {
        Some(node.location(&self.file))
    }

    pub(super) fn error(&mut self, node: &Node, path: &str, message: String, help: &str) {
        let d = Diagnostic::error(message)
            .at(self.loc(node))
            .path(path)
            .help(help);
        self.diags.push(d);
    }

    /// Checks that `node` is a mapping with only `allowed` keys. Null counts as an empty mapping.
    pub(super) fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        allowed: &[&str],
    ) -> Vec<(&'n str, &'n Node)> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Vec::new(),
            _ => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`{}` must be a mapping, found {what}", display_path(path)),
                    "write it as `key: value` lines indented under it",
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (key, value) in entries {
            let Some(k) = key.as_scalar().map(|s| s.text.as_str()) else {
                self.error(
                    key,
                    path,
                    "mapping keys must be plain strings".into(),
                    "use a simple key",
                );
                continue;
            };
            if allowed.contains(&k) {
                out.push((k, value));
            } else {
                let here = if path.is_empty() {
                    "the descriptor".to_string()
                } else {
                    format!("`{path}`")
                };
                let help = did_you_mean_or(k, allowed.iter().copied(), || {
                    format!("the fields of {here} are: {}", allowed.join(", "))
                });
                let d = Diagnostic::error(format!("unknown field `{k}` in {here}"))
                    .at(self.loc(key))
                    .label("not a known field")
                    .path(join(path, k))
                    .help(help);
                self.diags.push(d);
            }
        }
        out
    }

    pub(super) fn string(&mut self, node: &Node, path: &str) -> Option<Located<String>> {
        match &node.value {
            Value::Null => None,
            Value::Scalar(s) => Some(Located {
                value: s.text.clone(),
                location: self.loc(node),
                path: path.to_string(),
            }),
            _ => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`{}` must be a string, found {what}", display_path(path)),
                    "write a single value on the same line as the key",
                );
                None
            }
        }
    }

    pub(super) fn integer(&mut self, node: &Node, path: &str) -> Option<Located<i64>> {
        self.typed_scalar(
            node,
            path,
            Node::as_i64,
            "a whole number",
            "write a number without quotes, e.g. `1`",
        )
    }

    pub(super) fn boolean(&mut self, node: &Node, path: &str) -> Option<Located<bool>> {
        self.typed_scalar(
            node,
            path,
            Node::as_bool,
            "true or false",
            "write `true` or `false` without quotes",
        )
    }

    /// A plain scalar read as `T`; null counts as absent.
    pub(super) fn typed_scalar<T>(
        &mut self,
        node: &Node,
        path: &str,
        read: fn(&Node) -> Option<T>,
        expected: &str,
        help: &str,
    ) -> Option<Located<T>> {
        if node.is_null() {
            return None;
        }
        match read(node) {
            Some(value) => Some(Located {
                value,
                location: self.loc(node),
                path: path.to_string(),
            }),
            None => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`{}` must be {expected}, found {what}", display_path(path)),
                    help,
                );
                None
            }
        }
    }

    pub(super) fn json(&mut self, node: &Node, path: &str) -> Option<Located<serde_json::Value>> {
        (!node.is_null()).then(|| Located {
            value: node.to_json(),
            location: self.loc(node),
            path: path.to_string(),
        })
    }

    pub(super) fn list<'n>(&mut self, node: &'n Node, path: &str) -> &'n [Node] {
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                let what = node.kind_name();
                self.error(
                    node,
                    path,
                    format!("`{}` must be a list, found {what}", display_path(path)),
                    "write each entry on its own line starting with `- `",
                );
                &[]
            }
        }
    }
}

pub(super) fn empty_node(at: &Node) -> Node {
    Node {
        start: at.start,
        end: at.start,
        value: Value::Null,
    }
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(super) fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "the descriptor"
    } else {
        path
    }
}
