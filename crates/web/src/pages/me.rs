//! The resident's own space: what they share and with whom (`/me/sharing`), and who read their
//! record, when and why, with the ledger's proof of each entry (`/me/access`).

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kernel::{Lang, UtcMillis, mask_name};
use ledger::Entry;
use maud::{Markup, html};
use registry::{Directive, Resident, SharingPurpose};

use super::registry::{actor, clinical_error, registry_error};
use crate::ctx::{CSRF_FIELD, Ctx, Signed};
use crate::error::AppError;
use crate::i18n::{action_label, t, tf};
use crate::layout::{page, status_tag};
use crate::state::AppState;

/// How many ledger entries of one record the access page lists.
const ACCESS_ENTRIES: u32 = 200;

/// `GET /me/sharing`.
pub async fn sharing(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    match render_sharing(&app, &ctx, &user).await {
        Ok(r) => r,
        Err(e) => ctx.page_error(e).into_response(),
    }
}

async fn render_sharing(
    app: &AppState,
    ctx: &Ctx,
    user: &access::Principal,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let actor = actor(user);
    let (own, represented) = app
        .clinical
        .residents_acted_for(&user.user_id)
        .await
        .map_err(clinical_error)?;
    let mut cards = Vec::new();
    for (resident_id, is_own) in own
        .iter()
        .map(|r| (r, true))
        .chain(represented.iter().map(|r| (r, false)))
    {
        let resident = resident_of(app, resident_id).await?;
        let directives = app
            .clinical
            .sharing_of(&actor, resident_id)
            .await
            .map_err(clinical_error)?;
        let household = if is_own {
            household_card(app, ctx, &resident).await?
        } else {
            html! {}
        };
        cards.push(html! {
            section.card {
                h2 {
                    @if is_own { (t(lang, "sharing.own_record")) }
                    @else { (tf(lang, "sharing.record_of", &[("name", &masked_name(&resident))])) }
                }
                ul.sharing-list {
                    @for d in &directives { (directive_row(ctx, d)) }
                }
                (household)
            }
        });
    }
    let body = html! {
        h1 { (t(lang, "sharing.title")) }
        p.lead { (t(lang, "sharing.intro")) }
        @if cards.is_empty() { p.notice { (t(lang, "timeline.no_record")) } }
        @for c in cards { (c) }
        p { a href="/me/access" { (t(lang, "access_log.title")) " →" } }
    };
    Ok(page(ctx, t(lang, "sharing.title"), body).into_response())
}

fn directive_row(ctx: &Ctx, d: &Directive) -> Markup {
    let lang = ctx.lang;
    let def = d.purpose.definition();
    let (name, about) = match lang {
        Lang::Zh => (&def.name_zh, &def.about_zh),
        Lang::En => (&def.name_en, &def.about_en),
    };
    let state = if d.granted {
        status_tag(t(lang, "sharing.on"), "ok")
    } else {
        status_tag(t(lang, "sharing.off"), "muted")
    };
    let when = match d.decided_at {
        Some(at) => tf(
            lang,
            "sharing.decided_at",
            &[("at", &UtcMillis(at).format_datetime(lang))],
        ),
        None => t(lang, "sharing.default").to_owned(),
    };
    let action = format!("/me/sharing/{}/{}", d.resident_id, d.purpose.code());
    html! {
        li.sharing-item {
            div {
                h3 { (name) " " (state) }
                p { (about) }
                p.muted { (when) }
            }
            form method="post" action=(action) {
                input type="hidden" name=(CSRF_FIELD) value=(ctx.csrf);
                input type="hidden" name="granted" value=(if d.granted { "0" } else { "1" });
                @if d.granted {
                    button.button-secondary type="submit" { (t(lang, "sharing.turn_off")) }
                } @else {
                    button type="submit" { (t(lang, "sharing.turn_on")) }
                }
            }
        }
    }
}

