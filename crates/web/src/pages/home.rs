//! `/`: each role's home page, with its work list and the figures it is judged by.

use access::{Permission, Principal, Role, Scope, Target};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kernel::Lang;
use maud::{Markup, html};

use crate::capabilities::find;
use crate::ctx::{Ctx, Signed};
use crate::figures;
use crate::i18n::{t, tf};
use crate::layout::{page, stat};
use crate::state::AppState;

/// The capabilities each role works with, shown as cards on its home page.
fn capabilities_for(role: Role) -> &'static [&'static str] {
    match role {
        Role::PlatformAdmin => &["S17", "S13"],
        Role::BureauOfficial => &["S10", "S5", "S6", "S8", "S16"],
        Role::HospitalDoctor => &["S1", "S2", "S12"],
        Role::Pharmacist => &["S2"],
        Role::CommunityDoctor => &["S1", "S13"],
        Role::Resident => &["S1", "S2"],
        Role::CompanyUser => &["S6", "S5", "S8", "S3", "S9"],
        Role::Researcher => &["S1", "S11", "S12", "S3"],
        Role::Investor => &["S9", "S14", "S15"],
        Role::ExpertReviewer => &["S6", "S4"],
        Role::DataSteward => &["S1", "S17"],
    }
}

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    let role = user.primary_role();
    let figures = match role {
        Some(Role::PlatformAdmin) => admin_figures(&app, &ctx).await,
        Some(Role::BureauOfficial) => official_figures(&ctx, &user),
        Some(Role::Resident) => resident_space(&app, &ctx, &user).await,
        Some(Role::CompanyUser) => company_figures(&ctx, &user),
        _ => Ok(html! {}),
    };
    let figures = match figures {
        Ok(f) => f,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let body = html! {
        h1 { (tf(lang, "home.welcome", &[("name", &user.display_name)])) }
        @if user.must_change_password {
            p.notice.notice-warning { a href="/account" { (t(lang, "home.must_change_password")) } }
        }
        dl.summary {
            dt { (t(lang, "home.organisation")) }
            dd { (user.organisation.name(ctx.english())) }
            dt { (t(lang, "home.roles")) }
            dd { (roles_line(lang, &user)) }
        }
        (figures)
        (registry_links(lang, role, super::alerts::open_count(&app, &user).await))
        h2 { (t(lang, "home.worklist")) }
        p.muted { (t(lang, "home.worklist_empty")) }
        @if let Some(role) = role {
            h2 { (t(lang, "home.coming")) }
            div.cards {
                @for id in capabilities_for(role) {
                    @if let Some(cap) = find(id) {
                        div.card {
                            h3 { span.cap-id { (cap.id) } (t(lang, &cap.title_key())) }
                            p { (t(lang, &cap.description_key())) }
                            a href=(cap.path()) { (t(lang, "home.go")) span.visually-hidden { " " (t(lang, &cap.title_key())) } }
                        }
                    }
                }
            }
        }
    };
    page(&ctx, t(lang, "nav.home"), body).into_response()
}

/// The pages a role works with (registers, work lists, the clinic, subsidies); for a
/// doctor the alert inbox with the count of open alerts, so a new one is seen at once.
fn registry_links(lang: Lang, role: Option<Role>, open_alerts: Option<u64>) -> Markup {
    let links: &[(&str, &str)] = match role {
        Some(Role::HospitalDoctor) => &[
            ("/alerts", "alerts.inbox.title"),
            ("/clinic/doctor", "clinic.doctor.title"),
            ("/clinic/notifications", "clinic.notes.title"),
            ("/worklist", "worklist.title"),
            ("/devices/quarantine", "devices.quarantine.title"),
            ("/registry", "registry.title"),
            ("/risk/high", "risk.high.title"),
            ("/risk/china-par", "risk.calc.title"),
        ],
        Some(Role::Pharmacist) => &[
            ("/clinic/pharmacy", "clinic.pharmacy.title"),
            ("/clinic/notifications", "clinic.notes.title"),
        ],
        Some(Role::CommunityDoctor) => &[
            ("/alerts", "alerts.inbox.title"),
            ("/worklist", "worklist.title"),
            ("/devices/quarantine", "devices.quarantine.title"),
            ("/registry", "registry.title"),
            ("/risk/high", "risk.high.title"),
            ("/risk/china-par", "risk.calc.title"),
        ],
        Some(Role::BureauOfficial) => &[
            ("/registry", "registry.title"),
            ("/risk", "risk.dash.title"),
            ("/clinic/oversight", "clinic.oversight.title"),
            ("/industry", "subsidies.dash.title"),
            ("/subsidies", "subsidies.title"),
            ("/policies", "subsidies.library.title"),
        ],
        Some(Role::CompanyUser) => &[
            ("/subsidies", "subsidies.title"),
            ("/policies", "subsidies.library.title"),
        ],
        Some(Role::ExpertReviewer) => &[
            ("/subsidies/reviews", "subsidies.reviews.title"),
            ("/policies", "subsidies.library.title"),
        ],
        Some(Role::Researcher) => &[
            ("/research", "research.title"),
            ("/research/query", "research.query.title"),
        ],
        Some(Role::DataSteward) => &[
            ("/research/review", "research.review.title"),
            ("/research/query", "research.query.title"),
        ],
        _ => &[],
    };
    html! {
        @if !links.is_empty() {
            h2 { (t(lang, "home.registry_links")) }
            p.actions {
                @for (i, (href, key)) in links.iter().enumerate() {
                    a.button.button-secondary[i > 0] href=(href) {
                        (t(lang, key))
                        @if let (&"/alerts", Some(n)) = (href, open_alerts) { " " span.count-badge { (n) } }
                    }
                }
            }
        }
    }
}

