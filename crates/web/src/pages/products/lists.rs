//! `GET /products`: the two innovation product lists with their published versions and the
//! cited rules, for everyone signed in; a company's nominations and its nomination form (the
//! product picked from its entries in the company register); for the bureaus that compile a
//! list, the nominations queue with approve and refuse, and "publish a new version"; for the
//! medical insurance bureau, the provincial listing date (挂网) of a listed product.

use std::collections::HashMap;

use access::Principal;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use greenchannel::{ListVersion, NewNomination, Nomination, NominationState, ProductKind};
use industry::Stage;
use kernel::Lang;
use maud::{Markup, html};
use serde::Deserialize;

use super::super::registry::pick;
use super::{
    FormFields, Refusal, Viewer, both, bureaus_text, day, done_notice, field, gc_error,
    industry_error, invalid, kind_label, list_name, nomination_tag, parse_date, refusal_of,
    summary, tabs, today, when,
};
use crate::ctx::{Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::{csrf_field, page, stat, status_tag};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    pub done: Option<String>,
}

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<Shown>,
) -> Response {
    match render(&app, &ctx, &user, q.done.as_deref(), &Refusal::none()).await {
        Ok(body) => body.into_response(),
        Err(e) => ctx.page_error(e).into_response(),
    }
}

pub async fn nominate(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let product = company_product(
            &app,
            &user,
            &field(&fields, "product_id"),
            &field(&fields, "registration_no"),
            field(&fields, "consumable") == "yes",
        )
        .await?;
        app.greenchannel
            .nominate(
                &user,
                NewNomination {
                    list: field(&fields, "list"),
                    product,
                    evidence: field(&fields, "evidence"),
                },
            )
            .await
            .map_err(|e| on_product(gc_error(e)))?;
        Ok("nominated#mine")
    }
    .await;
    answer(&app, &ctx, &user, "nominate", fields, result).await
}

pub async fn decide(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let gc = &app.greenchannel;
    let result = match action.as_str() {
        "approve" => gc.approve(&user, &id).await.map(|_| "approved#queue"),
        "refuse" => gc
            .refuse(&user, &id, &field(&fields, "reason"))
            .await
            .map(|_| "refused#queue"),
        "withdraw" => gc.withdraw(&user, &id).await.map(|_| "withdrawn#mine"),
        _ => return ctx.page_error(AppError::NotFound).into_response(),
    }
    .map_err(gc_error);
    answer(&app, &ctx, &user, &format!("{action}-{id}"), fields, result).await
}

/// Takes an approved product off a list, with the reason the next version will give.
pub async fn remove(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((list, product_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let result = app
        .greenchannel
        .remove_from_list(&user, &list, &product_id, &field(&fields, "reason"))
        .await
        .map(|_| "removed#publish")
        .map_err(gc_error);
    let form = removal_form(&list, &product_id);
    answer(&app, &ctx, &user, &form, fields, result).await
}

/// The id of the removal form of a product on a list.
fn removal_form(list: &str, product_id: &str) -> String {
    format!("remove-{list}-{product_id}")
}

pub async fn publish(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(list): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let on = parse_date("published_on", &field(&fields, "published_on"))?;
        app.greenchannel
            .publish_version(&user, &list, on)
            .await
            .map_err(gc_error)?;
        Ok("published")
    }
    .await;
    answer(
        &app,
        &ctx,
        &user,
        &format!("publish-{list}"),
        fields,
        result,
    )
    .await
}

pub async fn record_listing(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let product_id = field(&fields, "product_id");
        if product_id.is_empty() {
            return Err(invalid("product_id", "products.err.choose_product", &[]));
        }
        let on = parse_date("listed_on", &field(&fields, "listed_on"))?;
        app.greenchannel
            .record_listing(&user, &product_id, on, &field(&fields, "evidence"))
            .await
            .map_err(gc_error)?;
        Ok("listed#listing")
    }
    .await;
    answer(&app, &ctx, &user, "listing", fields, result).await
}

