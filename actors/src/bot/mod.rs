//! BotActor: takes stored updates from the durable intake, in `update_id` order, and answers
//! them. It also owns how updates arrive (webhook registration or long polling).
//!
//! A failure while handling one update is recorded on that update and retried later; it never
//! takes the bot down. A panic restarts the actor with fresh state; claims it held expire and
//! the updates are handled again.

pub mod admin;
pub mod callback;
pub mod context;
pub mod conversation;
pub mod flows;
pub mod intake;
pub mod keyboards;
pub mod polling;
pub mod qr;
pub mod texts;

use std::time::Duration;

use actix::prelude::*;
use teloxide_core::Bot;

use crate::log_targets::BOT;
use crate::services::{IntakeMode, Services};
use crate::supervisor::Shutdown;
use crate::telegram::redact;

/// Registry name.
pub const NAME: &str = "bot";

/// Tells BotActor that new updates were stored (the webhook handler sends it after its
/// commit). Without it the actor still finds them on its fallback poll.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct UpdatesStored;

/// See the module docs.
pub struct BotActor {
    services: Services,
    bot: Bot,
    busy: bool,
    again: bool,
    stopping: bool,
}

impl BotActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> BotActor {
        let tg = &services.settings.telegram;
        let bot = crate::telegram::bot(&tg.api_url, tg.bot_token.expose())
            .unwrap_or_else(|e| panic!("the Bot API client cannot be built: {e}"));
        BotActor {
            services,
            bot,
            busy: false,
            again: false,
            stopping: false,
        }
    }
}

/// How often stored updates are looked for when no notice arrives.
const FALLBACK_POLL: Duration = Duration::from_secs(2);

impl Actor for BotActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Updates stored before a crash or restart are handled first.
        ctx.notify(UpdatesStored);
        ctx.run_interval(FALLBACK_POLL, |act, ctx| {
            if !act.stopping {
                ctx.notify(UpdatesStored);
            }
        });
        let services = self.services.clone();
        let bot = self.bot.clone();
        let me = ctx.address();
        ctx.spawn(
            async move {
                let mode = polling::resolve_intake(&services, &bot).await;
                services.state.set_intake(mode);
                log::info!(target: BOT, "receiving updates by {mode:?}");
                if mode == IntakeMode::Polling {
                    poll_forever(services, me).await;
                }
            }
            .into_actor(self),
        );
    }
}

async fn poll_forever(services: Services, me: Addr<BotActor>) {
    let client = reqwest::Client::new();
    let token = services.settings.telegram.bot_token.expose().clone();
    let mut failures = 0u32;
    while !services.state.is_shutting_down() {
        match polling::poll_once(&services, &client).await {
            Ok(stored) => {
                failures = 0;
                if stored > 0 {
                    me.do_send(UpdatesStored);
                }
            }
            Err(e) => {
                failures += 1;
                let delay = Duration::from_millis(500u64 << failures.min(6));
                log::warn!(target: BOT, "getUpdates failed: {}; retrying in {delay:?}", redact(&e, &token));
                tokio::time::sleep(delay).await;
            }
        }
    }
}

impl Handler<UpdatesStored> for BotActor {
    type Result = ();

    fn handle(&mut self, _: UpdatesStored, ctx: &mut Self::Context) {
        if self.stopping {
            return;
        }
        if self.busy {
            self.again = true;
            return;
        }
        self.busy = true;
        let services = self.services.clone();
        let bot = self.bot.clone();
        let drain = async move { intake::drain_pending(&services, &bot).await };
        ctx.spawn(drain.into_actor(self).map(|result, act, ctx| {
            act.busy = false;
            if let Err(e) = result {
                log::warn!(target: BOT, "processing stored updates: {e}");
            }
            if act.stopping {
                ctx.stop();
            } else if std::mem::take(&mut act.again) {
                ctx.notify(UpdatesStored);
            }
        }));
    }
}

impl Handler<Shutdown> for BotActor {
    type Result = ();

    /// Finishes the batch in hand (claims not yet handled expire and are retried after the
    /// restart), then stops.
    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        self.stopping = true;
        if !self.busy {
            ctx.stop();
        }
    }
}
