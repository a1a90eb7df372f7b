//! `GET /registry/{disease}`: one register, filtered and paged, for the viewer's reach.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kernel::{Lang, mask_name};
use maud::{Markup, html};
use registry::RegisterRow;
use serde::Deserialize;

use super::{
    Orgs, PAGE_SIZE, actor, age, back_link, clinical_error, control_tag, date, date_or_dash,
    disease_name, district_name, followup_tag, next_followup, pick, sex,
};
use crate::ctx::{Ctx, Signed};
use crate::error::urlencode;
use crate::i18n::{t, tf};
use crate::layout::{count_line, page};
use crate::state::AppState;

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    district: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    centre: String,
    page: Option<usize>,
}

impl ListQuery {
    /// The register filter these choices mean, within `reach`.
    pub(super) fn filter(&self, reach: &registry::Reach, code: &str) -> registry::RegisterFilter {
        let chosen = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        let (controlled, followed_up) = match self.status.as_str() {
            "controlled" => (Some(true), None),
            "not_controlled" => (Some(false), None),
            "not_followed" => (None, Some(false)),
            _ => (None, None),
        };
        registry::RegisterFilter {
            reach: reach.clone(),
            disease: Some(code.to_owned()),
            district: chosen(&self.district),
            community_centre_id: chosen(&self.centre),
            controlled,
            followed_up,
            limit: u32::try_from(PAGE_SIZE).unwrap_or(50),
            offset: 0,
            ..Default::default()
        }
    }

    /// The register list's download link, `csv` or `xlsx`.
    fn download_href(&self, code: &str, extension: &str) -> String {
        format!(
            "/registry/{code}/patients.{extension}?district={}&status={}&centre={}",
            urlencode(&self.district),
            urlencode(&self.status),
            urlencode(&self.centre)
        )
    }

    fn href(&self, code: &str, page: usize) -> String {
        format!(
            "/registry/{code}?district={}&status={}&centre={}&page={page}",
            urlencode(&self.district),
            urlencode(&self.status),
            urlencode(&self.centre)
        )
    }
}

const STATUSES: [(&str, &str); 4] = [
    ("", "registry.status_all"),
    ("controlled", "registry.controlled"),
    ("not_controlled", "registry.not_controlled"),
    ("not_followed", "registry.not_followed"),
];

