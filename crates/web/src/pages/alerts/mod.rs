//! Alerts (issue 4, ADR 0013): the doctors' inbox (`/alerts`), one alert with its history and
//! the acknowledge and resolve forms (`/alerts/{id}`), and the resident's own alerts
//! (`/me/alerts`). The `alerts` crate decides who an alert is addressed to and who may act;
//! these pages check the role (a doctor) and show the result.

pub mod detail;
pub mod inbox;
pub mod mine;

use std::collections::HashMap;

use access::{FieldError, Permission, Principal, RecordScope, record_scope};
use alerts::{Alert, AlertError, Level, Staff, State};
use axum::Router;
use axum::routing::{get, post};
use kernel::{Lang, mask_name};
use ledger::{AuditEvent, PurposeOfUse};
use maud::{Markup, html};

use super::registry::{actor, clinical_error, registry_error};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::status_tag;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(inbox::show))
        .route("/alerts/{id}", get(detail::show))
        .route("/alerts/{id}/acknowledge", post(detail::acknowledge))
        .route("/alerts/{id}/resolve", post(detail::resolve))
        .route("/me/alerts", get(mine::show))
}

/// The staff member a signed-in doctor is for the alerts crate: their organisations and the
/// districts their doctor's grants cover. Anyone who does not record health data (not a
/// community or hospital doctor) is refused.
pub fn staff_of(user: &Principal) -> Result<Staff, AppError> {
    let scope = record_scope(&user.grants, Permission::WriteHealthRecords)
        .map_err(|_| AppError::Forbidden)?;
    let mut organisation_ids = vec![user.organisation.id.clone()];
    let mut districts = Vec::new();
    match scope {
        RecordScope::City => {
            districts.extend(city::districts().all().iter().map(|d| d.key.clone()));
        }
        RecordScope::Linked {
            organisations,
            districts: covered,
        } => {
            organisation_ids.extend(organisations);
            districts.extend(covered);
        }
        RecordScope::Own => {}
    }
    organisation_ids.sort();
    organisation_ids.dedup();
    Ok(Staff {
        user_id: user.user_id.clone(),
        organisation_ids,
        districts,
    })
}

/// An alert error as the pages and the API answer it. Resolving before acknowledging is
/// answered by the callers themselves (409 with the reason).
pub fn alert_error(e: AlertError) -> AppError {
    match e {
        AlertError::NotFound(_) => AppError::NotFound,
        AlertError::NotAllowed { .. } => AppError::Forbidden,
        AlertError::NoteTooLong { chars, max } => AppError::Invalid(vec![FieldError::new(
            "note",
            tf(
                Lang::Zh,
                "alerts.error.note_too_long",
                &[("chars", &chars.to_string()), ("max", &max.to_string())],
            ),
            tf(
                Lang::En,
                "alerts.error.note_too_long",
                &[("chars", &chars.to_string()), ("max", &max.to_string())],
            ),
        )]),
        AlertError::NoteControlCharacters => AppError::Invalid(vec![FieldError::new(
            "note",
            t(Lang::Zh, "alerts.error.note_control"),
            t(Lang::En, "alerts.error.note_control"),
        )]),
        AlertError::NotAcknowledged(_) => AppError::BadRequest {
            zh: t(Lang::Zh, "alerts.error.not_acknowledged").to_owned(),
            en: t(Lang::En, "alerts.error.not_acknowledged").to_owned(),
        },
        other => AppError::Internal(other.to_string()),
    }
}

/// The open alerts (not resolved) of a doctor's inbox, for the home page; `None` for anyone
/// else or when the count cannot be read (the home page still shows).
pub async fn open_count(app: &AppState, user: &Principal) -> Option<u64> {
    let staff = staff_of(user).ok()?;
    match app
        .alerts
        .count(&staff, &alerts::InboxFilter::default())
        .await
    {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = %e, "could not count open alerts");
            None
        }
    }
}

/// The masked name of each resident the doctor's record access reaches; `None` for the others
/// (their alert is still theirs to act on, but the record stays out of reach).
pub async fn resident_names(
    app: &AppState,
    user: &Principal,
    alerts: &[Alert],
) -> Result<HashMap<String, Option<String>>, AppError> {
    let actor = actor(user);
    let mut out = HashMap::new();
    for a in alerts {
        if out.contains_key(&a.resident_id) {
            continue;
        }
        let visible = app
            .clinical
            .may_see_resident(&actor, &a.resident_id)
            .await
            .map_err(clinical_error)?;
        let name = if visible {
            let resident = app
                .clinical
                .residents()
                .resident(&a.resident_id)
                .await
                .map_err(registry_error)?;
            Some(
                resident
                    .and_then(|r| r.facts.name)
                    .map(|n| mask_name(&n))
                    .unwrap_or_else(|| "—".into()),
            )
        } else {
            None
        };
        out.insert(a.resident_id.clone(), name);
    }
    Ok(out)
}

