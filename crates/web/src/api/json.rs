//! What the JSON handlers of several areas share: reading a request body into a typed form
//! and answering with the result or an RFC 7807 problem in the caller's language.

use access::FieldError;
use axum::Json;
use axum::response::{IntoResponse, Response};
use kernel::Lang;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, AppError};

/// The body as `T`. An empty body reads as `{}`, so a form whose fields all have defaults
/// needs none, and one that lacks a required field says which. Malformed JSON is a 422 on
/// the field `body` with serde's own account of where it broke.
pub(crate) fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let text = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        bytes
    };
    serde_json::from_slice(text).map_err(|e| {
        let message = e.to_string();
        AppError::Invalid(vec![FieldError::new(
            "body",
            format!("请求体不是所需的 JSON：{message}"),
            format!("the body is not the JSON this endpoint takes: {message}"),
        )])
    })
}

/// A handler's outcome as a response: the value as JSON, or the error as a problem.
pub(crate) fn answer(result: Result<Value, AppError>, lang: Lang) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(error) => ApiError { error, lang }.into_response(),
    }
}

/// A domain value as JSON. The domain types serialise to plain maps, so this cannot fail
/// in practice; `null` stands in rather than a panic if one ever did.
pub(crate) fn json_of<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Form {
        #[serde(default)]
        reason: String,
    }

    #[test]
    fn an_empty_body_reads_as_an_empty_object() {
        assert_eq!(
            body::<Form>(b" \n").unwrap(),
            Form {
                reason: String::new()
            }
        );
    }

    #[test]
    fn malformed_json_is_an_error_on_the_body_field() {
        let Err(AppError::Invalid(fields)) = body::<Form>(b"{\"reason\":") else {
            panic!("malformed JSON must be invalid");
        };
        assert_eq!(fields[0].field, "body");
        assert!(fields[0].message(Lang::En).contains("EOF"));
        let Err(AppError::Invalid(fields)) = body::<Form>(b"{\"other\":1}") else {
            panic!("an unknown field must be invalid");
        };
        assert!(fields[0].message(Lang::Zh).contains("other"));
    }
}
