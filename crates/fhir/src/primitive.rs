//! FHIR primitive formats (R4 §2.24) and the instant range a date value covers.
//!
//! Dates, and dateTimes written without an offset, are read in UTC+8 (China Standard Time,
//! which has had no daylight saving since 1991, so a fixed offset equals Asia/Shanghai).
//! Search values without a time (e.g. `birthdate=1980-05-01`) therefore mean the local day
//! a resident or clinician in Nanjing has in mind, not the UTC day.

/// The offset applied when a value carries none: UTC+8, in seconds.
pub const DEFAULT_OFFSET_SECONDS: i64 = 8 * 3600;

const MS_PER_DAY: i64 = 86_400_000;

/// How finely a date value was written; the covered range follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    Year,
    Month,
    Day,
    Minute,
    Second,
    /// Fractional seconds with this many digits.
    Fraction(u8),
}

/// A date, dateTime or instant as written, before any offset is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialDateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
    pub precision: Precision,
    pub offset_seconds: Option<i64>,
}

/// A value that is not a valid FHIR date, dateTime, instant or time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {kind}: {reason}")]
pub struct DateError {
    pub value: String,
    pub kind: &'static str,
    pub reason: String,
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at + n)?;
    part.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses any FHIR date-like value: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, and
/// `YYYY-MM-DDThh:mm(:ss(.f+)?)?` with an optional `Z` or `±hh:mm`. Which of these a given
/// element accepts is decided by the `is_*` functions; search accepts all of them.
pub fn parse_partial(s: &str) -> Result<PartialDateTime, DateError> {
    let fail = |reason: &str| DateError {
        value: s.to_owned(),
        kind: "date/time",
        reason: reason.to_owned(),
    };
    let b = s.as_bytes();
    let year = digits(b, 0, 4).ok_or_else(|| fail("expected a four-digit year"))?;
    if year == 0 {
        return Err(fail("year 0000 does not exist"));
    }
    let mut v = PartialDateTime {
        year: i64::from(year),
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        millis: 0,
        precision: Precision::Year,
        offset_seconds: None,
    };
    if b.len() == 4 {
        return Ok(v);
    }
    if b.get(4) != Some(&b'-') {
        return Err(fail("expected '-' after the year"));
    }
    v.month = digits(b, 5, 2)
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| fail("month must be 01-12"))?;
    v.precision = Precision::Month;
    if b.len() == 7 {
        return Ok(v);
    }
    if b.get(7) != Some(&b'-') {
        return Err(fail("expected '-' after the month"));
    }
    let max_day = days_in_month(v.year, v.month);
    v.day = digits(b, 8, 2)
        .filter(|d| (1..=max_day).contains(d))
        .ok_or_else(|| fail(&format!("day must be 01-{max_day} in this month")))?;
    v.precision = Precision::Day;
    if b.len() == 10 {
        return Ok(v);
    }
    if b.get(10) != Some(&b'T') {
        return Err(fail("expected 'T' before the time"));
    }
    v.hour = digits(b, 11, 2)
        .filter(|h| *h <= 23)
        .ok_or_else(|| fail("hour must be 00-23"))?;
    if b.get(13) != Some(&b':') {
        return Err(fail("expected ':' after the hour"));
    }
    v.minute = digits(b, 14, 2)
        .filter(|m| *m <= 59)
        .ok_or_else(|| fail("minute must be 00-59"))?;
    v.precision = Precision::Minute;
    let mut at = 16;
    if b.get(at) == Some(&b':') {
        // A leap second (60) is valid FHIR; it is folded into second 59 for arithmetic.
        v.second = digits(b, 17, 2)
            .filter(|s| *s <= 60)
            .ok_or_else(|| fail("second must be 00-60"))?
            .min(59);
        v.precision = Precision::Second;
        at = 19;
        if b.get(at) == Some(&b'.') {
            let frac: Vec<u8> = b[at + 1..]
                .iter()
                .copied()
                .take_while(u8::is_ascii_digit)
                .collect();
            if frac.is_empty() {
                return Err(fail("expected digits after '.'"));
            }
            let ms = frac
                .iter()
                .chain([b'0', b'0', b'0'].iter())
                .take(3)
                .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
            v.millis = ms;
            v.precision = Precision::Fraction(u8::try_from(frac.len().min(9)).unwrap_or(9));
            at += 1 + frac.len();
        }
    }
    match b.get(at) {
        None => {}
        Some(b'Z') if b.len() == at + 1 => v.offset_seconds = Some(0),
        Some(sign @ (b'+' | b'-')) => {
            let h = digits(b, at + 1, 2).filter(|h| *h <= 14);
            let m = digits(b, at + 4, 2).filter(|m| *m <= 59);
            match (h, b.get(at + 3), m) {
                (Some(h), Some(b':'), Some(m)) if b.len() == at + 6 => {
                    let secs = i64::from(h * 3600 + m * 60);
                    v.offset_seconds = Some(if *sign == b'-' { -secs } else { secs });
                }
                _ => return Err(fail("time zone must be Z or ±hh:mm")),
            }
        }
        Some(_) => return Err(fail("unexpected characters after the time")),
    }
    Ok(v)
}

