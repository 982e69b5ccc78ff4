//! The shipped systemd unit's sandbox, applied to the real binary (issue 14 defect 1: the unit
//! killed `serve` with SIGSYS at start-up). `deploy/hancup.service` is parsed, and before `exec`
//! the child gets what systemd would give it: `SystemCallFilter=` as a seccomp filter (groups
//! expanded from `tests/sandbox/syscall-groups.txt`, the output of `systemd-analyze
//! syscall-filter`; numbers from `tests/sandbox/syscalls-x86_64.txt`), with the unit's own
//! seccomp-based lines on top (`SystemCallArchitectures=native`, `RestrictAddressFamilies=`,
//! `MemoryDenyWriteExecute=`, `RestrictNamespaces=`, `LockPersonality=`), plus
//! `NoNewPrivileges=`, `UMask=`, `LimitNOFILE=`, `Environment=`, an empty
//! `CapabilityBoundingSet=` and, when the test runs as root, a non-root user (`User=`). Then
//! `migrate` (the unit's `ExecStartPre=`) and `serve` must run: `/readyz` answers 200, a
//! registration hashes a password on the lowered-priority threads, and SIGTERM ends it with
//! exit 0. Which lines are exercised, and which are not, is listed in docs/DEPLOY.md.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const UNIT: &str = include_str!("../../deploy/hancup.service");
const GROUPS: &str = include_str!("../sandbox/syscall-groups.txt");
const NUMBERS: &str = include_str!("../sandbox/syscalls-x86_64.txt");

/// `Key=value` lines of the unit's `[Service]` section, in order.
fn service_lines() -> Vec<(String, String)> {
    let mut in_service = false;
    let mut lines = Vec::new();
    for line in UNIT.lines().map(str::trim) {
        if line.starts_with('[') {
            in_service = line == "[Service]";
        } else if in_service && !line.starts_with('#') {
            if let Some((k, v)) = line.split_once('=') {
                lines.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
    }
    lines
}

fn groups() -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for line in GROUPS.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') && t.starts_with('@') {
            current = Some(t.to_owned());
            groups.entry(t.to_owned()).or_default();
        } else if let Some(g) = &current {
            groups.get_mut(g).unwrap().push(t.to_owned());
        }
    }
    groups
}

fn expand(name: &str, groups: &BTreeMap<String, Vec<String>>, out: &mut BTreeSet<String>) {
    if name.starts_with('@') {
        for member in groups
            .get(name)
            .unwrap_or_else(|| panic!("unknown group {name}"))
        {
            expand(member, groups, out);
        }
    } else {
        out.insert(name.to_owned());
    }
}

/// The system calls `SystemCallFilter=` lines allow, applied in order as systemd does: the first
/// line is an allow list, `~` lines remove, later plain lines add back.
fn allowed_syscalls(lines: &[(String, String)]) -> BTreeSet<String> {
    let groups = groups();
    let mut allowed = BTreeSet::new();
    for (k, v) in lines.iter().filter(|(k, _)| k == "SystemCallFilter") {
        assert_eq!(k, "SystemCallFilter");
        let (deny, names) = match v.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, v.as_str()),
        };
        let mut set = BTreeSet::new();
        for name in names.split_whitespace() {
            expand(name, &groups, &mut set);
        }
        if deny {
            allowed.retain(|s| !set.contains(s));
        } else {
            allowed.extend(set);
        }
    }
    assert!(
        !allowed.is_empty(),
        "the unit has no SystemCallFilter= allow list"
    );
    allowed
}

fn numbers() -> BTreeMap<&'static str, u32> {
    NUMBERS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .map(|(n, k)| (n, k.trim().parse().unwrap()))
        .collect()
}

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

const LD_W_ABS: u16 = 0x20;
const JEQ: u16 = 0x15;
const JGE: u16 = 0x35;
const JSET: u16 = 0x45;
const AND: u16 = 0x54;
const RET: u16 = 0x06;
const KILL_PROCESS: u32 = 0x8000_0000;
const ALLOW: u32 = 0x7fff_0000;
const fn errno(e: i32) -> u32 {
    0x0005_0000 | (e as u32 & 0xffff)
}
const fn arg(i: u32) -> u32 {
    16 + 8 * i // low 32 bits of args[i] in struct seccomp_data (little-endian)
}

