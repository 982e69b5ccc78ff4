//! Files that hold secrets (the database with its `-wal` and `-shm`, backups, fixture dumps) are
//! created readable by their owner alone — files 0600, directories 0700 — whatever the umask:
//! the database holds password hashes, session hashes and the server key, from which a reset
//! link can be computed. SQLite gives `-wal` and `-shm` the mode of the database file, so
//! creating that one 0600 before SQLite opens it covers all three. `check --deploy` reports any
//! of them that is readable by others.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::path::Path;

/// Mode of the files above.
pub const FILE_MODE: u32 = 0o600;
/// Mode of directories created for them.
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` and its missing parents with mode 0700; existing ones are left alone.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir)
}

/// Opens `path` for writing, creating it with mode 0600 and truncating it.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let file = options.open(path)?;
    make_private(path)?;
    Ok(file)
}

/// Creates an empty `path` with mode 0600 when it does not exist yet.
pub fn touch_private(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options.open(path).map(drop)
}

/// Sets mode 0600 on `path` (a umask can only clear bits; this also clears a copied mode).
pub fn make_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
