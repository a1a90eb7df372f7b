//! [`Alerts`]: readings in, alerts out. The no-alert path stays in memory except for the daily
//! aggregates; the database is touched for triggering readings only.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::civil::Date;
use kernel::UtcMillis;
use ledger::{AuditEvent, Ledger};
use store::Db;
use store::sqlx::{Acquire, AnyConnection};

use crate::care::{CareLookup, ResidentCare};
use crate::daily::{self, DayTotal};
use crate::episode::{self, Episode, Placed, Sinks};
use crate::error::Result;
use crate::fact::{self, FactProblem, ReadingFact};
use crate::model::{EventKind, Kind, Level, Raised};
use crate::policy::Severity;
use crate::rules::RuleBook;
use crate::trend::age_on;

/// The alert service. Cheap to clone.
#[derive(Clone)]
pub struct Alerts {
    pub(crate) db: Db,
    pub(crate) ledger: Ledger,
    pub(crate) care: CareLookup,
    pub(crate) rules: Arc<RuleBook>,
    pub(crate) sinks: Sinks,
}

/// A triggering reading, before it is placed in an episode.
#[derive(Debug, Clone)]
struct Trigger {
    resident_id: String,
    rule_key: String,
    kind: Kind,
    severity: Severity,
    message_zh: String,
    message_en: String,
    rule_text: String,
    at: i64,
    key: String,
    value: f64,
    reading: String,
    source: String,
}

impl Alerts {
    /// The service over `db` (with the registry's and this crate's tables), recording events
    /// on `ledger`. Webhook deliveries are not written until [`Alerts::with_webhook_outbox`].
    pub fn new(db: Db, ledger: Ledger, care: CareLookup, rules: RuleBook) -> Self {
        Alerts {
            db,
            ledger,
            care,
            rules: Arc::new(rules),
            sinks: Sinks { outbox: false },
        }
    }

    /// Writes a webhook delivery for every raised, escalated, acknowledged and resolved event
    /// (turn on when a webhook is configured, so an unread outbox does not grow).
    pub fn with_webhook_outbox(mut self, on: bool) -> Self {
        self.sinks.outbox = on;
        self
    }

    /// The rules in force.
    pub fn rules(&self) -> &RuleBook {
        &self.rules
    }

    /// [`Alerts::on_readings_at`] now.
    pub async fn on_readings(&self, facts: &[ReadingFact]) -> Result<Raised> {
        self.on_readings_at(facts, UtcMillis::now().0).await
    }

    /// Judges committed readings and commits the alerts they raise before returning. Call it
    /// right after the readings commit. Invalid facts are left out and listed; the others are
    /// judged in memory, and only triggering readings and the daily aggregates of elements
    /// that trend rules read touch the database, in one transaction. `now` is the commit time
    /// escalation counts from.
    pub async fn on_readings_at(&self, facts: &[ReadingFact], now: i64) -> Result<Raised> {
        self.judge(facts, now, None).await
    }

    /// [`Alerts::on_readings_at`] for a batch with an identity (an entry of the devices'
    /// feed), judged at most once: a batch whose judgement committed before (the process
    /// stopped before its source learned so) is skipped, so its readings count once in the
    /// daily means and raise nothing twice.
    pub async fn on_batch_once(
        &self,
        batch_id: &str,
        facts: &[ReadingFact],
        now: i64,
    ) -> Result<Raised> {
        self.judge(facts, now, Some(batch_id)).await
    }

