use std::future::Future;
use std::io::{Read, Write};

use super::PortResult;
use crate::opt_out::OptOutList;

/// Where uploaded lists arrive and reports are kept: a bucket on AWS, a
/// folder on one machine.
pub trait ObjectStore {
    /// Somewhere to write an object before it is stored, such as a temporary
    /// file, so that a large report is never held in memory.
    type Staged: Write + Send + 'static;

    /// A reader that fetches the object as it is read; `None` if there is no
    /// object with that key, or (given a `tag`) it has been replaced by
    /// another.
    fn open(
        &self,
        key: &str,
        tag: Option<&str>,
    ) -> impl Future<Output = PortResult<Option<Box<dyn Read + Send>>>> + Send;

    fn stage(&self) -> PortResult<Self::Staged>;

    /// Stores what was written to `staged` under `key`, replacing any object
    /// there.
    fn put(
        &self,
        key: &str,
        staged: Self::Staged,
        content_type: &'static str,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

/// The numbers the SMS provider has been told never to text (a reply of
/// STOP), which validation treats as opted out.
pub trait OptedOutNumbers {
    fn opted_out(&self) -> impl Future<Output = PortResult<OptOutList>> + Send;
}
