//! Folders and files that only their owner can read: everything batchmsg
//! writes locally (the data folder, the database, the outbox, batch folders,
//! reports) can hold patient data. The mode is set as each is created, so it
//! holds whatever the process umask (a umask only ever removes bits).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Folders: read, write and search for the owner only.
pub const DIR_MODE: u32 = 0o700;
/// Files: read and write for the owner only.
pub const FILE_MODE: u32 = 0o600;

/// `path` and any missing parents, each created owner-only. Folders that
/// already exist are left as they are.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(path)
}

/// Options that create a file owner-only (an existing file keeps its mode).
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

/// Creates (or truncates) `path` for writing, owner-only if it is new.
pub fn create_file(path: &Path) -> io::Result<File> {
    options().write(true).create(true).truncate(true).open(path)
}

/// Makes an existing file of ours owner-only, as one written before this
/// rule may not be.
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Makes an existing folder of ours owner-only: one made by an earlier
/// version, or by the user, may let others in, and every file below it holds
/// patient data. Closing the folder closes everything in it.
pub fn restrict_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(DIR_MODE))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
