//! Cross-replica wake-ups (PostgreSQL LISTEN/NOTIFY): one listener per process, started at
//! boot, wakes the queue (jobs enqueued elsewhere), the outbox sender (replies committed by
//! another replica's handlers) and the bot's dispatcher (updates stored by another replica's
//! webhook). SQLite runs one process, where the in-process signals suffice.

use std::time::Duration;

use autoorder_schema::queries::listen::{Channel, Listener};

use crate::bot::UpdatesStored;
use crate::log_targets::QUEUE;
use crate::services::Services;

/// Starts the listener thread (nothing on SQLite). It stops when the process shuts down.
///
/// diesel exposes no socket to block on, so the thread drains notifications every 20 ms — a
/// local, query-free check.
pub fn spawn_listener(services: Services) {
    let spawned = std::thread::Builder::new()
        .name("pg-listen".into())
        .spawn(move || {
            let mut listener = match Listener::open(&services.pool) {
                Ok(Some(l)) => l,
                Ok(None) => return,
                Err(e) => {
                    log::warn!(target: QUEUE, "LISTEN failed, relying on polling: {e}");
                    return;
                }
            };
            while !services.state.is_shutting_down() {
                match listener.drain() {
                    Ok(channels) => {
                        for channel in channels {
                            match channel {
                                Channel::Jobs => services.wake_queue(),
                                Channel::Outbox => services.wake_outbox(),
                                Channel::Updates => {
                                    if let Some(bot) = crate::tree::bot_actor(&services.registry) {
                                        bot.do_send(UpdatesStored);
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => {
                        log::warn!(target: QUEUE, "LISTEN connection lost ({e}); reopening");
                        std::thread::sleep(Duration::from_secs(1));
                        match Listener::open(&services.pool) {
                            Ok(Some(l)) => listener = l,
                            _ => continue,
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
    if let Err(e) = spawned {
        log::warn!(target: QUEUE, "cannot start the LISTEN thread: {e}");
    }
}
