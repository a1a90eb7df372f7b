//! The S1 pages through HTTP on both backends, with the demo city and its health records: the
//! registers, a resident's timeline, the work list and the follow-up form, each for the roles
//! that may see them, and refused or aggregated for the others.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use axum::http::StatusCode;
use clinical::Actor;
use ledger::PurposeOfUse;
use registry::{Reach, RegisterFilter};
use store::testing::TestDatabases;
use support::{App, Client, app};

async fn signed_in<'a>(app: &'a App, username: &str) -> Client<'a> {
    let mut client = Client::new(app);
    let reply = client.login(username, demo::DEMO_PASSWORD).await;
    assert_eq!(
        reply.status,
        StatusCode::SEE_OTHER,
        "{username} signs in: {}",
        reply.body
    );
    client
}

/// The first `prefix…"` link target in a page, without the prefix.
fn first_link(body: &str, prefix: &str) -> Option<String> {
    let marker = format!("href=\"{prefix}");
    let start = body.find(&marker)? + marker.len();
    Some(
        body[start..]
            .split(['"', '/', '?'])
            .next()
            .unwrap_or("")
            .to_owned(),
    )
}

/// Full names of every registered resident, to check that pages never show one.
async fn full_names(app: &App) -> Vec<String> {
    let rows = app
        .clinical
        .registers()
        .list(&RegisterFilter {
            reach: Reach::All,
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut names = Vec::new();
    for row in rows {
        if let Some(r) = app
            .clinical
            .residents()
            .resident(&row.enrolment.resident_id)
            .await
            .unwrap()
        {
            names.extend(r.facts.name.filter(|n| n.chars().count() >= 3));
        }
    }
    names
}

/// The numerator of an indicator as a card shows it: `12.5% (3 / 24)`.
fn numerator(shown: &str) -> u64 {
    let rate = shown.find("class=\"rate\"").expect("a rate");
    let start = rate + shown[rate..].find('(').expect("a numerator") + 1;
    shown[start..]
        .split(" / ")
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap()
}

/// The community health centre of the demo community doctor.
async fn doctor_centre(app: &App) -> Option<String> {
    let id = app
        .accounts
        .user_id_by_username("community.doctor")
        .await
        .unwrap()?;
    Some(app.accounts.user(&id).await.unwrap()?.organisation_id)
}

/// What a register card shows for an indicator: from its name to the end of its value.
fn indicator_shown<'a>(body: &'a str, name: &str) -> &'a str {
    let start = body
        .find(&format!("<dt>{name}</dt>"))
        .unwrap_or_else(|| panic!("{name} is on the page"));
    let rest = &body[start..];
    &rest[..rest.find("</dd>").unwrap_or(rest.len())]
}

fn shows_no_full_name(body: &str, names: &[String], page: &str) {
    if let Some(n) = names.iter().find(|n| body.contains(n.as_str())) {
        panic!("{page} shows the full name {n}");
    }
}

