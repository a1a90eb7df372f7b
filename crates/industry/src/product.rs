//! Products in a company's pipeline: drugs by NMPA registration class, devices by class, and
//! health products (nanjing-2022 三（五）; suzhou 若干措施 第六、七条).

use jiff::civil::Date;
use serde::Serialize;

use crate::error::{IndustryError, Result};

/// A drug's registration class (药品注册分类) as the subsidy clauses name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrugClass {
    Chemical1,
    Chemical2,
    Biological1,
    Biological2,
    Tcm1,
    Tcm2,
    Biosimilar,
    Generic,
}

impl DrugClass {
    pub const ALL: [DrugClass; 8] = [
        DrugClass::Chemical1,
        DrugClass::Chemical2,
        DrugClass::Biological1,
        DrugClass::Biological2,
        DrugClass::Tcm1,
        DrugClass::Tcm2,
        DrugClass::Biosimilar,
        DrugClass::Generic,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DrugClass::Chemical1 => "chemical-1",
            DrugClass::Chemical2 => "chemical-2",
            DrugClass::Biological1 => "biological-1",
            DrugClass::Biological2 => "biological-2",
            DrugClass::Tcm1 => "tcm-1",
            DrugClass::Tcm2 => "tcm-2",
            DrugClass::Biosimilar => "biosimilar",
            DrugClass::Generic => "generic",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            DrugClass::Chemical1 => "化学药品1类",
            DrugClass::Chemical2 => "化学药品2类",
            DrugClass::Biological1 => "生物制品1类",
            DrugClass::Biological2 => "生物制品2类",
            DrugClass::Tcm1 => "中药1类",
            DrugClass::Tcm2 => "中药2类",
            DrugClass::Biosimilar => "生物类似药",
            DrugClass::Generic => "仿制药",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            DrugClass::Chemical1 => "Chemical drug, class 1",
            DrugClass::Chemical2 => "Chemical drug, class 2",
            DrugClass::Biological1 => "Biological product, class 1",
            DrugClass::Biological2 => "Biological product, class 2",
            DrugClass::Tcm1 => "Chinese medicine, class 1",
            DrugClass::Tcm2 => "Chinese medicine, class 2",
            DrugClass::Biosimilar => "Biosimilar",
            DrugClass::Generic => "Generic drug",
        }
    }

    pub fn from_key(key: &str) -> Option<DrugClass> {
        DrugClass::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// A device's class (医疗器械注册证 第二类 / 第三类). Class I devices are filed, not
/// registered, and are not tracked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DeviceClass {
    #[serde(rename = "ii")]
    II,
    #[serde(rename = "iii")]
    III,
}

impl DeviceClass {
    pub fn key(self) -> &'static str {
        match self {
            DeviceClass::II => "ii",
            DeviceClass::III => "iii",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            DeviceClass::II => "第二类医疗器械",
            DeviceClass::III => "第三类医疗器械",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            DeviceClass::II => "Class II medical device",
            DeviceClass::III => "Class III medical device",
        }
    }

    pub fn from_key(key: &str) -> Option<DeviceClass> {
        match key {
            "ii" => Some(DeviceClass::II),
            "iii" => Some(DeviceClass::III),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ProductKind {
    Drug {
        class: DrugClass,
    },
    Device {
        class: DeviceClass,
        /// In the national or provincial innovative-device special review (创新医疗器械特别审查).
        innovative_special_review: bool,
    },
    /// Health products, health foods, rehabilitation products (nanjing-2022 三（五）).
    HealthProduct,
}

impl ProductKind {
    /// The kind a person named in an import: a drug class key or name (`chemical-1`,
    /// `化学药品1类`, `化药1类`), a device class (`device-iii`, `第三类医疗器械`, `三类器械`),
    /// or a health product (`health`, `保健产品`). Special review is a separate column.
    pub fn parse(text: &str, special_review: bool) -> Option<ProductKind> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        if let Some(class) = DrugClass::ALL
            .into_iter()
            .find(|c| c.key() == lower || c.zh() == t || c.zh().replace("化学药品", "化药") == t)
        {
            return Some(ProductKind::Drug { class });
        }
        let device = |class| ProductKind::Device {
            class,
            innovative_special_review: special_review,
        };
        match lower.as_str() {
            "device-ii" | "第二类医疗器械" | "二类器械" | "二类医疗器械" => {
                Some(device(DeviceClass::II))
            }
            "device-iii" | "第三类医疗器械" | "三类器械" | "三类医疗器械" => {
                Some(device(DeviceClass::III))
            }
            "health" | "health-product" | "保健产品" | "保健用品" | "保健食品" => {
                Some(ProductKind::HealthProduct)
            }
            _ => None,
        }
    }

    pub fn is_drug(&self) -> bool {
        matches!(self, ProductKind::Drug { .. })
    }

    pub fn zh(&self) -> String {
        match self {
            ProductKind::Drug { class } => class.zh().to_owned(),
            ProductKind::Device {
                class,
                innovative_special_review: true,
            } => format!("{}（创新特别审查）", class.zh()),
            ProductKind::Device { class, .. } => class.zh().to_owned(),
            ProductKind::HealthProduct => "保健产品".to_owned(),
        }
    }
}

/// A product in a company's pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub kind: ProductKind,
    /// When the project started (立项).
    pub started: Date,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub company_id: String,
    pub name: String,
    pub kind: ProductKind,
    pub started: Date,
}

impl NewProduct {
    pub fn validate(&self, today: Date) -> Result<()> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(IndustryError::invalid(
                "name",
                "请填写产品名称（不超过200字）",
                "enter the product's name (at most 200 characters)",
            ));
        }
        if self.started > today {
            return Err(IndustryError::invalid(
                "started",
                format!("立项日期{}晚于今天", self.started),
                format!("started {} is in the future", self.started),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_by_key_or_chinese_name() {
        assert_eq!(
            ProductKind::parse("化药1类", false),
            Some(ProductKind::Drug {
                class: DrugClass::Chemical1
            })
        );
        assert_eq!(
            ProductKind::parse("biosimilar", false),
            Some(ProductKind::Drug {
                class: DrugClass::Biosimilar
            })
        );
        assert_eq!(
            ProductKind::parse("第三类医疗器械", true),
            Some(ProductKind::Device {
                class: DeviceClass::III,
                innovative_special_review: true
            })
        );
        assert_eq!(
            ProductKind::parse("保健食品", false),
            Some(ProductKind::HealthProduct)
        );
        assert_eq!(ProductKind::parse("第一类医疗器械", false), None);
    }
}
