//! The innovation product lists and the hospital green channel (issue 6, S8): the two lists,
//! their versions and the rules (`/products`, with nominations for companies and the
//! nominations queue, publication and the provincial listing date for the bureaus), each
//! hospital's duty to adopt listed products and the bureaus' adoption figures and bulletins
//! (`/products/adoption`), and the overdue alerts (`/products/alerts`). The `greenchannel`
//! crate decides who may do what; these pages show only the forms a viewer may use and show
//! its refusals.

pub mod adoption;
pub mod alerts;
pub mod lists;

use std::collections::HashMap;

use access::{Bureau, FieldError, OrganisationKind, Principal, Role};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use greenchannel::{
    AdoptionStatus, AlertKind, ErrorKind, GreenChannelError, NominationState, ProductKind, Rules,
};
use jiff::civil::Date;
use kernel::Lang;
use maud::{Markup, html};

use super::registry::pick;
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::status_tag;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/products", get(lists::show))
        .route("/products/nominations", post(lists::nominate))
        .route("/products/nominations/{id}/{action}", post(lists::decide))
        .route("/products/lists/{list}/versions", post(lists::publish))
        .route(
            "/products/lists/{list}/products/{product_id}/remove",
            post(lists::remove),
        )
        .route("/products/listings", post(lists::record_listing))
        .route("/products/adoption", get(adoption::show))
        .route("/products/adoption/{what}", post(adoption::record))
        .route("/products/bulletins", post(adoption::issue))
        .route("/products/alerts", get(alerts::show))
        .route(
            "/products/alerts/{id}/acknowledge",
            post(alerts::acknowledge),
        )
}

/// A green-channel error as pages and the API answer it: input problems name their field,
/// refusals say who may act, state conflicts say what the thing is now.
pub fn gc_error(e: GreenChannelError) -> AppError {
    let (zh, en) = (e.message_zh(), e.message_en());
    match e.kind() {
        ErrorKind::Invalid => AppError::Invalid(vec![FieldError::new(field_of(&e), zh, en)]),
        ErrorKind::Forbidden => AppError::Refused { zh, en },
        ErrorKind::NotFound => AppError::NotFound,
        ErrorKind::Conflict => AppError::Conflict { zh, en },
        ErrorKind::Internal => AppError::Internal(en),
    }
}

fn field_of(e: &GreenChannelError) -> &'static str {
    use GreenChannelError as E;
    match e {
        E::Missing { field }
        | E::TooLong { field, .. }
        | E::Negative { field, .. }
        | E::FutureDate { field, .. } => field,
        E::BadPeriod { .. } | E::PeriodNotEnded { .. } => "period",
        E::BadKind { .. } => "kind",
        E::BadUscc { .. } => "uscc",
        E::UnknownList { .. } => "list",
        _ => "state",
    }
}

/// A company-register error met while building a nomination: the register is public data,
/// so anything but a platform failure is about the product the user picked.
pub fn industry_error(e: industry::IndustryError) -> AppError {
    match e.kind() {
        industry::ErrorKind::Internal => AppError::Internal(e.message_en()),
        _ => AppError::Invalid(vec![FieldError::new(
            "product_id",
            e.message_zh(),
            e.message_en(),
        )]),
    }
}

/// What the viewer is to the green channel, decided as the crate decides it (so links and
/// forms appear only for those the crate will let act).
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// The municipal bureau the viewer is an official of.
    pub bureau: Option<Bureau>,
    /// The bound hospital the viewer is a pharmacist or doctor of.
    pub hospital: Option<String>,
    /// The company the viewer acts for.
    pub company: Option<String>,
}

impl Viewer {
    pub fn of(rules: &Rules, user: &Principal) -> Viewer {
        let org = &user.organisation;
        Viewer {
            bureau: (user.has_role(Role::BureauOfficial)
                && org.kind == OrganisationKind::MunicipalBureau)
                .then_some(org.bureau)
                .flatten(),
            hospital: (rules.duty_kinds().contains(&org.kind)
                && (user.has_role(Role::Pharmacist) || user.has_role(Role::HospitalDoctor)))
            .then(|| org.id.clone()),
            company: (user.has_role(Role::CompanyUser) && org.kind == OrganisationKind::Company)
                .then(|| org.id.clone()),
        }
    }

