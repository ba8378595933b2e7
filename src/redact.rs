//! Masks secret values in text that a diagnostic quotes, so that a refused password never
//! reaches a terminal or a CI log.
//!
//! Diagnostics quote the user's own file, which can hold a secret on the very line they point
//! at (a refused literal, an unknown alias in front of a password). Masking works on the text
//! itself, so it covers every diagnostic of every stage alike: a `key=value` (or `key: value`)
//! whose key holds a secret by the one rule of [`crate::model::secret_keys`] shows the key and
//! [`MASK`] instead of the value. Values continued with `\` on the next lines are masked there
//! too, and so are properties inside a quoted (JSON) scalar, where an escaped `\n` separates
//! them.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

use crate::model::secret_keys::{holds_secret_value, value_form, ValueForm};

/// What a masked value shows instead; its length says nothing about the value's.
pub const MASK: &str = "********";

/// Text with its secret values masked, and where each replacement went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked {
    pub text: String,
    /// (range in the original text, range of its mask in `text`), in text order.
    replaced: Vec<(Range<usize>, Range<usize>)>,
}

impl Masked {
    /// Where a byte offset of the original text is in the masked text; an offset inside a
    /// masked value moves to the start (or, for the end of a span, the end) of its mask.
    pub fn offset(&self, original: usize, is_end: bool) -> usize {
        let mut shift: isize = 0;
        for (from, to) in &self.replaced {
            if original <= from.start {
                break;
            }
            if original < from.end {
                return if is_end { to.end } else { to.start };
            }
            shift = to.end as isize - from.end as isize;
        }
        (original as isize + shift) as usize
    }
}

/// Whether the byte at `at` can be part of a key; an escaped one (the `n` of `\n`) cannot.
fn is_key_char(line: &[u8], at: usize) -> bool {
    let c = line[at];
    (c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'>')) && !escaped(line, at)
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\x0c')
}

/// Whether the byte at `at` is escaped by an odd number of backslashes before it.
fn escaped(line: &[u8], at: usize) -> bool {
    line[..at].iter().rev().take_while(|c| **c == b'\\').count() % 2 == 1
}

/// A physical line that ends in an odd number of backslashes continues on the next one.
fn continues(line: &[u8]) -> bool {
    line.iter().rev().take_while(|c| **c == b'\\').count() % 2 == 1
}

/// The secret values of one line, as ranges of it; whether the last one continues.
fn secret_values(line: &[u8]) -> (Vec<Range<usize>>, bool) {
    let mut found = Vec::new();
    let mut i = 0;
    let mut continued = false;
    while i < line.len() {
        if !is_key_char(line, i) || (i > 0 && is_key_char(line, i - 1)) {
            i += 1;
            continue;
        }
        let start = i;
        while i < line.len() && is_key_char(line, i) {
            i += 1;
        }
        let key = &line[start..i];
        let mut value = i;
        while value < line.len() && is_blank(line[value]) {
            value += 1;
        }
        // java.util.Properties also separates a key from its value by blanks alone.
        let starts_line = line[..start].iter().all(|c| is_blank(*c));
        let separated = value < line.len()
            && (matches!(line[value], b'=' | b':') || (starts_line && value > i));
        // The key's text is ASCII by construction (`is_key_char`).
        if !separated || !holds_secret_value(std::str::from_utf8(key).unwrap_or_default()) {
            continue;
        }
        if matches!(line[value], b'=' | b':') {
            value += 1;
        }
        while value < line.len() && is_blank(line[value]) {
            value += 1;
        }
        // Inside a quoted scalar a property ends at an escaped line break or at the quote.
        let before = line[..start].iter().rposition(|c| !is_blank(*c));
        let quoted = before.is_some_and(|b| {
            line[b] == b'"' || line[b] == b'\'' || (line[b] == b'n' && b > 0 && escaped(line, b))
        });
        let mut end = line.len();
        if quoted {
            end = (value..line.len())
                .find(|&j| {
                    (line[j] == b'"' && !escaped(line, j))
                        || (line[j] == b'n' && j > value && escaped(line, j))
                })
                .map_or(line.len(), |j| if line[j] == b'n' { j - 1 } else { j });
        } else {
            continued = continues(line);
        }
        // A placeholder or a config provider reference is no secret, and shows what to fix.
        let shown = std::str::from_utf8(&line[value..end])
            .is_ok_and(|v| value_form(v) != ValueForm::Literal && !continued);
        if value < end && !shown {
            found.push(value..end);
        }
        i = end.max(i);
    }
    (found, continued)
}

