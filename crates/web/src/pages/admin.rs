//! `/admin/...`: the platform administrator's pages to manage organisations and users.

use access::{
    Bureau, FieldError, Grant, NewOrganisation, NewUser, OrganisationKind, Permission, Role, Scope,
    Target, UserSummary,
};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ledger::PurposeOfUse;
use maud::html;
use serde::Deserialize;

use crate::ctx::Signed;
use crate::error::AppError;
use crate::i18n::t;
use crate::layout::{Field, count_line, csrf_field, error_summary, page, select, status_tag};
use crate::pages::home::scope_label;
use crate::state::AppState;

/// The refusal to send when the user may not administer accounts.
fn refuse_unless_admin(signed: &Signed) -> Option<Response> {
    signed
        .user
        .authorize(Permission::AdministerAccounts, Target::Platform)
        .err()
        .map(|e| signed.ctx.page_error(e).into_response())
}

fn tabs(lang: kernel::Lang, current: &str) -> maud::Markup {
    html! {
        p.actions {
            @for (href, key) in [("/admin/users", "admin.users"), ("/admin/organisations", "admin.orgs")] {
                @if href == current { strong { (t(lang, key)) } } @else { a href=(href) { (t(lang, key)) } }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct UserFilter {
    q: Option<String>,
}

fn matches(user: &UserSummary, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty()
        || user.username.contains(&q)
        || user.display_name.to_lowercase().contains(&q)
        || user.organisation_name_zh.contains(&q)
        || user.organisation_name_en.to_lowercase().contains(&q)
}

pub async fn users(
    State(app): State<AppState>,
    signed: Signed,
    Query(filter): Query<UserFilter>,
) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    users_page(
        &app,
        &signed,
        filter.q.as_deref().unwrap_or(""),
        &NewUserForm::default(),
        Vec::new(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn users_page(
    app: &AppState,
    Signed { ctx, .. }: &Signed,
    q: &str,
    form: &NewUserForm,
    errors: Vec<FieldError>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let (users, orgs) = match (
        app.accounts.users().await,
        app.accounts.organisations().await,
    ) {
        (Ok(u), Ok(o)) => (u, o),
        (Err(e), _) | (_, Err(e)) => return ctx.page_error(e).into_response(),
    };
    let shown: Vec<&UserSummary> = users.iter().filter(|u| matches(u, q)).collect();
    let org_options: Vec<(String, String)> = orgs
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                format!(
                    "{} · {}",
                    o.name(ctx.english()),
                    t(lang, &format!("kind.{}", o.kind.code()))
                ),
            )
        })
        .collect();
    let role_options: Vec<(String, String)> = Role::ALL
        .iter()
        .map(|r| {
            (
                r.code().to_owned(),
                t(lang, &format!("role.{}", r.code())).to_owned(),
            )
        })
        .collect();
    let body = html! {
        h1 { (t(lang, "nav.admin")) }
        (tabs(lang, "/admin/users"))
        (error_summary(lang, &errors))
        @if let Some(n) = notice { p.notice.notice-success role="status" { (n) } }
        form.actions method="get" action="/admin/users" role="search" {
            label.visually-hidden for="q" { (t(lang, "admin.search")) }
            input id="q" name="q" type="search" value=(q);
            button.button-secondary type="submit" { (t(lang, "admin.filter")) }
            a href="/admin/users.csv" { (t(lang, "admin.export_csv")) }
        }
        (count_line(lang, shown.len()))
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (t(lang, "admin.user_username")) }
                th scope="col" { (t(lang, "admin.user_name")) }
                th scope="col" { (t(lang, "admin.user_org")) }
                th scope="col" { (t(lang, "admin.user_role")) }
                th scope="col" { (t(lang, "admin.user_mobile")) }
                th scope="col" { (t(lang, "admin.user_status")) }
            } }
            tbody {
                @for u in &shown {
                    tr {
                        th scope="row" { a href={ "/admin/users/" (u.id) } { (u.username) } }
                        td.nowrap { (u.display_name) }
                        td { (if ctx.english() { &u.organisation_name_en } else { &u.organisation_name_zh }) }
                        td { @for g in &u.grants { (t(lang, &format!("role.{}", g.role.code()))) " (" (scope_label(lang, &g.scope)) ") " } }
                        td { (u.mobile_masked.as_deref().unwrap_or("—")) }
                        td { (user_status(lang, u)) }
                    }
                }
            }
        } }
        h2 id="new-user" { (t(lang, "admin.user_new")) }
        form.stack method="post" action="/admin/users" novalidate {
            (csrf_field(ctx))
            (Field { value: &form.username, autocomplete: Some("off"), ..Field::new("username", t(lang, "admin.user_username")) }.render(lang, &errors))
            (Field { value: &form.display_name, ..Field::new("display_name", t(lang, "admin.user_name")) }.render(lang, &errors))
            (select(lang, "organisation_id", t(lang, "admin.user_org"), &org_options, &form.organisation_id, &errors))
            (select(lang, "role", t(lang, "admin.user_role"), &role_options, &form.role, &errors))
            (Field { kind: "tel", value: &form.mobile, required: false, hint: Some(t(lang, "admin.user_mobile_hint")), ..Field::new("mobile", t(lang, "admin.user_mobile")) }.render(lang, &errors))
            (Field { kind: "password", autocomplete: Some("new-password"), hint: Some(t(lang, "account.password_hint")), ..Field::new("password", t(lang, "admin.user_password")) }.render(lang, &errors))
            button type="submit" { (t(lang, "admin.user_new")) }
        }
    };
    (status, page(ctx, t(lang, "nav.admin"), body)).into_response()
}

