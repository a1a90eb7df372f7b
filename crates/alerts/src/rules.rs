//! The rule book: the templates' danger signs (their union, one rule per key), the trend rules
//! and the policy, checked against each other once at start.

use std::collections::{BTreeSet, HashMap};

use diseases::{Catalogue, DangerRule, DangerSign, Measurements, Template};

use crate::error::RuleError;
use crate::policy::{POLICY_FILE, POLICY_TOML, Policy, Severity};
use crate::trend::{TRENDS_FILE, TRENDS_TOML, TrendRule, Trends};

/// Everything that decides whether readings raise alerts.
#[derive(Debug, Clone)]
pub struct RuleBook {
    /// The fewest templates whose danger rules together cover every danger rule key; each
    /// reading is judged by these templates' own [`Template::danger_signs`].
    covering: Vec<Template>,
    /// Every danger rule, one per key.
    danger: Vec<DangerRule>,
    /// Element keys the danger rules read.
    danger_elements: BTreeSet<String>,
    /// Fact keys read as another element by the danger rules.
    series: HashMap<String, String>,
    /// Trend rules with their template.
    trends: Vec<(TrendRule, Template)>,
    danger_severity: Severity,
    policy: Policy,
}

impl RuleBook {
    /// The built-in templates, policy and trend rules.
    pub fn builtin() -> Result<RuleBook, RuleError> {
        let catalogue = Catalogue::builtin().map_err(|e| RuleError::Templates(e.to_string()))?;
        let policy = Policy::parse(POLICY_FILE, POLICY_TOML)?;
        let trends = Trends::parse(TRENDS_FILE, TRENDS_TOML, catalogue, &policy)?;
        RuleBook::new(catalogue, policy, trends)
    }

    /// A rule book from parts. Refuses two templates that give one danger rule key different
    /// conditions: the union would then depend on which template is read.
    pub fn new(
        catalogue: &Catalogue,
        policy: Policy,
        trends: Trends,
    ) -> Result<RuleBook, RuleError> {
        let mut danger: Vec<DangerRule> = Vec::new();
        let mut defined_in: Vec<String> = Vec::new();
        for template in catalogue.templates() {
            for rule in template.danger_rules() {
                match danger.iter().position(|d| d.key == rule.key) {
                    Some(i) if !same_conditions(&danger[i], rule) => {
                        return Err(RuleError::Invalid {
                            file: template.file().to_owned(),
                            field: format!("danger_signs.{}", rule.key),
                            reason: format!(
                                "the conditions differ from those of `{}` in {}; one key must mean one rule for every resident",
                                rule.key, defined_in[i]
                            ),
                        });
                    }
                    Some(_) => {}
                    None => {
                        danger.push(rule.clone());
                        defined_in.push(template.file().to_owned());
                    }
                }
            }
        }
        let danger_severity = policy
            .severity(&policy.danger_severity.value)
            .cloned()
            .ok_or_else(|| RuleError::Invalid {
                file: POLICY_FILE.into(),
                field: "danger.severity.value".into(),
                reason: "not a severity of the policy".into(),
            })?;
        let covering = cover(catalogue.templates(), &danger);
        let danger_elements = danger
            .iter()
            .flat_map(|r| r.when.iter().map(|c| c.key.clone()))
            .collect();
        let mut series = HashMap::new();
        for (i, alias) in policy.danger_series.iter().enumerate() {
            if catalogue
                .dictionary()
                .iter()
                .all(|e| e.key != alias.element)
            {
                return Err(RuleError::Invalid {
                    file: POLICY_FILE.into(),
                    field: format!("danger.series[{i}].element"),
                    reason: format!("`{}` is not an element of the dictionary", alias.element),
                });
            }
            series.insert(alias.key.clone(), alias.element.clone());
        }
        let trends = trends
            .rules
            .into_iter()
            .filter_map(|rule| {
                let template = catalogue.get(&rule.disease)?.clone();
                Some((rule, template))
            })
            .collect();
        Ok(RuleBook {
            covering,
            danger,
            danger_elements,
            series,
            trends,
            danger_severity,
            policy,
        })
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Every danger rule, one per key.
    pub fn danger_rules(&self) -> &[DangerRule] {
        &self.danger
    }

    /// The trend rules with their templates.
    pub fn trends(&self) -> &[(TrendRule, Template)] {
        &self.trends
    }

    /// The severity of danger-sign alerts.
    pub fn danger_severity(&self) -> &Severity {
        &self.danger_severity
    }

    /// The element a fact key is read as by the danger rules (itself unless aliased).
    pub fn danger_element<'a>(&'a self, key: &'a str) -> &'a str {
        self.series.get(key).map_or(key, String::as_str)
    }

    /// Whether any danger rule reads a fact with this key.
    pub fn reads_danger(&self, key: &str) -> bool {
        self.danger_elements.contains(self.danger_element(key))
    }

    /// Whether any trend rule reads a fact with this key (trends read elements as sent).
    pub fn reads_trend(&self, key: &str) -> bool {
        self.trends
            .iter()
            .any(|(r, _)| r.elements.iter().any(|e| e == key))
    }

    /// Whether the rules would act on one reading (its values by series key): a trend rule
    /// averages one of its series, or it shows a danger sign. A reading for which this is
    /// false raises nothing and counts in no daily mean.
    pub fn acts_on(&self, values: &[(&str, f64)]) -> bool {
        if values.iter().any(|(k, _)| self.reads_trend(k)) {
            return true;
        }
        // Cheap first: no value meets any danger condition on its element (a rule that needs
        // all its conditions needs this one too), so the templates need not run. The device
        // ingest asks this of every reading.
        let could = values.iter().any(|(key, value)| {
            let element = self.danger_element(key);
            self.danger
                .iter()
                .flat_map(|r| &r.when)
                .any(|c| c.key == element && c.holds(*value))
        });
        could && !self.danger_signs(values).is_empty()
    }

    /// The danger signs one reading shows, one per rule key, in rule order: every template's
    /// own rule code applied to the reading.
    pub fn danger_signs(&self, values: &[(&str, f64)]) -> Vec<DangerSign> {
        if !values.iter().any(|(k, _)| self.reads_danger(k)) {
            return Vec::new();
        }
        let mut m = Measurements::new();
        for (key, value) in values {
            if self.reads_danger(key) {
                m.insert(self.danger_element(key), *value);
            }
        }
        let mut signs: Vec<DangerSign> = Vec::new();
        for template in &self.covering {
            for sign in template.danger_signs(&m) {
                if signs.iter().all(|s| s.key != sign.key) {
                    signs.push(sign);
                }
            }
        }
        signs
    }
}

fn same_conditions(a: &DangerRule, b: &DangerRule) -> bool {
    let bounds = |r: &DangerRule| -> Vec<(String, [Option<u64>; 4])> {
        r.when
            .iter()
            .map(|c| {
                let bits = [c.lt, c.le, c.gt, c.ge].map(|v| v.map(f64::to_bits));
                (c.key.clone(), bits)
            })
            .collect()
    };
    a.combine == b.combine && bounds(a) == bounds(b)
}

/// Greedy set cover: templates in order of how many uncovered rule keys they add.
fn cover(templates: &[Template], danger: &[DangerRule]) -> Vec<Template> {
    let mut uncovered: BTreeSet<&str> = danger.iter().map(|r| r.key.as_str()).collect();
    let mut chosen = Vec::new();
    while !uncovered.is_empty() {
        let best = templates.iter().max_by_key(|t| {
            t.danger_rules()
                .iter()
                .filter(|r| uncovered.contains(r.key.as_str()))
                .count()
        });
        let Some(best) = best else { break };
        let before = uncovered.len();
        for r in best.danger_rules() {
            uncovered.remove(r.key.as_str());
        }
        if uncovered.len() == before {
            break;
        }
        chosen.push(best.clone());
    }
    chosen
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn union_has_each_rule_key_once_and_covers_every_template() {
        let book = RuleBook::builtin().unwrap();
        let catalogue = Catalogue::builtin().unwrap();
        let keys: BTreeSet<&str> = book.danger_rules().iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys.len(), book.danger_rules().len());
        for t in catalogue.templates() {
            for r in t.danger_rules() {
                assert!(keys.contains(r.key.as_str()), "{} of {}", r.key, t.code);
            }
        }
        assert!(keys.contains("bp_crisis") && keys.contains("hypoglycaemia"));
        assert!(book.covering.len() < catalogue.templates().len());
    }