pub async fn show(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let lang = ctx.lang;
    let Some(template) = app.clinical.catalogue().get(&code) else {
        return unknown_disease(&app, &ctx, &code);
    };
    let actor = actor(&user);
    let reach = match app.clinical.register_reach(&actor).await {
        Ok(r) => r,
        Err(e) => return ctx.page_error(clinical_error(e)).into_response(),
    };
    let mut filter = q.filter(&reach, &code);
    let registers = app.clinical.registers();
    let (facets, total, orgs) = match (
        registers.facets(&filter).await,
        registers.count(&filter).await,
        Orgs::load(&app).await,
    ) {
        (Ok(f), Ok(n), Ok(o)) => (f, n, o),
        (Err(e), _, _) | (_, Err(e), _) => {
            return ctx.page_error(super::registry_error(e)).into_response();
        }
        (_, _, Err(e)) => return ctx.page_error(e).into_response(),
    };
    let today = clinical::today();

    // The choices the filters offer: what the reach holds.
    let (mut districts, centre_ids) = facets;
    districts.sort_by_key(|k| {
        city::districts()
            .all()
            .iter()
            .position(|d| &d.key == k)
            .unwrap_or(usize::MAX)
    });
    let mut centres: Vec<(String, String)> = centre_ids
        .into_iter()
        .map(|id| {
            let name = orgs.name(Some(&id), lang);
            (id, name)
        })
        .collect();
    centres.sort_by(|a, b| a.1.cmp(&b.1));

    let total = usize::try_from(total).unwrap_or(usize::MAX);
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page_no = q.page.unwrap_or(1).clamp(1, pages);
    filter.offset = u32::try_from((page_no - 1) * PAGE_SIZE).unwrap_or(u32::MAX);
    let rows = match registers.list(&filter).await {
        Ok(r) => r,
        Err(e) => return ctx.page_error(super::registry_error(e)).into_response(),
    };
    let mut lines = Vec::new();
    for row in &rows {
        let id = &row.enrolment.resident_id;
        // The list comes from the reach; the index is read only for residents the actor sees.
        let visible = match app.clinical.may_see_resident(&actor, id).await {
            Ok(v) => v,
            Err(e) => return ctx.page_error(clinical_error(e)).into_response(),
        };
        if !visible {
            continue;
        }
        let name = match app.clinical.residents().resident(id).await {
            Ok(r) => r
                .and_then(|r| r.facts.name)
                .map(|n| mask_name(&n))
                .unwrap_or_else(|| "—".into()),
            Err(e) => return ctx.page_error(super::registry_error(e)).into_response(),
        };
        lines.push((name, row));
    }

    // Columns that would say the same on every row are left out (a centre's own list).
    let show_district = districts.len() > 1;
    let show_centre = centres.len() > 1;
    let title = tf(
        lang,
        "registry.list_title",
        &[("disease", disease_name(lang, template))],
    );
    let body = html! {
        (back_link("/registry", t(lang, "registry.title")))
        h1 { (title) }
        p.lead { (pick(lang, &template.followup().standard_zh, &template.followup().standard_en)) }
        form.filters method="get" action={ "/registry/" (code) } role="search" aria-label=(t(lang, "registry.filters")) {
            @if show_district { div.field {
                label for="district" { (t(lang, "registry.district")) }
                select id="district" name="district" {
                    option value="" { (t(lang, "registry.all_districts")) }
                    @for d in &districts {
                        option value=(d) selected[*d == q.district] { (district_name(lang, Some(d))) }
                    }
                }
            } }
            @if centres.len() > 1 {
                div.field {
                    label for="centre" { (t(lang, "registry.centre")) }
                    select id="centre" name="centre" {
                        option value="" { (t(lang, "registry.all_centres")) }
                        @for (id, name) in &centres {
                            option value=(id) selected[*id == q.centre] { (name) }
                        }
                    }
                }
            }
            div.field {
                label for="status" { (t(lang, "registry.control_status")) }
                select id="status" name="status" {
                    @for (value, key) in STATUSES {
                        option value=(value) selected[value == q.status] { (t(lang, key)) }
                    }
                }
            }
            div.field.filter-submit { button.button-secondary type="submit" { (t(lang, "admin.filter")) } }
        }
        (count_line(lang, total))
        @if !lines.is_empty() {
            p.actions {
                a.button.button-secondary href=(q.download_href(&code, "csv")) download { (t(lang, "registry.export_csv")) }
                a.button.button-secondary href=(q.download_href(&code, "xlsx")) download { (t(lang, "registry.export_xlsx")) }
            }
        }
        @if lines.is_empty() {
            p.muted { (t(lang, "registry.empty")) }
        } @else {
            div.table-wrap {
                table.register {
                    caption.visually-hidden { (title) }
                    thead { tr {
                        th scope="col" { (t(lang, "registry.name")) }
                        th scope="col" { (t(lang, "registry.sex")) }
                        th scope="col" { (t(lang, "registry.age")) }
                        @if show_district { th scope="col" { (t(lang, "registry.district")) } }
                        @if show_centre { th scope="col" { (t(lang, "registry.centre")) } }
                        th scope="col" { (t(lang, "registry.enrolled_on")) }
                        th scope="col" { (t(lang, "registry.reason")) }
                        th scope="col" { (t(lang, "registry.last_visit")) }
                        th scope="col" { (t(lang, "registry.next_followup")) }
                        th scope="col" { (t(lang, "registry.control_status")) }
                    } }
                    tbody {
                        @for (name, row) in &lines {
                            (row_markup(lang, &orgs, template, name, row, today, (show_district, show_centre)))
                        }
                    }
                }
            }
            (pager(lang, &q, &code, page_no, pages))
        }
    };
    page(&ctx, &title, body).into_response()
}