/// `text` with every secret value masked, or `None` when it holds none.
pub fn mask_secret_values(text: &str) -> Option<Masked> {
    apply(text, secret_ranges(text))
}

/// [`mask_secret_values`], and `span` too, to the end of its line: a value the caller knows is
/// secret, whose key the text scan may not recognise (`pass\word` is `password` to
/// java.util.Properties).
pub fn mask_secret_values_and(text: &str, span: Range<usize>) -> Option<Masked> {
    let mut ranges = secret_ranges(text);
    let line_end = text[span.start..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| span.start + i);
    ranges.push(span.start..line_end.max(span.end));
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    apply(text, merged)
}

/// The secret values of `text`, in order.
fn secret_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut offset = 0;
    let mut continued = false;
    for line in text.split_inclusive('\n') {
        let body = line
            .trim_end_matches('\n')
            .trim_end_matches('\r')
            .as_bytes();
        if continued {
            // A continuation of a secret value: all of it is the value.
            let first = body.iter().position(|c| !is_blank(*c));
            if let Some(first) = first {
                ranges.push(offset + first..offset + body.len());
            }
            continued = continues(body);
        } else {
            let (values, more) = secret_values(body);
            ranges.extend(values.into_iter().map(|r| offset + r.start..offset + r.end));
            continued = more;
        }
        offset += line.len();
    }
    ranges
}

/// `text` with each of the ordered, disjoint `ranges` replaced by [`MASK`].
fn apply(text: &str, ranges: Vec<Range<usize>>) -> Option<Masked> {
    if ranges.is_empty() {
        return None;
    }
    let mut masked = String::with_capacity(text.len());
    let mut replaced = Vec::with_capacity(ranges.len());
    let mut copied = 0;
    for r in ranges.into_iter().filter(|r| !r.is_empty()) {
        masked.push_str(&text[copied..r.start]);
        let at = masked.len();
        masked.push_str(MASK);
        replaced.push((r.clone(), at..masked.len()));
        copied = r.end;
    }
    masked.push_str(&text[copied..]);
    Some(Masked {
        text: masked,
        replaced,
    })
}

/// A source file's text and its masked form.
type LastMasked = (Arc<str>, Option<Rc<Masked>>);

/// [`mask_secret_values`] of a source file's text, computed once for the diagnostics that
/// quote the same file one after the other (a lint run can quote one file thousands of times).
pub fn mask_source(text: &Arc<str>) -> Option<Rc<Masked>> {
    thread_local! {
        static LAST: RefCell<Option<LastMasked>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((cached, masked)) = last.as_ref() {
            if Arc::ptr_eq(cached, text) {
                return masked.clone();
            }
        }
        let masked = mask_secret_values(text).map(Rc::new);
        *last = Some((text.clone(), masked.clone()));
        masked
    })
}