    #[test]
    fn a_crisis_is_one_sign_whatever_the_number_of_templates_defining_it() {
        let book = RuleBook::builtin().unwrap();
        let signs = book.danger_signs(&[("sbp", 200.0), ("dbp", 120.0)]);
        assert_eq!(signs.len(), 1);
        assert_eq!(signs[0].key, "bp_crisis");
        assert_eq!(signs[0].findings.len(), 2);
    }

    #[test]
    fn a_glucometer_series_reads_as_the_glucose_element() {
        let book = RuleBook::builtin().unwrap();
        let signs = book.danger_signs(&[("glucose", 2.0)]);
        assert_eq!(signs.len(), 1);
        assert_eq!(signs[0].key, "hypoglycaemia");
        assert!(
            !book.reads_trend("glucose"),
            "a meter's glucose is not known to be fasting"
        );
        assert!(book.reads_trend("fpg"));
    }

    #[test]
    fn readings_no_rule_reads_are_not_judged() {
        let book = RuleBook::builtin().unwrap();
        assert!(book.danger_signs(&[("steps", 100_000.0)]).is_empty());
        assert!(book.danger_signs(&[("sbp", f64::NAN)]).is_empty());
    }

    #[test]
    fn conflicting_definitions_of_one_rule_key_are_refused() {
        let hypertension = include_str!("../../diseases/templates/hypertension.toml")
            .replacen("ge = 180", "ge = 170", 1);
        let t2dm = include_str!("../../diseases/templates/t2dm.toml");
        let catalogue = Catalogue::load(
            (diseases::ELEMENTS_FILE.0, diseases::ELEMENTS_FILE.1),
            &[("hypertension.toml", &hypertension), ("t2dm.toml", t2dm)],
        )
        .unwrap();
        let policy = Policy::builtin().unwrap();
        let trends = Trends::parse(TRENDS_FILE, TRENDS_TOML, &catalogue, &policy).unwrap();
        let err = RuleBook::new(&catalogue, policy, trends).unwrap_err();
        assert!(
            matches!(&err, RuleError::Invalid { field, reason, .. }
                if field == "danger_signs.bp_crisis" && reason.contains("hypertension.toml")),
            "{err}"
        );
    }
}
