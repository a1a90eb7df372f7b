//! `GET /worklist`: the follow-ups a doctor's registered residents are due for, most urgent
//! first, each with the button to record it.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use diseases::{FollowUpStatus, NextFollowUp};
use kernel::{Lang, mask_name};
use maud::{Markup, html};
use registry::RegisterRow;

use super::{
    actor, clinical_error, date, date_or_dash, disease_label, followup_tag, registry_error,
    rows_in_reach,
};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::figures::thousands;
use crate::i18n::{t, tf};
use crate::layout::{page, stat};
use crate::state::AppState;

/// Days ahead the "coming up" section looks.
const AHEAD_DAYS: i64 = 14;

struct Item<'a> {
    row: &'a RegisterRow,
    next: NextFollowUp,
    name: String,
}

pub async fn show(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let lang = ctx.lang;
    let actor = actor(&user);
    if !actor.write {
        return ctx.page_error(AppError::Forbidden).into_response();
    }
    let reach = match app.clinical.register_reach(&actor).await {
        Ok(r) => r,
        Err(e) => return ctx.page_error(clinical_error(e)).into_response(),
    };
    let rows = match rows_in_reach(&app, &reach).await {
        Ok(r) => r,
        Err(e) => return ctx.page_error(e).into_response(),
    };
    let today = clinical::today();
    let ahead = today
        .checked_add(jiff::Span::new().days(AHEAD_DAYS))
        .unwrap_or(today);
    let catalogue = app.clinical.catalogue();
    let mut overdue = Vec::new();
    let mut due = Vec::new();
    let mut soon = Vec::new();
    for row in &rows {
        let Some(template) = catalogue.get(&row.enrolment.disease) else {
            continue;
        };
        let next = super::next_followup(template, &row.enrolment, today);
        let item = (row, next);
        match next.status {
            FollowUpStatus::Overdue { .. } => overdue.push(item),
            FollowUpStatus::Due => due.push(item),
            FollowUpStatus::NotYetDue if next.due <= ahead => soon.push(item),
            FollowUpStatus::NotYetDue => {}
        }
    }
    // Most overdue first; the others by due date.
    overdue.sort_by_key(|(_, n)| match n.status {
        FollowUpStatus::Overdue { days } => std::cmp::Reverse(days),
        _ => std::cmp::Reverse(0),
    });
    due.sort_by_key(|(_, n)| n.due);
    soon.sort_by_key(|(_, n)| n.due);

    // Masked names, read only for residents the actor may see.
    let mut names: HashMap<String, String> = HashMap::new();
    let mut sections: Vec<Vec<Item>> = Vec::new();
    for list in [overdue, due, soon] {
        let mut items = Vec::new();
        for (row, next) in list {
            let id = &row.enrolment.resident_id;
            if !names.contains_key(id) {
                match app.clinical.may_see_resident(&actor, id).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => return ctx.page_error(clinical_error(e)).into_response(),
                }
                let name = match app.clinical.residents().resident(id).await {
                    Ok(r) => r
                        .and_then(|r| r.facts.name)
                        .map(|n| mask_name(&n))
                        .unwrap_or_else(|| "—".into()),
                    Err(e) => return ctx.page_error(registry_error(e)).into_response(),
                };
                names.insert(id.clone(), name);
            }
            let name = names.get(id).cloned().unwrap_or_default();
            items.push(Item { row, next, name });
        }
        sections.push(items);
    }
    let count = |i: usize| sections.get(i).map_or(0, Vec::len) as i64;
    let unit = t(lang, "worklist.unit_enrolments");
    let body = html! {
        h1 { (t(lang, "worklist.title")) }
        p.lead { (tf(lang, "worklist.intro", &[("date", &date(lang, today))])) }
        div.stats.stats-compact {
            (stat(t(lang, "worklist.overdue"), &thousands(count(0)), unit))
            (stat(t(lang, "worklist.due"), &thousands(count(1)), unit))
            (stat(t(lang, "worklist.soon"), &thousands(count(2)), unit))
            (stat(t(lang, "worklist.total"), &thousands(rows.len() as i64), t(lang, "worklist.unit_enrolments")))
        }
        p { a href="/registry" { (t(lang, "worklist.registers")) } }
        @for (i, (key, empty)) in [
            ("worklist.overdue", "worklist.overdue_empty"),
            ("worklist.due", "worklist.due_empty"),
            ("worklist.soon", "worklist.soon_empty"),
        ].into_iter().enumerate() {
            @let items = sections.get(i).map(Vec::as_slice).unwrap_or(&[]);
            @let id = format!("section-{i}");
            section aria-labelledby=(id) {
                h2 id=(id) { (t(lang, key)) " " span.count-badge { (items.len()) } }
                @if items.is_empty() {
                    p.muted { (t(lang, empty)) }
                } @else {
                    (table(&app, lang, items))
                }
            }
        }
    };
    page(&ctx, t(lang, "worklist.title"), body).into_response()
}

fn table(app: &AppState, lang: Lang, items: &[Item]) -> Markup {
    let h_name = t(lang, "registry.name");
    let h_disease = t(lang, "worklist.disease");
    let h_last = t(lang, "registry.last_visit");
    let h_due = t(lang, "worklist.due_on");
    let h_status = t(lang, "worklist.status");
    html! {
        div.table-wrap {
            table.worklist {
                thead { tr {
                    th scope="col" { (h_name) }
                    th scope="col" { (h_disease) }
                    th scope="col" { (h_last) }
                    th scope="col" { (h_due) }
                    th scope="col" { (h_status) }
                    th scope="col" { span.visually-hidden { (t(lang, "worklist.action")) } }
                } }
                tbody {
                    @for item in items {
                        @let e = &item.row.enrolment;
                        @let disease = disease_label(app, lang, &e.disease);
                        tr {
                            th scope="row" data-label=(h_name) { a href={ "/residents/" (e.resident_id) } { (item.name) } }
                            td data-label=(h_disease) { (disease) }
                            td.nowrap data-label=(h_last) { (date_or_dash(lang, e.last_visit)) }
                            td.nowrap data-label=(h_due) { (date(lang, item.next.due)) }
                            td data-label=(h_status) { (followup_tag(lang, &item.next)) }
                            td.action {
                                a.button href={ "/registry/enrolments/" (e.id) "/followup" } {
                                    (t(lang, "worklist.record"))
                                    span.visually-hidden { " · " (item.name) " · " (disease) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
