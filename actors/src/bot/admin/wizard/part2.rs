//! Part 2's wizard states (Order, User): the steps that wait for a seller's typed text — the
//! note of a manual payment, a customer search, the reason of a block, the amount and reason
//! of a balance adjustment — stored like every other wizard so a restart keeps the seller's
//! place, and so a confirmation press acts only on what the seller saw.

use serde::{Deserialize, Serialize};

use super::{Awaits, Back};

/// A part-2 flow and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Part2Flow {
    /// *Tandai Lunas*: the note (mandatory), then the confirmation.
    MarkPaid {
        order_id: i64,
        note: Option<String>,
    },
    /// *Cari* in the User section: the search text, then its result pages.
    SearchUsers { query: Option<String> },
    /// *Blokir* / *Buka Blokir*: the reason; the change is written when it arrives.
    BlockUser {
        user_id: i64,
        name: String,
        block: bool,
    },
    /// *Ubah Saldo*: the signed amount, the reason (mandatory), then the confirmation.
    AdjustBalance {
        user_id: i64,
        name: String,
        delta: Option<i64>,
        reason: Option<String>,
    },
}

impl Part2Flow {
    /// What message the current step takes.
    pub fn awaits(&self) -> Awaits {
        match self {
            Part2Flow::MarkPaid { note: None, .. }
            | Part2Flow::SearchUsers { query: None }
            | Part2Flow::BlockUser { .. }
            | Part2Flow::AdjustBalance { reason: None, .. } => Awaits::Text,
            _ => Awaits::Buttons,
        }
    }

    /// *Kembali*: one step back, or leave when this is the first step.
    pub fn back(&mut self) -> Back {
        let stepped = match self {
            Part2Flow::MarkPaid { note, .. } => note.take().is_some(),
            Part2Flow::SearchUsers { query } => query.take().is_some(),
            Part2Flow::BlockUser { .. } => false,
            Part2Flow::AdjustBalance { delta, reason, .. } => {
                reason.take().is_some() || delta.take().is_some()
            }
        };
        if stepped { Back::Stepped } else { Back::Leave }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_go_back_one_at_a_time_and_wait_for_the_right_input() {
        let mut f = Part2Flow::AdjustBalance {
            user_id: 5,
            name: "Budi".into(),
            delta: Some(5_000),
            reason: Some("transfer".into()),
        };
        assert_eq!(f.awaits(), Awaits::Buttons);
        assert_eq!(f.back(), Back::Stepped);
        assert_eq!(f.awaits(), Awaits::Text);
        assert_eq!(f.back(), Back::Stepped);
        assert_eq!(f.back(), Back::Leave);
        let mut m = Part2Flow::MarkPaid {
            order_id: 1,
            note: None,
        };
        assert_eq!(m.awaits(), Awaits::Text);
        assert_eq!(m.back(), Back::Leave);
    }
}
