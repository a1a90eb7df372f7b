//! Which search values are personal identifiers, and how they are indexed without being
//! stored in the clear.
//!
//! A personal token (an identifier or telecom value) is replaced by the keyed blind index of
//! its code. A personal string (a name or an address) is replaced by the blind indexes of each
//! of its prefixes of 1 to [`MAX_PREFIX_CHARS`] characters, so the default FHIR string search
//! (starts-with) still works, plus one blind index of the whole value marked as such, for
//! `:exact`. `:contains` cannot be answered on such a parameter and is refused by the search
//! layer.

use vault::BlindIndex;

use crate::{IndexRow, IndexValue};

/// Longest prefix of a personal string that is indexed. A search value longer than this is
/// matched on its first `MAX_PREFIX_CHARS` characters only (Chinese names are 2-4 characters;
/// Latin names are compared on their first 24 letters).
pub const MAX_PREFIX_CHARS: usize = 24;

/// Blind-index context of personal search values; one for all parameters, so the same person's
/// identifier has the same index under `Patient.identifier` and `Observation.patient.identifier`.
const CONTEXT: &str = "fhir.search";

/// Search parameters whose values identify a person, by resource type.
pub fn is_personal(param: &str) -> bool {
    let Some((resource_type, name)) = param.split_once('.') else {
        return false;
    };
    matches!(
        resource_type,
        "Patient" | "Practitioner" | "RelatedPerson" | "Person"
    ) && matches!(
        name,
        "identifier"
            | "name"
            | "family"
            | "given"
            | "phonetic"
            | "telecom"
            | "phone"
            | "email"
            | "address"
            | "address-city"
            | "address-postalcode"
    )
}

/// The rows to store for `row`: itself if it is not personal, its blind forms otherwise.
pub fn protect(row: IndexRow, blind: &BlindIndex) -> Vec<IndexRow> {
    if !is_personal(&row.param) {
        return vec![row];
    }
    match row.value {
        IndexValue::Token { system, code } => vec![IndexRow {
            value: IndexValue::Token {
                code: blind.compute(CONTEXT, &code),
                system,
            },
            param: row.param,
        }],
        IndexValue::String(text) => prefixes(&text)
            .map(|prefix| blind.compute(CONTEXT, prefix))
            .chain(std::iter::once(blind_exact(&text, blind)))
            .map(|value| IndexRow {
                param: row.param.clone(),
                value: IndexValue::String(value),
            })
            .collect(),
        // Dates, references and quantities of a person are not identifiers.
        value => vec![IndexRow {
            param: row.param,
            value,
        }],
    }
}

/// The search value to look up for a personal token code.
pub fn blind_token(code: &str, blind: &BlindIndex) -> String {
    blind.compute(CONTEXT, code)
}

/// The search value to look up for a personal string searched by prefix (already
/// normalised). Longer values are cut to [`MAX_PREFIX_CHARS`] characters.
pub fn blind_prefix(value: &str, blind: &BlindIndex) -> String {
    let cut = match value.char_indices().nth(MAX_PREFIX_CHARS) {
        Some((at, _)) => &value[..at],
        None => value,
    };
    blind.compute(CONTEXT, cut)
}

/// The search value to look up for a personal string searched with `:exact`.
pub fn blind_exact(value: &str, blind: &BlindIndex) -> String {
    blind.compute(CONTEXT, &format!("={value}"))
}

/// Every prefix of `text` of 1 to MAX_PREFIX_CHARS characters.
fn prefixes(text: &str) -> impl Iterator<Item = &str> {
    text.char_indices()
        .skip(1)
        .map(|(at, _)| at)
        .chain(std::iter::once(text.len()))
        .take(MAX_PREFIX_CHARS)
        .filter(|&end| end > 0)
        .map(move |end| &text[..end])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn blind() -> BlindIndex {
        BlindIndex::new([3u8; 32])
    }

    #[test]
    fn names_are_stored_as_blind_prefixes() {
        let rows = protect(
            IndexRow {
                param: "Patient.name".into(),
                value: IndexValue::String("张伟".into()),
            },
            &blind(),
        );
        assert_eq!(rows.len(), 3, "two prefixes and the exact value");
        let stored: Vec<_> = rows
            .iter()
            .map(|r| match &r.value {
                IndexValue::String(s) => s.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(stored.iter().all(|s| !s.contains('张')));
        assert!(stored.contains(&blind_prefix("张", &blind())));
        assert!(stored.contains(&blind_prefix("张伟", &blind())));
        assert!(stored.contains(&blind_exact("张伟", &blind())));
        assert!(!stored.contains(&blind_exact("张", &blind())));
    }

    #[test]
    fn clinical_values_are_kept_as_they_are() {
        let row = IndexRow {
            param: "Observation.code".into(),
            value: IndexValue::Token {
                system: Some("http://loinc.org".into()),
                code: "8480-6".into(),
            },
        };
        assert_eq!(protect(row.clone(), &blind()), vec![row]);
        assert!(!is_personal("Observation.identifier"));
        assert!(is_personal("Patient.identifier"));
    }

    proptest! {
        #[test]
        fn every_prefix_search_finds_the_stored_value(text in "\\PC{1,40}", cut in 1usize..50) {
            let rows = protect(
                IndexRow { param: "Patient.family".into(), value: IndexValue::String(text.clone()) },
                &blind(),
            );
            let chars = text.chars().count();
            prop_assert_eq!(rows.len(), chars.min(MAX_PREFIX_CHARS) + 1);
            let prefix: String = text.chars().take(cut.min(chars)).collect();
            let wanted = IndexValue::String(blind_prefix(&prefix, &blind()));
            prop_assert!(rows.iter().any(|r| r.value == wanted));
        }
    }
}
