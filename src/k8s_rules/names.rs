//! Names, label keys and values, and data keys, as `k8s.io/apimachinery/pkg/util/validation`
//! and `pkg/api/validate/content` check them.

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` of any length.
fn is_dns1123_label_text(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn dns1123_label(value: &str) -> Result<(), String> {
    if value.len() > 63 {
        return Err("must be no more than 63 characters".into());
    }
    if is_dns1123_label_text(value) {
        Ok(())
    } else {
        Err("must be a lowercase RFC 1123 label: lower case letters, digits or `-`, starting and ending with a letter or digit".into())
    }
}

/// DNS-1123 labels joined by `.`, at most 253 characters (names of most objects); the API
/// server's pattern does not limit the labels within to 63 characters.
pub fn dns1123_subdomain(value: &str) -> Result<(), String> {
    if value.len() > 253 {
        return Err("must be no more than 253 characters".into());
    }
    if value.is_empty() || value.split('.').any(|l| !is_dns1123_label_text(l)) {
        return Err("must be a lowercase RFC 1123 subdomain: lower case letters, digits, `-` or `.`, starting and ending with a letter or digit".into());
    }
    Ok(())
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (Service names).
pub fn dns1035_label(value: &str) -> Result<(), String> {
    dns1123_label(value)?;
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must be a DNS-1035 label: it must start with a lower case letter".into());
    }
    Ok(())
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: the name part of a label key, and a label value.
fn is_label_name(value: &str) -> bool {
    let b = value.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A label key (a "qualified name"): an optional DNS-1123 subdomain prefix and `/`, then a name
/// of at most 63 characters.
pub fn label_key(value: &str) -> Result<(), String> {
    let (prefix, name) = match value.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, value),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err("has an empty prefix before `/`".into());
        }
        if name.contains('/') {
            return Err("may hold at most one `/`".into());
        }
        dns1123_subdomain(prefix).map_err(|e| format!("has a prefix `{prefix}` that {e}"))?;
    }
    if name.is_empty() {
        return Err("has an empty name part".into());
    }
    if name.len() > 63 {
        return Err("has a name part longer than 63 characters".into());
    }
    if !is_label_name(name) {
        return Err("must be letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit (with an optional DNS subdomain prefix and `/`, e.g. `example.com/MyName`)".into());
    }
    Ok(())
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_`, `.`, starting and ending with
/// a letter or digit.
pub fn label_value(value: &str) -> Result<(), String> {
    if value.len() > 63 {
        return Err("is longer than 63 characters".into());
    }
    if !value.is_empty() && !is_label_name(value) {
        return Err("must be empty or letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit".into());
    }
    Ok(())
}

/// A key of a Secret or ConfigMap (`[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or
/// `..`): it is also a file name in the mounted volume.
pub fn data_key(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("is empty".into());
    }
    if value.len() > 253 {
        return Err("is longer than 253 characters".into());
    }
    if value == "." || value == ".." {
        return Err("may not be `.` or `..`".into());
    }
    if !value
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        return Err("may hold only letters, digits, `.`, `_` and `-`".into());
    }
    // `hasChDirPrefix` of the API server: a volume item path may not climb out of its mount.
    if value.starts_with("..") {
        return Err("may not start with `..`".into());
    }
    Ok(())
}

/// The API server's limit on the data of one ConfigMap or Secret (`MaxSecretSize`, also used
/// for ConfigMaps), counted over the values.
pub const MAX_DATA_BYTES: usize = 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    // Examples from k8s.io/apimachinery/pkg/util/validation/validation_test.go.
    #[test]
    fn label_keys_follow_the_qualified_name_rule() {
        for ok in [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "1234",
            "simple/simple",
            "now-with-dashes/simple",
            "now-with-dashes/now-with-dashes",
            "now.with.dots/simple",
            "now-with.dashes-and.dots/simple",
            "1-num.2-num/3-num",
            "1234/5678",
            "1.2.3.4/5678",
            "Uppercase_Is_OK_123",
            "example.com/Uppercase_Is_OK_123",
            "requests.storage-foo",
        ] {
            assert_eq!(label_key(ok), Ok(()), "{ok}");
        }
        let long_name = "a".repeat(64);
        let long_prefix = format!("{}/b", "a".repeat(254));
        for bad in [
            "nospecialchars%^=@",
            "cantendwithadash-",
            "-cantstartwithadash-",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "/simple",
            long_name.as_str(),
            long_prefix.as_str(),
            "",
        ] {
            assert!(label_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_values_follow_the_rule() {
        for ok in [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "end-with-num-1",
            "1234",
            &"a".repeat(63),
            "",
        ] {
            assert_eq!(label_value(ok), Ok(()), "{ok}");
        }
        for bad in [
            &"a".repeat(64),
            "-starts-with-dash",
            "ends-with-dash-",
            ".starts.with.dot",
            "ends.with.dot.",
            "nospecialchars%^=@",
            "Tama-nui-te-rā.is.Māori.sun",
            "\\backslashes\\are\\bad",
            "-starts-with-dash",
            "has space",
            "3.6.0\n",
        ] {
            assert!(label_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_names() {
        for ok in [
            "a",
            "ab",
            "abc",
            "a1",
            "a-1",
            "a--1--2--b",
            "0",
            "01",
            "012",
            "1a",
            "1-a",
        ] {
            assert_eq!(dns1123_label(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "A",
            "ABC",
            "aBc",
            "A1",
            "A-1",
            "1-A",
            "-",
            "a-",
            "-a",
            "1-",
            "-1",
            "_",
            "a_",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(dns1123_label(bad).is_err(), "{bad}");
        }
        for ok in [
            "a.a",
            "1.a",
            "a.1",
            "0.0",
            "a-1.0-b",
            "a.b.c.d.e",
            &"a".repeat(253),
        ] {
            assert_eq!(dns1123_subdomain(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "A",
            "a.",
            ".a",
            "a..b",
            "a_b",
            "a@b",
            "../../etc",
            &"a".repeat(254),
        ] {
            assert!(dns1123_subdomain(bad).is_err(), "{bad}");
        }
        for ok in ["a", "ab", "a-1", "a--1--2--b"] {
            assert_eq!(dns1035_label(ok), Ok(()), "{ok}");
        }
        for bad in ["0", "01", "1a", "1-a", "", "A", "a-"] {
            assert!(dns1035_label(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn data_keys_are_file_names_in_the_volume() {
        for ok in [
            "a",
            "truststore.jks",
            "key_1-2.pem",
            ".dotfile",
            &"a".repeat(253),
        ] {
            assert_eq!(data_key(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../../etc/passwd",
            "..data",
            "a/b",
            "a b",
            &"a".repeat(254),
        ] {
            assert!(data_key(bad).is_err(), "{bad}");
        }
    }
}
