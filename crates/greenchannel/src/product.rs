//! A product as a nomination carries it: plain data copied from the company's register (the
//! industry crate) at the time of nomination, so a list version shows what was approved even
//! if the register changes later.

use std::fmt;
use std::str::FromStr;

use kernel::UnifiedSocialCreditCode;
use serde::{Deserialize, Serialize};

use crate::error::{GreenChannelError, Result};

/// Longest free text kept (names, evidence, reasons).
pub const MAX_TEXT_CHARS: usize = 2000;

/// What kind of product: the lists cover drugs, devices and consumables (nanjing-2022 三（六）:
/// 创新药品、医疗器械和耗材).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    Drug,
    Device,
    Consumable,
}

impl ProductKind {
    pub const ALL: [ProductKind; 3] = [
        ProductKind::Drug,
        ProductKind::Device,
        ProductKind::Consumable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProductKind::Drug => "drug",
            ProductKind::Device => "device",
            ProductKind::Consumable => "consumable",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ProductKind::Drug => "药品",
            ProductKind::Device => "医疗器械",
            ProductKind::Consumable => "耗材",
        }
    }
}

impl fmt::Display for ProductKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for ProductKind {
    type Err = GreenChannelError;
    fn from_str(s: &str) -> Result<Self> {
        ProductKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| GreenChannelError::BadKind {
                value: s.to_owned(),
            })
    }
}

/// A product and its company, as nominated and as frozen into a list version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub company_id: String,
    pub company_name: String,
    pub uscc: String,
    pub product_id: String,
    pub product_name: String,
    pub kind: ProductKind,
    /// NMPA approval number (批准文号) or device registration certificate number.
    pub registration_no: String,
}

impl Product {
    /// Trims every field and checks it: all present, not too long, the credit code valid
    /// (stored in its canonical form).
    pub fn checked(self) -> Result<Product> {
        let uscc = UnifiedSocialCreditCode::parse(self.uscc.trim()).map_err(|e| {
            GreenChannelError::BadUscc {
                value: self.uscc.clone(),
                why: e.to_string(),
            }
        })?;
        Ok(Product {
            company_id: required("company_id", &self.company_id)?,
            company_name: required("company_name", &self.company_name)?,
            uscc: uscc.as_str().to_owned(),
            product_id: required("product_id", &self.product_id)?,
            product_name: required("product_name", &self.product_name)?,
            kind: self.kind,
            registration_no: required("registration_no", &self.registration_no)?,
        })
    }
}

/// `text` trimmed, refused when empty or longer than [`MAX_TEXT_CHARS`].
pub(crate) fn required(field: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(GreenChannelError::Missing { field });
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(GreenChannelError::TooLong {
            field,
            max: MAX_TEXT_CHARS,
        });
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn product(uscc: &str) -> Product {
        Product {
            company_id: " c-1 ".into(),
            company_name: "南京示例生物".into(),
            uscc: uscc.into(),
            product_id: "p-1".into(),
            product_name: "示例单抗注射液".into(),
            kind: ProductKind::Drug,
            registration_no: "国药准字S20260001".into(),
        }
    }

    #[test]
    fn a_valid_product_is_trimmed() {
        let body = "91320100MA1XXXXXX";
        let check = kernel::check_character(body).unwrap();
        let p = product(&format!("{body}{check}")).checked().unwrap();
        assert_eq!(p.company_id, "c-1");
    }

    #[test]
    fn a_bad_credit_code_is_refused() {
        let e = product("91320100MA1XXXXXX0X").checked().unwrap_err();
        assert!(matches!(e, GreenChannelError::BadUscc { .. }), "{e:?}");
    }

    #[test]
    fn kinds_round_trip() {
        for k in ProductKind::ALL {
            assert_eq!(k.code().parse::<ProductKind>().unwrap(), k);
        }
        assert!("vaccine".parse::<ProductKind>().is_err());
    }
}
