//! The demo's online convenience clinic: every internet hospital reports a synthetic online
//! volume for the last complete quarter, the health commission designates the top of the
//! ranking (the seed's 10 of the demo's 11), each pilot offers hypertension and type 2
//! diabetes (the demo doctor's also coronary heart disease) with its staff doctors, whose credentials the hospital verified. The demo
//! doctor's hospital ranks first so the demo accounts meet in its clinic; one doctor there is
//! a junior (under three years), so the refusal can be seen.

use access::{Accounts, OrganisationKind, Principal};
use clinic::{Clinic, Offering};
use jiff::ToSpan;
use jiff::civil::Date;
use kernel::UtcMillis;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{DEMO_PASSWORD, DemoError, SEED};

/// What was set up.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClinicSummary {
    pub reported: usize,
    pub pilots: usize,
    pub doctors: usize,
    /// Pharmacies given stock and pickup times.
    pub sites: usize,
}

/// The reporting period before the one `today` falls in: `2026-Q3` in November 2026.
pub fn last_quarter(today: Date) -> String {
    let quarter = (today.month() - 1) / 3 + 1;
    if quarter == 1 {
        format!("{}-Q4", today.year() - 1)
    } else {
        format!("{}-Q{}", today.year(), quarter - 1)
    }
}

pub async fn generate_clinic(
    accounts: &Accounts,
    clinic: &Clinic,
    now: UtcMillis,
) -> Result<ClinicSummary, DemoError> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0xC11);
    let today = now.city_date();
    let period = last_quarter(today);
    let official = sign_in(accounts, "health.official").await?;
    let doctor = sign_in(accounts, "doctor").await?;
    let mut hospitals: Vec<_> = accounts
        .organisations_of_kind(OrganisationKind::Hospital, None)
        .await?
        .into_iter()
        .filter(|h| h.internet_hospital)
        .collect();
    // The demo doctor's hospital first, so it ranks first.
    hospitals.sort_by_key(|h| h.id != doctor.organisation.id);
    let mut summary = ClinicSummary::default();
    let mut volume: u64 = 38_000;
    for h in &hospitals {
        clinic
            .report_volume(&official, &h.id, &period, volume)
            .await
            .map_err(err)?;
        summary.reported += 1;
        volume = volume.saturating_sub(rng.gen_range(1_500..4_000));
    }
    let pilots = clinic
        .designate(&official, &period, None, None)
        .await
        .map_err(err)?;
    summary.pilots = pilots.len();
    let users = accounts.users().await?;
    for pilot in &pilots {
        let mut doctors: Vec<_> = users
            .iter()
            .filter(|u| u.organisation_id == pilot.hospital_id)
            .filter(|u| {
                u.grants
                    .iter()
                    .any(|g| g.role == access::Role::HospitalDoctor)
            })
            .collect();
        doctors.sort_by(|a, b| a.username.cmp(&b.username));
        let mut offered = Vec::new();
        for (i, u) in doctors.iter().enumerate() {
            // The last doctor of the demo doctor's hospital is a junior: two years of practice.
            let junior = pilot.hospital_id == doctor.organisation.id && i + 1 == doctors.len();
            let years = if junior { 2 } else { rng.gen_range(5..25) };
            let since = today.checked_sub(years.years()).map_err(err)?;
            let licence = format!(
                "1103{:04}{:07}",
                since.year(),
                rng.gen_range(0..10_000_000u32)
            );
            let staff = if doctor.organisation.id == pilot.hospital_id {
                &doctor
            } else {
                &official
            };
            clinic
                .verify_practitioner(staff, &u.id, &licence, since)
                .await
                .map_err(err)?;
            offered.push(u.id.clone());
            summary.doctors += 1;
        }
        // The demo doctor's hospital also sees coronary patients: the demo resident has no such
        // diagnosis, so asking for it shows the first-visit refusal.
        let mut conditions: std::collections::BTreeSet<String> =
            ["hypertension".to_owned(), "t2dm".to_owned()].into();
        if pilot.hospital_id == doctor.organisation.id {
            conditions.insert("chd".to_owned());
        }
        let offering = Offering {
            conditions,
            doctors: offered.into_iter().collect(),
        };
        clinic
            .set_offering(&official, &pilot.hospital_id, &offering)
            .await
            .map_err(err)?;
    }
    summary.sites = stock_and_slots(accounts, clinic, &doctor, now).await?;
    Ok(summary)
}

