//! The one error type every server function returns, and what the browser may learn from it.
//!
//! Policy: each variant is an outcome a person can act on (sign in, ask an admin, fix a field,
//! reload). Anything else — a database failure, a bug — is logged on the server with its detail
//! and reaches the browser only as [`AppError::Internal`]. That is why server functions return
//! `AppError` and not `ServerFnError`: a bare `?` into `ServerFnError` would send the raw error
//! text to the client.
//!
//! [`FieldError`] is the one shape of "field X broke rule Y": server functions send it inside
//! [`AppError::Validation`], and the server's JSON API sends it as `field` and `rule`.

use leptos::server_fn::{ServerFnError, codec::JsonEncoding, error::FromServerFnError};
use serde::{Deserialize, Serialize};

/// An error a server function may report to the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the page sends the visitor to the login form.
    #[error("please sign in")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("your account does not have access to this")]
    Forbidden,
    /// The named thing does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// One input broke a rule; its `field` is the form field's name so the page can show the
    /// message beside it.
    #[error("{}: {}", .0.field, .0.rule)]
    Validation(FieldError),
    /// The request was valid but the state moved on (for example a lease that expired).
    #[error("{0}")]
    Conflict(String),
    /// Something failed on the server; the detail is in the server log only.
    #[error("something went wrong on the server; please try again")]
    Internal,
    /// The browser could not reach the server or read its answer.
    #[error("could not reach Loupe; check the connection and try again")]
    Transport,
}

impl AppError {
    /// Shorthand for a field-named validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(FieldError::new(field, message))
    }

    /// The message for `field`, if this error is about that field.
    pub fn message_for(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation(e) if e.field == field => Some(e.rule.clone()),
            _ => None,
        }
    }
}

/// What was wrong with one field of the input: the field's name or path, and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's name in a form, or its path in a request body (`confidence`,
    /// `tasks[3].document`).
    pub field: String,
    /// The rule it broke, for a person to read (`must be a number from 0 to 1`). Pages have
    /// always read it as `message`, so that is its name on the server functions' wire.
    #[serde(rename = "message")]
    pub rule: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// The same error for the task at `index` of a batch (`tasks[3].document`).
    pub fn in_batch(self, index: usize) -> Self {
        FieldError {
            field: format!("tasks[{index}].{}", self.field),
            rule: self.rule,
        }
    }

    /// Reads a JSON object into `T`, naming the offending field (`what` when the value is not an
    /// object at all).
    #[cfg(feature = "ssr")]
    pub fn read_object<T: serde::de::DeserializeOwned>(
        value: serde_json::Value,
        what: &str,
    ) -> Result<T, FieldError> {
        if !value.is_object() {
            return Err(FieldError::new(what, "must be a JSON object"));
        }
        serde_path_to_error::deserialize(value).map_err(|e| FieldError::from_serde(e, what))
    }

    /// The field a deserialization error is about, and its message without serde_json's
    /// position; `what` names the whole value when the error is about no field.
    #[cfg(feature = "ssr")]
    pub fn from_serde(e: serde_path_to_error::Error<serde_json::Error>, what: &str) -> Self {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // "… at line 1 column 20" says nothing more to a caller who is told the field.
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        let field = if path.is_empty() || path == "." {
            // Serde reports an unknown field at the object itself; name the field instead.
            message.split('`').nth(1).unwrap_or(what).to_owned()
        } else {
            path
        };
        FieldError::new(field, message)
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Validation(e)
    }
}

/// The message for `field` in an action's last result, for showing beside that field.
pub fn field_message<T>(result: &Option<Result<T, AppError>>, field: &str) -> Option<String> {
    match result {
        Some(Err(e)) => e.message_for(field),
        _ => None,
    }
}

/// The message of an action's last error when it belongs to no field (shown above the buttons).
pub fn form_message<T>(result: &Option<Result<T, AppError>>) -> Option<String> {
    match result {
        Some(Err(e)) if !matches!(e, AppError::Validation { .. }) => Some(e.to_string()),
        _ => None,
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // A form field the function needs was missing or malformed: the only framework
            // errors that are the caller's to fix.
            E::MissingArg(name) => AppError::invalid(&name, "is required"),
            E::Args(_) => AppError::invalid("form", "the form could not be read; reload the page"),
            E::Request(_) | E::Deserialization(_) => AppError::Transport,
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::Internal
            }
        }
    }
}

impl From<ServerFnError> for AppError {
    fn from(value: ServerFnError) -> Self {
        #[cfg(feature = "ssr")]
        tracing::error!(error = %value, "server function failed");
        #[cfg(not(feature = "ssr"))]
        let _ = value;
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(value: sqlx::Error) -> Self {
        tracing::error!(error = %value, "database error");
        AppError::Internal
    }
}
