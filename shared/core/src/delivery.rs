//! The states of a recipient, a wave and a batch, and the only moves between
//! them. Every adapter stores these names and makes each move conditional on
//! the state it starts from, so that "a text is sent only from `queued`" holds
//! however often an event is delivered: at most one text per patient per batch.

use std::fmt;
use std::str::FromStr;

/// The reason every adapter records for a text cancelled before it was sent.
pub const CANCELLED_REASON: &str = "Cancelled before it was sent";

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} cannot go from {from} on {event}")]
pub struct IllegalTransition {
    pub what: &'static str,
    pub from: &'static str,
    pub event: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a known state")]
pub struct UnknownState(pub String);

macro_rules! states {
    ($name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            const WHAT: &'static str = $what;

            /// The stored name, as other tools and the reports read it.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownState;
            fn from_str(s: &str) -> Result<Self, UnknownState> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownState(other.to_owned())),
                }
            }
        }
    };
}

states!(RecipientStatus, "a recipient" {
    Queued => "queued",
    Sending => "sending",
    Sent => "sent",
    Delivered => "delivered",
    TemporaryFailure => "temporary-failure",
    PermanentFailure => "permanent-failure",
    TechnicalFailure => "technical-failure",
    Cancelled => "cancelled",
});

states!(WaveStatus, "a wave" {
    Pending => "pending",
    Releasing => "releasing",
    Released => "released",
    Cancelled => "cancelled",
});

