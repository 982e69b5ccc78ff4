//! Image uploads for declared upload columns (course thumbnails) and serving them back.
//! An upload is accepted only as JPEG, PNG or WebP by its first bytes (never its name or the
//! browser's claim), up to `media.max_upload_bytes`; it is stored under `media.dir` by the
//! SHA-256 of its content, so a stored name never changes meaning and can be cached forever.

use std::path::PathBuf;

use poem::http::{header, StatusCode};
use poem::web::{Data, Multipart, Path};
use poem::{handler, IntoResponse, Request, Response};
use sha2::{Digest, Sha256};

use super::history;
use super::store::{self, AdminError};
use super::views::{error_page, flash, model_or_404, model_url, redirect, write, AdminCtx};
use crate::accounts::perms::Action;
use crate::web::{csrf, AppState};

/// The image kind of `bytes` by its magic number.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else {
        None
    }
}

fn content_type(ext: &str) -> &'static str {
    match ext {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        _ => "image/webp",
    }
}

#[handler]
pub async fn upload(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id, field)): Path<(String, String, String)>,
    mut multipart: Multipart,
) -> Response {
    let ctx = match AdminCtx::gate(req, &state) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let m = match model_or_404(&state, req, &ctx, &key) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(e) = ctx.require(m, Action::Change) {
        return error_page(&state, req, &ctx, e);
    }
    let (Ok(id), Some(upload)) = (
        id.parse::<i64>(),
        m.uploads.iter().find(|u| u.field == field),
    ) else {
        return error_page(&state, req, &ctx, AdminError::NotFound);
    };
    let max = state.config.media.max_upload_bytes as usize;
    let mut token = None;
    let mut file: Option<Vec<u8>> = None;
    let mut too_large = false;
    let mut broken = false;
    loop {
        let part = match multipart.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "an upload's body broke off");
                broken = true;
                break;
            }
        };
        match part.name() {
            Some(csrf::FORM_FIELD) => token = part.text().await.ok(),
            // The form sends its token first: a file without a valid one is refused before it
            // is looked at.
            Some("file") if !csrf::verify(req, &state, token.as_deref()) => {
                return super::views::csrf_failure(req, &state);
            }
            Some("file") => {
                let mut reader = part.into_async_read();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 16 * 1024];
                loop {
                    use tokio::io::AsyncReadExt;
                    match reader.read(&mut chunk).await {
                        Ok(0) => break,
                        Ok(n) if buf.len() + n <= max => buf.extend_from_slice(&chunk[..n]),
                        Ok(_) => {
                            too_large = true;
                            break;
                        }
                        Err(e) => {
                            // A truncated image can still pass the sniff: store nothing.
                            tracing::warn!(error = %e, "reading an upload failed");
                            broken = true;
                            break;
                        }
                    }
                }
                file = Some(buf);
            }
            _ => {}
        }
    }
    if !csrf::verify(req, &state, token.as_deref()) {
        return super::views::csrf_failure(req, &state);
    }
    let back = model_url("admin_change", m, Some(id));
    // Ownership (the owner rule and the target-row rule) before anything touches the disk: a
    // refused upload leaves no file behind.
    let allowed = state.db.read(|c| -> Result<(), AdminError> {
        store::load(c, m, id, ctx.owner)?.ok_or(AdminError::NotFound)?;
        store::may_write(c, m, &ctx.user, id)
    });
    if let Err(e) = allowed {
        return error_page(&state, req, &ctx, e);
    }
    let bytes = match file {
        _ if broken => {
            flash(req, "error", "admin.upload_broken");
            return redirect(&back);
        }
        _ if too_large => {
            flash(req, "error", "admin.upload_too_large");
            return redirect(&back);
        }
        Some(b) if !b.is_empty() => b,
        _ => {
            flash(req, "error", "admin.upload_missing");
            return redirect(&back);
        }
    };
    let Some(ext) = sniff(&bytes) else {
        flash(req, "error", "admin.upload_bad_type");
        return redirect(&back);
    };
    let digest = crate::hex::encode(&Sha256::digest(&bytes));
    let relative = format!("{}/{digest}.{ext}", upload.field);
    let dir = state.config.media.dir.join(upload.field);
    let target = state.config.media.dir.join(&relative);
    let wrote = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        // Write then rename, so a reader never sees half a file.
        let tmp = target.with_extension("part");
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(tmp, target)
    })
    .await
    .unwrap_or_else(|join| Err(std::io::Error::other(join)));
    if let Err(e) = wrote {
        return error_page(&state, req, &ctx, AdminError::Storage(e));
    }
    let (user, owner, column) = (ctx.user.clone(), ctx.owner, upload.field);
    let saved = write(&state, move |tx| -> Result<(), AdminError> {
        let obj = store::load(tx, m, id, owner)?.ok_or(AdminError::NotFound)?;
        store::may_write(tx, m, &user, id)?;
        let old = obj
            .uploads
            .iter()
            .zip(m.uploads)
            .find(|(_, u)| u.field == column)
            .map(|(p, _)| p.clone());
        tx.prepare_cached(&format!(
            "UPDATE {} SET {column} = ?1 WHERE id = ?2",
            m.table
        ))?
        .execute(rusqlite::params![relative, id])?;
        let change = history::change(column, &old.unwrap_or_default(), &relative);
        history::log(tx, &user, m.key, id, &obj.repr, "change", &[change])?;
        Ok(())
    })
    .await;
    match saved {
        Ok(()) => {
            flash(req, "success", "admin.uploaded");
            redirect(&back)
        }
        Err(e) => error_page(&state, req, &ctx, e),
    }
}

/// A stored media path: `<column>/<sha256>.<ext>`, nothing else (no traversal possible).
fn media_path(dir: &std::path::Path, path: &str) -> Option<(PathBuf, &'static str)> {
    let (folder, name) = path.split_once('/')?;
    let (stem, ext) = name.split_once('.')?;
    let folder_ok =
        !folder.is_empty() && folder.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    let stem_ok = stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit());
    let ext = ["jpg", "png", "webp"].into_iter().find(|e| *e == ext)?;
    (folder_ok && stem_ok).then(|| (dir.join(folder).join(name), ext))
}

/// `GET /media/*path`: stored uploads, cached for a year (their names are their content hash).
#[handler]
pub async fn serve_media(state: Data<&AppState>, Path(path): Path<String>) -> Response {
    let Some((file, ext)) = media_path(&state.config.media.dir, &path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(file).await {
        Ok(bytes) => Response::builder()
            .content_type(content_type(ext))
            .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
            .body(bytes),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some("jpg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 "), Some("webp"));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"GIF89a"), None);
    }

    #[test]
    fn media_paths_cannot_leave_the_directory() {
        let dir = std::path::Path::new("/m");
        let ok = format!("thumbnail/{}.png", "a".repeat(64));
        assert!(media_path(dir, &ok).is_some());
        assert!(media_path(dir, "../etc/passwd").is_none());
        assert!(media_path(dir, &format!("thumbnail/../{}.png", "a".repeat(64))).is_none());
        assert!(media_path(dir, &format!("thumbnail/{}.svg", "a".repeat(64))).is_none());
    }
}
