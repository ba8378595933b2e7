//! mm2.properties: reading the user's part and composing the whole file.
//!
//! The file has two parts, as in the vendor tool: a section mm2gen maintains (cluster aliases,
//! bootstrap servers, the config provider for mounted secrets) and the user's
//! `mirrorMaker2Properties`, kept verbatim (comments, order, spacing). The user part is parsed
//! with a real Java properties parser, because MirrorMaker2 reads the file with
//! `java.util.Properties`: continuations, `:`/whitespace separators and escapes must be
//! understood the same way to validate what MirrorMaker2 will see.

use std::collections::BTreeMap;

use crate::descriptor::PropertiesBlock;
use crate::diagnostics::{Diagnostic, Location};

use java_properties::{LineContent, PropertiesIter};

/// One key/value of the user's properties, with the lines it spans (1-based, inclusive).
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub first_line: usize,
    pub last_line: usize,
    /// Column (0-based) where the key starts on its first line.
    pub key_col: usize,
}

/// With a secret value masked, as in every diagnostic.
impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if crate::model::secret_keys::holds_secret_value(&self.key) {
            crate::redact::MASK
        } else {
            &self.value
        };
        f.debug_struct("Entry")
            .field("key", &self.key)
            .field("value", &value)
            .field("first_line", &self.first_line)
            .field("last_line", &self.last_line)
            .field("key_col", &self.key_col)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Parses Java properties text into its entries, in file order.
pub fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let physical: Vec<&str> = text.split('\n').collect();
    // java.util.Properties also ends lines at a lone CR: a line a reviewer sees as one would be
    // two for MirrorMaker2 (found by fuzzing). YAML block scalars never hold one.
    if let Some(index) = physical.iter().position(|l| l.contains('\r')) {
        return Err(ParseError {
            line: index + 1,
            message:
                "a carriage return (\\r) inside a line: MirrorMaker2 would read it as a line break"
                    .to_string(),
        });
    }
    let comments = comment_lines(&physical);
    // A continuation at the very end reads differently in java.util.Properties and in a file
    // that gains a final newline; refuse it rather than guess (found by fuzzing).
    if let Some((index, last)) = physical
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| !l.trim().is_empty())
    {
        if continues(last) && !comments[index] {
            return Err(ParseError {
                line: index + 1,
                message: "the last line ends with `\\`, which continues it into nothing"
                    .to_string(),
            });
        }
    }
    let mut entries = Vec::new();
    for line in PropertiesIter::new(text.as_bytes()) {
        let line = line.map_err(|e| ParseError {
            line: e.line_number().unwrap_or(1),
            message: e.to_string(),
        })?;
        let first_line = line.line_number();
        if let LineContent::KVPair(key, value) = line.consume_content() {
            let raw = physical.get(first_line - 1).copied().unwrap_or("");
            let key_col = raw.chars().take_while(|c| c.is_whitespace()).count();
            entries.push(Entry {
                key,
                value,
                first_line,
                last_line: logical_line_end(&physical, first_line),
                key_col,
            });
        }
    }
    if let Some((index, line)) = physical
        .iter()
        .enumerate()
        .find(|(i, l)| !comments[*i] && !l.is_ascii())
    {
        return Err(ParseError {
            line: index + 1,
            message: format!(
                "non-ASCII character in `{}`: MirrorMaker2 reads mm2.properties as ISO-8859-1, so it would see other characters",
                crate::redact::masked(line.trim())
            ),
        });
    }
    Ok(entries)
}

fn is_comment(line: &str) -> bool {
    // Only these count as leading whitespace for java.util.Properties (not, say, U+00A0).
    let t = line.trim_start_matches([' ', '\t', '\u{c}']);
    t.is_empty() || t.starts_with('#') || t.starts_with('!')
}

/// Whether each physical line is a comment (or blank) as java.util.Properties reads it: only a
/// line that starts a logical line can be one. `a=\` followed by `#b` is the entry `a=#b`
/// (found by fuzzing: a line that looked like a comment hid a continuation at the end).
fn comment_lines(physical: &[&str]) -> Vec<bool> {
    let mut continued = false;
    physical
        .iter()
        .map(|line| {
            let comment = !continued && is_comment(line);
            continued = !comment && continues(line);
            comment
        })
        .collect()
}