/// After a form: back to the page with a notice, or the page again with the refusal.
async fn answer(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    form: &str,
    fields: Vec<(String, String)>,
    result: Result<&'static str, AppError>,
) -> Response {
    match result {
        Ok(done) => Redirect::to(&format!("/products?done={done}")).into_response(),
        Err(e) => match refusal_of(form, fields, e) {
            Ok((status, refusal)) => match render(app, ctx, user, None, &refusal).await {
                Ok(body) => (status, body).into_response(),
                Err(e) => ctx.page_error(e).into_response(),
            },
            Err(other) => ctx.page_error(other).into_response(),
        },
    }
}

/// The nomination form picks a product, so problems with the product's copied details (its
/// company's code, name, kind) belong beside the product choice.
fn on_product(e: AppError) -> AppError {
    match e {
        AppError::Invalid(errors) => AppError::Invalid(
            errors
                .into_iter()
                .map(|mut f| {
                    if matches!(
                        f.field,
                        "uscc" | "company_name" | "product_name" | "kind" | "company_id"
                    ) {
                        f.field = "product_id";
                    }
                    f
                })
                .collect(),
        ),
        other => other,
    }
}

/// The number on a product's latest manufacturing approval or registration certificate in
/// the company register, the document the lists cite a product by.
pub async fn registration_of(app: &AppState, product_id: &str) -> Result<Option<String>, AppError> {
    let events = app
        .industry
        .stage_events(product_id)
        .await
        .map_err(industry_error)?;
    Ok(events
        .into_iter()
        .filter(|e| {
            matches!(
                e.stage,
                Stage::ManufacturingApproval | Stage::RegistrationCertificate
            )
        })
        .max_by_key(|e| (e.on, e.recorded_at))
        .map(|e| e.evidence))
}

/// A company's register product as a nomination carries it: the company's name and code and
/// the product's name and kind from the register; the registration number as typed, or from
/// the register's latest approval. Health products are outside the lists (drugs, devices and
/// consumables: nanjing-2022 三（六）).
pub async fn company_product(
    app: &AppState,
    user: &Principal,
    product_id: &str,
    registration_no: &str,
    consumable: bool,
) -> Result<greenchannel::Product, AppError> {
    let viewer = Viewer::of(app.greenchannel.rules(), user);
    let Some(company_id) = viewer.company else {
        let (zh, en) = both("products.err.company_only", &[]);
        return Err(AppError::Refused { zh, en });
    };
    if product_id.trim().is_empty() {
        return Err(invalid("product_id", "products.err.choose_product", &[]));
    }
    let company = match app.industry.company(&company_id).await {
        Ok(c) => c,
        Err(e) if e.kind() == industry::ErrorKind::NotFound => {
            return Err(invalid("product_id", "products.err.not_registered", &[]));
        }
        Err(e) => return Err(industry_error(e)),
    };
    let product = app
        .industry
        .products_of(&company_id)
        .await
        .map_err(industry_error)?
        .into_iter()
        .find(|p| p.id == product_id.trim())
        .ok_or_else(|| invalid("product_id", "products.err.not_own_product", &[]))?;
    let kind = match product.kind {
        industry::ProductKind::Drug { .. } => ProductKind::Drug,
        industry::ProductKind::Device { .. } if consumable => ProductKind::Consumable,
        industry::ProductKind::Device { .. } => ProductKind::Device,
        industry::ProductKind::HealthProduct => {
            return Err(invalid("product_id", "products.err.health_product", &[]));
        }
    };
    let typed = registration_no.trim();
    let registration_no = if typed.is_empty() {
        registration_of(app, &product.id)
            .await?
            .ok_or_else(|| invalid("registration_no", "products.err.no_registration", &[]))?
    } else {
        typed.to_owned()
    };
    Ok(greenchannel::Product {
        company_id: company.id,
        company_name: company.name,
        uscc: company.uscc.as_str().to_owned(),
        product_id: product.id,
        product_name: product.name,
        kind,
        registration_no,
    })
}

