//! Trend rules (`rules/trends.toml`): several consecutive days whose daily mean misses the
//! disease template's control target. The target is never written here; each day is judged
//! by [`diseases::Template::is_controlled`] for the resident's age.

use std::collections::BTreeMap;

use diseases::{
    Catalogue, Citation, Condition, ControlStatus, Measurements, Source, Sourced, Template,
};
use jiff::civil::Date;
use serde::Deserialize;

use crate::error::RuleError;
use crate::policy::{Policy, check_sources, check_sources_with};

/// The file embedded at build time.
pub const TRENDS_FILE: &str = "rules/trends.toml";
pub(crate) const TRENDS_TOML: &str = include_str!("../rules/trends.toml");

/// Which side of the target counts as missing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// At or above an upper bound (`lt`/`le`).
    Above,
    /// At or below a lower bound (`gt`/`ge`).
    Below,
    /// Either.
    Outside,
}

impl Direction {
    /// Whether `value` misses `condition` on this side.
    pub fn misses(self, condition: &Condition, value: f64) -> bool {
        let above =
            condition.lt.is_some_and(|b| value >= b) || condition.le.is_some_and(|b| value > b);
        let below =
            condition.gt.is_some_and(|b| value <= b) || condition.ge.is_some_and(|b| value < b);
        match self {
            Direction::Above => above,
            Direction::Below => below,
            Direction::Outside => above || below,
        }
    }
}

/// One trend rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendRule {
    /// Stable key, e.g. `bp_above_target`; the rule key of its alerts.
    pub key: String,
    /// The register (template code) whose residents it applies to.
    pub disease: String,
    /// Elements whose daily means are judged, e.g. `sbp`, `dbp`.
    pub elements: Vec<String>,
    /// Which side of the target counts.
    pub direction: Direction,
    /// Severity key (rules/alerts.toml).
    pub severity: String,
    /// What to tell the doctor, in Chinese.
    pub message_zh: String,
    /// The same in English.
    pub message_en: String,
    /// Where the template's target comes from (a citation of the template).
    pub target_source: Source,
    /// Consecutive days needed.
    pub days: Sourced<u32>,
}

/// A day that missed the target, with the targets it missed (`sbp < 140 mm[Hg]`).
#[derive(Debug, Clone, PartialEq)]
pub struct MissedDay {
    /// The day.
    pub day: Date,
    /// Targets missed, as text.
    pub targets: Vec<String>,
    /// The first missed element and its mean.
    pub key: String,
    /// Its mean that day.
    pub mean: f64,
}

impl TrendRule {
    /// Whether one day's means (the rule's elements, canonical units) miss the template's
    /// target for a resident of `age_years`, on the rule's side.
    pub fn day_misses(
        &self,
        template: &Template,
        day: Date,
        means: &Measurements,
        age_years: u32,
    ) -> Option<MissedDay> {
        let ControlStatus::NotControlled { band, failed } =
            template.is_controlled(means, age_years)
        else {
            return None;
        };
        let band = template.control().bands.iter().find(|b| b.key == band)?;
        let mut missed = failed.into_iter().filter(|f| {
            self.elements.contains(&f.key)
                && band.targets.iter().any(|t| {
                    t.condition.key == f.key && self.direction.misses(&t.condition, f.value)
                })
        });
        let first = missed.next()?;
        let mut targets = vec![first.target];
        targets.extend(missed.map(|f| f.target));
        Some(MissedDay {
            day,
            targets,
            key: first.key,
            mean: first.value,
        })
    }

    /// Whether a mean of `key` could miss the target at some age: a cheap test before the
    /// resident's age and registers are looked up.
    pub fn could_miss(&self, template: &Template, key: &str, mean: f64) -> bool {
        self.elements.iter().any(|e| e == key)
            && template.control().bands.iter().any(|band| {
                band.targets
                    .iter()
                    .any(|t| t.condition.key == key && self.direction.misses(&t.condition, mean))
            })
    }

    /// The latest run of `days` consecutive days that includes `changed` and in which every
    /// day missed the target; its last day. `days_missing` answers for one day.
    pub fn window_through(
        &self,
        changed: Date,
        mut day_missed: impl FnMut(Date) -> Option<MissedDay>,
    ) -> Option<MissedDay> {
        let n = i64::from(self.days.value.max(1));
        // Days from changed-(n-1) to changed+(n-1); a window is n consecutive of them.
        let mut missed: BTreeMap<i64, Option<MissedDay>> = BTreeMap::new();
        for offset in -(n - 1)..=(n - 1) {
            let day = changed.checked_add(jiff::Span::new().days(offset)).ok()?;
            missed.insert(offset, day_missed(day));
        }
        let mut found = None;
        for start in -(n - 1)..=0 {
            if (start..start + n).all(|o| missed.get(&o).is_some_and(Option::is_some)) {
                found = missed.get(&(start + n - 1)).cloned().flatten();
            }
        }
        found
    }
}

