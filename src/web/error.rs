//! One error type for the pages: each variant is a status code, and the
//! answer is a page saying what went wrong (never a panic, never a blank
//! 500).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::layout;
use crate::store::StoreError;
use crate::wanted::WantedError;
use crate::workflow::{AttachError, CancelError, ChooseError};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// The request was understood but the state refuses it (an answer to an
    /// offer that was already answered, a run that has ended).
    #[error("{0}")]
    Refused(String),
    /// A form without this process's token (another site, or a page from
    /// before a restart).
    #[error("this form has expired or did not come from this page: reload the page and try again")]
    Csrf,
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Refused(_) => StatusCode::CONFLICT,
            WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self, "web request failed");
        }
        let title = status.canonical_reason().unwrap_or("Error");
        let body = layout::page(
            title,
            &[],
            html! {
                p.error role="alert" { (self.to_string()) }
                p { a href="/" { "Back to search" } }
            },
        );
        (status, body).into_response()
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Internal(format!("the database: {e}"))
    }
}

impl From<AttachError> for WebError {
    fn from(e: AttachError) -> Self {
        match e {
            AttachError::UnknownRun(_) => WebError::NotFound(e.to_string()),
            AttachError::WrongRun { .. } | AttachError::NothingToResume(_) => {
                WebError::BadRequest(e.to_string())
            }
            AttachError::ShuttingDown => WebError::Unavailable(e.to_string()),
            AttachError::Store(e) => e.into(),
        }
    }
}

impl From<ChooseError> for WebError {
    fn from(e: ChooseError) -> Self {
        match e {
            ChooseError::UnknownRun(_) => WebError::NotFound(e.to_string()),
            ChooseError::Store(e) => e.into(),
            ChooseError::Unreadable(_) => WebError::Internal(e.to_string()),
            _ => WebError::Refused(e.to_string()),
        }
    }
}

impl From<CancelError> for WebError {
    fn from(e: CancelError) -> Self {
        match e {
            CancelError::UnknownRun(_) => WebError::NotFound(e.to_string()),
            CancelError::Store(e) => e.into(),
        }
    }
}

impl From<WantedError> for WebError {
    fn from(e: WantedError) -> Self {
        match e {
            WantedError::NotWanted(_) => WebError::NotFound(e.to_string()),
            WantedError::Paused(_) => WebError::Refused(e.to_string()),
            WantedError::Attach(e) => e.into(),
            WantedError::Store(e) => e.into(),
        }
    }
}

/// Any path no route knows.
pub async fn not_found() -> WebError {
    WebError::NotFound("there is no page at this address".into())
}

impl From<crate::metadata::MetadataError> for WebError {
    fn from(e: crate::metadata::MetadataError) -> Self {
        match e {
            crate::metadata::MetadataError::NotFound(_) => WebError::NotFound(e.to_string()),
            crate::metadata::MetadataError::Unavailable(_) => {
                WebError::Unavailable(format!("MusicBrainz: {e}"))
            }
        }
    }
}
