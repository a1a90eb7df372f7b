//! `/fhir` through HTTP on both backends, with the demo city: conformance, authentication,
//! the interactions, errors as OperationOutcome with element paths, and reach by role.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use store::testing::TestDatabases;
use support::{App, Client, Reply, app, token};

async fn call(
    app: &App,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    call_with(app, method, uri, token, body, &[]).await
}

async fn call_with(
    app: &App,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let body = match body {
        Some(v) => {
            request = request.header(header::CONTENT_TYPE, "application/fhir+json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    Client::new(app)
        .send(request.body(body).expect("request"))
        .await
}

fn patient(id_number: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{ "system": "urn:oid:2.16.156.10011.1.1", "value": id_number }],
        "name": [{ "family": "赵", "given": ["明"] }],
        "gender": "male",
        "birthDate": "1949-12-31"
    })
}

fn is_outcome(reply: &Reply) -> bool {
    reply.json()["resourceType"] == "OperationOutcome"
        && reply
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/fhir+json"))
}

#[tokio::test]
async fn the_fhir_interface_works_and_explains_its_errors() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let doctor = token(&app, "doctor").await;

        // Conformance is public; everything else needs credentials.
        let metadata = call(&app, "GET", "/fhir/metadata", None, None).await;
        assert_eq!(metadata.status, StatusCode::OK);
        let cs = metadata.json();
        assert_eq!(cs["resourceType"], "CapabilityStatement");
        assert_eq!(cs["fhirVersion"], "4.0.1");
        assert_eq!(fhir::validate(&cs), Ok(()));
        let anonymous = call(&app, "GET", "/fhir/Patient", None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        assert!(is_outcome(&anonymous));
        let forged = call(&app, "GET", "/fhir/Patient", Some("lht_forged"), None).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        assert!(is_outcome(&forged));

        // Create, read, conditional create, update with If-Match, history, vread.
        let created = call(
            &app,
            "POST",
            "/fhir/Patient",
            Some(&doctor),
            Some(patient("110105194912310011")),
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert!(created.location().contains("/fhir/Patient/"));
        let body = created.json();
        let id = body["id"].as_str().unwrap().to_owned();
        assert_eq!(body["meta"]["versionId"], "1");
        let read = call(
            &app,
            "GET",
            &format!("/fhir/Patient/{id}"),
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(read.status, StatusCode::OK);
        assert_eq!(read.headers.get(header::ETAG).unwrap(), "W/\"1\"");
        let again = call_with(
            &app,
            "POST",
            "/fhir/Patient",
            Some(&doctor),
            Some(patient("110105194912310011")),
            &[(
                "if-none-exist",
                "identifier=urn:oid:2.16.156.10011.1.1|110105194912310011",
            )],
        )
        .await;
        assert_eq!(
            again.status,
            StatusCode::OK,
            "the match is returned, not duplicated"
        );
        assert_eq!(again.json()["id"], id.as_str());
        let mut changed = body.clone();
        changed["telecom"] = json!([{ "system": "phone", "value": "13912345678" }]);
        let updated = call_with(
            &app,
            "PUT",
            &format!("/fhir/Patient/{id}"),
            Some(&doctor),
            Some(changed.clone()),
            &[("if-match", "W/\"1\"")],
        )
        .await;
        assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
        assert_eq!(updated.json()["meta"]["versionId"], "2");
        let stale = call_with(
            &app,
            "PUT",
            &format!("/fhir/Patient/{id}"),
            Some(&doctor),
            Some(changed),
            &[("if-match", "W/\"1\"")],
        )
        .await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
        assert!(is_outcome(&stale));
        let history = call(
            &app,
            "GET",
            &format!("/fhir/Patient/{id}/_history"),
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(history.json()["total"], 2);
        let v1 = call(
            &app,
            "GET",
            &format!("/fhir/Patient/{id}/_history/1"),
            Some(&doctor),
            None,
        )
        .await;
        assert!(v1.json().get("telecom").is_none());

        // A diagnosis enrols; search by code, by patient, and count only.
        let condition = json!({
            "resourceType": "Condition",
            "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": "I10" }] },
            "subject": { "reference": format!("Patient/{id}") },
            "onsetDateTime": "2025-01-05"
        });
        let c = call(
            &app,
            "POST",
            "/fhir/Condition",
            Some(&doctor),
            Some(condition),
        )
        .await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
        let found = call(&app, "GET", &format!("/fhir/Condition?patient=Patient/{id}&code=http://hl7.org/fhir/sid/icd-10|I10&_include=Condition:subject"), Some(&doctor), None).await;
        let bundle = found.json();
        assert_eq!(bundle["total"], 1, "{}", found.body);
        let modes: Vec<&str> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["search"]["mode"].as_str().unwrap())
            .collect();
        assert_eq!(modes, ["match", "include"]);
        let count = call(
            &app,
            "GET",
            "/fhir/Condition?onset-date=ge2025-01&_summary=count",
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(count.json()["total"], 1);
        assert!(count.json().get("entry").is_none());
        let everything = call(
            &app,
            "GET",
            &format!("/fhir/Patient/{id}/$everything"),
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(everything.json()["total"], 2);

        // Errors name the element and say what is allowed.
        let bad_date = call(
            &app,
            "GET",
            "/fhir/Observation?date=2025-13",
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(bad_date.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad_date.json()["issue"][0]["expression"][0], "date");
        let invalid = call(
            &app,
            "POST",
            "/fhir/Observation",
            Some(&doctor),
            Some(json!({ "resourceType": "Observation", "status": "done" })),
        )
        .await;
        assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
        let expressions: Vec<String> = invalid.json()["issue"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["expression"].as_array().cloned().unwrap_or_default())
            .map(|e| e.as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(
            expressions.iter().any(|e| e == "Observation.status"),
            "{expressions:?}"
        );
        assert!(
            expressions.iter().any(|e| e == "Observation.code"),
            "{expressions:?}"
        );
        let impossible = call(
            &app,
            "POST",
            "/fhir/Observation",
            Some(&doctor),
            Some(json!({
                "resourceType": "Observation",
                "status": "final",
                "code": { "coding": [{ "system": "http://loinc.org", "code": "8480-6" }] },
                "subject": { "reference": format!("Patient/{id}") },
                "effectiveDateTime": "2099-01-01",
                "valueQuantity": { "value": 900, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]" }
            })),
        )
        .await;
        assert_eq!(impossible.status, StatusCode::BAD_REQUEST);
        let paths: Vec<String> = impossible.json()["issue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["expression"][0].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(
            paths.contains(&"Observation.valueQuantity.value".to_owned()),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"Observation.effectiveDateTime".to_owned()),
            "{paths:?}"
        );
        let dangling = call(
            &app,
            "POST",
            "/fhir/Observation",
            Some(&doctor),
            Some(json!({ "resourceType": "Observation", "status": "final", "code": { "text": "x" }, "subject": { "reference": "Patient/does-not-exist" } })),
        )
        .await;
        assert_eq!(dangling.status, StatusCode::BAD_REQUEST);
        assert!(
            dangling.body.contains("does not exist"),
            "{}",
            dangling.body
        );
        let not_json = call(&app, "POST", "/fhir/Patient", Some(&doctor), None).await;
        assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
        assert!(is_outcome(&not_json));
        let unknown = call(&app, "GET", "/fhir/Spaceship/1", Some(&doctor), None).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(is_outcome(&unknown));
        let strict = call_with(
            &app,
            "GET",
            "/fhir/Patient?colour=blue",
            Some(&doctor),
            None,
            &[("prefer", "handling=strict")],
        )
        .await;
        assert_eq!(strict.status, StatusCode::BAD_REQUEST);
        let lenient = call(
            &app,
            "GET",
            "/fhir/Patient?colour=blue",
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(lenient.status, StatusCode::OK);
        let purpose = call_with(
            &app,
            "GET",
            "/fhir/Patient",
            Some(&doctor),
            None,
            &[("x-purpose-of-use", "CURIOSITY")],
        )
        .await;
        assert_eq!(purpose.status, StatusCode::BAD_REQUEST);

        // Any R4 type is stored and served.
        let device = call(&app, "POST", "/fhir/Device", Some(&doctor), Some(json!({ "resourceType": "Device", "patient": { "reference": format!("Patient/{id}") } }))).await;
        assert_eq!(device.status, StatusCode::CREATED, "{}", device.body);
        let devices = call(
            &app,
            "GET",
            &format!("/fhir/Device?patient={id}"),
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(devices.json()["total"], 1);

        // Reach by role: another hospital's doctor sees nothing of this patient; the platform
        // administrator reads no health record; the access is on the ledger as AuditEvents.
        let other_hospital = token(&app, "doctor021").await;
        let hidden = call(
            &app,
            "GET",
            &format!("/fhir/Patient/{id}"),
            Some(&other_hospital),
            None,
        )
        .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        let none = call(
            &app,
            "GET",
            "/fhir/Condition?code=http://hl7.org/fhir/sid/icd-10|I10",
            Some(&other_hospital),
            None,
        )
        .await;
        assert_eq!(
            none.json()["total"],
            0,
            "a search never counts what the caller may not see"
        );
        let admin = token(&app, "admin").await;
        let refused = call(&app, "GET", "/fhir/Patient", Some(&admin), None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(is_outcome(&refused));
        let events = call(
            &app,
            "GET",
            &format!("/fhir/AuditEvent?patient=Patient/{id}"),
            Some(&doctor),
            None,
        )
        .await;
        let events = events.json();
        assert!(events["total"].as_u64().unwrap() >= 5, "{events}");
        assert_eq!(events["entry"][0]["resource"]["resourceType"], "AuditEvent");
        let write_audit = call(
            &app,
            "POST",
            "/fhir/AuditEvent",
            Some(&doctor),
            Some(json!({ "resourceType": "AuditEvent" })),
        )
        .await;
        assert_eq!(write_audit.status, StatusCode::METHOD_NOT_ALLOWED);

        // Delete keeps the history; a read then says the resource is gone.
        let deleted = call(
            &app,
            "DELETE",
            &format!("/fhir/Device/{}", device.json()["id"].as_str().unwrap()),
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(deleted.status, StatusCode::OK);
        let gone = call(
            &app,
            "GET",
            &format!("/fhir/Device/{}", device.json()["id"].as_str().unwrap()),
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(gone.status, StatusCode::GONE);
    }
}

#[tokio::test]
async fn a_transaction_bundle_is_all_or_nothing() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let doctor = token(&app, "doctor").await;
        let bundle = json!({
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                { "fullUrl": "urn:uuid:5a0e3b9c-0000-4000-8000-000000000001", "resource": patient("110105194912310038"), "request": { "method": "POST", "url": "Patient" } },
                { "resource": { "resourceType": "Observation", "status": "final", "code": { "coding": [{ "system": "http://loinc.org", "code": "8480-6" }] }, "subject": { "reference": "urn:uuid:5a0e3b9c-0000-4000-8000-000000000001" }, "effectiveDateTime": "2025-05-01", "valueQuantity": { "value": 150, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]" } }, "request": { "method": "POST", "url": "Observation" } }
            ]
        });
        let done = call(&app, "POST", "/fhir", Some(&doctor), Some(bundle.clone())).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let response = done.json();
        assert_eq!(response["type"], "transaction-response");
        assert_eq!(fhir::validate(&response), Ok(()), "{response}");
        let patient_id = response["entry"][0]["resource"]["id"].as_str().unwrap();
        assert_eq!(
            response["entry"][1]["resource"]["subject"]["reference"],
            format!("Patient/{patient_id}")
        );
        let by_value = call(
            &app,
            "GET",
            "/fhir/Observation?value-quantity=gt140",
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(by_value.json()["total"], 1, "{}", by_value.body);

        // A bulk sender asks for the outcome only: statuses, locations and versions.
        let mut second = bundle.clone();
        second["entry"][0]["resource"]["identifier"][0]["value"] = json!("110105194912310054");
        let minimal = call_with(
            &app,
            "POST",
            "/fhir",
            Some(&doctor),
            Some(second),
            &[("Prefer", "return=minimal")],
        )
        .await;
        assert_eq!(minimal.status, StatusCode::OK, "{}", minimal.body);
        let minimal = minimal.json();
        assert_eq!(fhir::validate(&minimal), Ok(()), "{minimal}");
        for entry in minimal["entry"].as_array().unwrap() {
            assert!(entry.get("resource").is_none(), "{entry}");
            assert_eq!(entry["response"]["status"], "201 Created");
            let location = entry["response"]["location"].as_str().unwrap();
            let read = call(
                &app,
                "GET",
                &format!("/fhir/{location}"),
                Some(&doctor),
                None,
            )
            .await;
            assert_eq!(read.status, StatusCode::OK, "{location} was stored");
        }

        let mut broken = bundle;
        broken["entry"][0]["resource"]["identifier"][0]["value"] = json!("110105194912310046");
        broken["entry"][1]["resource"]["valueQuantity"]["value"] = json!("high");
        let failed = call(&app, "POST", "/fhir", Some(&doctor), Some(broken)).await;
        assert_eq!(failed.status, StatusCode::BAD_REQUEST);
        let text = failed.body.clone();
        assert!(text.contains("Bundle.entry[1].resource"), "{text}");
        let patients = call(&app, "GET", "/fhir/Patient", Some(&doctor), None).await;
        assert_eq!(
            patients.json()["total"],
            2,
            "nothing of the failed transaction was kept"
        );
    }
}

/// Polls an export's status URL until the manifest is ready. A minute is far more than an
/// export of the test city takes; the margin is for a loaded CI machine.
async fn manifest(app: &App, status_url: &str, token: &str) -> Value {
    for _ in 0..2_400 {
        let status = call(app, "GET", status_url, Some(token), None).await;
        match status.status {
            StatusCode::ACCEPTED => {
                assert!(status.headers.get("x-progress").is_some());
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            StatusCode::OK => return status.json(),
            other => panic!("export status {other}: {}", status.body),
        }
    }
    panic!("the export did not finish");
}

#[tokio::test]
async fn bulk_export_runs_in_the_background_within_reach() {
    let dbs = TestDatabases::new().await;
    for db in dbs.all() {
        let app = app(db).await;
        let doctor = token(&app, "doctor").await;
        let mut ids = Vec::new();
        for number in ["110105194912310011", "110105194912310038"] {
            let p = call(
                &app,
                "POST",
                "/fhir/Patient",
                Some(&doctor),
                Some(patient(number)),
            )
            .await;
            ids.push(p.json()["id"].as_str().unwrap().to_owned());
        }
        let group = call(
            &app,
            "POST",
            "/fhir/Group",
            Some(&doctor),
            Some(json!({ "resourceType": "Group", "type": "person", "actual": true, "member": [{ "entity": { "reference": format!("Patient/{}", ids[0]) } }] })),
        )
        .await;
        assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
        let group_id = group.json()["id"].as_str().unwrap().to_owned();

        let sync = call(&app, "GET", "/fhir/$export", Some(&doctor), None).await;
        assert_eq!(
            sync.status,
            StatusCode::BAD_REQUEST,
            "respond-async is required"
        );
        let bad_type = call_with(
            &app,
            "GET",
            "/fhir/$export?_type=Spaceship",
            Some(&doctor),
            None,
            &[("prefer", "respond-async")],
        )
        .await;
        assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);

        let started = call_with(
            &app,
            "GET",
            "/fhir/Patient/$export?_type=Patient",
            Some(&doctor),
            None,
            &[("prefer", "respond-async")],
        )
        .await;
        assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
        let location = started
            .headers
            .get(header::CONTENT_LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let path = &location[location.find("/fhir/").unwrap()..];
        let other = token(&app, "doctor021").await;
        let foreign = call(&app, "GET", path, Some(&other), None).await;
        assert_eq!(
            foreign.status,
            StatusCode::NOT_FOUND,
            "only the requester sees the job"
        );
        let m = manifest(&app, path, &doctor).await;
        assert_eq!(m["requiresAccessToken"], true);
        let outputs = m["output"].as_array().unwrap();
        assert_eq!(outputs.len(), 1);
        assert_eq!(outputs[0]["type"], "Patient");
        assert_eq!(outputs[0]["count"], 2);
        let url = outputs[0]["url"].as_str().unwrap();
        let file = call(
            &app,
            "GET",
            &url[url.find("/fhir/").unwrap()..],
            Some(&doctor),
            None,
        )
        .await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(
            file.headers
                .get(header::CONTENT_TYPE)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("ndjson")
        );
        let lines: Vec<Value> = file
            .body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l["resourceType"] == "Patient"));

        // The Group's export holds its member only; the other hospital's export holds nothing.
        let g = call_with(
            &app,
            "GET",
            &format!("/fhir/Group/{group_id}/$export"),
            Some(&doctor),
            None,
            &[("prefer", "respond-async")],
        )
        .await;
        let g_path = g
            .headers
            .get(header::CONTENT_LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let gm = manifest(&app, &g_path[g_path.find("/fhir/").unwrap()..], &doctor).await;
        let patients: Vec<&Value> = gm["output"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "Patient")
            .collect();
        assert_eq!(patients[0]["count"], 1);
        let o = call_with(
            &app,
            "GET",
            "/fhir/$export",
            Some(&other),
            None,
            &[("prefer", "respond-async")],
        )
        .await;
        let o_path = o
            .headers
            .get(header::CONTENT_LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let om = manifest(&app, &o_path[o_path.find("/fhir/").unwrap()..], &other).await;
        assert!(
            om["output"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["type"] != "Patient"),
            "{om}"
        );

        let cancelled = call(&app, "DELETE", path, Some(&doctor), None).await;
        assert_eq!(cancelled.status, StatusCode::ACCEPTED);
        assert_eq!(
            call(&app, "GET", path, Some(&doctor), None).await.status,
            StatusCode::NOT_FOUND
        );
    }
}