/// The seccomp program for the unit's lines (see the module doc).
fn filter(lines: &[(String, String)]) -> Vec<libc::sock_filter> {
    let on = |key: &str| lines.iter().any(|(k, v)| k == key && v == "yes");
    let allowed = allowed_syscalls(lines);
    let numbers = numbers();
    let nr = |name: &str| numbers[name];
    let mut prog = Vec::new();
    if lines
        .iter()
        .any(|(k, v)| k == "SystemCallArchitectures" && v == "native")
    {
        prog.push(stmt(LD_W_ABS, 4));
        prog.push(jump(JEQ, 0xc000_003e, 1, 0)); // AUDIT_ARCH_X86_64
        prog.push(stmt(RET, KILL_PROCESS));
    }
    prog.push(stmt(LD_W_ABS, 0));
    prog.push(jump(JGE, 0x4000_0000, 0, 1)); // the x32 ABI is not native
    prog.push(stmt(RET, KILL_PROCESS));
    // "if nr == X { body }", where every body ends in a return and leaves A alone otherwise.
    let mut when = |name: &str, body: Vec<libc::sock_filter>| {
        if allowed.contains(name) {
            prog.push(jump(JEQ, nr(name), 0, body.len() as u8));
            prog.extend(body);
        }
    };
    if let Some((_, families)) = lines.iter().find(|(k, _)| k == "RestrictAddressFamilies") {
        let codes: Vec<u32> = families
            .split_whitespace()
            .map(|f| match f {
                "AF_UNIX" => 1,
                "AF_INET" => 2,
                "AF_INET6" => 10,
                other => panic!("family {other} not known to this test"),
            })
            .collect();
        let mut body = vec![stmt(LD_W_ABS, arg(0))];
        let n = codes.len();
        for (i, c) in codes.iter().enumerate() {
            body.push(jump(JEQ, *c, (n - i) as u8, 0));
        }
        body.push(stmt(RET, errno(libc::EAFNOSUPPORT)));
        body.push(stmt(RET, ALLOW));
        when("socket", body);
    }
    if on("MemoryDenyWriteExecute") {
        let wx = (libc::PROT_WRITE | libc::PROT_EXEC) as u32;
        when(
            "mmap",
            vec![
                stmt(LD_W_ABS, arg(2)),
                stmt(AND, wx),
                jump(JEQ, wx, 0, 1),
                stmt(RET, errno(libc::EPERM)),
                stmt(RET, ALLOW),
            ],
        );
        for name in ["mprotect", "pkey_mprotect"] {
            when(
                name,
                vec![
                    stmt(LD_W_ABS, arg(2)),
                    jump(JSET, libc::PROT_EXEC as u32, 0, 1),
                    stmt(RET, errno(libc::EPERM)),
                    stmt(RET, ALLOW),
                ],
            );
        }
    }
    if on("RestrictNamespaces") {
        let new_ns = 0x7e02_0080; // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
        for name in ["clone", "unshare"] {
            when(
                name,
                vec![
                    stmt(LD_W_ABS, arg(0)),
                    jump(JSET, new_ns, 0, 1),
                    stmt(RET, errno(libc::EPERM)),
                    stmt(RET, ALLOW),
                ],
            );
        }
        when("setns", vec![stmt(RET, errno(libc::EPERM))]);
        // Its flags are in memory a filter cannot read; systemd answers ENOSYS, so libc falls
        // back to clone(2), which is checked above.
        when("clone3", vec![stmt(RET, errno(libc::ENOSYS))]);
    }
    if on("LockPersonality") {
        when(
            "personality",
            vec![
                stmt(LD_W_ABS, arg(0)),
                jump(JEQ, 0, 2, 0),
                jump(JEQ, 0xffff_ffff, 1, 0),
                stmt(RET, errno(libc::EPERM)),
                stmt(RET, ALLOW),
            ],
        );
    }
    for name in &allowed {
        if let Some(&n) = numbers.get(name.as_str()) {
            prog.push(jump(JEQ, n, 0, 1));
            prog.push(stmt(RET, ALLOW));
        }
    }
    prog.push(stmt(RET, KILL_PROCESS));
    assert!(prog.len() < 4096, "BPF program too long");
    prog
}

