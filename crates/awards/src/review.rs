//! Expert review, pure: who may review an application (conflicts of interest), how experts are
//! chosen, and how their scores become one figure. The service stores what these decide.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::rules::{Criterion, Rules};

/// An expert who could be assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expert {
    pub user_id: String,
    pub organisation_id: String,
    /// Applications assigned and not yet scored: the least busy are chosen first.
    pub open_assignments: u32,
}

/// A declared tie between an expert and a company (joint project, employment, co-authorship).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collaboration {
    pub expert_user_id: String,
    pub company_id: String,
    /// When the tie ended (or ends).
    pub until: Date,
    pub note: String,
}

/// Why an expert may not review an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Conflict {
    /// The expert belongs to the applicant's organisation.
    SameOrganisation,
    /// The expert worked with the applicant until this date, within the conflict window.
    RecentCollaboration { until: Date, note: String },
    /// The expert declared a conflict when assigned.
    Declared { reason: String },
}

impl Conflict {
    pub fn explain_zh(&self) -> String {
        match self {
            Conflict::SameOrganisation => "专家与申报单位属同一单位，须回避".to_owned(),
            Conflict::RecentCollaboration { until, note } => {
                format!("专家与申报单位合作至 {until}（{note}），在回避期内")
            }
            Conflict::Declared { reason } => format!("专家自行申明回避：{reason}"),
        }
    }

    pub fn explain_en(&self) -> String {
        match self {
            Conflict::SameOrganisation => {
                "The expert belongs to the applicant's organisation and must stand aside".to_owned()
            }
            Conflict::RecentCollaboration { until, note } => format!(
                "The expert worked with the applicant until {until} ({note}), within the conflict window"
            ),
            Conflict::Declared { reason } => format!("The expert declared a conflict: {reason}"),
        }
    }
}

/// The applicant, as conflict checks see it.
#[derive(Debug, Clone, Copy)]
pub struct Applicant<'a> {
    pub company_id: &'a str,
    pub organisation_id: &'a str,
}

/// Whether `expert` has a conflict with `applicant` on `today`.
pub fn conflict(
    expert: &Expert,
    applicant: Applicant<'_>,
    collaborations: &[Collaboration],
    today: Date,
    rules: &Rules,
) -> Option<Conflict> {
    if expert.organisation_id == applicant.organisation_id {
        return Some(Conflict::SameOrganisation);
    }
    let years = i16::try_from(rules.conflict_years.value).unwrap_or(i16::MAX);
    let window_start = today
        .checked_sub(jiff::Span::new().years(years))
        .unwrap_or(Date::MIN);
    collaborations
        .iter()
        .filter(|c| c.expert_user_id == expert.user_id && c.company_id == applicant.company_id)
        .filter(|c| c.until >= window_start)
        .max_by_key(|c| c.until)
        .map(|c| Conflict::RecentCollaboration {
            until: c.until,
            note: c.note.clone(),
        })
}

/// The panel chosen for an application, and who was passed over and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    pub chosen: Vec<String>,
    pub excluded: Vec<(String, Conflict)>,
}

/// Too few experts without a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    pub needed: u32,
    pub available: u32,
}

/// What keeps experts off a panel besides their organisation: recorded collaborations, and
/// conflicts declared on this application (expert user id, reason).
#[derive(Debug, Clone, Copy)]
pub struct Ties<'a> {
    pub collaborations: &'a [Collaboration],
    pub declared: &'a [(String, String)],
}

/// Chooses `needed` experts without a conflict, least busy first (ties by user id, so the
/// choice is reproducible). Experts already on the panel (`keep`) stay and count.
pub fn choose_panel(
    experts: &[Expert],
    applicant: Applicant<'_>,
    ties: Ties<'_>,
    keep: &[String],
    needed: u32,
    today: Date,
    rules: &Rules,
) -> Result<Panel, Shortage> {
    let mut excluded = Vec::new();
    let mut free: Vec<&Expert> = Vec::new();
    for expert in experts {
        let declared_reason = ties
            .declared
            .iter()
            .find(|(user, _)| *user == expert.user_id)
            .map(|(_, reason)| Conflict::Declared {
                reason: reason.clone(),
            });
        match declared_reason
            .or_else(|| conflict(expert, applicant, ties.collaborations, today, rules))
        {
            Some(c) => excluded.push((expert.user_id.clone(), c)),
            None if keep.contains(&expert.user_id) => {}
            None => free.push(expert),
        }
    }
    free.sort_by(|a, b| {
        a.open_assignments
            .cmp(&b.open_assignments)
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    let mut chosen: Vec<String> = keep
        .iter()
        .filter(|k| !excluded.iter().any(|(e, _)| e == *k))
        .cloned()
        .collect();
    for expert in free {
        if chosen.len() as u32 >= needed {
            break;
        }
        chosen.push(expert.user_id.clone());
    }
    if (chosen.len() as u32) < needed {
        return Err(Shortage {
            needed,
            available: chosen.len() as u32,
        });
    }
    Ok(Panel { chosen, excluded })
}

/// One expert's scores, one per rubric criterion in rubric order, each 0-100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    pub expert_user_id: String,
    pub per_criterion: Vec<u32>,
    pub comment: String,
}

/// Why a score sheet is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScoreError {
    /// One score per criterion is needed.
    WrongCount { expected: usize, found: usize },
    /// Scores run from 0 to 100.
    OutOfRange { criterion: String, value: u32 },
}

