//! Structure of the core resource types and the datatypes they use, as data: element names,
//! cardinality, types and required bindings, transcribed from the R4 StructureDefinitions.

/// Primitive types, with the code list of a required binding where there is one.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Prim {
    Boolean,
    Integer,
    PositiveInt,
    UnsignedInt,
    Decimal,
    String,
    Code(&'static [&'static str]),
    Id,
    Uri,
    Date,
    DateTime,
    Instant,
    Time,
    Base64,
    Xhtml,
}

/// Complex datatypes validated element by element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Data {
    Identifier,
    HumanName,
    ContactPoint,
    Address,
    CodeableConcept,
    Coding,
    Quantity,
    SimpleQuantity,
    Period,
    Range,
    Ratio,
    Annotation,
    Attachment,
    Dosage,
    Timing,
    Narrative,
    Meta,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    Prim(Prim),
    Data(Data),
    /// Reference to one of these types; empty = any.
    Reference(&'static [&'static str]),
    /// CodeableConcept whose codings from `system` must use one of `codes` (required binding).
    Bound {
        system: &'static str,
        codes: &'static [&'static str],
    },
    Backbone(&'static [Elem]),
    /// `name[x]`: JSON key `name` + suffix.
    Choice(&'static [(&'static str, Ty)]),
    /// Accepted without inspection beyond the generic rules (rarely used structures).
    Any,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Elem {
    pub name: &'static str,
    pub min: u8,
    pub many: bool,
    pub ty: Ty,
}

const fn opt(name: &'static str, ty: Ty) -> Elem {
    Elem {
        name,
        min: 0,
        many: false,
        ty,
    }
}
const fn req(name: &'static str, ty: Ty) -> Elem {
    Elem {
        name,
        min: 1,
        many: false,
        ty,
    }
}
const fn list(name: &'static str, ty: Ty) -> Elem {
    Elem {
        name,
        min: 0,
        many: true,
        ty,
    }
}
const fn req_list(name: &'static str, ty: Ty) -> Elem {
    Elem {
        name,
        min: 1,
        many: true,
        ty,
    }
}
const fn code(codes: &'static [&'static str]) -> Ty {
    Ty::Prim(Prim::Code(codes))
}
const fn reference(targets: &'static [&'static str]) -> Ty {
    Ty::Reference(targets)
}

const BOOL: Ty = Ty::Prim(Prim::Boolean);
const INT: Ty = Ty::Prim(Prim::Integer);
const POS_INT: Ty = Ty::Prim(Prim::PositiveInt);
const UNSIGNED: Ty = Ty::Prim(Prim::UnsignedInt);
const DECIMAL: Ty = Ty::Prim(Prim::Decimal);
const STR: Ty = Ty::Prim(Prim::String);
const ANY_CODE: Ty = code(&[]);
const URI: Ty = Ty::Prim(Prim::Uri);
const DATE: Ty = Ty::Prim(Prim::Date);
const DATE_TIME: Ty = Ty::Prim(Prim::DateTime);
const INSTANT: Ty = Ty::Prim(Prim::Instant);
const TIME: Ty = Ty::Prim(Prim::Time);
const BASE64: Ty = Ty::Prim(Prim::Base64);
const CC: Ty = Ty::Data(Data::CodeableConcept);
const CODING: Ty = Ty::Data(Data::Coding);
const IDENTIFIER: Ty = Ty::Data(Data::Identifier);
const HUMAN_NAME: Ty = Ty::Data(Data::HumanName);
const CONTACT_POINT: Ty = Ty::Data(Data::ContactPoint);
const ADDRESS: Ty = Ty::Data(Data::Address);
const QUANTITY: Ty = Ty::Data(Data::Quantity);
const SIMPLE_QUANTITY: Ty = Ty::Data(Data::SimpleQuantity);
const PERIOD: Ty = Ty::Data(Data::Period);
const RANGE: Ty = Ty::Data(Data::Range);
const RATIO: Ty = Ty::Data(Data::Ratio);
const ANNOTATION: Ty = Ty::Data(Data::Annotation);
const ATTACHMENT: Ty = Ty::Data(Data::Attachment);
const DOSAGE: Ty = Ty::Data(Data::Dosage);
const TIMING: Ty = Ty::Data(Data::Timing);
const ANY_REF: Ty = reference(&[]);

