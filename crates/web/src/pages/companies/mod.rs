//! The company register's pages (issue 6): the register with its charts (`/companies`),
//! registering and editing a company (`/companies/new`, `/companies/{id}/edit`), one company
//! with its figures, qualifications and product pipelines (`/companies/{id}`, with the forms
//! that post to it), and imports from CSV or Excel (`/companies/import`). The `industry`
//! crate decides who may do what; these pages show its answers and offer only the forms it
//! would accept from the viewer.

pub mod entry;
pub mod import;
pub mod register;
pub mod show;

use access::{FieldError, OrganisationKind, Principal, Role};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use industry::{Company, IndustryError, ProductKind, QualificationKind, Segment, Stage};
use jiff::civil::Date;
use kernel::Lang;
use maud::{Markup, html};

use super::registry::pick;
use crate::error::AppError;
use crate::i18n::t;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/companies", get(register::show))
        .route("/companies/new", get(entry::new).post(entry::create))
        .route(
            "/companies/import",
            get(import::show)
                .post(import::submit)
                // The file travels base64-encoded in the form, up to the CSRF check's limit.
                .layer(DefaultBodyLimit::max(crate::ctx::MAX_FORM_BYTES)),
        )
        .route("/companies/import/samples/{name}", get(import::sample))
        .route("/companies/{id}", get(show::show))
        .route("/companies/{id}/edit", get(entry::edit).post(entry::update))
        .route("/companies/{id}/figures", post(show::figures))
        .route("/companies/{id}/qualifications", post(show::qualification))
        .route("/companies/{id}/products", post(show::product))
        .route(
            "/companies/{id}/products/{product}/stages",
            post(show::stage),
        )
}

/// The register's error as pages and the API answer it. Validation refusals are 422 like
/// every other area's, and keep the field they concern.
pub fn industry_error(e: IndustryError) -> AppError {
    match e {
        IndustryError::InvalidField { .. } | IndustryError::InvalidUscc(_) => {
            AppError::Invalid(vec![field_error(&e)])
        }
        IndustryError::ImportRejected(rows) => AppError::Invalid(
            rows.iter()
                .map(|r| {
                    FieldError::new(
                        "file",
                        format!("第{}行“{}”：{}", r.row, r.column, r.message_zh),
                        format!("row {}, {}: {}", r.row, r.column, r.message_en),
                    )
                })
                .collect(),
        ),
        IndustryError::Conflict { .. } => AppError::Conflict {
            zh: e.message_zh(),
            en: e.message_en(),
        },
        IndustryError::Forbidden { .. } => AppError::Refused {
            zh: e.message_zh(),
            en: e.message_en(),
        },
        IndustryError::NotFound { .. } => AppError::NotFound,
        IndustryError::Store(_) | IndustryError::Corrupt(_) => AppError::Internal(e.to_string()),
    }
}

fn field_error(e: &IndustryError) -> FieldError {
    FieldError::new(e.field().unwrap_or("form"), e.message_zh(), e.message_en())
}

/// How a refused form is answered on its own page: a wrong field (422) or a clash with what
/// is stored (409) goes beside the field it concerns; anything else is an error page.
pub fn refusal(e: IndustryError) -> Result<(StatusCode, Vec<FieldError>), AppError> {
    match &e {
        IndustryError::InvalidField { .. } | IndustryError::InvalidUscc(_) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, vec![field_error(&e)]))
        }
        IndustryError::Conflict { .. } => Ok((StatusCode::CONFLICT, vec![field_error(&e)])),
        _ => Err(industry_error(e)),
    }
}

// Who may do what, as the `industry` crate decides it (its checks are private to it): used
// only to choose which links and forms to show; every action is still checked there.

/// A bureau official or a platform administrator: keeps the register.
pub fn keeps_register(user: &Principal) -> bool {
    user.has_role(Role::BureauOfficial) || user.has_role(Role::PlatformAdmin)
}

/// A user of the company organisation `organisation_id`.
pub fn acts_for(user: &Principal, organisation_id: Option<&str>) -> bool {
    user.has_role(Role::CompanyUser)
        && user.organisation.kind == OrganisationKind::Company
        && organisation_id == Some(user.organisation.id.as_str())
}

pub fn may_edit(user: &Principal, company: &Company) -> bool {
    keeps_register(user) || acts_for(user, company.organisation_id.as_deref())
}

pub fn may_read_figures(user: &Principal, company: &Company) -> bool {
    may_edit(user, company) || user.has_role(Role::ExpertReviewer)
}

