//! `/api/v1` routes of the online convenience clinic (issue 5): pilots and their designation,
//! consultations and their messages, prescriptions with an `Idempotency-Key`, pharmacist
//! review, oversight figures. The `clinic` crate decides who may do what: a stranger's
//! consultation is 404, a move the state no longer allows 409, a refusal by the rules 422 with
//! one error per failed rule (its reason and what to do instead). A signed prescription is
//! never edited: PUT, PATCH and DELETE on one are refused with 403 and logged.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use clinic::{Image, NewConsultation, PrescriptionRequest, Review, State as VisitState};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use access::FieldError;

use super::json::{answer, body, json_of};
use super::openapi::{json_body, object_ok as ok, problem};
use crate::ctx::Signed;
use crate::error::AppError;
use crate::pages::clinic::clinic_error;
use crate::pages::clinic::pharmacy::prescription_json;
use crate::state::AppState;

/// The routes of this area, relative to `/api/v1`.
pub const ROUTES: &[&str] = &[
    "/clinic/pilots",
    "/clinic/hospitals/{id}/volume",
    "/clinic/consultations",
    "/clinic/consultations/check",
    "/clinic/consultations/{id}",
    "/clinic/consultations/{id}/{action}",
    "/clinic/consultations/{id}/messages",
    "/clinic/consultations/{id}/prescriptions",
    "/clinic/prescriptions/{id}",
    "/clinic/prescriptions/{id}/review",
    "/clinic/review-queue",
    "/clinic/oversight",
    "/clinic/prescriptions/{id}/fulfilment-options",
    "/clinic/prescriptions/{id}/pickup",
    "/clinic/prescriptions/{id}/courier",
    "/clinic/fulfilments/{id}",
    "/clinic/fulfilments/{id}/{step}",
    "/clinic/notifications",
    "/clinic/notifications/{id}/read",
    "/clinic/hospitals/{id}/offering",
    "/clinic/practitioners/{id}",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ROUTES[0], get(pilots).post(designate))
        .route(ROUTES[1], axum::routing::put(report_volume))
        .route(ROUTES[2], get(list).post(request))
        .route(ROUTES[3], post(check))
        .route(ROUTES[4], get(one))
        .route(ROUTES[5], post(act))
        .route(ROUTES[6], get(messages).post(send))
        .route(ROUTES[7], post(prescribe))
        .route(
            ROUTES[8],
            get(prescription)
                .put(refuse_edit)
                .patch(refuse_edit)
                .delete(refuse_edit),
        )
        .route(ROUTES[9], post(review))
        .route(ROUTES[10], get(review_queue))
        .route(ROUTES[11], get(oversight))
        .route(ROUTES[12], get(options))
        .route(ROUTES[13], post(pickup))
        .route(ROUTES[14], post(courier))
        .route(ROUTES[15], get(fulfilment))
        .route(ROUTES[16], post(fulfilment_step))
        .route(ROUTES[17], get(notifications))
        .route(ROUTES[18], post(read))
        .route(ROUTES[19], get(offering).put(set_offering))
        .route(ROUTES[20], axum::routing::put(verify_practitioner))
        // Messages and diagnosis documents carry a photo (2 MiB at most, base64 in JSON).
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::ctx::MAX_FORM_BYTES,
        ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Designation {
    period: String,
    #[serde(default)]
    hospitals: Option<Vec<String>>,
    #[serde(default)]
    reason: Option<String>,
}