pub(crate) fn datatype_elements(data: Data) -> &'static [Elem] {
    match data {
        Data::Identifier => {
            const E: &[Elem] = &[
                opt(
                    "use",
                    code(&["usual", "official", "temp", "secondary", "old"]),
                ),
                opt("type", CC),
                opt("system", URI),
                opt("value", STR),
                opt("period", PERIOD),
                opt("assigner", reference(&["Organization"])),
            ];
            E
        }
        Data::HumanName => {
            const E: &[Elem] = &[
                opt(
                    "use",
                    code(&[
                        "usual",
                        "official",
                        "temp",
                        "nickname",
                        "anonymous",
                        "old",
                        "maiden",
                    ]),
                ),
                opt("text", STR),
                opt("family", STR),
                list("given", STR),
                list("prefix", STR),
                list("suffix", STR),
                opt("period", PERIOD),
            ];
            E
        }
        Data::ContactPoint => {
            const E: &[Elem] = &[
                opt(
                    "system",
                    code(&["phone", "fax", "email", "pager", "url", "sms", "other"]),
                ),
                opt("value", STR),
                opt("use", code(&["home", "work", "temp", "old", "mobile"])),
                opt("rank", POS_INT),
                opt("period", PERIOD),
            ];
            E
        }
        Data::Address => {
            const E: &[Elem] = &[
                opt("use", code(&["home", "work", "temp", "old", "billing"])),
                opt("type", code(&["postal", "physical", "both"])),
                opt("text", STR),
                list("line", STR),
                opt("city", STR),
                opt("district", STR),
                opt("state", STR),
                opt("postalCode", STR),
                opt("country", STR),
                opt("period", PERIOD),
            ];
            E
        }
        Data::CodeableConcept => {
            const E: &[Elem] = &[list("coding", CODING), opt("text", STR)];
            E
        }
        Data::Coding => {
            const E: &[Elem] = &[
                opt("system", URI),
                opt("version", STR),
                opt("code", ANY_CODE),
                opt("display", STR),
                opt("userSelected", BOOL),
            ];
            E
        }
        Data::Quantity => {
            const E: &[Elem] = &[
                opt("value", DECIMAL),
                opt("comparator", code(&["<", "<=", ">=", ">"])),
                opt("unit", STR),
                opt("system", URI),
                opt("code", ANY_CODE),
            ];
            E
        }
        Data::SimpleQuantity => {
            const E: &[Elem] = &[
                opt("value", DECIMAL),
                opt("unit", STR),
                opt("system", URI),
                opt("code", ANY_CODE),
            ];
            E
        }
        Data::Period => {
            const E: &[Elem] = &[opt("start", DATE_TIME), opt("end", DATE_TIME)];
            E
        }
        Data::Range => {
            const E: &[Elem] = &[opt("low", SIMPLE_QUANTITY), opt("high", SIMPLE_QUANTITY)];
            E
        }
        Data::Ratio => {
            const E: &[Elem] = &[opt("numerator", QUANTITY), opt("denominator", QUANTITY)];
            E
        }
        Data::Annotation => {
            const E: &[Elem] = &[
                opt(
                    "author",
                    Ty::Choice(&[
                        (
                            "Reference",
                            reference(&[
                                "Practitioner",
                                "Patient",
                                "RelatedPerson",
                                "Organization",
                            ]),
                        ),
                        ("String", STR),
                    ]),
                ),
                opt("time", DATE_TIME),
                req("text", STR),
            ];
            E
        }
        Data::Attachment => {
            const E: &[Elem] = &[
                opt("contentType", ANY_CODE),
                opt("language", ANY_CODE),
                opt("data", BASE64),
                opt("url", URI),
                opt("size", UNSIGNED),
                opt("hash", BASE64),
                opt("title", STR),
                opt("creation", DATE_TIME),
            ];
            E
        }
        Data::Timing => {
            const E: &[Elem] = &[
                list("event", DATE_TIME),
                opt("repeat", Ty::Any),
                opt("code", CC),
            ];
            E
        }
        Data::Dosage => {
            const E: &[Elem] = &[
                opt("sequence", INT),
                opt("text", STR),
                list("additionalInstruction", CC),
                opt("patientInstruction", STR),
                opt("timing", TIMING),
                opt(
                    "asNeeded",
                    Ty::Choice(&[("Boolean", BOOL), ("CodeableConcept", CC)]),
                ),
                opt("site", CC),
                opt("route", CC),
                opt("method", CC),
                list(
                    "doseAndRate",
                    Ty::Backbone(&[
                        opt("type", CC),
                        opt(
                            "dose",
                            Ty::Choice(&[("Range", RANGE), ("Quantity", SIMPLE_QUANTITY)]),
                        ),
                        opt(
                            "rate",
                            Ty::Choice(&[
                                ("Ratio", RATIO),
                                ("Range", RANGE),
                                ("Quantity", SIMPLE_QUANTITY),
                            ]),
                        ),
                    ]),
                ),
                opt("maxDosePerPeriod", RATIO),
                opt("maxDosePerAdministration", SIMPLE_QUANTITY),
                opt("maxDosePerLifetime", SIMPLE_QUANTITY),
            ];
            E
        }
        Data::Narrative => {
            const E: &[Elem] = &[
                req(
                    "status",
                    code(&["generated", "extensions", "additional", "empty"]),
                ),
                req("div", Ty::Prim(Prim::Xhtml)),
            ];
            E
        }
        Data::Meta => {
            const E: &[Elem] = &[
                opt("versionId", Ty::Prim(Prim::Id)),
                opt("lastUpdated", INSTANT),
                opt("source", URI),
                list("profile", URI),
                list("security", CODING),
                list("tag", CODING),
            ];
            E
        }
    }
}

