//! What the tests do with the control plane, through kubectl as a user would: namespaces,
//! server-side apply with strict field validation, reads, and waiting for controllers.

use std::io::Write;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cluster::{ControlPlane, POD_SECURITY_LABELS};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// kubectl with `input` on stdin.
pub fn kubectl_stdin(cp: &ControlPlane, args: &[&str], input: &str) -> Output {
    let mut child = cp
        .kubectl_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin
        .write_all(input.as_bytes())
        .expect("kubectl reads stdin");
    drop(stdin);
    child.wait_with_output().expect("kubectl finishes")
}

/// kubectl that must succeed without a warning; returns its stdout.
pub fn kubectl_ok(cp: &ControlPlane, args: &[&str]) -> Result<String, String> {
    checked(args, cp.kubectl(args))
}

fn checked(args: &[&str], o: Output) -> Result<String, String> {
    let stderr = text(&o.stderr);
    if !o.status.success() {
        return Err(format!(
            "kubectl {} failed ({}):\n{stderr}",
            args.join(" "),
            o.status
        ));
    }
    if stderr.to_lowercase().contains("warning") {
        return Err(format!("kubectl {} warned:\n{stderr}", args.join(" ")));
    }
    Ok(text(&o.stdout))
}

/// A new namespace for one test, enforcing Pod Security `restricted` unless `restricted` is
/// false (only for the negative control of the admission test).
pub fn namespace(cp: &ControlPlane, name: &str, restricted: bool) -> Result<String, String> {
    let labels = if restricted {
        POD_SECURITY_LABELS
            .iter()
            .map(|l| {
                let (k, v) = l.split_once('=').expect("labels are key=value");
                format!("\n    {k}: {v}")
            })
            .collect::<String>()
    } else {
        String::new()
    };
    let manifest = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    mm2gen.io/test: \"true\"{labels}\n"
    );
    let args = ["apply", "--server-side", "--validate=strict", "-f", "-"];
    checked(&args, kubectl_stdin(cp, &args, &manifest))?;
    Ok(name.to_string())
}

/// The objects of a YAML stream, a JSON List or one JSON object, as JSON values.
pub fn objects(manifest: &str) -> Vec<Value> {
    if manifest.trim_start().starts_with('{') {
        let value: Value = serde_json::from_str(manifest).expect("the JSON manifest parses");
        return match value["kind"].as_str() {
            Some("List") => value["items"].as_array().cloned().unwrap_or_default(),
            _ => vec![value],
        };
    }
    serde_yaml_ng::Deserializer::from_str(manifest)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("mm2gen's YAML output parses"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// `kubectl apply --server-side --validate=strict` of `manifest` (YAML or a JSON List): fails
/// on an error or any warning, and returns the objects as the server stored them, in order.
pub fn apply_server_side(cp: &ControlPlane, manifest: &str) -> Result<Vec<Value>, String> {
    let args = [
        "apply",
        "--server-side",
        "--field-manager=mm2gen-test",
        "--validate=strict",
        "-o",
        "json",
        "-f",
        "-",
    ];
    let out = checked(&args, kubectl_stdin(cp, &args, manifest))?;
    let value: Value = serde_json::from_str(&out)
        .map_err(|e| format!("kubectl apply -o json printed no JSON ({e}):\n{out}"))?;
    Ok(match value["kind"].as_str() {
        Some("List") => value["items"].as_array().cloned().unwrap_or_default(),
        _ => vec![value],
    })
}

/// One object as the server has it now.
pub fn get(cp: &ControlPlane, ns: &str, kind: &str, name: &str) -> Result<Value, String> {
    let out = kubectl_ok(cp, &["get", kind, name, "-n", ns, "-o", "json"])?;
    serde_json::from_str(&out).map_err(|e| format!("kubectl get printed no JSON ({e})"))
}

/// Every object of `kind` in `ns`.
pub fn list(cp: &ControlPlane, ns: &str, kind: &str) -> Result<Vec<Value>, String> {
    let out = kubectl_ok(cp, &["get", kind, "-n", ns, "-o", "json"])?;
    let list: Value =
        serde_json::from_str(&out).map_err(|e| format!("kubectl get printed no JSON ({e})"))?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

/// Polls `check` until it returns Some, for controllers that act asynchronously.
pub fn eventually<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<Option<T>, String>,
) -> Result<T, String> {
    let start = Instant::now();
    loop {
        if let Some(v) = check()? {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The identity of an object in messages: `Kind/name`.
pub fn id(o: &Value) -> String {
    format!(
        "{}/{}",
        o["kind"].as_str().unwrap_or("?"),
        o["metadata"]["name"].as_str().unwrap_or("?")
    )
}
