//! The regulator's view (issue 5, "Records and oversight"): per pilot, the volume of
//! consultations and prescriptions by state, the refusals by rule, and how long patients
//! waited for a doctor. Aggregates only: no patient appears here.

use std::collections::BTreeMap;

use access::Principal;
use serde::Serialize;
use store::sqlx::{self, Row};

use crate::error::{ClinicError, Result};
use crate::service::{Clinic, is_health_commission};

/// One hospital's figures over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PilotFigures {
    pub hospital_id: String,
    /// Consultations requested in the period, by state code.
    pub consultations: BTreeMap<String, u64>,
    /// Prescriptions written in the period, by state code.
    pub prescriptions: BTreeMap<String, u64>,
    /// Refusals in the period, by `stage/rule` (e.g. `request/definite-diagnosis`).
    pub refusals: BTreeMap<String, u64>,
    /// Minutes from request to acceptance, of the consultations accepted.
    pub wait_median_minutes: Option<f64>,
    pub wait_p90_minutes: Option<f64>,
    pub accepted: u64,
}

impl PilotFigures {
    pub fn total_consultations(&self) -> u64 {
        self.consultations.values().sum()
    }

    pub fn total_refusals(&self) -> u64 {
        self.refusals.values().sum()
    }
}

fn entry<'a>(all: &'a mut BTreeMap<String, PilotFigures>, id: &str) -> &'a mut PilotFigures {
    all.entry(id.to_owned()).or_insert_with(|| PilotFigures {
        hospital_id: id.to_owned(),
        ..PilotFigures::default()
    })
}

/// The value below which `share` of the sorted values lie (nearest rank).
pub fn percentile(sorted: &[f64], share: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&share) {
        return None;
    }
    let rank = (share * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
}

impl Clinic {
    /// Figures per hospital for everything since `from` (Unix ms), for the health commission.
    pub async fn oversight(&self, actor: &Principal, from: i64) -> Result<Vec<PilotFigures>> {
        if !is_health_commission(actor) {
            return Err(ClinicError::Forbidden(
                "the clinic's oversight figures are the health commission's",
            ));
        }
        let mut by_hospital: BTreeMap<String, PilotFigures> = BTreeMap::new();
        let counts = |sql: &'static str| sqlx::query(sql).bind(from).fetch_all(self.db.pool());
        for row in counts(
            "SELECT hospital_id, state, COUNT(*) FROM clinic_consultations \
             WHERE requested_at >= $1 GROUP BY hospital_id, state",
        )
        .await?
        {
            let n: i64 = row.try_get(2)?;
            entry(&mut by_hospital, &row.try_get::<String, _>(0)?)
                .consultations
                .insert(row.try_get(1)?, u64::try_from(n).unwrap_or(0));
        }
        for row in counts(
            "SELECT hospital_id, state, COUNT(*) FROM clinic_prescriptions \
             WHERE written_at >= $1 GROUP BY hospital_id, state",
        )
        .await?
        {
            let n: i64 = row.try_get(2)?;
            entry(&mut by_hospital, &row.try_get::<String, _>(0)?)
                .prescriptions
                .insert(row.try_get(1)?, u64::try_from(n).unwrap_or(0));
        }
        for row in counts(
            "SELECT hospital_id, stage, rule, COUNT(*) FROM clinic_refusals \
             WHERE at >= $1 GROUP BY hospital_id, stage, rule",
        )
        .await?
        {
            let stage: String = row.try_get(1)?;
            let rule: String = row.try_get(2)?;
            let n: i64 = row.try_get(3)?;
            entry(&mut by_hospital, &row.try_get::<String, _>(0)?)
                .refusals
                .insert(format!("{stage}/{rule}"), u64::try_from(n).unwrap_or(0));
        }
        let mut waits: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for row in counts(
            "SELECT hospital_id, accepted_at - requested_at FROM clinic_consultations \
             WHERE requested_at >= $1 AND accepted_at IS NOT NULL",
        )
        .await?
        {
            let ms: i64 = row.try_get(1)?;
            waits
                .entry(row.try_get(0)?)
                .or_default()
                .push(ms as f64 / 60_000.0);
        }
        for (hospital, mut minutes) in waits {
            minutes.sort_by(f64::total_cmp);
            let figures = entry(&mut by_hospital, &hospital);
            figures.accepted = minutes.len() as u64;
            figures.wait_median_minutes = percentile(&minutes, 0.5);
            figures.wait_p90_minutes = percentile(&minutes, 0.9);
        }
        Ok(by_hospital.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&v, 0.5), Some(5.0));
        assert_eq!(percentile(&v, 0.9), Some(9.0));
        assert_eq!(percentile(&v, 1.0), Some(10.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&v, 1.5), None);
    }

    proptest! {
        #[test]
        fn a_percentile_is_one_of_the_values_and_grows_with_the_share(
            mut v in proptest::collection::vec(0.0f64..1e6, 1..50),
            a in 0.0f64..=1.0, b in 0.0f64..=1.0,
        ) {
            v.sort_by(f64::total_cmp);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let p_lo = percentile(&v, lo).expect("a share in 0..=1 of values");
            let p_hi = percentile(&v, hi).expect("a share in 0..=1 of values");
            prop_assert!(v.contains(&p_lo));
            prop_assert!(p_lo <= p_hi);
        }
    }
}
