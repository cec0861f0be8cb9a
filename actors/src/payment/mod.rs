//! PaymentActor: the Pakasir gateway — creating QRIS payments, confirming callbacks with
//! `transactiondetail`, reconciliation and expiry. It starts and reports its state now; the
//! shop issue gives it its work.

pub mod messages;
pub mod pakasir;

use actix::prelude::*;

use crate::log_targets::PAYMENT;
use crate::services::Services;
use crate::supervisor::Shutdown;

/// Registry name.
pub const NAME: &str = "payment";

/// See the module docs.
pub struct PaymentActor {
    #[allow(dead_code)]
    services: Services,
}

impl PaymentActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> PaymentActor {
        PaymentActor { services }
    }
}

impl Actor for PaymentActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        log::info!(target: PAYMENT, "payment actor ready");
    }
}

impl Handler<Shutdown> for PaymentActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