/// A company user who keeps no register: the one whose pages are its own company's.
pub fn company_user(user: &Principal) -> bool {
    !keeps_register(user)
        && user.has_role(Role::CompanyUser)
        && user.organisation.kind == OrganisationKind::Company
}

// Names in the viewer's language.

pub fn district_name(lang: Lang, key: &str) -> String {
    city::districts()
        .all()
        .iter()
        .find(|d| d.key == key)
        .map(|d| pick(lang, &d.name_zh, &d.name_en).to_owned())
        .unwrap_or_else(|| key.to_owned())
}

pub fn segment_name(lang: Lang, s: Segment) -> &'static str {
    pick(lang, s.zh(), s.en())
}

pub fn segment_names(lang: Lang, segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| segment_name(lang, *s))
        .collect::<Vec<_>>()
        .join(pick(lang, "、", ", "))
}

pub fn qualification_name(lang: Lang, k: QualificationKind) -> &'static str {
    pick(lang, k.zh(), k.en())
}

pub fn stage_name(lang: Lang, s: Stage) -> &'static str {
    pick(lang, s.zh(), s.en())
}

pub fn kind_name(lang: Lang, kind: &ProductKind) -> String {
    match (lang, kind) {
        (Lang::Zh, k) => k.zh(),
        (Lang::En, ProductKind::Drug { class }) => class.en().to_owned(),
        (
            Lang::En,
            ProductKind::Device {
                class,
                innovative_special_review,
            },
        ) => {
            if *innovative_special_review {
                format!("{} (innovative device special review)", class.en())
            } else {
                class.en().to_owned()
            }
        }
        (Lang::En, ProductKind::HealthProduct) => "Health product".to_owned(),
    }
}

/// `2026年11月22日` in Chinese, ISO in English.
pub fn day(lang: Lang, d: Date) -> String {
    super::registry::date(lang, d)
}

/// An amount in yuan as officials read it: 万元 in Chinese, millions in English.
pub fn wan(lang: Lang, yuan: i64) -> String {
    kernel::Money::from_yuan(yuan)
        .map(|m| m.format_wan_yuan(lang))
        .unwrap_or_else(|| crate::figures::thousands(yuan))
}

/// Today in the city.
pub fn today() -> Date {
    kernel::UtcMillis::now().city_date()
}

// Forms: the submitted fields, their parsing into typed values with an error a person can act
// on, and their markup (ids prefixed per form, since one page carries several).

/// A submitted form's fields, in order (a name may repeat).
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The field's trimmed value, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1" | "yes")
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// A date (`YYYY-MM-DD`, as date inputs send it); a wrong one adds an error.
    pub fn date(
        &self,
        name: &'static str,
        (zh, en): (&str, &str),
        errors: &mut Vec<FieldError>,
    ) -> Option<Date> {
        let text = self.get(name);
        if text.is_empty() {
            errors.push(FieldError::new(
                name,
                format!("请填写{zh}（年-月-日，如2024-03-15）"),
                format!("enter the {en} (year-month-day, e.g. 2024-03-15)"),
            ));
            return None;
        }
        self.optional_date(name, (zh, en), errors)
    }

    pub fn optional_date(
        &self,
        name: &'static str,
        (zh, en): (&str, &str),
        errors: &mut Vec<FieldError>,
    ) -> Option<Date> {
        let text = self.get(name);
        if text.is_empty() {
            return None;
        }
        match parse_date(text) {
            Some(d) => Some(d),
            None => {
                errors.push(FieldError::new(
                    name,
                    format!("{zh}“{text}”不是有效日期：请按年-月-日填写，如2024-03-15"),
                    format!(
                        "{en} \"{text}\" is not a date: write it as year-month-day, e.g. 2024-03-15"
                    ),
                ));
                None
            }
        }
    }

    /// A whole number (thousands separators allowed); a missing or wrong one adds an error.
    pub fn integer(
        &self,
        name: &'static str,
        (zh, en): (&str, &str),
        errors: &mut Vec<FieldError>,
    ) -> Option<i64> {
        let text = self.get(name);
        if text.is_empty() {
            errors.push(FieldError::new(
                name,
                format!("请填写{zh}"),
                format!("enter the {en}"),
            ));
            return None;
        }
        self.optional_integer(name, (zh, en), errors)
    }

    pub fn optional_integer(
        &self,
        name: &'static str,
        (zh, en): (&str, &str),
        errors: &mut Vec<FieldError>,
    ) -> Option<i64> {
        let text = self.get(name);
        if text.is_empty() {
            return None;
        }
        match parse_integer(text) {
            Some(n) => Some(n),
            None => {
                errors.push(FieldError::new(
                    name,
                    format!("{zh}“{text}”不是整数：请只填数字，可用逗号分隔千位"),
                    format!("{en} \"{text}\" is not a whole number: use digits only (commas between thousands are fine)"),
                ));
                None
            }
        }
    }
}