impl PartialDateTime {
    /// `[low, high)` in Unix milliseconds: every instant the value may denote at its precision.
    pub fn range(&self) -> (i64, i64) {
        let offset_ms = self.offset_seconds.unwrap_or(DEFAULT_OFFSET_SECONDS) * 1000;
        let day_start = |y: i64, m: u32, d: u32| days_from_civil(y, m, d) * MS_PER_DAY - offset_ms;
        let low = day_start(self.year, self.month, self.day)
            + i64::from(self.hour) * 3_600_000
            + i64::from(self.minute) * 60_000
            + i64::from(self.second) * 1000
            + i64::from(self.millis);
        let high = match self.precision {
            Precision::Year => day_start(self.year + 1, 1, 1),
            Precision::Month if self.month == 12 => day_start(self.year + 1, 1, 1),
            Precision::Month => day_start(self.year, self.month + 1, 1),
            Precision::Day => low + MS_PER_DAY,
            Precision::Minute => low + 60_000,
            Precision::Second => low + 1000,
            Precision::Fraction(1) => low + 100,
            Precision::Fraction(2) => low + 10,
            Precision::Fraction(_) => low + 1,
        };
        (low, high)
    }

    fn has_time(&self) -> bool {
        self.precision >= Precision::Minute
    }
}

/// `[low, high)` in Unix milliseconds covered by a FHIR date, dateTime or instant.
/// Values without an offset are read in UTC+8 (see the module documentation).
pub fn date_range(s: &str) -> Result<(i64, i64), DateError> {
    Ok(parse_partial(s)?.range())
}

fn with_kind(e: DateError, kind: &'static str) -> DateError {
    DateError { kind, ..e }
}

/// FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
pub fn check_date(s: &str) -> Result<(), DateError> {
    let v = parse_partial(s).map_err(|e| with_kind(e, "date (YYYY, YYYY-MM or YYYY-MM-DD)"))?;
    if v.has_time() {
        return Err(DateError {
            value: s.into(),
            kind: "date (YYYY, YYYY-MM or YYYY-MM-DD)",
            reason: "a date has no time part".into(),
        });
    }
    Ok(())
}

/// FHIR `dateTime`: a date, or a full time to the second with a time zone.
pub fn check_date_time(s: &str) -> Result<(), DateError> {
    const KIND: &str = "dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.sss]+zz:zz)";
    let v = parse_partial(s).map_err(|e| with_kind(e, KIND))?;
    if v.has_time() && v.precision < Precision::Second {
        return Err(DateError {
            value: s.into(),
            kind: KIND,
            reason: "seconds are required when a time is given".into(),
        });
    }
    if v.has_time() && v.offset_seconds.is_none() {
        return Err(DateError {
            value: s.into(),
            kind: KIND,
            reason: "a time zone (Z or ±hh:mm) is required when a time is given".into(),
        });
    }
    Ok(())
}

/// FHIR `instant`: `YYYY-MM-DDThh:mm:ss[.sss]` with a time zone.
pub fn check_instant(s: &str) -> Result<(), DateError> {
    const KIND: &str = "instant (YYYY-MM-DDThh:mm:ss[.sss]+zz:zz)";
    let v = parse_partial(s).map_err(|e| with_kind(e, KIND))?;
    if v.precision < Precision::Second || v.offset_seconds.is_none() {
        return Err(DateError {
            value: s.into(),
            kind: KIND,
            reason: "an instant needs seconds and a time zone".into(),
        });
    }
    Ok(())
}

/// FHIR `time`: `hh:mm:ss[.f+]`.
pub fn check_time(s: &str) -> Result<(), DateError> {
    let ok = match parse_partial(&format!("2000-01-01T{s}")) {
        Ok(v) => v.precision >= Precision::Second && v.offset_seconds.is_none(),
        Err(_) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(DateError {
            value: s.into(),
            kind: "time (hh:mm:ss)",
            reason: "expected hh:mm:ss with no time zone".into(),
        })
    }
}

/// FHIR `id`: 1–64 of `A-Z a-z 0-9 - .`.
pub fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
}

/// FHIR `code`: no leading or trailing whitespace, and no runs of internal whitespace.
pub fn is_code(s: &str) -> bool {
    !s.is_empty() && s.trim() == s && !s.contains("  ") && !s.contains(['\t', '\n', '\r'])
}

/// FHIR `uri` (and url, canonical, oid, uuid): no whitespace at all.
pub fn is_uri(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(char::is_whitespace)
}