const REFERENCE_ELEMENTS: &[Elem] = &[
    opt("reference", STR),
    opt("type", URI),
    opt("identifier", IDENTIFIER),
    opt("display", STR),
];

pub(crate) fn reference_elements() -> &'static [Elem] {
    REFERENCE_ELEMENTS
}

const PRACTITIONERS: &[&str] = &["Practitioner", "PractitionerRole"];
const SUBJECT: &[&str] = &["Patient", "Group"];
const AUTHORS: &[&str] = &[
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "RelatedPerson",
];
const REQUESTERS: &[&str] = &[
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Patient",
    "RelatedPerson",
    "Device",
];
const GENDER: Ty = code(&["male", "female", "other", "unknown"]);

const PATIENT: &[Elem] = &[
    list("identifier", IDENTIFIER),
    opt("active", BOOL),
    list("name", HUMAN_NAME),
    list("telecom", CONTACT_POINT),
    opt("gender", GENDER),
    opt("birthDate", DATE),
    opt(
        "deceased",
        Ty::Choice(&[("Boolean", BOOL), ("DateTime", DATE_TIME)]),
    ),
    list("address", ADDRESS),
    opt("maritalStatus", CC),
    opt(
        "multipleBirth",
        Ty::Choice(&[("Boolean", BOOL), ("Integer", INT)]),
    ),
    list("photo", ATTACHMENT),
    list(
        "contact",
        Ty::Backbone(&[
            list("relationship", CC),
            opt("name", HUMAN_NAME),
            list("telecom", CONTACT_POINT),
            opt("address", ADDRESS),
            opt("gender", GENDER),
            opt("organization", reference(&["Organization"])),
            opt("period", PERIOD),
        ]),
    ),
    list(
        "communication",
        Ty::Backbone(&[req("language", CC), opt("preferred", BOOL)]),
    ),
    list(
        "generalPractitioner",
        reference(&["Organization", "Practitioner", "PractitionerRole"]),
    ),
    opt("managingOrganization", reference(&["Organization"])),
    list(
        "link",
        Ty::Backbone(&[
            req("other", reference(&["Patient", "RelatedPerson"])),
            req(
                "type",
                code(&["replaced-by", "replaces", "refer", "seealso"]),
            ),
        ]),
    ),
];

