//! The cultivation pools' pages (issue 6, S5): the schemes, their capacities and published
//! lists (`/pools`), one year's selection from proposal to publication
//! (`/pools/{scheme}/{year}`), and one company's memberships and 一企一策 support plans
//! (`/pools/companies/{id}`). The `cultivation` crate decides who may do what; these pages
//! show its answers and offer only the forms the visitor may use.

pub mod candidates;
pub mod company;
pub mod overview;
pub mod proposal;

use std::collections::BTreeMap;

use access::{Bureau, FieldError, OrganisationKind, Principal, Role};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use cultivation::{Capacity, CultivationError, ErrorKind, Member, PoolCount, Scheme, State};
use industry::IndustryError;
use kernel::Lang;
use maud::{Markup, html};

use super::registry::pick;
use crate::error::AppError;
use crate::i18n::{t, t_opt, tf};
use crate::layout::status_tag;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pools", get(overview::show))
        .route("/pools/selections", post(overview::start))
        .route("/pools/companies/{company_id}", get(company::show))
        .route(
            "/pools/companies/{company_id}/plans",
            post(company::create_plan),
        )
        .route("/pools/plans/{plan_id}/actions", post(company::add_action))
        .route(
            "/pools/plans/{plan_id}/follow-ups",
            post(company::add_follow_up),
        )
        .route(
            "/pools/actions/{action_id}/{step}",
            post(company::close_action),
        )
        .route("/pools/{scheme}/{year}", get(proposal::show))
        .route("/pools/{scheme}/{year}/{step}", post(proposal::act))
}

/// Whether `user` runs selections and plans. The same rule as the `cultivation` crate's, so
/// forms appear only for those whose requests it will accept (it still decides).
pub fn runs_pools(user: &Principal) -> bool {
    user.has_role(Role::BureauOfficial)
        && user.organisation.kind == OrganisationKind::MunicipalBureau
        && matches!(
            user.organisation.bureau,
            Some(Bureau::ScienceTechnology | Bureau::IndustryInformation)
        )
}

/// Whether `user` may see lists before they are published (the officials who run them and
/// administrators, who read everything and write nothing).
pub fn reads_proposals(user: &Principal) -> bool {
    runs_pools(user) || user.has_role(Role::PlatformAdmin)
}

/// Whether `user` acts for company `company_id`.
pub fn acts_for(user: &Principal, company_id: &str) -> bool {
    user.has_role(Role::CompanyUser)
        && user.organisation.kind == OrganisationKind::Company
        && user.organisation.id == company_id
}

/// The form field (or JSON property) a cultivation refusal concerns.
fn field_of(e: &CultivationError) -> &'static str {
    match e {
        CultivationError::Invalid { field, .. } => field,
        CultivationError::ReasonTooShort { .. } => "reason",
        CultivationError::UnknownPool { .. }
        | CultivationError::CapacityExceeded { .. }
        | CultivationError::NotEligible { .. } => "pool",
        CultivationError::NotFound {
            what: "candidate", ..
        } => "company_id",
        _ => "state",
    }
}

/// The crate's words for a refusal (without the field name its English `Display` starts
/// with, which the page shows beside the field anyway).
fn messages(e: &CultivationError) -> (String, String) {
    match e {
        CultivationError::Invalid { zh, en, .. } => (zh.clone(), en.clone()),
        _ => (e.message_zh(), e.message_en()),
    }
}

/// A cultivation error as pages and the API answer it. Refusals keep the crate's own words,
/// which name the pool, its capacity and its citation.
pub fn pools_error(e: CultivationError) -> AppError {
    let (zh, en) = messages(&e);
    match e.kind() {
        ErrorKind::BadRequest => AppError::Invalid(vec![FieldError::new(field_of(&e), zh, en)]),
        ErrorKind::Forbidden => AppError::Refused { zh, en },
        ErrorKind::NotFound => match e {
            CultivationError::NotFound {
                what: "candidate", ..
            } => AppError::Invalid(vec![FieldError::new("company_id", zh, en)]),
            _ => AppError::NotFound,
        },
        ErrorKind::Conflict => AppError::Conflict { zh, en },
        ErrorKind::Internal => AppError::Internal(e.to_string()),
    }
}

/// A register error (while gathering candidates) as pages and the API answer it.
pub fn industry_error(e: IndustryError) -> AppError {
    let (zh, en) = (e.message_zh(), e.message_en());
    match e.kind() {
        industry::ErrorKind::BadRequest => AppError::Invalid(vec![FieldError::new(
            e.field().unwrap_or("company"),
            zh,
            en,
        )]),
        industry::ErrorKind::Forbidden => AppError::Refused { zh, en },
        industry::ErrorKind::NotFound => AppError::NotFound,
        industry::ErrorKind::Conflict => AppError::Conflict { zh, en },
        industry::ErrorKind::Internal => AppError::Internal(e.to_string()),
    }
}

