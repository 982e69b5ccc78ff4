//! The bound on concurrent requests (`server.max_concurrent_requests`). Past it a request is
//! answered 503 with `Retry-After: 1` at once — a semaphore `try_acquire`, never a queue — so an
//! overloaded server sheds load quickly instead of letting latency grow without bound.

use std::sync::Arc;

use poem::http::{header, StatusCode};
use poem::Response;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Shared by every request of one server; `None` when unbounded.
#[derive(Clone)]
pub struct Limiter(Option<Arc<Semaphore>>);

/// Every slot is taken.
#[derive(Debug)]
pub struct Full;

impl Limiter {
    pub fn new(max: u64) -> Limiter {
        Limiter((max > 0).then(|| Arc::new(Semaphore::new(max as usize))))
    }

    /// A slot for one request (`Ok(None)` when unbounded), or `Err` when all are taken.
    pub fn admit(&self) -> Result<Option<OwnedSemaphorePermit>, Full> {
        match &self.0 {
            None => Ok(None),
            Some(sem) => sem.clone().try_acquire_owned().map(Some).map_err(|_| Full),
        }
    }
}

/// The answer past the bound: 503, retry in a second.
pub fn busy() -> Response {
    Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header(header::RETRY_AFTER, "1")
        .content_type("application/json; charset=utf-8")
        .body("{\"detail\": \"The server is busy; retry in a second.\"}")
}
