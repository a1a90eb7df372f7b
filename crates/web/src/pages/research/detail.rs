//! `/research/requests/{id}`: one request, its state history with the steward's reasons, its
//! release (rows, suppressed rows, k, SHA-256 and the ledger entry with its inclusion proof)
//! and the downloads while access lasts; the steward's actions (approve with an access
//! period, refuse with reasons, release, withdraw) and the requester's withdrawal. A failed
//! action shows the page again with why, at the status the failure carries.

use std::collections::HashMap;

use access::{FieldError, Principal};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use kernel::{Explain, Lang, UtcMillis};
use maud::{Markup, html};
use research::{Problem, Release, RequestState, ResearchRequest};

use super::{
    Failure, actor, cohort_summary, consent, may_request, may_steward, state_label, state_tag,
    variable_label, visible_request,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page, stat};
use crate::state::AppState;

/// Which form a failure belongs to, so its field errors are shown there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionForm {
    Approve,
    Refuse,
    Release,
    Withdraw,
}

impl ActionForm {
    /// The id of this form's reasons field (each form has its own).
    fn reasons_id(self) -> &'static str {
        match self {
            ActionForm::Approve => "approve-reasons",
            ActionForm::Refuse => "refuse-reasons",
            ActionForm::Release => "release",
            ActionForm::Withdraw => "withdraw-reasons",
        }
    }
}

/// `GET /research/requests/{id}`.
pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    match visible_request(&app, &user, &id).await {
        Ok(request) => render(&app, &ctx, &user, &request, None).await,
        Err(f) => f.page(&ctx),
    }
}

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// The request, if `user` is a steward who may see it.
async fn for_steward(
    app: &AppState,
    user: &Principal,
    id: &str,
) -> Result<ResearchRequest, Failure> {
    let request = visible_request(app, user, id).await?;
    if !may_steward(user) {
        return Err(AppError::Forbidden.into());
    }
    Ok(request)
}

/// Runs a steward's or requester's action and answers: back to the request, or the request
/// again with the failure.
async fn act<F, Fut>(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    request: ResearchRequest,
    form: ActionForm,
    action: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    match action().await {
        Ok(()) => Redirect::to(&format!("/research/requests/{}", request.id)).into_response(),
        Err(failure) => {
            // Show the request as it is now (another steward may have moved it).
            let current = match app.research.request(&request.id).await {
                Ok(Some(r)) => r,
                _ => request,
            };
            render(app, ctx, user, &current, Some((form, failure))).await
        }
    }
}

/// `POST /research/requests/{id}/approve`: `access_until` (`YYYY-MM-DD`), `reasons` optional.
pub async fn approve(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let request = match for_steward(&app, &user, &id).await {
        Ok(r) => r,
        Err(f) => return f.page(&ctx),
    };
    let until = value(&fields, "access_until").trim().to_owned();
    let reasons = value(&fields, "reasons").to_owned();
    act(&app, &ctx, &user, request, ActionForm::Approve, || async {
        let until = parse_day("access_until", &until)?;
        app.research
            .approve(
                &id,
                &actor(&user),
                until,
                Some(reasons.as_str()),
                UtcMillis::now(),
            )
            .await?;
        Ok(())
    })
    .await
}

/// A required date field.
fn parse_day(field: &'static str, text: &str) -> Result<Date, Failure> {
    let problem = if text.is_empty() {
        Problem::Required
    } else {
        match text.parse::<Date>() {
            Ok(d) if text.len() == 10 => return Ok(d),
            _ => Problem::NotADate,
        }
    };
    Err(AppError::Invalid(vec![FieldError::new(
        field,
        problem.explain(Lang::Zh),
        problem.explain(Lang::En),
    )])
    .into())
}

