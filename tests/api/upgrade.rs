//! Zero-downtime upgrade with the real binary: while clients send a steady stream of requests,
//! a second `hancup` starts on the same port (SO_REUSEPORT), the first gets SIGTERM, drains its
//! socket, finishes what it has and exits — and not one request fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hancup");

/// Starts `hancup serve` and returns it with a flag set once it logs that it is serving. Its
/// log is drained continuously so a full pipe can never stall it.
fn start(dir: &Path, port: u16) -> (Child, Arc<AtomicBool>) {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .current_dir(dir)
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("HANCUP_SERVER__SHUTDOWN_GRACE_SECONDS", "5")
        .env("HANCUP_LOG__LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let serving = Arc::new(AtomicBool::new(false));
    let (flag, log) = (serving.clone(), child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in BufReader::new(log).lines().map_while(Result::ok) {
            if line.contains("hancup is serving") {
                flag.store(true, Ordering::Release);
            }
        }
    });
    (child, serving)
}

fn wait_for(flag: &AtomicBool, what: &str) {
    let started = Instant::now();
    while !flag.load(Ordering::Acquire) {
        assert!(started.elapsed() < Duration::from_secs(20), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One request on a fresh connection; true when it was answered 200.
fn request(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    if s.write_all(b"GET /api/v1/courses HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200") && answer.ends_with('}')
}

#[test]
fn a_second_process_takes_over_the_port_without_a_failed_request() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (mut old, old_serving) = start(dir.path(), port);
    wait_for(&old_serving, "the first server started");

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let counter = if request(port) { &ok } else { &failed };
                    counter.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));

    let (mut new, new_serving) = start(dir.path(), port);
    wait_for(&new_serving, "the second server started on the same port");
    std::thread::sleep(Duration::from_millis(300));
    let before_stop = ok.load(Ordering::Relaxed);
    Command::new("kill")
        .args(["-TERM", &old.id().to_string()])
        .status()
        .unwrap();
    let status = old.wait().unwrap();
    assert!(
        status.success(),
        "the old server exited cleanly: {status:?}"
    );
    let at_stop = ok.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let after = ok.load(Ordering::Relaxed);
    Command::new("kill")
        .args(["-TERM", &new.id().to_string()])
        .status()
        .unwrap();
    let _ = new.wait();

    assert_eq!(failed.load(Ordering::Relaxed), 0, "failed requests");
    assert!(
        before_stop > 20,
        "traffic flowed before the switch: {before_stop}"
    );
    assert!(
        after > at_stop + 10,
        "the new process served after the old one left"
    );
}
