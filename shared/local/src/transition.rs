//! A state change as one conditional SQL update: the moves come from
//! `batchmsg_core::delivery`, so SQLite allows exactly what the core does.

/// `SET status = <this>` and `WHERE status IN <sources>` for the moves
/// `(from, to)`. The names are the core's own constants, never input.
pub(crate) struct Move {
    pub(crate) new_status: String,
    pub(crate) sources: String,
}

impl Move {
    pub(crate) fn new(moves: &[(&'static str, &'static str)]) -> Self {
        let mut new_status = String::from("CASE status");
        let mut sources = String::from("(");
        for (i, (from, to)) in moves.iter().enumerate() {
            new_status.push_str(&format!(" WHEN '{from}' THEN '{to}'"));
            if i > 0 {
                sources.push_str(", ");
            }
            sources.push_str(&format!("'{from}'"));
        }
        new_status.push_str(" END");
        sources.push(')');
        Self {
            new_status,
            sources,
        }
    }
}

macro_rules! moves_for {
    ($status:ty, $event:expr) => {{
        let event = $event;
        let moves: Vec<(&'static str, &'static str)> = <$status>::sources(event)
            .into_iter()
            .map(|from| {
                let to = from.apply(event).expect("a source state accepts its event");
                (from.as_str(), to.as_str())
            })
            .collect();
        $crate::transition::Move::new(&moves)
    }};
}
pub(crate) use moves_for;

#[cfg(test)]
mod tests {
    use batchmsg_core::delivery::{RecipientEvent, RecipientStatus};

    #[test]
    fn a_move_lists_each_source_and_where_it_goes() {
        let m = moves_for!(RecipientStatus, RecipientEvent::Delivered);
        assert_eq!(
            m.new_status,
            "CASE status WHEN 'sent' THEN 'delivered' WHEN 'temporary-failure' THEN 'delivered' END"
        );
        assert_eq!(m.sources, "('sent', 'temporary-failure')");
    }
}
