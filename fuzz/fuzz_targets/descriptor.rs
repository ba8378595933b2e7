//! Any bytes as a descriptor (YAML, JSON, KRM-wrapped): load and render must never panic, and
//! what render writes holds only the objects it generated: each object's YAML, its comments
//! included, reads back as one document of that object's kind (fuzz/dicts/descriptor.dict
//! steers towards the comment above the KafkaUser, which once let a topic pattern add objects).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mm2gen::yaml;
use mm2gen::diagnostics::SourceFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Errors are rendered too: their snippets go through the masking of secret values.
    match mm2gen::descriptor::load("fuzz.yaml", text, std::path::PathBuf::from("/nonexistent")) {
        Ok(d) => {
            let inputs = mm2gen::Inputs {
                bootstrap_overrides: vec![("target-cluster".into(), "kafka:9092".into())],
                ..Default::default()
            };
            match mm2gen::render(&d, &inputs) {
                Ok(rendered) => {
                    for m in rendered.into_manifests().objects {
                        let written = m.yaml();
                        let docs = yaml::parse_documents(&SourceFile::new("out.yaml", written.as_str()))
                            .unwrap_or_else(|e| panic!("rendered YAML does not parse: {e}\n{written}"));
                        assert_eq!(docs.len(), 1, "one object became several documents:\n{written}");
                        assert_eq!(docs[0].get_str("kind"), Some(m.kind.as_str()), "{written}");
                    }
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
