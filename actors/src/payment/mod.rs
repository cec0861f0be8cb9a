//! PaymentActor: the Pakasir gateway. It creates QRIS transactions for placed orders and
//! deposits, answers *Cek Status* and *Batalkan*, treats callbacks as triggers that are
//! confirmed with `transactiondetail` before anything completes, and runs the reconciliation
//! poller (on the replica holding the `payment-reconciler` lease) so a lost callback still
//! completes its order.

pub mod flow;
pub mod messages;
pub mod pakasir;

use std::time::Duration;

use actix::prelude::*;

use autoorder_schema::queries::leases::try_acquire_lease;
use autoorder_schema::queries::shop::payments::{
    CloseReason, close_payment, open_payments, set_invoice_message,
};
use autoorder_schema::queries::shop::status;

use crate::blocking::with_conn;
use crate::log_targets::PAYMENT;
use crate::services::Services;
use crate::supervisor::Shutdown;
use flow::{Confirmation, Gateway};
use messages::{
    CancelPayment, CheckPayment, GatewayCallback, Invoice, InvoiceShown, PaymentProblem,
    PaymentState, StartQris,
};

/// Registry name.
pub const NAME: &str = "payment";
/// Lease of the replica that reconciles.
pub const RECONCILER_LEASE: &str = "payment-reconciler";
/// How often open payments are checked with the gateway by default.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(30);
/// Payments younger than this are left to their callback.
const RECONCILE_MIN_AGE_MS: i64 = 60_000;

/// See the module docs.
pub struct PaymentActor {
    services: Services,
    gateway: Option<Gateway>,
}

impl PaymentActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> PaymentActor {
        let gateway = services.settings.pakasir.as_ref().map(|s| {
            Gateway::new(s).unwrap_or_else(|e| panic!("the Pakasir client cannot be built: {e}"))
        });
        PaymentActor { services, gateway }
    }
}

impl Actor for PaymentActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        match &self.gateway {
            Some(_) => {
                log::info!(target: PAYMENT, "payment actor ready (Pakasir)");
                ctx.run_interval(reconcile_interval(&self.services), |act, ctx| {
                    let (services, gateway) = (act.services.clone(), act.gateway.clone());
                    if let Some(gateway) = gateway {
                        ctx.spawn(reconcile(services, gateway).into_actor(act));
                    }
                });
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

/// One reconciliation round: every open payment is checked with the gateway.
async fn reconcile(services: Services, gateway: Gateway) {
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
    let min_age = reconcile_min_age_ms(&services);
    let open = match with_conn(&services.pool, move |c| open_payments(c, min_age, 200)).await {
        Ok(p) => p,
        Err(e) => {
            log::warn!(target: PAYMENT, "reconciliation: {e}");
            return;
        }
    };
    for payment in open {
        match flow::confirm(&services, &gateway, &payment).await {
            Ok(Confirmation::Paid(_)) => {
                log::info!(target: PAYMENT, "reconciliation completed {}", payment.gateway_order_id)
            }
            Ok(Confirmation::Expired) => {
                let _ = flow::expire(&services, &gateway, payment.id).await;
            }
            Ok(Confirmation::Cancelled) => {
                let id = payment.id;
                let _ = with_conn(&services.pool, move |c| {
                    close_payment(c, id, CloseReason::Cancelled)
                })
                .await;
                services.wake_queue();
            }
            Ok(Confirmation::NotFound) if payment.status == status::CREATING => {
                // The create never reached the gateway (we crashed mid-call): close it.
                let id = payment.id;
                let _ = with_conn(&services.pool, move |c| {
                    close_payment(c, id, CloseReason::Failed)
                })
                .await;
                services.wake_queue();
            }
            Ok(_) => {}
            Err(e) => {
                log::warn!(target: PAYMENT, "reconciliation of {}: {e}", payment.gateway_order_id);
                break; // the gateway is struggling; try the rest next round
            }
        }
    }
}

impl PaymentActor {
    fn gateway(&self) -> Result<Gateway, PaymentProblem> {
        self.gateway.clone().ok_or(PaymentProblem::NotConfigured)
    }
}

impl Handler<StartQris> for PaymentActor {
    type Result = ResponseFuture<Result<Invoice, PaymentProblem>>;

    fn handle(&mut self, msg: StartQris, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let gateway = self.gateway();
        Box::pin(async move {
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
    type Result = ResponseFuture<Result<PaymentState, PaymentProblem>>;

    fn handle(&mut self, msg: CheckPayment, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let gateway = self.gateway();
        Box::pin(
            async move { flow::check(&services, &gateway?, msg.payment_id, msg.user_id).await },
        )
    }
}

impl Handler<CancelPayment> for PaymentActor {
    type Result = ResponseFuture<Result<(), PaymentProblem>>;

    fn handle(&mut self, msg: CancelPayment, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let gateway = self.gateway();
        Box::pin(
            async move { flow::cancel(&services, &gateway?, msg.payment_id, msg.user_id).await },
        )
    }
}

impl Handler<InvoiceShown> for PaymentActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: InvoiceShown, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        Box::pin(async move {
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
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: GatewayCallback, _: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let gateway = self.gateway.clone();
        Box::pin(async move {
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