/// The real binary, started the way the unit starts it.
fn sandboxed(
    lines: &[(String, String)],
    prog: &[libc::sock_filter],
    dir: &std::path::Path,
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hancup"));
    cmd.current_dir(dir)
        .env("HANCUP_DATABASE__PATH", dir.join("hancup.db"))
        .env("HANCUP_BACKUP__DIR", dir.join("backups"))
        .stdin(Stdio::null());
    for (k, v) in lines.iter().filter(|(k, _)| k == "Environment") {
        assert_eq!(k, "Environment");
        let (name, value) = v.split_once('=').unwrap();
        cmd.env(name, value);
    }
    let get = |key: &str| lines.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let umask = u32::from_str_radix(&get("UMask").expect("UMask="), 8).unwrap();
    let mut nofile: u64 = get("LimitNOFILE").expect("LimitNOFILE=").parse().unwrap();
    // systemd may raise the hard limit; a test without CAP_SYS_RESOURCE cannot, so it stays below.
    let mut hard = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut hard) };
    nofile = nofile.min(hard.rlim_max);
    assert_eq!(get("NoNewPrivileges").as_deref(), Some("yes"));
    assert_eq!(get("CapabilityBoundingSet").as_deref(), Some(""));
    let as_root = unsafe { libc::geteuid() } == 0;
    let prog = prog.to_vec();
    // SAFETY: between fork and exec the closure only makes system calls on memory allocated
    // before the fork (the program above), as pre_exec requires.
    unsafe {
        cmd.pre_exec(move || {
            let check = |rc: i32| {
                if rc == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            };
            libc::umask(umask as libc::mode_t);
            let lim = libc::rlimit {
                rlim_cur: nofile,
                rlim_max: nofile,
            };
            check(libc::setrlimit(libc::RLIMIT_NOFILE, &lim))?;
            if as_root {
                for cap in 0..=63 {
                    libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
                }
                check(libc::setgroups(0, std::ptr::null()))?;
                check(libc::setgid(65534))?;
                check(libc::setuid(65534))?;
            }
            check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
            let fprog = libc::sock_fprog {
                len: prog.len() as u16,
                filter: prog.as_ptr() as *mut libc::sock_filter,
            };
            check(libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &fprog as *const libc::sock_fprog,
            ))
        });
    }
    cmd
}

