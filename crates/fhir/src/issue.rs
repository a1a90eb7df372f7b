//! Problems found in a resource or request, and the OperationOutcome that reports them.

use serde_json::{Value, json};

/// OperationOutcome.issue.severity (required binding `issue-severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Fatal,
    Error,
    Warning,
    Information,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Fatal => "fatal",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
        }
    }
}

/// OperationOutcome.issue.code (required binding `issue-type`, R4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueCode {
    Invalid,
    Structure,
    Required,
    Value,
    Invariant,
    Security,
    Login,
    Unknown,
    Expired,
    Forbidden,
    Suppressed,
    Processing,
    NotSupported,
    Duplicate,
    MultipleMatches,
    NotFound,
    Deleted,
    TooLong,
    CodeInvalid,
    Extension,
    TooCostly,
    BusinessRule,
    Conflict,
    Transient,
    LockError,
    NoStore,
    Exception,
    Timeout,
    Incomplete,
    Throttled,
    Informational,
}

impl IssueCode {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::Invalid => "invalid",
            IssueCode::Structure => "structure",
            IssueCode::Required => "required",
            IssueCode::Value => "value",
            IssueCode::Invariant => "invariant",
            IssueCode::Security => "security",
            IssueCode::Login => "login",
            IssueCode::Unknown => "unknown",
            IssueCode::Expired => "expired",
            IssueCode::Forbidden => "forbidden",
            IssueCode::Suppressed => "suppressed",
            IssueCode::Processing => "processing",
            IssueCode::NotSupported => "not-supported",
            IssueCode::Duplicate => "duplicate",
            IssueCode::MultipleMatches => "multiple-matches",
            IssueCode::NotFound => "not-found",
            IssueCode::Deleted => "deleted",
            IssueCode::TooLong => "too-long",
            IssueCode::CodeInvalid => "code-invalid",
            IssueCode::Extension => "extension",
            IssueCode::TooCostly => "too-costly",
            IssueCode::BusinessRule => "business-rule",
            IssueCode::Conflict => "conflict",
            IssueCode::Transient => "transient",
            IssueCode::LockError => "lock-error",
            IssueCode::NoStore => "no-store",
            IssueCode::Exception => "exception",
            IssueCode::Timeout => "timeout",
            IssueCode::Incomplete => "incomplete",
            IssueCode::Throttled => "throttled",
            IssueCode::Informational => "informational",
        }
    }
}

/// One problem, located by a FHIRPath `expression` (empty when it concerns the whole request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {} at {}: {}", severity.as_str(), code.as_str(), expression, diagnostics)]
pub struct Issue {
    pub severity: Severity,
    pub code: IssueCode,
    pub expression: String,
    pub diagnostics: String,
}

impl Issue {
    pub fn error(
        code: IssueCode,
        expression: impl Into<String>,
        diagnostics: impl Into<String>,
    ) -> Issue {
        Issue {
            severity: Severity::Error,
            code,
            expression: expression.into(),
            diagnostics: diagnostics.into(),
        }
    }

    pub fn warning(
        code: IssueCode,
        expression: impl Into<String>,
        diagnostics: impl Into<String>,
    ) -> Issue {
        Issue {
            severity: Severity::Warning,
            code,
            expression: expression.into(),
            diagnostics: diagnostics.into(),
        }
    }

    /// Whether the issue stops the request (warnings and information do not).
    pub fn is_blocking(&self) -> bool {
        matches!(self.severity, Severity::Fatal | Severity::Error)
    }

    fn to_json(&self) -> Value {
        let mut issue = json!({
            "severity": self.severity.as_str(),
            "code": self.code.as_str(),
            "diagnostics": self.diagnostics,
        });
        if !self.expression.is_empty() {
            issue["expression"] = json!([self.expression]);
        }
        issue
    }
}

/// An OperationOutcome listing `issues`. OperationOutcome.issue is 1..*, so an empty slice
/// yields a single informational "no issues" entry rather than an invalid resource.
pub fn operation_outcome(issues: &[Issue]) -> Value {
    let issue: Vec<Value> = if issues.is_empty() {
        vec![
            json!({"severity": "information", "code": "informational", "diagnostics": "No issues detected."}),
        ]
    } else {
        issues.iter().map(Issue::to_json).collect()
    };
    json!({"resourceType": "OperationOutcome", "issue": issue})
}

/// An OperationOutcome with a single issue that concerns no particular element.
pub fn outcome_message(severity: Severity, code: IssueCode, diagnostics: &str) -> Value {
    operation_outcome(&[Issue {
        severity,
        code,
        expression: String::new(),
        diagnostics: diagnostics.to_owned(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_lists_every_issue_with_its_expression() {
        let oo = operation_outcome(&[
            Issue::error(
                IssueCode::Required,
                "Observation.status",
                "Observation.status is required",
            ),
            Issue::warning(IssueCode::NotSupported, "", "ignored _foo"),
        ]);
        assert_eq!(oo["resourceType"], "OperationOutcome");
        assert_eq!(oo["issue"][0]["severity"], "error");
        assert_eq!(oo["issue"][0]["code"], "required");
        assert_eq!(oo["issue"][0]["expression"][0], "Observation.status");
        assert_eq!(oo["issue"][1]["code"], "not-supported");
        assert!(
            oo["issue"][1].get("expression").is_none(),
            "empty expressions are omitted"
        );
    }

    #[test]
    fn empty_outcome_is_still_valid() {
        let oo = operation_outcome(&[]);
        assert_eq!(oo["issue"].as_array().map(Vec::len), Some(1));
        let msg = outcome_message(
            Severity::Error,
            IssueCode::NotFound,
            "Patient/1 is not known",
        );
        assert_eq!(msg["issue"][0]["code"], "not-found");
        assert_eq!(msg["issue"][0]["diagnostics"], "Patient/1 is not known");
    }
}