/// The company's register products that a list can hold, with the registration number the
/// register knows (shown in the choice so the company sees what will be copied).
async fn eligible_products(
    app: &AppState,
    company_id: &str,
) -> Result<Vec<(industry::Product, Option<String>)>, AppError> {
    let mut all = Vec::new();
    for p in app
        .industry
        .products_of(company_id)
        .await
        .map_err(industry_error)?
    {
        if p.kind == industry::ProductKind::HealthProduct {
            continue;
        }
        let reg = registration_of(app, &p.id).await?;
        all.push((p, reg));
    }
    Ok(all)
}

async fn render(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
    done: Option<&str>,
    refusal: &Refusal,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let gc = &app.greenchannel;
    let rules = gc.rules();
    let viewer = Viewer::of(rules, user);
    let mut lists: Vec<(&greenchannel::rules::ListRule, Vec<ListVersion>)> = Vec::new();
    for rule in &rules.lists {
        lists.push((rule, gc.versions(&rule.code).await.map_err(gc_error)?));
    }
    let mut listings = HashMap::new();
    for (_, versions) in &lists {
        for p in versions.last().iter().flat_map(|v| &v.entries) {
            if !listings.contains_key(&p.product_id)
                && let Some(l) = gc.listing(&p.product_id).await.map_err(gc_error)?
            {
                listings.insert(p.product_id.clone(), l);
            }
        }
    }
    let nominations = if viewer.company.is_some() || viewer.bureau.is_some() {
        gc.nominations(user, None).await.map_err(gc_error)?
    } else {
        Vec::new()
    };
    let current: usize = lists
        .iter()
        .map(|(_, v)| v.last().map_or(0, |v| v.entries.len()))
        .sum();
    let submitted = nominations
        .iter()
        .filter(|n| n.state == NominationState::Submitted)
        .count();
    let deadline_source = rules
        .lists
        .iter()
        .find(|l| l.adoption_deadline_months.source.confirmed)
        .map(|l| cite(rules, &l.adoption_deadline_months.source))
        .unwrap_or_default();

    let company = match &viewer.company {
        Some(id) => Some(company_section(app, ctx, id, &nominations, refusal).await?),
        None => None,
    };
    let body = html! {
        h1 { (t(lang, "products.title")) }
        p.lead { (t(lang, "products.intro")) }
        (tabs(lang, "/products", &viewer))
        (summary(lang, refusal))
        (done_notice(lang, without_anchor(done)))
        div.notice {
            p { strong { (t(lang, "products.deadline_rule")) } }
            p.source { (t(lang, "products.source")) " " (deadline_source) }
        }
        div.stats.stats-compact {
            (stat(t(lang, "products.stat.current"), &current.to_string(), t(lang, "products.unit.products")))
            (stat(t(lang, "products.stat.listed"), &listings.len().to_string(), t(lang, "products.unit.products")))
            @if viewer.bureau.is_some() {
                (stat(t(lang, "products.stat.submitted"), &submitted.to_string(), t(lang, "products.unit.nominations")))
            } @else if viewer.company.is_some() {
                (stat(t(lang, "products.stat.mine"), &nominations.len().to_string(), t(lang, "products.unit.nominations")))
            }
        }
        @if let Some(section) = company { (section) }
        @if viewer.bureau.is_some() {
            (queue(ctx, &viewer, rules, &nominations, refusal))
            (publish_forms(ctx, &viewer, &lists, &nominations, refusal))
            @if viewer.in_bureaus(&rules.listing_recorders()) {
                (listing_form(ctx, &lists, &listings, refusal))
            }
        }
        @for (rule, versions) in &lists {
            (list_section(lang, rules, rule, versions, &listings))
        }
        (rules_section(lang, rules))
    };
    Ok(page(ctx, t(lang, "products.title"), body))
}

/// `done` without the anchor the redirect carried.
fn without_anchor(done: Option<&str>) -> Option<&str> {
    done.map(|d| d.split('#').next().unwrap_or(d))
}

