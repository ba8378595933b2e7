//! "What the server stores equals what we sent": every field of a sent object, compared with the
//! object the API server returned. The server may add fields (defaults, status, metadata it
//! owns); it must not drop, rename or rewrite one we sent.

use serde_json::Value;

/// Every path where `stored` lacks or changes a value of `sent`, with both values.
pub fn differences(sent: &Value, stored: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(sent, stored, &mut String::new(), &mut out);
    out
}

fn walk(sent: &Value, stored: &Value, path: &mut String, out: &mut Vec<String>) {
    match (sent, stored) {
        (Value::Object(s), Value::Object(t)) => {
            for (key, value) in s {
                let len = path.len();
                path.push('.');
                path.push_str(key);
                match t.get(key) {
                    Some(got) => walk(value, got, path, out),
                    None => out.push(format!("{path}: sent {value}, not stored")),
                }
                path.truncate(len);
            }
        }
        // Lists keep their order and length: a merged or dropped entry is a difference.
        (Value::Array(s), Value::Array(t)) if s.len() == t.len() => {
            for (i, (value, got)) in s.iter().zip(t).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(value, got, path, out);
                path.truncate(len);
            }
        }
        _ if sent == stored => {}
        _ => out.push(format!("{path}: sent {sent}, stored {stored}")),
    }
}

/// The comparison itself, as a test: one that always passed would make every "stored as sent"
/// test pass by accident.
pub fn comparison_flags_every_kind_of_difference() -> Result<(), String> {
    use serde_json::json;
    let sent = json!({"a": {"b": "1", "c": [1, {"d": 2}]}});
    let same_plus_defaults = json!({"a": {"b": "1", "c": [1, {"d": 2, "e": 3}], "z": 0}});
    let cases = [
        (
            json!({"a": {"c": [1, {"d": 2}]}}),
            ".a.b: sent \"1\", not stored",
        ),
        (
            json!({"a": {"b": 1, "c": [1, {"d": 2}]}}),
            ".a.b: sent \"1\", stored 1",
        ),
        (
            json!({"a": {"b": "1", "c": [1]}}),
            ".a.c: sent [1,{\"d\":2}], stored [1]",
        ),
        (
            json!({"a": {"b": "1", "c": [1, {"d": 3}]}}),
            ".a.c[1].d: sent 2, stored 3",
        ),
    ];
    if !differences(&sent, &same_plus_defaults).is_empty() {
        return Err("stored::differences flags fields the server added".into());
    }
    for (stored, want) in cases {
        let got = differences(&sent, &stored);
        if got != [want.to_string()] {
            return Err(format!(
                "stored::differences({sent}, {stored}) = {got:?}, expected [{want:?}]"
            ));
        }
    }
    Ok(())
}