fn row_markup(
    lang: Lang,
    orgs: &Orgs,
    template: &diseases::Template,
    name: &str,
    row: &RegisterRow,
    today: jiff::civil::Date,
    (show_district, show_centre): (bool, bool),
) -> Markup {
    let e = &row.enrolment;
    let next = next_followup(template, e, today);
    html! {
        tr {
            th.nowrap scope="row" { a href={ "/residents/" (e.resident_id) } { (name) } }
            td { (sex(lang, row.sex.as_deref())) }
            td.nowrap { (age(lang, row.birth_date, today)) }
            @if show_district { td.nowrap { (district_name(lang, row.district.as_deref())) } }
            @if show_centre { td { (orgs.name(row.community_centre_id.as_deref(), lang)) } }
            td.nowrap { (date(lang, e.enrolled_on)) }
            td.nowrap { (short_reason(e)) }
            td.nowrap { (date_or_dash(lang, e.last_visit)) }
            td.nowrap { (date(lang, next.due)) br; (followup_tag(lang, &next)) }
            td { (control_tag(lang, e)) }
        }
    }
}

/// The code that brought the resident onto the register, e.g. `ICD-10 I10`; the full reason
/// is on the timeline.
pub fn short_reason(e: &registry::Enrolment) -> String {
    let system = e.code_system.to_ascii_lowercase();
    let label = if system.contains("icd-10") || system.ends_with("2.16.156.10011.2.3.3.11") {
        "ICD-10"
    } else if system.contains("snomed") {
        "SNOMED CT"
    } else {
        e.rule.split_whitespace().next().unwrap_or("")
    };
    format!("{label} {}", e.code).trim().to_owned()
}

fn pager(lang: Lang, q: &ListQuery, code: &str, page_no: usize, pages: usize) -> Markup {
    html! {
        @if pages > 1 {
            nav.pager aria-label=(t(lang, "registry.pages")) {
                @if page_no > 1 { a rel="prev" href=(q.href(code, page_no - 1)) { (t(lang, "registry.prev")) } }
                span { (tf(lang, "registry.page_of", &[("page", &page_no.to_string()), ("pages", &pages.to_string())])) }
                @if page_no < pages { a rel="next" href=(q.href(code, page_no + 1)) { (t(lang, "registry.next")) } }
            }
        }
    }
}

/// 404 with the registers that do exist.
fn unknown_disease(app: &AppState, ctx: &Ctx, code: &str) -> Response {
    let lang = ctx.lang;
    let body = html! {
        (back_link("/registry", t(lang, "registry.title")))
        h1 { (t(lang, "registry.unknown_disease")) }
        p.lead { (tf(lang, "registry.unknown_disease_text", &[("code", code)])) }
        ul {
            @for tpl in app.clinical.catalogue().templates() {
                li { a href={ "/registry/" (tpl.code) } { (disease_name(lang, tpl)) } }
            }
        }
    };
    (
        StatusCode::NOT_FOUND,
        page(ctx, t(lang, "registry.unknown_disease"), body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filters() {
        let q = ListQuery {
            district: "gulou".into(),
            status: "not_followed".into(),
            centre: String::new(),
            page: None,
        };
        assert_eq!(
            q.href("hypertension", 2),
            "/registry/hypertension?district=gulou&status=not_followed&centre=&page=2"
        );
    }

    #[test]
    fn the_choices_become_a_register_filter() {
        let q = ListQuery {
            district: "gulou".into(),
            status: "not_followed".into(),
            centre: String::new(),
            page: Some(3),
        };
        let f = q.filter(&registry::Reach::All, "t2dm");
        assert_eq!(f.disease.as_deref(), Some("t2dm"));
        assert_eq!(f.district.as_deref(), Some("gulou"));
        assert_eq!(
            f.community_centre_id, None,
            "an empty choice filters nothing"
        );
        assert_eq!((f.followed_up, f.controlled), (Some(false), None));
        let controlled = ListQuery {
            status: "controlled".into(),
            ..q
        };
        assert_eq!(
            controlled.filter(&registry::Reach::All, "t2dm").controlled,
            Some(true)
        );
    }
}