    pub fn in_bureaus(&self, bureaus: &[Bureau]) -> bool {
        self.bureau.is_some_and(|b| bureaus.contains(&b))
    }

    /// Whether the viewer may read hospitals' standing and alerts.
    pub fn reads_adoption(&self) -> bool {
        self.bureau.is_some() || self.hospital.is_some()
    }
}

/// A refused form, to render again with its messages beside its fields and what was typed.
#[derive(Debug, Default)]
pub struct Refusal {
    /// The form's key, which prefixes its field ids (several forms share a page).
    pub form: String,
    pub errors: Vec<FieldError>,
    pub values: Vec<(String, String)>,
}

impl Refusal {
    pub fn none() -> Refusal {
        Refusal::default()
    }

    pub fn errors_of(&self, form: &str) -> &[FieldError] {
        if self.form == form { &self.errors } else { &[] }
    }

    pub fn value(&self, form: &str, name: &str) -> Option<&str> {
        (self.form == form)
            .then(|| {
                self.values
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            })
            .flatten()
    }
}

/// How a refused form is answered: input problems (422) and conflicts (409) go back to the
/// page beside the form's fields; anything else is an error page.
pub fn refusal_of(
    form: &str,
    fields: Vec<(String, String)>,
    error: AppError,
) -> Result<(StatusCode, Refusal), AppError> {
    let (status, errors) = match error {
        AppError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        AppError::Conflict { zh, en } => {
            (StatusCode::CONFLICT, vec![FieldError::new("state", zh, en)])
        }
        other => return Err(other),
    };
    Ok((
        status,
        Refusal {
            form: form.to_owned(),
            errors,
            values: fields
                .into_iter()
                .filter(|(k, _)| k != crate::ctx::CSRF_FIELD)
                .collect(),
        },
    ))
}

/// The value of `name` in a submitted form, or empty.
pub fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// The error summary at the top of a page, linking to the refused form's fields.
pub fn summary(lang: Lang, refusal: &Refusal) -> Markup {
    html! {
        @if !refusal.errors.is_empty() {
            div.error-summary role="alert" tabindex="-1" aria-labelledby="error-summary-title" {
                h2 id="error-summary-title" { (t(lang, "error.summary")) }
                ul {
                    @for e in &refusal.errors {
                        li { a href={ "#" (anchor(&refusal.form, e.field)) } { (e.message(lang)) } }
                    }
                }
            }
        }
    }
}

fn anchor(form: &str, field: &str) -> String {
    if field == "state" {
        form.to_owned()
    } else {
        format!("{form}-{field}")
    }
}

/// The fields of one form: ids prefixed with the form's key, labels above, hint and error
/// beside, the typed value kept after a refusal.
pub struct FormFields<'a> {
    pub lang: Lang,
    pub form: &'a str,
    pub refusal: &'a Refusal,
}