/// "部门工作人员（全市）、…" — every grant in words.
pub fn roles_line(lang: Lang, user: &Principal) -> String {
    user.grants
        .iter()
        .map(|g| {
            let role = t(lang, &format!("role.{}", g.role.code()));
            let scope = scope_label(lang, &g.scope);
            match lang {
                Lang::Zh => format!("{role}（{scope}）"),
                Lang::En => format!("{role} ({scope})"),
            }
        })
        .collect::<Vec<_>>()
        .join(if lang == Lang::Zh { "、" } else { ", " })
}

pub fn scope_label(lang: Lang, scope: &Scope) -> String {
    match scope {
        Scope::City => t(lang, "scope.city").to_owned(),
        Scope::Own => t(lang, "scope.own").to_owned(),
        Scope::Organisation(_) => t(lang, "scope.organisation").to_owned(),
        Scope::District(key) => city::districts()
            .by_key(key)
            .map(|d| d.name(lang == Lang::En).to_owned())
            .unwrap_or_else(|| key.clone()),
    }
}

async fn admin_figures(app: &AppState, ctx: &Ctx) -> Result<Markup, crate::error::AppError> {
    let lang = ctx.lang;
    let (by_kind, users) = app.accounts.counts().await?;
    let head = app.ledger.latest_tree_head();
    let total_orgs: i64 = by_kind.iter().map(|(_, n)| n).sum();
    Ok(html! {
        h2 { (t(lang, "home.figures")) }
        div.stats {
            (stat(t(lang, "home.users"), &figures::thousands(users), ""))
            (stat(t(lang, "admin.orgs"), &figures::thousands(total_orgs), t(lang, "home.unit_count")))
            (stat(t(lang, "home.ledger_size"), &figures::thousands(head.tree_size as i64), ""))
        }
        (figures::organisations_by_kind(lang, &by_kind))
    })
}

fn official_figures(ctx: &Ctx, user: &Principal) -> Result<Markup, crate::error::AppError> {
    let lang = ctx.lang;
    let districts = city::districts();
    let own_district = user.grants.iter().find_map(|g| match (&g.role, &g.scope) {
        (Role::BureauOfficial, Scope::District(d)) => Some(d.clone()),
        _ => None,
    });
    let city_wide = user
        .authorize(Permission::ViewAggregates, Target::City)
        .is_ok();
    Ok(html! {
        h2 { (t(lang, "home.figures")) }
        div.stats {
            @if let Some(d) = own_district.as_deref().and_then(|k| districts.by_key(k)) {
                @for year in &districts.target_years {
                    (stat(&format!("{} · {}{}", t(lang, "home.my_district"), year.year, if lang == Lang::Zh { "年" } else { "" }),
                        &d.target_yi_yuan(year.year).map(|v| figures::thousands(i64::from(v))).unwrap_or_default(),
                        t(lang, "home.unit_yi")))
                }
            }
            @for year in &districts.target_years {
                (stat(&format!("{} · {}{}", t(lang, "home.city_total"), year.year, if lang == Lang::Zh { "年" } else { "" }),
                    &figures::thousands(i64::from(year.city_total)), t(lang, "home.unit_yi")))
            }
        }
        @if city_wide || own_district.is_some() {
            (figures::district_targets(lang, own_district.as_deref()))
        }
    })
}

/// The resident's own space ([`super::portal`]) under its heading.
async fn resident_space(
    app: &AppState,
    ctx: &Ctx,
    user: &Principal,
) -> Result<Markup, crate::error::AppError> {
    let lang = ctx.lang;
    let cards = super::portal::cards(app, ctx, user).await?;
    Ok(html! {
        h2 { a href="/me" { (t(lang, "portal.heading")) } }
        (cards)
    })
}

fn company_figures(ctx: &Ctx, user: &Principal) -> Result<Markup, crate::error::AppError> {
    let lang = ctx.lang;
    let districts = city::districts();
    let Some(d) = user
        .organisation
        .district
        .as_deref()
        .and_then(|k| districts.by_key(k))
    else {
        return Ok(html! {});
    };
    Ok(html! {
        h2 { (t(lang, "home.figures")) }
        div.stats {
            @for year in &districts.target_years {
                (stat(&format!("{} · {} {}", d.name(lang == Lang::En), t(lang, "home.year"), year.year),
                    &d.target_yi_yuan(year.year).map(|v| figures::thousands(i64::from(v))).unwrap_or_default(),
                    t(lang, "home.unit_yi")))
            }
        }
        p.source { (t(lang, "home.targets_source")) }
    })
}