#[test]
fn the_units_syscall_filter_allows_what_serve_needs_and_denies_resources() {
    let lines = service_lines();
    let allowed = allowed_syscalls(&lines);
    assert!(
        allowed.contains("setpriority"),
        "hashing threads lower their priority"
    );
    for denied in [
        "setrlimit",
        "sched_setscheduler",
        "mount",
        "reboot",
        "ptrace",
    ] {
        assert!(!allowed.contains(denied), "{denied} must stay denied");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_under_the_units_own_sandbox() {
    let lines = service_lines();
    let prog = filter(&lines);
    let dir = tempfile::tempdir().unwrap();
    if unsafe { libc::geteuid() } == 0 {
        let path = std::ffi::CString::new(dir.path().as_os_str().to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::chown(path.as_ptr(), 65534, 65534) }, 0);
    }
    let migrate = sandboxed(&lines, &prog, dir.path())
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "migrate (ExecStartPre) under the sandbox: {:?} signal {:?}\n{}",
        migrate.status.code(),
        migrate.status.signal(),
        String::from_utf8_lossy(&migrate.stderr)
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = sandboxed(&lines, &prog, dir.path())
        .arg("serve")
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut ready = false;
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "serve died under the sandbox: {:?} signal {:?}\n{}",
                status.code(),
                status.signal(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                ready = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "/readyz never answered 200");
    // A password hash on the lowered-priority hashing threads, and a write.
    let resp = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({
            "email": "sandbox@example.kr",
            "display_name": "샌드박스",
            "password": "창업은 한 컵의 커피에서",
            "accept_terms": true,
            "accept_privacy": true,
            "age_14_or_older": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(
        client
            .get(format!("{base}/courses"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "serve under the sandbox ends cleanly on SIGTERM (signal {:?})\n{}",
        out.status.signal(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The unit's mount-namespace lines, as bubblewrap builds them: `ProtectSystem=strict` (the whole
/// tree read-only), `StateDirectory=` (the one writable directory), `PrivateTmp=`, `ProtectHome=`,
/// `PrivateDevices=`, `ProtectProc=`/`ProcSubset=` (a fresh pid namespace and its own /proc) and
/// `ProtectHostname=`. systemd is not PID 1 here, so bubblewrap stands in for it; `.ci/run`
/// installs it and sets `HANCUP_REQUIRE_BWRAP=1`, elsewhere the test says it was skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_inside_the_units_mount_namespace() {
    let lines = service_lines();
    let get = |key: &str| lines.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    for (key, value) in [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectProc", "invisible"),
        ("ProcSubset", "pid"),
        ("ProtectHostname", "yes"),
        ("StateDirectory", "hancup"),
    ] {
        assert_eq!(
            get(key).as_deref(),
            Some(value),
            "the unit's {key}= changed"
        );
    }
    if Command::new("bwrap").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("HANCUP_REQUIRE_BWRAP").is_none(),
            "bubblewrap (bwrap) is required here"
        );
        eprintln!("skipped: bubblewrap (bwrap) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let state_arg = state.to_str().unwrap();
    let bin = env!("CARGO_BIN_EXE_hancup");
    let src = env!("CARGO_MANIFEST_DIR");
    let mut cmd = Command::new("bwrap");
    cmd.args(["--ro-bind", "/", "/"])
        .args(["--tmpfs", "/tmp"])
        // The binary stays visible wherever the build put it (a clone under /tmp, say), and so
        // does the source tree, which a debug build's rust-embed reads its assets from.
        .args(["--ro-bind", bin, bin])
        .args(["--ro-bind", src, src])
        .args(["--bind", state_arg, state_arg])
        .args(["--tmpfs", "/home", "--tmpfs", "/root"])
        .args(["--dev", "/dev"])
        .args(["--unshare-pid", "--proc", "/proc"])
        .args(["--unshare-uts", "--unshare-ipc", "--die-with-parent"])
        .args(["--chdir", state_arg])
        .arg(bin)
        .arg("serve")
        .env("HANCUP_DATABASE__PATH", state.join("hancup.db"))
        .env("HANCUP_BACKUP__DIR", state.join("backups"))
        .env("HANCUP_BACKUP__INTERVAL_MINUTES", "1")
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "serve died in the unit's mount namespace: {status:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "/readyz never answered 200"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resp = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({
            "email": "mounts@example.kr",
            "display_name": "마운트",
            "password": "창업은 한 컵의 커피에서",
            "accept_terms": true,
            "accept_privacy": true,
            "age_14_or_older": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "a write inside the state directory");
    // The scheduled backup at start (interval 1 minute, none yet) lands in the state directory.
    let started = Instant::now();
    while std::fs::read_dir(state.join("backups"))
        .map(|d| d.count() == 0)
        .unwrap_or(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no backup was written inside the state directory"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // SIGTERM to hancup itself (bubblewrap does not forward signals), as systemd sends it.
    let server = descendant_running(child.id(), env!("CARGO_BIN_EXE_hancup"))
        .expect("hancup among bubblewrap's descendants");
    unsafe { libc::kill(server as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "serve in the mount namespace ends cleanly on SIGTERM: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The pid of a descendant of `pid` whose executable is `exe`.
fn descendant_running(pid: u32, exe: &str) -> Option<u32> {
    let exe = std::fs::canonicalize(exe).ok()?;
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        if std::fs::read_link(format!("/proc/{p}/exe")).ok().as_ref() == Some(&exe) {
            return Some(p);
        }
        let children = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children"));
        todo.extend(
            children
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
    }
    None
}
