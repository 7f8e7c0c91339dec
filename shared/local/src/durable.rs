//! What the embedded default makes survive a power loss or an OS crash, and
//! how often it pays for that with a sync to disk. The order that keeps
//! every patient to at most one text (docs/sending.md, "Durability"):
//! a text's claim (`sending`) is synced before its outbox line is written,
//! and the line is synced before the text is recorded `sent`.

use std::fs::File;
use std::io;
use std::path::Path;

/// How many texts the local runner claims in one commit, appends to the
/// outbox before one sync, and records `sent` in one commit: three syncs a
/// group (the claim's commit, the outbox, the `sent` commit), so 0.03 a
/// text. Larger groups save little more next to each text's own work, while
/// a group's texts stay `sending` until its last is sent: a receipt due
/// before then waits for it, and a crash leaves the whole group for
/// recovery to settle from the outbox.
pub const CLAIM_AHEAD: usize = 100;

/// Makes the entries of `dir` (a file just created in it) survive a power
/// loss: a new file's data is not enough, its name must be synced too.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Syncs the data of `file`, the file at `path`: everything written to it so
/// far survives a power loss. (In tests, [`crate::power_cut`] hears of it.)
pub fn sync_data(file: &File, path: &Path) -> io::Result<()> {
    #[cfg(test)]
    let length = file.metadata()?.len();
    file.sync_data()?;
    #[cfg(test)]
    crate::power_cut::synced(path, length);
    #[cfg(not(test))]
    let _ = path;
    Ok(())
}
