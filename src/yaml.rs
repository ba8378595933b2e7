//! A small YAML (and therefore JSON) document tree that remembers where every node came from.
//!
//! serde YAML deserializers drop positions once a value is deserialized, but every mm2gen error
//! must point at the user's line and column. saphyr-parser (the maintained successor of yaml-rust) gives
//! events with spans; we build a tree from them with the limits that keep hostile input cheap:
//! no aliases (alias bombs), bounded nesting depth, bounded size.

use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::diagnostics::{Diagnostic, Location, Result, SourceFile};

/// Inputs larger than this are refused before parsing: a descriptor is a few kilobytes.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;
/// Deeper nesting than this is refused; real descriptors and manifests nest about ten levels.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 0-based column, in characters.
    pub col: usize,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub start: Pos,
    pub end: Pos,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
pub struct Scalar {
    pub text: String,
    pub style: ScalarStyle,
}

impl Scalar {
    fn is_plain(&self) -> bool {
        self.style == ScalarStyle::Plain
    }
}

impl Node {
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(s) if s.is_plain() && self.as_bool().is_some() => "a boolean",
            Value::Scalar(s) if s.is_plain() && s.text.parse::<f64>().is_ok() => "a number",
            Value::Scalar(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The text of a scalar of any style.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(s) if s.is_plain() => match s.text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(s) if s.is_plain() => s.text.parse().ok(),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value under a string key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == key))
            .map(|(_, v)| v)
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_scalar().map(|s| s.text.as_str())
    }

    /// Converts to JSON the way Kubernetes reads YAML (YAML 1.2 core schema for plain scalars).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Scalar(s) if s.is_plain() => {
                if let Some(b) = self.as_bool() {
                    J::Bool(b)
                } else if let Ok(i) = s.text.parse::<i64>() {
                    J::from(i)
                } else if let Some(f) = plain_float(&s.text) {
                    serde_json::Number::from_f64(f).map_or(J::String(s.text.clone()), J::Number)
                } else {
                    J::String(s.text.clone())
                }
            }
            Value::Scalar(s) => J::String(s.text.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A mapping key as text (keys are scalars in every input we accept).
    pub fn key_text(&self) -> String {
        match &self.value {
            Value::Scalar(s) => s.text.clone(),
            Value::Null => "null".to_string(),
            _ => "<complex key>".to_string(),
        }
    }

    /// `self.key_text() == text`, without building the key's text.
    fn has_key_text(&self, text: &str) -> bool {
        match &self.value {
            Value::Scalar(s) => s.text == text,
            Value::Null => text == "null",
            _ => text == "<complex key>",
        }
    }

    pub fn location(&self, file: &SourceFile) -> Location {
        let len = if self.start.line == self.end.line {
            self.end.col.saturating_sub(self.start.col)
        } else {
            1
        };
        Location::new(file, self.start.line, self.start.col, len)
    }
}

fn plain_float(text: &str) -> Option<f64> {
    let looks_numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && text.chars().any(|c| c.is_ascii_digit());
    looks_numeric.then(|| text.parse().ok()).flatten()
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col + 1)
    }
}

fn pos(span: &Span, end: bool) -> Pos {
    let m = if end { span.end } else { span.start };
    Pos {
        line: m.line(),
        col: m.col(),
    }
}

enum Frame {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<(Node, Node)>, Option<Node>),
}

/// After this many aliases the rest go unreported: a file of nothing but aliases should not
/// print millions of errors.
const MAX_ALIAS_ERRORS: usize = 20;

