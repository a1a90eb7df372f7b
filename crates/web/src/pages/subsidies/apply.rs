//! `GET /subsidies/apply?programme=&clause=`: the application form, derived from the clause:
//! one field per fact it reads (those the register knows filled in), one upload per document
//! it asks for, the amount asked for on merit. `POST` submits it; a refusal comes back on the
//! form with the clause's own reason (not in force, wrong place, a fact missing or invalid,
//! a condition unmet, an amount above a cap, a duplicate).

use std::collections::BTreeMap;

use access::{FieldError, Principal, Role};
use awards::{Applicant, NewAttachment, Submission};
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use maud::{Markup, html};
use policy::{Clause, FactValue};
use serde::Deserialize;

use super::super::registry::pick;
use super::awards_error;
use super::policies::{fact_input, facts_from_form};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, error_summary, page};
use crate::pages::clinic::form_refusal;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ApplyQuery {
    #[serde(default)]
    programme: String,
    #[serde(default)]
    clause: String,
}

pub async fn form(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<ApplyQuery>,
) -> Response {
    match prefill(&app, &user, &q.clause).await {
        Ok(entered) => match render(
            &app,
            &ctx,
            &user,
            &q.programme,
            &q.clause,
            &entered,
            "",
            "",
            &[],
        )
        .await
        {
            Ok(body) => body.into_response(),
            Err(e) => ctx.page_error(e).into_response(),
        },
        Err(e) => ctx.page_error(e).into_response(),
    }
}

/// The register's facts about the company, as the form shows them.
async fn prefill(
    app: &AppState,
    user: &Principal,
    clause_id: &str,
) -> Result<BTreeMap<String, String>, AppError> {
    if !user.has_role(Role::CompanyUser) {
        return Err(AppError::Refused {
            zh: "只有企业账号可以提交申报".into(),
            en: "Only company accounts submit applications".into(),
        });
    }
    let today = app.awards.now().city_date();
    let clause = policy::shipped()
        .clause(clause_id, today)
        .map_err(super::policy_error)?;
    let company = app
        .industry
        .company(&user.organisation.id)
        .await
        .map_err(|_| AppError::Refused {
            zh: "贵单位尚未登记在企业库中，请联系市科技局登记后再申报".into(),
            en: "Your company is not in the register yet; ask the S&T bureau to register it first"
                .into(),
        })?;
    let figures = app
        .industry
        .figures(user, &company.id)
        .await
        .unwrap_or_default();
    let base = awards::matching::register_facts(&company, &figures, &[], today);
    let mut entered = BTreeMap::new();
    if let Some(facts) = base.first() {
        for (name, value) in facts.iter() {
            if clause.fact_def(name).is_some() {
                let text = match value {
                    FactValue::Money(m) => m.0.to_string(),
                    other => other.to_string(),
                };
                let text = match value {
                    FactValue::Flag(b) => b.to_string(),
                    _ => text,
                };
                entered.insert(name.to_owned(), text);
            }
        }
    }
    Ok(entered)
}

#[allow(clippy::too_many_arguments)] // the form's state, field by field
async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    programme_id: &str,
    clause_id: &str,
    entered: &BTreeMap<String, String>,
    title: &str,
    requested: &str,
    errors: &[FieldError],
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let today = app.awards.now().city_date();
    let programme = app
        .awards
        .programme(programme_id)
        .await
        .map_err(awards_error)?;
    let clause: &Clause = policy::shipped()
        .clause(clause_id, today)
        .map_err(super::policy_error)?;
    let products = app
        .industry
        .products_of(&user.organisation.id)
        .await
        .unwrap_or_default();
    let on_merit = matches!(clause.kind, policy::Kind::OnMerit);
    let body = html! { div.subsidies {
        p { a href="/subsidies" { "← " (t(lang, "subsidies.title")) } }
        h1 { (t(lang, "subsidies.apply.title")) }
        p.lead { (pick(lang, &programme.name_zh, &programme.name_en)) " · " (pick(lang, &clause.title_zh, &clause.title_en)) }
        blockquote lang="zh-CN" { (clause.citation.quote) }
        p.muted { (clause.citation.document) " · " (clause.citation.source.section) " · " a href={ "/policies/clause?id=" (clause.id) } { (t(lang, "subsidies.apply.clause_link")) } }
        (error_summary(lang, errors))
        form.stack method="post" action="/subsidies/apply" {
            (csrf_field(ctx))
            input type="hidden" name="programme" value=(programme.id);
            input type="hidden" name="clause" value=(clause.id);
            div.field #title {
                label for="title-input" { (t(lang, "subsidies.application.title")) }
                input #title-input name="title" required maxlength="200" value=(title);
            }
            fieldset #facts {
                legend { (t(lang, "subsidies.apply.facts")) }
                p.hint { (t(lang, "subsidies.apply.facts_hint")) }
                @for name in &clause.required_facts {
                    @if name == "product_id" && !products.is_empty() {
                        div.field {
                            label for="fact-product_id" { (t(lang, "subsidies.apply.product")) }
                            select #fact-product_id name="fact.product_id" {
                                option value="" { (t(lang, "admin.choose")) }
                                @for p in &products { option value=(p.id) selected[entered.get("product_id") == Some(&p.id)] { (p.name) } }
                            }
                        }
                    } @else if let Some(def) = clause.fact_def(name) {
                        (fact_input(lang, def, entered.get(name.as_str()).map(String::as_str).unwrap_or_default()))
                    }
                }
            }
            @if on_merit {
                div.field #requested_yuan {
                    label for="requested" { (t(lang, "subsidies.apply.requested")) }
                    p.hint { (t(lang, "subsidies.apply.requested_hint")) }
                    input #requested name="requested" inputmode="decimal" value=(requested) placeholder=(t(lang, "subsidies.money_placeholder"));
                }
            }
            fieldset #attachments {
                legend { (t(lang, "subsidies.apply.attachments")) }
                p.hint { (tf(lang, "subsidies.apply.attachments_hint", &[("mb", "2")])) }
                @for a in &clause.attachments {
                    div.field {
                        label for={ "file-" (a.id) } { (pick(lang, &a.name_zh, &a.name_en)) }
                        input id={ "file-" (a.id) } type="file" accept="application/pdf,image/png,image/jpeg"
                            data-b64={ "att." (a.id) ".b64" } data-type={ "att." (a.id) ".type" };
                        input type="hidden" name={ "att." (a.id) ".b64" };
                        input type="hidden" name={ "att." (a.id) ".type" };
                    }
                }
            }
            button.button type="submit" { (t(lang, "subsidies.apply.submit")) }
        }
        script src="/assets/clinic.js" defer {}
    } };
    Ok(page(ctx, t(lang, "subsidies.apply.title"), body))
}

