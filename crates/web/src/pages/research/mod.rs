//! Research access (issue 4, "Research release"; ADR 0011) in the browser: a researcher's
//! requests and the form of a new one (`/research`), one request with its history, its
//! release and downloads (`/research/requests/{id}`), the data steward's queue and actions
//! (`/research/review`), and aggregate queries (`/research/query`).
//!
//! Who may do what: `UseResearchData` (researchers, within their organisation) submits and
//! downloads their own requests; `ReviewResearchRequests` (data stewards, city-wide) approves,
//! refuses, releases and withdraws. The `research` crate refuses a steward acting on their own
//! request; the pages show why. Consent is asked at release and query time through
//! [`consent::PlatformConsent`], so only consenting residents are ever released or counted.

pub mod consent;
mod detail;
mod mine;
mod query;
mod review;

use access::{FieldError, Permission, Principal, Target};
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kernel::{Explain, Lang};
use maud::{Markup, html};
use research::{Action, Cohort, RequestState, ResearchError, ResearchRequest};

use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::status_tag;
use crate::state::AppState;

pub use detail::{ReleaseFile, download};

/// Posted or URL pairs as the research forms read them: checkbox lists repeat their name.
struct Pairs<'a>(&'a [(String, String)]);

impl Pairs<'_> {
    /// The first value of `name`, or "".
    fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `name`, in order.
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}
pub use query::run as run_query;

/// The research pages, merged into the platform's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/research", get(mine::show))
        .route("/research/requests", post(mine::submit))
        .route("/research/requests/{id}", get(detail::show))
        .route("/research/requests/{id}/approve", post(detail::approve))
        .route("/research/requests/{id}/refuse", post(detail::refuse))
        .route("/research/requests/{id}/release", post(detail::release))
        .route("/research/requests/{id}/withdraw", post(detail::withdraw))
        .route(
            "/research/requests/{id}/extract.csv",
            get(detail::extract_csv),
        )
        .route(
            "/research/requests/{id}/dictionary.csv",
            get(detail::dictionary_csv),
        )
        .route("/research/review", get(review::show))
        .route("/research/query", get(query::show))
}

/// The organisation a researcher works in, as an access target.
fn own_organisation(user: &Principal) -> Target<'_> {
    Target::Organisation {
        id: &user.organisation.id,
        district: user.organisation.district.as_deref(),
    }
}

/// Whether `user` may request and download research data.
pub fn may_request(user: &Principal) -> bool {
    user.authorize(Permission::UseResearchData, own_organisation(user))
        .is_ok()
}

/// Whether `user` is a data steward.
pub fn may_steward(user: &Principal) -> bool {
    user.authorize(Permission::ReviewResearchRequests, Target::City)
        .is_ok()
}

/// The research crate's actor for a signed-in user.
pub fn actor(user: &Principal) -> research::Actor {
    research::Actor {
        user_id: user.user_id.clone(),
        organisation_id: Some(user.organisation.id.clone()),
    }
}

/// A request `user` may see: their own (as researcher) or any (as steward). Others are told
/// it does not exist, so ids are not confirmed to strangers.
pub async fn visible_request(
    app: &AppState,
    user: &Principal,
    id: &str,
) -> Result<ResearchRequest, Failure> {
    let request = app
        .research
        .request(id)
        .await
        .map_err(Failure::from)?
        .ok_or_else(|| Failure::from(AppError::NotFound))?;
    let own = request.requester_id == user.user_id && may_request(user);
    if own || may_steward(user) {
        Ok(request)
    } else {
        Err(AppError::NotFound.into())
    }
}

/// Why a research action failed, with the HTTP status the crate's error suggests (ADR 0011):
/// invalid input 422, an action the state does not allow 409, a steward's own request 403,
/// someone else's or an unknown request 404, access that has ended 410, a release that cannot
/// be made safely 422.
#[derive(Debug)]
pub struct Failure {
    /// The answer's status.
    pub status: StatusCode,
    /// The problem type's last segment (`illegal-transition`).
    pub kind: &'static str,
    zh: String,
    en: String,
    /// The fields at fault, for a form or the problem's `errors`.
    pub fields: Vec<FieldError>,
}

impl Failure {
    fn new(status: StatusCode, kind: &'static str, zh: String, en: String) -> Failure {
        Failure {
            status,
            kind,
            zh,
            en,
            fields: Vec::new(),
        }
    }