const PRACTITIONER: &[Elem] = &[
    list("identifier", IDENTIFIER),
    opt("active", BOOL),
    list("name", HUMAN_NAME),
    list("telecom", CONTACT_POINT),
    list("address", ADDRESS),
    opt("gender", GENDER),
    opt("birthDate", DATE),
    list("photo", ATTACHMENT),
    list(
        "qualification",
        Ty::Backbone(&[
            list("identifier", IDENTIFIER),
            req("code", CC),
            opt("period", PERIOD),
            opt("issuer", reference(&["Organization"])),
        ]),
    ),
    list("communication", CC),
];

const ORGANIZATION: &[Elem] = &[
    list("identifier", IDENTIFIER),
    opt("active", BOOL),
    list("type", CC),
    opt("name", STR),
    list("alias", STR),
    list("telecom", CONTACT_POINT),
    list("address", ADDRESS),
    opt("partOf", reference(&["Organization"])),
    list(
        "contact",
        Ty::Backbone(&[
            opt("purpose", CC),
            opt("name", HUMAN_NAME),
            list("telecom", CONTACT_POINT),
            opt("address", ADDRESS),
        ]),
    ),
    list("endpoint", reference(&["Endpoint"])),
];

const ENCOUNTER_STATUS: Ty = code(&[
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
]);
const LOCATION_OR_ORG: &[&str] = &["Location", "Organization"];

const ENCOUNTER: &[Elem] = &[
    list("identifier", IDENTIFIER),
    req("status", ENCOUNTER_STATUS),
    list(
        "statusHistory",
        Ty::Backbone(&[req("status", ENCOUNTER_STATUS), req("period", PERIOD)]),
    ),
    req("class", CODING),
    list(
        "classHistory",
        Ty::Backbone(&[req("class", CODING), req("period", PERIOD)]),
    ),
    list("type", CC),
    opt("serviceType", CC),
    opt("priority", CC),
    opt("subject", reference(SUBJECT)),
    list("episodeOfCare", reference(&["EpisodeOfCare"])),
    list("basedOn", reference(&["ServiceRequest"])),
    list(
        "participant",
        Ty::Backbone(&[
            list("type", CC),
            opt("period", PERIOD),
            opt(
                "individual",
                reference(&["Practitioner", "PractitionerRole", "RelatedPerson"]),
            ),
        ]),
    ),
    list("appointment", reference(&["Appointment"])),
    opt("period", PERIOD),
    opt("length", QUANTITY),
    list("reasonCode", CC),
    list(
        "reasonReference",
        reference(&[
            "Condition",
            "Procedure",
            "Observation",
            "ImmunizationRecommendation",
        ]),
    ),
    list(
        "diagnosis",
        Ty::Backbone(&[
            req("condition", reference(&["Condition", "Procedure"])),
            opt("use", CC),
            opt("rank", POS_INT),
        ]),
    ),
    list("account", reference(&["Account"])),
    opt(
        "hospitalization",
        Ty::Backbone(&[
            opt("preAdmissionIdentifier", IDENTIFIER),
            opt("origin", reference(LOCATION_OR_ORG)),
            opt("admitSource", CC),
            opt("reAdmission", CC),
            list("dietPreference", CC),
            list("specialCourtesy", CC),
            list("specialArrangement", CC),
            opt("destination", reference(LOCATION_OR_ORG)),
            opt("dischargeDisposition", CC),
        ]),
    ),
    list(
        "location",
        Ty::Backbone(&[
            req("location", reference(&["Location"])),
            opt(
                "status",
                code(&["planned", "active", "reserved", "completed"]),
            ),
            opt("physicalType", CC),
            opt("period", PERIOD),
        ]),
    ),
    opt("serviceProvider", reference(&["Organization"])),
    opt("partOf", reference(&["Encounter"])),
];

const ONSET: &[(&str, Ty)] = &[
    ("DateTime", DATE_TIME),
    ("Age", QUANTITY),
    ("Period", PERIOD),
    ("Range", RANGE),
    ("String", STR),
];

pub(crate) const CONDITION_CLINICAL: &str =
    "http://terminology.hl7.org/CodeSystem/condition-clinical";
pub(crate) const CONDITION_VER_STATUS: &str =
    "http://terminology.hl7.org/CodeSystem/condition-ver-status";

