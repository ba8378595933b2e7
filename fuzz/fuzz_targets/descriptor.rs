//! Any bytes as a descriptor (YAML, JSON, KRM-wrapped): load and render must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(d) = mm2gen::descriptor::load("fuzz.yaml", text, std::path::PathBuf::from("/nonexistent")) {
        let inputs = mm2gen::Inputs {
            bootstrap_overrides: vec![("target-cluster".into(), "kafka:9092".into())],
            ..Default::default()
        };
        let _ = mm2gen::render(&d, &inputs);
    }
});
