//! mm2gen reads the user's mirrorMaker2Properties with the java-properties crate to check them;
//! MirrorMaker2 reads the composed mm2.properties with java.util.Properties. Wherever mm2gen
//! accepts a text, both must see the same keys and values: checked against the JDK itself on
//! generated texts made of the format's awkward pieces and on every properties fuzz input kept.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

mod common;

/// Pieces that meet every rule of the format: separators, escapes, continuations, comments,
/// Unicode escapes, leading whitespace of each kind, a non-ASCII character.
const PIECES: &[&str] = &[
    "a", "b", "key", "x.y", "-", ">", "0", "=", ":", " ", "\t", "\u{c}", "\\", "\\\\", "\n", "\n",
    "\n", "#", "!", "\\u0041", "\\u00e9", "\\n", "\\t", "\\=", "\\:", "\\ ", "\\#", "é",
];

/// The same texts on every run (a fixed xorshift sequence), so a failure reproduces.
fn generated(count: usize) -> Vec<String> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let len = (next() % 24) as usize;
            (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect()
        })
        .collect()
}

fn kept_fuzz_inputs() -> Vec<String> {
    let mut texts = Vec::new();
    for dir in ["fuzz/corpus/properties", "fuzz/regressions/properties"] {
        let dir = common::repo().join(dir);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            if let Ok(text) = String::from_utf8(bytes) {
                texts.push(text);
            }
        }
    }
    texts
}

/// What java.util.Properties reads from each file, in order.
fn read_by_java(files: &[&Path]) -> Vec<BTreeMap<String, String>> {
    let reader = common::repo().join("tests/java/ReadProperties.java");
    let out = Command::new("java")
        .arg(&reader)
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `java` ({e}): this test needs a JDK 17 on PATH, as the end-to-end test does")
        });
    assert!(
        out.status.success(),
        "java failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn mm2gen_reads_the_user_properties_as_java_util_properties_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for text in generated(10_000).into_iter().chain(kept_fuzz_inputs()) {
        let Ok(entries) = mm2gen::properties::parse(&text) else {
            continue;
        };
        let ours: BTreeMap<String, String> =
            entries.into_iter().map(|e| (e.key, e.value)).collect();
        let composed = mm2gen::properties::compose(&[], &[], &text, &BTreeMap::new());
        let file = dir.path().join(format!("{}.properties", cases.len()));
        std::fs::write(&file, composed).unwrap();
        cases.push((text, ours, file));
    }
    assert!(
        cases.len() > 3000,
        "only {} texts were accepted: the generator no longer makes valid properties",
        cases.len()
    );
    eprintln!(
        "{} texts accepted by mm2gen, compared with java.util.Properties",
        cases.len()
    );
    let files: Vec<&Path> = cases.iter().map(|(_, _, f)| f.as_path()).collect();
    let java = read_by_java(&files);
    assert_eq!(java.len(), cases.len(), "java printed one line per file");
    let differ: Vec<String> = cases
        .iter()
        .zip(&java)
        .filter(|((_, ours, _), theirs)| ours != *theirs)
        .take(5)
        .map(|((text, ours, _), theirs)| {
            format!("text {text:?}\n  mm2gen:                {ours:?}\n  java.util.Properties:  {theirs:?}")
        })
        .collect();
    assert!(
        differ.is_empty(),
        "mm2gen and java.util.Properties read these differently:\n{}",
        differ.join("\n")
    );
}