/// `POST /research/requests/{id}/refuse`: `reasons` required.
pub async fn refuse(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let request = match for_steward(&app, &user, &id).await {
        Ok(r) => r,
        Err(f) => return f.page(&ctx),
    };
    let reasons = value(&fields, "reasons").to_owned();
    act(&app, &ctx, &user, request, ActionForm::Refuse, || async {
        app.research
            .refuse(&id, &actor(&user), &reasons, UtcMillis::now())
            .await?;
        Ok(())
    })
    .await
}

/// `POST /research/requests/{id}/release`: builds the de-identified extract of the residents
/// who consent to the requester's purpose.
pub async fn release(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let request = match for_steward(&app, &user, &id).await {
        Ok(r) => r,
        Err(f) => return f.page(&ctx),
    };
    let organisation = request.organisation_id.clone();
    act(&app, &ctx, &user, request, ActionForm::Release, || async {
        let consent = consent::for_organisation(&app, organisation.as_deref()).await?;
        app.research
            .release(&id, &actor(&user), &consent, UtcMillis::now())
            .await?;
        Ok(())
    })
    .await
}

/// `POST /research/requests/{id}/withdraw`: the requester or a steward, `reasons` required.
pub async fn withdraw(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let request = match visible_request(&app, &user, &id).await {
        Ok(r) => r,
        Err(f) => return f.page(&ctx),
    };
    let reasons = value(&fields, "reasons").to_owned();
    act(&app, &ctx, &user, request, ActionForm::Withdraw, || async {
        app.research
            .withdraw(&id, &actor(&user), &reasons, UtcMillis::now())
            .await?;
        Ok(())
    })
    .await
}

/// Which file of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseFile {
    /// The de-identified rows.
    Extract,
    /// What each column means, and the disclosure facts.
    Dictionary,
}