    /// One sentence a person can act on.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// As an RFC 7807 problem document, with an `errors` array naming each field.
    pub fn problem(&self, lang: Lang) -> Response {
        let mut body = serde_json::json!({
            "type": format!("https://lifehealth.invalid/problems/{}", self.kind),
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.message(lang),
        });
        if !self.fields.is_empty() {
            body["errors"] = self
                .fields
                .iter()
                .map(|f| serde_json::json!({ "field": f.field, "message": f.message(lang) }))
                .collect();
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }

    /// As an error page.
    pub fn page(&self, ctx: &Ctx) -> Response {
        if self.status == StatusCode::UNAUTHORIZED {
            return ctx.page_error(AppError::NotSignedIn).into_response();
        }
        let body = crate::layout::error_page(ctx.lang, self.status, self.message(ctx.lang));
        (self.status, body).into_response()
    }

    /// Both languages from one message key and its placeholders (localised per language).
    fn keyed(
        status: StatusCode,
        kind: &'static str,
        key: &str,
        args: impl Fn(Lang) -> Vec<(&'static str, String)>,
    ) -> Failure {
        let text = |lang: Lang| {
            let args = args(lang);
            let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            tf(lang, key, &pairs)
        };
        Failure::new(status, kind, text(Lang::Zh), text(Lang::En))
    }

    /// A single wrong field.
    fn field(field: &'static str, key: &str) -> Failure {
        let mut f = Failure::keyed(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            key,
            |_| Vec::new(),
        );
        f.fields = vec![FieldError::new(field, f.zh.clone(), f.en.clone())];
        f
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Failure {
        let kind = e.kind();
        if let AppError::Internal(detail) = &e {
            tracing::error!(%detail, "research request failed");
        }
        let mut f = Failure::new(e.status(), kind, e.message(Lang::Zh), e.message(Lang::En));
        if let AppError::Invalid(fields) = e {
            f.fields = fields;
        }
        f
    }
}

impl From<access::Denied> for Failure {
    fn from(e: access::Denied) -> Failure {
        AppError::from(e).into()
    }
}

/// A research field error in both languages, for the platform's forms and problems, led by
/// the field's label so a summary of several says which is which.
pub fn field_error(e: &research::FieldError) -> FieldError {
    let say = |lang: Lang| match field_label(lang, e.field) {
        Some(label) if lang == Lang::Zh => format!("{label}：{}", e.explain(lang)),
        Some(label) => format!("{label}: {}", e.explain(lang)),
        None => e.explain(lang),
    };
    FieldError::new(e.field, say(Lang::Zh), say(Lang::En))
}

/// The label of a field of the request or query form.
fn field_label(lang: Lang, field: &str) -> Option<&'static str> {
    let key = match field {
        "diseases" | "age_min" | "age_max" | "districts" | "enrolled_from" | "enrolled_to"
        | "variables" | "purpose" | "ethics_reference" => format!("research.form.{field}"),
        "rows" | "columns" | "mean_of" => format!("research.query.{field}"),
        _ => return None,
    };
    Some(t(lang, &key))
}

impl From<ResearchError> for Failure {
    fn from(e: ResearchError) -> Failure {
        use StatusCode as S;
        match e {
            ResearchError::Invalid(invalid) => {
                let fields: Vec<FieldError> = invalid.0.iter().map(field_error).collect();
                AppError::Invalid(fields).into()
            }
            ResearchError::IllegalTransition { from, action, .. } => Failure::keyed(
                S::CONFLICT,
                "illegal-transition",
                "research.error.illegal_transition",
                |lang| {
                    vec![
                        ("state", state_label(lang, from).to_owned()),
                        ("action", action_label(lang, action).to_owned()),
                    ]
                },
            ),
            ResearchError::OwnRequest { action, .. } => Failure::keyed(
                S::FORBIDDEN,
                "own-request",
                "research.error.own_request",
                |lang| vec![("action", action_label(lang, action).to_owned())],
            ),
            ResearchError::ReasonsRequired { .. } => {
                Failure::field("reasons", "research.error.reasons_required")
            }
            ResearchError::AccessPeriod { today, .. } => {
                let mut f = Failure::keyed(
                    S::UNPROCESSABLE_ENTITY,
                    "invalid-input",
                    "research.error.access_period",
                    |_| vec![("today", today.clone())],
                );
                f.fields = vec![FieldError::new("access_until", f.zh.clone(), f.en.clone())];
                f
            }
            ResearchError::NotExpired { access_until, .. } => Failure::keyed(
                S::CONFLICT,
                "not-expired",
                "research.error.not_expired",
                |_| vec![("until", access_until.clone())],
            ),
            ResearchError::AccessEnded { access_until, .. } => Failure::keyed(
                S::GONE,
                "access-ended",
                "research.error.access_ended",
                |_| vec![("until", access_until.clone())],
            ),
            ResearchError::NoLongerAvailable { state, .. } => Failure::keyed(
                S::GONE,
                "no-longer-available",
                "research.error.no_longer_available",
                |lang| vec![("state", state_label(lang, state).to_owned())],
            ),
            ResearchError::UnknownRequest(_)
            | ResearchError::UnknownRelease(_)
            | ResearchError::NotTheRequester { .. } => AppError::NotFound.into(),
            ResearchError::EmptyCohort => Failure::keyed(
                S::UNPROCESSABLE_ENTITY,
                "empty-cohort",
                "research.error.empty_cohort",
                |_| Vec::new(),
            ),
            ResearchError::TooMuchSuppression {
                suppressed,
                rows,
                max_share,
            } => Failure::keyed(
                S::UNPROCESSABLE_ENTITY,
                "too-much-suppression",
                "research.error.too_much_suppression",
                |_| {
                    vec![
                        ("suppressed", suppressed.to_string()),
                        ("rows", rows.to_string()),
                        ("share", format!("{}", max_share * 100.0)),
                    ]
                },
            ),
            other => AppError::Internal(other.to_string()).into(),
        }
    }
}

/// A state in words.
pub fn state_label(lang: Lang, state: RequestState) -> &'static str {
    t(lang, &format!("research.state.{}", state.code()))
}

/// An action in words (`approve` → 批准).
pub fn action_label(lang: Lang, action: Action) -> &'static str {
    t(lang, &format!("research.action.{}", action.verb()))
}

