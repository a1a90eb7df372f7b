//! Doctors' practice credentials, as their hospital verified them: licence number, first day
//! of independent practice, real-name verification. The online clinic reads them to decide
//! whether a doctor may consult (three years of independent practice, the 2018 rules).

use access::{Principal, Role};
use jiff::civil::Date;
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use serde::Serialize;
use store::sqlx::{self, Row};

use crate::error::{ClinicError, Result};
use crate::service::{Clinic, manage_hospital};

/// A doctor's credentials on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Practitioner {
    pub user_id: String,
    pub hospital_id: String,
    /// 医师执业证书编码 (a physician practice certificate number: 15 digits).
    pub licence_no: String,
    pub practising_since: Date,
    pub verified_at: i64,
}

/// Checks a practice certificate number: 15 digits, as the national certificate prints it.
pub fn valid_licence(number: &str) -> bool {
    number.len() == 15 && number.bytes().all(|b| b.is_ascii_digit())
}

impl Clinic {
    /// Records that the hospital verified `doctor_id`'s identity and credentials.
    pub async fn verify_practitioner(
        &self,
        actor: &Principal,
        doctor_id: &str,
        licence_no: &str,
        practising_since: Date,
    ) -> Result<Practitioner> {
        let Some(user) = self.accounts.user(doctor_id).await? else {
            return Err(ClinicError::NotFound { what: "doctor" });
        };
        manage_hospital(actor, &user.organisation_id)?;
        let grants = self.accounts.grants_of(doctor_id).await?;
        if !grants.iter().any(|g| g.role == Role::HospitalDoctor) {
            return Err(ClinicError::invalid(
                "doctor",
                "the user is not a hospital doctor",
            ));
        }
        let licence_no = licence_no.trim();
        if !valid_licence(licence_no) {
            return Err(ClinicError::invalid(
                "licence_no",
                "a physician practice certificate number is 15 digits",
            ));
        }
        let now = UtcMillis::now();
        if practising_since > now.city_date() {
            return Err(ClinicError::invalid(
                "practising_since",
                "the first day of practice cannot be in the future",
            ));
        }
        sqlx::query(
            "INSERT INTO clinic_practitioners (user_id, hospital_id, licence_no, practising_since, verified_at, verified_by) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET \
             hospital_id = $2, licence_no = $3, practising_since = $4, verified_at = $5, verified_by = $6",
        )
        .bind(doctor_id)
        .bind(&user.organisation_id)
        .bind(licence_no)
        .bind(practising_since.to_string())
        .bind(now.0)
        .bind(&actor.user_id)
        .execute(self.db.pool())
        .await?;
        self.record(
            actor,
            "clinic.practitioner.verify",
            "user",
            doctor_id,
            PurposeOfUse::Operations,
            format!("{licence_no}:{practising_since}").as_bytes(),
        )
        .await;
        Ok(Practitioner {
            user_id: doctor_id.to_owned(),
            hospital_id: user.organisation_id,
            licence_no: licence_no.to_owned(),
            practising_since,
            verified_at: now.0,
        })
    }

    /// A doctor's credentials, if verified.
    pub async fn practitioner(&self, user_id: &str) -> Result<Option<Practitioner>> {
        let row = sqlx::query(
            "SELECT user_id, hospital_id, licence_no, practising_since, verified_at \
             FROM clinic_practitioners WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            let since: String = r.try_get(3)?;
            Ok(Practitioner {
                user_id: r.try_get(0)?,
                hospital_id: r.try_get(1)?,
                licence_no: r.try_get(2)?,
                practising_since: since
                    .parse()
                    .map_err(|_| ClinicError::Corrupt(format!("practice date {since}")))?,
                verified_at: r.try_get(4)?,
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_licence_number_is_fifteen_digits() {
        assert!(valid_licence("110320100012345"));
        for bad in ["11032010001234", "1103201000123456", "11032010001234X", ""] {
            assert!(!valid_licence(bad), "{bad}");
        }
    }
}
