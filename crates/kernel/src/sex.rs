//! Sex as recorded on the resident ID card.

/// Sex as encoded in a resident ID number (the 17th digit: odd for male, even for female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// The FHIR `AdministrativeGender` code: `male` or `female`.
    pub fn fhir_code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn fhir_codes() {
        assert_eq!(Sex::Male.fhir_code(), "male");
        assert_eq!(Sex::Female.fhir_code(), "female");
    }
}
