//! The canonical byte form of JSON that a doctor signs, in the spirit of RFC 8785 (JSON
//! Canonicalization Scheme): the same value always gives the same bytes, whatever the key order
//! or whitespace it arrived with, so a signature can be checked against a re-serialised copy.

use std::cmp::Ordering;
use std::fmt::Write;

use serde_json::Value;

/// `value` as canonical JSON: object keys sorted by their UTF-16 code units, no whitespace,
/// strings escaped as serde_json escapes them, numbers as ECMAScript prints them (so `5.0` is
/// `5`, `1e21` is `1e+21`).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else if let Some(f) = n.as_f64() {
                out.push_str(&ecmascript_number(f));
            } else {
                // Only reachable with serde_json's arbitrary_precision feature: keep its text.
                out.push_str(&n.to_string());
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| utf16_order(a.0, b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    // Serialising a str cannot fail; the fallback only keeps the function total.
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

/// RFC 8785 orders keys by UTF-16 code units, which differs from byte order only for
/// characters beyond the Basic Multilingual Plane against U+E000..U+FFFF.
fn utf16_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A finite number as ECMAScript's Number::toString writes it (RFC 8785 §3.2.2.3).
fn ecmascript_number(f: f64) -> String {
    if f == 0.0 {
        return "0".to_owned();
    }
    if !f.is_finite() {
        // A serde_json Value never holds these; null is what serde_json writes for them.
        return "null".to_owned();
    }
    // Rust's `{:e}` gives the shortest digits that read back to the same f64, as ECMAScript
    // requires; only the layout differs.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    // ECMAScript's n: the value is 0.d1d2…dk × 10^n.
    let n = exponent + 1;
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_written_as_ecmascript_does() {
        // Expected strings from RFC 8785 appendix B and ECMAScript Number::toString.
        for (f, text) in [
            (5.0, "5"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (123.456, "123.456"),
            (1.5e300, "1.5e+300"),
            (-0.0, "0"),
            (4.5e-324, "5e-324"),
            (333333333.3333333, "333333333.3333333"),
        ] {
            assert_eq!(ecmascript_number(f), text, "{f:?}");
        }
    }

    #[test]
    fn keys_are_sorted_and_whitespace_dropped() {
        let v = json!({ "b": [1, 2.0, "x"], "a": { "d": null, "c": true }, "é": "\n" });
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":true,"d":null},"b":[1,2,"x"],"é":"\n"}"#
        );
    }

    #[test]
    fn keys_sort_by_utf16_not_bytes() {
        // U+1F600 is a surrogate pair (0xD83D…) and sorts before U+FF21 in UTF-16, after it
        // in UTF-8 bytes.
        let v = json!({ "\u{FF21}": 1, "\u{1F600}": 2 });
        assert_eq!(canonical_json(&v), "{\"\u{1F600}\":2,\"\u{FF21}\":1}");
    }
}