/// FHIR `base64Binary`.
pub fn is_base64(s: &str) -> bool {
    s.bytes().all(|c| {
        c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b' ' | b'\n' | b'\r')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn local_dates_are_utc_plus_8() {
        let (low, high) = date_range("2024-01-01").expect("valid");
        // 2024-01-01T00:00+08:00 is 2023-12-31T16:00Z.
        assert_eq!(low, 1_704_067_200_000 - 8 * HOUR);
        assert_eq!(high - low, MS_PER_DAY);
        let (zl, zh) = date_range("2024-01-01T00:00:00Z").expect("valid");
        assert_eq!((zl, zh), (1_704_067_200_000, 1_704_067_201_000));
        let (yl, yh) = date_range("2024").expect("valid");
        assert_eq!(yl, low);
        assert_eq!(yh - yl, 366 * MS_PER_DAY, "2024 is a leap year");
        let (ml, mh) = date_range("2023-12").expect("valid");
        assert_eq!(mh, low, "December ends where the new year starts");
        assert_eq!(mh - ml, 31 * MS_PER_DAY);
        let (fl, fh) = date_range("2024-01-01T08:00:00.5+08:00").expect("valid");
        assert_eq!((fl, fh), (1_704_067_200_500, 1_704_067_200_600));
    }

    #[test]
    fn formats_are_enforced_per_type() {
        assert!(check_date("1985-02-28").is_ok());
        assert!(check_date("1985-02-29").is_err(), "not a leap year");
        assert!(check_date("1984-02-29").is_ok());
        assert!(check_date("1985-13").is_err());
        assert!(check_date("85-01-01").is_err());
        assert!(check_date("1985-01-01T10:00:00Z").is_err());
        assert!(check_date_time("2024-03-01T10:00:00+08:00").is_ok());
        assert!(
            check_date_time("2024-03-01T10:00:00").is_err(),
            "time without zone"
        );
        assert!(
            check_date_time("2024-03-01T10:00Z").is_err(),
            "seconds are required"
        );
        assert!(check_date_time("2024-03").is_ok());
        assert!(check_instant("2024-03-01T10:00:00.123Z").is_ok());
        assert!(check_instant("2024-03-01").is_err());
        assert!(check_instant("2024-03-01T10:00:00+15:00").is_err());
        assert!(check_time("10:30:00").is_ok());
        assert!(check_time("10:30").is_err());
        assert!(is_id("a-B.9"));
        assert!(!is_id("a_b"));
        assert!(!is_id(&"x".repeat(65)));
        assert!(is_code("in-progress"));
        assert!(!is_code(" final"));
        assert!(!is_code("a  b"));
    }

    fn any_instant() -> impl Strategy<Value = (i64, u32, u32, u32, u32, u32, u32, i64)> {
        (
            1i64..=9998,
            1u32..=12,
            1u32..=28,
            0u32..24,
            0u32..60,
            0u32..60,
            0u32..1000,
            -14i64..=14,
        )
    }

    proptest! {
        #[test]
        fn a_date_contains_all_its_finer_dates((y, mo, d, h, mi, s, ms, off) in any_instant()) {
            let zone = if off < 0 { format!("-{:02}:00", -off) } else { format!("+{off:02}:00") };
            let forms = [
                format!("{y:04}"),
                format!("{y:04}-{mo:02}"),
                format!("{y:04}-{mo:02}-{d:02}"),
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}+08:00"),
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+08:00"),
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}+08:00"),
            ];
            let ranges: Vec<(i64, i64)> = forms.iter().map(|f| date_range(f).expect("generated values are valid")).collect();
            for (i, (low, high)) in ranges.iter().enumerate() {
                prop_assert!(low < high, "{} has an empty range", forms[i]);
                if i > 0 {
                    let (plow, phigh) = ranges[i - 1];
                    prop_assert!(plow <= *low && *high <= phigh, "{} is not inside {}", forms[i], forms[i - 1]);
                }
            }
            // An explicit zone shifts the range by exactly the difference to UTC+8.
            let explicit = date_range(&format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{zone}")).expect("valid");
            prop_assert_eq!(explicit.0 - ranges[4].0, (8 - off) * HOUR);
        }

        #[test]
        fn ranges_round_trip_through_jiff((y, mo, d, h, mi, s, ms, _off) in any_instant()) {
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z");
            let (low, _) = date_range(&text).expect("valid");
            let ts = jiff::Timestamp::from_millisecond(low).expect("in range");
            let printed = ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            prop_assert_eq!(printed, text);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            let _ = date_range(&s);
            let _ = check_date_time(&s);
            let _ = check_time(&s);
        }

        #[test]
        fn near_misses_never_panic(s in "[0-9T:+Z.-]{0,30}") {
            if let Ok((low, high)) = date_range(&s) {
                prop_assert!(low < high);
            }
        }
    }
}
