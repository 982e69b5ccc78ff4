//! Outgoing e-mail: one `Mailer` with three backends — `log` (the default: the message goes to
//! the log, so flows work with no mail server), `smtp` (lettre, run on a blocking thread) and
//! `memory` (kept in the process, for tests). Callers never wait on delivery.

use std::sync::Arc;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use parking_lot::Mutex;

use crate::config::{MailBackend, MailConfig, SmtpSecurity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Clone)]
pub struct Mailer {
    config: Arc<MailConfig>,
    outbox: Arc<Mutex<Vec<Mail>>>,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Mailer {
        Mailer {
            config: Arc::new(config.clone()),
            outbox: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Messages kept by the `memory` backend, oldest first.
    pub fn outbox(&self) -> Vec<Mail> {
        self.outbox.lock().clone()
    }

    /// Sends in the background; failures are logged, never shown to the requester (whose answer
    /// must not depend on whether an account exists).
    pub fn send(&self, mail: Mail) {
        match self.config.backend {
            MailBackend::Log => {
                tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.body, "mail (log backend)");
            }
            MailBackend::Memory => self.outbox.lock().push(mail),
            MailBackend::Smtp => {
                let config = self.config.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = send_smtp(&config, &mail) {
                        tracing::error!(to = %mail.to, error = %e, "sending mail failed");
                    }
                });
            }
        }
    }
}

fn send_smtp(config: &MailConfig, mail: &Mail) -> Result<(), String> {
    let message = Message::builder()
        .from(config.from.parse().map_err(|e| format!("mail.from: {e}"))?)
        .to(mail.to.parse().map_err(|e| format!("recipient: {e}"))?)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| e.to_string())?;
    let builder = match config.smtp_security {
        SmtpSecurity::StartTls => {
            SmtpTransport::starttls_relay(&config.smtp_host).map_err(|e| e.to_string())?
        }
        SmtpSecurity::Tls => SmtpTransport::relay(&config.smtp_host).map_err(|e| e.to_string())?,
        SmtpSecurity::None => SmtpTransport::builder_dangerous(&config.smtp_host),
    };
    let mut builder = builder.port(config.smtp_port as u16);
    if !config.smtp_username.is_empty() {
        builder = builder.credentials(Credentials::new(
            config.smtp_username.clone(),
            config.smtp_password.clone(),
        ));
    }
    builder
        .build()
        .send(&message)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