async fn pilots(State(app): State<AppState>, Signed { ctx, .. }: Signed) -> Response {
    let result = async {
        let period = app.clinic.latest_period().await.map_err(clinic_error)?;
        let ranking = match &period {
            Some(p) => app.clinic.ranking(p).await.map_err(clinic_error)?,
            None => Vec::new(),
        };
        let mut pilots = Vec::new();
        for p in app.clinic.pilots().await.map_err(clinic_error)? {
            let offering = app
                .clinic
                .offering(&p.hospital_id)
                .await
                .map_err(clinic_error)?;
            pilots.push(json!({ "pilot": p, "offering": offering }));
        }
        let count = &app.clinic.rules().pilots.count;
        Ok(json!({
            "period": period,
            "ranking": ranking,
            "pilots": pilots,
            "count": { "value": count.value, "source": app.clinic.rules().cite(&count.source) },
        }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn designate(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    bytes: Bytes,
) -> Response {
    let result = async {
        let d: Designation = body(&bytes)?;
        let pilots = app
            .clinic
            .designate(&user, &d.period, d.hospitals, d.reason.as_deref())
            .await
            .map_err(clinic_error)?;
        Ok(json!({ "pilots": pilots }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Volume {
    period: String,
    online_visits: u64,
}

async fn report_volume(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let v: Volume = body(&bytes)?;
        app.clinic
            .report_volume(&user, &id, &v.period, v.online_visits)
            .await
            .map_err(clinic_error)?;
        Ok(json!({ "hospital_id": id, "period": v.period, "online_visits": v.online_visits }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    media_type: String,
    base64: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    resident_id: String,
    hospital_id: String,
    doctor_id: String,
    disease: String,
    #[serde(default)]
    complaint: String,
    #[serde(default)]
    guardian_present: bool,
    #[serde(default)]
    document: Option<Document>,
}

fn image(document: Option<Document>, field: &'static str) -> Result<Option<Image>, AppError> {
    document
        .map(|d| {
            base64::engine::general_purpose::STANDARD
                .decode(d.base64.trim())
                .map(|bytes| Image {
                    media_type: d.media_type,
                    bytes,
                })
                .map_err(|_| {
                    AppError::Invalid(vec![FieldError::new(
                        field,
                        "图片不是有效的 base64",
                        "the image is not valid base64",
                    )])
                })
        })
        .transpose()
}

impl Request {
    fn into_new(self) -> Result<NewConsultation, AppError> {
        Ok(NewConsultation {
            document: image(self.document, "document")?,
            resident_id: self.resident_id,
            hospital_id: self.hospital_id,
            doctor_id: self.doctor_id,
            disease: self.disease,
            complaint: self.complaint,
            guardian_present: self.guardian_present,
        })
    }
}

async fn request(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    bytes: Bytes,
) -> Response {
    let result = async {
        let new = body::<Request>(&bytes)?.into_new()?;
        let c = app
            .clinic
            .request_consultation(&user, new)
            .await
            .map_err(clinic_error)?;
        Ok(json_of(&c))
    }
    .await;
    answer(result, ctx.lang)
}

async fn check(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    bytes: Bytes,
) -> Response {
    let result = async {
        let new = body::<Request>(&bytes)?.into_new()?;
        let (consult, request) = app
            .clinic
            .check_request(&user, &new)
            .await
            .map_err(clinic_error)?;
        Ok(json!({
            "eligible": consult.passed() && request.passed(),
            "findings": consult.findings.iter().chain(&request.findings).collect::<Vec<_>>(),
        }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
}

async fn list(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<ListQuery>,
) -> Response {
    let result = async {
        let states = match q.state.as_deref() {
            None => Vec::new(),
            Some(code) => vec![VisitState::from_code(code).ok_or_else(|| {
                let allowed = VisitState::ALL.map(VisitState::code).join(", ");
                AppError::Invalid(vec![FieldError::new(
                    "state",
                    format!("未知状态“{code}”，可选：{allowed}"),
                    format!("unknown state `{code}`; one of {allowed}"),
                )])
            })?],
        };
        let items = if user.has_role(access::Role::HospitalDoctor) {
            app.clinic.consultations_of_doctor(&user, &states).await
        } else {
            app.clinic.consultations_of_patient(&user).await.map(|all| {
                all.into_iter()
                    .filter(|c| states.is_empty() || states.contains(&c.state))
                    .collect()
            })
        }
        .map_err(clinic_error)?;
        Ok(json!({ "total": items.len(), "items": items }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn one(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let c = app
            .clinic
            .consultation(&user, &id)
            .await
            .map_err(clinic_error)?;
        let prescriptions = app
            .clinic
            .prescriptions_of(&user, &c)
            .await
            .map_err(clinic_error)?;
        let mut v = json_of(&c);
        v["prescriptions"] = prescriptions.iter().map(prescription_json).collect();
        Ok(v)
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    #[serde(default)]
    confirms_follow_up: bool,
    #[serde(default)]
    accepts_document: bool,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

async fn act(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let b: ActionBody = body(&bytes)?;
        let clinic = &app.clinic;
        let c = match action.as_str() {
            "accept" => {
                clinic
                    .accept(&user, &id, b.confirms_follow_up, b.accepts_document)
                    .await
            }
            "begin" => clinic.begin(&user, &id).await,
            "decline" => clinic.decline(&user, &id, &b.reason).await,
            "withdraw" => clinic.withdraw(&user, &id, &b.reason).await,
            "complete" => clinic.complete(&user, &id, &b.note).await,
            "confirm-long-term" => clinic.confirm_long_term(&user, &id).await,
            _ => return Err(AppError::NotFound),
        }
        .map_err(clinic_error)?;
        Ok(json_of(&c))
    }
    .await;
    answer(result, ctx.lang)
}

async fn messages(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let items = app
            .clinic
            .messages(&user, &id)
            .await
            .map_err(clinic_error)?;
        Ok(json!({ "total": items.len(), "items": items }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    image: Option<Document>,
}

async fn send(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let m: MessageBody = body(&bytes)?;
        let image = image(m.image, "image")?;
        let sent = app
            .clinic
            .send_message(&user, &id, m.body.as_deref(), image)
            .await
            .map_err(clinic_error)?;
        Ok(json_of(&sent))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrescriptionBody {
    #[serde(default)]
    request_key: Option<String>,
    draft: prescribing::Draft,
    #[serde(default)]
    flags_acknowledged: bool,
}

async fn prescribe(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let result = async {
        let p: PrescriptionBody = body(&bytes)?;
        // The header is the HTTP convention; the body field serves clients that cannot set it.
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or(p.request_key)
            .unwrap_or_default();
        let rx = app
            .clinic
            .prescribe(
                &user,
                &id,
                PrescriptionRequest {
                    request_key: key,
                    draft: p.draft,
                    flags_acknowledged: p.flags_acknowledged,
                },
            )
            .await
            .map_err(clinic_error)?;
        Ok(prescription_json(&rx))
    }
    .await;
    answer(result, ctx.lang)
}

async fn prescription(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let rx = app
            .clinic
            .prescription(&user, &id)
            .await
            .map_err(clinic_error)?;
        let mut v = prescription_json(&rx);
        v["signature_valid"] = json!(
            app.clinic
                .verify_prescription(&id)
                .await
                .map_err(clinic_error)?
        );
        Ok(v)
    }
    .await;
    answer(result, ctx.lang)
}

async fn refuse_edit(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let error = match app.clinic.refuse_edit(&user, &id).await {
        clinic::ClinicError::Forbidden(why) => AppError::Refused {
            zh: "已签名的处方不能修改：药师只能审核通过或写明理由退回，医师撤回后重新开具".into(),
            en: why.into(),
        },
        other => clinic_error(other),
    };
    crate::error::ApiError {
        error,
        lang: ctx.lang,
    }
    .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn review(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let r: ReviewBody = body(&bytes)?;
        let decision = match r.decision.as_str() {
            "approve" => Review::Approve,
            "reject" => Review::Reject { reason: r.reason },
            other => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "decision",
                    format!("未知审核结论“{other}”，可选：approve、reject"),
                    format!("unknown decision `{other}`; one of approve, reject"),
                )]));
            }
        };
        let rx = app
            .clinic
            .review(&user, &id, decision)
            .await
            .map_err(clinic_error)?;
        Ok(prescription_json(&rx))
    }
    .await;
    answer(result, ctx.lang)
}

async fn review_queue(State(app): State<AppState>, Signed { ctx, user }: Signed) -> Response {
    let result = async {
        let items = app.clinic.review_queue(&user).await.map_err(clinic_error)?;
        Ok(json!({ "total": items.len(), "items": items.iter().map(prescription_json).collect::<Vec<_>>() }))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
struct OversightQuery {
    since: Option<i64>,
}

async fn oversight(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<OversightQuery>,
) -> Response {
    let result = async {
        let since = q
            .since
            .unwrap_or_else(|| kernel::UtcMillis::now().0 - 365 * 86_400_000);
        let figures = app
            .clinic
            .oversight(&user, since)
            .await
            .map_err(clinic_error)?;
        Ok(json!({ "since": since, "hospitals": figures }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn options(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let o = app
            .clinic
            .fulfilment_options(&user, &id, kernel::UtcMillis::now().0)
            .await
            .map_err(clinic_error)?;
        Ok(json_of(&o))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PickupBody {
    slot_id: String,
}

async fn pickup(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let b: PickupBody = body(&bytes)?;
        let f = app
            .clinic
            .book_pickup(&user, &id, &b.slot_id)
            .await
            .map_err(clinic_error)?;
        Ok(json_of(&f))
    }
    .await;
    answer(result, ctx.lang)
}

async fn courier(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let address: clinic::Address = body(&bytes)?;
        let f = app
            .clinic
            .choose_courier(&user, &id, &address)
            .await
            .map_err(clinic_error)?;
        Ok(json_of(&f))
    }
    .await;
    answer(result, ctx.lang)
}

async fn fulfilment(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        Ok(json_of(
            &app.clinic
                .fulfilment(&user, &id)
                .await
                .map_err(clinic_error)?,
        ))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StepBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    courier: String,
    #[serde(default)]
    tracking_no: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    reason: String,
}

async fn fulfilment_step(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path((id, step)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let b: StepBody = body(&bytes)?;
        let c = &app.clinic;
        let f = match step.as_str() {
            "collect" => c.collect_pickup(&user, &id, &b.code).await,
            "dispatch" => c.dispatch(&user, &id, &b.courier, &b.tracking_no).await,
            "proof" => c.record_delivery_proof(&user, &id, &b.reference).await,
            "receipt" => c.confirm_receipt(&user, &id).await,
            "missed" => c.mark_missed(&user, &id).await,
            "cancel" => c.cancel_fulfilment(&user, &id, &b.reason).await,
            _ => return Err(AppError::NotFound),
        }
        .map_err(clinic_error)?;
        Ok(json_of(&f))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
struct NotificationsQuery {
    unread: Option<bool>,
}

async fn notifications(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Query(q): Query<NotificationsQuery>,
) -> Response {
    let result = async {
        let items = app
            .clinic
            .notifications_of(&user, q.unread.unwrap_or(false))
            .await
            .map_err(clinic_error)?;
        let unread = app.clinic.unread_count(&user).await.map_err(clinic_error)?;
        Ok(json!({ "unread": unread, "items": items }))
    }
    .await;
    answer(result, ctx.lang)
}

async fn read(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        Ok(json_of(
            &app.clinic
                .mark_read(&user, &id)
                .await
                .map_err(clinic_error)?,
        ))
    }
    .await;
    answer(result, ctx.lang)
}

async fn offering(
    State(app): State<AppState>,
    Signed { ctx, .. }: Signed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        Ok(json_of(
            &app.clinic.offering(&id).await.map_err(clinic_error)?,
        ))
    }
    .await;
    answer(result, ctx.lang)
}

async fn set_offering(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let offering: clinic::Offering = body(&bytes)?;
        app.clinic
            .set_offering(&user, &id, &offering)
            .await
            .map_err(clinic_error)?;
        Ok(json_of(&offering))
    }
    .await;
    answer(result, ctx.lang)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    licence_no: String,
    practising_since: jiff::civil::Date,
}

async fn verify_practitioner(
    State(app): State<AppState>,
    Signed { ctx, user }: Signed,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = async {
        let c: Credentials = body(&bytes)?;
        let p = app
            .clinic
            .verify_practitioner(&user, &id, &c.licence_no, c.practising_since)
            .await
            .map_err(clinic_error)?;
        Ok(json_of(&p))
    }
    .await;
    answer(result, ctx.lang)
}

/// The OpenAPI path items of [`ROUTES`].
pub fn paths() -> Map<String, Value> {
    let id =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } });
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
    let consultation = "{resident_id, hospital_id, doctor_id, disease (template code), complaint, guardian_present, document?: {media_type: image/png|image/jpeg, base64}}";
    let mut paths = Map::new();
    paths.insert(ROUTES[0].into(), json!({
        "get": op("The latest period's ranking of internet hospitals by reported online volume, the designated pilots with what each offers, and the cited pilot count", None, vec![]),
        "post": op("Designate the pilots of a period (health commission): {period, hospitals?, reason?}; a choice other than the top of the ranking needs the reason", Some(json_body("{period, hospitals?, reason?}")), vec![]),
    }));
    paths.insert(ROUTES[1].into(), json!({ "put": op("Report a hospital's online visits in a period (its staff or the health commission)", Some(json_body("{period: YYYY-Qn, online_visits}")), vec![id.clone()]) }));
    paths.insert(ROUTES[2].into(), json!({
        "get": op("The caller's consultations: a doctor's (filter ?state=) or a patient's own and those of household members they act for", None, vec![json!({ "name": "state", "in": "query", "required": false, "schema": { "type": "string", "enum": VisitState::ALL.map(VisitState::code) } })]),
        "post": op("Ask for an online follow-up; 422 lists each failed rule with its reason and what to do instead", Some(json_body(consultation)), vec![]),
    }));
    paths.insert(ROUTES[3].into(), json!({ "post": op("What the rules say of a request before it is made (nothing is written)", Some(json_body(consultation)), vec![]) }));
    paths.insert(ROUTES[4].into(), json!({ "get": op("One consultation with its prescriptions, for its patient side and its doctor", None, vec![id.clone()]) }));
    paths.insert(ROUTES[5].into(), json!({ "post": op("A move: accept {confirms_follow_up, accepts_document}, begin, decline {reason}, withdraw {reason}, complete {note}, confirm-long-term", Some(json_body("depends on the action")), vec![id.clone(), json!({ "name": "action", "in": "path", "required": true, "schema": { "type": "string", "enum": ["accept", "begin", "decline", "withdraw", "complete", "confirm-long-term"] } })]) }));
    paths.insert(ROUTES[6].into(), json!({
        "get": op("The consultation's messages, oldest first", None, vec![id.clone()]),
        "post": op("Send a text and/or image message while the consultation is open", Some(json_body("{body?, image?: {media_type, base64}}")), vec![id.clone()]),
    }));
    paths.insert(ROUTES[7].into(), json!({ "post": op("The doctor writes and signs a prescription; the same Idempotency-Key header (or request_key) returns the same prescription; 409 lists flags to acknowledge", Some(json_body("{draft: {lines: [{drug, dose, frequency, days, packs}], long_term?: {evaluation}, validity_days}, flags_acknowledged}")), vec![id.clone(), json!({ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string" } })]) }));
    paths.insert(ROUTES[8].into(), json!({
        "get": op("A signed prescription with its canonical form, signature and whether the signature verifies", None, vec![id.clone()]),
        "put": op("Refused: a signed prescription is never edited (403, logged)", None, vec![id.clone()]),
        "patch": op("Refused: a signed prescription is never edited (403, logged)", None, vec![id.clone()]),
        "delete": op("Refused: a signed prescription is never deleted (403, logged)", None, vec![id.clone()]),
    }));
    paths.insert(ROUTES[9].into(), json!({ "post": op("A pharmacist of the hospital approves or rejects; 409 when another pharmacist decided first", Some(json_body("{decision: approve|reject, reason}")), vec![id.clone()]) }));
    paths.insert(ROUTES[10].into(), json!({ "get": op("Prescriptions awaiting review at the pharmacist's hospital, oldest first", None, vec![]) }));
    paths.insert(ROUTES[12].into(), json!({ "get": op("For an approved prescription in force: the sites with stock for every line and their free pickup times, and whether courier delivery is offered", None, vec![id.clone()]) }));
    paths.insert(ROUTES[13].into(), json!({ "post": op("Book a pickup time; the stock is reserved in the same transaction; 409 when the time filled or the stock ran out", Some(json_body("{slot_id}")), vec![id.clone()]) }));
    paths.insert(ROUTES[14].into(), json!({ "post": op("Choose courier delivery from the hospital's pharmacy (the address is stored encrypted)", Some(json_body("{recipient, mobile, district, street}")), vec![id.clone()]) }));
    paths.insert(ROUTES[15].into(), json!({ "get": op("A pickup or delivery, for its patient (with the pickup code) or the site's pharmacist", None, vec![id.clone()]) }));
    paths.insert(ROUTES[16].into(), json!({ "post": op("A step: collect {code}, dispatch {courier, tracking_no}, proof {reference}, receipt, missed, cancel {reason}", Some(json_body("depends on the step")), vec![id.clone(), json!({ "name": "step", "in": "path", "required": true, "schema": { "type": "string", "enum": ["collect", "dispatch", "proof", "receipt", "missed", "cancel"] } })]) }));
    paths.insert(ROUTES[17].into(), json!({ "get": op("The caller's notifications, newest first, with the unread count", None, vec![json!({ "name": "unread", "in": "query", "required": false, "schema": { "type": "boolean" } })]) }));
    paths.insert(ROUTES[18].into(), json!({ "post": op("Mark one of the caller's notifications read", None, vec![id.clone()]) }));
    paths.insert(ROUTES[19].into(), json!({
        "get": op("What a pilot offers: conditions (disease template codes) and doctors", None, vec![id.clone()]),
        "put": op("Set what a pilot offers (its staff or the health commission); doctors need verified credentials at the hospital", Some(json_body("{conditions: [code], doctors: [user id]}")), vec![id.clone()]),
    }));
    paths.insert(ROUTES[20].into(), json!({ "put": op("The hospital records that it verified a doctor's identity and credentials (three years of independent practice are needed to consult online)", Some(json_body("{licence_no: 15 digits, practising_since: YYYY-MM-DD}")), vec![id.clone()]) }));
    paths.insert(ROUTES[11].into(), json!({ "get": op("Per hospital: consultations and prescriptions by state, refusals by rule, waiting times (health commission)", None, vec![json!({ "name": "since", "in": "query", "required": false, "schema": { "type": "integer", "description": "Unix ms; default a year ago" } })]) }));
    paths
}
