//! Any bytes as a KRM ResourceList on stdin: the function must answer with a ResourceList,
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (out, _) = mm2gen::adapters::krm::run(text, &mm2gen::Inputs::default(), std::path::Path::new("/nonexistent"));
    assert!(out.contains("kind: ResourceList"));
});
