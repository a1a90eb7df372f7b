//! Reading one cell's text as a typed value; a refusal says what the cell should hold.

use jiff::civil::Date;

/// Why a cell was refused: (zh, en).
pub(crate) type CellError = (String, String);

/// A day written `2015-06-01`, `2015/6/1`, `2015.6.1` or `2015年6月1日`.
pub(crate) fn day(text: &str) -> Result<Date, CellError> {
    let t = text.trim();
    let cleaned: String = t.replace('日', "").replace(['年', '月', '/', '.'], "-");
    let parts: Vec<&str> = cleaned.split('-').collect();
    let parsed = match parts.as_slice() {
        [y, m, d] => match (y.parse::<i16>(), m.parse::<i8>(), d.parse::<i8>()) {
            (Ok(y), Ok(m), Ok(d)) => Date::new(y, m, d).ok(),
            _ => None,
        },
        _ => None,
    };
    parsed.ok_or_else(|| {
        (
            format!("“{t}”不是日期：请写成2015-06-01"),
            format!("\"{t}\" is not a date: write it as 2015-06-01"),
        )
    })
}

/// A whole number of yuan or people: digits with optional thousands separators and sign;
/// `1000000.00` is accepted, `12.5` is not (amounts are whole yuan).
pub(crate) fn whole(text: &str) -> Result<i64, CellError> {
    let t = text.trim();
    let cleaned: String = t.chars().filter(|c| *c != ',' && *c != '，').collect();
    let integral = match cleaned.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => int,
        Some(_) => {
            return Err((
                format!("“{t}”不是整数：金额以元为单位填写整数"),
                format!("\"{t}\" is not a whole number: amounts are whole yuan"),
            ));
        }
        None => cleaned.as_str(),
    };
    integral.parse::<i64>().map_err(|_| {
        (
            format!("“{t}”不是整数"),
            format!("\"{t}\" is not a whole number"),
        )
    })
}

/// Yes or no: 是/否, yes/no, true/false, y/n, 1/0; an empty cell is no.
pub(crate) fn yes_no(text: &str) -> Result<bool, CellError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "否" | "no" | "n" | "false" | "0" => Ok(false),
        "是" | "yes" | "y" | "true" | "1" => Ok(true),
        other => Err((
            format!("“{other}”应为“是”或“否”"),
            format!("\"{other}\" must be yes or no"),
        )),
    }
}

/// Items separated by 、 ； ; ， or ,.
pub(crate) fn list(text: &str) -> Vec<&str> {
    text.split(['、', ';', '；', ',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn dates_in_the_usual_spellings() {
        for t in [
            "2015-06-01",
            "2015/6/1",
            "2015.6.1",
            "2015年6月1日",
            " 2015-6-01 ",
        ] {
            assert_eq!(day(t).unwrap(), date(2015, 6, 1), "{t}");
        }
        assert!(day("2015-02-30").is_err());
        assert!(day("June 2015").is_err());
        assert!(day("").is_err());
    }

    #[test]
    fn whole_numbers_with_separators() {
        assert_eq!(whole("1,000,000").unwrap(), 1_000_000);
        assert_eq!(whole("1000000.00").unwrap(), 1_000_000);
        assert_eq!(whole("-5").unwrap(), -5);
        assert!(whole("12.5").is_err());
        assert!(whole("一百").is_err());
        assert!(whole("").is_err());
    }

    #[test]
    fn lists_and_flags() {
        assert_eq!(list("生物药、CXO；医工; "), vec!["生物药", "CXO", "医工"]);
        assert!(yes_no("是").unwrap());
        assert!(!yes_no("").unwrap());
        assert!(yes_no("maybe").is_err());
    }

    proptest! {
        #[test]
        fn any_integer_written_with_separators_reads_back(n in any::<i64>()) {
            prop_assert_eq!(whole(&n.to_string()).unwrap(), n);
            let grouped = if n < 0 { None } else {
                let digits = n.to_string();
                let mut out = String::new();
                for (i, c) in digits.chars().enumerate() {
                    if i > 0 && (digits.len() - i) % 3 == 0 { out.push(','); }
                    out.push(c);
                }
                Some(out)
            };
            if let Some(g) = grouped {
                prop_assert_eq!(whole(&g).unwrap(), n);
            }
        }

        #[test]
        fn any_valid_day_reads_back_in_each_spelling(d in (1900i16..2100, 1i8..=12, 1i8..=28)) {
            let (y, m, dd) = d;
            let expected = date(y, m, dd);
            prop_assert_eq!(day(&expected.to_string()).unwrap(), expected);
            prop_assert_eq!(day(&format!("{y}/{m}/{dd}")).unwrap(), expected);
            prop_assert_eq!(day(&format!("{y}年{m}月{dd}日")).unwrap(), expected);
        }

        #[test]
        fn cell_parsers_never_panic(s in "\\PC{0,30}") {
            let _ = day(&s);
            let _ = whole(&s);
            let _ = yes_no(&s);
            let _ = list(&s);
        }
    }
}
