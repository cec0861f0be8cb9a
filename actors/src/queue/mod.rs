//! QueueActor: the durable job queue and the rate-limited sender to Telegram. It starts and
//! reports its state now; the queue issue gives it its work.

use actix::prelude::*;

use crate::log_targets::QUEUE;
use crate::services::Services;
use crate::supervisor::Shutdown;

/// Registry name.
pub const NAME: &str = "queue";

/// See the module docs.
pub struct QueueActor {
    #[allow(dead_code)]
    services: Services,
}

impl QueueActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> QueueActor {
        QueueActor { services }
    }
}

impl Actor for QueueActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        log::info!(target: QUEUE, "queue actor ready");
    }
}

impl Handler<Shutdown> for QueueActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
