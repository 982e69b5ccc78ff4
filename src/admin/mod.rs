//! The admin surface: a generic back office over a registry of models, Django-admin style.
//! `registry` holds the vocabulary of a registration and its boot check, `models` the
//! registrations; `query` (change-list SQL), `forms` (input parsing), `store` and `save`
//! (reading and writing objects with inlines and many-to-many sets), `actions`, `cascade`
//! (delete previews from the schema), `history` (the audit log) and `upload` (images) interpret
//! them; `views` are the handlers every registered model shares. It calls the accounts domain
//! for logins, passwords and permissions, and never calls the other surfaces.
//! **Invariant:** every permission is checked on the page and on its POST; an instructor
//! (non-superuser staff in the instructors group) sees only the rows the owner rule allows.

pub mod actions;
pub mod boot_check;
pub mod cascade;
pub mod changes;
pub mod dashboard;
pub mod dates;
pub mod forms;
pub mod funnel;
pub mod history;
pub mod import;
pub mod models;
pub mod query;
pub mod registry;
pub mod revert;
pub mod save;
pub mod store;
pub mod upload;
pub mod views;

use poem::{get, post, Route};

use crate::db::Db;
use crate::web::routes::pattern;

/// Proves every registration against the migrated schema; start-up stops on a bad one.
pub fn check(db: &Db) -> Result<(), String> {
    db.read(|c| Ok::<_, crate::db::DbError>(boot_check::check_all(c, models::REGISTRY)))
        .map_err(|e| e.to_string())?
}

/// The admin's routes, mounted by the server under their named patterns.
pub fn routes(route: Route) -> Route {
    use views::{auth, delete, edit, extras, index, list, mfa};
    route
        .at(pattern("admin_index"), get(index::dashboard))
        .at(
            pattern("admin_login"),
            get(auth::login_form).post(auth::login),
        )
        .at(pattern("admin_mfa"), get(mfa::show).post(mfa::submit))
        .at(pattern("admin_logout"), post(auth::logout))
        .at(pattern("admin_preview"), post(extras::preview))
        .at(
            pattern("admin_list"),
            get(list::changelist).post(list::run_action),
        )
        .at(pattern("admin_add"), get(edit::add_form).post(edit::add))
        .at(pattern("admin_export"), get(list::export_csv))
        .at(
            pattern("admin_import"),
            get(views::import::import_form).post(views::import::import_preview),
        )
        .at(
            pattern("admin_import_confirm"),
            post(views::import::import_confirm),
        )
        .at(pattern("admin_autocomplete"), get(extras::autocomplete))
        .at(
            pattern("admin_change"),
            get(edit::change_form).post(edit::change),
        )
        .at(
            pattern("admin_delete"),
            get(delete::confirm).post(delete::delete),
        )
        .at(pattern("admin_history"), get(extras::object_history))
        .at(
            pattern("admin_revert"),
            get(views::revert::revert_preview).post(views::revert::revert_apply),
        )
        .at(
            pattern("admin_password"),
            get(extras::password_form).post(extras::password_set),
        )
        .at(pattern("admin_upload"), post(upload::upload))
        .at(pattern("media"), get(upload::serve_media))
}
