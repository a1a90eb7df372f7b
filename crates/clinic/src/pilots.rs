//! Pilot hospitals: internet hospitals report their online service volume per period, the
//! platform ranks them, and the health commission designates the pilots (nanjing-2022 三（七）:
//! the 10 with the highest volume and demand). A designation that departs from the ranking
//! needs a written reason. Pilots choose the conditions and doctors their clinic offers.

use std::collections::BTreeSet;

use access::{OrganisationKind, Principal};
use kernel::UtcMillis;
use ledger::PurposeOfUse;
use serde::{Deserialize, Serialize};
use store::sqlx::{self, Row};

use crate::error::{ClinicError, Result};
use crate::service::{Clinic, is_health_commission, manage_hospital};

/// One hospital's place in a period's ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ranked {
    pub rank: u32,
    pub hospital_id: String,
    pub online_visits: u64,
}

/// Ranks hospitals by online visits, highest first; equal volumes in hospital-id order so a
/// ranking is the same every time it is computed.
pub fn rank(volumes: &[(String, u64)]) -> Vec<Ranked> {
    let mut sorted: Vec<&(String, u64)> = volumes.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sorted
        .into_iter()
        .enumerate()
        .map(|(i, (id, visits))| Ranked {
            rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
            hospital_id: id.clone(),
            online_visits: *visits,
        })
        .collect()
}

/// A designated pilot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pilot {
    pub hospital_id: String,
    pub period: String,
    pub rank: u32,
    pub online_visits: u64,
    pub designated_at: i64,
}

/// What a pilot offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offering {
    /// Disease template codes.
    pub conditions: BTreeSet<String>,
    /// Doctors' user ids.
    pub doctors: BTreeSet<String>,
}

/// Checks a reporting period's name: `YYYY-Qn`.
pub fn valid_period(period: &str) -> bool {
    let Some((year, quarter)) = period.split_once("-Q") else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && matches!(quarter, "1" | "2" | "3" | "4")
}

impl Clinic {
    /// Records a hospital's online visits in `period` (replacing an earlier report of it).
    pub async fn report_volume(
        &self,
        actor: &Principal,
        hospital_id: &str,
        period: &str,
        online_visits: u64,
    ) -> Result<()> {
        manage_hospital(actor, hospital_id)?;
        if !valid_period(period) {
            return Err(ClinicError::invalid(
                "period",
                "a period is a year and quarter, e.g. 2026-Q3",
            ));
        }
        let visits = i64::try_from(online_visits)
            .map_err(|_| ClinicError::invalid("online_visits", "too large"))?;
        self.internet_hospital(hospital_id).await?;
        sqlx::query(
            "INSERT INTO clinic_volumes (hospital_id, period, online_visits, reported_by, reported_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hospital_id, period) DO UPDATE SET \
             online_visits = $3, reported_by = $4, reported_at = $5",
        )
        .bind(hospital_id)
        .bind(period)
        .bind(visits)
        .bind(&actor.user_id)
        .bind(UtcMillis::now().0)
        .execute(self.db.pool())
        .await?;
        self.record(
            actor,
            "clinic.volume.report",
            "organisation",
            hospital_id,
            PurposeOfUse::Operations,
            format!("{period}:{visits}").as_bytes(),
        )
        .await;
        Ok(())
    }

    /// The latest period anyone reported, if any.
    pub async fn latest_period(&self) -> Result<Option<String>> {
        let row = sqlx::query("SELECT MAX(period) FROM clinic_volumes")
            .fetch_one(self.db.pool())
            .await?;
        Ok(row.try_get::<Option<String>, _>(0)?)
    }