/// A state in words and colour.
pub fn state_tag(lang: Lang, state: RequestState) -> Markup {
    let tone = match state {
        RequestState::Submitted => "warn",
        RequestState::Approved => "info",
        RequestState::Released => "ok",
        RequestState::Refused => "error",
        RequestState::Expired | RequestState::Withdrawn => "muted",
    };
    status_tag(state_label(lang, state), tone)
}

/// The diseases of a cohort by name.
pub fn disease_names(app: &AppState, lang: Lang, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| super::registry::disease_label(app, lang, c))
        .collect::<Vec<_>>()
        .join(list_separator(lang))
}

fn list_separator(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "、",
        Lang::En => ", ",
    }
}

/// A cohort in one line per part: diseases, ages, districts, enrolment period.
pub fn cohort_summary(app: &AppState, lang: Lang, cohort: &Cohort) -> Markup {
    let districts = if cohort.districts.is_empty() {
        t(lang, "research.cohort.whole_city").to_owned()
    } else {
        cohort
            .districts
            .iter()
            .map(|d| super::registry::district_name(lang, Some(d)))
            .collect::<Vec<_>>()
            .join(list_separator(lang))
    };
    let ages = match cohort.ages {
        Some(a) => tf(
            lang,
            "research.cohort.ages",
            &[("min", &a.min.to_string()), ("max", &a.max.to_string())],
        ),
        None => t(lang, "research.cohort.any_age").to_owned(),
    };
    let period = match (cohort.enrolled_from, cohort.enrolled_to) {
        (None, None) => t(lang, "research.cohort.any_period").to_owned(),
        (from, to) => format!(
            "{} – {}",
            super::registry::date_or_dash(lang, from),
            super::registry::date_or_dash(lang, to)
        ),
    };
    html! {
        dt { (t(lang, "research.form.diseases")) }
        dd { (disease_names(app, lang, &cohort.diseases)) }
        dt { (t(lang, "research.form.ages")) }
        dd { (ages) }
        dt { (t(lang, "research.form.districts")) }
        dd { (districts) }
        dt { (t(lang, "research.form.period")) }
        dd { (period) }
    }
}

/// The label of a value an aggregate table groups by, in the reader's language: district
/// names, sexes, yes/no; age bands and years as they are.
pub fn value_label(lang: Lang, field: research::Field, value: &str) -> String {
    use research::Field as F;
    match (field, value) {
        (_, "unknown") => t(lang, "research.value.unknown").to_owned(),
        (F::District, key) => city::districts()
            .by_key(key)
            .map(|d| d.name(lang == Lang::En).to_owned())
            .unwrap_or_else(|| key.to_owned()),
        (F::Sex, "male") => t(lang, "registry.sex_male").to_owned(),
        (F::Sex, "female") => t(lang, "registry.sex_female").to_owned(),
        (F::Controlled, "yes") => t(lang, "research.value.yes").to_owned(),
        (F::Controlled, "no") => t(lang, "research.value.no").to_owned(),
        (_, other) => other.to_owned(),
    }
}

/// A catalogue variable's label by its field.
pub fn variable_label(app: &AppState, lang: Lang, field: research::Field) -> String {
    app.research
        .catalogue()
        .of(field)
        .map(|v| v.label(lang == Lang::En).to_owned())
        .unwrap_or_else(|| field.key().to_owned())
}
