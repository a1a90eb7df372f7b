//! The control classes of Chinese drug law that decide whether a medicine may be prescribed
//! online or on a long prescription.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How the law controls a medicine. Written in data and JSON as its [`code`](Self::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlClass {
    /// No special control.
    Ordinary,
    /// 麻醉药品.
    Narcotic,
    /// 第一类精神药品.
    #[serde(rename = "psychotropic-1")]
    PsychotropicI,
    /// 第二类精神药品.
    #[serde(rename = "psychotropic-2")]
    PsychotropicII,
    /// 医疗用毒性药品.
    MedicalToxic,
    /// 放射性药品.
    Radioactive,
    /// 药品类易制毒化学品.
    Precursor,
    /// 抗菌药物: ordinary online, but not on a long prescription.
    Antimicrobial,
}

impl ControlClass {
    /// Every class, in declaration order.
    pub const ALL: [ControlClass; 8] = [
        ControlClass::Ordinary,
        ControlClass::Narcotic,
        ControlClass::PsychotropicI,
        ControlClass::PsychotropicII,
        ControlClass::MedicalToxic,
        ControlClass::Radioactive,
        ControlClass::Precursor,
        ControlClass::Antimicrobial,
    ];

    /// The stable code used in data files and JSON, e.g. `psychotropic-2`.
    pub fn code(self) -> &'static str {
        match self {
            ControlClass::Ordinary => "ordinary",
            ControlClass::Narcotic => "narcotic",
            ControlClass::PsychotropicI => "psychotropic-1",
            ControlClass::PsychotropicII => "psychotropic-2",
            ControlClass::MedicalToxic => "medical-toxic",
            ControlClass::Radioactive => "radioactive",
            ControlClass::Precursor => "precursor",
            ControlClass::Antimicrobial => "antimicrobial",
        }
    }

    /// The legal name in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            ControlClass::Ordinary => "普通药品",
            ControlClass::Narcotic => "麻醉药品",
            ControlClass::PsychotropicI => "第一类精神药品",
            ControlClass::PsychotropicII => "第二类精神药品",
            ControlClass::MedicalToxic => "医疗用毒性药品",
            ControlClass::Radioactive => "放射性药品",
            ControlClass::Precursor => "药品类易制毒化学品",
            ControlClass::Antimicrobial => "抗菌药物",
        }
    }

    /// The name in English.
    pub fn label_en(self) -> &'static str {
        match self {
            ControlClass::Ordinary => "ordinary medicine",
            ControlClass::Narcotic => "narcotic drug",
            ControlClass::PsychotropicI => "class I psychotropic drug",
            ControlClass::PsychotropicII => "class II psychotropic drug",
            ControlClass::MedicalToxic => "toxic drug for medical use",
            ControlClass::Radioactive => "radioactive drug",
            ControlClass::Precursor => "precursor chemical drug",
            ControlClass::Antimicrobial => "antimicrobial",
        }
    }
}

impl fmt::Display for ControlClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A string that is not the code of a [`ControlClass`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown control class {0:?}")]
pub struct UnknownControlClass(pub String);

impl FromStr for ControlClass {
    type Err = UnknownControlClass;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ControlClass::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| UnknownControlClass(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_and_match_serde() {
        for class in ControlClass::ALL {
            assert_eq!(class.code().parse::<ControlClass>(), Ok(class));
            let json = serde_json::to_string(&class).expect("serialises");
            assert_eq!(json, format!("\"{}\"", class.code()));
        }
        assert!("psychotropic".parse::<ControlClass>().is_err());
    }
}
