//! S1, the single-disease registry: the registers' overview (`/registry`), one register's list
//! (`/registry/{disease}`), a resident's timeline (`/residents/{id}`, `/me/record`), the
//! community doctor's work list (`/worklist`) and the follow-up form generated from the
//! disease template (`/registry/enrolments/{id}/followup`), and the master index's uncertain
//! matches for their sender to decide (`/registry/reviews`).
//!
//! Every read of a person's data goes through the clinical record service with the viewer's
//! reach; officials, who read no health record, see aggregates only. Names are masked.

pub mod drill;
pub mod export;
pub mod followup;
pub mod list;
pub mod overview;
pub mod reviews;
pub mod timeline;
pub mod worklist;

use std::collections::HashMap;

use access::{Organisation, Principal, Role};
use clinical::{Actor, ClinicalError};
use diseases::{FollowUpStatus, NextFollowUp, Template};
use jiff::civil::Date;
use kernel::Lang;
use ledger::PurposeOfUse;
use maud::{Markup, html};
use registry::{Enrolment, RegisterCounts, RegisterRow};

use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::status_tag;
use crate::state::AppState;

/// How many rows a list page shows.
pub const PAGE_SIZE: usize = 50;

/// More than any reach holds; lists that are filtered or counted in memory ask for all.
const ALL_ROWS: u32 = 1_000_000;

/// The actor a signed-in user is, with the purpose of their role.
pub fn actor(user: &Principal) -> Actor {
    let purpose = match user.primary_role() {
        Some(Role::HospitalDoctor | Role::Pharmacist) => PurposeOfUse::Treatment,
        Some(Role::Resident) => PurposeOfUse::PatientRequest,
        _ => PurposeOfUse::CareManagement,
    };
    Actor::from_principal(user, purpose)
}

/// A clinical error as a page error: out of reach is "not found", so existence is not revealed.
pub fn clinical_error(e: ClinicalError) -> AppError {
    match e {
        ClinicalError::Forbidden(_) | ClinicalError::PatientOutOfScope(_) => AppError::Forbidden,
        ClinicalError::NotFound { .. } | ClinicalError::Gone { .. } => AppError::NotFound,
        other => AppError::Internal(other.to_string()),
    }
}

/// The template of the disease `code` names, or Not Found.
pub fn template_of(app: &AppState, code: &str) -> Result<&'static Template, AppError> {
    app.clinical.catalogue().get(code).ok_or(AppError::NotFound)
}

pub fn registry_error(e: registry::RegistryError) -> AppError {
    AppError::Internal(e.to_string())
}

/// Organisations by id, for names.
pub struct Orgs(HashMap<String, Organisation>);

impl Orgs {
    pub async fn load(app: &AppState) -> Result<Orgs, AppError> {
        let all = app.accounts.organisations().await?;
        Ok(Orgs(all.into_iter().map(|o| (o.id.clone(), o)).collect()))
    }

    /// The organisation's name, or a dash when it is not known.
    pub fn name(&self, id: Option<&str>, lang: Lang) -> String {
        id.and_then(|id| self.0.get(id))
            .map(|o| o.name(lang == Lang::En).to_owned())
            .unwrap_or_else(|| "—".to_owned())
    }
}

/// `2026年11月22日` in Chinese, ISO in English.
pub fn date(lang: Lang, d: Date) -> String {
    match lang {
        Lang::Zh => d.strftime("%Y年%m月%d日").to_string(),
        Lang::En => d.to_string(),
    }
}

/// A date or a dash.
pub fn date_or_dash(lang: Lang, d: Option<Date>) -> String {
    d.map(|d| date(lang, d)).unwrap_or_else(|| "—".to_owned())
}

/// Whole years from `birth` to `today`.
pub fn age_years(birth: Date, today: Date) -> i16 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0)
}

/// "68岁" / "68".
pub fn age(lang: Lang, birth: Option<Date>, today: Date) -> String {
    birth
        .map(|b| {
            tf(
                lang,
                "registry.age_years",
                &[("n", &age_years(b, today).to_string())],
            )
        })
        .unwrap_or_else(|| "—".to_owned())
}

/// 男 / 女 from the FHIR gender code.
pub fn sex(lang: Lang, code: Option<&str>) -> &'static str {
    match code {
        Some("male") => t(lang, "registry.sex_male"),
        Some("female") => t(lang, "registry.sex_female"),
        _ => "—",
    }
}

pub fn district_name(lang: Lang, key: Option<&str>) -> String {
    key.and_then(|k| city::districts().by_key(k))
        .map(|d| d.name(lang == Lang::En).to_owned())
        .unwrap_or_else(|| "—".to_owned())
}

pub fn disease_name(lang: Lang, template: &Template) -> &str {
    match lang {
        Lang::Zh => &template.name_zh,
        Lang::En => &template.name_en,
    }
}