states!(BatchStatus, "a batch" {
    AwaitingUpload => "awaiting-upload",
    Validated => "validated",
    Scheduled => "scheduled",
    Sending => "sending",
    Completed => "completed",
    Cancelled => "cancelled",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecipientEvent {
    /// A sender takes the text; only one can, and only from `queued`.
    Claim,
    /// The provider took the text.
    Published,
    /// The provider asked us to slow down before taking it: try again later.
    Throttled,
    /// The provider refused it, or it was left `sending` too long to know
    /// whether it went (a crash between publishing and recording): never
    /// sent again, and the status says why.
    TechnicalFailure,
    /// A delivery receipt.
    Delivered,
    TemporaryFailure,
    PermanentFailure,
    Cancel,
}

impl RecipientEvent {
    fn name(self) -> &'static str {
        match self {
            RecipientEvent::Claim => "claim",
            RecipientEvent::Published => "published",
            RecipientEvent::Throttled => "throttled",
            RecipientEvent::TechnicalFailure => "technical failure",
            RecipientEvent::Delivered => "delivered receipt",
            RecipientEvent::TemporaryFailure => "temporary failure receipt",
            RecipientEvent::PermanentFailure => "permanent failure receipt",
            RecipientEvent::Cancel => "cancel",
        }
    }
}

impl RecipientStatus {
    /// A failure of any kind: temporary (Notify's word for a phone off or
    /// out of reach, which may yet be delivered), permanent, or technical.
    /// Cancelled is not a failure.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            RecipientStatus::TemporaryFailure
                | RecipientStatus::PermanentFailure
                | RecipientStatus::TechnicalFailure
        )
    }

    pub fn apply(self, event: RecipientEvent) -> Result<Self, IllegalTransition> {
        use RecipientEvent as E;
        use RecipientStatus as S;
        let next = match (self, event) {
            (S::Queued, E::Claim) => S::Sending,
            (S::Queued, E::Cancel) => S::Cancelled,
            (S::Sending, E::Published) => S::Sent,
            (S::Sending, E::Throttled) => S::Queued,
            (S::Sending, E::TechnicalFailure) => S::TechnicalFailure,
            // A temporary failure may still be followed by the final receipt.
            (S::Sent | S::TemporaryFailure, E::Delivered) => S::Delivered,
            (S::Sent | S::TemporaryFailure, E::PermanentFailure) => S::PermanentFailure,
            (S::Sent, E::TemporaryFailure) => S::TemporaryFailure,
            _ => {
                return Err(IllegalTransition {
                    what: Self::WHAT,
                    from: self.as_str(),
                    event: event.name(),
                });
            }
        };
        Ok(next)
    }

    /// The states `event` may move a recipient from: what an adapter's
    /// conditional update requires the stored state to be.
    pub fn sources(event: RecipientEvent) -> Vec<RecipientStatus> {
        Self::ALL
            .iter()
            .copied()
            .filter(|s| s.apply(event).is_ok())
            .collect()
    }

    /// Nothing more will happen to this text.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RecipientStatus::Delivered
                | RecipientStatus::PermanentFailure
                | RecipientStatus::TechnicalFailure
                | RecipientStatus::Cancelled
        )
    }

    /// Still waiting to go out.
    pub fn is_waiting(self) -> bool {
        matches!(self, RecipientStatus::Queued | RecipientStatus::Sending)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaveEvent {
    /// The wave's time came; only one release may run, however often it fires.
    StartRelease,
    FinishRelease,
    Cancel,
}

impl WaveStatus {
    /// Nothing more will be released from this wave.
    pub fn is_final(self) -> bool {
        matches!(self, WaveStatus::Released | WaveStatus::Cancelled)
    }

    /// The states `event` may move a wave from.
    pub fn sources(event: WaveEvent) -> Vec<WaveStatus> {
        Self::ALL
            .iter()
            .copied()
            .filter(|s| s.apply(event).is_ok())
            .collect()
    }

    pub fn apply(self, event: WaveEvent) -> Result<Self, IllegalTransition> {
        use WaveEvent as E;
        use WaveStatus as S;
        match (self, event) {
            (S::Pending, E::StartRelease) => Ok(S::Releasing),
            (S::Releasing, E::FinishRelease) => Ok(S::Released),
            (S::Pending, E::Cancel) => Ok(S::Cancelled),
            _ => Err(IllegalTransition {
                what: Self::WHAT,
                from: self.as_str(),
                event: match event {
                    E::StartRelease => "start of release",
                    E::FinishRelease => "end of release",
                    E::Cancel => "cancel",
                },
            }),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BatchEvent {
    /// Its uploaded list is validated and its recipients stored.
    Validate,
    /// Its waves are planned and stored.
    Schedule,
    /// Its first wave is released.
    StartSending,
    /// Every recipient has a final status, or is waiting on a receipt with nothing left to send.
    Complete,
    Cancel,
}

impl BatchStatus {
    /// A batch in this status may hold texts the sweep must settle: it is
    /// sending, or it was cancelled while a text was being published. It is
    /// open to the sweep from when it moves here until it is completed or
    /// closed.
    pub fn is_swept(self) -> bool {
        matches!(self, BatchStatus::Sending | BatchStatus::Cancelled)
    }

    /// No event moves the batch on: completed or cancelled. Derived from
    /// [`BatchStatus::apply`], so it cannot disagree with the state machine.
    pub fn is_final(self) -> bool {
        use BatchEvent as E;
        [
            E::Validate,
            E::Schedule,
            E::StartSending,
            E::Complete,
            E::Cancel,
        ]
        .into_iter()
        .all(|event| self.apply(event).is_err())
    }

    /// The states `event` may move a batch from.
    pub fn sources(event: BatchEvent) -> Vec<BatchStatus> {
        Self::ALL
            .iter()
            .copied()
            .filter(|s| s.apply(event).is_ok())
            .collect()
    }

    pub fn apply(self, event: BatchEvent) -> Result<Self, IllegalTransition> {
        use BatchEvent as E;
        use BatchStatus as S;
        match (self, event) {
            (S::AwaitingUpload, E::Validate) => Ok(S::Validated),
            (S::Validated, E::Schedule) => Ok(S::Scheduled),
            (S::Scheduled, E::StartSending) => Ok(S::Sending),
            (S::Sending, E::Complete) => Ok(S::Completed),
            (S::AwaitingUpload | S::Validated | S::Scheduled | S::Sending, E::Cancel) => {
                Ok(S::Cancelled)
            }
            _ => Err(IllegalTransition {
                what: Self::WHAT,
                from: self.as_str(),
                event: match event {
                    E::Validate => "validation",
                    E::Schedule => "schedule",
                    E::StartSending => "start of sending",
                    E::Complete => "completion",
                    E::Cancel => "cancel",
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RecipientEvent as E;
    use RecipientStatus as S;

    const EVENTS: [RecipientEvent; 8] = [
        E::Claim,
        E::Published,
        E::Throttled,
        E::TechnicalFailure,
        E::Delivered,
        E::TemporaryFailure,
        E::PermanentFailure,
        E::Cancel,
    ];

    #[test]
    fn exactly_these_recipient_moves_are_allowed() {
        let allowed = [
            (S::Queued, E::Claim, S::Sending),
            (S::Queued, E::Cancel, S::Cancelled),
            (S::Sending, E::Published, S::Sent),
            (S::Sending, E::Throttled, S::Queued),
            (S::Sending, E::TechnicalFailure, S::TechnicalFailure),
            (S::Sent, E::Delivered, S::Delivered),
            (S::Sent, E::TemporaryFailure, S::TemporaryFailure),
            (S::Sent, E::PermanentFailure, S::PermanentFailure),
            (S::TemporaryFailure, E::Delivered, S::Delivered),
            (
                S::TemporaryFailure,
                E::PermanentFailure,
                S::PermanentFailure,
            ),
        ];
        for &from in S::ALL {
            for event in EVENTS {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(from.apply(event).ok(), expected, "{from} on {event:?}");
            }
        }
    }

    #[test]
    fn sources_are_the_states_an_event_moves_from() {
        assert_eq!(S::sources(E::Claim), vec![S::Queued]);
        assert_eq!(S::sources(E::Delivered), vec![S::Sent, S::TemporaryFailure]);
        assert_eq!(
            BatchStatus::sources(BatchEvent::Cancel),
            vec![
                BatchStatus::AwaitingUpload,
                BatchStatus::Validated,
                BatchStatus::Scheduled,
                BatchStatus::Sending
            ]
        );
        assert_eq!(
            BatchStatus::sources(BatchEvent::Validate),
            vec![BatchStatus::AwaitingUpload]
        );
        assert_eq!(
            WaveStatus::sources(WaveEvent::StartRelease),
            vec![WaveStatus::Pending]
        );
    }

    #[test]
    fn final_states_accept_nothing() {
        for &state in S::ALL.iter().filter(|s| s.is_final()) {
            assert!(EVENTS.iter().all(|e| state.apply(*e).is_err()), "{state}");
        }
    }

    #[test]
    fn names_round_trip_and_match_the_reports() {
        for &s in S::ALL {
            assert_eq!(s.as_str().parse::<S>(), Ok(s));
        }
        assert_eq!(S::TemporaryFailure.as_str(), "temporary-failure");
        for &w in WaveStatus::ALL {
            assert_eq!(w.as_str().parse::<WaveStatus>(), Ok(w));
        }
        for &b in BatchStatus::ALL {
            assert_eq!(b.as_str().parse::<BatchStatus>(), Ok(b));
        }
        assert!("sending ".parse::<S>().is_err());
    }

    #[test]
    fn a_wave_is_released_once() {
        let releasing = WaveStatus::Pending
            .apply(WaveEvent::StartRelease)
            .expect("first release");
        assert!(
            releasing.apply(WaveEvent::StartRelease).is_err(),
            "a second firing does nothing"
        );
        assert!(
            releasing.apply(WaveEvent::Cancel).is_err(),
            "a release under way is not cancelled"
        );
        let released = releasing.apply(WaveEvent::FinishRelease).expect("finishes");
        assert!(released.apply(WaveEvent::StartRelease).is_err());
    }

    #[test]
    fn a_batch_moves_forward_or_is_cancelled() {
        use BatchEvent as B;
        let sending = BatchStatus::Validated
            .apply(B::Schedule)
            .and_then(|s| s.apply(B::StartSending))
            .expect("schedules and sends");
        assert_eq!(sending.apply(B::Cancel), Ok(BatchStatus::Cancelled));
        let completed = sending.apply(B::Complete).expect("completes");
        assert!(
            completed.apply(B::Cancel).is_err(),
            "a finished batch is not cancelled"
        );
        assert!(BatchStatus::Cancelled.apply(B::StartSending).is_err());
    }

    proptest::proptest! {
        /// However events arrive, repeated or out of order, a recipient is
        /// published at most once.
        #[test]
        fn any_event_sequence_publishes_at_most_once(events in proptest::collection::vec(0usize..8, 0..60)) {
            let mut state = S::Queued;
            let mut published = 0;
            for i in events {
                if let Ok(next) = state.apply(EVENTS[i]) {
                    published += usize::from(EVENTS[i] == E::Published);
                    state = next;
                }
            }
            proptest::prop_assert!(published <= 1);
        }
    }
}
