//! De-identification of a cohort into an extract (ADR 0011):
//!
//! 1. Only catalogue variables the request was approved for are computed; identifiers and free
//!    text are never read, so they cannot leak.
//! 2. Quasi-identifiers are generalised along their type's hierarchy: ages to bands of the
//!    policy's widths (5 years, then 10), top-coded ("90+"); dates to the month, then the year;
//!    categories are kept as they are.
//! 3. Of all combinations of levels (a small lattice), the least generalised one whose
//!    suppression stays within the policy's share is taken (ties: fewer rows suppressed); rows
//!    whose combination of quasi-identifier values is still shared by fewer than k rows are
//!    suppressed and counted. If no combination stays within the share, the release is
//!    refused.
//! 4. Each row gets a pseudonym: HMAC-SHA256 of the resident id under a random key made for
//!    this release and dropped with the [`Pseudonymiser`], so the same person has unrelated
//!    pseudonyms in different releases and nobody can recompute them. Rows are sorted by
//!    pseudonym, so their order reveals nothing (resident ids are time-ordered).
//!
//! Counting classes sorts the rows' keys: O(n log n) per lattice node.

use std::collections::BTreeMap;
use std::fmt;

use hmac::{Hmac, Mac};
use jiff::civil::Date;
use rand::RngCore;
use sha2::Sha256;

use crate::catalogue::{Catalogue, Field, ValueType};
use crate::cohort::{Subject, Value};
use crate::policy::Policy;
use crate::{ResearchError, Result};

/// Makes the pseudonyms of one release. The key lives only as long as this value.
pub struct Pseudonymiser {
    key: [u8; 32],
}

impl fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonymiser(..)")
    }
}

impl Drop for Pseudonymiser {
    /// Overwrites the key, so it does not linger in freed memory (best effort: without
    /// `unsafe`, `black_box` is what keeps the compiler from dropping the write).
    fn drop(&mut self) {
        self.key = [0; 32];
        std::hint::black_box(&self.key);
    }
}

impl Pseudonymiser {
    /// A pseudonymiser with a fresh random key from the operating system.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Pseudonymiser { key }
    }

    /// A pseudonymiser with a given key (tests).
    pub fn with_key(key: [u8; 32]) -> Self {
        Pseudonymiser { key }
    }

    /// The pseudonym of `resident_id`: 32 hex digits (128 bits) of HMAC-SHA256.
    pub fn pseudonym(&self, resident_id: &str) -> String {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"lifehealth/research/pseudonym\0");
        mac.update(resident_id.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// The generalisation level of each generalisable quasi-identifier: an index into its
/// hierarchy (ages: the policy's band widths; dates: month, year).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generalisation {
    levels: BTreeMap<Field, usize>,
}

impl Generalisation {
    /// How `field` is released under this generalisation, for the data dictionary.
    pub fn describe(&self, field: Field, value_type: ValueType, policy: &Policy) -> String {
        let level = self.levels.get(&field).copied().unwrap_or(0);
        match value_type {
            ValueType::Age => {
                let width = age_width(level, policy);
                format!(
                    "{width}-year bands, {}+ as one band",
                    policy.release.age_top_code.value
                )
            }
            ValueType::Date if level == 0 => "month (YYYY-MM)".into(),
            ValueType::Date => "year (YYYY)".into(),
            _ => "as recorded".into(),
        }
    }

    /// The level of `field` (0 = finest).
    pub fn level(&self, field: Field) -> usize {
        self.levels.get(&field).copied().unwrap_or(0)
    }
}

fn age_width(level: usize, policy: &Policy) -> u32 {
    let bands = &policy.release.age_band_years.value;
    bands
        .get(level)
        .or(bands.last())
        .copied()
        .unwrap_or(1)
        .max(1)
}

/// An age as a band label: `45-49`, or `90+` at and above the top code.
pub fn age_band(age: u32, width: u32, top: u32) -> String {
    if age >= top {
        return format!("{top}+");
    }
    let width = width.max(1);
    let start = age / width * width;
    let end = (start + width - 1).min(top - 1);
    format!("{start}-{end}")
}

