//! Part 2's wizard states (Order, User): the steps that wait for a seller's typed text — the
//! note of a manual payment, a customer search, the reason of a block, the amount and reason
//! of a balance adjustment — stored like every other wizard so a restart keeps the seller's
//! place, and so a confirmation press acts only on what the seller saw.

use serde::{Deserialize, Serialize};

use autoorder_schema::queries::broadcasts::{Audience, BroadcastBody, PhotoSource};

use super::{Awaits, Back};

/// A broadcast's content as the wizard keeps it (the storage's body, in a form that can be
/// stored between steps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DraftBody {
    Text { text: String },
    Photo { file_id: String, caption: String },
    Copy { from_chat_id: i64, message_id: i64 },
}

impl DraftBody {
    /// The wizard's form of a composed body (a seller's photo is always a file id).
    pub fn of(body: &BroadcastBody) -> Option<DraftBody> {
        Some(match body {
            BroadcastBody::Text { text } => DraftBody::Text { text: text.clone() },
            BroadcastBody::Photo {
                caption,
                photo: PhotoSource::FileId(file_id),
            } => DraftBody::Photo {
                file_id: file_id.clone(),
                caption: caption.clone(),
            },
            BroadcastBody::Photo { .. } => return None,
            BroadcastBody::Copy {
                from_chat_id,
                message_id,
            } => DraftBody::Copy {
                from_chat_id: *from_chat_id,
                message_id: *message_id,
            },
        })
    }

    /// The storage's body.
    pub fn body(&self) -> BroadcastBody {
        match self {
            DraftBody::Text { text } => BroadcastBody::Text { text: text.clone() },
            DraftBody::Photo { file_id, caption } => BroadcastBody::Photo {
                caption: caption.clone(),
                photo: PhotoSource::FileId(file_id.clone()),
            },
            DraftBody::Copy {
                from_chat_id,
                message_id,
            } => BroadcastBody::Copy {
                from_chat_id: *from_chat_id,
                message_id: *message_id,
            },
        }
    }
}

/// *Broadcast Baru* so far: the content, then the audience (a typed day count when
/// `asking_days`), then the preview with its confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastDraft {
    pub body: Option<DraftBody>,
    pub audience: Option<Audience>,
    #[serde(default)]
    pub asking_days: bool,
}

/// A part-2 flow and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Part2Flow {
    /// *Tandai Lunas*: the note (mandatory), then the confirmation.
    MarkPaid { order_id: i64, note: Option<String> },
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
    /// *Broadcast Baru*.
    Broadcast(BroadcastDraft),
}

impl Part2Flow {
    /// What message the current step takes.
    pub fn awaits(&self) -> Awaits {
        match self {
            Part2Flow::MarkPaid { note: None, .. }
            | Part2Flow::SearchUsers { query: None }
            | Part2Flow::BlockUser { .. }
            | Part2Flow::AdjustBalance { reason: None, .. } => Awaits::Text,
            Part2Flow::Broadcast(d) if d.body.is_none() => Awaits::TextOrPhoto,
            Part2Flow::Broadcast(d) if d.asking_days && d.audience.is_none() => Awaits::Text,
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
            Part2Flow::Broadcast(d) => {
                d.audience.take().is_some()
                    || std::mem::take(&mut d.asking_days)
                    || d.body.take().is_some()
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