/// The household members the resident can let act for them.
async fn household_card(app: &AppState, ctx: &Ctx, me: &Resident) -> Result<Markup, AppError> {
    let lang = ctx.lang;
    let Some(household) = me.care.household_id.as_deref() else {
        return Ok(html! {});
    };
    let members = app
        .clinical
        .residents()
        .household(household)
        .await
        .map_err(registry_error)?;
    let proxies = app
        .clinical
        .consents()
        .proxies_of(&me.id)
        .await
        .map_err(registry_error)?;
    let others: Vec<&Resident> = members.iter().filter(|m| m.id != me.id).collect();
    Ok(html! {
        h3 { (t(lang, "sharing.household")) }
        p.muted { (t(lang, "sharing.household_intro")) }
        @if others.is_empty() { p { (t(lang, "sharing.household_none")) } }
        ul.sharing-list {
            @for m in &others {
                @let authorised = proxies.iter().any(|p| p.proxy_resident_id == m.id);
                li.sharing-item {
                    div {
                        h3 {
                            (masked_name(m)) " "
                            @if authorised { (status_tag(t(lang, "sharing.authorised"), "ok")) }
                        }
                    }
                    form method="post" action={ "/me/sharing/" (me.id) "/proxies/" (m.id) } {
                        input type="hidden" name=(CSRF_FIELD) value=(ctx.csrf);
                        input type="hidden" name="authorise" value=(if authorised { "0" } else { "1" });
                        @if authorised {
                            button.button-secondary type="submit" { (t(lang, "sharing.withdraw")) }
                        } @else {
                            button type="submit" { (t(lang, "sharing.authorise")) }
                        }
                    }
                }
            }
        }
    })
}

