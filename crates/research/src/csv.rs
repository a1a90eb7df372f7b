//! The release's files: the extract as CSV (RFC 4180, UTF-8, CRLF) and its data dictionary,
//! also CSV, describing every column and the disclosure control applied.

use crate::catalogue::Catalogue;
use crate::deidentify::Extract;
use crate::policy::Policy;

/// The extract as CSV: a header, then one line per row.
pub fn extract_csv(extract: &Extract) -> String {
    let mut out = String::new();
    line(&mut out, extract.header().iter().copied());
    for row in &extract.rows {
        line(&mut out, row.iter().map(String::as_str));
    }
    out
}

/// The data dictionary: one line per column (name, labels, type, whether a
/// quasi-identifier, how it was released, description); then, after a blank line, the
/// release's disclosure facts (`k`, rows of the cohort, rows released and suppressed, the
/// reference day).
pub fn dictionary_csv(extract: &Extract, catalogue: &Catalogue, policy: &Policy) -> String {
    let mut out = String::new();
    line(
        &mut out,
        [
            "column",
            "label_en",
            "label_zh",
            "type",
            "quasi_identifier",
            "released_as",
            "description_en",
        ],
    );
    line(
        &mut out,
        [
            "pid",
            "Pseudonym",
            "化名编号",
            "category",
            "no",
            "random per release",
            "HMAC-SHA256 of the resident under a key made for this release and then discarded: the same person has a different pid in every release",
        ],
    );
    for field in &extract.fields {
        let Some(v) = catalogue.of(*field) else {
            continue;
        };
        let released_as = extract
            .generalisation
            .describe(*field, v.value_type, policy);
        line(
            &mut out,
            [
                v.key.as_str(),
                v.label_en.as_str(),
                v.label_zh.as_str(),
                v.value_type.code(),
                if v.is_quasi_identifier() { "yes" } else { "no" },
                released_as.as_str(),
                v.description_en.as_str(),
            ],
        );
    }
    let facts = [
        ("k", extract.k.to_string()),
        ("cohort_rows", extract.cohort_rows.to_string()),
        ("released_rows", extract.rows.len().to_string()),
        ("suppressed_rows", extract.suppressed.to_string()),
        ("reference_date", extract.reference.to_string()),
    ];
    out.push_str("\r\n");
    line(&mut out, ["release_fact", "value"]);
    for (name, value) in &facts {
        line(&mut out, [*name, value.as_str()]);
    }
    out
}

fn line<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_only_when_needed() {
        let mut out = String::new();
        line(&mut out, ["a", "b,c", "say \"hi\"", ""]);
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\",\r\n");
    }
}