/// Parses every document of a YAML (or JSON) stream.
pub fn parse_documents(file: &SourceFile) -> Result<Vec<Node>> {
    if file.text.len() > MAX_INPUT_BYTES {
        return Err(Diagnostic::error(format!(
            "{} is {} bytes; mm2gen reads inputs of at most {} bytes",
            file.name,
            file.text.len(),
            MAX_INPUT_BYTES
        ))
        .help("pass the descriptor itself, not an archive or a log")
        .into());
    }
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut finished: Option<Node> = None;
    let mut aliases: Vec<Diagnostic> = Vec::new();
    for event in Parser::new_from_str(&file.text) {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            Diagnostic::error(format!(
                "{} is not valid YAML or JSON: {}",
                file.name,
                e.info()
            ))
            .at(Some(Location::new(file, m.line(), m.col(), 1)))
            .label("the parser stopped here")
            .help("check the indentation and quoting around this line")
        })?;
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => continue,
            Event::DocumentStart(_) => continue,
            Event::DocumentEnd => {
                if let Some(doc) = finished.take() {
                    docs.push(doc);
                }
                continue;
            }
            Event::Alias(_) => {
                // Every alias is reported in one run; the null in its place is never read.
                aliases.push(
                    Diagnostic::error("YAML aliases (`*name`) are not supported")
                        .at(Some(Location::new(
                            file,
                            pos(&span, false).line,
                            pos(&span, false).col,
                            1,
                        )))
                        .label("alias used here")
                        .help("write the value out in full; aliases can expand exponentially"),
                );
                if aliases.len() == MAX_ALIAS_ERRORS {
                    break;
                }
                Node {
                    start: pos(&span, false),
                    end: pos(&span, true),
                    value: Value::Null,
                }
            }
            Event::Scalar(text, style, _, tag) => {
                let is_null = style == ScalarStyle::Plain
                    && tag.is_none()
                    && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                Node {
                    start: pos(&span, false),
                    end: pos(&span, true),
                    value: if is_null {
                        Value::Null
                    } else {
                        Value::Scalar(Scalar {
                            text: text.into_owned(),
                            style,
                        })
                    },
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Diagnostic::error(format!(
                        "{} nests deeper than {MAX_DEPTH} levels",
                        file.name
                    ))
                    .at(Some(Location::new(
                        file,
                        pos(&span, false).line,
                        pos(&span, false).col,
                        1,
                    )))
                    .help("a descriptor nests a few levels; check that this is the right file")
                    .into());
                }
                let start = pos(&span, false);
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq(start, Vec::new())
                } else {
                    Frame::Map(start, Vec::new(), None)
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(start, items)) => Node {
                    start,
                    end: pos(&span, true),
                    value: Value::Seq(items),
                },
                _ => unreachable!("the parser balances sequence events"),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(start, entries, _)) => Node {
                    start,
                    end: pos(&span, true),
                    value: Value::Map(entries),
                },
                _ => unreachable!("the parser balances mapping events"),
            },
        };
        match stack.last_mut() {
            None => finished = Some(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending_key)) => match pending_key.take() {
                None => {
                    let key = node.as_scalar().map(|s| s.text.as_str());
                    if let Some(dup) =
                        key.and_then(|key| entries.iter().find(|(k, _)| k.has_key_text(key)))
                    {
                        return Err(Diagnostic::error(format!(
                            "duplicate key `{}` (first defined on line {})",
                            node.key_text(),
                            dup.0.start.line
                        ))
                        .at(Some(node.location(file)))
                        .label("defined again here")
                        .help("remove one of the two; YAML keeps only one and which one is not obvious")
                        .into());
                    }
                    *pending_key = Some(node)
                }
                Some(key) => entries.push((key, node)),
            },
        }
    }
    if !aliases.is_empty() {
        return Err(crate::diagnostics::Error::from(aliases));
    }
    if let Some(doc) = finished.take() {
        docs.push(doc);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Node>> {
        parse_documents(&SourceFile::new("t.yaml", text))
    }

    #[test]
    fn keeps_positions_of_values() {
        let docs = parse("a:\n  b: hello\n").unwrap();
        let b = docs[0].get("a").unwrap().get("b").unwrap();
        assert_eq!((b.start.line, b.start.col), (2, 5));
        assert_eq!(b.as_scalar().unwrap().text, "hello");
    }

    #[test]
    fn reads_json_as_yaml() {
        let docs = parse(r#"{"a": [1, "x", true, null]}"#).unwrap();
        assert_eq!(
            docs[0].to_json(),
            serde_json::json!({"a": [1, "x", true, null]})
        );
    }

    #[test]
    fn reports_every_alias_in_one_run_up_to_a_bound() {
        let err = parse("a: &x 1\nb: *x\nc: [*x]\n").unwrap_err();
        let lines: Vec<usize> = err
            .diagnostics
            .iter()
            .map(|d| d.location.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [2, 3]);
        let many = format!("a: &x 1\nb: [{}]\n", vec!["*x"; 1000].join(", "));
        assert_eq!(
            parse(&many).unwrap_err().diagnostics.len(),
            MAX_ALIAS_ERRORS
        );
    }

    #[test]
    fn refuses_aliases_and_duplicates() {
        assert!(parse("a: &x 1\nb: *x\n")
            .unwrap_err()
            .first_message()
            .contains("aliases"));
        assert!(parse("a: 1\na: 2\n")
            .unwrap_err()
            .first_message()
            .contains("duplicate key `a`"));
        // Keys that would become the same JSON key: `null` and the string "null".
        assert!(parse("null: 1\n\"null\": 2\n")
            .unwrap_err()
            .first_message()
            .contains("duplicate key `null`"));
        assert!(parse("a: 1\nb: 2\n\"a \": 3\n").is_ok());
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep)
            .unwrap_err()
            .first_message()
            .contains("nests deeper"));
    }

    #[test]
    fn splits_documents() {
        let docs = parse("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
    }
}
