//! The one error type of mm2gen: what is wrong, where, and how to fix it.
//!
//! Every user-facing failure is a [`Diagnostic`]. It carries the primary message, an optional
//! location in one of the user's files (rendered rustc-style with the offending line and a caret),
//! an optional YAML path for inputs that have no useful line (JSON one-liners, stream objects), and
//! a `help:` line. Several diagnostics can be reported at once so a user fixes a descriptor in one
//! pass instead of one error per run.

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// A source file the user gave us, kept so errors can quote it.
#[derive(Clone)]
pub struct SourceFile {
    /// What the user called it (`descriptor.yaml`, `<stdin>`).
    pub name: String,
    pub text: Arc<str>,
}

/// Without the text, which can hold secrets: every diagnostic carries its file, and a
/// diagnostic printed with `{:?}` must not print them.
impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFile")
            .field("name", &self.name)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .finish()
    }
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Byte offset of a 1-based line and 0-based character column.
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let mut offset = 0;
        for (n, l) in self.text.split_inclusive('\n').enumerate() {
            if n + 1 == line {
                let within: usize = l.chars().take(col).map(char::len_utf8).sum();
                return offset + within.min(l.trim_end_matches('\n').len());
            }
            offset += l.len();
        }
        self.text.len()
    }
}

/// A place in a source file: 1-based line, 0-based column (in characters), and how many
/// characters the caret should underline.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: SourceFile,
    pub line: usize,
    pub col: usize,
    pub len: usize,
}