fn user_status(lang: kernel::Lang, u: &UserSummary) -> maud::Markup {
    let now = kernel::UtcMillis::now().0;
    if !u.active {
        status_tag(t(lang, "admin.inactive"), "muted")
    } else if u.locked_until.is_some_and(|t| t > now) {
        status_tag(t(lang, "admin.locked"), "warn")
    } else {
        status_tag(t(lang, "admin.active"), "ok")
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    password: String,
}

pub async fn create_user(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<NewUserForm>,
) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    let org = match app.accounts.organisation(&form.organisation_id).await {
        Ok(o) => o,
        Err(e) => return signed.ctx.page_error(e).into_response(),
    };
    let mut grants = Vec::new();
    let mut errors = Vec::new();
    match (form.role.parse::<Role>(), &org) {
        (Ok(role), Some(org)) => grants.push(Grant {
            role,
            scope: access::default_scope(role, org),
        }),
        (Err(_), _) => errors.push(FieldError::new("role", "请选择角色", "Choose a role")),
        _ => {}
    }
    let new = NewUser {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        organisation_id: form.organisation_id.clone(),
        password: form.password.clone(),
        mobile: Some(form.mobile.clone()),
        grants,
        must_change_password: true,
    };
    match app.accounts.create_user(new).await {
        Ok(id) if errors.is_empty() => {
            crate::audit::record(
                &app,
                &signed.user,
                "user.create",
                "user",
                &id,
                PurposeOfUse::SystemAdministration,
                form.username.as_bytes(),
            )
            .await;
            let notice = t(signed.ctx.lang, "admin.user_created");
            users_page(
                &app,
                &signed,
                "",
                &NewUserForm::default(),
                Vec::new(),
                Some(notice),
                StatusCode::CREATED,
            )
            .await
        }
        Ok(_) => {
            users_page(
                &app,
                &signed,
                "",
                &form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(access::AccessError::Invalid(mut more)) => {
            errors.append(&mut more);
            users_page(
                &app,
                &signed,
                "",
                &NewUserForm {
                    password: String::new(),
                    ..form
                },
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => signed.ctx.page_error(e).into_response(),
    }
}

pub async fn users_csv(State(app): State<AppState>, signed: Signed) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    let users = match app.accounts.users().await {
        Ok(u) => u,
        Err(e) => return signed.ctx.page_error(e).into_response(),
    };
    let lang = signed.ctx.lang;
    let mut csv =
        String::from("\u{feff}username,display_name,organisation,roles,mobile,active\r\n");
    for u in users {
        let roles: Vec<String> = u
            .grants
            .iter()
            .map(|g| format!("{}:{}", g.role, g.scope))
            .collect();
        let org = if lang == kernel::Lang::En {
            u.organisation_name_en
        } else {
            u.organisation_name_zh
        };
        let fields = [
            u.username,
            u.display_name,
            org,
            roles.join(" "),
            u.mobile_masked.unwrap_or_default(),
            u.active.to_string(),
        ];
        csv.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        csv.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"users.csv\"",
            ),
        ],
        csv,
    )
        .into_response()
}

/// Quotes a CSV field, and defuses spreadsheet formulas (a leading `=`, `+`, `-`, `@`).
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub async fn user_detail(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    user_detail_page(&app, &signed, &id, Vec::new(), None, StatusCode::OK).await
}

async fn user_detail_page(
    app: &AppState,
    Signed { ctx, .. }: &Signed,
    id: &str,
    errors: Vec<FieldError>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let user = match app.accounts.user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return ctx.page_error(AppError::NotFound).into_response(),
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let role_options: Vec<(String, String)> = Role::ALL
        .iter()
        .map(|r| {
            (
                r.code().to_owned(),
                t(lang, &format!("role.{}", r.code())).to_owned(),
            )
        })
        .collect();
    let body = html! {
        p { a href="/admin/users" { "← " (t(lang, "admin.users")) } }
        h1 { (user.display_name) " " (user_status(lang, &user)) }
        (error_summary(lang, &errors))
        @if let Some(n) = notice { p.notice.notice-success role="status" { (n) } }
        dl.summary {
            dt { (t(lang, "admin.user_username")) } dd { code { (user.username) } }
            dt { (t(lang, "admin.user_org")) } dd { (if ctx.english() { &user.organisation_name_en } else { &user.organisation_name_zh }) }
            dt { (t(lang, "admin.user_mobile")) } dd { (user.mobile_masked.as_deref().unwrap_or("—")) }
        }
        h2 { (t(lang, "home.roles")) }
        div.table-wrap { table {
            thead { tr { th scope="col" { (t(lang, "admin.user_role")) } th scope="col" { (t(lang, "admin.user_scope")) } th scope="col" { span.visually-hidden { (t(lang, "admin.revoke")) } } } }
            tbody {
                @for g in &user.grants {
                    tr {
                        th scope="row" { (t(lang, &format!("role.{}", g.role.code()))) }
                        td { (scope_label(lang, &g.scope)) }
                        td { form.inline method="post" action={ "/admin/users/" (user.id) "/grants/revoke" } {
                            (csrf_field(ctx))
                            input type="hidden" name="role" value=(g.role.code());
                            input type="hidden" name="scope" value=(g.scope.to_string());
                            button.button-secondary type="submit" { (t(lang, "admin.revoke")) }
                        } }
                    }
                }
            }
        } }
        form.stack method="post" action={ "/admin/users/" (user.id) "/grants" } {
            (csrf_field(ctx))
            (select(lang, "role", t(lang, "admin.user_role"), &role_options, "", &errors))
            button type="submit" { (t(lang, "admin.grant")) }
        }
        h2 { (t(lang, "admin.reset_password")) }
        form.stack method="post" action={ "/admin/users/" (user.id) "/password" } novalidate {
            (csrf_field(ctx))
            (Field { kind: "password", autocomplete: Some("new-password"), hint: Some(t(lang, "account.password_hint")), ..Field::new("password", t(lang, "admin.user_password")) }.render(lang, &errors))
            button type="submit" { (t(lang, "admin.reset_password")) }
        }
        h2 { (t(lang, "admin.user_status")) }
        form method="post" action={ "/admin/users/" (user.id) "/active" } {
            (csrf_field(ctx))
            @if user.active {
                input type="hidden" name="active" value="false";
                button.button-warning type="submit" { (t(lang, "admin.deactivate")) }
            } @else {
                input type="hidden" name="active" value="true";
                button type="submit" { (t(lang, "admin.activate")) }
            }
        }
    };
    (status, page(ctx, &user.display_name, body)).into_response()
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope: String,
}

/// The user's page again, with the fields the administrator must correct.
async fn user_refused(
    app: &AppState,
    signed: &Signed,
    id: &str,
    errors: Vec<FieldError>,
) -> Response {
    user_detail_page(
        app,
        signed,
        id,
        errors,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The answer to a change of one user's account: a change made is audited under `action`
/// and the user's page says it was saved; refused input shows the page with its errors.
async fn after_user_change(
    app: &AppState,
    signed: &Signed,
    id: &str,
    outcome: Result<(), access::AccessError>,
    action: &str,
    detail: &[u8],
) -> Response {
    match outcome {
        Ok(()) => {
            crate::audit::record(
                app,
                &signed.user,
                action,
                "user",
                id,
                PurposeOfUse::SystemAdministration,
                detail,
            )
            .await;
            let saved = Some(t(signed.ctx.lang, "admin.saved"));
            user_detail_page(app, signed, id, Vec::new(), saved, StatusCode::OK).await
        }
        Err(access::AccessError::Invalid(errors)) => user_refused(app, signed, id, errors).await,
        Err(e) => signed.ctx.page_error(e).into_response(),
    }
}

pub async fn add_grant(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<GrantForm>,
) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    let Ok(role) = form.role.parse::<Role>() else {
        let errors = vec![FieldError::new("role", "请选择角色", "Choose a role")];
        return user_refused(&app, &signed, &id, errors).await;
    };
    let org = match app.accounts.user(&id).await {
        Ok(Some(u)) => app
            .accounts
            .organisation(&u.organisation_id)
            .await
            .ok()
            .flatten(),
        Ok(None) => return signed.ctx.page_error(AppError::NotFound).into_response(),
        Err(e) => return signed.ctx.page_error(e).into_response(),
    };
    let Some(org) = org else {
        return signed.ctx.page_error(AppError::NotFound).into_response();
    };
    let grant = Grant {
        role,
        scope: access::default_scope(role, &org),
    };
    let detail = format!("{}:{}", grant.role, grant.scope);
    let outcome = app.accounts.grant(&id, grant).await;
    after_user_change(&app, &signed, &id, outcome, "user.grant", detail.as_bytes()).await
}

pub async fn revoke_grant(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<GrantForm>,
) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    let (Ok(role), Ok(scope)) = (form.role.parse::<Role>(), form.scope.parse::<Scope>()) else {
        return signed
            .ctx
            .page_error(AppError::BadRequest {
                zh: "角色或数据范围无效".into(),
                en: "Unknown role or scope".into(),
            })
            .into_response();
    };
    if signed.user.user_id == id && role == Role::PlatformAdmin {
        let errors = vec![FieldError::new(
            "role",
            "不能移除自己的管理员角色",
            "You cannot remove your own administrator role",
        )];
        return user_refused(&app, &signed, &id, errors).await;
    }
    let grant = Grant { role, scope };
    match app.accounts.revoke_grant(&id, &grant).await {
        Ok(_) => {
            crate::audit::record(
                &app,
                &signed.user,
                "user.revoke",
                "user",
                &id,
                PurposeOfUse::SystemAdministration,
                format!("{}:{}", grant.role, grant.scope).as_bytes(),
            )
            .await;
            Redirect::to(&format!("/admin/users/{id}")).into_response()
        }
        Err(e) => signed.ctx.page_error(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

pub async fn set_active(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActiveForm>,
) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    let active = form.active == "true";
    if !active && signed.user.user_id == id {
        let errors = vec![FieldError::new(
            "active",
            "不能停用自己的账户",
            "You cannot deactivate your own account",
        )];
        return user_refused(&app, &signed, &id, errors).await;
    }
    let outcome = app.accounts.set_active(&id, active).await;
    let action = if active {
        "user.activate"
    } else {
        "user.deactivate"
    };
    after_user_change(&app, &signed, &id, outcome, action, b"").await
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<ResetForm>,
) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    let outcome = app.accounts.reset_password(&id, &form.password).await;
    after_user_change(&app, &signed, &id, outcome, "user.password_reset", b"").await
}

pub async fn organisations(State(app): State<AppState>, signed: Signed) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    organisations_page(
        &app,
        &signed,
        &OrgForm::default(),
        Vec::new(),
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct OrgForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    bureau: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    uscc: String,
}

async fn organisations_page(
    app: &AppState,
    Signed { ctx, .. }: &Signed,
    form: &OrgForm,
    errors: Vec<FieldError>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let orgs = match app.accounts.organisations().await {
        Ok(o) => o,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let kinds: Vec<(String, String)> = OrganisationKind::ALL
        .iter()
        .map(|k| {
            (
                k.code().to_owned(),
                t(lang, &format!("kind.{}", k.code())).to_owned(),
            )
        })
        .collect();
    let bureaus: Vec<(String, String)> = Bureau::ALL
        .iter()
        .map(|b| {
            (
                b.code().to_owned(),
                t(lang, &format!("bureau.{}", b.code())).to_owned(),
            )
        })
        .collect();
    let districts: Vec<(String, String)> = city::districts()
        .all()
        .iter()
        .map(|d| (d.key.clone(), d.name(ctx.english()).to_owned()))
        .collect();
    let body = html! {
        h1 { (t(lang, "nav.admin")) }
        (tabs(lang, "/admin/organisations"))
        (error_summary(lang, &errors))
        @if let Some(n) = notice { p.notice.notice-success role="status" { (n) } }
        (count_line(lang, orgs.len()))
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (t(lang, "admin.org_name_zh")) }
                th scope="col" { (t(lang, "admin.org_kind")) }
                th scope="col" { (t(lang, "admin.org_district")) }
                th scope="col" { (t(lang, "admin.org_uscc")) }
            } }
            tbody {
                @for o in &orgs {
                    tr {
                        th scope="row" { (o.name(ctx.english())) }
                        td { (t(lang, &format!("kind.{}", o.kind.code()))) @if let Some(b) = o.bureau { " · " (t(lang, &format!("bureau.{}", b.code()))) } }
                        td { (o.district.as_deref().and_then(|k| city::districts().by_key(k)).map(|d| d.name(ctx.english())).unwrap_or("—")) }
                        td.mono { (o.uscc.as_deref().unwrap_or("—")) }
                    }
                }
            }
        } }
        h2 id="new-org" { (t(lang, "admin.org_new")) }
        form.stack method="post" action="/admin/organisations" novalidate {
            (csrf_field(ctx))
            (select(lang, "kind", t(lang, "admin.org_kind"), &kinds, &form.kind, &errors))
            (select(lang, "bureau", t(lang, "admin.org_bureau"), &bureaus, &form.bureau, &errors))
            (Field { value: &form.name_zh, ..Field::new("name_zh", t(lang, "admin.org_name_zh")) }.render(lang, &errors))
            (Field { value: &form.name_en, required: false, ..Field::new("name_en", t(lang, "admin.org_name_en")) }.render(lang, &errors))
            (select(lang, "district", t(lang, "admin.org_district"), &districts, &form.district, &errors))
            (Field { value: &form.uscc, required: false, hint: Some(t(lang, "admin.org_uscc_hint")), ..Field::new("uscc", t(lang, "admin.org_uscc")) }.render(lang, &errors))
            button type="submit" { (t(lang, "admin.org_new")) }
        }
    };
    (status, page(ctx, t(lang, "admin.orgs"), body)).into_response()
}

pub async fn create_organisation(
    State(app): State<AppState>,
    signed: Signed,
    Form(form): Form<OrgForm>,
) -> Response {
    if let Some(refusal) = refuse_unless_admin(&signed) {
        return refusal;
    }
    let new = NewOrganisation {
        kind: form.kind.parse().ok(),
        bureau: form.bureau.parse().ok(),
        name_zh: form.name_zh.clone(),
        name_en: form.name_en.clone(),
        district: Some(form.district.clone()),
        parent_id: None,
        uscc: Some(form.uscc.clone()),
        internet_hospital: false,
    };
    match app.accounts.create_organisation(new).await {
        Ok(org) => {
            crate::audit::record(
                &app,
                &signed.user,
                "organisation.create",
                "organisation",
                &org.id,
                PurposeOfUse::SystemAdministration,
                org.name_zh.as_bytes(),
            )
            .await;
            organisations_page(
                &app,
                &signed,
                &OrgForm::default(),
                Vec::new(),
                Some(t(signed.ctx.lang, "admin.org_created")),
                StatusCode::CREATED,
            )
            .await
        }
        Err(access::AccessError::Invalid(errors)) => {
            organisations_page(
                &app,
                &signed,
                &form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => signed.ctx.page_error(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }
}