fn cite(rules: &greenchannel::Rules, source: &kernel::Source) -> String {
    match rules.citations.iter().find(|c| c.id == source.citation) {
        Some(c) => format!("{}：{}", c.title, source.section),
        None => source.section.clone(),
    }
}

async fn company_section(
    app: &AppState,
    ctx: &Ctx,
    company_id: &str,
    nominations: &[Nomination],
    refusal: &Refusal,
) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let rules = app.greenchannel.rules();
    let registered = match app.industry.company(company_id).await {
        Ok(_) => true,
        Err(e) if e.kind() == industry::ErrorKind::NotFound => false,
        Err(e) => return Err(industry_error(e)),
    };
    let products = if registered {
        eligible_products(app, company_id).await?
    } else {
        Vec::new()
    };
    let f = FormFields {
        lang,
        form: "nominate",
        refusal,
    };
    let list_options: Vec<(String, String)> = rules
        .lists
        .iter()
        .map(|l| {
            (
                l.code.clone(),
                pick(lang, &l.name_zh, &l.name_en).to_owned(),
            )
        })
        .collect();
    let product_options: Vec<(String, String)> = products
        .iter()
        .map(|(p, reg)| {
            let kind = match lang {
                Lang::Zh => p.kind.zh(),
                Lang::En => kind_label(
                    lang,
                    if p.kind.is_drug() {
                        ProductKind::Drug
                    } else {
                        ProductKind::Device
                    },
                )
                .to_owned(),
            };
            let text = match reg {
                Some(r) => format!("{} · {kind} · {r}", p.name),
                None => format!("{} · {kind}", p.name),
            };
            (p.id.clone(), text)
        })
        .collect();
    Ok(html! {
        section.card id="mine" {
            h2 { (t(lang, "products.mine.title")) }
            @if nominations.is_empty() {
                p.muted { (t(lang, "products.mine.none")) }
            } @else {
                div.table-wrap.table-scroll {
                    table {
                        caption.visually-hidden { (t(lang, "products.mine.title")) }
                        thead { tr {
                            th scope="col" { (t(lang, "products.col.product")) }
                            th scope="col" { (t(lang, "products.col.list")) }
                            th scope="col" { (t(lang, "products.col.state")) }
                            th scope="col" { (t(lang, "products.col.submitted")) }
                            th scope="col" { (t(lang, "products.col.action")) }
                        } }
                        tbody {
                            @for n in nominations {
                                tr {
                                    th scope="row" { (n.product.product_name) br; span.small.muted { (n.product.registration_no) } }
                                    td { (list_name(rules, lang, &n.list)) }
                                    td {
                                        (nomination_tag(lang, &n.state))
                                        @if let NominationState::Refused { reason } | NominationState::Removed { reason } = &n.state {
                                            p.small { (t(lang, "products.col.reason")) "：" (reason) }
                                        }
                                    }
                                    td.nowrap { (when(lang, n.submitted_at)) }
                                    td {
                                        @if n.state == NominationState::Submitted {
                                            @let key = format!("withdraw-{}", n.id);
                                            form.inline id=(key) method="post" action={ "/products/nominations/" (n.id) "/withdraw" } {
                                                (csrf_field(ctx))
                                                (FormFields { lang, form: &key, refusal }.state_error())
                                                button.button-secondary type="submit" { (t(lang, "products.mine.withdraw")) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (t(lang, "products.nominate.title")) }
            @if !registered {
                p.notice.notice-warning { (t(lang, "products.nominate.not_registered")) }
            } @else if products.is_empty() {
                p.notice.notice-warning { (t(lang, "products.nominate.no_products")) }
            } @else {
                p.hint { (t(lang, "products.nominate.intro")) }
                form.stack id="nominate" method="post" action="/products/nominations" novalidate {
                    (csrf_field(ctx))
                    (f.state_error())
                    (f.select("list", t(lang, "products.nominate.list"), &list_options, "", None))
                    (f.select("product_id", t(lang, "products.nominate.product"), &product_options, "", Some(t(lang, "products.nominate.product_hint"))))
                    div.field {
                        label.choice {
                            input type="checkbox" name="consumable" value="yes" checked[refusal.value("nominate", "consumable") == Some("yes")];
                            " " (t(lang, "products.nominate.consumable"))
                        }
                    }
                    (f.input("registration_no", t(lang, "products.nominate.registration_no"), "text", "", Some(t(lang, "products.nominate.registration_hint")), false))
                    (f.textarea("evidence", t(lang, "products.nominate.evidence"), Some(t(lang, "products.nominate.evidence_hint")), true))
                    button type="submit" { (t(lang, "products.nominate.submit")) }
                }
            }
        }
    })
}

fn queue(
    ctx: &Ctx,
    viewer: &Viewer,
    rules: &greenchannel::Rules,
    nominations: &[Nomination],
    refusal: &Refusal,
) -> Markup {
    let lang = ctx.lang;
    let open: Vec<&Nomination> = nominations
        .iter()
        .filter(|n| n.state == NominationState::Submitted)
        .collect();
    let decided: Vec<&Nomination> = nominations
        .iter()
        .filter(|n| n.state != NominationState::Submitted)
        .collect();
    let compiles = |list: &str| {
        rules
            .list(list)
            .is_some_and(|l| viewer.in_bureaus(&l.compilers()))
    };
    html! {
        section.card id="queue" {
            h2 { (t(lang, "products.queue.title")) }
            p.hint { (t(lang, "products.queue.intro")) }
            @if open.is_empty() {
                p.muted { (t(lang, "products.queue.none")) }
            } @else {
                p.count { (tf(lang, "products.count", &[("count", &open.len().to_string())])) }
                @for n in &open {
                    article.card {
                        h3 { (n.product.product_name) " " (status_tag(kind_label(lang, n.product.kind), "info")) }
                        dl.summary {
                            dt { (t(lang, "products.col.list")) } dd { (list_name(rules, lang, &n.list)) }
                            dt { (t(lang, "products.col.company")) } dd { (n.product.company_name) }
                            dt { (t(lang, "products.col.uscc")) } dd.mono { (n.product.uscc) }
                            dt { (t(lang, "products.col.registration_no")) } dd { (n.product.registration_no) }
                            dt { (t(lang, "products.col.evidence")) } dd.pre-line { (n.evidence) }
                            dt { (t(lang, "products.col.submitted")) } dd { (when(lang, n.submitted_at)) }
                        }
                        @if compiles(&n.list) {
                            @let approve = format!("approve-{}", n.id);
                            @let refuse = format!("refuse-{}", n.id);
                            @let f = FormFields { lang, form: &refuse, refusal };
                            div.actions {
                                form.inline id=(approve) method="post" action={ "/products/nominations/" (n.id) "/approve" } {
                                    (csrf_field(ctx))
                                    (FormFields { lang, form: &approve, refusal }.state_error())
                                    button type="submit" { (t(lang, "products.queue.approve")) }
                                }
                            }
                            details.withdraw open[refusal.form == refuse] {
                                summary { (t(lang, "products.queue.refuse")) }
                                form.stack id=(refuse) method="post" action={ "/products/nominations/" (n.id) "/refuse" } novalidate {
                                    (csrf_field(ctx))
                                    (f.state_error())
                                    (f.textarea("reason", t(lang, "products.queue.reason"), Some(t(lang, "products.queue.reason_hint")), true))
                                    button.button-warning type="submit" { (t(lang, "products.queue.refuse_submit")) }
                                }
                            }
                        } @else {
                            p.muted.small { (tf(lang, "products.queue.not_yours", &[("bureaus", &rules.list(&n.list).map(|l| bureaus_text(lang, &l.compilers())).unwrap_or_default())])) }
                        }
                    }
                }
            }
            @if !decided.is_empty() {
                details {
                    summary { (tf(lang, "products.queue.decided", &[("count", &decided.len().to_string())])) }
                    div.table-wrap.table-scroll {
                        table {
                            thead { tr {
                                th scope="col" { (t(lang, "products.col.product")) }
                                th scope="col" { (t(lang, "products.col.company")) }
                                th scope="col" { (t(lang, "products.col.list")) }
                                th scope="col" { (t(lang, "products.col.state")) }
                                th scope="col" { (t(lang, "products.col.decided")) }
                            } }
                            tbody {
                                @for n in &decided {
                                    tr {
                                        th scope="row" { (n.product.product_name) }
                                        td { (n.product.company_name) }
                                        td { (list_name(rules, lang, &n.list)) }
                                        td {
                                            (nomination_tag(lang, &n.state))
                                            @if let NominationState::Refused { reason } | NominationState::Removed { reason } = &n.state {
                                                p.small { (reason) }
                                            }
                                        }
                                        td.nowrap { @if let Some(at) = n.decided_at { (when(lang, at)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn publish_forms(
    ctx: &Ctx,
    viewer: &Viewer,
    lists: &[(&greenchannel::rules::ListRule, Vec<ListVersion>)],
    nominations: &[Nomination],
    refusal: &Refusal,
) -> Markup {
    let lang = ctx.lang;
    let mine: Vec<_> = lists
        .iter()
        .filter(|(rule, _)| viewer.in_bureaus(&rule.compilers()))
        .collect();
    let today = today().to_string();
    html! {
        @if !mine.is_empty() {
            section.card id="publish" {
                h2 { (t(lang, "products.publish.title")) }
                p.hint { (t(lang, "products.publish.intro")) }
                @for (rule, versions) in &mine {
                    @let key = format!("publish-{}", rule.code);
                    @let approved: std::collections::BTreeSet<&str> = nominations.iter().filter(|n| n.list == rule.code && n.state == NominationState::Approved).map(|n| n.product.product_id.as_str()).collect();
                    @let latest = versions.last();
                    @let held: std::collections::BTreeSet<&str> = latest.iter().flat_map(|v| &v.entries).map(|p| p.product_id.as_str()).collect();
                    // The crate refuses a version equal to the last; the form appears only
                    // when approvals or removals changed the list (or after a refusal).
                    @let changed = approved != held || refusal.form == key;
                    @let f = FormFields { lang, form: &key, refusal };
                    h3 { (pick(lang, &rule.name_zh, &rule.name_en)) }
                    p {
                        @match latest {
                            Some(v) => (tf(lang, "products.publish.latest", &[("n", &v.number.to_string()), ("date", &day(lang, v.published_on)), ("count", &v.entries.len().to_string())])),
                            None => (t(lang, "products.publish.never")),
                        }
                        " " (tf(lang, "products.publish.approved", &[("count", &approved.len().to_string())]))
                    }
                    @let members: Vec<&Nomination> = nominations.iter().filter(|n| n.list == rule.code && n.state == NominationState::Approved).collect();
                    @if !members.is_empty() {
                        details.withdraw open[members.iter().any(|n| refusal.form == removal_form(&rule.code, &n.product.product_id))] {
                            summary { (tf(lang, "products.remove.title", &[("count", &members.len().to_string())])) }
                            p.hint { (t(lang, "products.remove.intro")) }
                            @for n in &members {
                                @let form = removal_form(&rule.code, &n.product.product_id);
                                @let rf = FormFields { lang, form: &form, refusal };
                                form.stack id=(form) method="post" action={ "/products/lists/" (rule.code) "/products/" (n.product.product_id) "/remove" } novalidate {
                                    (csrf_field(ctx))
                                    (rf.state_error())
                                    p { strong { (n.product.product_name) } " · " (n.product.company_name) }
                                    (rf.textarea("reason", t(lang, "products.remove.reason"), Some(t(lang, "products.remove.reason_hint")), true))
                                    button.button-warning type="submit" { (t(lang, "products.remove.submit")) }
                                }
                            }
                        }
                    }
                    @if !changed {
                        p.muted { (t(lang, "products.publish.unchanged")) }
                    } @else {
                    form.stack id=(key) method="post" action={ "/products/lists/" (rule.code) "/versions" } novalidate {
                        (csrf_field(ctx))
                        (f.state_error())
                        (f.input("published_on", t(lang, "products.publish.date"), "date", &today, Some(t(lang, "products.publish.date_hint")), true))
                        button type="submit" { (tf(lang, "products.publish.submit", &[("n", &(latest.map_or(0, |v| v.number) + 1).to_string())])) }
                    }
                    }
                }
            }
        }
    }
}

fn listing_form(
    ctx: &Ctx,
    lists: &[(&greenchannel::rules::ListRule, Vec<ListVersion>)],
    listings: &HashMap<String, greenchannel::ProvincialListing>,
    refusal: &Refusal,
) -> Markup {
    let lang = ctx.lang;
    let mut options: Vec<(String, String)> = Vec::new();
    for (_, versions) in lists {
        for p in versions.last().iter().flat_map(|v| &v.entries) {
            if !listings.contains_key(&p.product_id)
                && !options.iter().any(|(id, _)| id == &p.product_id)
            {
                options.push((
                    p.product_id.clone(),
                    format!("{} · {}", p.product_name, p.company_name),
                ));
            }
        }
    }
    let f = FormFields {
        lang,
        form: "listing",
        refusal,
    };
    html! {
        section.card id="listing" {
            h2 { (t(lang, "products.listing.title")) }
            p.hint { (t(lang, "products.listing.intro")) }
            @if options.is_empty() {
                p.muted { (t(lang, if listings.is_empty() { "products.listing.nothing_listed" } else { "products.listing.none" })) }
            } @else {
                form.stack id="listing" method="post" action="/products/listings" novalidate {
                    (csrf_field(ctx))
                    (f.state_error())
                    (f.select("product_id", t(lang, "products.listing.product"), &options, "", None))
                    (f.input("listed_on", t(lang, "products.listing.date"), "date", "", Some(t(lang, "products.listing.date_hint")), true))
                    (f.input("evidence", t(lang, "products.listing.evidence"), "text", "", Some(t(lang, "products.listing.evidence_hint")), true))
                    button type="submit" { (t(lang, "products.listing.submit")) }
                }
            }
        }
    }
}

fn list_section(
    lang: Lang,
    rules: &greenchannel::Rules,
    rule: &greenchannel::rules::ListRule,
    versions: &[ListVersion],
    listings: &HashMap<String, greenchannel::ProvincialListing>,
) -> Markup {
    html! {
        section.card id={ "list-" (rule.code) } {
            h2 { (pick(lang, &rule.name_zh, &rule.name_en)) }
            dl.summary {
                dt { (t(lang, "products.list.compiled_by")) }
                dd { (bureaus_text(lang, &rule.compilers())) }
                dt { (t(lang, "products.list.deadline")) }
                dd { (tf(lang, "products.list.months", &[("n", &rule.adoption_deadline_months.value.to_string())])) }
                dt { (t(lang, "products.source")) }
                dd.small { (cite(rules, &rule.compiled_by.source)) }
            }
            @match versions.last() {
                None => p.muted { (t(lang, "products.list.no_version")) },
                Some(v) => {
                    h3 { (tf(lang, "products.list.version", &[("n", &v.number.to_string()), ("date", &day(lang, v.published_on))])) }
                    (entries_table(lang, v, Some(listings)))
                    @if versions.len() > 1 {
                        details {
                            summary { (t(lang, "products.list.earlier")) }
                            @for old in versions.iter().rev().skip(1) {
                                h4 { (tf(lang, "products.list.version", &[("n", &old.number.to_string()), ("date", &day(lang, old.published_on))])) }
                                (entries_table(lang, old, None))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn entries_table(
    lang: Lang,
    v: &ListVersion,
    listings: Option<&HashMap<String, greenchannel::ProvincialListing>>,
) -> Markup {
    html! {
        @if v.entries.is_empty() {
            p.muted { (t(lang, "products.list.empty")) }
        } @else {
            p.count { (tf(lang, "products.count", &[("count", &v.entries.len().to_string())])) }
            div.table-wrap.table-scroll {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "products.col.product")) }
                        th scope="col" { (t(lang, "products.col.company")) }
                        th scope="col" { (t(lang, "products.col.kind")) }
                        th scope="col" { (t(lang, "products.col.registration_no")) }
                        @if listings.is_some() { th scope="col" { (t(lang, "products.col.listed_on")) } }
                    } }
                    tbody {
                        @for p in &v.entries {
                            tr {
                                th scope="row" { (p.product_name) }
                                td { (p.company_name) }
                                td { (kind_label(lang, p.kind)) }
                                td { (p.registration_no) }
                                @if let Some(l) = listings {
                                    td.nowrap {
                                        @match l.get(&p.product_id) {
                                            Some(l) => (day(lang, l.listed_on)),
                                            None => (status_tag(t(lang, "products.list.not_listed"), "muted")),
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !v.removed.is_empty() {
            h4 { (t(lang, "products.list.removed")) }
            ul {
                @for r in &v.removed {
                    li { (r.product_name) "：" (r.reason) }
                }
            }
        }
    }
}

fn rules_section(lang: Lang, rules: &greenchannel::Rules) -> Markup {
    html! {
        section.card id="rules" {
            h2 { (t(lang, "products.rules.title")) }
            p.hint { (t(lang, "products.rules.intro")) }
            div.table-wrap.table-scroll {
                table {
                    thead { tr {
                        th scope="col" { (t(lang, "products.rules.rule")) }
                        th scope="col" { (t(lang, "products.rules.value")) }
                        th scope="col" { (t(lang, "products.source")) }
                    } }
                    tbody {
                        @for (name, source) in rules.sources() {
                            tr {
                                th scope="row" { (rule_label(lang, rules, &name)) }
                                td { (rule_value(lang, rules, &name)) }
                                td {
                                    (cite(rules, source)) " "
                                    @if source.confirmed {
                                        (status_tag(t(lang, "products.rules.confirmed"), "ok"))
                                    } @else {
                                        (status_tag(t(lang, "products.rules.unconfirmed"), "warn"))
                                        @if let Some(note) = &source.note { p.small.muted lang="en" { (note) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `lists.{code}.compiled_by` → "list name: compiled by"; others by their last part.
fn rule_label(lang: Lang, rules: &greenchannel::Rules, name: &str) -> String {
    match name.strip_prefix("lists.").and_then(|r| r.rsplit_once('.')) {
        Some((code, part)) => format!(
            "{}{}{}",
            list_name(rules, lang, code),
            pick(lang, "：", ": "),
            t(lang, &format!("products.rule.{part}"))
        ),
        None => t(lang, &format!("products.rule.{}", name.replace('.', "_"))).to_owned(),
    }
}

fn rule_value(lang: Lang, rules: &greenchannel::Rules, name: &str) -> String {
    if let Some((code, part)) = name.strip_prefix("lists.").and_then(|r| r.rsplit_once('.')) {
        let Some(list) = rules.list(code) else {
            return String::new();
        };
        return match part {
            "compiled_by" => bureaus_text(lang, &list.compilers()),
            _ => tf(
                lang,
                "products.list.months",
                &[("n", &list.adoption_deadline_months.value.to_string())],
            ),
        };
    }
    match name {
        "listing.recorded_by" => bureaus_text(lang, &rules.listing_recorders()),
        "bulletins.issued_by" => bureaus_text(lang, &rules.bulletin_issuers()),
        "adoption.duty_kinds" => rules
            .duty_kinds()
            .iter()
            .map(|k| t(lang, &format!("kind.{}", k.code())))
            .collect::<Vec<_>>()
            .join(pick(lang, "、", ", ")),
        "adoption.reminder_days" => tf(
            lang,
            "products.rules.days",
            &[("n", &rules.adoption.reminder_days.value.to_string())],
        ),
        "bulletins.cadence" => t(lang, "products.rules.quarterly").to_owned(),
        _ => t(lang, "products.rules.principle").to_owned(),
    }
}
