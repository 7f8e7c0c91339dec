//! The [`ObjectStore`] of one machine: objects are files under a folder (the
//! data folder), as S3 keeps them under a bucket. Keys are `/`-separated
//! relative paths; one that could leave the folder is refused.
//!
//! An object is only ever replaced whole (written beside its place and
//! renamed over it), so an object's tag, taken from the file it names,
//! changes whenever it is replaced: a reader given a tag reads that version
//! or nothing, as with an S3 ETag.

use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use batchmsg_core::ports::{ObjectStore, PortError, PortResult};

use crate::owner_only::create_dir_all;
use crate::partial_file::PartialFile;

#[derive(Debug, thiserror::Error)]
#[error(
    "{0:?} is not an object key: keys are relative paths of plain names, \
     with no `.`, `..`, empty part or backslash"
)]
pub struct BadKey(String);

/// Objects as files under `root`.
#[derive(Clone, Debug)]
pub struct FolderStore {
    root: PathBuf,
}

impl FolderStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file `key` names, if the key is one this store takes.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, BadKey> {
        let plain = |part: &str| {
            !part.is_empty() && part != "." && part != ".." && !part.contains(['\\', '\0'])
        };
        if !key.split('/').all(plain) {
            return Err(BadKey(key.to_owned()));
        }
        Ok(self.root.join(key))
    }

    /// The tag of the object now stored under `key`, as [`ObjectStore::open`]
    /// takes it; `None` if there is none.
    pub fn tag(&self, key: &str) -> PortResult<Option<String>> {
        let path = self.path_of(key).map_err(PortError::new)?;
        match std::fs::metadata(&path) {
            Ok(metadata) => Ok(Some(tag_of(&metadata))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(PortError::new(e)),
        }
    }

    /// Removes the object under `key`, if there is one.
    pub fn remove(&self, key: &str) -> PortResult<()> {
        let path = self.path_of(key).map_err(PortError::new)?;
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(PortError::new(e)),
            _ => Ok(()),
        }
    }
}

/// Which file, and which state of it: a replacement is a new file (another
/// inode), and a change in place moves its size or change time.
fn tag_of(metadata: &std::fs::Metadata) -> String {
    format!(
        "{:x}-{:x}-{:x}-{:x}.{:x}",
        metadata.dev(),
        metadata.ino(),
        metadata.size(),
        metadata.ctime(),
        metadata.ctime_nsec()
    )
}

impl ObjectStore for FolderStore {
    type Staged = PartialFile;

    async fn open(&self, key: &str, tag: Option<&str>) -> PortResult<Option<Box<dyn Read + Send>>> {
        let path = self.path_of(key).map_err(PortError::new)?;
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(PortError::new(e)),
        };
        // The tag of the file opened, not of the path: a replacement after
        // this point does not change what this reader reads.
        let metadata = file.metadata().map_err(PortError::new)?;
        if !metadata.is_file() || tag.is_some_and(|tag| tag != tag_of(&metadata)) {
            return Ok(None);
        }
        Ok(Some(Box::new(BufReader::new(file))))
    }

    fn stage(&self) -> PortResult<PartialFile> {
        create_dir_all(&self.root).map_err(PortError::new)?;
        PartialFile::in_folder(&self.root).map_err(PortError::new)
    }

    async fn put(
        &self,
        key: &str,
        staged: PartialFile,
        _content_type: &'static str,
    ) -> PortResult<()> {
        let path = self.path_of(key).map_err(PortError::new)?;
        if let Some(folder) = path.parent() {
            create_dir_all(folder).map_err(PortError::new)?;
        }
        staged.commit(&path).map_err(PortError::new)
    }
}

impl FolderStore {
    /// The folder objects live under.
    pub fn root(&self) -> &Path {
        &self.root
    }
}