    /// The ranking of `period`.
    pub async fn ranking(&self, period: &str) -> Result<Vec<Ranked>> {
        let rows =
            sqlx::query("SELECT hospital_id, online_visits FROM clinic_volumes WHERE period = $1")
                .bind(period)
                .fetch_all(self.db.pool())
                .await?;
        let volumes = rows
            .iter()
            .map(|r| {
                let visits: i64 = r.try_get(1)?;
                Ok((r.try_get(0)?, u64::try_from(visits).unwrap_or(0)))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(rank(&volumes))
    }

    /// Designates the pilots of `period`: by default the top of the ranking, as many as the
    /// rules say. Another choice is allowed with a written reason. Replaces the earlier set.
    pub async fn designate(
        &self,
        actor: &Principal,
        period: &str,
        chosen: Option<Vec<String>>,
        reason: Option<&str>,
    ) -> Result<Vec<Pilot>> {
        if !is_health_commission(actor) {
            return Err(ClinicError::Forbidden(
                "only the health commission designates pilot hospitals",
            ));
        }
        let ranking = self.ranking(period).await?;
        if ranking.is_empty() {
            return Err(ClinicError::invalid(
                "period",
                format!("no hospital reported its volume for {period}"),
            ));
        }
        let limit = self.rules.pilots.count.value as usize;
        let proposed: Vec<String> = ranking
            .iter()
            .take(limit)
            .map(|r| r.hospital_id.clone())
            .collect();
        let chosen = chosen.unwrap_or_else(|| proposed.clone());
        let unique: BTreeSet<&String> = chosen.iter().collect();
        if unique.len() != chosen.len() {
            return Err(ClinicError::invalid(
                "hospitals",
                "a hospital is chosen twice",
            ));
        }
        if chosen.is_empty() || chosen.len() > limit {
            return Err(ClinicError::invalid(
                "hospitals",
                format!("choose between 1 and {limit} hospitals (nanjing-2022 三（七）)"),
            ));
        }
        let differs = unique != proposed.iter().collect::<BTreeSet<_>>();
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if differs && reason.is_none() {
            return Err(ClinicError::invalid(
                "reason",
                "the choice differs from the ranking: write the reason",
            ));
        }
        let now = UtcMillis::now().0;
        let mut pilots = Vec::new();
        for id in &chosen {
            let Some(r) = ranking.iter().find(|r| &r.hospital_id == id) else {
                return Err(ClinicError::invalid(
                    "hospitals",
                    format!("hospital {id} reported no volume for {period}"),
                ));
            };
            pilots.push(Pilot {
                hospital_id: id.clone(),
                period: period.to_owned(),
                rank: r.rank,
                online_visits: r.online_visits,
                designated_at: now,
            });
        }
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("DELETE FROM clinic_pilots")
            .execute(&mut *tx)
            .await?;
        for p in &pilots {
            sqlx::query(
                "INSERT INTO clinic_pilots (hospital_id, period, rank, online_visits, designated_at, designated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&p.hospital_id)
            .bind(&p.period)
            .bind(i64::from(p.rank))
            .bind(i64::try_from(p.online_visits).unwrap_or(i64::MAX))
            .bind(now)
            .bind(&actor.user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let data = format!("{period}:{}:{}", chosen.join(","), reason.unwrap_or(""));
        self.record(
            actor,
            "clinic.pilots.designate",
            "programme",
            "online-clinic",
            PurposeOfUse::Operations,
            data.as_bytes(),
        )
        .await;
        Ok(pilots)
    }

    /// The designated pilots, by rank.
    pub async fn pilots(&self) -> Result<Vec<Pilot>> {
        let rows = sqlx::query(
            "SELECT hospital_id, period, rank, online_visits, designated_at FROM clinic_pilots \
             ORDER BY rank, hospital_id",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Pilot {
                    hospital_id: r.try_get(0)?,
                    period: r.try_get(1)?,
                    rank: u32::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
                    online_visits: u64::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0),
                    designated_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub async fn is_pilot(&self, hospital_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) FROM clinic_pilots WHERE hospital_id = $1")
            .bind(hospital_id)
            .fetch_one(self.db.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Sets what a pilot offers. Conditions must be disease templates; doctors must be the
    /// hospital's doctors with verified credentials.
    pub async fn set_offering(
        &self,
        actor: &Principal,
        hospital_id: &str,
        offering: &Offering,
    ) -> Result<()> {
        manage_hospital(actor, hospital_id)?;
        if !self.is_pilot(hospital_id).await? {
            return Err(ClinicError::invalid(
                "hospital",
                "only a designated pilot opens the online convenience clinic",
            ));
        }
        let catalogue = self.clinical.catalogue();
        for code in &offering.conditions {
            if catalogue.get(code).is_none() {
                return Err(ClinicError::invalid(
                    "conditions",
                    format!("`{code}` is not a disease template"),
                ));
            }
        }
        for doctor in &offering.doctors {
            match self.practitioner(doctor).await? {
                Some(p) if p.hospital_id == hospital_id => {}
                _ => {
                    return Err(ClinicError::invalid(
                        "doctors",
                        format!("{doctor} has no verified credentials at this hospital"),
                    ));
                }
            }
        }
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("DELETE FROM clinic_offerings WHERE hospital_id = $1")
            .bind(hospital_id)
            .execute(&mut *tx)
            .await?;
        let rows = offering
            .conditions
            .iter()
            .map(|c| ("condition", c))
            .chain(offering.doctors.iter().map(|d| ("doctor", d)));
        for (kind, value) in rows {
            sqlx::query(
                "INSERT INTO clinic_offerings (hospital_id, kind, value) VALUES ($1, $2, $3)",
            )
            .bind(hospital_id)
            .bind(kind)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.record(
            actor,
            "clinic.offering.set",
            "organisation",
            hospital_id,
            PurposeOfUse::Operations,
            format!("{offering:?}").as_bytes(),
        )
        .await;
        Ok(())
    }

    /// What a hospital offers (empty when it offers nothing).
    pub async fn offering(&self, hospital_id: &str) -> Result<Offering> {
        let rows = sqlx::query("SELECT kind, value FROM clinic_offerings WHERE hospital_id = $1")
            .bind(hospital_id)
            .fetch_all(self.db.pool())
            .await?;
        let mut offering = Offering::default();
        for r in &rows {
            let kind: String = r.try_get(0)?;
            let value: String = r.try_get(1)?;
            match kind.as_str() {
                "condition" => offering.conditions.insert(value),
                _ => offering.doctors.insert(value),
            };
        }
        Ok(offering)
    }

    /// The hospital, if it is an internet hospital; an error a person can act on otherwise.
    pub(crate) async fn internet_hospital(
        &self,
        hospital_id: &str,
    ) -> Result<access::Organisation> {
        match self.accounts.organisation(hospital_id).await? {
            Some(o) if o.kind == OrganisationKind::Hospital && o.internet_hospital => Ok(o),
            Some(_) => Err(ClinicError::invalid(
                "hospital",
                "the organisation is not a licensed internet hospital",
            )),
            None => Err(ClinicError::NotFound { what: "hospital" }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_busiest_hospital_ranks_first_and_ties_go_by_id() {
        let r = rank(&[("b".into(), 5), ("a".into(), 5), ("c".into(), 9)]);
        let order: Vec<_> = r.iter().map(|r| (r.rank, r.hospital_id.as_str())).collect();
        assert_eq!(order, vec![(1, "c"), (2, "a"), (3, "b")]);
    }

    #[test]
    fn periods_are_year_and_quarter() {
        assert!(valid_period("2026-Q3"));
        for bad in ["2026Q3", "2026-Q5", "26-Q1", "2026-Q", "", "２０２６-Q1"] {
            assert!(!valid_period(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn a_ranking_is_ordered_by_volume_and_keeps_every_hospital(
            volumes in proptest::collection::btree_map("[a-z]{1,6}", 0u64..1000, 0..30)
        ) {
            let input: Vec<(String, u64)> = volumes.into_iter().collect();
            let ranked = rank(&input);
            prop_assert_eq!(ranked.len(), input.len());
            for pair in ranked.windows(2) {
                prop_assert!(pair[0].online_visits >= pair[1].online_visits);
                prop_assert_eq!(pair[0].rank + 1, pair[1].rank);
            }
        }
    }
}
