//! The wave function's event: what a wave's schedule hands it. Its own
//! module, apart from the scheduler adapter, because the wave function reads
//! it without calling EventBridge Scheduler (and so without its SDK client).

use batchmsg_core::batch::BatchId;
use serde::{Deserialize, Serialize};

/// What a schedule hands the wave function: release wave `wave` of `batch`.
/// Exactly the target input, `{"batch": "<id>", "wave": N}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaveDue {
    #[serde(with = "batch_id")]
    pub batch: BatchId,
    pub wave: u32,
}

impl WaveDue {
    /// The JSON the schedule holds as its target input.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a wave event serialises")
    }
}

/// A [`BatchId`] as a JSON string, checked when read.
mod batch_id {
    use batchmsg_core::batch::BatchId;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(id: &BatchId, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(id.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BatchId, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse()
            .map_err(|_| D::Error::custom("the batch is not a batch id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> BatchId {
        s.parse().unwrap()
    }

    #[test]
    fn the_wave_event_is_exactly_the_target_input() {
        let event = WaveDue {
            batch: id("20261125-170455-3f9a"),
            wave: 3,
        };
        let json = event.to_json();
        assert_eq!(json, r#"{"batch":"20261125-170455-3f9a","wave":3}"#);
        assert_eq!(serde_json::from_str::<WaveDue>(&json).unwrap(), event);
        for bad in [
            r#"{"batch":"a/b","wave":3}"#,
            r#"{"batch":"b","wave":-1}"#,
            r#"{"batch":"b"}"#,
            r#"{"batch":"b","wave":3,"extra":1}"#,
        ] {
            assert!(serde_json::from_str::<WaveDue>(bad).is_err(), "{bad}");
        }
    }
}
