-- A narrowed reference parameter (`Observation.patient` is `Observation.subject` where it is a
-- Patient; `Encounter.practitioner` is `Encounter.participant` where it is a Practitioner) is
-- no longer indexed apart: its values are the wider parameter's rows of that type
-- (`translate::reference_condition`). The rows written before are removed. The list is the
-- one `fhir::narrowed_params` gives; a test keeps the two equal.
DELETE FROM fhir_idx_reference WHERE param IN (
    'CarePlan.patient',
    'Condition.patient',
    'Encounter.patient',
    'Encounter.practitioner',
    'MedicationRequest.patient',
    'MedicationStatement.patient',
    'Observation.patient',
    'Procedure.patient'
);
