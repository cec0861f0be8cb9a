//! PaymentActor: the Pakasir gateway. It creates QRIS transactions for placed orders and
//! deposits, answers *Cek Status* and *Batalkan*, treats callbacks as triggers that are
//! confirmed with `transactiondetail` before anything completes, and runs the reconciliation
//! poller (on the replica holding the `payment-reconciler` lease): open payments are asked
//! about so a lost callback still completes its order, and payments closed within
//! `PAYMENT_RECHECK_HOURS` are asked about again so money that arrives after a close is never
//! lost. A round never overlaps the previous one.
//!
//! Every handler's future runs inside the actor's context ([`in_context`]): a panic in one
//! restarts the actor through the supervisor instead of vanishing in a detached task, and the
//! handlers still run concurrently (a slow gateway call holds up no other message).
//!
//! Layout: `flow` (the life cycle, shared with the queue's expiry job), `messages`, `pakasir`
//! (the client), `reconcile` (the `--gateway` cross-check); here the actor, its poller and its
//! handlers.

pub mod flow;
pub mod messages;
pub mod pakasir;
pub mod reconcile;

use std::time::Duration;

use actix::prelude::*;

use autoorder_schema::queries::leases::try_acquire_lease;
use autoorder_schema::queries::shop::payments::{
    CloseReason, close_payment, load_payment, open_payments, recently_closed_payments,
    set_invoice_message,
};
use autoorder_schema::queries::shop::status::PaymentStatus;

use crate::blocking::with_conn;
use crate::log_targets::PAYMENT;
use crate::services::Services;
use crate::supervisor::{Shutdown, in_context};
use flow::{Confirmation, Gateway};
use messages::{
    CancelAtGateway, CancelOutcome, CancelPayment, CheckPayment, GatewayCallback, Invoice,
    InvoiceShown, PaymentProblem, PaymentState, StartQris,
};

/// Registry name.
pub const NAME: &str = "payment";
/// Lease of the replica that reconciles.
pub const RECONCILER_LEASE: &str = "payment-reconciler";
/// How often open payments are checked with the gateway by default.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(30);
/// Payments younger than this are left to their callback.
const RECONCILE_MIN_AGE_MS: i64 = 60_000;
/// Open payments asked about per round.
const OPEN_PER_ROUND: i64 = 200;
/// Closed payments asked about again per round (least recently asked first).
const CLOSED_PER_ROUND: i64 = 50;
/// A closed payment is asked about again at most this often.
const RECHECK_EVERY: Duration = Duration::from_secs(10 * 60);

/// See the module docs.
pub struct PaymentActor {
    services: Services,
    gateway: Option<Gateway>,
    /// A reconciliation round is under way: the next tick skips instead of starting another
    /// round on top of it (a slow gateway would otherwise pile rounds up).
    round_running: bool,
}

impl PaymentActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> PaymentActor {
        let gateway = services.settings.pakasir.as_ref().map(|s| {
            Gateway::new(s).unwrap_or_else(|e| panic!("the Pakasir client cannot be built: {e}"))
        });
        PaymentActor {
            services,
            gateway,
            round_running: false,
        }
    }

    /// The interval tick: starts a round unless one is still running.
    fn tick(&mut self, ctx: &mut Context<Self>) {
        let Some(gateway) = self.gateway.clone() else {
            return;
        };
        if self.round_running {
            log::debug!(target: PAYMENT, "reconciliation round still running; this tick is skipped");
            return;
        }
        self.round_running = true;
        ctx.spawn(
            reconcile_round(self.services.clone(), gateway)
                .into_actor(self)
                .map(|_, act, _| act.round_running = false),
        );
    }
}

impl Actor for PaymentActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        match &self.gateway {
            Some(_) => {
                log::info!(target: PAYMENT, "payment actor ready (Pakasir)");
                ctx.run_interval(reconcile_interval(&self.services), |act, ctx| act.tick(ctx));
            }
            None => {
                log::warn!(target: PAYMENT, "PAKASIR_PROJECT_SLUG / PAKASIR_API_KEY not set: QRIS payments are off")
            }
        }
    }
}

fn reconcile_interval(services: &Services) -> Duration {
    services
        .settings
        .pakasir
        .as_ref()
        .map(|p| p.reconcile_interval)
        .unwrap_or(RECONCILE_EVERY)
}

/// Payments younger than one interval (at most a minute) are left to their callback.
fn reconcile_min_age_ms(services: &Services) -> i64 {
    (reconcile_interval(services).as_millis() as i64).min(RECONCILE_MIN_AGE_MS)
}

/// One reconciliation round: every open payment is checked with the gateway, then the
/// payments closed within the recheck window that are due for another look.
pub async fn reconcile_round(services: Services, gateway: Gateway) {
    let holder = services.instance_id.to_string();
    let ttl = reconcile_interval(&services).as_millis() as i64 * 3;
    let leader = with_conn(&services.pool, move |c| {
        try_acquire_lease(c, RECONCILER_LEASE, &holder, ttl)
    })
    .await
    .unwrap_or(false);
    if !leader {
        return;
    }
    if reconcile_open(&services, &gateway).await {
        recheck_recently_closed(&services, &gateway).await;
    }
}

