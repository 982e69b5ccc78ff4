//! Serving HTTP/1.1 connections with deadlines poem's own server does not offer: each accepted
//! connection is served by hyper with a deadline for the request head
//! (`server.header_timeout_seconds`, hyper's `header_read_timeout`: a client trickling header
//! lines is closed when it runs out, and so is a keep-alive connection idle that long), the idle
//! timeout (`server.idle_timeout_seconds`: no bytes either way), and a graceful stop: on shutdown
//! every idle keep-alive connection is closed at once and every in-flight request finishes with
//! `Connection: close`, within the grace period. The body deadline is the middleware's
//! (`web::middleware::read_body`), because only a handler knows when it wants the body.
//! hancup speaks HTTP/1.1 only; the proxy in front terminates HTTP/2 and HTTP/3.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use poem::listener::Acceptor;
use poem::{Endpoint, EndpointExt, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The per-connection deadlines; `None` = no deadline.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub header: Option<Duration>,
    pub idle: Option<Duration>,
}

impl Deadlines {
    pub fn from_seconds(header: u64, idle: u64) -> Deadlines {
        let secs = |s: u64| (s > 0).then(|| Duration::from_secs(s));
        Deadlines {
            header: secs(header),
            idle: secs(idle),
        }
    }
}

type ResponseBody = http_body_util::combinators::BoxBody<Bytes, io::Error>;

/// Accepts until `shutdown` resolves, then stops every connection gracefully and waits up to
/// `grace` for in-flight requests; connections still open after it are dropped.
pub async fn serve<A, E>(
    mut acceptor: A,
    ep: E,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
    deadlines: Deadlines,
) -> io::Result<()>
where
    A: Acceptor,
    A::Io: 'static,
    E: Endpoint + 'static,
{
    let ep: Arc<dyn poem::endpoint::DynEndpoint<Output = Response>> =
        Arc::new(poem::endpoint::ToDynEndpoint(ep.map_to_response()));
    let (stop_tx, stop) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = acceptor.accept() => {
                let (io, local, remote, scheme) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // EMFILE and friends: keep serving the open connections, retry soon.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let ep = ep.clone();
                let stop = stop.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                        let ep = ep.clone();
                        let req = poem::Request::from((req, local.clone(), remote.clone(), scheme.clone()));
                        async move {
                            let resp = ep.get_response(req).await;
                            Ok::<_, Infallible>(hyper::Response::<ResponseBody>::from(resp))
                        }
                    });
                    serve_one(io, service, stop, deadlines).await;
                });
            }
        }
    }
    drop(acceptor);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "grace period over; closing the remaining connections"
        );
        connections.shutdown().await;
    }
    Ok(())
}

async fn serve_one<I, S>(io: I, service: S, mut stop: watch::Receiver<bool>, deadlines: Deadlines)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = ResponseBody> + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = Instant::now();
    let activity = Arc::new(AtomicU64::new(0));
    let io = Watched {
        inner: io,
        started,
        activity: activity.clone(),
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(deadlines.header);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let mut next_check = deadlines.idle.map(|idle| started + idle);
    loop {
        let idle_check = async {
            match next_check {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut conn => return,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            _ = idle_check => {
                let idle = deadlines.idle.expect("checked only with an idle timeout");
                let last = started + Duration::from_millis(activity.load(Ordering::Relaxed));
                if last.elapsed() >= idle {
                    tracing::info!("closing a connection silent for the idle timeout");
                    break;
                }
                next_check = Some(last + idle);
            }
        }
    }
    // Closes the connection if it is between requests; otherwise the request in flight finishes
    // and its answer carries `Connection: close`.
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The accepted stream, noting when bytes last moved either way (for the idle timeout).
struct Watched<I> {
    inner: I,
    started: Instant,
    activity: Arc<AtomicU64>,
}

impl<I> Watched<I> {
    fn touch(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.activity.store(ms, Ordering::Relaxed);
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
