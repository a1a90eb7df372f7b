//! `/api/v1` routes of the innovation product lists and the hospital green channel (issue 6,
//! S8): the lists and their frozen versions, nominations and their decisions, publication,
//! the provincial listing date, a hospital's duties, adoptions and usage, alerts, bulletins,
//! and the overdue scan. The `greenchannel` crate decides who may do what: a refusal is 403
//! saying who may, bad input 422 naming the field, a state that does not allow the action 409.

use access::Role;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use greenchannel::{AlertFilter, AlertKind, NewNomination, Quarter};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::json::{answer, body, json_of};
use super::openapi::{json_body, object_ok as ok, problem};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::pages::products::lists::company_product;
use crate::pages::products::{both, gc_error, invalid, parse_date, today};
use crate::state::AppState;

/// The routes of this area, relative to `/api/v1`.
pub const ROUTES: &[&str] = &[
    "/products/lists",
    "/products/lists/{list}/versions",
    "/products/lists/{list}/versions/{n}",
    "/products/nominations",
    "/products/nominations/{id}",
    "/products/nominations/{id}/{action}",
    "/products/{product_id}/listing",
    "/products/hospitals/{id}/duties",
    "/products/hospitals/{id}/adoptions",
    "/products/hospitals/{id}/usage",
    "/products/adoption",
    "/products/alerts",
    "/products/alerts/{id}/acknowledge",
    "/products/bulletins",
    "/products/bulletins/{quarter}",
    "/products/scan",
    "/products/lists/{list}/products/{product_id}/removal",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(lists))
        .route(ROUTES[1], get(versions).post(publish))
        .route(ROUTES[2], get(version))
        .route(ROUTES[3], get(nominations).post(nominate))
        .route(ROUTES[4], get(nomination))
        .route(ROUTES[5], post(decide))
        .route(ROUTES[6], get(listing).put(record_listing))
        .route(ROUTES[7], get(duties))
        .route(ROUTES[8], post(adopt))
        .route(ROUTES[9], get(usage_history).post(report_usage))
        .route(ROUTES[10], get(adoption_by_hospital))
        .route(ROUTES[11], get(alerts))
        .route(ROUTES[12], post(acknowledge))
        .route(ROUTES[13], get(issued_bulletins))
        .route(ROUTES[14], get(bulletin).post(issue_bulletin))
        .route(ROUTES[15], post(scan))
        .route(ROUTES[16], post(remove))
}

fn quarter(text: &str) -> Result<Quarter, AppError> {
    text.parse().map_err(gc_error)
}