impl FormFields<'_> {
    fn error(&self, name: &str) -> Option<&FieldError> {
        self.refusal
            .errors_of(self.form)
            .iter()
            .find(|e| e.field == name)
    }

    /// A conflict about the whole form (someone acted first, nothing to publish...).
    pub fn state_error(&self) -> Markup {
        html! {
            @if let Some(e) = self.error("state") {
                p.error-message role="alert" { (e.message(self.lang)) }
            }
        }
    }

    fn wrap(&self, name: &str, label: &str, hint: Option<&str>, control: Markup) -> Markup {
        let id = format!("{}-{name}", self.form);
        let error = self.error(name);
        html! {
            div.field.field-error[error.is_some()] {
                label for=(id) { (label) }
                @if let Some(h) = hint { p.hint id={ (id) "-hint" } { (h) } }
                @if let Some(e) = error { p.error-message id={ (id) "-error" } { (e.message(self.lang)) } }
                (control)
            }
        }
    }

    fn described(&self, name: &str, hint: bool) -> Option<String> {
        let id = format!("{}-{name}", self.form);
        let parts: Vec<String> = [
            hint.then(|| format!("{id}-hint")),
            self.error(name).map(|_| format!("{id}-error")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    pub fn input(
        &self,
        name: &str,
        label: &str,
        kind: &str,
        default: &str,
        hint: Option<&str>,
        required: bool,
    ) -> Markup {
        let id = format!("{}-{name}", self.form);
        let value = self.refusal.value(self.form, name).unwrap_or(default);
        let control = html! {
            input id=(id) name=(name) type=(kind) value=(value) required[required]
                inputmode=[(kind == "text" && matches!(name, "quantity" | "amount_yuan")).then_some("numeric")]
                aria-invalid=[self.error(name).map(|_| "true")]
                aria-describedby=[self.described(name, hint.is_some())];
        };
        self.wrap(name, label, hint, control)
    }

    pub fn textarea(&self, name: &str, label: &str, hint: Option<&str>, required: bool) -> Markup {
        let id = format!("{}-{name}", self.form);
        let value = self.refusal.value(self.form, name).unwrap_or("");
        let control = html! {
            textarea id=(id) name=(name) rows="3" maxlength=(greenchannel::MAX_TEXT_CHARS) required[required]
                aria-invalid=[self.error(name).map(|_| "true")]
                aria-describedby=[self.described(name, hint.is_some())] { (value) }
        };
        self.wrap(name, label, hint, control)
    }

    pub fn select(
        &self,
        name: &str,
        label: &str,
        options: &[(String, String)],
        default: &str,
        hint: Option<&str>,
    ) -> Markup {
        let id = format!("{}-{name}", self.form);
        let chosen = self.refusal.value(self.form, name).unwrap_or(default);
        let control = html! {
            select id=(id) name=(name) required
                aria-invalid=[self.error(name).map(|_| "true")]
                aria-describedby=[self.described(name, hint.is_some())] {
                @if options.len() != 1 { option value="" { (t(self.lang, "products.choose")) } }
                @for (value, text) in options {
                    option value=(value) selected[value == chosen] { (text) }
                }
            }
        };
        self.wrap(name, label, hint, control)
    }
}

/// A date as the city reads it: `2026年11月22日` or `2026-11-22`.
pub fn day(lang: Lang, date: Date) -> String {
    match lang {
        Lang::Zh => date.strftime("%Y年%m月%d日").to_string(),
        Lang::En => date.to_string(),
    }
}

/// A moment on the city's clock.
pub fn when(lang: Lang, at: i64) -> String {
    kernel::UtcMillis(at).format_datetime(lang)
}

/// Today on the city's calendar.
pub fn today() -> Date {
    kernel::UtcMillis::now().city_date()
}

/// Both languages of a catalogue message, for errors that carry both.
pub fn both(key: &str, args: &[(&str, &str)]) -> (String, String) {
    (tf(Lang::Zh, key, args), tf(Lang::En, key, args))
}

/// A refusal of one field, worded by the catalogue.
pub fn invalid(field: &'static str, key: &str, args: &[(&str, &str)]) -> AppError {
    let (zh, en) = both(key, args);
    AppError::Invalid(vec![FieldError::new(field, zh, en)])
}

/// A date typed into a form or a JSON body (`YYYY-MM-DD`), or a message naming the field.
pub fn parse_date(field: &'static str, text: &str) -> Result<Date, AppError> {
    text.trim()
        .parse::<Date>()
        .map_err(|_| invalid(field, "products.err.date", &[("value", text.trim())]))
}

/// A whole number typed into a form (thousands separators allowed), or a message naming the
/// field.
pub fn parse_whole(field: &'static str, text: &str) -> Result<i64, AppError> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' '))
        .collect();
    cleaned
        .parse::<i64>()
        .map_err(|_| invalid(field, "products.err.whole", &[("value", text.trim())]))
}

pub fn list_name(rules: &Rules, lang: Lang, code: &str) -> String {
    rules
        .list(code)
        .map(|l| pick(lang, &l.name_zh, &l.name_en).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

pub fn bureau_name(lang: Lang, b: Bureau) -> &'static str {
    t(lang, &format!("products.bureau.{}", b.code()))
}

pub fn bureaus_text(lang: Lang, bureaus: &[Bureau]) -> String {
    bureaus
        .iter()
        .map(|b| bureau_name(lang, *b))
        .collect::<Vec<_>>()
        .join(pick(lang, "、", ", "))
}

pub fn kind_label(lang: Lang, kind: ProductKind) -> &'static str {
    t(lang, &format!("products.kind.{}", kind.code()))
}

pub fn nomination_tag(lang: Lang, state: &NominationState) -> Markup {
    let tone = match state {
        NominationState::Submitted => "warn",
        NominationState::Approved => "ok",
        NominationState::Refused { .. } => "error",
        NominationState::Withdrawn | NominationState::Removed { .. } => "muted",
    };
    status_tag(t(lang, &format!("products.state.{}", state.code())), tone)
}

/// Where a hospital stands with a product, in words and colour, with the days left or over.
pub fn adoption_tag(lang: Lang, status: &AdoptionStatus, reminder_days: i32) -> Markup {
    let (key, tone, detail) = match status {
        AdoptionStatus::Pending { days_left, .. } => (
            "products.status.pending",
            if *days_left <= reminder_days {
                "warn"
            } else {
                "info"
            },
            Some(tf(
                lang,
                "products.status.days_left",
                &[("n", &days_left.to_string())],
            )),
        ),
        AdoptionStatus::Adopted { late: false, .. } => {
            ("products.status.adopted_on_time", "ok", None)
        }
        AdoptionStatus::Adopted { late: true, .. } => {
            ("products.status.adopted_late", "warn", None)
        }
        AdoptionStatus::Overdue { days_over, .. } => (
            "products.status.overdue",
            "error",
            Some(tf(
                lang,
                "products.status.days_over",
                &[("n", &days_over.to_string())],
            )),
        ),
        AdoptionStatus::NotNeeded { .. } => ("products.status.not_needed", "muted", None),
    };
    html! {
        (status_tag(t(lang, key), tone))
        @if let Some(d) = detail { " " span.nowrap { (d) } }
    }
}

pub fn alert_tag(lang: Lang, kind: AlertKind) -> Markup {
    match kind {
        AlertKind::Reminder => status_tag(t(lang, "products.alert.reminder"), "warn"),
        AlertKind::Overdue => status_tag(t(lang, "products.alert.overdue"), "error"),
    }
}

/// The bound hospitals' names by id, in the viewer's language.
pub async fn hospital_names(
    app: &AppState,
    lang: Lang,
) -> Result<HashMap<String, String>, AppError> {
    Ok(app
        .greenchannel
        .bound_hospitals()
        .await
        .map_err(gc_error)?
        .into_iter()
        .map(|h| {
            let name = pick(lang, &h.name_zh, &h.name_en).to_owned();
            (h.id, name)
        })
        .collect())
}

/// Every product any published version has held, by id (lists are public).
pub async fn product_names(app: &AppState) -> Result<HashMap<String, String>, AppError> {
    let mut names = HashMap::new();
    for list in &app.greenchannel.rules().lists {
        for v in app
            .greenchannel
            .versions(&list.code)
            .await
            .map_err(gc_error)?
        {
            for p in v.entries {
                names.insert(p.product_id, p.product_name);
            }
        }
    }
    Ok(names)
}

/// The three pages of the area, for those who may use each.
pub fn tabs(lang: Lang, current: &str, viewer: &Viewer) -> Markup {
    let mut links = vec![("/products", "products.tab.lists")];
    if viewer.reads_adoption() {
        links.push(("/products/adoption", "products.tab.adoption"));
        links.push(("/products/alerts", "products.tab.alerts"));
    }
    html! {
        @if links.len() > 1 {
            nav.tabs aria-label=(t(lang, "products.tab.label")) {
                ul {
                    @for (href, key) in links {
                        li { a href=(href) aria-current=[(href == current).then_some("page")] { (t(lang, key)) } }
                    }
                }
            }
        }
    }
}

/// The success notice after a form went through (`?done=` on the redirect).
pub fn done_notice(lang: Lang, done: Option<&str>) -> Markup {
    let text = done.and_then(|d| crate::i18n::t_opt(lang, &format!("products.done.{d}")));
    html! {
        @if let Some(text) = text {
            div.notice.notice-success role="status" { (text) }
        }
    }
}

/// Hospital staff read only their own hospital; whoever else asks for a hospital's standing
/// is refused in the crate's own words.
pub fn forbidden_to_read() -> AppError {
    let (zh, en) = both("products.err.read", &[]);
    AppError::Refused { zh, en }
}