/// A physical line that ends in an odd number of backslashes continues on the next one.
fn continues(line: &str) -> bool {
    let trailing = line
        .trim_end_matches('\r')
        .chars()
        .rev()
        .take_while(|c| *c == '\\')
        .count();
    trailing % 2 == 1
}

/// A logical line continues while its physical line ends in an odd number of backslashes.
fn logical_line_end(physical: &[&str], first_line: usize) -> usize {
    let mut n = first_line;
    while let Some(line) = physical.get(n - 1) {
        if continues(line) && n < physical.len() {
            n += 1;
        } else {
            break;
        }
    }
    n
}

/// Escapes a value so `java.util.Properties` reads it back unchanged.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            ' ' if i == 0 => out.push_str("\\ "),
            c if !c.is_ascii() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The mm2.properties text MirrorMaker2 runs with.
///
/// `maintained` lines come first, under a header; then the user's text verbatim, except that
/// the logical lines listed in `replacements` (by first line) are replaced by `key=value`.
pub fn compose(
    maintained: &[(String, String)],
    maintained_comments: &[String],
    user_text: &str,
    replacements: &BTreeMap<usize, (Entry, String)>,
) -> String {
    let mut out = String::new();
    out.push_str(
        "# maintained by mm2gen from the descriptor: edit the descriptor, not these lines\n",
    );
    for comment in maintained_comments {
        out.push_str("# ");
        out.push_str(&crate::output::comment_line(comment));
        out.push('\n');
    }
    for (key, value) in maintained {
        out.push_str(key);
        out.push('=');
        out.push_str(&escape_value(value));
        out.push('\n');
    }
    out.push_str("# user provided mm2 settings\n");
    let lines: Vec<&str> = user_text.split('\n').collect();
    let mut n = 1;
    while n <= lines.len() {
        if let Some((entry, value)) = replacements.get(&n) {
            let indent: String = lines[n - 1]
                .chars()
                .take_while(|c| c.is_whitespace())
                .collect();
            out.push_str(&indent);
            out.push_str(&entry.key);
            out.push('=');
            out.push_str(&escape_value(value));
            out.push('\n');
            n = entry.last_line + 1;
            continue;
        }
        out.push_str(lines[n - 1]);
        out.push('\n');
        n += 1;
    }
    // A block scalar may end with a newline; never emit a trailing blank line for it.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Maps and sets of property keys and aliases, looked up tens of thousands of times for a
/// large descriptor: foldhash hashes these short strings several times faster than the
/// standard library's SipHash. They are only looked up, never iterated, so the output does not
/// depend on their (randomly seeded) order.
pub type KeyMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type KeySet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// The user's `mirrorMaker2Properties`, parsed, with a way back to the descriptor's lines.
#[derive(Clone)]
pub struct UserProperties {
    pub text: String,
    pub entries: Vec<Entry>,
    pub block: Option<PropertiesBlock>,
    /// Key -> index of its last entry (java.util.Properties keeps the last value).
    last: KeyMap<String, usize>,
}

/// With its secret values masked, as in every diagnostic.
impl std::fmt::Debug for UserProperties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserProperties")
            .field("text", &crate::redact::masked(&self.text))
            .field("entries", &self.entries)
            .field("block", &self.block)
            .finish_non_exhaustive()
    }
}

impl UserProperties {
    pub(crate) fn location(&self, line: usize, col: usize, len: usize) -> Option<Location> {
        self.block
            .as_ref()
            .and_then(|b| b.location_of(line, col, len))
    }

    pub(crate) fn path(&self, line: usize) -> String {
        let base = self
            .block
            .as_ref()
            .map_or("mirrorMaker2Properties", |b| b.path.as_str());
        format!("{base} (line {line} of the block)")
    }

    pub fn diag_at_key(&self, entry: &Entry, d: Diagnostic) -> Diagnostic {
        d.at(self.location(entry.first_line, entry.key_col, entry.key.len()))
            .path(self.path(entry.first_line))
    }

    /// Points at a part of the key, e.g. the alias of a flow.
    pub fn diag_at_key_part(
        &self,
        entry: &Entry,
        offset: usize,
        len: usize,
        d: Diagnostic,
    ) -> Diagnostic {
        d.at(self.location(entry.first_line, entry.key_col + offset, len))
            .path(self.path(entry.first_line))
    }

