//! LISTEN/NOTIFY wake-ups between PostgreSQL replicas: a commit that enqueued jobs, wrote
//! outbox rows or stored updates notifies its channel, and every replica's listener wakes the
//! part of it that takes that work. (SQLite is one process: in-process signals suffice.)

use diesel::RunQueryDsl;

use crate::db::{DbConnection, Pool, PooledConn, checkout};
use crate::error::StoreError;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Jobs were enqueued ([`crate::queries::jobs::NOTIFY_CHANNEL`]).
    Jobs,
    /// Replies were written to the outbox ([`crate::queries::outbox::NOTIFY_CHANNEL`]).
    Outbox,
    /// Updates were stored ([`crate::queries::updates::NOTIFY_CHANNEL`]).
    Updates,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Jobs, Channel::Outbox, Channel::Updates];

    /// The PostgreSQL channel name.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Jobs => crate::queries::jobs::NOTIFY_CHANNEL,
            Channel::Outbox => crate::queries::outbox::NOTIFY_CHANNEL,
            Channel::Updates => crate::queries::updates::NOTIFY_CHANNEL,
        }
    }

    fn of(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A dedicated PostgreSQL connection LISTENing on every [`Channel`].
pub struct Listener {
    conn: PooledConn,
}

impl Listener {
    /// Opens the listener; `None` on SQLite.
    pub fn open(pool: &Pool) -> Result<Option<Listener>, StoreError> {
        let mut conn = checkout(pool)?;
        let DbConnection::Pg(pg) = &mut *conn else {
            return Ok(None);
        };
        for channel in Channel::ALL {
            diesel::sql_query(format!("LISTEN {}", channel.name())).execute(pg)?;
        }
        Ok(Some(Listener { conn }))
    }

    /// Drains the notifications received so far without blocking: which channels had any.
    pub fn drain(&mut self) -> Result<Vec<Channel>, StoreError> {
        let DbConnection::Pg(pg) = &mut *self.conn else {
            return Ok(Vec::new());
        };
        let mut seen = Vec::new();
        for n in pg.notifications_iter() {
            if let Some(channel) = Channel::of(&n?.channel)
                && !seen.contains(&channel)
            {
                seen.push(channel);
            }
        }
        Ok(seen)
    }
}
