//! `application/x-www-form-urlencoded` text (HTML forms and URL queries): one decoder for
//! the CSRF check, the pages and the FHIR search parser.

/// Decodes one component: `+` is a space, `%XX` a byte; a malformed escape stays as it is.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `a=1&b=2` into decoded pairs, in order (a name may repeat).
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn components_and_pairs_are_decoded() {
        assert_eq!(percent_decode("a%2Bb%3D+c"), "a+b= c");
        assert_eq!(percent_decode("%E5%BC%A0"), "张");
        assert_eq!(percent_decode("x%"), "x%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(
            parse_form("code=http://loinc.org%7C8480-6&flag&code=2"),
            [
                ("code".to_owned(), "http://loinc.org|8480-6".to_owned()),
                ("flag".to_owned(), String::new()),
                ("code".to_owned(), "2".to_owned()),
            ]
        );
    }

    proptest! {
        #[test]
        fn decoding_never_panics_and_plain_text_is_kept(s in ".*") {
            let _ = parse_form(&s);
            let plain: String = s.chars().filter(|c| c.is_alphanumeric()).collect();
            prop_assert_eq!(percent_decode(&plain), plain);
        }
    }
}
