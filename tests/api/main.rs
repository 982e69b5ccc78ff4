//! The integration test binary: every test starts the real server on an ephemeral port with a
//! fresh SQLite file in a temp directory (see `helpers::spawn_app`) or runs the real binary.

mod catalog_api;
mod cli;
mod data;
mod helpers;
mod pages;
mod source_rules;
