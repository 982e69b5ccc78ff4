//! The integration test binary: every test starts the real server on an ephemeral port with a
//! fresh SQLite file in a temp directory (see `helpers::spawn_app`) or runs the real binary.

mod account_passwords;
mod accounts_api;
mod accounts_pages;
mod admin_access;
mod admin_actions;
mod admin_certificates;
mod admin_forms;
mod admin_learning;
mod admin_lists;
mod admin_support;
mod authoring_api;
mod authorization;
mod backups;
mod browser;
mod catalog_api;
mod catalog_paging;
mod cli;
mod community_api;
mod crash;
mod data;
mod documented_limits;
mod helpers;
mod hostile_input;
mod layers;
mod learner_day;
mod learning_api;
mod learning_pages;
mod load;
mod login_limits;
mod observability;
mod pages;
mod permissions;
mod source_rules;
mod upgrade;
