//! `/ledger`: the signed tree head and recent entries, for administrators and officials.

use access::{Permission, Target};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use kernel::{Lang, UtcMillis};
use maud::html;

use crate::ctx::Signed;
use crate::figures::thousands;
use crate::i18n::t;
use crate::layout::{page, stat};
use crate::state::AppState;

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    if let Err(e) = user.authorize(Permission::ReadLedger, Target::Platform) {
        return ctx.page_error(e).into_response();
    }
    let lang = ctx.lang;
    let head = app.ledger.latest_tree_head();
    let entries = match app.ledger.recent(25).await {
        Ok(e) => e,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let key = base64::engine::general_purpose::STANDARD.encode(app.ledger.public_key().to_bytes());
    let body = html! {
        h1 { (t(lang, "ledger.title")) }
        p.lead { (t(lang, "ledger.intro")) }
        div.stats {
            (stat(t(lang, "ledger.tree_size"), &thousands(head.tree_size as i64), ""))
            (stat(t(lang, "ledger.signed_at"), &UtcMillis(head.timestamp).format_datetime(lang), ""))
        }
        dl.summary {
            dt { (t(lang, "ledger.root")) } dd.mono { (head.root_hash.to_hex()) }
            dt { (t(lang, "ledger.public_key")) } dd.mono { (key) }
        }
        p.muted { (t(lang, "ledger.verify_hint")) }
        h2 { (t(lang, "ledger.recent")) }
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (t(lang, "ledger.seq")) }
                th scope="col" { (t(lang, "ledger.at")) }
                th scope="col" { (t(lang, "ledger.action")) }
                th scope="col" { (t(lang, "ledger.subject")) }
                th scope="col" { (t(lang, "ledger.purpose")) }
                th scope="col" { (t(lang, "ledger.proof")) }
            } }
            tbody {
                @for e in &entries {
                    @let ev = &e.event;
                    tr {
                        th scope="row" { (e.seq) }
                        td { (UtcMillis(ev.at).format_datetime(lang)) }
                        td { (crate::i18n::action_label(lang, &ev.action)) }
                        td { (ev.subject_type) }
                        td { (if lang == Lang::Zh { ev.purpose.label_zh() } else { ev.purpose.label_en() }) }
                        td { a href={ "/api/v1/ledger/proofs/inclusion?seq=" (e.seq) } { "JSON" } }
                    }
                }
            }
        } }
    };
    page(&ctx, t(lang, "ledger.title"), body).into_response()
}
