//! BotActor: takes stored updates from the durable intake and answers them. It also owns how
//! updates arrive (webhook registration or long polling).
//!
//! Layout:
//! - [`pipeline`]: one chat's claimed updates, each one transaction (claim check, admission,
//!   the handler's state change, jobs, outbox replies, "handled" mark);
//! - [`route`]: what an update means — the prepare step and the [`context::Apply`] it yields;
//! - [`context`]: [`context::Ctx`] (prepare) and [`context::Tx`] (inside the transaction);
//! - [`flows`]: the customer flows; [`callback`], [`conversation`]: typed buttons and dialog
//!   states; [`keyboards`], [`texts`], [`qr`]: what the customer sees;
//! - [`polling`]: webhook registration or long polling.
//!
//! The actor is a dispatcher: it claims chats with pending updates (never more than
//! `UPDATE_CONCURRENCY` at once) and runs each chat's updates in order as a task in its own
//! context, so a slow handler (a gateway call) delays only its own chat, and a panic in any
//! handler crashes the actor for the supervisor to restart with fresh state. The claims of
//! chats being handled are renewed in the background, so another replica never takes a chat
//! over while its handler runs.

pub mod admin;
pub mod callback;
pub mod context;
pub mod conversation;
pub mod flows;
pub mod keyboards;
pub mod pipeline;
pub mod polling;
pub mod qr;
pub mod route;
pub mod texts;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

use autoorder_schema::queries::updates::{claim_chats, release_worker_claims, renew_chat_claims};

use crate::blocking::with_conn;
use crate::log_targets::BOT;
use crate::services::{IntakeMode, Services};
use crate::supervisor::Shutdown;
use crate::telegram::redact;

pub use pipeline::HandleError;

/// Registry name.
pub const NAME: &str = "bot";

/// Tells BotActor that new updates were stored (the webhook handler sends it after its
/// commit; other replicas learn it by LISTEN/NOTIFY). Without it the actor still finds them
/// on its fallback poll.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct UpdatesStored;

/// See the module docs.
pub struct BotActor {
    services: Services,
    /// Claim owner of this incarnation: `<instance>/<nonce>`, so claims of a crashed
    /// predecessor in the same process are told apart and released at start.
    worker: Arc<str>,
    /// Chats being handled by this actor.
    active: HashSet<i64>,
    claiming: bool,
    again: bool,
    stopping: bool,
}

impl BotActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> BotActor {
        use rand::Rng;
        let worker = format!(
            "{}/{:08x}",
            services.instance_id,
            rand::rng().random::<u32>()
        );
        BotActor {
            services,
            worker: worker.into(),
            active: HashSet::new(),
            claiming: false,
            again: false,
            stopping: false,
        }
    }

    fn concurrency(&self) -> usize {
        self.services.settings.update_concurrency.max(1)
    }

    /// Claims as many chats as there are free slots and starts a task per chat.
    fn dispatch(&mut self, ctx: &mut Context<Self>) {
        if self.stopping {
            return;
        }
        let free = self.concurrency().saturating_sub(self.active.len());
        if self.claiming || free == 0 {
            self.again = true;
            return;
        }
        self.claiming = true;
        self.again = false;
        let (services, worker) = (self.services.clone(), self.worker.clone());
        let claim = async move {
            with_conn(&services.pool, move |c| {
                claim_chats(
                    c,
                    &worker,
                    free as i64,
                    pipeline::LOCK_MS,
                    pipeline::PER_CHAT,
                )
            })
            .await
        };
        ctx.spawn(claim.into_actor(self).map(move |claimed, act, ctx| {
            act.claiming = false;
            let chats = match claimed {
                Ok(chats) => chats,
                Err(e) => {
                    log::warn!(target: BOT, "claiming chats: {e}");
                    return;
                }
            };
            let full = chats.len() == free;
            for chat in chats {
                act.active.insert(chat.chat_id);
                let chat_id = chat.chat_id;
                let task = pipeline::handle_chat(act.services.clone(), act.worker.clone(), chat);
                ctx.spawn(task.into_actor(act).map(move |_, act, ctx| {
                    act.active.remove(&chat_id);
                    if act.stopping {
                        if act.active.is_empty() {
                            ctx.stop();
                        }
                    } else {
                        act.dispatch(ctx);
                    }
                }));
            }
            if act.stopping && act.active.is_empty() {
                ctx.stop();
            } else if full || std::mem::take(&mut act.again) {
                act.dispatch(ctx);
            }
        }));
    }
}