const CONDITION: &[Elem] = &[
    list("identifier", IDENTIFIER),
    opt(
        "clinicalStatus",
        Ty::Bound {
            system: CONDITION_CLINICAL,
            codes: &[
                "active",
                "recurrence",
                "relapse",
                "inactive",
                "remission",
                "resolved",
            ],
        },
    ),
    opt(
        "verificationStatus",
        Ty::Bound {
            system: CONDITION_VER_STATUS,
            codes: &[
                "unconfirmed",
                "provisional",
                "differential",
                "confirmed",
                "refuted",
                "entered-in-error",
            ],
        },
    ),
    list("category", CC),
    opt("severity", CC),
    opt("code", CC),
    list("bodySite", CC),
    req("subject", reference(SUBJECT)),
    opt("encounter", reference(&["Encounter"])),
    opt("onset", Ty::Choice(ONSET)),
    opt("abatement", Ty::Choice(ONSET)),
    opt("recordedDate", DATE_TIME),
    opt("recorder", reference(AUTHORS)),
    opt("asserter", reference(AUTHORS)),
    list(
        "stage",
        Ty::Backbone(&[
            opt("summary", CC),
            list(
                "assessment",
                reference(&["ClinicalImpression", "DiagnosticReport", "Observation"]),
            ),
            opt("type", CC),
        ]),
    ),
    list(
        "evidence",
        Ty::Backbone(&[list("code", CC), list("detail", ANY_REF)]),
    ),
    list("note", ANNOTATION),
];

const OBSERVATION_VALUE: &[(&str, Ty)] = &[
    ("Quantity", QUANTITY),
    ("CodeableConcept", CC),
    ("String", STR),
    ("Boolean", BOOL),
    ("Integer", INT),
    ("Range", RANGE),
    ("Ratio", RATIO),
    ("SampledData", Ty::Any),
    ("Time", TIME),
    ("DateTime", DATE_TIME),
    ("Period", PERIOD),
];

const REFERENCE_RANGE: Ty = Ty::Backbone(&[
    opt("low", SIMPLE_QUANTITY),
    opt("high", SIMPLE_QUANTITY),
    opt("type", CC),
    list("appliesTo", CC),
    opt("age", RANGE),
    opt("text", STR),
]);

const OBSERVATION: &[Elem] = &[
    list("identifier", IDENTIFIER),
    list("basedOn", ANY_REF),
    list("partOf", ANY_REF),
    req(
        "status",
        code(&[
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        ]),
    ),
    list("category", CC),
    req("code", CC),
    opt(
        "subject",
        reference(&["Patient", "Group", "Device", "Location"]),
    ),
    list("focus", ANY_REF),
    opt("encounter", reference(&["Encounter"])),
    opt(
        "effective",
        Ty::Choice(&[
            ("DateTime", DATE_TIME),
            ("Period", PERIOD),
            ("Timing", TIMING),
            ("Instant", INSTANT),
        ]),
    ),
    opt("issued", INSTANT),
    list(
        "performer",
        reference(&[
            "Practitioner",
            "PractitionerRole",
            "Organization",
            "CareTeam",
            "Patient",
            "RelatedPerson",
        ]),
    ),
    opt("value", Ty::Choice(OBSERVATION_VALUE)),
    opt("dataAbsentReason", CC),
    list("interpretation", CC),
    list("note", ANNOTATION),
    opt("bodySite", CC),
    opt("method", CC),
    opt("specimen", reference(&["Specimen"])),
    opt("device", reference(&["Device", "DeviceMetric"])),
    list("referenceRange", REFERENCE_RANGE),
    list(
        "hasMember",
        reference(&["Observation", "QuestionnaireResponse", "MolecularSequence"]),
    ),
    list("derivedFrom", ANY_REF),
    list(
        "component",
        Ty::Backbone(&[
            req("code", CC),
            opt("value", Ty::Choice(OBSERVATION_VALUE)),
            opt("dataAbsentReason", CC),
            list("interpretation", CC),
            list("referenceRange", REFERENCE_RANGE),
        ]),
    ),
];

const MEDICATION: Ty = Ty::Choice(&[
    ("CodeableConcept", CC),
    ("Reference", reference(&["Medication"])),
]);