    async fn judge(
        &self,
        facts: &[ReadingFact],
        now: i64,
        batch_id: Option<&str>,
    ) -> Result<Raised> {
        let (readings, ignored) = fact::group(facts);
        let mut triggers = Vec::new();
        let danger_severity = self.rules.danger_severity().clone();
        for reading in &readings {
            for sign in self.rules.danger_signs(&reading.values) {
                // The key the value was sent under: a glucometer's `glucose` is read as `fpg`
                // by the danger signs but is not a fasting glucose, and is shown as sent.
                let (key, value) = sign
                    .findings
                    .first()
                    .map(|f| {
                        let sent = reading
                            .values
                            .iter()
                            .find(|(k, _)| self.rules.danger_element(k) == f.key)
                            .map_or_else(|| f.key.clone(), |(k, _)| (*k).to_owned());
                        (sent, f.value)
                    })
                    .unwrap_or_default();
                triggers.push(Trigger {
                    resident_id: reading.resident_id.to_owned(),
                    rule_key: sign.key,
                    kind: Kind::Danger,
                    severity: danger_severity.clone(),
                    message_zh: sign.message_zh,
                    message_en: sign.message_en,
                    rule_text: sign.rule,
                    at: reading.at,
                    key,
                    value,
                    reading: reading.values_json(),
                    source: reading.source.to_owned(),
                });
            }
        }
        let days = self.day_totals(facts);
        let mut outcome = Raised {
            ignored,
            ..Raised::default()
        };
        if triggers.is_empty() && days.is_empty() {
            return Ok(outcome);
        }
        let mut residents: Vec<String> = triggers.iter().map(|t| t.resident_id.clone()).collect();
        residents.sort();
        residents.dedup();
        let mut care = self.care.care_of(&residents).await?;

        let mut conn = self.db.writer().acquire().await?;
        let mut tx = conn.begin().await?;
        if let Some(id) = batch_id
            && !crate::intake::first_time(&mut tx, id, now).await?
        {
            return Ok(outcome);
        }
        if !days.is_empty() {
            let latest: HashMap<(String, String, Date), (i64, String)> = days
                .iter()
                .map(|(k, v)| (k.clone(), (v.at, v.source.clone())))
                .collect();
            let rows = days
                .into_iter()
                .map(|((resident_id, element, day), v)| DayTotal {
                    resident_id,
                    element,
                    day,
                    n: v.n,
                    total: v.total,
                })
                .collect();
            let totals = daily::add(&mut tx, self.db.backend(), rows).await?;
            let found = self
                .trend_triggers(&mut tx, &totals, &latest, &mut care)
                .await?;
            triggers.extend(found);
        }
        let mut events = Vec::new();
        for run in runs(triggers) {
            self.place(&mut tx, &run, &care, now, &mut outcome, &mut events)
                .await?;
        }
        tx.commit().await?;
        drop(conn);
        if !events.is_empty() {
            self.ledger.record_all(events).await?;
        }
        Ok(outcome)
    }

    /// Count, sum and latest reading per resident, trend element and city day.
    fn day_totals(&self, facts: &[ReadingFact]) -> BTreeMap<(String, String, Date), DayAcc> {
        let mut days: BTreeMap<(String, String, Date), DayAcc> = BTreeMap::new();
        for f in facts {
            if FactProblem::of(f).is_some() || !self.rules.reads_trend(&f.key) {
                continue;
            }
            let day = UtcMillis(f.at).city_date();
            let acc = days
                .entry((f.resident_id.clone(), f.key.clone(), day))
                .or_insert_with(|| DayAcc {
                    n: 0,
                    total: 0.0,
                    at: f.at,
                    source: f.source.clone(),
                });
            acc.n += 1;
            acc.total += f.value;
            if f.at >= acc.at {
                acc.at = f.at;
                acc.source.clone_from(&f.source);
            }
        }
        days
    }

    /// Trend rules whose window now holds: for each day whose new mean could miss a target,
    /// the resident's register and age are looked up and the days around it judged.
    async fn trend_triggers(
        &self,
        conn: &mut AnyConnection,
        totals: &[DayTotal],
        latest: &HashMap<(String, String, Date), (i64, String)>,
        care: &mut HashMap<String, ResidentCare>,
    ) -> Result<Vec<Trigger>> {
        let mut candidates: Vec<(usize, &DayTotal)> = Vec::new();
        for t in totals {
            for (i, (rule, template)) in self.rules.trends().iter().enumerate() {
                if rule.could_miss(template, &t.element, t.mean()) {
                    candidates.push((i, t));
                }
            }
        }
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let missing: Vec<String> = candidates
            .iter()
            .map(|(_, t)| t.resident_id.clone())
            .filter(|r| !care.contains_key(r))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        care.extend(self.care.care_of(&missing).await?);
        // One judgement per resident, rule and day, however many elements changed.
        candidates.sort_by(|a, b| {
            (a.0, &a.1.resident_id, a.1.day).cmp(&(b.0, &b.1.resident_id, b.1.day))
        });
        candidates.dedup_by(|a, b| {
            a.0 == b.0 && a.1.resident_id == b.1.resident_id && a.1.day == b.1.day
        });
        let mut out = Vec::new();
        for (i, t) in candidates {
            let (rule, template) = &self.rules.trends()[i];
            let Some(who) = care.get(&t.resident_id) else {
                continue;
            };
            let Some(birth) = who.birth_date else {
                continue;
            };
            if !who.registers.iter().any(|r| r == &rule.disease) {
                continue;
            }
            let span = i64::from(rule.days.value.max(1)) - 1;
            let from = t
                .day
                .checked_sub(jiff::Span::new().days(span))
                .unwrap_or(t.day);
            let to = t
                .day
                .checked_add(jiff::Span::new().days(span))
                .unwrap_or(t.day);
            let stored = daily::window(conn, &t.resident_id, from, to).await?;
            let fired = rule.window_through(t.day, |day| {
                let totals = stored.get(&day)?;
                let mut means = diseases::Measurements::new();
                for d in totals.iter().filter(|d| rule.elements.contains(&d.element)) {
                    means.insert(d.element.clone(), d.mean());
                }
                rule.day_misses(template, day, &means, age_on(birth, day)?)
            });
            let Some(missed) = fired else { continue };
            let Some(severity) = self.rules.policy().severity(&rule.severity) else {
                continue;
            };
            let (at, source) = latest
                .get(&(t.resident_id.clone(), t.element.clone(), t.day))
                .cloned()
                .unwrap_or_default();
            let mut reading = serde_json::Map::new();
            reading.insert(missed.key.clone(), serde_json::json!(missed.mean));
            reading.insert("day".into(), serde_json::json!(missed.day.to_string()));
            let reading = serde_json::Value::Object(reading);
            out.push(Trigger {
                resident_id: t.resident_id.clone(),
                rule_key: rule.key.clone(),
                kind: Kind::Trend,
                severity: severity.clone(),
                message_zh: rule.message_zh.clone(),
                message_en: rule.message_en.clone(),
                rule_text: format!(
                    "{} (daily mean, {} consecutive days)",
                    missed.targets.join(", "),
                    rule.days.value
                ),
                at,
                key: missed.key,
                value: missed.mean,
                reading: reading.to_string(),
                source,
            });
        }
        Ok(out)
    }