pub fn parse_date(text: &str) -> Option<Date> {
    text.trim().parse::<Date>().ok()
}

/// `1,234,000`, `1234000` or `１２３４` read as a whole number.
pub fn parse_integer(text: &str) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '_'))
        .map(|c| match c {
            '０'..='９' => {
                char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
            }
            '－' => '-',
            other => other,
        })
        .collect();
    cleaned.parse::<i64>().ok()
}

/// The element id of a form's field: forms on a page with several carry a prefix.
pub fn anchor(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}-{field}")
    }
}

/// The summary of a form's errors, linking to each field.
pub fn summary(lang: Lang, prefix: &str, errors: &[FieldError]) -> Markup {
    let title = anchor(prefix, "error-summary-title");
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" tabindex="-1" aria-labelledby=(title) {
                h2 id=(title) { (t(lang, "error.summary")) }
                ul {
                    @for e in errors {
                        li { a href={ "#" (anchor(prefix, e.field)) } { (e.message(lang)) } }
                    }
                }
            }
        }
    }
}

/// One labelled field of a form: label above, hint, error, input.
pub struct Input<'a> {
    pub name: &'static str,
    pub label: &'a str,
    pub kind: &'static str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub required: bool,
    pub inputmode: Option<&'static str>,
    pub readonly: bool,
}

impl<'a> Input<'a> {
    pub fn new(name: &'static str, label: &'a str, value: &'a str) -> Self {
        Input {
            name,
            label,
            kind: "text",
            value,
            hint: None,
            required: true,
            inputmode: None,
            readonly: false,
        }
    }

    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn numeric(mut self) -> Self {
        self.inputmode = Some("numeric");
        self
    }

    pub fn readonly(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    pub fn render(&self, lang: Lang, prefix: &str, errors: &[FieldError]) -> Markup {
        let id = anchor(prefix, self.name);
        let error = errors.iter().find(|e| e.field == self.name);
        let hint_id = format!("{id}-hint");
        let error_id = format!("{id}-error");
        let described = [
            self.hint.map(|_| hint_id.clone()),
            error.map(|_| error_id.clone()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        html! {
            div.field.field-error[error.is_some()] {
                label for=(id) {
                    (self.label)
                    @if !self.required { " " span.muted { (t(lang, "companies.form.optional")) } }
                }
                @if let Some(hint) = self.hint { p.hint id=(hint_id) { (hint) } }
                @if let Some(e) = error { p.error-message id=(error_id) { (e.message(lang)) } }
                input id=(id) name=(self.name) type=(self.kind) value=(self.value)
                    required[self.required] readonly[self.readonly]
                    inputmode=[self.inputmode]
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
            }
        }
    }
}

/// A labelled select; `blank` is the text of the empty first choice, if there is one.
#[allow(clippy::too_many_arguments)] // a form field has this many parts
pub fn select(
    lang: Lang,
    prefix: &str,
    errors: &[FieldError],
    name: &'static str,
    label: &str,
    options: &[(String, String)],
    selected: &str,
    blank: Option<&str>,
) -> Markup {
    let id = anchor(prefix, name);
    let error = errors.iter().find(|e| e.field == name);
    let error_id = format!("{id}-error");
    html! {
        div.field.field-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(e) = error { p.error-message id=(error_id) { (e.message(lang)) } }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())] {
                @if let Some(blank) = blank { option value="" { (blank) } }
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
        }
    }
}

/// The district choices, in the city crate's order.
pub fn district_options(lang: Lang) -> Vec<(String, String)> {
    city::districts()
        .all()
        .iter()
        .map(|d| (d.key.clone(), pick(lang, &d.name_zh, &d.name_en).to_owned()))
        .collect()
}

pub fn segment_options(lang: Lang) -> Vec<(String, String)> {
    Segment::ALL
        .iter()
        .map(|s| (s.key().to_owned(), segment_name(lang, *s).to_owned()))
        .collect()
}

pub fn qualification_options(lang: Lang) -> Vec<(String, String)> {
    QualificationKind::ALL
        .iter()
        .map(|k| (k.key().to_owned(), qualification_name(lang, *k).to_owned()))
        .collect()
}
