//! `GET /pools/{scheme}/{year}`: one year's selection. Officials of the S&T and industry
//! bureaus (and administrators, read-only) see the proposal whatever its state: candidates by
//! rank with their score parts, the proposed and the current pool, each pool's capacity used
//! against its cited limit, the forms of the steps they may take (amend with a written
//! reason, submit, approve or reject by a second official, reopen, publish), the amendments
//! with their reasons, the history of steps from the ledger, and the register companies left
//! out and why. Everyone else signed in sees the published list only.
//! `POST /pools/{scheme}/{year}/{step}` takes a step.

use std::collections::{BTreeSet, HashMap};

use access::{FieldError, Principal};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cultivation::{Change, How, Member, Proposal, ProposalEntry, Scheme, Schemes};
use kernel::{Lang, UtcMillis};
use maud::{Markup, html};
use serde::Deserialize;

use super::candidates::not_in_proposal;
use super::overview::cite_source;
use super::{
    acts_for, capacity_text, district_name, field_message, form_refusal, invalid, parse_year,
    pool_name, pools_error, reads_proposals, runs_pools, scheme_name, state_tag,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, t_opt, tf};
use crate::layout::{csrf_field, error_summary, page, stat, status_tag};
use crate::pages::clinic::user_name;
use crate::state::AppState;

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((scheme, year)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    // A page number that is not one shows the first page, as a pager link never sends it.
    let page_no = query
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(1);
    match render(&app, &ctx, &user, &scheme, &year, &[], None, page_no).await {
        Ok((status, body)) => (status, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// The fields of every step's form (each form sends the ones it has).
#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    change: String,
    #[serde(default)]
    pool: String,
    #[serde(default)]
    reason: String,
}

/// Where each step's refusals are shown: the crate's field names mapped to the form's element
/// ids, and the place for the rest.
fn ids_of(step: &str) -> (&'static [(&'static str, &'static str)], &'static str) {
    match step {
        "amend" => (
            &[
                ("reason", "amend-reason"),
                ("pool", "amend-pool"),
                ("company_id", "amend-company"),
                ("state", "amend-change"),
            ],
            "amend-change",
        ),
        "reject" => (
            &[("reason", "reject-reason"), ("state", "workflow")],
            "reject-reason",
        ),
        _ => (&[], "workflow"),
    }
}

pub async fn act(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((scheme, year, step)): Path<(String, String, String)>,
    Form(form): Form<StepForm>,
) -> Response {
    let (Some(s), Some(y)) = (app.cultivation.schemes().scheme(&scheme), parse_year(&year)) else {
        return ctx.page_error(AppError::NotFound).into_response();
    };
    let proposal = match app.cultivation.proposal_for(&user, &s.id, y).await {
        Ok(Some(p)) => p,
        Ok(None) => return ctx.page_error(AppError::NotFound).into_response(),
        Err(e) => return ctx.page_error(pools_error(e)).into_response(),
    };
    let id = proposal.id.as_str();
    let c = &app.cultivation;
    let result = match step.as_str() {
        "amend" => match change_of(&form) {
            Ok(change) => c
                .amend(&user, id, form.company_id.trim(), change, &form.reason)
                .await
                .map(|_| ()),
            Err(errors) => {
                return refused(
                    &app,
                    &ctx,
                    &user,
                    &scheme,
                    &year,
                    &form,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    errors,
                )
                .await;
            }
        },
        "submit" => c.submit(&user, id).await.map(|_| ()),
        "approve" => c.approve(&user, id).await.map(|_| ()),
        "reject" => c.reject(&user, id, &form.reason).await.map(|_| ()),
        "reopen" => c.reopen(&user, id).await.map(|_| ()),
        "publish" => c.publish(&user, id).await.map(|_| ()),
        _ => return ctx.page_error(AppError::NotFound).into_response(),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/pools/{}/{y}", s.id)).into_response(),
        Err(e) => {
            let (ids, fallback) = ids_of(&step);
            match form_refusal(e, ids, fallback) {
                Ok((status, errors)) => {
                    refused(&app, &ctx, &user, &scheme, &year, &form, status, errors).await
                }
                Err(e) => ctx.page_error(e).into_response(),
            }
        }
    }
}

#[allow(clippy::too_many_arguments)] // one page, re-rendered with what was typed
async fn refused(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    scheme: &str,
    year: &str,
    form: &StepForm,
    status: StatusCode,
    errors: Vec<FieldError>,
) -> Response {
    match render(app, ctx, user, scheme, year, &errors, Some(form), 1).await {
        Ok((_, body)) => (status, body).into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// The amendment the form asks for, or every field it lacks (checked together, so one
/// answer lists all that is wrong).
fn change_of(form: &StepForm) -> Result<Change, Vec<FieldError>> {
    let mut errors = Vec::new();
    if form.company_id.trim().is_empty() {
        errors.push(invalid(
            "amend-company",
            "pools.amend.company_required",
            &[],
        ));
    }
    let pool = form.pool.trim().to_owned();
    let change = match form.change.as_str() {
        "exclude" => Some(Change::Exclude),
        "include" | "move" if pool.is_empty() => {
            errors.push(invalid("amend-pool", "pools.amend.pool_required", &[]));
            None
        }
        "include" => Some(Change::Include(pool)),
        "move" => Some(Change::Move(pool)),
        _ => {
            errors.push(invalid("amend-change", "pools.amend.change_required", &[]));
            None
        }
    };
    let reason = form.reason.trim().chars().count();
    if reason < cultivation::MIN_REASON_CHARS {
        errors.push(invalid(
            "amend-reason",
            "pools.amend.reason_short",
            &[
                ("min", &cultivation::MIN_REASON_CHARS.to_string()),
                ("given", &reason.to_string()),
            ],
        ));
    }
    match change {
        Some(change) if errors.is_empty() => Ok(change),
        _ => Err(errors),
    }
}

#[allow(clippy::too_many_arguments)] // one page, re-rendered with what was typed
async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    scheme: &str,
    year: &str,
    errors: &[FieldError],
    typed: Option<&StepForm>,
    page_no: usize,
) -> Result<(StatusCode, Markup), AppError> {
    let lang = ctx.lang;
    let schemes = app.cultivation.schemes();
    let (Some(s), Some(year)) = (schemes.scheme(scheme), parse_year(year)) else {
        return Err(AppError::NotFound);
    };
    let title = format!(
        "{} · {}",
        scheme_name(lang, s),
        tf(lang, "pools.year", &[("year", &year.to_string())])
    );
    if !reads_proposals(user) {
        let members = app
            .cultivation
            .members(&s.id, year)
            .await
            .map_err(pools_error)?;
        return Ok(published(ctx, user, schemes, s, year, &title, &members));
    }
    let Some(p) = app
        .cultivation
        .proposal_for(user, &s.id, year)
        .await
        .map_err(pools_error)?
    else {
        let body = html! {
            p.back { a href="/pools" { (t(lang, "pools.back")) } }
            h1 { (title) }
            p.lead { (tf(lang, "pools.proposal.none", &[("year", &year.to_string())])) }
            @if runs_pools(user) {
                p { a.button href={ "/pools#scheme-" (s.id) } { (t(lang, "pools.proposal.start_there")) } }
            }
        };
        return Ok((StatusCode::NOT_FOUND, page(ctx, &title, body)));
    };
    let view = ProposalView::load(app, user, s, &p).await?;
    let body = html! {
        p.back { a href="/pools" { (t(lang, "pools.back")) } }
        h1 { (title) " " (state_tag(lang, p.state)) }
        p.lead { (tf(lang, "pools.proposal.intro", &[("figures_year", &(year - 1).to_string())])) }
        p.muted { (t(lang, "pools.placement")) " " (cite_source(lang, schemes, &s.placement)) }
        p.muted { (t(lang, "pools.scoring")) " " (cite_source(lang, schemes, &s.scoring.source)) }
        div.stats {
            (stat(t(lang, "pools.stats.candidates"), &p.entries.len().to_string(), t(lang, "pools.unit.companies")))
            (stat(t(lang, "pools.stats.placed"), &p.entries.iter().filter(|e| e.pool.is_some()).count().to_string(), t(lang, "pools.unit.companies")))
            (stat(t(lang, "pools.stats.amended"), &amended(&p).count().to_string(), t(lang, "pools.unit.companies")))
        }
        (error_summary(lang, errors))
        (capacity_table(lang, schemes, s, &p))
        (workflow(ctx, user, s, &p, &view, errors))
        @if runs_pools(user) && p.state == cultivation::State::Draft {
            (amend_form(ctx, s, &p, errors, typed))
        }
        (ranked_table(lang, user, s, &p, page_no))
        (amendments(lang, s, &view))
        (history(lang, &view))
        (left_out(lang, year, &view))
    };
    Ok((StatusCode::OK, page(ctx, &title, body)))
}

/// The entries whose place an official changed.
fn amended(p: &Proposal) -> impl Iterator<Item = &ProposalEntry> {
    p.entries.iter().filter(|e| e.pool != e.proposed_pool)
}

/// One amendment with its reason.
struct Amendment {
    company: String,
    from: Option<String>,
    to: Option<String>,
    reason: String,
    by: String,
    at: UtcMillis,
}

/// One step of the proposal, from the ledger.
struct Step {
    code: String,
    by: String,
    at: i64,
}

/// What the page shows besides the proposal itself.
struct ProposalView {
    amendments: Vec<Amendment>,
    /// Who proposed or amended the list: the four-eyes rule keeps them from reviewing it.
    involved: BTreeSet<String>,
    steps: Vec<Step>,
    names: HashMap<String, String>,
    left_out: Vec<super::candidates::LeftOut>,
}

impl ProposalView {
    async fn load(
        app: &AppState,
        user: &Principal,
        s: &Scheme,
        p: &Proposal,
    ) -> Result<ProposalView, AppError> {
        let mut involved = BTreeSet::from([p.proposed_by.clone()]);
        let mut amendments = Vec::new();
        // Only the entries whose place differs were amended for good; reading every entry's
        // history would cost a query per candidate.
        for e in amended(p) {
            for ev in app
                .cultivation
                .history(user, &e.company_id)
                .await
                .map_err(pools_error)?
            {
                if let How::Amended { reason } = ev.how
                    && ev.scheme == s.id
                    && ev.year == p.year
                {
                    involved.insert(ev.by.clone());
                    amendments.push(Amendment {
                        company: e.name.clone(),
                        from: ev.from,
                        to: ev.to,
                        reason,
                        by: ev.by,
                        at: ev.at,
                    });
                }
            }
        }
        amendments.sort_by_key(|a| a.at);
        let mut steps: Vec<Step> = app
            .ledger
            .entries_for_subject("cultivation_proposal", &p.id, 500)
            .await?
            .into_iter()
            .map(|e| Step {
                code: e
                    .event
                    .action
                    .rsplit('.')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                by: e.event.actor,
                at: e.event.at,
            })
            .collect();
        steps.reverse();
        let mut names = HashMap::new();
        for id in steps
            .iter()
            .map(|s| &s.by)
            .chain(amendments.iter().map(|a| &a.by))
            .chain(std::iter::once(&p.proposed_by))
        {
            if !names.contains_key(id) {
                names.insert(id.clone(), user_name(app, id).await);
            }
        }
        let in_proposal: BTreeSet<&str> = p.entries.iter().map(|e| e.company_id.as_str()).collect();
        let left_out = not_in_proposal(app, user, p.year, &in_proposal).await?;
        Ok(ProposalView {
            amendments,
            involved,
            steps,
            names,
            left_out,
        })
    }

    fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.names.get(id).map_or(id, String::as_str)
    }
}

fn capacity_table(lang: Lang, schemes: &Schemes, s: &Scheme, p: &Proposal) -> Markup {
    html! {
        section.card id="capacity" {
            h2 { (t(lang, "pools.capacity.title")) }
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "pools.pool")) }
                        th scope="col" { (t(lang, "pools.capacity.used")) }
                        th scope="col" { (t(lang, "pools.capacity")) }
                        th scope="col" { (t(lang, "pools.capacity.status")) }
                        th scope="col" { (t(lang, "pools.citation")) }
                    } }
                    tbody {
                        @for pool in &s.pools {
                            @let used = p.count(&pool.id);
                            @let c = pool.capacity.value;
                            tr {
                                th scope="row" { (pool_name(lang, Some(s), &pool.id)) }
                                td.num { (used) }
                                td { (capacity_text(lang, c)) }
                                td {
                                    @if c.min.is_some_and(|min| used < min) {
                                        (status_tag(t(lang, "pools.capacity.below"), "warn"))
                                    } @else if c.max.is_some_and(|max| used >= max) {
                                        (status_tag(t(lang, "pools.capacity.full"), "info"))
                                    } @else {
                                        (status_tag(t(lang, "pools.capacity.room"), "ok"))
                                    }
                                }
                                td { (cite_source(lang, schemes, &pool.capacity.source)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn step_button(ctx: &Ctx, s: &Scheme, p: &Proposal, step: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/pools/" (s.id) "/" (p.year) "/" (step) } {
            (csrf_field(ctx))
            button.button type="submit" { (label) }
        }
    }
}

fn workflow(
    ctx: &Ctx,
    user: &Principal,
    s: &Scheme,
    p: &Proposal,
    view: &ProposalView,
    errors: &[FieldError],
) -> Markup {
    use cultivation::State::*;
    let lang = ctx.lang;
    let runs = runs_pools(user);
    let involved = view.involved.contains(&user.user_id);
    let reject_refused = errors.iter().any(|e| e.field == "reject-reason");
    html! {
        section.card id="workflow" tabindex="-1" {
            h2 { (t(lang, "pools.workflow.title")) }
            dl.summary {
                dt { (t(lang, "pools.workflow.state")) } dd { (state_tag(lang, p.state)) }
                dt { (t(lang, "pools.workflow.proposed_by")) }
                dd { (view.name(&p.proposed_by)) " · " (p.proposed_at.format_datetime(lang)) }
                @if let Some(by) = &p.submitted_by {
                    dt { (t(lang, "pools.workflow.submitted_by")) } dd { (view.name(by)) }
                }
                @if let Some(by) = &p.reviewed_by {
                    dt { (t(lang, "pools.workflow.reviewed_by")) } dd { (view.name(by)) }
                }
                @if let Some(reason) = &p.rejection_reason {
                    dt { (t(lang, "pools.workflow.rejection_reason")) } dd.pre-line { (reason) }
                }
                @if let Some(at) = p.published_at {
                    dt { (t(lang, "pools.workflow.published_at")) } dd { (at.format_datetime(lang)) }
                }
            }
            (field_message(lang, errors, "workflow"))
            @if !runs {
                p.muted { (t(lang, "pools.workflow.read_only")) }
            } @else {
                @match p.state {
                    Draft => {
                        p { (t(lang, "pools.workflow.draft_hint")) }
                        (step_button(ctx, s, p, "submit", t(lang, "pools.step.submit")))
                    }
                    Submitted | Approved => {
                        @if p.state == Approved {
                            p { (t(lang, "pools.workflow.approved_hint")) }
                            (step_button(ctx, s, p, "publish", t(lang, "pools.step.publish")))
                        }
                        @if involved {
                            p.notice.notice-warning { (t(lang, "pools.workflow.four_eyes")) }
                        } @else {
                            @if p.state == Submitted {
                                p { (t(lang, "pools.workflow.review_hint")) }
                                (step_button(ctx, s, p, "approve", t(lang, "pools.step.approve")))
                            }
                            form.stack method="post" action={ "/pools/" (s.id) "/" (p.year) "/reject" } {
                                (csrf_field(ctx))
                                div.field.field-error[reject_refused] {
                                    label for="reject-reason" { (t(lang, "pools.reject.reason")) }
                                    p.hint { (tf(lang, "pools.reason.hint", &[("min", &cultivation::MIN_REASON_CHARS.to_string())])) }
                                    (field_message(lang, errors, "reject-reason"))
                                    textarea #reject-reason name="reason" rows="3" maxlength="2000" required
                                        aria-invalid=[reject_refused.then_some("true")] {}
                                }
                                button.button.button-warning type="submit" { (t(lang, "pools.step.reject")) }
                            }
                        }
                    }
                    Rejected => {
                        p { (t(lang, "pools.workflow.rejected_hint")) }
                        (step_button(ctx, s, p, "reopen", t(lang, "pools.step.reopen")))
                    }
                    Published => {
                        p.notice.notice-success { (t(lang, "pools.workflow.published_hint")) }
                    }
                }
            }
        }
    }
}

fn amend_form(
    ctx: &Ctx,
    s: &Scheme,
    p: &Proposal,
    errors: &[FieldError],
    typed: Option<&StepForm>,
) -> Markup {
    let lang = ctx.lang;
    let empty = StepForm::default();
    let typed = typed.unwrap_or(&empty);
    let has = |id: &str| errors.iter().any(|e| e.field == id);
    let invalid_attr = |id: &str| has(id).then_some("true");
    html! {
        section.card id="amend" {
            h2 { (t(lang, "pools.amend.title")) }
            p { (t(lang, "pools.amend.intro")) }
            form.stack method="post" action={ "/pools/" (s.id) "/" (p.year) "/amend" } {
                (csrf_field(ctx))
                div.field.field-error[has("amend-company")] {
                    label for="amend-company" { (t(lang, "pools.company")) }
                    (field_message(lang, errors, "amend-company"))
                    select #amend-company name="company_id" aria-invalid=[invalid_attr("amend-company")] {
                        option value="" { (t(lang, "pools.amend.choose_company")) }
                        @for e in &p.entries {
                            option value=(e.company_id) selected[typed.company_id == e.company_id] {
                                (e.rank) ". " (e.name) " — "
                                @match &e.pool { Some(pool) => (pool_name(lang, Some(s), pool)), None => (t(lang, "pools.no_pool")) }
                            }
                        }
                    }
                }
                div.field.field-error[has("amend-change")] {
                    label for="amend-change" { (t(lang, "pools.amend.change")) }
                    (field_message(lang, errors, "amend-change"))
                    select #amend-change name="change" aria-invalid=[invalid_attr("amend-change")] {
                        option value="" { (t(lang, "pools.amend.choose_change")) }
                        @for c in ["include", "move", "exclude"] {
                            option value=(c) selected[typed.change == c] { (t_opt(lang, &format!("pools.change.{c}")).unwrap_or(c)) }
                        }
                    }
                }
                div.field.field-error[has("amend-pool")] {
                    label for="amend-pool" { (t(lang, "pools.amend.pool")) }
                    p.hint { (t(lang, "pools.amend.pool_hint")) }
                    (field_message(lang, errors, "amend-pool"))
                    select #amend-pool name="pool" aria-invalid=[invalid_attr("amend-pool")] {
                        option value="" { "—" }
                        @for pool in &s.pools {
                            option value=(pool.id) selected[typed.pool == pool.id] {
                                (pool_name(lang, Some(s), &pool.id)) " (" (capacity_text(lang, pool.capacity.value)) ")"
                            }
                        }
                    }
                }
                div.field.field-error[has("amend-reason")] {
                    label for="amend-reason" { (t(lang, "pools.amend.reason")) }
                    p.hint { (tf(lang, "pools.reason.hint", &[("min", &cultivation::MIN_REASON_CHARS.to_string())])) }
                    (field_message(lang, errors, "amend-reason"))
                    textarea #amend-reason name="reason" rows="3" maxlength="2000" required
                        aria-invalid=[invalid_attr("amend-reason")] { (typed.reason) }
                }
                button.button type="submit" { (t(lang, "pools.step.amend")) }
            }
        }
    }
}

