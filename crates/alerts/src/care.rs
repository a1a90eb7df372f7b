//! Who looks after a resident, how old they are and which registers they are on: what an alert
//! needs to be addressed and a trend rule to be judged. Read through the registry's own API.

use std::collections::HashMap;

use jiff::civil::Date;
use registry::{Reach, RegisterFilter, Registers, ResidentIndex};

use crate::error::Result;

/// The facts about one resident that alerts use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResidentCare {
    /// The family doctor's user id.
    pub family_doctor_id: Option<String>,
    /// The community health centre's organisation id.
    pub community_centre_id: Option<String>,
    /// District key.
    pub district: Option<String>,
    /// Birth date, for age-specific control targets.
    pub birth_date: Option<Date>,
    /// Template codes of the registers the resident is on.
    pub registers: Vec<String>,
}

/// Reads care teams and registers from the registry.
#[derive(Clone)]
pub struct CareLookup {
    residents: ResidentIndex,
    registers: Registers,
}

/// Enrolments read per page.
const PAGE: u32 = 500;

impl CareLookup {
    /// Over the registry's resident index and registers.
    pub fn new(residents: ResidentIndex, registers: Registers) -> Self {
        CareLookup {
            residents,
            registers,
        }
    }

    /// The care facts of each resident; an unknown resident gets empty facts (an alert for
    /// them is still raised, for their own view, and escalates at once: nobody is addressed).
    pub async fn care_of(&self, ids: &[String]) -> Result<HashMap<String, ResidentCare>> {
        let mut out: HashMap<String, ResidentCare> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        // One query for everyone on a register: the rows carry the care team and birth date.
        let mut offset = 0;
        loop {
            let rows = self
                .registers
                .list(&RegisterFilter {
                    reach: Reach::Residents(ids.to_vec()),
                    limit: PAGE,
                    offset,
                    ..RegisterFilter::default()
                })
                .await?;
            let n = rows.len();
            for row in rows {
                let care = out
                    .entry(row.enrolment.resident_id.clone())
                    .or_insert_with(|| ResidentCare {
                        family_doctor_id: row.family_doctor_id.clone(),
                        community_centre_id: row.community_centre_id.clone(),
                        district: row.district.clone(),
                        birth_date: row.birth_date,
                        registers: Vec::new(),
                    });
                care.registers.push(row.enrolment.disease);
            }
            if n < PAGE as usize {
                break;
            }
            offset += PAGE;
        }
        // Residents on no register: their care team from the master index.
        for id in ids {
            if out.contains_key(id) {
                continue;
            }
            let care = match self.residents.resident(id).await? {
                Some(r) => ResidentCare {
                    birth_date: r.facts.birth(),
                    family_doctor_id: r.care.family_doctor_id,
                    community_centre_id: r.care.community_centre_id,
                    district: r.care.district,
                    registers: Vec::new(),
                },
                None => ResidentCare::default(),
            };
            out.insert(id.clone(), care);
        }
        Ok(out)
    }
}