/// Every trend rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Trends {
    /// Documents cited besides the templates'.
    pub citations: Vec<Citation>,
    /// The rules.
    pub rules: Vec<TrendRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrends {
    citations: Vec<Citation>,
    #[serde(default)]
    trends: Vec<TrendRule>,
}

impl Trends {
    /// Parses and checks a trend file against the templates and the policy.
    pub fn parse(
        file: &str,
        text: &str,
        catalogue: &Catalogue,
        policy: &Policy,
    ) -> Result<Trends, RuleError> {
        let raw: RawTrends = toml::from_str(text).map_err(|e| RuleError::Syntax {
            file: file.to_owned(),
            message: e.message().to_owned(),
        })?;
        let fail = |field: String, reason: String| RuleError::Invalid {
            file: file.to_owned(),
            field,
            reason,
        };
        let mut sources = Vec::new();
        for (i, rule) in raw.trends.iter().enumerate() {
            if raw.trends[..i].iter().any(|r| r.key == rule.key) {
                return Err(fail(
                    format!("trends[{i}].key"),
                    format!("`{}` is defined twice", rule.key),
                ));
            }
            let Some(template) = catalogue.get(&rule.disease) else {
                let codes: Vec<&str> = catalogue
                    .templates()
                    .iter()
                    .map(|t| t.code.as_str())
                    .collect();
                return Err(fail(
                    format!("trends[{i}].disease"),
                    format!(
                        "`{}` is not a disease template; expected one of {}",
                        rule.disease,
                        codes.join(", ")
                    ),
                ));
            };
            if rule.elements.is_empty() {
                return Err(fail(
                    format!("trends[{i}].elements"),
                    "empty; name at least one element".into(),
                ));
            }
            for (j, key) in rule.elements.iter().enumerate() {
                let targeted = template
                    .control()
                    .bands
                    .iter()
                    .any(|b| b.targets.iter().any(|t| &t.condition.key == key));
                if !targeted {
                    return Err(fail(
                        format!("trends[{i}].elements[{j}]"),
                        format!(
                            "`{key}` has no control target in the {} template, so a day cannot miss it",
                            rule.disease
                        ),
                    ));
                }
            }
            if policy.severity(&rule.severity).is_none() {
                return Err(fail(
                    format!("trends[{i}].severity"),
                    format!("`{}` is not a severity of the policy", rule.severity),
                ));
            }
            if rule.days.value == 0 {
                return Err(fail(
                    format!("trends[{i}].days.value"),
                    "0; must be at least 1".into(),
                ));
            }
            check_sources_with(
                file,
                |id| template.citation(id).is_some(),
                &[(format!("trends[{i}].target_source"), &rule.target_source)],
            )?;
            sources.push((format!("trends[{i}].days.source"), &rule.days.source));
        }
        check_sources(file, &raw.citations, &sources)?;
        Ok(Trends {
            citations: raw.citations,
            rules: raw.trends,
        })
    }
}