/// Checks a score sheet against the rubric.
pub fn check_scores(rubric: &[Criterion], per_criterion: &[u32]) -> Result<(), ScoreError> {
    if per_criterion.len() != rubric.len() {
        return Err(ScoreError::WrongCount {
            expected: rubric.len(),
            found: per_criterion.len(),
        });
    }
    for (criterion, &value) in rubric.iter().zip(per_criterion) {
        if value > 100 {
            return Err(ScoreError::OutOfRange {
                criterion: criterion.key.clone(),
                value,
            });
        }
    }
    Ok(())
}

/// One expert's weighted total (0-100), in hundredths so no float decides an award.
pub fn weighted_total(rubric: &[Criterion], per_criterion: &[u32]) -> u32 {
    rubric
        .iter()
        .zip(per_criterion)
        .map(|(c, &v)| c.weight * v.min(100))
        .sum()
}

/// The panel's figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Mean of the totals counted, in hundredths of a point (6350 = 63.50).
    pub score_centi: u32,
    /// Each expert's total in hundredths, in the order given.
    pub totals_centi: Vec<u32>,
    /// Whether the highest and lowest totals were dropped.
    pub trimmed: bool,
    /// Mean per criterion (0-100, hundredths), for the review page.
    pub per_criterion_centi: Vec<u32>,
    pub passed: bool,
}

