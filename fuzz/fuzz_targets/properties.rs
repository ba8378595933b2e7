//! Any text as mirrorMaker2Properties: parsing and composing must never panic, and what is
//! composed parses back to the same entries.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(entries) = mm2gen::properties::parse(text) {
        let composed = mm2gen::properties::compose(&[], &[], text, &BTreeMap::new());
        let again = mm2gen::properties::parse(&composed).expect("composed text parses");
        let keys = |e: &[mm2gen::properties::Entry]| e.iter().map(|x| (x.key.clone(), x.value.clone())).collect::<Vec<_>>();
        assert_eq!(keys(&entries), keys(&again));
    }
});