/// Open payments; false when the gateway is struggling (the rest waits for the next round).
async fn reconcile_open(services: &Services, gateway: &Gateway) -> bool {
    let min_age = reconcile_min_age_ms(services);
    let creating_min_age = gateway.creating_min_age().as_millis() as i64;
    let open = match with_conn(&services.pool, move |c| {
        open_payments(c, min_age, creating_min_age, OPEN_PER_ROUND)
    })
    .await
    {
        Ok(p) => p,
        Err(e) => {
            log::warn!(target: PAYMENT, "reconciliation: {e}");
            return false;
        }
    };
    for payment in open {
        match flow::confirm(services, gateway, &payment).await {
            Ok(Confirmation::Paid(_)) => {
                log::info!(target: PAYMENT, "reconciliation settled {}", payment.gateway_order_id)
            }
            Ok(Confirmation::Expired) => {
                let _ = flow::expire(services, gateway, payment.id).await;
            }
            Ok(Confirmation::Cancelled) => {
                let id = payment.id;
                let _ = with_conn(&services.pool, move |c| {
                    close_payment(c, id, CloseReason::Cancelled)
                })
                .await;
                services.wake_queue();
            }
            Ok(Confirmation::NotFound | Confirmation::Pending(_))
                if payment.status == PaymentStatus::Creating =>
            {
                // Older than the longest create: the create never reached the gateway, or its
                // answer died with the process. No customer saw a QR for it: cancel whatever
                // the gateway holds and close it.
                flow::abandon_creating(services, gateway, &payment).await;
            }
            Ok(_) => {}
            Err(e) => {
                log::warn!(target: PAYMENT, "reconciliation of {}: {e}", payment.gateway_order_id);
                return false;
            }
        }
    }
    true
}

/// Closed payments within the window, due for another look.
async fn recheck_recently_closed(services: &Services, gateway: &Gateway) {
    let window = gateway.recheck_window.as_millis() as i64;
    let every = RECHECK_EVERY.max(reconcile_interval(services)).as_millis() as i64;
    let closed = match with_conn(&services.pool, move |c| {
        recently_closed_payments(c, window, every, CLOSED_PER_ROUND)
    })
    .await
    {
        Ok(p) => p,
        Err(e) => {
            log::warn!(target: PAYMENT, "re-checking closed payments: {e}");
            return;
        }
    };
    for payment in closed {
        if let Err(e) = flow::recheck_closed(services, gateway, &payment).await {
            log::warn!(target: PAYMENT, "re-checking {}: {e}", payment.gateway_order_id);
            return;
        }
    }
}

impl PaymentActor {
    fn gateway(&self) -> Result<Gateway, PaymentProblem> {
        self.gateway.clone().ok_or(PaymentProblem::NotConfigured)
    }
}

impl Handler<StartQris> for PaymentActor {
    type Result = ResponseActFuture<Self, Result<Invoice, PaymentProblem>>;

    fn handle(&mut self, msg: StartQris, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let gateway = self.gateway();
        in_context(async move {
            let gateway = match gateway {
                Ok(g) => g,
                Err(e) => {
                    let id = msg.payment_id;
                    let _ = with_conn(&services.pool, move |c| {
                        close_payment(c, id, CloseReason::Failed)
                    })
                    .await;
                    return Err(e);
                }
            };
            flow::start_qris(&services, &gateway, msg.payment_id).await
        })
    }
}

impl Handler<CheckPayment> for PaymentActor {
    type Result = ResponseActFuture<Self, Result<PaymentState, PaymentProblem>>;

    fn handle(&mut self, msg: CheckPayment, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let gateway = self.gateway();
        in_context(
            async move { flow::check(&services, &gateway?, msg.payment_id, msg.user_id).await },
        )
    }
}

impl Handler<CancelPayment> for PaymentActor {
    type Result = ResponseActFuture<Self, Result<CancelOutcome, PaymentProblem>>;

    fn handle(&mut self, msg: CancelPayment, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let gateway = self.gateway();
        in_context(
            async move { flow::cancel(&services, &gateway?, msg.payment_id, msg.user_id).await },
        )
    }
}

impl Handler<CancelAtGateway> for PaymentActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, msg: CancelAtGateway, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let gateway = self.gateway.clone();
        in_context(async move {
            let Some(gateway) = gateway else {
                return;
            };
            for payment_id in msg.payment_ids {
                match with_conn(&services.pool, move |c| load_payment(c, payment_id)).await {
                    Ok(Some(payment)) if payment.status.is_open() => {
                        flow::cancel_at_gateway(&gateway, &payment).await;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        log::warn!(target: PAYMENT, "payment {payment_id} before a manual payment: {e}")
                    }
                }
            }
        })
    }
}

impl Handler<InvoiceShown> for PaymentActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, msg: InvoiceShown, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        in_context(async move {
            let InvoiceShown {
                payment_id,
                chat_id,
                message_id,
            } = msg;
            if let Err(e) = with_conn(&services.pool, move |c| {
                set_invoice_message(c, payment_id, chat_id, message_id)
            })
            .await
            {
                log::warn!(target: PAYMENT, "remembering the invoice message: {e}");
            }
        })
    }
}

impl Handler<GatewayCallback> for PaymentActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, msg: GatewayCallback, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let gateway = self.gateway.clone();
        in_context(async move {
            match gateway {
                Some(g) => {
                    flow::on_callback(&services, &g, &msg.order_id, msg.amount, &msg.project).await
                }
                None => {
                    log::warn!(target: PAYMENT, "callback for {} ignored: Pakasir is not configured", msg.order_id)
                }
            }
        })
    }
}

impl Handler<Shutdown> for PaymentActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
