//! Where password hashes are computed: a few dedicated threads (`auth.hash_concurrency`, one per
//! core by default) that run at a lower CPU priority (`auth.hash_nice`), so a storm of logins
//! takes the CPU only when nothing else wants it — pages and the API keep their latency, and
//! logins still use every idle core. A caller waits at most `auth.hash_wait_ms` for a free
//! thread and otherwise gets `Busy` (503), instead of queueing without bound.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Semaphore};

use super::password::{verify_password, HashParams, Password};
use crate::config::AuthConfig;

/// No hashing thread came free in time.
#[derive(Debug, Clone, Copy)]
pub struct Busy;

type Job = Box<dyn FnOnce() + Send>;

/// Runs hashing on its own threads, at most one hash per thread at once.
#[derive(Clone)]
pub struct HashPool {
    params: HashParams,
    /// One permit per thread: holding one means a thread is free for this job.
    slots: Arc<Semaphore>,
    jobs: SyncSender<Job>,
    wait: Duration,
    /// Verified against when the e-mail is unknown, so both answers take the same time.
    dummy: Arc<String>,
    /// Hashes running now, and the most that ever ran at once (metrics and tests).
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    /// Callers waiting for a free thread now, and those refused with `Busy` so far (metrics).
    waiting: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    /// Hashes and verifications finished so far (tests prove every login path pays one).
    finished: Arc<AtomicUsize>,
}

impl HashPool {
    /// Starts the threads; they end when the last clone of the pool is dropped.
    pub fn new(config: &AuthConfig) -> HashPool {
        let params = HashParams::from_config(config);
        let threads = match config.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n as usize,
        };
        let (jobs, queue) = sync_channel::<Job>(threads);
        let queue = Arc::new(Mutex::new(queue));
        let nice = config.hash_nice as i32;
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("hancup-hash-{n}"))
                .spawn(move || work(&queue, nice))
                .expect("a hashing thread");
        }
        HashPool {
            params,
            slots: Arc::new(Semaphore::new(threads)),
            jobs,
            wait: Duration::from_millis(config.hash_wait_ms),
            dummy: Arc::new(params.hash("hancup-dummy-password-for-timing")),
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
            waiting: Arc::new(AtomicUsize::new(0)),
            refused: Arc::new(AtomicUsize::new(0)),
            finished: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let acquired = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let Ok(Ok(permit)) = acquired else {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(Busy);
        };
        let (running, peak, finished) = (
            self.running.clone(),
            self.peak.clone(),
            self.finished.clone(),
        );
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let value = job();
            running.fetch_sub(1, Ordering::SeqCst);
            finished.fetch_add(1, Ordering::SeqCst);
            drop(permit);
            let _ = done.send(value); // the caller may have gone away
        });
        // A permit guarantees a free thread, so this never blocks for long.
        self.jobs.send(job).map_err(|_| Busy)?;
        result.await.map_err(|_| Busy)
    }

    pub async fn hash(&self, password: Password) -> Result<String, Busy> {
        let params = self.params;
        self.run(move || params.hash(password.as_str())).await
    }

    /// Verifies against `stored`, or against a dummy hash when there is none or it is not a
    /// hash at all (an unusable password, `!…`), so an unknown account and an account that
    /// cannot log in with a password cost the same time as a wrong password.
    pub async fn verify(&self, candidate: String, stored: Option<String>) -> Result<bool, Busy> {
        let dummy = self.dummy.clone();
        self.run(move || match stored {
            Some(hash) if !hash.starts_with('!') => verify_password(&candidate, &hash),
            _ => {
                verify_password(&candidate, &dummy);
                false
            }
        })
        .await
    }

    /// Hashes running now, callers waiting for a thread now, and callers refused so far.
    pub fn load(&self) -> (usize, usize, usize) {
        (
            self.running.load(Ordering::SeqCst),
            self.waiting.load(Ordering::SeqCst),
            self.refused.load(Ordering::SeqCst),
        )
    }

    /// Hashes and verifications finished since start.
    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }

    /// The most hashes that ever ran at the same time.
    pub fn peak_concurrency(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// One hashing thread: lower its priority once, then run jobs until the pool is gone.
fn work(queue: &Mutex<Receiver<Job>>, nice: i32) {
    lower_priority(nice);
    loop {
        let next = queue
            .lock()
            .map_err(|_| ())
            .and_then(|q| q.recv().map_err(|_| ()));
        match next {
            Ok(job) => job(),
            Err(()) => return,
        }
    }
}

/// Raises this thread's nice value by `nice` (Linux keeps one per thread). Lowering priority
/// needs no privilege; failing to is harmless, so a failure is only logged.
fn lower_priority(nice: i32) {
    if nice <= 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain syscalls on the calling thread, no pointers involved.
        let rc = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, nice)
        };
        if rc != 0 {
            tracing::warn!(nice, "could not lower the priority of a hashing thread");
        }
    }
}