/// `营收 18.2 · 增长 5.0 · …`: the points of each factor that scored, compact enough for one
/// table cell on a phone (the intro says that unlisted factors scored nothing).
fn breakdown(lang: Lang, e: &ProposalEntry) -> String {
    e.score
        .parts
        .iter()
        .filter(|part| part.points >= 0.05)
        .map(|part| {
            let name = t_opt(lang, &format!("pools.factor.{}", part.factor.code()))
                .unwrap_or(part.factor.code());
            format!("{name} {:.1}", part.points)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `营收 25 · 增长 10 · …`: the scheme's weights.
fn weights(lang: Lang, s: &Scheme) -> String {
    s.scoring
        .factors
        .iter()
        .map(|w| {
            let name = t_opt(lang, &format!("pools.factor.{}", w.factor.code()))
                .unwrap_or(w.factor.code());
            format!("{name} {}", w.weight)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Candidates shown on one page of the ranking.
const RANKING_PAGE: usize = 50;

/// The page of `len` ranked entries asked for, kept within the pages there are: its number,
/// how many pages there are (at least one) and the entries it shows.
fn paged(len: usize, page_no: usize) -> (usize, usize, std::ops::Range<usize>) {
    let pages = len.div_ceil(RANKING_PAGE).max(1);
    let page_no = page_no.clamp(1, pages);
    let start = (page_no - 1) * RANKING_PAGE;
    (page_no, pages, start..len.min(start + RANKING_PAGE))
}

fn ranked_table(lang: Lang, user: &Principal, s: &Scheme, p: &Proposal, page_no: usize) -> Markup {
    let pool = |id: &Option<String>| match id {
        Some(id) => pool_name(lang, Some(s), id),
        None => "—".to_owned(),
    };
    let (page_no, pages, range) = paged(p.entries.len(), page_no);
    let shown = &p.entries[range];
    let href = |n: usize| format!("?page={n}#ranking");
    html! {
        section id="ranking" {
            h2 { (t(lang, "pools.ranking.title")) }
            p.muted { (t(lang, "pools.ranking.intro")) }
            p.muted { (t(lang, "pools.ranking.weights")) " " (weights(lang, s)) }
            p.count { (tf(lang, "pools.count", &[("count", &p.entries.len().to_string())])) }
            div.table-wrap.table-scroll {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "pools.rank")) }
                        th scope="col" { (t(lang, "pools.company")) }
                        th scope="col" { (t(lang, "pools.district")) }
                        th scope="col" { (t(lang, "pools.score")) }
                        th scope="col" { (t(lang, "pools.proposed_pool")) }
                        th scope="col" { (t(lang, "pools.pool")) }
                    } }
                    tbody {
                        @for e in shown {
                            tr {
                                td.num { (e.rank) }
                                th scope="row" {
                                    @if reads_proposals(user) || acts_for(user, &e.company_id) {
                                        a href={ "/pools/companies/" (e.company_id) } { (e.name) }
                                    } @else { (e.name) }
                                }
                                td { (district_name(lang, &e.district)) }
                                td {
                                    strong { (format!("{:.1}", e.score.total)) }
                                    br;
                                    span.small.muted { (breakdown(lang, e)) }
                                }
                                td { (pool(&e.proposed_pool)) }
                                td {
                                    (pool(&e.pool))
                                    @if e.pool != e.proposed_pool {
                                        " " (status_tag(t(lang, "pools.amended"), "info"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if pages > 1 {
                nav.pager aria-label=(t(lang, "pools.ranking.pages")) {
                    @if page_no > 1 { a rel="prev" href=(href(page_no - 1)) { (t(lang, "registry.prev")) } }
                    span { (tf(lang, "registry.page_of", &[("page", &page_no.to_string()), ("pages", &pages.to_string())])) }
                    @if page_no < pages { a rel="next" href=(href(page_no + 1)) { (t(lang, "registry.next")) } }
                }
            }
        }
    }
}

fn amendments(lang: Lang, s: &Scheme, view: &ProposalView) -> Markup {
    let pool = |id: &Option<String>| match id {
        Some(id) => pool_name(lang, Some(s), id),
        None => t(lang, "pools.no_pool").to_owned(),
    };
    html! {
        section id="amendments" {
            h2 { (t(lang, "pools.amendments.title")) }
            @if view.amendments.is_empty() {
                p.muted { (t(lang, "pools.amendments.none")) }
            } @else {
                div.table-wrap.table-scroll {
                    table {
                        thead { tr {
                            th scope="col" { (t(lang, "pools.at")) }
                            th scope="col" { (t(lang, "pools.company")) }
                            th scope="col" { (t(lang, "pools.amendments.change")) }
                            th scope="col" { (t(lang, "pools.amendments.reason")) }
                            th scope="col" { (t(lang, "pools.by")) }
                        } }
                        tbody {
                            @for a in &view.amendments {
                                tr {
                                    td { (a.at.format_datetime(lang)) }
                                    th scope="row" { (a.company) }
                                    td { (pool(&a.from)) " → " (pool(&a.to)) }
                                    td.pre-line { (a.reason) }
                                    td { (view.name(&a.by)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn history(lang: Lang, view: &ProposalView) -> Markup {
    html! {
        section id="history" {
            h2 { (t(lang, "pools.history.title")) }
            p.muted { (t(lang, "pools.history.intro")) }
            ol.alerts-history {
                @for s in &view.steps {
                    li {
                        (UtcMillis(s.at).format_datetime(lang)) " · "
                        strong { (t_opt(lang, &format!("pools.step_done.{}", s.code)).unwrap_or(&s.code)) }
                        " · " (view.name(&s.by))
                    }
                }
            }
        }
    }
}

fn left_out(lang: Lang, year: i32, view: &ProposalView) -> Markup {
    let figures_year = (year - 1).to_string();
    let no_figures = view
        .left_out
        .iter()
        .filter(|l| l.why == "no_figures")
        .count();
    html! {
        section id="left-out" {
            h2 { (t(lang, "pools.left_out.title")) }
            @if view.left_out.is_empty() {
                p.muted { (t(lang, "pools.left_out.none")) }
            } @else {
                p { (tf(lang, "pools.left_out.count", &[
                    ("count", &view.left_out.len().to_string()),
                    ("no_figures", &no_figures.to_string()),
                    ("figures_year", &figures_year),
                ])) }
                ul {
                    @for l in &view.left_out {
                        li {
                            (l.name) " — "
                            (tf(lang, &format!("pools.left_out.{}", l.why), &[("figures_year", &figures_year)]))
                        }
                    }
                }
            }
        }
    }
}

/// The published list of a scheme and year, for everyone signed in; 404 when none is.
fn published(
    ctx: &Ctx,
    user: &Principal,
    schemes: &Schemes,
    s: &Scheme,
    year: i32,
    title: &str,
    members: &[Member],
) -> (StatusCode, Markup) {
    let lang = ctx.lang;
    if members.is_empty() {
        let body = html! {
            p.back { a href="/pools" { (t(lang, "pools.back")) } }
            h1 { (title) }
            p.lead { (tf(lang, "pools.published.none", &[("year", &year.to_string())])) }
        };
        return (StatusCode::NOT_FOUND, page(ctx, title, body));
    }
    let body = html! {
        p.back { a href="/pools" { (t(lang, "pools.back")) } }
        h1 { (title) " " (state_tag(lang, cultivation::State::Published)) }
        p.lead { (t(lang, "pools.published.intro")) }
        @for pool in &s.pools {
            @let in_pool: Vec<&Member> = members.iter().filter(|m| m.pool == pool.id).collect();
            section {
                h2 { (pool_name(lang, Some(s), &pool.id)) " · " (tf(lang, "pools.count", &[("count", &in_pool.len().to_string())])) }
                p.muted { (t(lang, "pools.capacity")) " " (capacity_text(lang, pool.capacity.value)) " · " (cite_source(lang, schemes, &pool.capacity.source)) }
                @if !in_pool.is_empty() {
                    div.table-wrap.table-scroll {
                        table {
                            thead { tr {
                                th scope="col" { (t(lang, "pools.rank")) }
                                th scope="col" { (t(lang, "pools.company")) }
                                th scope="col" { (t(lang, "pools.district")) }
                            } }
                            tbody {
                                @for m in &in_pool {
                                    tr {
                                        td.num { (m.rank) }
                                        th scope="row" {
                                            @if acts_for(user, &m.company_id) {
                                                a href={ "/pools/companies/" (m.company_id) } { (m.name) }
                                            } @else { (m.name) }
                                        }
                                        td { (district_name(lang, &m.district)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    (StatusCode::OK, page(ctx, title, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ranking_is_paged_and_a_page_out_of_range_shows_the_nearest() {
        assert_eq!(paged(0, 1), (1, 1, 0..0));
        assert_eq!(paged(50, 1), (1, 1, 0..50));
        assert_eq!(paged(51, 2), (2, 2, 50..51));
        assert_eq!(paged(120, 0), (1, 3, 0..50));
        assert_eq!(paged(120, 3), (3, 3, 100..120));
        assert_eq!(paged(120, 99), (3, 3, 100..120));
    }
}
