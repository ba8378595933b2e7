//! Content hashes: over the exact bytes that go into the cluster, so a change of content is a
//! change of name and annotation, and nothing else is.

use std::collections::BTreeMap;

use base64::Engine as _;
use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Unambiguous bytes of a key -> content map (length-prefixed), for hashing Secret data.
pub fn canonical_map_bytes(map: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in map {
        out.extend_from_slice(&(k.len() as u64).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&(v.len() as u64).to_be_bytes());
        out.extend_from_slice(v);
    }
    out
}

pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn map_bytes_do_not_collide_on_boundaries() {
        let a = BTreeMap::from([("ab".to_string(), b"c".to_vec())]);
        let b = BTreeMap::from([("a".to_string(), b"bc".to_vec())]);
        assert_ne!(canonical_map_bytes(&a), canonical_map_bytes(&b));
    }

    #[test]
    fn map_bytes_are_length_prefixed_keys_and_values_in_key_order() {
        let map = BTreeMap::from([
            ("b".to_string(), b"".to_vec()),
            ("a".to_string(), b"xy".to_vec()),
        ]);
        let mut expected = Vec::new();
        expected.extend_from_slice(&[
            0, 0, 0, 0, 0, 0, 0, 1, b'a', 0, 0, 0, 0, 0, 0, 0, 2, b'x', b'y',
        ]);
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, b'b', 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(canonical_map_bytes(&map), expected);
    }

    #[test]
    fn base64_is_standard_with_padding() {
        assert_eq!(base64(b"ab?"), "YWI/");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b""), "");
    }
}