/// The demo doctor's hospital pharmacy and the community pharmacy of its district keep the
/// chronic medicines and open pickup times for the coming week (9:00–11:00 and 14:00–16:00,
/// 20 places each); the community pharmacy gets a pharmacist of its own.
async fn stock_and_slots(
    accounts: &Accounts,
    clinic: &Clinic,
    doctor: &Principal,
    now: UtcMillis,
) -> Result<usize, DemoError> {
    let hospital_pharmacist = sign_in(accounts, "pharmacist").await?;
    let district = doctor.organisation.district.clone();
    let pharmacy = accounts
        .organisations_of_kind(OrganisationKind::Pharmacy, district.as_deref())
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| err("no community pharmacy in the demo doctor's district"))?;
    accounts
        .create_user(access::NewUser {
            username: "pharmacist.community".into(),
            display_name: "社区药房药师（演示）".into(),
            organisation_id: pharmacy.id.clone(),
            password: DEMO_PASSWORD.into(),
            mobile: None,
            grants: vec![access::Grant {
                role: access::Role::Pharmacist,
                scope: access::Scope::Organisation(pharmacy.id.clone()),
            }],
            must_change_password: false,
        })
        .await?;
    let community_pharmacist = sign_in(accounts, "pharmacist.community").await?;
    let today = now.city_date();
    let zone = jiff::tz::TimeZone::get(kernel::CITY_TIME_ZONE).map_err(err)?;
    let mut sites = 0;
    for (pharmacist, units) in [(&hospital_pharmacist, 3_000), (&community_pharmacist, 600)] {
        let site = pharmacist.organisation.id.clone();
        for drug in prescribing::catalogue().all().iter().filter(|d| d.chronic) {
            clinic
                .set_stock(pharmacist, &site, &drug.code, units)
                .await
                .map_err(err)?;
        }
        for day in 0..7 {
            let date = today.checked_add(day.days()).map_err(err)?;
            for hour in [9, 14] {
                let starts = date
                    .at(hour, 0, 0, 0)
                    .to_zoned(zone.clone())
                    .map_err(err)?
                    .timestamp()
                    .as_millisecond();
                if starts <= now.0 {
                    continue;
                }
                clinic
                    .add_slot(
                        pharmacist,
                        clinic::NewSlot {
                            site_id: site.clone(),
                            starts_at: starts,
                            ends_at: starts + 2 * 3_600_000,
                            capacity: 20,
                        },
                        now.0,
                    )
                    .await
                    .map_err(err)?;
            }
        }
        sites += 1;
    }
    Ok(sites)
}

/// The demo account's principal, as if it signed in.
async fn sign_in(accounts: &Accounts, username: &str) -> Result<Principal, DemoError> {
    let (token, principal) = accounts
        .login(username, DEMO_PASSWORD)
        .await?
        .map_err(|e| err(format!("demo account {username}: {e:?}")))?;
    // The demo acts through the services as its people would; it keeps no session.
    accounts.logout(&token).await?;
    Ok(principal)
}

fn err(e: impl std::fmt::Display) -> DemoError {
    DemoError::Inconsistent(format!("demo clinic: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_quarter_wraps_the_year() {
        assert_eq!(last_quarter(jiff::civil::date(2026, 11, 26)), "2026-Q3");
        assert_eq!(last_quarter(jiff::civil::date(2026, 2, 1)), "2025-Q4");
        assert_eq!(last_quarter(jiff::civil::date(2026, 4, 1)), "2026-Q1");
    }
}