/// Puts a view of alerts on the ledger: one entry per resident shown, with the purpose, hashing
/// the alert ids shown. A ledger failure is logged, as `audit::record` does: the page has
/// already been read.
pub async fn record_view(
    app: &AppState,
    user: &Principal,
    shown: &[(&str, &str)],
    purpose: PurposeOfUse,
) {
    let mut by_resident: HashMap<&str, Vec<&str>> = HashMap::new();
    for (resident, alert) in shown {
        by_resident.entry(resident).or_default().push(alert);
    }
    let now = kernel::UtcMillis::now().0;
    let mut residents: Vec<_> = by_resident.into_iter().collect();
    residents.sort();
    let events = residents
        .into_iter()
        .map(|(resident, ids)| AuditEvent {
            actor: user.user_id.clone(),
            organisation: Some(user.organisation.id.clone()),
            action: "alert.view".into(),
            subject_type: "resident".into(),
            subject_id: resident.to_owned(),
            purpose,
            at: now,
            data_hash: ledger::data_hash(ids.join(",").as_bytes()),
        })
        .collect::<Vec<_>>();
    if events.is_empty() {
        return;
    }
    if let Err(e) = app.ledger.record_all(events).await {
        tracing::error!(error = %e, "could not record the view of alerts");
    }
}

/// [`record_view`] of alerts a staff member was shown, for care management.
pub async fn record_staff_view(app: &AppState, user: &Principal, alerts: &[Alert]) {
    let shown: Vec<(&str, &str)> = alerts
        .iter()
        .map(|a| (a.resident_id.as_str(), a.id.as_str()))
        .collect();
    record_view(app, user, &shown, PurposeOfUse::CareManagement).await;
}

/// The doctor's message of an alert.
pub fn message(lang: Lang, a: &Alert) -> &str {
    match lang {
        Lang::Zh => &a.message_zh,
        Lang::En => &a.message_en,
    }
}

/// The severity in words and colour: the most urgent of the policy red, the others amber.
pub fn severity_tag(app: &AppState, lang: Lang, key: &str) -> Markup {
    let severities = &app.alerts.rules().policy().severities;
    let Some((rank, s)) = severities.iter().enumerate().find(|(_, s)| s.key == key) else {
        return status_tag(key, "muted");
    };
    let label = match lang {
        Lang::Zh => &s.label_zh,
        Lang::En => &s.label_en,
    };
    status_tag(label, if rank == 0 { "error" } else { "warn" })
}

/// Where an alert stands, for staff.
pub fn state_tag(lang: Lang, state: State) -> Markup {
    match state {
        State::Raised => status_tag(t(lang, "alerts.state.raised"), "error"),
        State::Acknowledged => status_tag(t(lang, "alerts.state.acknowledged"), "info"),
        State::Resolved => status_tag(t(lang, "alerts.state.resolved"), "ok"),
    }
}

/// Who sees the alert now, in words.
pub fn level_text(lang: Lang, level: Level) -> &'static str {
    match level {
        Level::FamilyDoctor => t(lang, "alerts.level.family_doctor"),
        Level::CommunityCentre => t(lang, "alerts.level.community_centre"),
        Level::District => t(lang, "alerts.level.district"),
    }
}

/// The dictionary element a fact key is shown as: itself, or for a device series the danger
/// signs read as an element (glucose as fpg), that element.
fn element<'a>(app: &'a AppState, key: &str) -> Option<&'a diseases::Element> {
    let dictionary = app.clinical.catalogue().dictionary();
    dictionary.iter().find(|e| e.key == key).or_else(|| {
        let series = &app.alerts.rules().policy().danger_series;
        let alias = series.iter().find(|s| s.key == key)?;
        dictionary.iter().find(|e| e.key == alias.element)
    })
}

/// `收缩压 185 mmHg`: the element's name and unit from the templates' dictionary, or the key.
pub fn value_text(app: &AppState, lang: Lang, key: &str, value: f64) -> String {
    let number = number(value);
    match element(app, key) {
        Some(e) if e.key == key => {
            let name = match lang {
                Lang::Zh => &e.name_zh,
                Lang::En => &e.name_en,
            };
            format!("{name} {number} {}", e.display_unit)
        }
        Some(e) => format!(
            "{} {number} {}",
            t_or_key(lang, &format!("alerts.series.{key}")),
            e.display_unit
        ),
        None => format!("{key} {number}"),
    }
}

/// `185 mmHg`: a value in the unit of `key`'s element. The first value of an episode may be
/// of another element than its last (diastolic, then systolic) but the rule's elements share
/// one unit, so the unit is right where a name could be wrong.
pub fn amount_text(app: &AppState, key: &str, value: f64) -> String {
    match element(app, key) {
        Some(e) => format!("{} {}", number(value), e.display_unit),
        None => number(value),
    }
}

fn t_or_key(lang: Lang, key: &str) -> String {
    crate::i18n::t_opt(lang, key)
        .map(str::to_owned)
        .unwrap_or_else(|| key.rsplit('.').next().unwrap_or(key).to_owned())
}

/// A reading's value without trailing zeros: `185`, `16.7`, `3.85`.
pub fn number(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.to_owned()
    }
}

/// A time as the city reads it.
pub fn when(lang: Lang, at: i64) -> String {
    kernel::UtcMillis(at).format_datetime(lang)
}

/// The resident cell: the masked name linking to their record, or words saying the record is
/// outside the doctor's access.
pub fn resident_cell(lang: Lang, names: &HashMap<String, Option<String>>, a: &Alert) -> Markup {
    match names.get(&a.resident_id) {
        Some(Some(name)) => html! { a href={ "/residents/" (a.resident_id) } { (name) } },
        _ => html! { span.muted { (t(lang, "alerts.out_of_reach")) } },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_drop_trailing_zeros_only() {
        assert_eq!(number(185.0), "185");
        assert_eq!(number(16.7), "16.7");
        assert_eq!(number(3.85), "3.85");
        assert_eq!(number(100.10), "100.1");
        assert_eq!(number(-0.001), "0");
        assert_eq!(number(0.0), "0");
    }
}
