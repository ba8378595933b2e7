//! Comment lines mm2gen writes itself (above a YAML object, in mm2.properties). A comment ends
//! at the first line break, so a break inside one would start a line of content: an object in a
//! YAML stream, a key in mm2.properties. Every comment line passes through here, whatever its
//! text, so no caller can forget it.

use std::borrow::Cow;

/// `text` with every character that could end the line, upset a reader, or hide from the eye
/// written as its code point, `<U+000A>`: control characters (which include the line breaks
/// `\n`, `\r`, NEL U+0085 and the tab), the Unicode line and paragraph separators (YAML 1.1
/// and Java's `Pattern` read them as breaks), the byte-order mark and the non-characters YAML
/// refuses, and the bidirectional controls that reorder what a reviewer sees.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            // Not a backslash escape: mm2.properties readers decode `\u` even in comments.
            out.push_str(&format!("<U+{:04X}>", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{feff}'
                | '\u{fffe}'
                | '\u{ffff}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_invisible_characters_become_visible_escapes() {
        for (raw, escaped) in [
            ("a\nb", "a<U+000A>b"),
            ("a\rb", "a<U+000D>b"),
            ("a\u{85}b", "a<U+0085>b"),
            ("a\u{2028}b\u{2029}", "a<U+2028>b<U+2029>"),
            ("\u{feff}x", "<U+FEFF>x"),
            ("tab\there", "tab<U+0009>here"),
            ("\u{202e}rtl", "<U+202E>rtl"),
            ("\u{7f}\u{0}", "<U+007F><U+0000>"),
        ] {
            assert_eq!(one_line(raw), escaped);
        }
    }

    #[test]
    fn plain_text_passes_unchanged_and_unallocated() {
        let text = "flow a->b replicates `.*` topics: é, ü and [x] stay as they are";
        assert!(matches!(one_line(text), Cow::Borrowed(t) if t == text));
    }
}
