//! Files that appear whole or not at all, readable by their owner only: the
//! one way batchmsg writes a file that someone may open while it is written
//! (reports, the validation outputs, objects in the folder store).
//!
//! A file is written under a hidden `.partial` name in the folder it will
//! live in, flushed to disk, and only then renamed over its final name, so a
//! crash or a full disk leaves the old file or none, never half of one.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use tempfile::NamedTempFile;

/// A file being written, not yet visible under its final name. Dropped
/// without [`PartialFile::commit`], it is removed.
pub struct PartialFile {
    file: BufWriter<NamedTempFile>,
}

impl PartialFile {
    /// A file that will become `target`, written beside it as
    /// `.<name>.<random>.partial`.
    pub fn beside(target: &Path) -> io::Result<Self> {
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
        })?;
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        Self::create(folder, &prefix)
    }

    /// A file whose final name is not known yet, in `folder`, which must be
    /// on the same file system as where it will end up (a rename cannot
    /// cross file systems).
    pub fn in_folder(folder: &Path) -> io::Result<Self> {
        Self::create(folder, std::ffi::OsStr::new(".staged."))
    }

    fn create(folder: &Path, prefix: &std::ffi::OsStr) -> io::Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix).suffix(".partial");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = crate::owner_only::FILE_MODE;
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        let file = builder.tempfile_in(folder)?;
        Ok(Self {
            file: BufWriter::with_capacity(256 * 1024, file),
        })
    }

    /// Flushes the file to disk and renames it over `target` (in the same
    /// folder as it was written, or on the same file system), then flushes
    /// the folder so the rename survives a crash.
    pub fn commit(self, target: &Path) -> io::Result<()> {
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.as_file().sync_all()?;
        file.persist(target).map_err(|e| e.error)?;
        if let Some(folder) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(folder)?.sync_all()?;
        }
        Ok(())
    }
}

impl Write for PartialFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `target` through `write`, which gets the file being written and
/// hands it back when done; `target` appears only if all of it succeeded.
pub fn write_atomically<E: From<io::Error>>(
    target: &Path,
    write: impl FnOnce(PartialFile) -> Result<PartialFile, E>,
) -> Result<(), E> {
    let file = write(PartialFile::beside(target)?)?;
    file.commit(target)?;
    Ok(())
}
