//! The delivery address a patient gives for courier delivery: checked on entry, encrypted at
//! rest, shown masked in lists.

use kernel::MobileNumber;
use serde::{Deserialize, Serialize};

use crate::consultation::checked_text;
use crate::error::{ClinicError, Result};

/// Longest recipient name, in characters.
const MAX_NAME_CHARS: usize = 50;
/// Shortest and longest street address, in characters.
const STREET_CHARS: std::ops::RangeInclusive<usize> = 4..=200;

/// Where a courier delivers: as the patient types it, and as the pharmacist prints it on the
/// waybill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub recipient: String,
    pub mobile: String,
    /// District key of the city, e.g. `gulou`.
    pub district: String,
    /// Street, number, building and flat.
    pub street: String,
}

/// An address as a list shows it: district in clear, the rest masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaskedAddress {
    pub recipient: String,
    pub mobile: String,
    pub district: String,
    pub street: String,
}

impl Address {
    /// The address with each field checked; the mobile number in its 11 digits.
    pub fn checked(&self) -> Result<Address> {
        let recipient = checked_text("recipient", &self.recipient, true)?;
        if recipient.chars().count() > MAX_NAME_CHARS {
            return Err(ClinicError::invalid(
                "recipient",
                format!("at most {MAX_NAME_CHARS} characters"),
            ));
        }
        let mobile = MobileNumber::parse(&self.mobile)
            .map_err(|e| ClinicError::invalid("mobile", e.to_string()))?;
        let district = self.district.trim();
        // The access crate's scope parser is the city's district list as this crate sees it.
        if district.is_empty()
            || format!("district:{district}")
                .parse::<access::Scope>()
                .is_err()
        {
            return Err(ClinicError::invalid(
                "district",
                format!(
                    "`{district}` is not a district of the city; choose one such as gulou, xuanwu or jiangning"
                ),
            ));
        }
        let street = checked_text("street", &self.street, true)?;
        let chars = street.chars().count();
        if !STREET_CHARS.contains(&chars) {
            return Err(ClinicError::invalid(
                "street",
                format!(
                    "{chars} characters; give street, number, building and flat in {} to {} characters",
                    STREET_CHARS.start(),
                    STREET_CHARS.end()
                ),
            ));
        }
        Ok(Address {
            recipient,
            mobile: mobile.as_str().to_owned(),
            district: district.to_owned(),
            street,
        })
    }

    pub fn masked(&self) -> MaskedAddress {
        MaskedAddress {
            recipient: kernel::mask_name(&self.recipient),
            mobile: MobileNumber::parse(&self.mobile)
                .map(|m| m.masked())
                .unwrap_or_else(|_| "***********".into()),
            district: self.district.clone(),
            street: mask_street(&self.street),
        }
    }
}

/// Keeps the road's name (up to six characters before the first digit) and hides the rest:
/// `中山路100号3栋201室` → `中山路****`.
pub fn mask_street(street: &str) -> String {
    let kept: String = street
        .trim()
        .chars()
        .take_while(|c| !c.is_numeric())
        .take(6)
        .collect();
    format!("{kept}****")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn address() -> Address {
        Address {
            recipient: "张三丰".into(),
            mobile: "138-1234-5678".into(),
            district: "gulou".into(),
            street: "中山路100号3栋201室".into(),
        }
    }

    #[test]
    fn a_good_address_is_normalised_and_masks() {
        let a = address().checked().unwrap();
        assert_eq!(a.mobile, "13812345678");
        let m = a.masked();
        assert_eq!(m.recipient, "张**");
        assert_eq!(m.mobile, "138****5678");
        assert_eq!(m.street, "中山路****");
        assert_eq!(m.district, "gulou");
        assert_eq!(mask_street("100号"), "****");
    }

    #[test]
    fn each_bad_field_is_named() {
        for (field, a) in [
            (
                "recipient",
                Address {
                    recipient: " ".into(),
                    ..address()
                },
            ),
            (
                "mobile",
                Address {
                    mobile: "12345".into(),
                    ..address()
                },
            ),
            (
                "district",
                Address {
                    district: "atlantis".into(),
                    ..address()
                },
            ),
            (
                "street",
                Address {
                    street: "路".into(),
                    ..address()
                },
            ),
        ] {
            let e = a.checked().unwrap_err();
            assert!(
                matches!(&e, ClinicError::Invalid { field: f, .. } if *f == field),
                "{field}: {e:?}"
            );
        }
    }
}
