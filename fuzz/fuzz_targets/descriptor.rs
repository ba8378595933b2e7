//! Any bytes as a descriptor (YAML, JSON, KRM-wrapped): load and render must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Errors are rendered too: their snippets go through the masking of secret values.
    match mm2gen::descriptor::load("fuzz.yaml", text, std::path::PathBuf::from("/nonexistent")) {
        Ok(d) => {
            let inputs = mm2gen::Inputs {
                bootstrap_overrides: vec![("target-cluster".into(), "kafka:9092".into())],
                ..Default::default()
            };
            if let Err(e) = mm2gen::render(&d, &inputs) {
                let _ = e.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