/// Combines the panel's sheets: each expert's weighted total, the highest and lowest dropped
/// when the panel is large enough, then the mean, rounded down to a hundredth.
pub fn aggregate(rubric: &[Criterion], sheets: &[Scores], rules: &Rules) -> Option<Aggregate> {
    if sheets.is_empty() {
        return None;
    }
    let totals: Vec<u32> = sheets
        .iter()
        .map(|s| weighted_total(rubric, &s.per_criterion))
        .collect();
    let trimmed = sheets.len() as u32 >= rules.trim_extremes_from.value && sheets.len() >= 3;
    let mut counted = totals.clone();
    counted.sort_unstable();
    if trimmed {
        counted.remove(0);
        counted.pop();
    }
    let score_centi =
        (counted.iter().map(|&t| u64::from(t)).sum::<u64>() / counted.len() as u64) as u32;
    let per_criterion_centi = (0..rubric.len())
        .map(|i| {
            let sum: u64 = sheets
                .iter()
                .map(|s| u64::from(s.per_criterion.get(i).copied().unwrap_or(0)) * 100)
                .sum();
            (sum / sheets.len() as u64) as u32
        })
        .collect();
    Some(Aggregate {
        score_centi,
        totals_centi: totals,
        trimmed,
        per_criterion_centi,
        passed: score_centi >= rules.pass_score.value * 100,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;

    fn expert(id: &str, org: &str, open: u32) -> Expert {
        Expert {
            user_id: id.to_owned(),
            organisation_id: org.to_owned(),
            open_assignments: open,
        }
    }

    const APPLICANT: Applicant<'static> = Applicant {
        company_id: "co-1",
        organisation_id: "org-co-1",
    };

    #[test]
    fn same_organisation_and_recent_collaboration_are_conflicts() {
        let rules = Rules::shipped();
        let today = date(2026, 11, 26);
        let colleague = expert("e1", "org-co-1", 0);
        assert_eq!(
            conflict(&colleague, APPLICANT, &[], today, rules),
            Some(Conflict::SameOrganisation)
        );
        let partner = expert("e2", "org-univ", 0);
        let recent = Collaboration {
            expert_user_id: "e2".into(),
            company_id: "co-1".into(),
            until: date(2024, 1, 1),
            note: "联合承担市科技项目".into(),
        };
        assert!(matches!(
            conflict(
                &partner,
                APPLICANT,
                std::slice::from_ref(&recent),
                today,
                rules
            ),
            Some(Conflict::RecentCollaboration { .. })
        ));
        // Three years and a day ago is outside the window.
        let old = Collaboration {
            until: date(2023, 11, 25),
            ..recent
        };
        assert_eq!(conflict(&partner, APPLICANT, &[old], today, rules), None);
    }

    #[test]
    fn the_panel_avoids_conflicts_and_prefers_the_least_busy() {
        let rules = Rules::shipped();
        let experts = [
            expert("e1", "org-co-1", 0),
            expert("e2", "org-a", 5),
            expert("e3", "org-b", 1),
            expert("e4", "org-c", 0),
            expert("e5", "org-d", 2),
        ];
        let panel = choose_panel(
            &experts,
            APPLICANT,
            Ties {
                collaborations: &[],
                declared: &[],
            },
            &[],
            3,
            date(2026, 11, 26),
            rules,
        )
        .unwrap();
        assert_eq!(panel.chosen, vec!["e4", "e3", "e5"]);
        assert_eq!(
            panel.excluded,
            vec![("e1".into(), Conflict::SameOrganisation)]
        );
    }

    #[test]
    fn a_declared_conflict_replaces_the_expert_and_shortage_is_reported() {
        let rules = Rules::shipped();
        let experts = [
            expert("e2", "org-a", 0),
            expert("e3", "org-b", 0),
            expert("e4", "org-c", 0),
        ];
        let declared = [("e3".to_owned(), "曾任该公司顾问".to_owned())];
        let keep = ["e2".to_owned(), "e3".to_owned()];
        let panel = choose_panel(
            &experts,
            APPLICANT,
            Ties {
                collaborations: &[],
                declared: &declared,
            },
            &keep,
            2,
            date(2026, 11, 26),
            rules,
        )
        .unwrap();
        assert_eq!(panel.chosen, vec!["e2", "e4"]);
        let short = choose_panel(
            &experts,
            APPLICANT,
            Ties {
                collaborations: &[],
                declared: &declared,
            },
            &[],
            3,
            date(2026, 11, 26),
            rules,
        );
        assert_eq!(
            short,
            Err(Shortage {
                needed: 3,
                available: 2
            })
        );
    }

    #[test]
    fn score_sheets_are_checked() {
        let rubric = &Rules::shipped().rubric;
        assert_eq!(
            check_scores(rubric, &[80, 80]),
            Err(ScoreError::WrongCount {
                expected: 5,
                found: 2
            })
        );
        assert!(matches!(
            check_scores(rubric, &[80, 80, 101, 80, 80]),
            Err(ScoreError::OutOfRange { value: 101, .. })
        ));
        assert_eq!(check_scores(rubric, &[0, 100, 50, 50, 50]), Ok(()));
    }

    #[test]
    fn five_experts_drop_the_extremes() {
        let rules = Rules::shipped();
        let sheet = |id: &str, v: u32| Scores {
            expert_user_id: id.into(),
            per_criterion: vec![v; 5],
            comment: String::new(),
        };
        let sheets = [
            sheet("a", 10),
            sheet("b", 70),
            sheet("c", 80),
            sheet("d", 90),
            sheet("e", 100),
        ];
        let agg = aggregate(&rules.rubric, &sheets, rules).unwrap();
        assert!(agg.trimmed);
        assert_eq!(agg.score_centi, 8000);
        assert!(agg.passed);
        let three = aggregate(&rules.rubric, &sheets[..3], rules).unwrap();
        assert!(!three.trimmed);
        assert_eq!(three.score_centi, (1000 + 7000 + 8000) / 3);
        assert!(!three.passed);
    }

    proptest! {
        #[test]
        fn the_aggregate_lies_between_the_lowest_and_highest_total(
            sheets in prop::collection::vec(prop::collection::vec(0u32..=100, 5), 1..8)
        ) {
            let rules = Rules::shipped();
            let sheets: Vec<Scores> = sheets.into_iter().enumerate().map(|(i, s)| Scores {
                expert_user_id: format!("e{i}"), per_criterion: s, comment: String::new(),
            }).collect();
            let agg = aggregate(&rules.rubric, &sheets, rules).unwrap();
            let lo = *agg.totals_centi.iter().min().unwrap();
            let hi = *agg.totals_centi.iter().max().unwrap();
            prop_assert!(agg.score_centi >= lo && agg.score_centi <= hi);
            prop_assert!(agg.score_centi <= 10_000);
            prop_assert_eq!(agg.passed, agg.score_centi >= rules.pass_score.value * 100);
        }

        #[test]
        fn raising_one_score_never_lowers_a_total(
            base in prop::collection::vec(0u32..100, 5), which in 0usize..5
        ) {
            let rubric = &Rules::shipped().rubric;
            let mut higher = base.clone();
            higher[which] += 1;
            prop_assert!(weighted_total(rubric, &higher) >= weighted_total(rubric, &base));
        }
    }
}