const MEDICATION_REQUEST: &[Elem] = &[
    list("identifier", IDENTIFIER),
    req(
        "status",
        code(&[
            "active",
            "on-hold",
            "cancelled",
            "completed",
            "entered-in-error",
            "stopped",
            "draft",
            "unknown",
        ]),
    ),
    opt("statusReason", CC),
    req(
        "intent",
        code(&[
            "proposal",
            "plan",
            "order",
            "original-order",
            "reflex-order",
            "filler-order",
            "instance-order",
            "option",
        ]),
    ),
    list("category", CC),
    opt("priority", code(&["routine", "urgent", "asap", "stat"])),
    opt("doNotPerform", BOOL),
    opt(
        "reported",
        Ty::Choice(&[("Boolean", BOOL), ("Reference", ANY_REF)]),
    ),
    req("medication", MEDICATION),
    req("subject", reference(SUBJECT)),
    opt("encounter", reference(&["Encounter"])),
    list("supportingInformation", ANY_REF),
    opt("authoredOn", DATE_TIME),
    opt("requester", reference(REQUESTERS)),
    opt("performer", ANY_REF),
    opt("performerType", CC),
    opt("recorder", reference(PRACTITIONERS)),
    list("reasonCode", CC),
    list("reasonReference", reference(&["Condition", "Observation"])),
    list("instantiatesCanonical", URI),
    list("instantiatesUri", URI),
    list("basedOn", ANY_REF),
    opt("groupIdentifier", IDENTIFIER),
    opt("courseOfTherapyType", CC),
    list("insurance", reference(&["Coverage", "ClaimResponse"])),
    list("note", ANNOTATION),
    list("dosageInstruction", DOSAGE),
    opt(
        "dispenseRequest",
        Ty::Backbone(&[
            opt(
                "initialFill",
                Ty::Backbone(&[opt("quantity", SIMPLE_QUANTITY), opt("duration", QUANTITY)]),
            ),
            opt("dispenseInterval", QUANTITY),
            opt("validityPeriod", PERIOD),
            opt("numberOfRepeatsAllowed", UNSIGNED),
            opt("quantity", SIMPLE_QUANTITY),
            opt("expectedSupplyDuration", QUANTITY),
            opt("performer", reference(&["Organization"])),
        ]),
    ),
    opt(
        "substitution",
        Ty::Backbone(&[
            req(
                "allowed",
                Ty::Choice(&[("Boolean", BOOL), ("CodeableConcept", CC)]),
            ),
            opt("reason", CC),
        ]),
    ),
    opt("priorPrescription", reference(&["MedicationRequest"])),
    list("detectedIssue", reference(&["DetectedIssue"])),
    list("eventHistory", reference(&["Provenance"])),
];

const MEDICATION_STATEMENT: &[Elem] = &[
    list("identifier", IDENTIFIER),
    list("basedOn", ANY_REF),
    list("partOf", ANY_REF),
    req(
        "status",
        code(&[
            "active",
            "completed",
            "entered-in-error",
            "intended",
            "stopped",
            "on-hold",
            "unknown",
            "not-taken",
        ]),
    ),
    list("statusReason", CC),
    opt("category", CC),
    req("medication", MEDICATION),
    req("subject", reference(SUBJECT)),
    opt("context", reference(&["Encounter", "EpisodeOfCare"])),
    opt(
        "effective",
        Ty::Choice(&[("DateTime", DATE_TIME), ("Period", PERIOD)]),
    ),
    opt("dateAsserted", DATE_TIME),
    opt(
        "informationSource",
        reference(&[
            "Patient",
            "Practitioner",
            "PractitionerRole",
            "RelatedPerson",
            "Organization",
        ]),
    ),
    list("derivedFrom", ANY_REF),
    list("reasonCode", CC),
    list(
        "reasonReference",
        reference(&["Condition", "Observation", "DiagnosticReport"]),
    ),
    list("note", ANNOTATION),
    list("dosage", DOSAGE),
];

