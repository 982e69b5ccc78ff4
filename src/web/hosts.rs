//! Which `Host` headers the server answers (Django's `ALLOWED_HOSTS`), so a request can never
//! choose the host of an absolute link — a password-reset mail above all. Allowed: the host of
//! `server.public_url`, each entry of `server.allowed_hosts` (comma-separated; `.example.com`
//! also matches its subdomains), and loopback names (`localhost`, `127.0.0.1`, `::1`, any port),
//! which always name this machine and keep local health checks and development working. Every
//! other `Host` is refused with 400 before routing, on every request. A request without `Host`
//! (HTTP/1.0) is answered; its links use `localhost`.

use std::net::IpAddr;

use crate::config::ServerConfig;

#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    /// Lower-case host names, without port; a leading `.` matches subdomains too.
    entries: Vec<String>,
}

/// The host of a `Host` header value, lower-case, without port or trailing dot; `None` when it
/// is not a plausible host.
pub fn host_part(header: &str) -> Option<String> {
    let header = header.trim();
    let host = if let Some(rest) = header.strip_prefix('[') {
        // [IPv6]:port
        rest.split_once(']').map(|(h, _)| h)?
    } else {
        match header.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => header,
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let plausible = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'_'));
    plausible.then_some(host)
}

/// Parses `server.allowed_hosts`: every entry a plausible host name (`.example.com` allowed).
pub fn parse_list(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (dot, name) = match e.strip_prefix('.') {
                Some(n) => (".", n),
                None => ("", e),
            };
            match host_part(name) {
                Some(h) if !name.contains(':') || name.starts_with('[') => Ok(format!("{dot}{h}")),
                _ => Err(format!(
                    "{e:?} is not a host name (no scheme, port or path)"
                )),
            }
        })
        .collect()
}

impl AllowedHosts {
    pub fn from_config(server: &ServerConfig) -> AllowedHosts {
        let mut entries = parse_list(&server.allowed_hosts).unwrap_or_default();
        if let Some(h) = url::Url::parse(&server.public_url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()))
        {
            entries.push(h.to_ascii_lowercase());
        }
        AllowedHosts { entries }
    }

    /// Whether a request with this `Host` header is answered.
    pub fn allows(&self, header: &str) -> bool {
        let Some(host) = host_part(header) else {
            return false;
        };
        if host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
            return true;
        }
        self.entries.iter().any(|e| match e.strip_prefix('.') {
            Some(domain) => host == domain || host.ends_with(e.as_str()),
            None => host == *e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &str, public_url: &str) -> AllowedHosts {
        let mut server = crate::config::load(None, &[]).unwrap().config.server;
        server.allowed_hosts = list.into();
        server.public_url = public_url.into();
        AllowedHosts::from_config(&server)
    }

    #[test]
    fn loopback_is_always_answered_and_nothing_else_by_default() {
        let h = hosts("", "");
        for ok in [
            "localhost",
            "localhost:8000",
            "127.0.0.1:3000",
            "[::1]:80",
            "127.0.0.2",
        ] {
            assert!(h.allows(ok), "{ok}");
        }
        for bad in [
            "attacker.example",
            "localhost.attacker.example",
            "",
            "a b",
            "127.0.0.1.nip.io",
        ] {
            assert!(!h.allows(bad), "{bad}");
        }
    }

    #[test]
    fn public_url_and_the_list_are_answered_subdomains_only_with_a_dot() {
        let h = hosts("hancup.example, .school.kr", "https://www.hancup.kr");
        for ok in [
            "www.hancup.kr",
            "WWW.HANCUP.KR.",
            "hancup.example:443",
            "school.kr",
            "a.school.kr",
        ] {
            assert!(h.allows(ok), "{ok}");
        }
        for bad in [
            "hancup.kr",
            "x.hancup.example",
            "evilschool.kr",
            "attacker.example",
        ] {
            assert!(!h.allows(bad), "{bad}");
        }
    }

    #[test]
    fn the_list_refuses_what_is_not_a_host() {
        assert!(parse_list("https://hancup.kr").is_err());
        assert!(parse_list("hancup.kr/path").is_err());
        assert!(parse_list("hancup.kr:8000").is_err());
        assert_eq!(parse_list(" a.kr , .b.kr,").unwrap(), ["a.kr", ".b.kr"]);
    }
}