/// `POST /me/sharing/{resident}/{purpose}`.
pub async fn decide(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((resident_id, purpose)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(purpose) = SharingPurpose::parse(&purpose) else {
        return ctx.page_error(AppError::NotFound).into_response();
    };
    let granted = match field(&fields, "granted") {
        Some("1") => true,
        Some("0") => false,
        _ => {
            return ctx
                .page_error(bad_request("sharing.bad_choice"))
                .into_response();
        }
    };
    match app
        .clinical
        .decide_sharing(&actor(&user), &resident_id, purpose, granted)
        .await
    {
        Ok(_) => Redirect::to("/me/sharing").into_response(),
        Err(e) => ctx.page_error(clinical_error(e)).into_response(),
    }
}

/// `POST /me/sharing/{resident}/proxies/{member}`.
pub async fn proxy(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((resident_id, member)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let actor = actor(&user);
    let done = match field(&fields, "authorise") {
        Some("1") => app
            .clinical
            .authorise_proxy(&actor, &resident_id, &member)
            .await
            .map(|_| ()),
        Some("0") => app
            .clinical
            .revoke_proxy(&actor, &resident_id, &member)
            .await
            .map(|_| ()),
        _ => {
            return ctx
                .page_error(bad_request("sharing.bad_choice"))
                .into_response();
        }
    };
    match done {
        Ok(()) => Redirect::to("/me/sharing").into_response(),
        Err(e) if e.status() == 400 => ctx
            .page_error(bad_request("sharing.not_household"))
            .into_response(),
        Err(e) => ctx.page_error(clinical_error(e)).into_response(),
    }
}

/// `GET /me/access`: every ledger entry about the user's own record.
pub async fn access(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    match render_access(&app, &ctx, &user).await {
        Ok(r) => r,
        Err(e) => ctx.page_error(e).into_response(),
    }
}

async fn render_access(
    app: &AppState,
    ctx: &Ctx,
    user: &access::Principal,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let own = app
        .clinical
        .residents()
        .residents_of_user(&user.user_id)
        .await
        .map_err(registry_error)?;
    let mut entries: Vec<Entry> = Vec::new();
    for resident in &own {
        entries.extend(
            app.ledger
                .entries_for_subject("resident", resident, ACCESS_ENTRIES)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?,
        );
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.seq));
    let who = actors(app, lang, &entries).await?;
    let head = app.ledger.latest_tree_head();
    let body = html! {
        h1 { (t(lang, "access_log.title")) }
        p.lead { (t(lang, "access_log.intro")) }
        @if entries.is_empty() {
            p.notice { (t(lang, "access_log.none")) }
        } @else {
            div.table-wrap { table {
                caption { (tf(lang, "access_log.caption", &[("n", &entries.len().to_string())])) }
                thead { tr {
                    th scope="col" { (t(lang, "ledger.at")) }
                    th scope="col" { (t(lang, "access_log.who")) }
                    th scope="col" { (t(lang, "ledger.action")) }
                    th scope="col" { (t(lang, "ledger.purpose")) }
                    th scope="col" { (t(lang, "ledger.proof")) }
                } }
                tbody {
                    @for run in runs(&entries) {
                        @let ev = &run[0].event;
                        tr {
                            td { (UtcMillis(ev.at).format_datetime(lang)) }
                            td { (who.get(&ev.actor).cloned().unwrap_or_else(|| ev.actor.clone())) }
                            td {
                                (action_label(lang, &ev.action))
                                @if run.len() > 1 {
                                    " " span.muted { (tf(lang, "access_log.times", &[("n", &run.len().to_string())])) }
                                }
                            }
                            td { (if lang == Lang::Zh { ev.purpose.label_zh() } else { ev.purpose.label_en() }) }
                            td {
                                (proof_link(lang, &run[0], head.tree_size))
                                @if let Some(oldest) = run.last().filter(|_| run.len() > 1) {
                                    " … " (proof_link(lang, oldest, head.tree_size))
                                }
                            }
                        }
                    }
                }
            } }
        }
        // The root hash is one long word: it wraps anywhere rather than widen a phone's page.
        p.muted.mono { (tf(lang, "access_log.verify", &[("size", &head.tree_size.to_string()), ("root", &head.root_hash.to_hex())])) }
        p { a href="/me/sharing" { (t(lang, "sharing.title")) " →" } }
    };
    Ok(page(ctx, t(lang, "access_log.title"), body).into_response())
}

/// The entry's inclusion proof in the tree of `tree_size`.
fn proof_link(lang: Lang, e: &Entry, tree_size: u64) -> Markup {
    html! {
        a href={ "/api/v1/ledger/proofs/inclusion?seq=" (e.seq) "&tree_size=" (tree_size) } {
            (tf(lang, "access_log.entry", &[("seq", &e.seq.to_string())]))
        }
    }
}

/// Consecutive entries of one actor, organisation, action and purpose (newest first), shown
/// as one row with their count and the proofs of the newest and oldest: the platform writing
/// a month of home-device summaries is one line, not ninety, and nobody's read is pushed out
/// of sight by it.
fn runs(entries: &[Entry]) -> Vec<&[Entry]> {
    entries
        .chunk_by(|a, b| {
            let (a, b) = (&a.event, &b.event);
            a.actor == b.actor
                && a.organisation == b.organisation
                && a.action == b.action
                && a.purpose == b.purpose
        })
        .collect()
}

/// "Dr Li (Gulou Hospital)" for each acting user of `entries`.
async fn actors(
    app: &AppState,
    lang: Lang,
    entries: &[Entry],
) -> Result<HashMap<String, String>, AppError> {
    let mut out = HashMap::new();
    for e in entries {
        let id = &e.event.actor;
        if out.contains_key(id) {
            continue;
        }
        let label = if id == "system" {
            t(lang, "access_log.platform").to_owned()
        } else {
            match app.accounts.user(id).await? {
                Some(u) => {
                    let org = match lang {
                        Lang::Zh => u.organisation_name_zh,
                        Lang::En => u.organisation_name_en,
                    };
                    format!("{}（{org}）", u.display_name)
                }
                None => id.clone(),
            }
        };
        out.insert(id.clone(), label);
    }
    Ok(out)
}

async fn resident_of(app: &AppState, id: &str) -> Result<Resident, AppError> {
    app.clinical
        .residents()
        .resident(id)
        .await
        .map_err(registry_error)?
        .ok_or(AppError::NotFound)
}

fn masked_name(r: &Resident) -> String {
    r.facts
        .name
        .as_deref()
        .map(mask_name)
        .unwrap_or_else(|| "—".into())
}

fn bad_request(key: &str) -> AppError {
    AppError::BadRequest {
        zh: t(Lang::Zh, key).to_owned(),
        en: t(Lang::En, key).to_owned(),
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