/// A value as released: generalised if it is a quasi-identifier with a hierarchy.
fn render(value: &Value, value_type: ValueType, level: usize, policy: &Policy) -> String {
    match value {
        Value::Missing => String::new(),
        Value::Text(t) => t.clone(),
        Value::Number(n) if value_type == ValueType::Age => age_band(
            *n,
            age_width(level, policy),
            policy.release.age_top_code.value,
        ),
        Value::Number(n) => n.to_string(),
        Value::Day(d) if level == 0 => format!("{:04}-{:02}", d.year(), d.month()),
        Value::Day(d) => format!("{:04}", d.year()),
        Value::Flag(true) => "yes".into(),
        Value::Flag(false) => "no".into(),
        Value::Codes(codes) => codes.join("|"),
    }
}

/// A de-identified extract.
#[derive(Debug, Clone, PartialEq)]
pub struct Extract {
    /// The released variables, in catalogue order (after the pseudonym column `pid`).
    pub fields: Vec<Field>,
    /// Rows: the pseudonym, then one value per field. Sorted by pseudonym.
    pub rows: Vec<Vec<String>>,
    /// Positions (in a row) of the quasi-identifiers.
    pub quasi_identifiers: Vec<usize>,
    /// Rows of the consenting cohort.
    pub cohort_rows: usize,
    /// Rows suppressed because their class stayed smaller than k.
    pub suppressed: usize,
    /// The generalisation applied.
    pub generalisation: Generalisation,
    /// k.
    pub k: u32,
    /// The day ages are computed on.
    pub reference: Date,
}

impl Extract {
    /// The header: `pid` and the field keys.
    pub fn header(&self) -> Vec<&'static str> {
        std::iter::once("pid")
            .chain(self.fields.iter().map(|f| f.key()))
            .collect()
    }
}

/// De-identifies `subjects` (already selected by the cohort and filtered by consent) for the
/// variables `fields`. The pseudonymiser, and with it the release's key, is consumed.
pub fn deidentify(
    subjects: &[Subject],
    fields: &[Field],
    catalogue: &Catalogue,
    policy: &Policy,
    reference: Date,
    pseudonymiser: Pseudonymiser,
) -> Result<Extract> {
    if subjects.is_empty() {
        return Err(ResearchError::EmptyCohort);
    }
    let k = policy.release.k.value as usize;
    let types: Vec<(Field, ValueType, bool)> = fields
        .iter()
        .filter_map(|f| {
            catalogue
                .of(*f)
                .map(|v| (*f, v.value_type, v.is_quasi_identifier()))
        })
        .collect();
    let values: Vec<Vec<Value>> = subjects
        .iter()
        .map(|s| {
            types
                .iter()
                .map(|(f, _, _)| s.value(*f, reference))
                .collect()
        })
        .collect();
    let quasi: Vec<usize> = (0..types.len()).filter(|i| types[*i].2).collect();

    let rows = subjects.len();
    let allowed = (policy.release.max_suppressed_share.value * rows as f64).floor() as usize;
    let mut chosen: Option<(Generalisation, Vec<bool>)> = None;
    let mut fewest_suppressed = usize::MAX;
    for height_nodes in lattice(&types, policy) {
        let mut best_here: Option<(usize, Generalisation, Vec<bool>)> = None;
        for node in height_nodes {
            let keys: Vec<Vec<String>> = values
                .iter()
                .map(|row| {
                    quasi
                        .iter()
                        .map(|&i| {
                            let (field, value_type, _) = types[i];
                            render(&row[i], value_type, node.level(field), policy)
                        })
                        .collect()
                })
                .collect();
            let keep = classes_of_at_least(&keys, k);
            let suppressed = keep.iter().filter(|kept| !**kept).count();
            fewest_suppressed = fewest_suppressed.min(suppressed);
            if best_here.as_ref().is_none_or(|(s, _, _)| suppressed < *s) {
                best_here = Some((suppressed, node, keep));
            }
        }
        if let Some((suppressed, node, keep)) = best_here
            && suppressed <= allowed
        {
            chosen = Some((node, keep));
            break;
        }
    }
    let Some((generalisation, keep)) = chosen else {
        return Err(ResearchError::TooMuchSuppression {
            suppressed: fewest_suppressed,
            rows,
            max_share: policy.release.max_suppressed_share.value,
        });
    };

    let mut out: Vec<Vec<String>> = subjects
        .iter()
        .zip(&values)
        .zip(&keep)
        .filter(|(_, kept)| **kept)
        .map(|((subject, row), _)| {
            std::iter::once(pseudonymiser.pseudonym(&subject.resident_id))
                .chain(row.iter().zip(&types).map(|(v, (field, value_type, _))| {
                    render(v, *value_type, generalisation.level(*field), policy)
                }))
                .collect()
        })
        .collect();
    out.sort();
    // The key is discarded with the release built: nobody can recompute the pseudonyms.
    drop(pseudonymiser);
    let suppressed = rows - out.len();
    Ok(Extract {
        fields: types.iter().map(|(f, _, _)| *f).collect(),
        rows: out,
        quasi_identifiers: quasi.iter().map(|i| i + 1).collect(),
        cohort_rows: rows,
        suppressed,
        generalisation,
        k: policy.release.k.value,
        reference,
    })
}

