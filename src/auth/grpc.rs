//! The gRPC side of the key: an interceptor on the musicagg service only,
//! so `grpc.health.v1` and reflection stay open (load balancers and tools
//! probe them without credentials; they reveal nothing about the library).

use std::sync::Arc;

use tonic::service::Interceptor;
use tonic::{Request, Status};

use super::{ApiKey, HOW_TO_SEND, presented};

/// Refuses calls without the key (UNAUTHENTICATED); lets everything through
/// when no key is configured.
#[derive(Clone, Debug)]
pub struct RequireKey {
    key: Option<Arc<ApiKey>>,
}

impl RequireKey {
    pub fn new(key: Option<Arc<ApiKey>>) -> Self {
        Self { key }
    }
}

impl Interceptor for RequireKey {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(key) = &self.key else {
            return Ok(request);
        };
        let metadata = request.metadata();
        let sent = presented(
            metadata.get("x-api-key").map(|v| v.as_bytes()),
            metadata.get("authorization").map(|v| v.as_bytes()),
        );
        match sent {
            Some(sent) if key.matches(sent) => Ok(request),
            // Never echo what was sent: it may be a real key of another service.
            Some(_) => Err(Status::unauthenticated(format!(
                "the API key sent is not this server's: {HOW_TO_SEND}"
            ))),
            None => Err(Status::unauthenticated(format!(
                "this server needs an API key: {HOW_TO_SEND}"
            ))),
        }
    }
}