const PROCEDURE: &[Elem] = &[
    list("identifier", IDENTIFIER),
    list("instantiatesCanonical", URI),
    list("instantiatesUri", URI),
    list("basedOn", ANY_REF),
    list("partOf", ANY_REF),
    req(
        "status",
        code(&[
            "preparation",
            "in-progress",
            "not-done",
            "on-hold",
            "stopped",
            "completed",
            "entered-in-error",
            "unknown",
        ]),
    ),
    opt("statusReason", CC),
    opt("category", CC),
    opt("code", CC),
    req("subject", reference(SUBJECT)),
    opt("encounter", reference(&["Encounter"])),
    opt(
        "performed",
        Ty::Choice(&[
            ("DateTime", DATE_TIME),
            ("Period", PERIOD),
            ("String", STR),
            ("Age", QUANTITY),
            ("Range", RANGE),
        ]),
    ),
    opt("recorder", reference(AUTHORS)),
    opt("asserter", reference(AUTHORS)),
    list(
        "performer",
        Ty::Backbone(&[
            opt("function", CC),
            req("actor", reference(REQUESTERS)),
            opt("onBehalfOf", reference(&["Organization"])),
        ]),
    ),
    opt("location", reference(&["Location"])),
    list("reasonCode", CC),
    list("reasonReference", ANY_REF),
    list("bodySite", CC),
    opt("outcome", CC),
    list("report", ANY_REF),
    list("complication", CC),
    list("complicationDetail", reference(&["Condition"])),
    list("followUp", CC),
    list("note", ANNOTATION),
    list(
        "focalDevice",
        Ty::Backbone(&[
            opt("action", CC),
            req("manipulated", reference(&["Device"])),
        ]),
    ),
    list("usedReference", ANY_REF),
    list("usedCode", CC),
];

const CARE_PLAN: &[Elem] = &[
    list("identifier", IDENTIFIER),
    list("instantiatesCanonical", URI),
    list("instantiatesUri", URI),
    list("basedOn", reference(&["CarePlan"])),
    list("replaces", reference(&["CarePlan"])),
    list("partOf", reference(&["CarePlan"])),
    req(
        "status",
        code(&[
            "draft",
            "active",
            "on-hold",
            "revoked",
            "completed",
            "entered-in-error",
            "unknown",
        ]),
    ),
    req("intent", code(&["proposal", "plan", "order", "option"])),
    list("category", CC),
    opt("title", STR),
    opt("description", STR),
    req("subject", reference(SUBJECT)),
    opt("encounter", reference(&["Encounter"])),
    opt("period", PERIOD),
    opt("created", DATE_TIME),
    opt("author", ANY_REF),
    list("contributor", ANY_REF),
    list("careTeam", reference(&["CareTeam"])),
    list("addresses", reference(&["Condition"])),
    list("supportingInfo", ANY_REF),
    list("goal", reference(&["Goal"])),
    list(
        "activity",
        Ty::Backbone(&[
            list("outcomeCodeableConcept", CC),
            list("outcomeReference", ANY_REF),
            list("progress", ANNOTATION),
            opt("reference", ANY_REF),
            opt(
                "detail",
                Ty::Backbone(&[
                    opt("kind", ANY_CODE),
                    list("instantiatesCanonical", URI),
                    list("instantiatesUri", URI),
                    opt("code", CC),
                    list("reasonCode", CC),
                    list("reasonReference", ANY_REF),
                    list("goal", reference(&["Goal"])),
                    req(
                        "status",
                        code(&[
                            "not-started",
                            "scheduled",
                            "in-progress",
                            "on-hold",
                            "completed",
                            "cancelled",
                            "stopped",
                            "unknown",
                            "entered-in-error",
                        ]),
                    ),
                    opt("statusReason", CC),
                    opt("doNotPerform", BOOL),
                    opt(
                        "scheduled",
                        Ty::Choice(&[("Timing", TIMING), ("Period", PERIOD), ("String", STR)]),
                    ),
                    opt("location", reference(&["Location"])),
                    list("performer", ANY_REF),
                    opt(
                        "product",
                        Ty::Choice(&[
                            ("CodeableConcept", CC),
                            ("Reference", reference(&["Medication", "Substance"])),
                        ]),
                    ),
                    opt("dailyAmount", SIMPLE_QUANTITY),
                    opt("quantity", SIMPLE_QUANTITY),
                    opt("description", STR),
                ]),
            ),
        ]),
    ),
    list("note", ANNOTATION),
];

