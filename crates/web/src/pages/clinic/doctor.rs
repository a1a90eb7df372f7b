//! `GET /clinic/doctor`: the doctor's online clinic: requests waiting to be taken (oldest
//! first, with how long they have waited) and consultations under way.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use clinic::State as VisitState;
use kernel::mask_name;
use maud::html;

use super::{clinic_error, condition_name, visit_tag, when};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::i18n::{t, tf};
use crate::layout::page;
use crate::state::AppState;

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    if !user.has_role(access::Role::HospitalDoctor) {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let list = match app
        .clinic
        .consultations_of_doctor(
            &user,
            &[
                VisitState::Requested,
                VisitState::Accepted,
                VisitState::InProgress,
            ],
        )
        .await
    {
        Ok(l) => l,
        Err(e) => return ctx.page_error(clinic_error(e)).into_response(),
    };
    let credentials = app.clinic.practitioner(&user.user_id).await.ok().flatten();
    let now = kernel::UtcMillis::now().0;
    let mut rows = Vec::new();
    for c in &list {
        // A masked name: the doctor sees the patient's full record on the consultation page.
        let name = app
            .clinical
            .residents()
            .resident(&c.resident_id)
            .await
            .ok()
            .flatten()
            .and_then(|r| r.facts.name)
            .map(|n| mask_name(&n))
            .unwrap_or_else(|| "—".into());
        rows.push((c, name));
    }
    let waiting = list
        .iter()
        .filter(|c| c.state == VisitState::Requested)
        .count();
    let body = html! { div.clinic {
        h1 { (t(lang, "clinic.doctor.title")) }
        p.lead { (t(lang, "clinic.doctor.intro")) }
        @match &credentials {
            Some(p) => p.muted { (tf(lang, "clinic.doctor.credentials", &[("licence", &p.licence_no), ("since", &p.practising_since.to_string())])) },
            None => p.notice.notice-warning { (t(lang, "clinic.doctor.no_credentials")) },
        }
        div.stats {
            (crate::layout::stat(t(lang, "clinic.doctor.waiting"), &waiting.to_string(), ""))
            (crate::layout::stat(t(lang, "clinic.doctor.open"), &(list.len() - waiting).to_string(), ""))
        }
        @if rows.is_empty() {
            p.muted { (t(lang, "clinic.doctor.none")) }
        } @else {
            table.data {
                thead { tr {
                    th { (t(lang, "clinic.col.requested")) }
                    th { (t(lang, "clinic.doctor.waited")) }
                    th { (t(lang, "clinic.visit.patient")) }
                    th { (t(lang, "clinic.book.condition")) }
                    th { (t(lang, "clinic.col.state")) }
                    th { (t(lang, "clinic.col.open")) }
                } }
                tbody {
                    @for (c, name) in &rows {
                        tr {
                            td { (when(lang, c.requested_at)) }
                            td.num { (tf(lang, "clinic.doctor.minutes", &[("n", &((now - c.requested_at) / 60_000).to_string())])) }
                            td { (name) }
                            td { (condition_name(&app, lang, &c.disease)) }
                            td { (visit_tag(lang, c.state)) }
                            td { a href={ "/clinic/consultations/" (c.id) } { (t(lang, "clinic.col.open")) } }
                        }
                    }
                }
            }
        }
    } };
    page(&ctx, t(lang, "clinic.doctor.title"), body).into_response()
}