/// Downloads a file of the release of request `id` for its requester; the download is on the
/// ledger before the file is returned.
pub async fn download(
    app: &AppState,
    user: &Principal,
    id: &str,
    file: ReleaseFile,
) -> Result<Response, Failure> {
    if !may_request(user) {
        return Err(AppError::Forbidden.into());
    }
    let release = app
        .research
        .release_of(id)
        .await?
        .ok_or_else(|| Failure::from(AppError::NotFound))?;
    let files = app
        .research
        .download(&release.id, &actor(user), UtcMillis::now())
        .await?;
    let short: String = id
        .chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let (text, name, digest) = match file {
        ReleaseFile::Extract => (
            files.extract_csv,
            format!("research-{short}-extract.csv"),
            files.release.extract_sha256,
        ),
        ReleaseFile::Dictionary => (
            files.dictionary_csv,
            format!("research-{short}-dictionary.csv"),
            files.release.dictionary_sha256,
        ),
    };
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&digest) {
        headers.insert("x-content-sha256", v);
    }
    if let Ok(v) = HeaderValue::from_str(&files.ledger_seq.to_string()) {
        headers.insert("x-ledger-seq", v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /research/requests/{id}/extract.csv`.
pub async fn extract_csv(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    download(&app, &user, &id, ReleaseFile::Extract)
        .await
        .unwrap_or_else(|f| f.page(&ctx))
}

/// `GET /research/requests/{id}/dictionary.csv`.
pub async fn dictionary_csv(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    download(&app, &user, &id, ReleaseFile::Dictionary)
        .await
        .unwrap_or_else(|f| f.page(&ctx))
}

/// Names of users by id, looked up once each.
struct People(HashMap<String, String>);

impl People {
    async fn load(app: &AppState, lang: Lang, ids: &[&str]) -> People {
        let mut names = HashMap::new();
        for id in ids {
            if names.contains_key(*id) {
                continue;
            }
            let name = match app.accounts.user(id).await {
                Ok(Some(u)) => format!(
                    "{} · {}",
                    u.display_name,
                    if lang == Lang::En {
                        u.organisation_name_en
                    } else {
                        u.organisation_name_zh
                    }
                ),
                _ if *id == "system" => t(lang, "actor.system").to_owned(),
                _ => (*id).to_owned(),
            };
            names.insert((*id).to_owned(), name);
        }
        People(names)
    }

    fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.0.get(id).map(String::as_str).unwrap_or(id)
    }
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    request: &ResearchRequest,
    failure: Option<(ActionForm, Failure)>,
) -> Response {
    let lang = ctx.lang;
    let english = lang == Lang::En;
    let (history, release) = match (
        app.research.history(&request.id).await,
        app.research.release_of(&request.id).await,
    ) {
        (Ok(h), Ok(r)) => (h, r),
        (Err(e), _) | (_, Err(e)) => return Failure::from(e).page(ctx),
    };
    let downloads = match &release {
        Some(r) => app.research.downloads(&r.id).await.unwrap_or(0),
        None => 0,
    };
    let mut ids: Vec<&str> = history.iter().map(|e| e.actor_id.as_str()).collect();
    ids.push(&request.requester_id);
    let people = People::load(app, lang, &ids).await;
    let status = failure
        .as_ref()
        .map(|(_, f)| f.status)
        .unwrap_or(StatusCode::OK);
    // Field errors point at the failed form's own fields.
    let errors: Vec<FieldError> = failure
        .as_ref()
        .map(|(form, f)| {
            f.fields
                .iter()
                .map(|e| {
                    let field = if e.field == "reasons" {
                        form.reasons_id()
                    } else {
                        e.field
                    };
                    FieldError::new(field, e.zh.clone(), e.en.clone())
                })
                .collect()
        })
        .unwrap_or_default();
    let steward = may_steward(user);
    let own = request.requester_id == user.user_id;
    let today = UtcMillis::now().city_date();
    let open = request.access_until.is_none_or(|until| until >= today);
    let title = t(lang, "research.request");
    let back = if steward && !own {
        ("/research/review", t(lang, "research.review.title"))
    } else {
        ("/research", t(lang, "research.title"))
    };
    let body = html! {
        (super::super::registry::back_link(back.0, back.1))
        h1 { (title) " " span.muted.small.mono { (request.id) } }
        @if let Some((_, f)) = &failure {
            @if f.fields.is_empty() {
                div.notice.notice-error role="alert" {
                    strong { (t(lang, "research.action_failed")) } " " (f.message(lang))
                }
            }
        }
        (error_summary(lang, &errors))
        dl.summary {
            dt { (t(lang, "research.state")) }
            dd { (state_tag(lang, request.state)) }
            dt { (t(lang, "research.requester")) }
            dd { (people.name(&request.requester_id)) }
            dt { (t(lang, "research.submitted_at")) }
            dd { (request.submitted_at.format_datetime(lang)) }
            dt { (t(lang, "research.form.purpose")) }
            dd.pre-line { (request.purpose) }
            dt { (t(lang, "research.form.ethics_reference")) }
            dd { (request.ethics_reference) }
            (cohort_summary(app, lang, &request.cohort))
            dt { (t(lang, "research.form.variables")) }
            dd {
                (request.variables.iter().map(|f| variable_label(app, lang, *f)).collect::<Vec<_>>().join(if english { ", " } else { "、" }))
            }
            @if let Some(until) = request.access_until {
                dt { (t(lang, "research.access_until")) }
                dd { (super::super::registry::date(lang, until)) }
            }
            @if let Some(reasons) = &request.reasons {
                dt { (t(lang, "research.steward_reasons")) }
                dd.pre-line { (reasons) }
            }
        }
        @if let Some(r) = &release {
            (release_section(app, lang, request, r, downloads, own && may_request(user), open))
        }
        (actions(ctx, request, steward, own, &errors))
        h2 { (t(lang, "research.history")) }
        div.table-wrap {
            table.research-history {
                thead { tr {
                    th scope="col" { (t(lang, "research.history.at")) }
                    th scope="col" { (t(lang, "research.state")) }
                    th scope="col" { (t(lang, "research.history.by")) }
                    th scope="col" { (t(lang, "research.history.reasons")) }
                    th scope="col" { (t(lang, "research.ledger_entry")) }
                } }
                tbody {
                    @for e in &history {
                        tr {
                            td.nowrap { (e.at.format_datetime(lang)) }
                            td { (state_label(lang, e.state)) }
                            td { (people.name(&e.actor_id)) }
                            td.pre-line { (e.reasons.as_deref().unwrap_or("—")) }
                            td.num { a href={ "/api/v1/ledger/proofs/inclusion?seq=" (e.ledger_seq) } { "#" (e.ledger_seq) } }
                        }
                    }
                }
            }
        }
    };
    (status, page(ctx, title, body)).into_response()
}

/// How each quasi-identifier was released, in the reader's language: the release stores it
/// as `age: 5-year bands, 90+ as one band; sex: as recorded` (the data dictionary's words).
fn generalisation_text(app: &AppState, lang: Lang, stored: &str) -> String {
    if stored.is_empty() {
        return "—".into();
    }
    let english = lang == Lang::En;
    stored
        .split("; ")
        .map(|part| {
            let Some((key, how)) = part.split_once(": ") else {
                return part.to_owned();
            };
            let label = app
                .research
                .catalogue()
                .get(key)
                .map(|v| v.label(english).to_owned())
                .unwrap_or_else(|| key.to_owned());
            let how = match how {
                "as recorded" => t(lang, "research.generalisation.as_recorded").to_owned(),
                "month (YYYY-MM)" => t(lang, "research.generalisation.month").to_owned(),
                "year (YYYY)" => t(lang, "research.generalisation.year").to_owned(),
                other => match other
                    .strip_suffix("+ as one band")
                    .and_then(|rest| rest.split_once("-year bands, "))
                {
                    Some((width, top)) => tf(
                        lang,
                        "research.generalisation.age_bands",
                        &[("width", width), ("top", top)],
                    ),
                    None => other.to_owned(),
                },
            };
            if english {
                format!("{label}: {how}")
            } else {
                format!("{label}：{how}")
            }
        })
        .collect::<Vec<_>>()
        .join(if english { "; " } else { "；" })
}

fn release_section(
    app: &AppState,
    lang: Lang,
    request: &ResearchRequest,
    r: &Release,
    downloads: u64,
    requester: bool,
    open: bool,
) -> Markup {
    let available = request.state == RequestState::Released && open;
    html! {
        section.card.release id="release" {
            h2 { (t(lang, "research.release.title")) }
            div.stats.stats-compact {
                (stat(t(lang, "research.release.rows"), &r.released_rows.to_string(), ""))
                (stat(t(lang, "research.release.cohort_rows"), &r.cohort_rows.to_string(), ""))
                (stat(t(lang, "research.release.suppressed"), &r.suppressed_rows.to_string(), ""))
                (stat("k", &r.k.to_string(), ""))
            }
            dl.summary {
                dt { (t(lang, "research.release.at")) }
                dd { (r.released_at.format_datetime(lang)) }
                dt { (t(lang, "research.release.reference_date")) }
                dd { (super::super::registry::date(lang, r.reference_date)) }
                dt { (t(lang, "research.release.generalisation")) }
                dd { (generalisation_text(app, lang, &r.generalisation)) }
                dt { "SHA-256" }
                dd.mono { (r.extract_sha256) }
                dt { (t(lang, "research.ledger_entry")) }
                dd {
                    a href={ "/api/v1/ledger/proofs/inclusion?seq=" (r.ledger_seq) } {
                        (tf(lang, "research.release.proof", &[("seq", &r.ledger_seq.to_string())]))
                    }
                }
                dt { (t(lang, "research.release.downloads")) }
                dd { (downloads) }
            }
            @if requester {
                @if available {
                    p.actions {
                        a.button href={ "/research/requests/" (request.id) "/extract.csv" } download { (t(lang, "research.release.download_extract")) }
                        a.button.button-secondary href={ "/research/requests/" (request.id) "/dictionary.csv" } download { (t(lang, "research.release.download_dictionary")) }
                    }
                    p.hint { (t(lang, "research.release.download_logged")) }
                } @else {
                    p.notice.notice-warning { (t(lang, "research.release.unavailable")) }
                }
            }
        }
    }
}

fn reasons_field(
    lang: Lang,
    id: &'static str,
    label: &str,
    required: bool,
    errors: &[FieldError],
) -> Markup {
    let error = errors.iter().find(|e| e.field == id);
    html! {
        div.field.field-error[error.is_some()] {
            label for=(id) {
                (label)
                @if required { " " span.required { (t(lang, "followup.required")) } }
            }
            @if let Some(e) = error { p.error-message { (e.message(lang)) } }
            textarea id=(id) name="reasons" rows="3" aria-invalid=[error.map(|_| "true")] {}
        }
    }
}

fn actions(
    ctx: &Ctx,
    request: &ResearchRequest,
    steward: bool,
    own: bool,
    errors: &[FieldError],
) -> Markup {
    let lang = ctx.lang;
    let base = format!("/research/requests/{}", request.id);
    let state = request.state;
    let can_withdraw = (steward || own) && state.after(research::Action::Withdraw).is_some();
    let until_error = errors.iter().find(|e| e.field == "access_until");
    let k = research::Policy::builtin()
        .map(|p| p.release.k.value.to_string())
        .unwrap_or_default();
    html! {
        @if steward && state == RequestState::Submitted {
            section.card.steward-action {
                h2 { (t(lang, "research.review.decide")) }
                @if own { p.notice.notice-warning { (t(lang, "research.review.own_warning")) } }
                form.stack method="post" action={ (base) "/approve" } novalidate {
                    (csrf_field(ctx))
                    h3 { (t(lang, "research.action.approve")) }
                    div.field.field-error[until_error.is_some()] {
                        label for="access_until" { (t(lang, "research.access_until")) " " span.required { (t(lang, "followup.required")) } }
                        p.hint { (t(lang, "research.review.access_until_hint")) }
                        @if let Some(e) = until_error { p.error-message { (e.message(lang)) } }
                        input id="access_until" name="access_until" type="date" aria-invalid=[until_error.map(|_| "true")];
                    }
                    (reasons_field(lang, "approve-reasons", t(lang, "research.review.approve_reasons"), false, errors))
                    button type="submit" { (t(lang, "research.action.approve")) }
                }
                form.stack.refuse method="post" action={ (base) "/refuse" } novalidate {
                    (csrf_field(ctx))
                    h3 { (t(lang, "research.action.refuse")) }
                    (reasons_field(lang, "refuse-reasons", t(lang, "research.review.refuse_reasons"), true, errors))
                    button.button-warning type="submit" { (t(lang, "research.action.refuse")) }
                }
            }
        }
        @if steward && state == RequestState::Approved {
            section.card.steward-action {
                h2 { (t(lang, "research.action.release")) }
                p { (tf(lang, "research.review.release_hint", &[("k", &k)])) }
                form method="post" action={ (base) "/release" } {
                    (csrf_field(ctx))
                    button type="submit" id="release" { (t(lang, "research.action.release")) }
                }
            }
        }
        @if can_withdraw {
            details.withdraw open[errors.iter().any(|e| e.field == "withdraw-reasons")] {
                summary { (t(lang, "research.action.withdraw")) }
                form.stack method="post" action={ (base) "/withdraw" } novalidate {
                    (csrf_field(ctx))
                    p.hint { (t(lang, "research.review.withdraw_hint")) }
                    (reasons_field(lang, "withdraw-reasons", t(lang, "research.review.withdraw_reasons"), true, errors))
                    button.button-warning type="submit" { (t(lang, "research.action.withdraw")) }
                }
            }
        }
    }
}