const CONSENT_PROVISION: &[Elem] = &[
    opt("type", code(&["deny", "permit"])),
    opt("period", PERIOD),
    list(
        "actor",
        Ty::Backbone(&[req("role", CC), req("reference", ANY_REF)]),
    ),
    list("action", CC),
    list("securityLabel", CODING),
    list("purpose", CODING),
    list("class", CODING),
    list("code", CC),
    opt("dataPeriod", PERIOD),
    list(
        "data",
        Ty::Backbone(&[
            req(
                "meaning",
                code(&["instance", "related", "dependents", "authoredby"]),
            ),
            req("reference", ANY_REF),
        ]),
    ),
    // Nested provisions repeat this structure; one level is checked in depth, deeper ones generically.
    list("provision", Ty::Any),
];

const CONSENT: &[Elem] = &[
    list("identifier", IDENTIFIER),
    req(
        "status",
        code(&[
            "draft",
            "proposed",
            "active",
            "rejected",
            "inactive",
            "entered-in-error",
        ]),
    ),
    req("scope", CC),
    req_list("category", CC),
    opt("patient", reference(&["Patient"])),
    opt("dateTime", DATE_TIME),
    list("performer", ANY_REF),
    list("organization", reference(&["Organization"])),
    opt(
        "source",
        Ty::Choice(&[("Attachment", ATTACHMENT), ("Reference", ANY_REF)]),
    ),
    list(
        "policy",
        Ty::Backbone(&[opt("authority", URI), opt("uri", URI)]),
    ),
    opt("policyRule", CC),
    list(
        "verification",
        Ty::Backbone(&[
            req("verified", BOOL),
            opt("verifiedWith", reference(&["Patient", "RelatedPerson"])),
            opt("verificationDate", DATE_TIME),
        ]),
    ),
    opt("provision", Ty::Backbone(CONSENT_PROVISION)),
];

const AUDIT_EVENT: &[Elem] = &[
    req("type", CODING),
    list("subtype", CODING),
    opt("action", code(&["C", "R", "U", "D", "E"])),
    opt("period", PERIOD),
    req("recorded", INSTANT),
    opt("outcome", code(&["0", "4", "8", "12"])),
    opt("outcomeDesc", STR),
    list("purposeOfEvent", CC),
    req_list(
        "agent",
        Ty::Backbone(&[
            opt("type", CC),
            list("role", CC),
            opt("who", ANY_REF),
            opt("altId", STR),
            opt("name", STR),
            req("requestor", BOOL),
            opt("location", reference(&["Location"])),
            list("policy", URI),
            opt("media", CODING),
            opt(
                "network",
                Ty::Backbone(&[
                    opt("address", STR),
                    opt("type", code(&["1", "2", "3", "4", "5"])),
                ]),
            ),
            list("purposeOfUse", CC),
        ]),
    ),
    req(
        "source",
        Ty::Backbone(&[
            opt("site", STR),
            req("observer", ANY_REF),
            list("type", CODING),
        ]),
    ),
    list(
        "entity",
        Ty::Backbone(&[
            opt("what", ANY_REF),
            opt("type", CODING),
            opt("role", CODING),
            opt("lifecycle", CODING),
            list("securityLabel", CODING),
            opt("name", STR),
            opt("description", STR),
            opt("query", BASE64),
            list(
                "detail",
                Ty::Backbone(&[
                    req("type", STR),
                    req(
                        "value",
                        Ty::Choice(&[("String", STR), ("Base64Binary", BASE64)]),
                    ),
                ]),
            ),
        ]),
    ),
];

pub(crate) fn resource_elements(core: crate::CoreType) -> &'static [Elem] {
    use crate::CoreType as C;
    match core {
        C::Patient => PATIENT,
        C::Practitioner => PRACTITIONER,
        C::Organization => ORGANIZATION,
        C::Encounter => ENCOUNTER,
        C::Condition => CONDITION,
        C::Observation => OBSERVATION,
        C::MedicationRequest => MEDICATION_REQUEST,
        C::MedicationStatement => MEDICATION_STATEMENT,
        C::Procedure => PROCEDURE,
        C::CarePlan => CARE_PLAN,
        C::Consent => CONSENT,
        C::AuditEvent => AUDIT_EVENT,
    }
}
