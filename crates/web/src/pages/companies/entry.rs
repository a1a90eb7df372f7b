//! Registering a company (`/companies/new`) and changing its details
//! (`/companies/{id}/edit`). Officials and administrators keep any company and choose which
//! company organisation acts for it; a company's own user registers only its own company,
//! under its organisation's code, and edits it without changing the code or the binding.

use access::{FieldError, Organisation, OrganisationKind, Principal};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use industry::{Company, IndustryError, NewCompany, Segment};
use kernel::Lang;
use maud::{Markup, html};

use super::{
    Fields, Input, acts_for, company_user, district_options, industry_error, keeps_register,
    refusal, summary,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::t;
use crate::layout::{csrf_field, page};
use crate::state::AppState;

/// Which form: a new company, or an existing one's details.
enum Target<'a> {
    New,
    Existing(&'a Company),
}

pub async fn new(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    if company_user(&user) {
        // A company already on the register has its page; there is nothing to register.
        if app.industry.company(&user.organisation.id).await.is_ok() {
            return Redirect::to(&format!("/companies/{}", user.organisation.id)).into_response();
        }
    } else if !keeps_register(&user) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let mut values = Fields::default();
    if company_user(&user)
        && let Some(code) = &user.organisation.uscc
    {
        values.0.push(("uscc".into(), code.clone()));
        values
            .0
            .push(("name".into(), user.organisation.name_zh.clone()));
        if let Some(d) = &user.organisation.district {
            values.0.push(("district".into(), d.clone()));
        }
    }
    respond(&app, &ctx, &user, Target::New, &values, &[], StatusCode::OK).await
}

pub async fn create(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !company_user(&user) && !keeps_register(&user) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let values = Fields(fields);
    let organisation = if company_user(&user) {
        Some(user.organisation.id.clone())
    } else {
        values.optional("organisation_id")
    };
    let (input, mut errors) = company_of(&values, organisation);
    if let Err(e) = check_binding(&app, &values, keeps_register(&user)).await {
        errors.push(e);
    }
    let result = match input {
        Some(input) if errors.is_empty() => app.industry.register_company(&user, input).await,
        _ => {
            return respond(
                &app,
                &ctx,
                &user,
                Target::New,
                &values,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match result {
        Ok(company) => Redirect::to(&format!("/companies/{}", company.id)).into_response(),
        Err(e) => refused(&app, &ctx, &user, Target::New, &values, e).await,
    }
}

pub async fn edit(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let company = match app.industry.company(&id).await {
        Ok(c) => c,
        Err(e) => return ctx.page_error(industry_error(e)).into_response(),
    };
    if !super::may_edit(&user, &company) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let values = values_of(&company);
    respond(
        &app,
        &ctx,
        &user,
        Target::Existing(&company),
        &values,
        &[],
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let company = match app.industry.company(&id).await {
        Ok(c) => c,
        Err(e) => return ctx.page_error(industry_error(e)).into_response(),
    };
    if !super::may_edit(&user, &company) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let values = Fields(fields);
    let officials = keeps_register(&user);
    // Only those who keep the register choose the binding; a company keeps its own.
    let organisation = if officials {
        values.optional("organisation_id")
    } else {
        company.organisation_id.clone()
    };
    let (input, mut errors) = company_of(&values, organisation);
    if let Err(e) = check_binding(&app, &values, officials).await {
        errors.push(e);
    }
    let result = match input {
        Some(input) if errors.is_empty() => app.industry.update_company(&user, &id, input).await,
        _ => {
            return respond(
                &app,
                &ctx,
                &user,
                Target::Existing(&company),
                &values,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match result {
        Ok(company) => Redirect::to(&format!("/companies/{}", company.id)).into_response(),
        Err(e) => refused(&app, &ctx, &user, Target::Existing(&company), &values, e).await,
    }
}

async fn refused(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    target: Target<'_>,
    values: &Fields,
    e: IndustryError,
) -> Response {
    match refusal(e) {
        Ok((status, errors)) => respond(app, ctx, user, target, values, &errors, status).await,
        Err(other) => ctx.page_error(other).into_response(),
    }
}

/// The form's values as a [`NewCompany`], with every field that cannot be read named.
pub fn company_of(
    values: &Fields,
    organisation_id: Option<String>,
) -> (Option<NewCompany>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut segments = Vec::new();
    for s in values.all("segments").into_iter().filter(|s| !s.is_empty()) {
        match Segment::from_key(s).or_else(|| Segment::parse(s)) {
            Some(seg) => segments.push(seg),
            None => errors.push(FieldError::new(
                "segments",
                format!("“{s}”不是产业领域，请从列表中选择"),
                format!("\"{s}\" is not an industry segment: choose from the list"),
            )),
        }
    }
    let founded = values.date("founded", ("成立日期", "date founded"), &mut errors);
    let capital = values.integer(
        "paid_in_capital_yuan",
        ("实缴资本（元）", "paid-in capital (yuan)"),
        &mut errors,
    );
    if !errors.is_empty()
        && let Err(e) = industry::Uscc::parse(values.get("uscc"))
    {
        // The code is checked here too so that one submission names every wrong field.
        errors.insert(0, FieldError::new("uscc", e.message_zh(), e.message_en()));
    }
    let input = match (founded, capital) {
        (Some(founded), Some(paid_in_capital_yuan)) => Some(NewCompany {
            uscc: values.get("uscc").to_owned(),
            name: values.get("name").to_owned(),
            organisation_id,
            district: values.get("district").to_owned(),
            park: values.optional("park"),
            segments,
            founded,
            paid_in_capital_yuan,
            listed: values.checked("listed"),
        }),
        _ => None,
    };
    (input, errors)
}

/// The organisation chosen to act for the company must be a company organisation.
async fn check_binding(app: &AppState, values: &Fields, chooses: bool) -> Result<(), FieldError> {
    let Some(id) = values.optional("organisation_id").filter(|_| chooses) else {
        return Ok(());
    };
    match app.accounts.organisation(&id).await {
        Ok(Some(o)) if o.kind == OrganisationKind::Company => Ok(()),
        Ok(_) => Err(FieldError::new(
            "organisation_id",
            "所选机构不是企业机构，请从列表中选择",
            "the organisation chosen is not a company organisation: choose one from the list",
        )),
        Err(e) => {
            tracing::error!("organisation lookup failed: {e}");
            Err(FieldError::new(
                "organisation_id",
                "暂时无法核对所选机构，请稍后重试",
                "the organisation could not be checked now; please try again",
            ))
        }
    }
}

fn values_of(c: &Company) -> Fields {
    let mut v = vec![
        ("uscc".to_owned(), c.uscc.as_str().to_owned()),
        ("name".to_owned(), c.name.clone()),
        ("district".to_owned(), c.district.clone()),
        ("park".to_owned(), c.park.clone().unwrap_or_default()),
        ("founded".to_owned(), c.founded.to_string()),
        (
            "paid_in_capital_yuan".to_owned(),
            c.paid_in_capital_yuan.to_string(),
        ),
        (
            "organisation_id".to_owned(),
            c.organisation_id.clone().unwrap_or_default(),
        ),
    ];
    if c.listed {
        v.push(("listed".to_owned(), "on".to_owned()));
    }
    for s in &c.segments {
        v.push(("segments".to_owned(), s.key().to_owned()));
    }
    Fields(v)
}

async fn respond(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    target: Target<'_>,
    values: &Fields,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let organisations = if keeps_register(user) {
        match app.accounts.organisations().await {
            Ok(all) => all
                .into_iter()
                .filter(|o| o.kind == OrganisationKind::Company)
                .collect(),
            Err(e) => return ctx.page_error(AppError::from(e)).into_response(),
        }
    } else {
        Vec::new()
    };
    let body = form(ctx, user, &target, values, errors, &organisations);
    let title = match target {
        Target::New => t(ctx.lang, "companies.new.title"),
        Target::Existing(_) => t(ctx.lang, "companies.edit.title"),
    };
    (status, page(ctx, title, body)).into_response()
}

fn form(
    ctx: &Ctx,
    user: &Principal,
    target: &Target<'_>,
    values: &Fields,
    errors: &[FieldError],
    organisations: &[Organisation],
) -> Markup {
    let lang = ctx.lang;
    let officials = keeps_register(user);
    let (title, action, back) = match target {
        Target::New => (
            t(lang, "companies.new.title"),
            "/companies/new".to_owned(),
            "/companies".to_owned(),
        ),
        Target::Existing(c) => (
            t(lang, "companies.edit.title"),
            format!("/companies/{}/edit", c.id),
            format!("/companies/{}", c.id),
        ),
    };
    // A company's own user cannot change its code: it is the one its organisation was
    // admitted with.
    let code_fixed = !officials
        && match target {
            Target::New => user.organisation.uscc.is_some(),
            Target::Existing(c) => acts_for(user, c.organisation_id.as_deref()),
        };
    let chosen: Vec<&str> = values.all("segments");
    let segment_error = errors.iter().find(|e| e.field == "segments");
    let org_options: Vec<(String, String)> = organisations
        .iter()
        .map(|o| {
            let name = o.name(lang == Lang::En);
            let label = match &o.uscc {
                Some(code) => format!("{name}（{code}）"),
                None => name.to_owned(),
            };
            (o.id.clone(), label)
        })
        .collect();
    html! {
        p.back { a href=(back) { "← " (t(lang, "companies.back")) } }
        h1 { (title) }
        p.lead { (t(lang, "companies.new.intro")) }
        (summary(lang, "", errors))
        form.stack method="post" action=(action) novalidate {
            (csrf_field(ctx))
            (Input::new("uscc", t(lang, "companies.field.uscc"), values.get("uscc")).hint(t(lang, "companies.field.uscc_hint")).readonly(code_fixed).render(lang, "", errors))
            (Input::new("name", t(lang, "companies.field.name"), values.get("name")).render(lang, "", errors))
            (super::select(lang, "", errors, "district", t(lang, "companies.field.district"), &district_options(lang), values.get("district"), Some(t(lang, "companies.form.choose"))))
            (Input::new("park", t(lang, "companies.field.park"), values.get("park")).optional().render(lang, "", errors))
            fieldset.field.field-error[segment_error.is_some()] id="segments" {
                legend { (t(lang, "companies.field.segments")) }
                p.hint { (t(lang, "companies.field.segments_hint")) }
                @if let Some(e) = segment_error { p.error-message { (e.message(lang)) } }
                @for s in Segment::ALL {
                    label.choice {
                        input type="checkbox" name="segments" value=(s.key()) checked[chosen.contains(&s.key())];
                        " " (super::segment_name(lang, s))
                    }
                }
            }
            (Input::new("founded", t(lang, "companies.field.founded"), values.get("founded")).kind("date").render(lang, "", errors))
            (Input::new("paid_in_capital_yuan", t(lang, "companies.field.capital"), values.get("paid_in_capital_yuan")).numeric().hint(t(lang, "companies.field.yuan_hint")).render(lang, "", errors))
            label.choice {
                input type="checkbox" name="listed" id="listed" checked[values.checked("listed")];
                " " (t(lang, "companies.field.listed"))
            }
            @if officials {
                (super::select(lang, "", errors, "organisation_id", t(lang, "companies.field.organisation"), &org_options, values.get("organisation_id"), Some(t(lang, "companies.field.no_organisation"))))
                p.hint { (t(lang, "companies.field.organisation_hint")) }
            }
            button.button type="submit" { (t(lang, "companies.form.save")) }
        }
    }
}
