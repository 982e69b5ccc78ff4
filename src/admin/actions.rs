//! Bulk actions on selected rows: a declared UPDATE (publish, archive, deactivate…) or delete,
//! applied in one transaction to the rows the user may touch, each row's change written to the
//! history with the fields that moved.

use rusqlite::Connection;

use super::history;
use super::registry::{ActionDef, ActionKind, ModelAdmin};
use super::store::{self, AdminError};
use crate::accounts::User;

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// Runs `action` on `ids`; returns how many rows it changed.
pub fn run(
    conn: &Connection,
    m: &ModelAdmin,
    action: &ActionDef,
    ids: &[i64],
    user: &User,
    owner: Option<i64>,
) -> Result<usize, AdminError> {
    match action.kind {
        ActionKind::Delete => store::delete(conn, m, ids, user, owner),
        ActionKind::Update(set) => {
            let touch = m
                .touch
                .map(|t| format!(", {t} = {NOW}"))
                .unwrap_or_default();
            let sql = format!("UPDATE {} SET {set}{touch} WHERE id = ?1", m.table);
            let mut n = 0;
            for id in ids {
                let Some(before) = store::load(conn, m, *id, owner)? else {
                    return Err(AdminError::NotFound);
                };
                store::may_write(conn, m, user, *id)?;
                conn.prepare_cached(&sql)?
                    .execute([id])
                    .map_err(|e| store::constraint_error(e, ""))?;
                let after = store::load(conn, m, *id, None)?.ok_or(AdminError::NotFound)?;
                let named: Vec<(&'static str, rusqlite::types::Value)> = m
                    .fields
                    .iter()
                    .map(|f| f.name)
                    .zip(after.values.iter().cloned())
                    .collect();
                let changes = store::diff(m, &before.values, &named);
                if !changes.is_empty() {
                    n += 1;
                    history::log(
                        conn,
                        user,
                        m.key,
                        *id,
                        &after.repr,
                        &format!("action:{}", action.name),
                        &changes,
                    )?;
                }
            }
            Ok(n)
        }
    }
}