/// How a refused form is answered on its own page: bad input (422), a step the state or the
/// capacity does not allow (409) and the four-eyes rule (403) become the page's error summary,
/// each beside the field it concerns (`ids` maps the crate's field names to the form's
/// element ids, `fallback` takes the rest); anything else is an error page.
pub(crate) fn form_refusal(
    e: CultivationError,
    ids: &[(&str, &'static str)],
    fallback: &'static str,
) -> Result<(StatusCode, Vec<FieldError>), AppError> {
    let status = match (&e, e.kind()) {
        (CultivationError::FourEyes, _) => StatusCode::FORBIDDEN,
        (
            CultivationError::NotFound {
                what: "candidate", ..
            },
            _,
        )
        | (_, ErrorKind::BadRequest) => StatusCode::UNPROCESSABLE_ENTITY,
        (_, ErrorKind::Conflict) => StatusCode::CONFLICT,
        _ => return Err(pools_error(e)),
    };
    let field = field_of(&e);
    let id = ids
        .iter()
        .find(|(name, _)| *name == field)
        .map_or(fallback, |(_, id)| id);
    let (zh, en) = messages(&e);
    Ok((status, vec![FieldError::new(id, zh, en)]))
}

/// A field error raised by the page itself before the crate is asked.
pub(crate) fn invalid(field: &'static str, lang_key: &str, args: &[(&str, &str)]) -> FieldError {
    FieldError::new(
        field,
        tf(Lang::Zh, lang_key, args),
        tf(Lang::En, lang_key, args),
    )
}

/// The error message beside field `id`, if there is one.
pub(crate) fn field_message(lang: Lang, errors: &[FieldError], id: &str) -> Markup {
    html! {
        @if let Some(e) = errors.iter().find(|e| e.field == id) {
            p.error-message id={ (id) "-error" } { (e.message(lang)) }
        }
    }
}

/// An element id: the static one for the form that was refused (so the error summary can
/// link to it), a unique one for the same form repeated elsewhere on the page.
pub(crate) fn element_id(refused: bool, id: &'static str, suffix: &str) -> String {
    if refused {
        id.to_owned()
    } else {
        format!("{id}-{suffix}")
    }
}

pub fn scheme_name(lang: Lang, scheme: &Scheme) -> &str {
    pick(lang, &scheme.name_zh, &scheme.name_en)
}

/// A pool's name in `scheme`, or its id when the scheme no longer has it.
pub fn pool_name(lang: Lang, scheme: Option<&Scheme>, pool: &str) -> String {
    scheme
        .and_then(|s| s.pool(pool))
        .map(|p| pick(lang, &p.name_zh, &p.name_en).to_owned())
        .unwrap_or_else(|| pool.to_owned())
}

/// `≤ 30`, `15–20`, `不限`: a capacity as people read it.
pub fn capacity_text(lang: Lang, capacity: Capacity) -> String {
    match (capacity.min, capacity.max) {
        (None, None) => t(lang, "pools.capacity.unbounded").to_owned(),
        (None, Some(max)) => tf(lang, "pools.capacity.at_most", &[("max", &max.to_string())]),
        (Some(min), None) => tf(
            lang,
            "pools.capacity.at_least",
            &[("min", &min.to_string())],
        ),
        (Some(min), Some(max)) => tf(
            lang,
            "pools.capacity.range",
            &[("min", &min.to_string()), ("max", &max.to_string())],
        ),
    }
}

pub fn district_name(lang: Lang, key: &str) -> String {
    city::districts()
        .by_key(key)
        .map(|d| d.name(lang == Lang::En).to_owned())
        .unwrap_or_else(|| key.to_owned())
}

pub fn bureau_name(lang: Lang, bureau: Bureau) -> String {
    t_opt(lang, &format!("pools.bureau.{}", bureau.code()))
        .map(str::to_owned)
        .unwrap_or_else(|| bureau.code().to_owned())
}

/// A proposal's state in words and colour.
pub fn state_tag(lang: Lang, state: State) -> Markup {
    let tone = match state {
        State::Draft => "info",
        State::Submitted => "warn",
        State::Approved => "ok",
        State::Published => "ok",
        State::Rejected => "error",
    };
    let text = t_opt(lang, &format!("pools.state.{}", state.code())).unwrap_or(state.code());
    status_tag(text, tone)
}

/// The city's year today: the default selection year.
pub fn this_year() -> i32 {
    i32::from(kernel::UtcMillis::now().city_date().year())
}

/// A selection year as typed in a form or a path.
pub fn parse_year(text: &str) -> Option<i32> {
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
}

/// The current published list of one scheme.
pub struct CurrentList<'a> {
    pub scheme: &'a Scheme,
    pub year: i32,
    pub members: Vec<Member>,
    pub counts: Vec<PoolCount>,
}

/// How many years back the overview looks for a scheme's latest published list: the schemes
/// are yearly (or reviewed yearly), so a list older than this has long been replaced.
const LOOK_BACK_YEARS: i32 = 10;

/// Every scheme's current published list (the latest year published), in the schemes' order.
pub async fn current_lists(app: &AppState) -> Result<Vec<CurrentList<'_>>, AppError> {
    let this = this_year();
    let mut latest: BTreeMap<String, (i32, Vec<PoolCount>)> = BTreeMap::new();
    for year in ((this - LOOK_BACK_YEARS)..=(this + 1)).rev() {
        let counts = app
            .cultivation
            .counts_by_pool_and_district(year)
            .await
            .map_err(pools_error)?;
        for c in counts {
            let entry = latest
                .entry(c.scheme.clone())
                .or_insert_with(|| (year, Vec::new()));
            if entry.0 == year {
                entry.1.push(c);
            }
        }
    }
    let mut lists = Vec::new();
    for scheme in &app.cultivation.schemes().schemes {
        let Some((year, counts)) = latest.remove(&scheme.id) else {
            continue;
        };
        let members = app
            .cultivation
            .members(&scheme.id, year)
            .await
            .map_err(pools_error)?
            .into_iter()
            .filter(|m| m.until.is_none())
            .collect();
        lists.push(CurrentList {
            scheme,
            year,
            members,
            counts,
        });
    }
    Ok(lists)
}

/// The language of the charts' own words.
pub(crate) fn chart_lang(lang: Lang) -> charts::Lang {
    match lang {
        Lang::Zh => charts::Lang::Zh,
        Lang::En => charts::Lang::En,
    }
}