    pub fn diag_at_value(&self, entry: &Entry, d: Diagnostic) -> Diagnostic {
        let raw = self
            .text
            .split('\n')
            .nth(entry.first_line - 1)
            .unwrap_or("");
        let after_key = entry.key_col + entry.key.len();
        // A value continued on the next lines is not on its first line whole: its start is
        // then the first character after the separator.
        let value_col = raw
            .get(after_key..)
            .and_then(|rest| {
                rest.find(entry.value.trim())
                    .or_else(|| value_start(rest))
                    .map(|i| after_key + i)
            })
            .unwrap_or(entry.key_col);
        let len = entry.value.trim().len();
        d.at(self.location(entry.first_line, value_col, len))
            .path(self.path(entry.first_line))
    }

    /// Points at the line that enables a flow (`<source>-><target>.enabled`), when there is one.
    pub fn diag_at_flow(&self, source: &str, target: &str, d: Diagnostic) -> Diagnostic {
        match self.get(&format!("{source}->{target}.enabled")) {
            Some(e) => self.diag_at_key(e, d),
            None => d,
        }
    }

    /// The last value of a key (java.util.Properties keeps the last one).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.last.get(key).map(|&i| &self.entries[i])
    }

    pub fn new(text: String, entries: Vec<Entry>, block: Option<PropertiesBlock>) -> Self {
        let last = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .collect();
        UserProperties {
            text,
            entries,
            block,
            last,
        }
    }
}