pub async fn submit(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let programme = get("programme");
    let clause_id = get("clause");
    let title = get("title");
    let requested = get("requested");
    let entered = super::policies::entered_facts(&fields);
    let result = build(
        &app, &user, &programme, &clause_id, &title, &requested, &entered, &fields,
    )
    .await;
    let result = match result {
        Ok(s) => app.awards.submit(&user, s).await.map_err(awards_error),
        Err(e) => Err(e),
    };
    match result {
        Ok(a) => Redirect::to(&format!("/subsidies/applications/{}", a.id)).into_response(),
        Err(e) => match form_refusal(e) {
            Ok((status, errors)) => match render(
                &app, &ctx, &user, &programme, &clause_id, &entered, &title, &requested, &errors,
            )
            .await
            {
                Ok(body) => (status, body).into_response(),
                Err(e) => ctx.page_error(e).into_response(),
            },
            Err(other) => ctx.page_error(other).into_response(),
        },
    }
}

#[allow(clippy::too_many_arguments)] // the form's fields, read once
async fn build(
    app: &AppState,
    user: &Principal,
    programme: &str,
    clause_id: &str,
    title: &str,
    requested: &str,
    entered: &BTreeMap<String, String>,
    fields: &[(String, String)],
) -> Result<Submission, AppError> {
    let today = app.awards.now().city_date();
    let clause = policy::shipped()
        .clause(clause_id, today)
        .map_err(super::policy_error)?;
    let company = app
        .industry
        .company(&user.organisation.id)
        .await
        .map_err(|_| AppError::Refused {
            zh: "贵单位尚未登记在企业库中".into(),
            en: "Your company is not in the register".into(),
        })?;
    let facts = facts_from_form(clause, entered)?;
    let requested_yuan = if requested.is_empty() {
        None
    } else {
        Some(
            policy::Money::parse(requested)
                .map_err(|e| {
                    AppError::Invalid(vec![FieldError::new(
                        "requested_yuan",
                        e.message_zh(),
                        e.message_en(),
                    )])
                })?
                .0,
        )
    };
    let mut attachments = Vec::new();
    for def in &clause.attachments {
        let b64 = fields
            .iter()
            .find(|(k, _)| *k == format!("att.{}.b64", def.id))
            .map(|(_, v)| v.trim())
            .unwrap_or_default();
        if b64.is_empty() {
            continue;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| {
                AppError::Invalid(vec![FieldError::new(
                    "attachments",
                    format!("附件「{}」无法读取，请重新选择文件", def.name_zh),
                    format!(
                        "The attachment \"{}\" could not be read; choose the file again",
                        def.name_en
                    ),
                )])
            })?;
        let content_type = fields
            .iter()
            .find(|(k, _)| *k == format!("att.{}.type", def.id))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "application/octet-stream".into());
        let ext = match content_type.as_str() {
            "application/pdf" => "pdf",
            "image/png" => "png",
            "image/jpeg" => "jpg",
            _ => "bin",
        };
        attachments.push(NewAttachment {
            kind: def.id.clone(),
            file_name: format!("{}.{ext}", def.name_zh),
            content_type,
            bytes,
        });
    }
    Ok(Submission {
        programme_id: programme.to_owned(),
        applicant: Applicant {
            company_id: company.id.clone(),
            name: company.name.clone(),
            organisation_id: user.organisation.id.clone(),
        },
        clause_id: clause_id.to_owned(),
        title: title.to_owned(),
        facts,
        requested_yuan,
        attachments,
    })
}