    /// Raises the run's episode or attaches the run to the open one.
    async fn place(
        &self,
        conn: &mut AnyConnection,
        run: &[Trigger],
        care: &HashMap<String, ResidentCare>,
        now: i64,
        outcome: &mut Raised,
        events: &mut Vec<AuditEvent>,
    ) -> Result<()> {
        let (Some(first), Some(last)) = (run.first(), run.last()) else {
            return Ok(());
        };
        if let Some((closed_id, closed_at)) =
            episode::close_if_quiet(conn, &first.resident_id, &first.rule_key, first.at).await?
            && let Some(alert) = episode::load(conn, &closed_id).await?
        {
            events.push(
                episode::write_event(
                    conn,
                    self.sinks,
                    &alert,
                    EventKind::Closed,
                    "system",
                    None,
                    closed_at,
                )
                .await?,
            );
        }
        let who = care.get(&first.resident_id).cloned().unwrap_or_default();
        let severity = &first.severity;
        // Nobody to address: the alert starts at the first level someone sees.
        let (level, escalation_due_at) = match (&who.family_doctor_id, &who.community_centre_id) {
            (Some(_), _) => (
                Level::FamilyDoctor,
                Some(now + severity.escalate_after_ms()),
            ),
            (None, Some(_)) => (
                Level::CommunityCentre,
                Some(now + severity.district_after_ms()),
            ),
            (None, None) => (Level::District, None),
        };
        let e = Episode {
            resident_id: first.resident_id.clone(),
            rule_key: first.rule_key.clone(),
            kind: first.kind,
            severity: severity.key.clone(),
            message_zh: first.message_zh.clone(),
            message_en: first.message_en.clone(),
            rule_text: first.rule_text.clone(),
            addressee_id: who.family_doctor_id.clone(),
            community_centre_id: who.community_centre_id.clone(),
            district: who.district.clone(),
            level,
            first_at: first.at,
            first_value: first.value,
            last_key: last.key.clone(),
            last_value: last.value,
            last_reading: last.reading.clone(),
            last_source: last.source.clone(),
            last_at: last.at,
            count: i64::try_from(run.len()).unwrap_or(i64::MAX),
            quiet_until: last.at + severity.quiet_period_ms(),
            escalation_due_at,
        };
        match episode::raise_or_attach(conn, &e, kernel::Id::new().to_string(), now).await? {
            Placed::Raised(alert) => {
                events.push(
                    episode::write_event(
                        conn,
                        self.sinks,
                        &alert,
                        EventKind::Raised,
                        "system",
                        None,
                        now,
                    )
                    .await?,
                );
                outcome.attached += run.len() as u64 - 1;
                outcome.raised.push(alert.id);
            }
            Placed::Attached => outcome.attached += run.len() as u64,
        }
        Ok(())
    }
}

/// Accumulated facts of one resident, element and day.
#[derive(Debug, Clone)]
struct DayAcc {
    n: i64,
    total: f64,
    at: i64,
    source: String,
}

/// Triggers grouped by resident and rule, in time order, split wherever two consecutive
/// triggering readings are further apart than the rule's quiet period.
fn runs(mut triggers: Vec<Trigger>) -> Vec<Vec<Trigger>> {
    triggers.sort_by(|a, b| {
        (&a.resident_id, &a.rule_key, a.at).cmp(&(&b.resident_id, &b.rule_key, b.at))
    });
    let mut out: Vec<Vec<Trigger>> = Vec::new();
    for t in triggers {
        let continues = out.last().and_then(|run| run.last()).is_some_and(|prev| {
            prev.resident_id == t.resident_id
                && prev.rule_key == t.rule_key
                && t.at - prev.at <= t.severity.quiet_period_ms()
        });
        match out.last_mut() {
            Some(run) if continues => run.push(t),
            _ => out.push(vec![t]),
        }
    }
    out
}