/// `text` with its secret values masked.
pub fn masked(text: &str) -> String {
    mask_secret_values(text).map_or_else(|| text.to_string(), |m| m.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_values_and_keeps_keys_and_other_values() {
        let text = "  a.ssl.key.password=hunter2\n  tasks.max=3\n  a->b.source.cluster.sasl.jaas.config = x required password=\"pw\";\n";
        assert_eq!(
            masked(text),
            "  a.ssl.key.password=********\n  tasks.max=3\n  a->b.source.cluster.sasl.jaas.config = ********\n"
        );
    }

    #[test]
    fn masks_values_separated_by_blanks_alone() {
        assert_eq!(
            masked("  a.ssl.key.password  hunter2\n"),
            "  a.ssl.key.password  ********\n"
        );
    }

    #[test]
    fn masks_continued_values_on_every_line() {
        let text = "a.sasl.jaas.config=x \\\n   password=\"pw\" \\\n   ;\ntasks.max=3\n";
        assert_eq!(
            masked(text),
            "a.sasl.jaas.config=********\n   ********\n   ********\ntasks.max=3\n"
        );
    }

    #[test]
    fn masks_properties_inside_quoted_scalars() {
        let text = r#"{"p": "a->b.enabled=true\na.ssl.truststore.password=s3cret\ntasks.max=2", "q": "config.providers.v.param.token=t0k"}"#;
        assert_eq!(
            masked(text),
            r#"{"p": "a->b.enabled=true\na.ssl.truststore.password=********\ntasks.max=2", "q": "config.providers.v.param.token=********"}"#
        );
    }

    #[test]
    fn leaves_text_without_secrets_alone() {
        for text in [
            "a.ssl.key.password={key password}\n",
            "a.ssl.key.password=${secrets:/etc/mirrormaker2/secrets/a:key.password}\n",
            "alias: source-cluster\n",
            "    secretName: mm2-tls\n    truststorePasswordKey: ts.password\n",
            "a.ssl.truststore.location=/etc/mirrormaker2/secrets/a/ts.jks\n",
        ] {
            assert_eq!(mask_secret_values(text), None, "{text}");
        }
    }

    #[test]
    fn a_source_is_masked_once_for_its_diagnostics() {
        let file: Arc<str> = Arc::from("a.ssl.key.password=hunter2\n");
        let first = mask_source(&file).unwrap();
        assert!(Rc::ptr_eq(&first, &mask_source(&file).unwrap()));
        let other: Arc<str> = Arc::from("b.ssl.key.password=other\n");
        assert_eq!(
            mask_source(&other).unwrap().text,
            "b.ssl.key.password=********\n"
        );
        assert_eq!(mask_source(&file).unwrap().text, first.text);
    }

    #[test]
    fn a_span_known_to_be_secret_is_masked_whatever_its_key() {
        let text = "a=1\n  a.ssl.key.pass\\word=hunter2\n  tasks.max=3\n";
        assert_eq!(mask_secret_values(text), None);
        let start = text.find("hunter2").unwrap();
        let m = mask_secret_values_and(text, start..start + 3).unwrap();
        assert_eq!(
            m.text,
            "a=1\n  a.ssl.key.pass\\word=********\n  tasks.max=3\n"
        );
    }

    proptest::proptest! {
        /// Whatever surrounds it, a literal secret value written after a secret key is never
        /// in the masked text, and every offset maps inside it on a character boundary.
        #[test]
        fn a_planted_secret_never_survives(
            before in "[a-z=:\\\\\"' \n\\.é{}$-]{0,40}",
            key in "(a\\.|a->b\\.source\\.cluster\\.|consumer\\.)?(ssl\\.key\\.password|sasl\\.jaas\\.config|x\\.token)",
            separator in "( ?[=:] ?| +)",
            after in "[a-z=:\\\\\"' \n\\.é{}$-]{0,40}",
        ) {
            let text = format!("{before}\n  {key}{separator}Zq7Secret{after}");
            let masked = mask_secret_values(&text);
            let shown = masked.as_ref().map_or(text.as_str(), |m| m.text.as_str());
            proptest::prop_assert!(!shown.contains("Zq7Secret"), "{shown:?}");
            let m = masked.unwrap();
            for at in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                for is_end in [false, true] {
                    let to = m.offset(at, is_end);
                    proptest::prop_assert!(m.text.is_char_boundary(to), "{at} -> {to}");
                }
            }
        }
    }

    #[test]
    fn offsets_move_with_the_masks() {
        let text = "a.ssl.key.password=hunter2hunter2\nb=1\n";
        let m = mask_secret_values(text).unwrap();
        let value = text.find("hunter2").unwrap();
        assert_eq!(m.offset(0, false), 0);
        assert_eq!(m.offset(value, false), value);
        assert_eq!(m.offset(value + 3, true), value + MASK.len());
        let b = text.find("b=1").unwrap();
        assert_eq!(&m.text[m.offset(b, false)..m.offset(b + 3, true)], "b=1");
    }
}