/// Age in whole years on `day`; `None` for a day before birth.
pub fn age_on(birth: Date, day: Date) -> Option<u32> {
    let mut years = i32::from(day.year()) - i32::from(birth.year());
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use jiff::civil::date;

    use super::*;

    fn builtin() -> (&'static Catalogue, Trends) {
        let catalogue = Catalogue::builtin().unwrap();
        let policy = Policy::builtin().unwrap();
        let trends = Trends::parse(TRENDS_FILE, TRENDS_TOML, catalogue, &policy).unwrap();
        (catalogue, trends)
    }

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on(date(1950, 6, 15), date(2030, 6, 14)), Some(79));
        assert_eq!(age_on(date(1950, 6, 15), date(2030, 6, 15)), Some(80));
        assert_eq!(age_on(date(2030, 6, 15), date(2030, 6, 14)), None);
    }

    #[test]
    fn a_day_misses_the_age_band_target_of_the_template() {
        let (catalogue, trends) = builtin();
        let htn = catalogue.get("hypertension").unwrap();
        let rule = trends
            .rules
            .iter()
            .find(|r| r.disease == "hypertension")
            .unwrap();
        // The general band's systolic bound, read from the template.
        let general = htn
            .control()
            .bands
            .iter()
            .find(|b| b.min_age.is_none())
            .unwrap();
        let sbp = general
            .targets
            .iter()
            .find(|t| t.condition.key == "sbp")
            .unwrap();
        let bound = sbp.condition.lt.unwrap();
        let at = |v: f64| Measurements::new().quantity("sbp", v).quantity("dbp", 70.0);
        let day = date(2030, 1, 1);
        assert!(rule.day_misses(htn, day, &at(bound), 50).is_some());
        assert!(rule.day_misses(htn, day, &at(bound - 0.1), 50).is_none());
        // The 80-and-over band is laxer.
        let old = htn
            .control()
            .bands
            .iter()
            .find(|b| b.min_age.is_some())
            .unwrap();
        let old_bound = old
            .targets
            .iter()
            .find(|t| t.condition.key == "sbp")
            .unwrap()
            .condition
            .lt
            .unwrap();
        assert!(old_bound > bound);
        assert!(rule.day_misses(htn, day, &at(bound), 85).is_none());
        assert!(rule.day_misses(htn, day, &at(old_bound), 85).is_some());
    }

    #[test]
    fn below_target_does_not_count_as_above() {
        let (catalogue, trends) = builtin();
        let t2dm = catalogue.get("t2dm").unwrap();
        let rule = trends.rules.iter().find(|r| r.disease == "t2dm").unwrap();
        let target = t2dm.control().target_for("fpg").unwrap();
        let low = target.ge.unwrap() - 0.5;
        let high = target.le.unwrap() + 0.5;
        let day = date(2030, 1, 1);
        assert!(
            rule.day_misses(t2dm, day, &Measurements::new().quantity("fpg", low), 50)
                .is_none()
        );
        assert!(
            rule.day_misses(t2dm, day, &Measurements::new().quantity("fpg", high), 50)
                .is_some()
        );
        assert!(!rule.could_miss(t2dm, "fpg", low));
        assert!(rule.could_miss(t2dm, "fpg", high));
    }

    #[test]
    fn windows_need_consecutive_days_including_the_changed_one() {
        let (_, trends) = builtin();
        let rule = &trends.rules[0];
        let n = i64::from(rule.days.value);
        let base = date(2030, 3, 10);
        let missed_on = |days: Vec<i64>| {
            move |d: Date| {
                let offset = base.until(d).unwrap().get_days() as i64;
                days.contains(&offset).then(|| MissedDay {
                    day: d,
                    targets: vec![],
                    key: "sbp".into(),
                    mean: 0.0,
                })
            }
        };
        let all: Vec<i64> = (0..n).collect();
        let last = base.checked_add(jiff::Span::new().days(n - 1)).unwrap();
        assert_eq!(
            rule.window_through(last, missed_on(all.clone()))
                .unwrap()
                .day,
            last
        );
        let short: Vec<i64> = (0..n - 1).collect();
        assert!(rule.window_through(last, missed_on(short)).is_none());
        // A gap resets: every day but the middle one.
        let gap: Vec<i64> = (0..=n).filter(|o| *o != n / 2).collect();
        assert!(
            rule.window_through(
                base.checked_add(jiff::Span::new().days(n)).unwrap(),
                missed_on(gap)
            )
            .is_none()
        );
    }

    #[test]
    fn unknown_disease_is_refused_naming_the_field_and_the_choices() {
        let catalogue = Catalogue::builtin().unwrap();
        let policy = Policy::builtin().unwrap();
        let text = TRENDS_TOML.replacen("disease = \"hypertension\"", "disease = \"htn\"", 1);
        let err = Trends::parse("t.toml", &text, catalogue, &policy).unwrap_err();
        assert!(
            matches!(&err, RuleError::Invalid { field, reason, .. }
                if field == "trends[0].disease" && reason.contains("`htn`") && reason.contains("hypertension")),
            "{err}"
        );
    }

    #[test]
    fn element_without_target_is_refused() {
        let catalogue = Catalogue::builtin().unwrap();
        let policy = Policy::builtin().unwrap();
        let text = TRENDS_TOML.replacen(
            "elements = [\"sbp\", \"dbp\"]",
            "elements = [\"sbp\", \"weight\"]",
            1,
        );
        let err = Trends::parse("t.toml", &text, catalogue, &policy).unwrap_err();
        assert!(
            matches!(&err, RuleError::Invalid { field, .. } if field == "trends[0].elements[1]"),
            "{err}"
        );
    }

    #[test]
    fn target_source_must_cite_the_template() {
        let catalogue = Catalogue::builtin().unwrap();
        let policy = Policy::builtin().unwrap();
        let text = TRENDS_TOML.replacen(
            "target_source = { citation = \"nbphs-2017\"",
            "target_source = { citation = \"issue-4\"",
            1,
        );
        let err = Trends::parse("t.toml", &text, catalogue, &policy).unwrap_err();
        assert!(
            matches!(&err, RuleError::Invalid { field, reason, .. }
                if field == "trends[0].target_source" && reason.contains("issue-4")),
            "{err}"
        );
    }
}