/// How often stored updates are looked for when no notice arrives.
const FALLBACK_POLL: Duration = Duration::from_secs(2);

impl Actor for BotActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Claims of a crashed predecessor in this process are dead: release them first, then
        // handle what was stored meanwhile.
        let (services, prefix) = (self.services.clone(), self.services.instance_id.to_string());
        ctx.spawn(
            async move {
                match with_conn(&services.pool, move |c| release_worker_claims(c, &prefix)).await {
                    Ok(n) if n > 0 => log::info!(target: BOT, "released {n} chat claim(s) of a previous bot actor"),
                    Ok(_) => {}
                    Err(e) => log::warn!(target: BOT, "releasing old chat claims: {e}"),
                }
            }
            .into_actor(self)
            .map(|(), act, ctx| act.dispatch(ctx)),
        );
        ctx.run_interval(FALLBACK_POLL, |act, ctx| act.dispatch(ctx));
        ctx.run_interval(pipeline::RENEW_EVERY, |act, ctx| {
            if act.active.is_empty() {
                return;
            }
            let chats: Vec<i64> = act.active.iter().copied().collect();
            let (services, worker) = (act.services.clone(), act.worker.clone());
            ctx.spawn(
                async move {
                    if let Err(e) = with_conn(&services.pool, move |c| {
                        renew_chat_claims(c, &worker, &chats, pipeline::LOCK_MS)
                    })
                    .await
                    {
                        log::warn!(target: BOT, "renewing chat claims: {e}");
                    }
                }
                .into_actor(act),
            );
        });
        let services = self.services.clone();
        let me = ctx.address();
        ctx.spawn(
            async move {
                let bot = match crate::telegram::bot(
                    &services.settings.telegram.api_url,
                    services.settings.telegram.bot_token.expose(),
                ) {
                    Ok(bot) => bot,
                    Err(e) => panic!("the Bot API client cannot be built: {e}"),
                };
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
    let mut empty_fast = 0u32;
    while !services.state.is_shutting_down() {
        let started = std::time::Instant::now();
        match polling::poll_once(&services, &client).await {
            Ok(stored) => {
                failures = 0;
                if stored > 0 {
                    empty_fast = 0;
                    me.do_send(UpdatesStored);
                } else if let Some(delay) =
                    polling::empty_answer_backoff(&mut empty_fast, started.elapsed())
                {
                    // Some Bot API servers answer an empty long poll at once: do not spin.
                    tokio::time::sleep(delay).await;
                }
            }
            Err(e) => {
                failures += 1;
                let delay = Duration::from_millis(500u64 << failures.min(6));
                log::warn!(target: BOT, "{}; retrying in {delay:?}", redact(&e.to_string(), &token));
                tokio::time::sleep(delay).await;
            }
        }
    }
}

impl Handler<UpdatesStored> for BotActor {
    type Result = ();

    fn handle(&mut self, _: UpdatesStored, ctx: &mut Self::Context) {
        self.dispatch(ctx);
    }
}

impl Handler<Shutdown> for BotActor {
    type Result = ();

    /// Stops claiming; the chats in hand finish their current updates (claims not reached run
    /// out and are handled after the restart), then the actor stops.
    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        self.stopping = true;
        if self.active.is_empty() && !self.claiming {
            ctx.stop();
        }
    }
}
