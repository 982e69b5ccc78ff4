//! The listening socket, built for zero-downtime upgrades. `bind` takes the socket systemd passes
//! (socket activation: `LISTEN_PID`/`LISTEN_FDS`, fd 3), or binds `server.bind` itself with
//! `SO_REUSEPORT`, so a new process can listen on the same port while the old one still runs.
//! `Handoff` is the acceptor poem serves from: on shutdown it drains every connection already
//! queued in the kernel with non-blocking `accept` calls, then closes the socket, and only then
//! lets poem stop accepting — so connections queued to the old process are served, not reset.
//! Poem's graceful shutdown then closes every connection that has not started a request yet;
//! a connection accepted in the last moments may not have had its request read, so the shutdown
//! is passed on only after `SETTLE` (bounded by the grace period).

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

use crate::config::ServerConfig;

/// Time given to the last accepted connections to have their request read before poem's
/// graceful shutdown closes connections that are still idle.
pub const SETTLE: Duration = Duration::from_millis(500);

/// Where the listening socket came from, for the start-up log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Systemd,
    Bound { reuse_port: bool },
}

/// The socket to serve on: systemd's when socket-activated, else our own on `server.bind`.
pub fn bind(cfg: &ServerConfig) -> io::Result<(StdListener, Origin)> {
    if let Some(listener) = from_systemd()? {
        return Ok((listener, Origin::Systemd));
    }
    let listener = bind_addr(cfg.bind, cfg.reuse_port)?;
    Ok((
        listener,
        Origin::Bound {
            reuse_port: cfg.reuse_port,
        },
    ))
}

/// Binds `addr` (port 0 picks a free one) with SO_REUSEADDR and, when asked, SO_REUSEPORT.
pub fn bind_addr(addr: SocketAddr, reuse_port: bool) -> io::Result<StdListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// The first socket systemd passed us, if this process was socket-activated.
fn from_systemd() -> io::Result<Option<StdListener>> {
    let for_us = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
        == Some(std::process::id());
    let count = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or(0);
    if !for_us || count == 0 {
        return Ok(None);
    }
    #[cfg(unix)]
    {
        use std::os::fd::FromRawFd;
        // SAFETY: under socket activation systemd hands this process its sockets as fds
        // 3..3+LISTEN_FDS (sd_listen_fds(3)); nothing else in the process owns fd 3.
        let listener = unsafe { StdListener::from_raw_fd(3) };
        listener.local_addr().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("LISTEN_FDS is set but fd 3 is not a TCP socket: {e}"),
            )
        })?;
        listener.set_nonblocking(true)?;
        Ok(Some(listener))
    }
    #[cfg(not(unix))]
    Ok(None)
}

/// poem's acceptor over our socket, closing it cleanly on shutdown (see the module doc).
pub struct Handoff {
    listener: Option<TcpListener>,
    local: LocalAddr,
    stop: watch::Receiver<bool>,
    stopping: bool,
    closed: Option<oneshot::Sender<()>>,
}

impl Handoff {
    /// The acceptor, and the shutdown future to give poem: it resolves once `shutdown` has
    /// resolved and the socket is drained and closed.
    pub fn new(
        listener: StdListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
        settle: Duration,
    ) -> io::Result<(Handoff, impl Future<Output = ()> + Send + 'static)> {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let local = LocalAddr(listener.local_addr()?.into());
        let (stop_tx, stop) = watch::channel(false);
        let (closed, closed_rx) = oneshot::channel();
        let signal = async move {
            shutdown.await;
            let _ = stop_tx.send(true);
            let _ = closed_rx.await;
            tracing::info!("listening socket closed; finishing in-flight requests");
            tokio::time::sleep(settle).await;
        };
        let acceptor = Handoff {
            listener: Some(listener),
            local,
            stop,
            stopping: false,
            closed: Some(closed),
        };
        Ok((acceptor, signal))
    }

    fn conn(&self, io: TcpStream, peer: SocketAddr) -> (TcpStream, LocalAddr, RemoteAddr, Scheme) {
        (
            io,
            self.local.clone(),
            RemoteAddr(peer.into()),
            Scheme::HTTP,
        )
    }
}

impl Acceptor for Handoff {
    type Io = TcpStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        vec![self.local.clone()]
    }

    async fn accept(&mut self) -> io::Result<(TcpStream, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            let Some(listener) = &self.listener else {
                return std::future::pending().await;
            };
            if self.stopping {
                // A plain accept(2): unlike tokio's, it cannot miss a connection whose
                // readiness event the reactor has not seen yet.
                match SockRef::from(listener).accept() {
                    Ok((socket, peer)) => {
                        let stream: std::net::TcpStream = socket.into();
                        stream.set_nonblocking(true)?;
                        let peer = peer
                            .as_socket()
                            .ok_or_else(|| io::Error::other("not TCP"))?;
                        return Ok(self.conn(TcpStream::from_std(stream)?, peer));
                    }
                    Err(_) => {
                        self.listener = None;
                        if let Some(closed) = self.closed.take() {
                            let _ = closed.send(());
                        }
                        continue;
                    }
                }
            }
            tokio::select! {
                accepted = listener.accept() => {
                    let (io, peer) = accepted?;
                    return Ok(self.conn(io, peer));
                }
                _ = self.stop.changed() => self.stopping = true,
            }
        }
    }
}
