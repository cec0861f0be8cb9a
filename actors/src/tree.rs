//! The actor tree: which children the root supervisor starts, in which order.
//!
//! Start order: Queue (others hand it work), Payment, Bot, Backup, Health. Shutdown runs in
//! reverse, so intake stops before the queue drains.

use actix::Addr;

use crate::backup::{self, BackupActor};
use crate::bot::{self, BotActor};
use crate::health::{self, HealthActor};
use crate::payment::{self, PaymentActor};
use crate::queue::{self, QueueActor};
use crate::services::Services;
use crate::supervisor::{
    ChildSpec, EscalationHandler, Registry, Restart, SupervisorConfig, SupervisorHandle,
    start_supervisor,
};

/// The five children, each rebuilt from `services` on every restart.
pub fn child_specs(services: &Services) -> Vec<ChildSpec> {
    let s = services.clone();
    let queue = ChildSpec::new(queue::NAME, Restart::Permanent, move || {
        QueueActor::new(s.clone())
    });
    let s = services.clone();
    let payment = ChildSpec::new(payment::NAME, Restart::Permanent, move || {
        PaymentActor::new(s.clone())
    });
    let s = services.clone();
    let bot = ChildSpec::new(bot::NAME, Restart::Permanent, move || {
        BotActor::new(s.clone())
    });
    let s = services.clone();
    let backup = ChildSpec::new(backup::NAME, Restart::Permanent, move || {
        BackupActor::new(s.clone())
    });
    let s = services.clone();
    let health = ChildSpec::new(health::NAME, Restart::Permanent, move || {
        HealthActor::new(s.clone())
    });
    vec![queue, payment, bot, backup, health]
}

/// Starts the root supervisor with the five actors.
pub fn start_tree(
    services: &Services,
    config: SupervisorConfig,
    on_escalate: EscalationHandler,
) -> SupervisorHandle {
    start_supervisor(
        child_specs(services),
        config,
        services.registry.clone(),
        on_escalate,
    )
}

/// The live BotActor, if it is running.
pub fn bot_actor(registry: &Registry) -> Option<Addr<BotActor>> {
    registry.get::<BotActor>(bot::NAME)
}

/// The live PaymentActor, if it is running.
pub fn payment_actor(registry: &Registry) -> Option<Addr<PaymentActor>> {
    registry.get::<PaymentActor>(payment::NAME)
}
