//! [`SharedClock`]: one clock handed to every part of a process, so that a
//! test can give the whole embedded runner a clock it moves (and jumps).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Clock, SystemClock};

/// A [`Clock`] shared by cloning; the system clock by default.
#[derive(Clone)]
pub struct SharedClock(Arc<dyn Clock + Send + Sync>);

impl SharedClock {
    pub fn new(clock: impl Clock + Send + Sync + 'static) -> Self {
        Self(Arc::new(clock))
    }
}

impl Default for SharedClock {
    fn default() -> Self {
        Self::new(SystemClock)
    }
}

impl fmt::Debug for SharedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedClock")
    }
}

impl Clock for SharedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}
