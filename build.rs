//! Turns data/mm2-config-keys-<kafka>.json (the MirrorMaker2 key table scripts/gen-mm2-keys
//! generates from Kafka's ConfigDefs) into static Rust data, so that `render` and `lint` look
//! keys up without parsing the whole JSON table on every run.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=data");
    let mut tables: Vec<_> = std::fs::read_dir("data")
        .expect("data/ holds the MirrorMaker2 key table")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("mm2-config-keys-") && n.ends_with(".json"))
        })
        .collect();
    tables.sort();
    let [table] = tables.as_slice() else {
        panic!(
            "data/ must hold exactly one mm2-config-keys-<kafka>.json (scripts/gen-mm2-keys writes it), found {tables:?}"
        );
    };
    println!("cargo:rerun-if-changed={}", table.display());
    let text = std::fs::read_to_string(table).expect("the key table is readable");
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", table.display()));

    let kafka = json["kafka"]
        .as_str()
        .expect("the key table names its Kafka release");
    let mut scopes: Vec<_> = json["scopes"]
        .as_object()
        .expect("the key table has scopes")
        .iter()
        .collect();
    // Sorted byte-wise, as the lookups' binary searches expect.
    scopes.sort_by(|a, b| a.0.cmp(b.0));
    let mut strings = Strings::default();
    let mut entries = String::new();
    for (scope, keys) in scopes {
        writeln!(entries, "    ({scope:?}, &[").unwrap();
        let mut keys: Vec<_> = keys
            .as_object()
            .expect("a scope maps keys")
            .iter()
            .collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (key, info) in keys {
            let name = strings.text(key);
            let info = key_info(info, &mut strings);
            writeln!(entries, "        ({name}, {info}),").unwrap();
        }
        writeln!(entries, "    ]),").unwrap();
    }

    let mut out = String::new();
    writeln!(
        out,
        "pub(super) const TABLE_KAFKA_VERSION: &str = {kafka:?};"
    )
    .unwrap();
    writeln!(out, "static TEXT: &str = {:?};", strings.text).unwrap();
    writeln!(
        out,
        "static LISTS: &[Text] = &[{}];",
        strings.lists.join(", ")
    )
    .unwrap();
    writeln!(
        out,
        "pub(super) static SCOPES: &[(&str, &[(Text, KeyInfo)])] = &["
    )
    .unwrap();
    out.push_str(&entries);
    writeln!(out, "];").unwrap();
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("mm2_config_keys.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// The table's strings back to back, each written once; the table refers to them by range
/// (`Text`), so that it holds no pointers and the dynamic loader has nothing to relocate in it
/// at every start (as `&str`, its pointers made many pages to write at start-up).
#[derive(Default)]
struct Strings {
    text: String,
    seen: std::collections::HashMap<String, String>,
    /// The elements of every accepted-values list, as `Text` expressions.
    lists: Vec<String>,
}

impl Strings {
    fn text(&mut self, s: &str) -> String {
        if let Some(t) = self.seen.get(s) {
            return t.clone();
        }
        let t = format!("Text::new({}, {})", self.text.len(), s.len());
        self.text.push_str(s);
        self.seen.insert(s.to_string(), t.clone());
        t
    }

    fn list(&mut self, items: &[&str]) -> String {
        let start = self.lists.len();
        for item in items {
            let t = self.text(item);
            self.lists.push(t);
        }
        format!("TextList::new({start}, {})", items.len())
    }
}

fn key_info(v: &serde_json::Value, strings: &mut Strings) -> String {
    let kind = match v["type"].as_str().unwrap_or("") {
        "BOOLEAN" => "Boolean",
        "SHORT" => "Short",
        "INT" => "Int",
        "LONG" => "Long",
        "DOUBLE" => "Double",
        "LIST" => "List",
        "CLASS" => "Class",
        "PASSWORD" => "Password",
        _ => "String",
    };
    let mut text = |k: &str| match v[k].as_str() {
        Some(s) => format!("Some({})", strings.text(s)),
        None => "None".to_string(),
    };
    let default = text("default");
    let valid = text("valid");
    let number = |k: &str| match v[k].as_f64() {
        Some(n) => format!("Some({n:?}_f64)"),
        None => "None".to_string(),
    };
    let flag = |k: &str| v[k].as_bool().unwrap_or(false);
    let one_of: Vec<&str> = v["in"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str())
        .collect();
    let one_of = strings.list(&one_of);
    format!(
        "KeyInfo {{ kind: Kind::{kind}, default: {default}, valid: {valid}, one_of: {one_of}, case_insensitive: {}, min: {}, max: {}, validated_list: {}, non_empty: {} }}",
        flag("caseInsensitive"),
        number("min"),
        number("max"),
        flag("list"),
        flag("nonEmpty"),
    )
}