/// The disease's name from its code, or the code.
pub fn disease_label(app: &AppState, lang: Lang, code: &str) -> String {
    app.clinical
        .catalogue()
        .get(code)
        .map(|t| disease_name(lang, t).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// Zh or en text of a pair.
pub fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// When the enrolment's next follow-up is due.
pub fn next_followup(template: &Template, e: &Enrolment, today: Date) -> NextFollowUp {
    template.next_followup(e.last_visit, e.enrolled_on, today)
}

/// 已逾期 N 天 / 到期 / 未到期, in words and colour.
pub fn followup_tag(lang: Lang, next: &NextFollowUp) -> Markup {
    match next.status {
        FollowUpStatus::Overdue { days } => status_tag(
            &tf(
                lang,
                "registry.overdue_days",
                &[("days", &days.to_string())],
            ),
            "error",
        ),
        FollowUpStatus::Due => status_tag(t(lang, "registry.due"), "warn"),
        FollowUpStatus::NotYetDue => status_tag(t(lang, "registry.not_yet_due"), "ok"),
    }
}

/// The outcome of the last follow-up: 达标 / 未达标 / 无法判断 / 未随访.
pub fn control_tag(lang: Lang, e: &Enrolment) -> Markup {
    match (e.last_visit, e.last_controlled) {
        (None, _) => status_tag(t(lang, "registry.not_followed"), "muted"),
        (Some(_), Some(true)) => status_tag(t(lang, "registry.controlled"), "ok"),
        (Some(_), Some(false)) => status_tag(t(lang, "registry.not_controlled"), "error"),
        (Some(_), None) => status_tag(t(lang, "registry.control_unknown"), "muted"),
    }
}

/// A back link above the title.
pub fn back_link(href: &str, text: &str) -> Markup {
    html! { p.back { a href=(href) { "← " (text) } } }
}

/// Every enrolment of the reach, most recently enrolled first (a work list needs them all to
/// order them by due date).
pub async fn rows_in_reach(
    app: &AppState,
    reach: &registry::Reach,
) -> Result<Vec<RegisterRow>, AppError> {
    app.clinical
        .registers()
        .list(&registry::RegisterFilter {
            reach: reach.clone(),
            limit: ALL_ROWS,
            ..Default::default()
        })
        .await
        .map_err(registry_error)
}

/// [`register_counts`] for each district or centre, in one query.
pub async fn register_counts_by(
    app: &AppState,
    template: &Template,
    filter: registry::RegisterFilter,
    group: registry::Group,
    today: Date,
) -> Result<Vec<(String, RegisterCounts)>, AppError> {
    let plan = template.followup();
    app.clinical
        .registers()
        .counts_by(
            &registry::RegisterFilter {
                disease: Some(template.code.clone()),
                ..filter
            },
            group,
            today,
            plan.min_visits_per_year.value,
            plan.interval_days.value + plan.grace_days.value,
        )
        .await
        .map_err(registry_error)
}

/// The counts of the enrolments `filter` selects on `today`, by the template's follow-up plan:
/// its yearly minimum for standard management, overdue after interval + grace days.
pub async fn register_counts(
    app: &AppState,
    template: &Template,
    filter: registry::RegisterFilter,
    today: Date,
) -> Result<RegisterCounts, AppError> {
    let plan = template.followup();
    app.clinical
        .registers()
        .counts(
            &registry::RegisterFilter {
                disease: Some(template.code.clone()),
                ..filter
            },
            today,
            plan.min_visits_per_year.value,
            plan.interval_days.value + plan.grace_days.value,
        )
        .await
        .map_err(registry_error)
}

/// The count a template's indicator names, from what the register measures; `None` for the
/// counts not measured yet. Counts measured from arriving records are named by their kind
/// (the templates' loader checks the name against the rule).
pub fn measured(name: &str, c: &RegisterCounts) -> Option<u64> {
    use diseases::MeasureKind;
    match name {
        "registered" => Some(c.registered),
        "managed" => Some(c.followed_up),
        "standard_managed" => Some(c.standard),
        "followed_up_on_time" => Some(c.on_time),
        "referred" => Some(c.referred),
        n if n.ends_with("_controlled_last_visit") => Some(c.controlled),
        n => MeasureKind::of_count(n).map(|kind| match kind {
            MeasureKind::LatestResultAtTarget => c.at_target,
            MeasureKind::ExaminationInYear => c.examined,
            MeasureKind::AssessmentAtFollowup => c.assessed,
        }),
    }
}

/// The register's counts under the names the template's indicators use.
pub fn indicator_counts(template: &Template, c: &RegisterCounts) -> diseases::Counts {
    let mut out = diseases::Counts::new();
    let names = template
        .counts()
        .iter()
        .map(|d| d.name.as_str())
        .chain(
            template
                .indicators()
                .iter()
                .flat_map(|i| [i.numerator.as_str(), i.denominator.as_str()]),
        )
        .chain(["registered"]);
    for name in names {
        if let Some(n) = measured(name, c) {
            out = out.set(name, n);
        }
    }
    out
}

/// A chart with its table view, as [`crate::layout::chart_figure`], where a row's first cell
/// links to its drill-down when it has one.
pub fn linked_chart_figure(
    lang: Lang,
    svg: &str,
    headers: &[String],
    rows: &[(Option<String>, Vec<String>)],
    source: &str,
) -> Markup {
    html! {
        figure.chart {
            div.chart-svg { (maud::PreEscaped(svg)) }
            details.table-view {
                summary { (t(lang, "table.view")) }
                div.table-wrap {
                    table {
                        thead { tr { @for h in headers { th scope="col" { (h) } } } }
                        tbody {
                            @for (href, row) in rows {
                                tr {
                                    @for (i, cell) in row.iter().enumerate() {
                                        @if i == 0 {
                                            th scope="row" {
                                                @if let Some(h) = href { a href=(h) { (cell) } } @else { (cell) }
                                            }
                                        } @else { td.num { (cell) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !source.is_empty() { figcaption.source { (source) } }
        }
    }
}

/// `12.3%`.
pub fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}
