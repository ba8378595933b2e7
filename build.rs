//! Turns data/mm2-config-keys-<kafka>.json (the MirrorMaker2 key table scripts/gen-mm2-keys
//! generates from Kafka's ConfigDefs) into static Rust data, so that `render` and `lint` look
//! keys up without parsing 80 KB of JSON on every run.

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

    let mut out = String::new();
    let kafka = json["kafka"]
        .as_str()
        .expect("the key table names its Kafka release");
    writeln!(
        out,
        "pub(super) const TABLE_KAFKA_VERSION: &str = {kafka:?};"
    )
    .unwrap();
    writeln!(
        out,
        "pub(super) static SCOPES: &[(&str, &[(&str, KeyInfo)])] = &["
    )
    .unwrap();
    let mut scopes: Vec<_> = json["scopes"]
        .as_object()
        .expect("the key table has scopes")
        .iter()
        .collect();
    // Sorted byte-wise, as the lookups' binary searches expect.
    scopes.sort_by(|a, b| a.0.cmp(b.0));
    for (scope, keys) in scopes {
        writeln!(out, "    ({scope:?}, &[").unwrap();
        let mut keys: Vec<_> = keys
            .as_object()
            .expect("a scope maps keys")
            .iter()
            .collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (key, info) in keys {
            writeln!(out, "        ({key:?}, {}),", key_info(info)).unwrap();
        }
        writeln!(out, "    ]),").unwrap();
    }
    writeln!(out, "];").unwrap();
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("mm2_config_keys.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

fn key_info(v: &serde_json::Value) -> String {
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
    let text = |k: &str| match v[k].as_str() {
        Some(s) => format!("Some({s:?})"),
        None => "None".to_string(),
    };
    let number = |k: &str| match v[k].as_f64() {
        Some(n) => format!("Some({n:?}_f64)"),
        None => "None".to_string(),
    };
    let flag = |k: &str| v[k].as_bool().unwrap_or(false);
    let one_of: Vec<String> = v["in"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(|s| format!("{s:?}")))
        .collect();
    format!(
        "KeyInfo {{ kind: Kind::{kind}, default: {}, valid: {}, one_of: &[{}], case_insensitive: {}, min: {}, max: {}, validated_list: {}, non_empty: {} }}",
        text("default"),
        text("valid"),
        one_of.join(", "),
        flag("caseInsensitive"),
        number("min"),
        number("max"),
        flag("list"),
        flag("nonEmpty"),
    )
}