/// The nodes of the generalisation lattice grouped by height (sum of levels), lowest first.
fn lattice(types: &[(Field, ValueType, bool)], policy: &Policy) -> Vec<Vec<Generalisation>> {
    let dimensions: Vec<(Field, usize)> = types
        .iter()
        .filter(|(_, _, quasi)| *quasi)
        .filter_map(|(field, value_type, _)| match value_type {
            ValueType::Age => Some((*field, policy.release.age_band_years.value.len())),
            ValueType::Date => Some((*field, 2)),
            _ => None,
        })
        .collect();
    let mut nodes = vec![Generalisation::default()];
    for (field, count) in &dimensions {
        nodes = nodes
            .into_iter()
            .flat_map(|node| {
                (0..*count).map(move |level| {
                    let mut next = node.clone();
                    next.levels.insert(*field, level);
                    next
                })
            })
            .collect();
    }
    let max_height: usize = dimensions.iter().map(|(_, c)| c - 1).sum();
    let mut by_height = vec![Vec::new(); max_height + 1];
    for node in nodes {
        let height: usize = node.levels.values().sum();
        by_height[height].push(node);
    }
    by_height
}

/// For each row, whether its key is shared by at least `k` rows (itself included). Sorts the
/// row indices by key: O(n log n) comparisons.
pub fn classes_of_at_least(keys: &[Vec<String>], k: usize) -> Vec<bool> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by(|a, b| keys[*a].cmp(&keys[*b]));
    let mut keep = vec![false; keys.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && keys[order[end]] == keys[order[start]] {
            end += 1;
        }
        if end - start >= k {
            for &i in &order[start..end] {
                keep[i] = true;
            }
        }
        start = end;
    }
    keep
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn age_bands_and_the_top_code() {
        assert_eq!(age_band(47, 5, 90), "45-49");
        assert_eq!(age_band(47, 10, 90), "40-49");
        assert_eq!(age_band(0, 5, 90), "0-4");
        assert_eq!(age_band(89, 5, 90), "85-89");
        assert_eq!(age_band(90, 5, 90), "90+");
        assert_eq!(age_band(104, 10, 90), "90+");
        assert_eq!(age_band(88, 10, 85), "85+");
        assert_eq!(
            age_band(84, 10, 85),
            "80-84",
            "a band is cut at the top code"
        );
    }

    #[test]
    fn pseudonyms_are_stable_under_one_key_and_unrelated_under_another() {
        let a = Pseudonymiser::with_key([1; 32]);
        let b = Pseudonymiser::with_key([2; 32]);
        assert_eq!(a.pseudonym("r1"), a.pseudonym("r1"));
        assert_ne!(a.pseudonym("r1"), a.pseudonym("r2"));
        assert_ne!(a.pseudonym("r1"), b.pseudonym("r1"));
        assert_eq!(a.pseudonym("r1").len(), 32);
        assert!(!a.pseudonym("r1").contains("r1"));
        assert_ne!(
            Pseudonymiser::random().pseudonym("r1"),
            Pseudonymiser::random().pseudonym("r1")
        );
    }

    use crate::cohort::SubjectEnrolment;
    use jiff::civil::date;

    const DAY: Date = date(2025, 1, 15);

    /// `n` residents born on `birth`, all women in gulou enrolled on 2023-03-10.
    fn born(first: usize, n: usize, birth: Date) -> Vec<Subject> {
        (first..first + n)
            .map(|i| Subject {
                resident_id: format!("r{i}"),
                sex: Some("female".into()),
                birth_date: Some(birth),
                district: Some("gulou".into()),
                enrolments: vec![SubjectEnrolment {
                    disease: "hypertension".into(),
                    enrolled_on: date(2023, 3, 10),
                    last_visit: None,
                    last_controlled: None,
                    followups: 0,
                }],
            })
            .collect()
    }

    fn release(subjects: &[Subject], fields: &[Field]) -> Result<Extract> {
        deidentify(
            subjects,
            fields,
            Catalogue::builtin().unwrap(),
            Policy::builtin().unwrap(),
            DAY,
            Pseudonymiser::with_key([9; 32]),
        )
    }

    #[test]
    fn ages_go_to_ten_year_bands_only_when_five_year_bands_break_k() {
        // Five aged 52 and five aged 57: two 5-year classes of five; k = 5 holds.
        let mut s = born(0, 5, date(1972, 6, 1));
        s.extend(born(5, 5, date(1967, 6, 1)));
        let e = release(&s, &[Field::Age]).unwrap();
        assert_eq!(e.generalisation.level(Field::Age), 0);
        let ages: BTreeMap<&str, usize> = e.rows.iter().fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r[1].as_str()).or_default() += 1;
            m
        });
        assert_eq!(ages, BTreeMap::from([("50-54", 5), ("55-59", 5)]));
        // Three and seven: the 5-year bands would suppress three of ten, over the 5% the
        // policy allows, so both become 50-59.
        let mut s = born(0, 3, date(1972, 6, 1));
        s.extend(born(3, 7, date(1967, 6, 1)));
        let e = release(&s, &[Field::Age]).unwrap();
        assert_eq!(e.generalisation.level(Field::Age), 1);
        assert!(e.rows.iter().all(|r| r[1] == "50-59"));
        assert_eq!(e.suppressed, 0);
        assert!(
            e.generalisation
                .describe(Field::Age, ValueType::Age, Policy::builtin().unwrap())
                .starts_with("10-year bands, 90+")
        );
    }

    #[test]
    fn the_oldest_share_one_band_and_dates_become_months() {
        let mut s = born(0, 3, date(1930, 1, 1));
        s.extend(born(3, 2, date(1920, 1, 1)));
        let e = release(&s, &[Field::Age, Field::EnrolledOn]).unwrap();
        assert!(e.rows.iter().all(|r| r[1] == "90+" && r[2] == "2023-03"));
        assert_eq!(e.quasi_identifiers, [1, 2]);
    }

    #[test]
    fn rows_left_in_small_classes_are_suppressed_and_counted() {
        // 40 in gulou and one in jiangning: the one is suppressed (1 of 41 is within 5%).
        let mut s = born(0, 40, date(1960, 1, 1));
        let mut lone = born(40, 1, date(1960, 1, 1));
        lone[0].district = Some("jiangning".into());
        s.extend(lone);
        let e = release(&s, &[Field::District, Field::Sex]).unwrap();
        assert_eq!((e.cohort_rows, e.rows.len(), e.suppressed), (41, 40, 1));
        assert!(e.rows.iter().all(|r| r[1] == "gulou" && r[2] == "female"));
        // Two of 21 is over 5%: refused.
        let mut s = born(0, 19, date(1960, 1, 1));
        let mut pair = born(19, 2, date(1960, 1, 1));
        pair[0].district = Some("jiangning".into());
        pair[1].district = Some("xuanwu".into());
        s.extend(pair);
        assert!(matches!(
            release(&s, &[Field::District]),
            Err(ResearchError::TooMuchSuppression {
                suppressed: 2,
                rows: 21,
                ..
            })
        ));
    }

    #[test]
    fn classes_smaller_than_k_are_marked() {
        let key = |s: &str| vec![s.to_owned()];
        let keys = vec![key("a"), key("b"), key("a"), key("c"), key("a"), key("b")];
        assert_eq!(
            classes_of_at_least(&keys, 2),
            [true, true, true, false, true, true]
        );
        assert_eq!(
            classes_of_at_least(&keys, 3),
            [true, false, true, false, true, false]
        );
        assert_eq!(classes_of_at_least(&[], 5), Vec::<bool>::new());
    }
}