/// The lists with their rules, version history and the newest version in full, with the
/// provincial listing date of each of its products. Lists are public.
async fn lists(State(app): State<AppState>, Signed { ctx, .. }: Signed) -> Response {
    let result = async {
        let gc = &app.greenchannel;
        let rules = gc.rules();
        let mut items = Vec::new();
        for rule in &rules.lists {
            let versions = gc.versions(&rule.code).await.map_err(gc_error)?;
            let mut listings = Map::new();
            for p in versions.last().iter().flat_map(|v| &v.entries) {
                if let Some(l) = gc.listing(&p.product_id).await.map_err(gc_error)? {
                    listings.insert(p.product_id.clone(), json!(l.listed_on));
                }
            }
            items.push(json!({
                "code": rule.code,
                "name_zh": rule.name_zh,
                "name_en": rule.name_en,
                "compiled_by": rule.compiled_by.value,
                "compiled_by_source": rule.compiled_by.source,
                "adoption_deadline_months": rule.adoption_deadline_months.value,
                "adoption_deadline_source": rule.adoption_deadline_months.source,
                "versions": versions.iter().map(|v| json!({
                    "number": v.number,
                    "published_on": v.published_on,
                    "entries": v.entries.len(),
                    "removed": v.removed.len(),
                })).collect::<Vec<_>>(),
                "latest": versions.last(),
                "listed_on": listings,
            }));
        }
        Ok(json!({ "lists": items, "citations": rules.citations }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn versions(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Path(list): Path<String>,
) -> Response {
    let result = async {
        let all = app.greenchannel.versions(&list).await.map_err(gc_error)?;
        Ok(json!({ "list": list, "total": all.len(), "items": all }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn version(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Path((list, n)): Path<(String, String)>,
) -> Response {
    let result = async {
        let number: u32 = n
            .parse()
            .map_err(|_| invalid("n", "products.err.version_number", &[("value", &n)]))?;
        let v = app
            .greenchannel
            .version(&list, number)
            .await
            .map_err(gc_error)?;
        Ok(json_of(&v))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Publication {
    published_on: String,
}

async fn publish(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(list): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let p: Publication = body(&bytes)?;
        let on = parse_date("published_on", &p.published_on)?;
        let v = app
            .greenchannel
            .publish_version(&user, &list, on)
            .await
            .map_err(gc_error)?;
        Ok(json_of(&v))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
struct ListQuery {
    list: Option<String>,
}

async fn nominations(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<ListQuery>,
) -> Response {
    let result = async {
        let items = app
            .greenchannel
            .nominations(&user, q.list.as_deref())
            .await
            .map_err(gc_error)?;
        Ok(json!({ "total": items.len(), "items": items }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Nominating {
    list: String,
    product_id: String,
    evidence: String,
    #[serde(default)]
    registration_no: Option<String>,
    #[serde(default)]
    consumable: bool,
}

async fn nominate(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    bytes: Bytes,
) -> Response {
    let result = async {
        let n: Nominating = body(&bytes)?;
        let product = company_product(
            &app,
            &user,
            &n.product_id,
            n.registration_no.as_deref().unwrap_or(""),
            n.consumable,
        )
        .await?;
        let nomination = app
            .greenchannel
            .nominate(
                &user,
                NewNomination {
                    list: n.list,
                    product,
                    evidence: n.evidence,
                },
            )
            .await
            .map_err(gc_error)?;
        Ok(json_of(&nomination))
    }
    .await;
    answer(result, ctx.lang)
}

async fn nomination(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        Ok(json_of(
            &app.greenchannel
                .nomination(&user, &id)
                .await
                .map_err(gc_error)?,
        ))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Decision {
    #[serde(default)]
    reason: String,
}

async fn decide(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let d: Decision = body(&bytes)?;
        let gc = &app.greenchannel;
        let n = match action.as_str() {
            "approve" => gc.approve(&user, &id).await,
            "refuse" => gc.refuse(&user, &id, &d.reason).await,
            "withdraw" => gc.withdraw(&user, &id).await,
            _ => return Err(AppError::NotFound),
        }
        .map_err(gc_error)?;
        Ok(json_of(&n))
    }
    .await;
    answer(result, ctx.lang)
}

async fn remove(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((list, product_id)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let d: Decision = body(&bytes)?;
        let n = app
            .greenchannel
            .remove_from_list(&user, &list, &product_id, &d.reason)
            .await
            .map_err(gc_error)?;
        Ok(json_of(&n))
    }
    .await;
    answer(result, ctx.lang)
}

async fn listing(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Path(product_id): Path<String>,
) -> Response {
    let result = async {
        match app
            .greenchannel
            .listing(&product_id)
            .await
            .map_err(gc_error)?
        {
            Some(l) => Ok(json_of(&l)),
            None => Err(AppError::NotFound),
        }
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Listing {
    listed_on: String,
    evidence: String,
}

async fn record_listing(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(product_id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let l: Listing = body(&bytes)?;
        let on = parse_date("listed_on", &l.listed_on)?;
        let listing = app
            .greenchannel
            .record_listing(&user, &product_id, on, &l.evidence)
            .await
            .map_err(gc_error)?;
        Ok(json_of(&listing))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
struct DayQuery {
    day: Option<String>,
}

fn day_of(q: &DayQuery) -> Result<jiff::civil::Date, AppError> {
    match q.day.as_deref() {
        Some(text) => parse_date("day", text),
        None => Ok(today()),
    }
}

async fn duties(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(hospital): Path<String>,
    Query(q): Query<DayQuery>,
) -> Response {
    let result = async {
        let day = day_of(&q)?;
        let items = app
            .greenchannel
            .duties_of(&user, &hospital, day)
            .await
            .map_err(gc_error)?;
        Ok(json!({ "hospital_id": hospital, "day": day, "total": items.len(), "items": items }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Adoption {
    product_id: String,
    /// `adopted` or `not_needed`.
    outcome: String,
    on: String,
    #[serde(default)]
    catalogue_ref: String,
    #[serde(default)]
    reason: String,
}

async fn adopt(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(hospital): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let a: Adoption = body(&bytes)?;
        let gc = &app.greenchannel;
        let status = match a.outcome.as_str() {
            "adopted" => {
                let on = parse_date("on", &a.on)?;
                gc.record_adoption(&user, &hospital, &a.product_id, on, &a.catalogue_ref)
                    .await
            }
            "not_needed" => {
                let on = parse_date("on", &a.on)?;
                gc.declare_not_needed(&user, &hospital, &a.product_id, on, &a.reason)
                    .await
            }
            other => {
                return Err(invalid(
                    "outcome",
                    "products.err.outcome",
                    &[("value", other)],
                ));
            }
        }
        .map_err(gc_error)?;
        Ok(json!({
            "hospital_id": hospital,
            "product_id": a.product_id,
            "status": status,
            "code": status.code(),
        }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Usage {
    product_id: String,
    period: String,
    quantity: i64,
    amount_yuan: i64,
    /// Given when the quarter is already reported: the correction's reason.
    #[serde(default)]
    reason: Option<String>,
}

async fn report_usage(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(hospital): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let u: Usage = body(&bytes)?;
        let period = quarter(&u.period)?;
        let gc = &app.greenchannel;
        let report = match u.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(reason) => {
                gc.correct_usage(
                    &user,
                    &hospital,
                    &u.product_id,
                    period,
                    u.quantity,
                    u.amount_yuan,
                    reason,
                )
                .await
            }
            None => {
                gc.report_usage(
                    &user,
                    &hospital,
                    &u.product_id,
                    period,
                    u.quantity,
                    u.amount_yuan,
                )
                .await
            }
        }
        .map_err(gc_error)?;
        Ok(json_of(&report))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
struct UsageQuery {
    product_id: Option<String>,
    period: Option<String>,
}

async fn usage_history(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(hospital): Path<String>,
    Query(q): Query<UsageQuery>,
) -> Response {
    let result = async {
        let product_id = q
            .product_id
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| invalid("product_id", "products.err.choose_product", &[]))?;
        let period = quarter(q.period.as_deref().unwrap_or(""))?;
        let items = app
            .greenchannel
            .usage_history(&user, &hospital, &product_id, period)
            .await
            .map_err(gc_error)?;
        Ok(json!({ "total": items.len(), "items": items }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn adoption_by_hospital(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<DayQuery>,
) -> Response {
    let result = async {
        let day = day_of(&q)?;
        let items = app
            .greenchannel
            .adoption_by_hospital(&user, day)
            .await
            .map_err(gc_error)?;
        Ok(json!({ "day": day, "hospitals": items }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
struct AlertQuery {
    hospital_id: Option<String>,
    product_id: Option<String>,
    kind: Option<String>,
    open: Option<bool>,
}

async fn alerts(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<AlertQuery>,
) -> Response {
    let result = async {
        let kind = match q.kind.as_deref() {
            None | Some("") => None,
            Some("reminder") => Some(AlertKind::Reminder),
            Some("overdue") => Some(AlertKind::Overdue),
            Some(other) => {
                return Err(invalid(
                    "kind",
                    "products.err.alert_kind",
                    &[("value", other)],
                ));
            }
        };
        let items = app
            .greenchannel
            .alerts(
                &user,
                &AlertFilter {
                    hospital_id: q.hospital_id,
                    product_id: q.product_id,
                    kind,
                    open_only: q.open.unwrap_or(false),
                },
            )
            .await
            .map_err(gc_error)?;
        Ok(json!({ "total": items.len(), "items": items }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn acknowledge(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        Ok(json_of(
            &app.greenchannel
                .acknowledge(&user, &id)
                .await
                .map_err(gc_error)?,
        ))
    }
    .await;
    answer(result, ctx.lang)
}

async fn issued_bulletins(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let result = async {
        let items = app
            .greenchannel
            .issued_bulletins(&user)
            .await
            .map_err(gc_error)?;
        Ok(json!({ "total": items.len(), "items": items }))
    }
    .await;
    answer(result, ctx.lang)
}

/// The figures of an ended quarter, and the issued bulletin when there is one.
async fn bulletin(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(text): Path<String>,
) -> Response {
    let result = async {
        let period = quarter(&text)?;
        let gc = &app.greenchannel;
        let figures = gc.bulletin(&user, period).await.map_err(gc_error)?;
        let issued = gc
            .issued_bulletins(&user)
            .await
            .map_err(gc_error)?
            .into_iter()
            .find(|b| b.period == period);
        Ok(json!({ "bulletin": figures, "issued": issued }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn issue_bulletin(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(text): Path<String>,
) -> Response {
    let result = async {
        let period = quarter(&text)?;
        let issued = app
            .greenchannel
            .issue_bulletin(&user, period)
            .await
            .map_err(gc_error)?;
        Ok(json_of(&issued))
    }
    .await;
    answer(result, ctx.lang)
}

/// Runs the overdue scan now (the server's timer runs it too). Platform administrators only:
/// the scan acts for no one, so no bureau's grant covers it.
async fn scan(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let result = async {
        if !user.has_role(Role::PlatformAdmin) {
            let (zh, en) = both("products.err.admin_only", &[]);
            return Err(AppError::Refused { zh, en });
        }
        let raised = app
            .greenchannel
            .scan(kernel::UtcMillis::now())
            .await
            .map_err(gc_error)?;
        Ok(json!({ "raised": raised.len(), "alerts": raised }))
    }
    .await;
    answer(result, ctx.lang)
}

/// The OpenAPI path items of [`ROUTES`].
pub fn paths() -> Map<String, Value> {
    let path = |name: &str, description: &str| json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } });
    let query = |name: &str, kind: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": kind } });
    let op = |summary: &str, body: Option<Value>, params: Vec<Value>| {
        let mut o = json!({
            "summary": summary,
            "parameters": params,
            "responses": { "200": ok(summary), "401": problem(), "403": problem(), "404": problem(), "409": problem(), "422": problem() },
        });
        if let Some(b) = body {
            o["requestBody"] = b;
        }
        o
    };
    let list = path(
        "list",
        "list code: nanjing-2022-mi-innovation or nanjing-2020-core-innovation",
    );
    let id = path("id", "id");
    let hospital = path("id", "hospital (organisation) id");
    let day = query("day", "string", "YYYY-MM-DD; default today in the city");
    let mut paths = Map::new();
    paths.insert(ROUTES[0].into(), json!({ "get": op("The two innovation product lists: who compiles them, the adoption deadline with its citation, every version (number, date, counts), the newest version in full and the provincial listing date (挂网) of its products", None, vec![]) }));
    paths.insert(ROUTES[1].into(), json!({
        "get": op("Every published version of a list, oldest first, with entries and removals", None, vec![list.clone()]),
        "post": op("Publish the approved products as the list's next version (officials of the bureaus that compile it); 409 when nothing changed", Some(json_body("{published_on: YYYY-MM-DD, not in the future, not before the previous version}")), vec![list.clone()]),
    }));
    paths.insert(ROUTES[2].into(), json!({ "get": op("One frozen version of a list", None, vec![list.clone(), json!({ "name": "n", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } })]) }));
    paths.insert(ROUTES[3].into(), json!({
        "get": op("Nominations, newest first: a company's own, or all for bureau officials", None, vec![query("list", "string", "only this list")]),
        "post": op("A company nominates one of its products in the company register; name, kind and credit code are copied from the register, the registration number from its latest manufacturing approval or registration certificate unless given", Some(json_body("{list, product_id, evidence, registration_no?, consumable?: bool (a device that is a consumable)}")), vec![]),
    }));
    paths.insert(ROUTES[4].into(), json!({ "get": op("One nomination, for its company and the bureaus", None, vec![id.clone()]) }));
    paths.insert(ROUTES[5].into(), json!({ "post": op("approve or refuse {reason} (officials of the bureaus that compile the list), or withdraw (the company, while submitted)", Some(json_body("{reason} for refuse")), vec![id.clone(), json!({ "name": "action", "in": "path", "required": true, "schema": { "type": "string", "enum": ["approve", "refuse", "withdraw"] } })]) }));
    paths.insert(ROUTES[6].into(), json!({
        "get": op("The provincial listing (挂网) of a product, if recorded", None, vec![path("product_id", "product id")]),
        "put": op("Record the day a listed product was listed on the provincial procurement platform (medical insurance bureau); once per product; starts every hospital's one-month adoption deadline", Some(json_body("{listed_on: YYYY-MM-DD, evidence}")), vec![path("product_id", "product id")]),
    }));
    paths.insert(ROUTES[7].into(), json!({ "get": op("A hospital's duties: each listed product with its deadline and standing (pending with days left, adopted on time or late, overdue with days over, not needed); for its staff and the bureaus", None, vec![hospital.clone(), day.clone()]) }));
    paths.insert(ROUTES[8].into(), json!({ "post": op("The hospital's pharmacists and doctors record a catalogue entry or declare a product not clinically needed; resolves its alerts", Some(json_body("{product_id, outcome: adopted|not_needed, on: YYYY-MM-DD, catalogue_ref (adopted), reason (not_needed)}")), vec![hospital.clone()]) }));
    paths.insert(ROUTES[9].into(), json!({
        "get": op("A quarter's usage reports of a product at a hospital: replaced ones first, then the one in force", None, vec![hospital.clone(), query("product_id", "string", "product id (required)"), query("period", "string", "YYYY-Qn (required)")]),
        "post": op("Report a quarter's usage (quantity, amount in yuan); with a reason, correct a reported quarter", Some(json_body("{product_id, period: YYYY-Qn, quantity, amount_yuan, reason?}")), vec![hospital.clone()]),
    }));
    paths.insert(ROUTES[10].into(), json!({ "get": op("Each bound hospital's standing: due, adopted on time, late, overdue, not needed, not yet due, adoption rate (bureaus)", None, vec![day]) }));
    paths.insert(ROUTES[11].into(), json!({ "get": op("Reminders and overdue alerts, newest first: a hospital's staff read their own, the bureaus all", None, vec![query("hospital_id", "string", "one hospital"), query("product_id", "string", "one product"), query("kind", "string", "reminder or overdue"), query("open", "boolean", "only unresolved")]) }));
    paths.insert(ROUTES[12].into(), json!({ "post": op("Mark an alert as seen (it stays open until the product is adopted)", None, vec![id]) }));
    paths.insert(ROUTES[13].into(), json!({ "get": op("Issued bulletins, newest quarter first, with their content and SHA-256 (bureaus)", None, vec![]) }));
    paths.insert(ROUTES[14].into(), json!({
        "get": op("The figures of an ended quarter (per hospital, per product, overdue list) and the issued bulletin if any (bureaus)", None, vec![path("quarter", "YYYY-Qn")]),
        "post": op("Issue the bulletin of an ended quarter (medical insurance bureau); once per quarter, its hash on the ledger", None, vec![path("quarter", "YYYY-Qn")]),
    }));
    paths.insert(ROUTES[15].into(), json!({ "post": op("Run the overdue scan now (platform administrators); returns the alerts it raised", None, vec![]) }));
    paths.insert(ROUTES[16].into(), json!({ "post": op("Take an approved product off a list with a reason (officials of the bureaus that compile it): the next published version leaves it out and names the reason; published versions keep it", Some(json_body("{reason}")), vec![list.clone(), path("product_id", "product id")]) }));
    paths
}