#[tokio::test]
async fn registry_pages_serve_each_role_within_its_reach() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let today = clinical::today();
        support::add_demo_records(&app, support::DEMO_RESIDENTS).await;
        let names = full_names(&app).await;

        // The community doctor: the registers of her centre, with indicators.
        let mut doctor = signed_in(&app, "community.doctor").await;
        let overview = doctor.get("/registry").await;
        assert_eq!(overview.status, StatusCode::OK);
        assert!(overview.body.contains("高血压"));
        assert!(overview.body.contains("规范管理率"));
        assert!(overview.body.contains('%'));
        assert!(overview.body.contains("href=\"/registry/hypertension\""));
        // Every built-in indicator is measured, those counted from arriving records too: the
        // demo's lipid tests, spirometries and rehabilitation follow-ups give them rates.
        assert!(
            !overview.body.contains("尚未统计"),
            "every indicator is measured"
        );
        for name in ["LDL-C达标率", "肺功能检查率", "康复随访率"] {
            let shown = indicator_shown(&overview.body, name);
            assert!(shown.contains("class=\"rate\""), "{name}: {shown}");
        }
        // An LDL-C result sent by a hospital moves the figure at once: one of her coronary
        // patients tested above the target today, then below it.
        let coronary = app
            .clinical
            .registers()
            .list(&RegisterFilter {
                disease: Some("chd".into()),
                followed_up: Some(true),
                limit: 10_000,
                ..Default::default()
            })
            .await
            .unwrap();
        let centre = doctor_centre(&app).await;
        let row = coronary
            .iter()
            .find(|r| r.community_centre_id == centre)
            .expect("a coronary patient of her centre");
        let (hospital, patient) = app
            .clinical
            .residents()
            .sources(&row.enrolment.resident_id)
            .await
            .unwrap()
            .into_iter()
            .next()
            .unwrap();
        let lab = Actor {
            purpose: PurposeOfUse::Treatment,
            ..Actor::system(&hospital)
        };
        let ldl = |mmol: f64| {
            serde_json::json!({
                "resourceType": "Observation",
                "status": "final",
                "code": { "coding": [{ "system": "http://loinc.org", "code": "18262-6" }] },
                "subject": { "reference": format!("Patient/{patient}") },
                "effectiveDateTime": today.to_string(),
                "valueQuantity": { "value": mmol, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L" }
            })
        };
        let mut figure = async |mmol: f64| {
            app.clinical.create(&lab, ldl(mmol), None).await.unwrap();
            let page = doctor.get("/registry").await;
            numerator(indicator_shown(&page.body, "LDL-C达标率"))
        };
        let above = figure(3.4).await;
        let below = figure(1.4).await;
        assert_eq!(below, above + 1, "the latest LDL-C counts");

        let list = doctor.get("/registry/hypertension").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("高血压登记名单"));
        assert!(list.body.contains("共 "));
        assert!(list.body.contains("<th scope=\"col\">"));
        shows_no_full_name(&list.body, &names, "the register");
        let resident = first_link(&list.body, "/residents/").expect("a resident link");
        let filtered = doctor
            .get("/registry/hypertension?status=not_followed&district=&centre=")
            .await;
        assert_eq!(filtered.status, StatusCode::OK);
        assert!(filtered.body.contains("未随访"));
        let unknown = doctor.get("/registry/no-such-disease").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(unknown.body.contains("no-such-disease"));
        assert!(unknown.body.contains("href=\"/registry/t2dm\""));

        // A timeline: why enrolled, a trend chart with its table, entries by date.
        let timeline = doctor.get(&format!("/residents/{resident}")).await;
        assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.body);
        assert!(timeline.body.contains("的健康档案"));
        assert!(timeline.body.contains("ICD-10"));
        assert!(timeline.body.contains("<svg"));
        assert!(timeline.body.contains("表格视图"));
        assert!(timeline.body.contains("诊断"));
        shows_no_full_name(&timeline.body, &names, "the timeline");

        // The work list, and a follow-up recorded from it.
        let worklist = doctor.get("/worklist").await;
        assert_eq!(worklist.status, StatusCode::OK);
        assert!(worklist.body.contains("已逾期"));
        shows_no_full_name(&worklist.body, &names, "the work list");
        let enrolment_id =
            first_link(&worklist.body, "/registry/enrolments/").expect("a follow-up button");
        let enrolment = app
            .clinical
            .registers()
            .enrolment(&enrolment_id)
            .await
            .unwrap()
            .unwrap();
        let template = app.clinical.catalogue().get(&enrolment.disease).unwrap();
        let form_uri = format!("/registry/enrolments/{enrolment_id}/followup");
        let form = doctor.get(&form_uri).await;
        assert_eq!(form.status, StatusCode::OK);
        let first = template
            .elements()
            .iter()
            .find(|e| e.required_at_followup)
            .unwrap();
        assert!(form.body.contains(&format!("name=\"{}\"", first.key)));
        assert!(form.body.contains("合理范围"));
        let csrf = form.csrf();

        let good: Vec<(String, String)> = template
            .elements()
            .iter()
            .filter(|e| e.required_at_followup)
            .map(|e| {
                let mid = (e.plausible.low + e.plausible.high) / 2.0;
                let v = if e.integer { mid.round() } else { mid };
                (e.key.clone(), v.to_string())
            })
            .collect();
        let mut bad = good.clone();
        let wrong = (first.plausible.high * 10.0 + 1.0).round().to_string();
        bad[0].1 = wrong.clone();
        let fields = |values: &[(String, String)]| {
            let mut f = vec![
                ("_csrf".to_owned(), csrf.clone()),
                ("visit_date".to_owned(), today.to_string()),
            ];
            f.extend(values.iter().cloned());
            f
        };
        let as_refs = |f: &[(String, String)]| -> Vec<(String, String)> { f.to_vec() };
        let bad_fields = as_refs(&fields(&bad));
        let refused = doctor
            .post_form(
                &form_uri,
                &bad_fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("error-summary"));
        assert!(refused.body.contains("超出合理范围"), "{}", refused.body);
        assert!(refused.body.contains(&format!("value=\"{wrong}\"")));
        let unchanged = app
            .clinical
            .registers()
            .enrolment(&enrolment_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unchanged.last_visit, enrolment.last_visit);

        let good_fields = fields(&good);
        let recorded = doctor
            .post_form(
                &form_uri,
                &good_fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            )
            .await;
        assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
        assert!(recorded.body.contains("随访已记录"));
        assert!(recorded.body.contains("控制情况"));
        let moved = app
            .clinical
            .registers()
            .enrolment(&enrolment_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(moved.last_visit, Some(today));

        // A hospital doctor: a resident outside the hospital's reach is not found.
        let hospital = app
            .accounts
            .user_id_by_username("doctor")
            .await
            .unwrap()
            .unwrap();
        let hospital_user = app.accounts.user(&hospital).await.unwrap().unwrap();
        let hospital_actor = Actor {
            user_id: hospital.clone(),
            organisation_id: hospital_user.organisation_id.clone(),
            read: Some(access::RecordScope::Linked {
                organisations: vec![hospital_user.organisation_id.clone()],
                districts: vec![],
            }),
            write: true,
            purpose: PurposeOfUse::Treatment,
        };
        let everyone = app
            .clinical
            .registers()
            .list(&RegisterFilter {
                reach: Reach::All,
                limit: 10_000,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut outside = None;
        for row in &everyone {
            let id = &row.enrolment.resident_id;
            if !app
                .clinical
                .may_see_resident(&hospital_actor, id)
                .await
                .unwrap()
            {
                outside = Some(id.clone());
                break;
            }
        }
        let outside = outside.expect("a resident the hospital never saw");
        let mut other = signed_in(&app, "doctor").await;
        let hidden = other.get(&format!("/residents/{outside}")).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        let own_list = other.get("/registry/hypertension").await;
        assert_eq!(own_list.status, StatusCode::OK);
        assert!(!own_list.body.contains(&format!("/residents/{outside}\"")));

        // The uncertain identity matches the demo leaves are the sending hospital's to decide.
        let reviews = other.get("/registry/reviews").await;
        assert_eq!(reviews.status, StatusCode::OK);
        assert_eq!(
            reviews
                .body
                .matches("<section class=\"card review\">")
                .count(),
            demo::DEMO_REVIEWS,
            "{}",
            reviews.body
        );
        shows_no_full_name(&reviews.body, &names, "the reviews");
        assert!(
            doctor
                .get("/registry/reviews")
                .await
                .body
                .contains("没有待核实"),
            "not the community centre's"
        );

        // The platform administrator reads no health record.
        let mut admin = signed_in(&app, "admin").await;
        let refused = admin.get("/registry/hypertension").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            admin.get(&format!("/residents/{resident}")).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(admin.get("/worklist").await.status, StatusCode::FORBIDDEN);
        let explained = admin.get("/registry").await;
        assert_eq!(explained.status, StatusCode::OK);
        assert!(!explained.body.contains("/residents/"));

        // An official: aggregates and districts compared, no names, no register lists.
        let mut official = signed_in(&app, "health.official").await;
        let aggregates = official.get("/registry").await;
        assert_eq!(aggregates.status, StatusCode::OK);
        assert!(aggregates.body.contains("各区比较"));
        assert!(aggregates.body.contains("<svg"));
        assert!(aggregates.body.contains("鼓楼区"));
        assert!(!aggregates.body.contains("/residents/"));
        shows_no_full_name(&aggregates.body, &names, "the officials' overview");
        let compared = official.get("/registry?disease=t2dm").await;
        assert_eq!(compared.status, StatusCode::OK);
        assert_eq!(
            official.get("/registry/hypertension").await.status,
            StatusCode::FORBIDDEN
        );
        let mut district = signed_in(&app, "gulou.official").await;
        let own = district.get("/registry").await;
        assert_eq!(own.status, StatusCode::OK);
        assert!(own.body.contains("鼓楼区"));
        assert!(
            !own.body.contains("玄武区"),
            "a district official sees only their district"
        );

        // The resident: their own record.
        let mut resident_client = signed_in(&app, "resident").await;
        let mine = resident_client.get("/me/record").await;
        assert_eq!(mine.status, StatusCode::SEE_OTHER);
        let own_record = resident_client.get(mine.location()).await;
        assert_eq!(own_record.status, StatusCode::OK);
        assert!(own_record.body.contains("高血压"));
        assert!(!own_record.body.contains("录入随访"));
        assert_eq!(
            resident_client
                .get(&format!("/residents/{outside}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        drill_down(&app, &names).await;

        // English works too.
        let english = doctor.get("/lang/en?next=/worklist").await;
        assert!(english.status.is_redirection());
        let worklist_en = doctor.get("/worklist").await;
        assert!(worklist_en.body.contains("Record follow-up"));
    }
}

#[tokio::test]
async fn a_resident_without_a_record_is_told_so() {
    let dbs = TestDatabases::new().await;
    let app = app(&dbs.sqlite).await;
    let mut resident = signed_in(&app, "resident").await;
    let page = resident.get("/me/record").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("还没有健康档案"));
    let overview = resident.get("/registry").await;
    assert_eq!(overview.status, StatusCode::OK);
    let list = resident.get("/registry/hypertension").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("共 0 条"));
}

/// The CSV's data lines (after the BOM and the header), fields unquoted; a field holding a
/// comma stays whole.
fn csv_lines(body: &str) -> Vec<Vec<String>> {
    let mut lines = Vec::new();
    for line in body.trim_start_matches('\u{feff}').split("\r\n").skip(1) {
        if line.is_empty() {
            continue;
        }
        let inner = line
            .strip_prefix('"')
            .and_then(|l| l.strip_suffix('"'))
            .unwrap();
        lines.push(
            inner
                .split("\",\"")
                .map(|f| f.replace("\"\"", "\""))
                .collect(),
        );
    }
    lines
}

fn is_csv_download(reply: &support::Reply) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let disposition = reply.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(reply.body.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(reply.body.contains("\r\n"));
}

/// A download's status, headers and bytes as sent (the client's reply keeps text only).
async fn download(
    client: &Client<'_>,
    app: &App,
    uri: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let cookies = client
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let request = axum::http::Request::get(uri)
        .header(axum::http::header::COOKIE, cookies)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

/// A cell of a workbook's sheet as read back.
#[derive(Debug, Clone, PartialEq)]
enum XCell {
    Text(String),
    Number(f64),
    Blank,
}

/// The one sheet of a workbook: its name, its rows (header first) and its raw XML.
struct Sheet {
    name: String,
    rows: Vec<Vec<XCell>>,
    xml: String,
    styles: String,
}

fn zip_entry(archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str) -> String {
    use std::io::Read;
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name} in the workbook: {e}"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The value of `name="…"` in an element's attributes.
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!(" {name}=\"");
    let start = format!(" {attrs}").find(&marker)? + marker.len() - 1;
    attrs[start..].split('"').next()
}

/// Reads an .xlsx download back: a zip holding one sheet, its strings shared.
fn read_xlsx(bytes: &[u8]) -> Sheet {
    assert!(bytes.starts_with(b"PK"), "a zip file");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let workbook = zip_entry(&mut archive, "xl/workbook.xml");
    assert_eq!(workbook.matches("<sheet ").count(), 1, "one sheet");
    let name = workbook
        .split("<sheet ")
        .nth(1)
        .and_then(|a| attribute(a, "name"))
        .map(unescape)
        .unwrap();
    let strings: Vec<String> = if archive.by_name("xl/sharedStrings.xml").is_ok() {
        zip_entry(&mut archive, "xl/sharedStrings.xml")
            .split("<si>")
            .skip(1)
            .map(|si| {
                let t = &si[si.find("<t").unwrap()..];
                let text = &t[t.find('>').unwrap() + 1..t.find("</t>").unwrap()];
                unescape(text)
            })
            .collect()
    } else {
        Vec::new()
    };
    let xml = zip_entry(&mut archive, "xl/worksheets/sheet1.xml");
    let styles = zip_entry(&mut archive, "xl/styles.xml");
    let mut rows = Vec::new();
    for row in xml.split("<row ").skip(1) {
        let row = row.split("</row>").next().unwrap();
        let mut cells = Vec::new();
        for c in row.split("<c ").skip(1) {
            let attrs = &c[..c.find('>').unwrap()];
            let reference = attribute(attrs, "r").unwrap();
            let column = reference
                .chars()
                .take_while(char::is_ascii_uppercase)
                .fold(0usize, |n, ch| n * 26 + (ch as usize - 'A' as usize + 1))
                - 1;
            let value = c
                .find("<v>")
                .map(|i| &c[i + 3..i + 3 + c[i + 3..].find("</v>").unwrap()]);
            let cell = match (attribute(attrs, "t"), value) {
                (_, None) => XCell::Blank,
                (Some("s"), Some(v)) => XCell::Text(strings[v.parse::<usize>().unwrap()].clone()),
                (None | Some("n"), Some(v)) => XCell::Number(v.parse().unwrap()),
                (t, v) => panic!("unexpected cell {t:?} {v:?}"),
            };
            cells.resize(column, XCell::Blank);
            cells.push(cell);
        }
        rows.push(cells);
    }
    Sheet {
        name,
        rows,
        xml,
        styles,
    }
}

/// An .xlsx download: its media type, its file name, and its sheet.
fn is_xlsx_download(
    (status, headers, bytes): &(StatusCode, axum::http::HeaderMap, Vec<u8>),
) -> Sheet {
    assert_eq!(
        *status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(bytes)
    );
    assert_eq!(
        headers["content-type"].to_str().unwrap(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".xlsx\""),
        "{disposition}"
    );
    read_xlsx(bytes)
}

/// The workbook holds the CSV's header and rows, cell for cell: counts as numbers, rates as
/// numbers shown as percentages, text as text, nothing where the CSV has nothing.
fn same_as_csv(sheet: &Sheet, csv: &str) {
    let header = csv
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .next()
        .unwrap();
    let header: Vec<XCell> = header
        .trim_matches('"')
        .split("\",\"")
        .map(|f| XCell::Text(f.to_owned()))
        .collect();
    assert_eq!(sheet.rows[0], header, "the same header");
    let lines = csv_lines(csv);
    assert_eq!(sheet.rows.len() - 1, lines.len(), "the same rows");
    for (row, line) in sheet.rows[1..].iter().zip(&lines) {
        for (i, field) in line.iter().enumerate() {
            match row.get(i).unwrap_or(&XCell::Blank) {
                XCell::Text(s) => assert_eq!(s, field),
                XCell::Number(x) if field.ends_with('%') => {
                    assert_eq!(&format!("{:.1}%", x * 100.0), field, "a rate")
                }
                XCell::Number(x) => assert_eq!(&x.to_string(), field, "a count"),
                XCell::Blank => assert_eq!(field, "", "nothing in the CSV either"),
            }
        }
    }
}

/// The CSV and the Excel download of a table are allowed and refused alike.
async fn csv_and_xlsx_alike(
    client: &mut Client<'_>,
    app: &App,
    stem: &str,
    query: &str,
) -> StatusCode {
    let csv = client.get(&format!("{stem}.csv{query}")).await.status;
    let (xlsx, _, _) = download(client, app, &format!("{stem}.xlsx{query}")).await;
    assert_eq!(csv, xlsx, "{stem}{query}: the Excel download as the CSV");
    xlsx
}

/// Drill-down from the districts' comparison to a district, its centres and a centre; the
/// CSV exports; officials stay in their scope and never see a name.
async fn drill_down(app: &App, names: &[String]) {
    let today = clinical::today();
    let mut official = signed_in(app, "health.official").await;
    let compared = official.get("/registry?disease=hypertension").await;
    assert!(
        compared
            .body
            .contains("href=\"/registry/hypertension/districts/gulou\""),
        "each district links to its drill-down"
    );
    assert!(
        compared
            .body
            .contains("href=\"/registry/hypertension/districts.csv\"")
    );
    assert!(compared.body.contains("CSV（可用 Excel 打开）"));
    assert!(
        compared
            .body
            .contains("href=\"/registry/hypertension/districts.xlsx\""),
        "an Excel download beside the CSV"
    );
    assert!(compared.body.contains("导出 Excel"));

    let district = official.get("/registry/hypertension/districts/gulou").await;
    assert_eq!(district.status, StatusCode::OK, "{}", district.body);
    assert!(district.body.contains("鼓楼区·高血压"));
    assert!(district.body.contains("各社区卫生服务中心比较"));
    assert!(district.body.contains("<svg"));
    assert!(district.body.contains("规范管理率"));
    assert!(district.body.contains("来源："));
    assert!(district.body.contains("统计时点"));
    assert!(district.body.contains(&format!("{}年", today.year())));
    assert!(!district.body.contains("/residents/"));
    shows_no_full_name(&district.body, names, "an official's district page");
    let centre_id = first_link(&district.body, "/registry/hypertension/centres/")
        .expect("each centre links to its page");
    let centre_uri = format!("/registry/hypertension/centres/{centre_id}");
    let centre = official.get(&centre_uri).await;
    assert_eq!(centre.status, StatusCode::OK, "{}", centre.body);
    assert!(centre.body.contains("规范管理率"));
    assert!(
        !centre.body.contains("status=not_controlled"),
        "an official's drill-down stops at the centre's figures"
    );
    assert!(!centre.body.contains("/residents/"));
    shows_no_full_name(&centre.body, names, "an official's centre page");
    let last_year = official
        .get(&format!(
            "/registry/hypertension/districts/gulou?year={}",
            today.year() - 1
        ))
        .await;
    assert_eq!(last_year.status, StatusCode::OK);
    assert!(
        last_year
            .body
            .contains(&format!("{}年12月31日", today.year() - 1))
    );

    // The figures on the page are the register's counts; the CSV has the same.
    let template = app.clinical.catalogue().get("hypertension").unwrap();
    let plan = template.followup();
    let gulou = app
        .clinical
        .registers()
        .counts(
            &RegisterFilter {
                disease: Some("hypertension".into()),
                district: Some("gulou".into()),
                ..Default::default()
            },
            today,
            plan.min_visits_per_year.value,
            plan.interval_days.value + plan.grace_days.value,
        )
        .await
        .unwrap();
    assert!(gulou.registered > 0);
    let districts_csv = official.get("/registry/hypertension/districts.csv").await;
    is_csv_download(&districts_csv);
    let header = districts_csv.body.lines().next().unwrap();
    assert!(
        header.starts_with("\u{feff}\"区\",\"登记人数\""),
        "{header}"
    );
    assert!(header.contains("高血压患者规范管理率·分子"));
    assert!(header.contains("高血压患者规范管理率·分母"));
    assert!(header.contains("高血压患者规范管理率·率"));
    let rows = csv_lines(&districts_csv.body);
    assert_eq!(rows.len(), city::districts().all().len());
    let row = rows.iter().find(|r| r[0] == "鼓楼区").unwrap();
    assert_eq!(row[1], gulou.registered.to_string());
    // standard management: standard / managed (followed up)
    assert_eq!(row[2], gulou.standard.to_string());
    assert_eq!(row[3], gulou.followed_up.to_string());
    assert!(
        district.body.contains(&row[4]),
        "the page shows the rate {}",
        row[4]
    );
    let centres_csv = official
        .get("/registry/hypertension/centres.csv?district=gulou")
        .await;
    is_csv_download(&centres_csv);
    assert!(centres_csv.body.contains("\"社区卫生服务中心\""));

    // The same tables as Excel workbooks: numbers as numbers, rates as percentages.
    let districts_xlsx =
        is_xlsx_download(&download(&official, app, "/registry/hypertension/districts.xlsx").await);
    assert_eq!(districts_xlsx.name, "高血压·各区指标");
    same_as_csv(&districts_xlsx, &districts_csv.body);
    let gulou_row = districts_xlsx
        .rows
        .iter()
        .find(|r| r[0] == XCell::Text("鼓楼区".into()))
        .expect("Gulou's row, its name intact");
    assert_eq!(gulou_row[1], XCell::Number(gulou.registered as f64));
    assert_eq!(gulou_row[2], XCell::Number(gulou.standard as f64));
    assert!(
        districts_xlsx
            .xml
            .contains(&format!("<v>{}</v>", gulou.registered)),
        "the count is a number in the sheet"
    );
    assert!(matches!(gulou_row[4], XCell::Number(x) if (0.0..=1.0).contains(&x)));
    assert!(districts_xlsx.styles.contains("formatCode=\"0.0%\""));
    assert!(districts_xlsx.styles.contains("<b/>"), "a bold header");
    assert!(districts_xlsx.xml.contains("<col "), "column widths");
    assert!(
        district
            .body
            .contains("href=\"/registry/hypertension/centres.xlsx?district=gulou&amp;year="),
        "{}",
        district.body
    );
    let centres_xlsx = is_xlsx_download(
        &download(
            &official,
            app,
            "/registry/hypertension/centres.xlsx?district=gulou",
        )
        .await,
    );
    assert_eq!(centres_xlsx.name, "高血压·各中心指标");
    same_as_csv(&centres_xlsx, &centres_csv.body);

    // A district official: their district only.
    let mut gulou_official = signed_in(app, "gulou.official").await;
    assert_eq!(
        gulou_official
            .get("/registry/hypertension/districts/gulou")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        gulou_official
            .get("/registry/hypertension/districts/xuanwu")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        gulou_official
            .get("/registry/hypertension/centres.csv?district=xuanwu")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let xuanwu_centre = app
        .accounts
        .organisations()
        .await
        .unwrap()
        .into_iter()
        .find(|o| {
            o.kind == access::OrganisationKind::CommunityHealthCentre
                && o.district.as_deref() == Some("xuanwu")
        })
        .expect("a centre in Xuanwu")
        .id;
    assert_eq!(
        official
            .get(&format!("/registry/hypertension/centres/{xuanwu_centre}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        gulou_official
            .get(&format!("/registry/hypertension/centres/{xuanwu_centre}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let own_csv = gulou_official
        .get("/registry/hypertension/districts.csv")
        .await;
    is_csv_download(&own_csv);
    assert_eq!(csv_lines(&own_csv.body).len(), 1, "only their district");
    let own_xlsx = is_xlsx_download(
        &download(
            &gulou_official,
            app,
            "/registry/hypertension/districts.xlsx",
        )
        .await,
    );
    assert_eq!(own_xlsx.rows.len(), 2, "a header and their district only");
    same_as_csv(&own_xlsx, &own_csv.body);
    for (stem, query, refused) in [
        (
            "/registry/hypertension/centres",
            "?district=xuanwu",
            StatusCode::NOT_FOUND,
        ),
        ("/registry/hypertension/patients", "", StatusCode::FORBIDDEN),
        ("/registry/no-such/districts", "", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            csv_and_xlsx_alike(&mut gulou_official, app, stem, query).await,
            refused,
            "{stem}{query}"
        );
    }
    // The administrator, who has no register scope, downloads nothing.
    let mut admin = signed_in(app, "admin").await;
    for (stem, query) in [
        ("/registry/hypertension/districts", ""),
        ("/registry/hypertension/centres", "?district=gulou"),
        ("/registry/hypertension/patients", ""),
    ] {
        assert_eq!(
            csv_and_xlsx_alike(&mut admin, app, stem, query).await,
            StatusCode::FORBIDDEN,
            "{stem}{query}"
        );
    }
    assert_eq!(
        gulou_official
            .get("/registry/hypertension/patients.csv")
            .await
            .status,
        StatusCode::FORBIDDEN,
        "officials export no patient rows"
    );
    assert_eq!(
        official
            .get("/registry/no-such/districts/gulou")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        official
            .get("/registry/hypertension/districts/atlantis")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A doctor: from her centre's figures to the patients behind them.
    let mut doctor = signed_in(app, "community.doctor").await;
    let doctor_user = app
        .accounts
        .user_id_by_username("community.doctor")
        .await
        .unwrap()
        .unwrap();
    let own_centre = app
        .accounts
        .user(&doctor_user)
        .await
        .unwrap()
        .unwrap()
        .organisation_id;
    let mine = doctor
        .get(&format!("/registry/hypertension/centres/{own_centre}"))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    let marker = "status=not_controlled&amp;centre=";
    assert!(
        mine.body.contains(marker),
        "a link to the patients behind the numbers"
    );
    assert!(mine.body.contains("未达标 "));
    let patients = doctor
        .get(&format!(
            "/registry/hypertension?district=&status=not_controlled&centre={own_centre}"
        ))
        .await;
    assert_eq!(patients.status, StatusCode::OK);
    shows_no_full_name(&patients.body, names, "the patients behind the figures");
    let list = doctor.get("/registry/hypertension").await;
    assert!(list.body.contains("/registry/hypertension/patients.csv?"));
    let before = app
        .ledger
        .entries_for_subject("register", "hypertension", 100)
        .await
        .unwrap()
        .len();
    let export = doctor
        .get("/registry/hypertension/patients.csv?district=&status=&centre=")
        .await;
    is_csv_download(&export);
    assert!(export.body.lines().next().unwrap().contains("\"姓名\""));
    assert!(!csv_lines(&export.body).is_empty());
    assert!(export.body.contains('*'), "names masked");
    shows_no_full_name(&export.body, names, "the register CSV");
    let after = app
        .ledger
        .entries_for_subject("register", "hypertension", 100)
        .await
        .unwrap();
    assert_eq!(after.len(), before + 1, "the export is on the ledger");
    assert_eq!(after[0].event.action, "registry.export");
    assert_eq!(after[0].event.actor, doctor_user);
    assert!(
        list.body
            .contains("/registry/hypertension/patients.xlsx?district=&amp;status=&amp;centre="),
        "an Excel download beside the list's CSV"
    );
    let register_xlsx = is_xlsx_download(
        &download(
            &doctor,
            app,
            "/registry/hypertension/patients.xlsx?district=&status=&centre=",
        )
        .await,
    );
    assert_eq!(register_xlsx.name, "高血压登记名单");
    same_as_csv(&register_xlsx, &export.body);
    for row in &register_xlsx.rows {
        if let XCell::Text(name) = &row[0] {
            shows_no_full_name(name, names, "the register workbook");
        }
    }
    let logged = app
        .ledger
        .entries_for_subject("register", "hypertension", 100)
        .await
        .unwrap();
    assert_eq!(
        logged.len(),
        after.len() + 1,
        "the workbook is on the ledger too"
    );
    assert_eq!(logged[0].event.action, "registry.export");
    assert_eq!(logged[0].event.actor, doctor_user);

    // A value with a comma is quoted whole: a centre named so, with one patient.
    let centre = app
        .accounts
        .create_organisation(access::NewOrganisation {
            kind: Some(access::OrganisationKind::CommunityHealthCentre),
            bureau: None,
            name_zh: "鼓楼测试社区卫生服务中心（演示）".into(),
            name_en: "Gulou Test Centre, North (demo)".into(),
            district: Some("gulou".into()),
            parent_id: None,
            uscc: None,
            internet_hospital: false,
        })
        .await
        .unwrap();
    let source = registry::SourceRecord {
        organisation_id: centre.id.clone(),
        source_patient_id: "comma-1".into(),
        facts: registry::PersonFacts {
            name: Some("逗号测试".into()),
            birth_date: Some(jiff::civil::date(1950, 1, 1)),
            ..Default::default()
        },
    };
    let resident = app
        .clinical
        .residents()
        .resolve(&source, || "res-comma".into())
        .await
        .unwrap()
        .resident_id()
        .unwrap()
        .to_owned();
    app.clinical
        .residents()
        .set_care_team(
            &resident,
            &registry::CareTeam {
                district: Some("gulou".into()),
                community_centre_id: Some(centre.id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.clinical
        .registers()
        .enrol(
            &registry::CaseFinding {
                resident_id: resident,
                disease: "hypertension".into(),
                found_on: today,
                source_organisation: centre.id.clone(),
                source_resource: "Condition/comma".into(),
                code_system: "http://hl7.org/fhir/sid/icd-10".into(),
                code: "I10".into(),
                rule: "ICD-10 I10–I15".into(),
                reason_zh: "I10".into(),
                reason_en: "I10".into(),
            },
            || "enr-comma".into(),
            1,
        )
        .await
        .unwrap()
        .unwrap();
    official.get("/lang/en?next=/registry").await;
    let english = official
        .get("/registry/hypertension/centres.csv?district=gulou")
        .await;
    is_csv_download(&english);
    assert!(
        english
            .body
            .lines()
            .next()
            .unwrap()
            .contains("\"Community health centre\""),
        "the header in the user's language"
    );
    assert!(
        english
            .body
            .contains("\r\n\"Gulou Test Centre, North (demo)\",\"1\","),
        "{}",
        english.body
    );
    let row = csv_lines(&english.body)
        .into_iter()
        .find(|r| r[0] == "Gulou Test Centre, North (demo)")
        .unwrap();
    assert_eq!(row[1], "1");
    let english_xlsx = is_xlsx_download(
        &download(
            &official,
            app,
            "/registry/hypertension/centres.xlsx?district=gulou",
        )
        .await,
    );
    assert_eq!(english_xlsx.name, "Hypertension by centre");
    same_as_csv(&english_xlsx, &english.body);
    let row = english_xlsx
        .rows
        .iter()
        .find(|r| r[0] == XCell::Text("Gulou Test Centre, North (demo)".into()))
        .unwrap();
    assert_eq!(row[1], XCell::Number(1.0));
}

#[tokio::test]
async fn the_sender_decides_an_uncertain_identity_match() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let users = app.accounts.users().await.unwrap();
        let doctor_of = |name: &str| {
            let u = users.iter().find(|u| u.username == name).unwrap();
            Actor {
                user_id: u.id.clone(),
                organisation_id: u.organisation_id.clone(),
                read: Some(access::RecordScope::Linked {
                    organisations: vec![u.organisation_id.clone()],
                    districts: vec![],
                }),
                write: true,
                purpose: PurposeOfUse::Treatment,
            }
        };
        let patient = |id_number: Option<&str>| {
            let mut p = serde_json::json!({
                "resourceType": "Patient",
                "name": [{ "family": "王", "given": ["芳"] }],
                "gender": "female",
                "birthDate": "1949-12-31"
            });
            if let Some(n) = id_number {
                p["identifier"] =
                    serde_json::json!([{ "system": "urn:oid:2.16.156.10011.1.1", "value": n }]);
            }
            p
        };
        app.clinical
            .create(
                &doctor_of("doctor"),
                patient(Some("11010519491231002X")),
                None,
            )
            .await
            .unwrap();
        app.clinical
            .create(&doctor_of("doctor021"), patient(None), None)
            .await
            .unwrap();

        // Only the sender's staff see it; names are masked.
        let mut other = signed_in(&app, "doctor").await;
        let none = other.get("/registry/reviews").await;
        assert_eq!(none.status, StatusCode::OK);
        assert!(none.body.contains("没有待核实"), "{}", none.body);
        let mut sender = signed_in(&app, "doctor021").await;
        let page = sender.get("/registry/reviews").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("王*"), "masked name shown");
        assert!(!page.body.contains("王芳"), "never the full name");
        assert!(page.body.contains("姓名一致"), "the evidence is explained");
        let start = page.body.find("action=\"/registry/reviews/").unwrap() + "action=\"".len();
        let action = page.body[start..].split('"').next().unwrap().to_owned();
        let same = page
            .body
            .split("value=\"same:")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let csrf = page.csrf();
        let bad = sender
            .post_form(&action, &[("_csrf", &csrf), ("decision", "maybe")])
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        let decided = sender
            .post_form(
                &action,
                &[("_csrf", &csrf), ("decision", &format!("same:{same}"))],
            )
            .await;
        assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
        let after = sender.get("/registry/reviews").await;
        assert!(after.body.contains("没有待核实"));
        let merges = app
            .ledger
            .entries_for_subject("resident", &same, 50)
            .await
            .unwrap();
        assert!(merges.iter().any(|e| e.event.action == "registry.merge"));
    }
}
