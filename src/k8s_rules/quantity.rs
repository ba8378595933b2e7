//! The quantity grammar and suffixes of `k8s.io/apimachinery/pkg/api/resource`.

use std::cmp::Ordering;

/// A quantity's value as a whole number, when it is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whole {
    Value(u128),
    Fraction,
    /// Whole, but beyond 128 bits: no check here needs such values.
    TooLarge,
}

/// A Kubernetes quantity (`500m`, `1Gi`, `1e3`, `0.5`), kept exactly: the value is
/// `sign * digits * 10^decimal_exponent * 2^binary_exponent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    negative: bool,
    /// The significant digits, without leading zeros ("" for zero).
    digits: String,
    decimal_exponent: i64,
    binary_exponent: u32,
}

impl Quantity {
    /// Parses `<sign>?<number><suffix>` as `resource.ParseQuantity` does: the number is
    /// `digits`, `digits.`, `digits.digits` or `.digits`; the suffix is a binary SI one (`Ki` to
    /// `Ei`), a decimal SI one (`n`, `u`, `m`, none, `k`, `M`, `G`, `T`, `P`, `E`), or `e`/`E`
    /// and a signed integer exponent. Nothing else, no spaces.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        if text.is_empty() {
            return Err("is empty".into());
        }
        let (negative, rest) = match text.as_bytes()[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after_int) = rest.split_at(int_len);
        let (frac_part, suffix) = match after_int.strip_prefix('.') {
            Some(after_dot) => {
                let n = after_dot.bytes().take_while(u8::is_ascii_digit).count();
                after_dot.split_at(n)
            }
            None => ("", after_int),
        };
        let (decimal, binary) = match suffix {
            "Ki" => (0, 10),
            "Mi" => (0, 20),
            "Gi" => (0, 30),
            "Ti" => (0, 40),
            "Pi" => (0, 50),
            "Ei" => (0, 60),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "" => (0, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            s if s.starts_with(['e', 'E']) => {
                let exp = &s[1..];
                let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("has the unknown suffix `{s}`"));
                }
                let e: i64 = exp
                    .parse::<i32>()
                    .map_err(|_| format!("has the exponent `{s}`, which is out of range"))?
                    .into();
                (e, 0)
            }
            _ if int_part.is_empty() && frac_part.is_empty() => {
                return Err("does not start with a number".into())
            }
            s => return Err(format!("has the unknown suffix `{s}`")),
        };
        // Without digits ParseQuantity reads the number as 0 on its int64 fast path (`m`,
        // `Gi`, `-` are accepted as zero); where that path is not taken (a scale below nano,
        // a binary suffix above Ti) it parses the empty text as a decimal and fails.
        if int_part.is_empty() && frac_part.is_empty() && !(binary <= 40 && decimal >= -9) {
            return Err("does not start with a number".into());
        }
        let all = format!("{int_part}{frac_part}");
        let trimmed = all.trim_start_matches('0');
        let trailing = trimmed.len() - trimmed.trim_end_matches('0').len();
        let digits = trimmed.trim_end_matches('0').to_string();
        Ok(Quantity {
            negative: negative && !digits.is_empty(),
            decimal_exponent: decimal - frac_part.len() as i64 + trailing as i64,
            binary_exponent: if digits.is_empty() { 0 } else { binary },
            digits,
        })
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Whether the value is a whole number (`0.5Ki` is: 512).
    pub fn is_integer(&self) -> bool {
        !matches!(self.whole(), Whole::Fraction)
    }

    /// The value as a whole number, when it is one.
    pub fn whole(&self) -> Whole {
        let Some(mantissa) = self
            .digits
            .parse::<u128>()
            .ok()
            .or(self.digits.is_empty().then_some(0))
            .and_then(|m| m.checked_mul(1u128.checked_shl(self.binary_exponent)?))
        else {
            return Whole::TooLarge;
        };
        if mantissa == 0 {
            return Whole::Value(0);
        }
        let scale =
            10u128.checked_pow(self.decimal_exponent.unsigned_abs().min(u32::MAX as u64) as u32);
        match (self.decimal_exponent >= 0, scale) {
            (true, Some(s)) => mantissa
                .checked_mul(s)
                .map_or(Whole::TooLarge, Whole::Value),
            (true, None) => Whole::TooLarge,
            (false, Some(s)) if mantissa % s == 0 => Whole::Value(mantissa / s),
            (false, _) => Whole::Fraction,
        }
    }

    /// The magnitude as `mantissa * 10^exp`, exactly, when it fits in 128 bits.
    fn exact(&self) -> Option<(u128, i64)> {
        let mut m: u128 = self
            .digits
            .parse()
            .ok()
            .or(self.digits.is_empty().then_some(0))?;
        m = m.checked_mul(1u128.checked_shl(self.binary_exponent)?)?;
        Some((m, self.decimal_exponent))
    }

    fn approximate(&self) -> f64 {
        let m: f64 = self.digits.parse().unwrap_or(0.0);
        m * 10f64.powi(self.decimal_exponent.clamp(-400, 400) as i32)
            * 2f64.powi(self.binary_exponent as i32)
    }

    /// Compares two non-negative quantities exactly (approximately only beyond 128 bits, far
    /// past any real resource amount).
    pub fn cmp_magnitude(&self, other: &Quantity) -> Ordering {
        if let (Some((a, ea)), Some((b, eb))) = (self.exact(), other.exact()) {
            let scale = |m: u128, by: i64| {
                u32::try_from(by)
                    .ok()
                    .and_then(|by| 10u128.checked_pow(by))
                    .and_then(|f| m.checked_mul(f))
            };
            let low = ea.min(eb);
            if let (Some(a), Some(b)) = (scale(a, ea - low), scale(b, eb - low)) {
                return a.cmp(&b);
            }
        }
        self.approximate()
            .partial_cmp(&other.approximate())
            .unwrap_or(Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Examples from k8s.io/apimachinery/pkg/api/resource/quantity_test.go.
    #[test]
    fn quantities_parse_as_the_api_server_parses_them() {
        for ok in [
            "0", "1", "500m", "1Gi", "1e3", "1E3", "1e-3", "0.5", ".5", "5.", "+1", "-1", "1.5Gi",
            "100n", "100u", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Ti", "1Pi", "1Ei",
            "0001", "1.0", "12e+6", "0.1m", "1e400", "1e-400",
            // No digits: zero, as kube-apiserver 1.34 reads them (checked with a dry run).
            "m", ".", "-", "+", "Gi", "Ki", "Ti", "e3", "e-9", "n", "-m",
        ] {
            assert!(Quantity::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "lots",
            "1.5.5",
            "1K",
            "1Kb",
            "1ki",
            "1e",
            "1ee3",
            "1e1.5",
            " 1",
            "1 ",
            "1 Gi",
            "1Gi ",
            "1,5",
            "0x10",
            "1.G.",
            "1%",
            "Pi",
            "Ei",
            "e-10",
            "1Mi1",
            "1e+",
            "1eM",
            "1e2147483648",
        ] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Quantity::parse("lots"),
            Err("does not start with a number".to_string())
        );
        assert_eq!(
            Quantity::parse("1.5.5"),
            Err("has the unknown suffix `.5`".to_string())
        );
        assert!(Quantity::parse("-1Gi").unwrap().is_negative());
        assert!(!Quantity::parse("-0").unwrap().is_negative());
        assert!(!Quantity::parse("-m").unwrap().is_negative());
        let zero = Quantity::parse("0").unwrap();
        assert_eq!(
            Quantity::parse("Gi").unwrap().cmp_magnitude(&zero),
            Ordering::Equal
        );
    }

    #[test]
    fn whole_numbers_count_binary_suffixes() {
        let whole = |s: &str| Quantity::parse(s).unwrap().whole();
        assert_eq!(whole("0.5Ki"), Whole::Value(512));
        assert_eq!(whole("2Mi"), Whole::Value(2 << 20));
        assert_eq!(whole("1e3"), Whole::Value(1000));
        assert_eq!(whole("1500m"), Whole::Fraction);
        assert_eq!(whole("2000m"), Whole::Value(2));
        assert_eq!(whole("0.1Ki"), Whole::Fraction);
        assert_eq!(whole("m"), Whole::Value(0));
        assert_eq!(whole("1e100"), Whole::TooLarge);
    }

    #[test]
    fn quantities_compare_exactly() {
        let q = |s| Quantity::parse(s).unwrap();
        assert_eq!(q("1Gi").cmp_magnitude(&q("1073741824")), Ordering::Equal);
        assert_eq!(q("1G").cmp_magnitude(&q("1Gi")), Ordering::Less);
        assert_eq!(q("500m").cmp_magnitude(&q("0.5")), Ordering::Equal);
        assert_eq!(q("1e3").cmp_magnitude(&q("1k")), Ordering::Equal);
        assert_eq!(q("2").cmp_magnitude(&q("1999m")), Ordering::Greater);
        assert_eq!(
            q("1000000000000000001").cmp_magnitude(&q("1E18")),
            Ordering::Greater
        );
        assert_eq!(q("0").cmp_magnitude(&q("0m")), Ordering::Equal);
        assert_eq!(q("1e400").cmp_magnitude(&q("1")), Ordering::Greater);
    }
}
