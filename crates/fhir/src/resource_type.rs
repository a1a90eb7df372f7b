//! The R4 resource type names, and the twelve types this platform models in depth.

/// Every resource type of FHIR R4 (4.0.1), in the order of the spec's resource list.
/// `Resource` and `DomainResource` are abstract and therefore absent.
pub const ALL_RESOURCE_TYPES: &[&str] = &[
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MedicinalProductAuthorization",
    "MedicinalProductContraindication",
    "MedicinalProductIndication",
    "MedicinalProductIngredient",
    "MedicinalProductInteraction",
    "MedicinalProductManufactured",
    "MedicinalProductPackaged",
    "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SubstanceNucleicAcid",
    "SubstancePolymer",
    "SubstanceProtein",
    "SubstanceReferenceInformation",
    "SubstanceSourceMaterial",
    "SubstanceSpecification",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
];

/// Whether `name` is an R4 resource type (case-sensitive, as FHIR type names are).
pub fn is_resource_type(name: &str) -> bool {
    // The list is sorted, so a binary search is exact and cheap.
    ALL_RESOURCE_TYPES.binary_search(&name).is_ok()
}

/// The resource types this platform validates structurally and searches in depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoreType {
    Patient,
    Practitioner,
    Organization,
    Encounter,
    Condition,
    Observation,
    MedicationRequest,
    MedicationStatement,
    Procedure,
    CarePlan,
    Consent,
    AuditEvent,
}

impl CoreType {
    pub const ALL: [CoreType; 12] = [
        CoreType::Patient,
        CoreType::Practitioner,
        CoreType::Organization,
        CoreType::Encounter,
        CoreType::Condition,
        CoreType::Observation,
        CoreType::MedicationRequest,
        CoreType::MedicationStatement,
        CoreType::Procedure,
        CoreType::CarePlan,
        CoreType::Consent,
        CoreType::AuditEvent,
    ];

    pub fn parse(name: &str) -> Option<CoreType> {
        CoreType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CoreType::Patient => "Patient",
            CoreType::Practitioner => "Practitioner",
            CoreType::Organization => "Organization",
            CoreType::Encounter => "Encounter",
            CoreType::Condition => "Condition",
            CoreType::Observation => "Observation",
            CoreType::MedicationRequest => "MedicationRequest",
            CoreType::MedicationStatement => "MedicationStatement",
            CoreType::Procedure => "Procedure",
            CoreType::CarePlan => "CarePlan",
            CoreType::Consent => "Consent",
            CoreType::AuditEvent => "AuditEvent",
        }
    }
}

impl std::fmt::Display for CoreType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_unique_and_complete() {
        let mut sorted = ALL_RESOURCE_TYPES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, ALL_RESOURCE_TYPES, "binary search relies on order");
        assert_eq!(ALL_RESOURCE_TYPES.len(), 146);
        assert!(is_resource_type("VisionPrescription"));
        assert!(is_resource_type("Bundle"));
        assert!(!is_resource_type("DomainResource"));
        assert!(!is_resource_type("Resource"));
        assert!(!is_resource_type("patient"));
    }

    #[test]
    fn core_types_round_trip_and_are_resource_types() {
        for t in CoreType::ALL {
            assert_eq!(CoreType::parse(t.as_str()), Some(t));
            assert!(is_resource_type(t.as_str()));
        }
        assert_eq!(CoreType::parse("Group"), None);
    }
}
