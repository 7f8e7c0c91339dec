//! The [`OptedOutNumbers`] of one machine: the `--opted-out` file given with
//! the list, or none. On AWS the same port reads the SMS provider's list of
//! numbers that replied STOP.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use batchmsg_core::opt_out::{OptOutError, OptOutList};
use batchmsg_core::ports::{OptedOutNumbers, PortResult};

#[derive(Debug, thiserror::Error)]
pub enum OptedOutFileError {
    #[error("cannot open the opted-out list {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Read(#[from] OptOutError),
}

/// The numbers of an opted-out file, read once, when it is named: a problem
/// with it is reported before anything else is done.
#[derive(Clone, Debug, Default)]
pub struct OptedOutFile {
    list: OptOutList,
}

impl OptedOutFile {
    /// Reads the file at `path`; with no path, no number is opted out.
    pub fn read(path: Option<&Path>) -> Result<Self, OptedOutFileError> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let file = File::open(path).map_err(|source| OptedOutFileError::Open {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            list: OptOutList::read(BufReader::new(file))?,
        })
    }
}

impl OptedOutFile {
    pub fn into_list(self) -> OptOutList {
        self.list
    }
}

impl OptedOutNumbers for OptedOutFile {
    async fn opted_out(&self) -> PortResult<OptOutList> {
        Ok(self.list.clone())
    }
}
