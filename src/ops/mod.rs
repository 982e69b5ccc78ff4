//! What the team running hancup uses, apart from serving pages: health and readiness
//! (`health`), Prometheus metrics (`metrics`), online backups, restore and the scheduled backup
//! task (`backup`), JSON fixtures (`fixtures`), the deployment check (`deploy_check`), and the
//! listening socket for zero-downtime upgrades (`listener`). Blocking work here (backup, restore,
//! fixture load) runs in the CLI or on blocking threads, never on the async executor.

pub mod backup;
pub mod connection;
pub mod deploy_check;
pub mod fixtures;
pub mod health;
pub mod listener;
pub mod metrics;

pub use health::{healthz, readyz};