/// Where a value starts after its key: past blanks, one `=` or `:`, and blanks again, as
/// java.util.Properties reads it.
pub(crate) fn value_start(after_key: &str) -> Option<usize> {
    let blank = |c: char| matches!(c, ' ' | '\t' | '\u{c}');
    let rest = after_key.trim_start_matches(blank);
    let rest = rest
        .strip_prefix(['=', ':'])
        .unwrap_or(rest)
        .trim_start_matches(blank);
    let start = after_key.len() - rest.len();
    (start < after_key.len()).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_maintained_comment_cannot_add_a_property_line() {
        let comment = "context `a\nsecurity.protocol=PLAINTEXT\r\u{2028}x`".to_string();
        let text = compose(&[], &[comment], "", &BTreeMap::new());
        assert!(parse(&text).unwrap().is_empty(), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
    }

    #[test]
    fn parses_separators_continuations_and_comments() {
        let text = "# c\n! also c\na=1\nb : 2\nc 3\nd=x\\\n  y\ne\\=f=4\n";
        let entries = parse(text).unwrap();
        let kv: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            kv,
            vec![
                ("a", "1"),
                ("b", "2"),
                ("c", "3"),
                ("d", "xy"),
                ("e=f", "4")
            ]
        );
        let d = &entries[3];
        assert_eq!((d.first_line, d.last_line), (6, 7));
    }

    #[test]
    fn refuses_a_continuation_at_the_end() {
        // The fuzz crash (fuzz/artifacts/properties): composing added a newline that changed it.
        let err = parse("  \\i E#\\").unwrap_err();
        assert!(
            err.message.contains("continues it into nothing"),
            "{}",
            err.message
        );
        assert!(parse("a=1\\\n  2\n").is_ok());
        // The second fuzz crash: a CR hid a continuation line inside what looked like a comment.
        let err = parse("\u{c}#\r$A\\").unwrap_err();
        assert!(err.message.contains("carriage return"), "{}", err.message);
        // The third: the last line looked like a comment but continued the line before it.
        let err = parse("a=1\\\n#\\").unwrap_err();
        assert!(
            err.message.contains("continues it into nothing") && err.line == 2,
            "{err:?}"
        );
        assert!(parse("a=1\n#\\").is_ok());
    }

    #[test]
    fn a_continued_line_is_never_a_comment() {
        let err = parse("a=1\\\n# é\n").unwrap_err();
        assert!(
            err.message.contains("non-ASCII") && err.line == 2,
            "{err:?}"
        );
        assert!(parse("a=1\n# é\n").is_ok());
        // A no-break space is not whitespace to java.util.Properties: this line is a key.
        let err = parse("\u{a0}# é\n").unwrap_err();
        assert!(err.message.contains("non-ASCII"), "{err:?}");
        let entries = parse("a=1\\\n#2\n").unwrap();
        assert_eq!(
            (entries[0].value.as_str(), entries[0].last_line),
            ("1#2", 2)
        );
    }

    #[test]
    fn refuses_non_ascii_values_but_not_comments() {
        assert!(parse("# café\na=b\n").is_ok());
        let err = parse("a=café\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("ISO-8859-1"));
    }

    #[test]
    fn composes_maintained_section_then_user_text_verbatim() {
        let user = "# mine\nx.y = 1\n\nz=2";
        let out = compose(
            &[("clusters".into(), "a, b".into())],
            &[],
            user,
            &BTreeMap::new(),
        );
        assert_eq!(
            out,
            "# maintained by mm2gen from the descriptor: edit the descriptor, not these lines\nclusters=a, b\n# user provided mm2 settings\n# mine\nx.y = 1\n\nz=2\n"
        );
    }

    #[test]
    fn replaces_a_whole_logical_line() {
        let user = "a=1\np={pw}\\\n  more\nb=2\n";
        let entries = parse(user).unwrap();
        let mut r = BTreeMap::new();
        r.insert(2, (entries[1].clone(), "${secrets:/d:pw}".to_string()));
        let out = compose(&[], &[], user, &r);
        assert!(out.ends_with("a=1\np=${secrets:/d:pw}\nb=2\n"), "{out}");
    }

    #[test]
    fn escaped_values_read_back_unchanged() {
        for v in [
            "plain",
            " leading",
            "back\\slash",
            "multi\nline",
            "tab\there",
        ] {
            let text = format!("k={}\n", escape_value(v));
            assert_eq!(parse(&text).unwrap()[0].value, v);
        }
    }

    #[test]
    fn errors_and_entries_carry_their_line_and_key_column() {
        let err = parse("a=1\nb=2\n\nc=3\rd=4\n").unwrap_err();
        assert!(err.message.contains("carriage return"), "{err:?}");
        assert_eq!(err.line, 4);
        assert_eq!(parse("\r").unwrap_err().line, 1);

        let entries = parse("a=1\n   key = v\n\tt=\\\n  2\n").unwrap();
        let positions: Vec<(usize, usize, usize)> = entries
            .iter()
            .map(|e| (e.first_line, e.last_line, e.key_col))
            .collect();
        assert_eq!(positions, vec![(1, 1, 0), (2, 2, 3), (3, 4, 1)]);

        let err = parse("a=1\n\nb=2\\\n").unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
        let err = parse("a=1\nb=2\n  c=\u{e9}\n").unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
    }

    #[test]
    fn escapes_exactly_what_java_properties_needs() {
        // A space is escaped only where it would be read as part of the separator.
        assert_eq!(escape_value(" a b"), "\\ a b");
        assert_eq!(
            escape_value("\u{e9}\t\u{c}\r\n\\"),
            "\\u00e9\\t\\f\\r\\n\\\\"
        );
        assert_eq!(escape_value("a=b:c"), "a=b:c");
    }

    #[test]
    fn debug_output_masks_a_secret_value_only() {
        let entries = parse("topics=orders\nsource.ssl.key.password=hunter2\n").unwrap();
        let plain = format!("{:?}", entries[0]);
        assert_eq!(
            plain,
            "Entry { key: \"topics\", value: \"orders\", first_line: 1, last_line: 1, key_col: 0 }"
        );
        let secret = format!("{:?}", entries[1]);
        assert!(!secret.contains("hunter2"), "{secret}");
        assert!(
            secret.contains(&format!("value: {:?}", crate::redact::MASK)),
            "{secret}"
        );
    }

    #[test]
    fn a_replaced_line_keeps_its_own_indentation() {
        let user = "a=1\n   p={pw}\nb=2\n\tc=3\n";
        let entries = parse(user).unwrap();
        let mut r = BTreeMap::new();
        r.insert(2, (entries[1].clone(), "x".to_string()));
        let out = compose(&[], &[], user, &r);
        assert!(out.ends_with("\na=1\n   p=x\nb=2\n\tc=3\n"), "{out}");
    }
}