impl Location {
    pub fn new(file: &SourceFile, line: usize, col: usize, len: usize) -> Self {
        Location {
            file: file.clone(),
            line,
            col,
            len: len.max(1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Information a finding rests on (e.g. which topics a flow replicates); never fails.
    Note,
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    /// Label under the caret.
    pub label: Option<String>,
    /// Path of the offending value inside the input document, e.g. `kafkaClusters[0].alias`.
    pub yaml_path: Option<String>,
    pub help: Option<String>,
    /// The located span is a secret value: its snippet masks it whatever the key looks like.
    pub secret_span: bool,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: None,
            label: None,
            yaml_path: None,
            help: None,
            secret_span: false,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn note(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.yaml_path = Some(path.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Marks the located span as a secret value, which the snippet masks.
    pub fn secret_span(mut self) -> Self {
        self.secret_span = true;
        self
    }

    pub fn severity_word(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }

    /// `file:line:col` (1-based column, as editors expect), or the YAML path.
    pub fn where_(&self) -> Option<String> {
        match (&self.location, &self.yaml_path) {
            (Some(l), _) => Some(format!("{}:{}:{}", l.file.name, l.line, l.col + 1)),
            (None, Some(p)) => Some(p.clone()),
            (None, None) => None,
        }
    }

    /// rustc-style rendering: message, a quoted and underlined source line, then `help:`.
    pub fn render(&self) -> String {
        if self.location.is_none() {
            // Nothing to quote: the plain rustc layout without an empty snippet gutter.
            let mut out = format!("{}: {}", self.severity_word(), self.message);
            if let Some(path) = &self.yaml_path {
                out.push_str(&format!("\n  --> at {path}"));
            }
            if let Some(help) = &self.help {
                out.push_str(&format!("\nhelp: {help}"));
            }
            return out;
        }
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Note => Level::NOTE,
        };
        let mut group = Group::with_title(level.primary_title(self.message.as_str()));
        let label = self.label.clone().unwrap_or_default();
        let path_note = self
            .location
            .as_ref()
            .and(self.yaml_path.as_ref())
            .map(|p| format!("at {p}"));
        let masked;
        if let Some(loc) = &self.location {
            let mut start = loc.file.offset_of(loc.line, loc.col);
            let mut end = loc.file.offset_of(loc.line, loc.col + loc.len).max(start);
            // A secret value on a quoted line is shown masked (see `redact`).
            masked = if self.secret_span {
                crate::redact::mask_secret_values_and(&loc.file.text, start..end).map(Rc::new)
            } else {
                crate::redact::mask_source(&loc.file.text)
            };
            let mut text: &str = &loc.file.text;
            if let Some(m) = &masked {
                (start, end, text) = (m.offset(start, false), m.offset(end, true), &m.text);
            }
            group = group.element(
                Snippet::source(text)
                    .path(loc.file.name.as_str())
                    .line_start(1)
                    .fold(true)
                    .annotation(
                        AnnotationKind::Primary
                            .span(start..end)
                            .label(label.as_str()),
                    ),
            );
        }
        if let Some(note) = &path_note {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        let report: [Group<'_>; 1] = [group];
        Renderer::plain().render(&report).to_string()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// One or more error diagnostics; what every fallible mm2gen function returns.
#[derive(Debug, Clone)]
pub struct Error {
    pub diagnostics: Vec<Diagnostic>,
}

impl Error {
    pub fn first_message(&self) -> &str {
        self.diagnostics
            .first()
            .map(|d| d.message.as_str())
            .unwrap_or("")
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error {
            diagnostics: vec![d],
        }
    }
}

impl From<Vec<Diagnostic>> for Error {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Error { diagnostics }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", d.render())?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects diagnostics while a stage checks everything it can before failing.
#[derive(Debug, Default)]
pub struct Collector {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Collector {
    pub fn push(&mut self, d: Diagnostic) {
        match d.severity {
            Severity::Error => self.errors.push(d),
            Severity::Warning | Severity::Note => self.warnings.push(d),
        }
    }

    /// Fails with every error collected so far.
    pub fn check(&mut self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::from(std::mem::take(&mut self.errors)))
        }
    }
}

/// The closest candidate to `word`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The help for `word` when it is none of `candidates`: the closest one when it is a plausible
/// typo, else `otherwise` (which usually lists the candidates).
pub fn did_you_mean_or<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: impl FnOnce() -> String,
) -> String {
    match did_you_mean(word, candidates) {
        Some(s) => format!("did you mean `{s}`?"),
        None => otherwise(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_or_suggests_a_close_candidate_and_falls_back_otherwise() {
        let names = ["source", "target"];
        let help = |word| did_you_mean_or(word, names, || "declared: source, target".to_string());
        assert_eq!(help("targt"), "did you mean `target`?");
        assert_eq!(help("zzz"), "declared: source, target");
    }

    #[test]
    fn renders_location_label_and_help() {
        let file = SourceFile::new("d.yaml", "a: 1\nalias: source-clustr\n");
        let d = Diagnostic::error("unknown cluster alias `source-clustr`")
            .at(Some(Location::new(&file, 2, 7, 13)))
            .label("not declared")
            .help("did you mean `source-cluster`?");
        let text = d.render();
        assert!(
            text.contains("error: unknown cluster alias `source-clustr`"),
            "{text}"
        );
        assert!(text.contains("--> d.yaml:2:8"), "{text}");
        assert!(text.contains("^^^^^^^^^^^^^ not declared"), "{text}");
        assert!(
            text.contains("help: did you mean `source-cluster`?"),
            "{text}"
        );
        assert_eq!(d.where_().as_deref(), Some("d.yaml:2:8"));
    }

    #[test]
    fn debug_output_never_holds_the_file_text() {
        let file = SourceFile::new("d.yaml", "a.ssl.key.password=hunter2\n");
        let d = Diagnostic::error("x").at(Some(Location::new(&file, 1, 19, 7)));
        let debug = format!("{d:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("d.yaml"), "{debug}");
    }

    #[test]
    fn suggests_only_close_names() {
        assert_eq!(
            did_you_mean("kafkaCluster", ["kafkaClusters", "mirrorMaker2Spec"]),
            Some("kafkaClusters")
        );
        assert_eq!(did_you_mean("zzz", ["kafkaClusters"]), None);
    }
}
