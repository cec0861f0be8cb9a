//! An OTP-style supervisor for actix actors.
//!
//! actix's own `Supervisor` restarts an actor only when it stops, with the *same* state, and a
//! panic in a handler silently kills the mailbox. This one:
//! - builds a **fresh actor** from its [`ChildSpec`] factory on every restart;
//! - runs each child's context as its own task and watches the task's `JoinHandle`, so a
//!   panic in any handler is seen (and told apart from a normal stop) and becomes a restart;
//! - limits restart intensity ([`Intensity`], default 5 in 60 s) and escalates beyond it;
//! - waits an exponential, jittered [`Backoff`] before each restart;
//! - publishes live addresses, states and restart counts in a [`Registry`];
//! - stops children in reverse start order on [`ShutdownTree`], each within a deadline.

mod backoff;
mod intensity;
mod registry;

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use tokio::sync::watch;

pub use backoff::Backoff;
pub use intensity::{Intensity, RestartLog};
pub use registry::{ChildInfo, ChildStatus, Registry};

use crate::log_targets::APP;

/// Runs an async handler's future **inside the actor's context** and answers with its output.
///
/// A handler that returns actix's `ResponseFuture` has its future spawned detached on the
/// arbiter: a panic there kills only that task, the supervisor never sees it and the actor
/// carries on with whatever half-done state the panic left. Wrapped with this, the future is
/// polled by the actor's own context (as `ctx.spawn` does, so handlers still run
/// concurrently and a slow one does not hold up the mailbox) and a panic in it ends the
/// context task, which the supervisor restarts from a fresh actor.
pub fn in_context<A, F>(future: F) -> ResponseActFuture<A, F::Output>
where
    A: Actor,
    F: std::future::Future + 'static,
{
    Box::pin(actix::fut::wrap_future::<F, A>(future))
}

/// Asks a child to finish its current work and stop. Every supervised actor handles it.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// When a child is restarted, as in OTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// Always restarted.
    Permanent,
    /// Restarted only after a crash (panic), not after a normal stop.
    Transient,
    /// Never restarted.
    Temporary,
}

struct StartedChild {
    addr: Arc<dyn Any + Send + Sync>,
    shutdown: Recipient<Shutdown>,
    task: tokio::task::JoinHandle<()>,
}

type StartFn = Box<dyn Fn() -> StartedChild + Send>;

/// How to build and restart one child.
pub struct ChildSpec {
    name: &'static str,
    restart: Restart,
    start: StartFn,
}

impl ChildSpec {
    /// A child whose state `factory` builds anew on every (re)start.
    pub fn new<A, F>(name: &'static str, restart: Restart, factory: F) -> ChildSpec
    where
        A: Actor<Context = Context<A>> + Handler<Shutdown>,
        F: Fn() -> A + Send + Sync + 'static,
    {
        let factory = std::sync::Arc::new(factory);
        let start = move || {
            let ctx: Context<A> = Context::new();
            let addr = ctx.address();
            // The actor is built inside its own task: a factory that panics is a crash of the
            // child like any other (backoff, intensity), never a dead supervisor.
            let factory = factory.clone();
            let task = actix::spawn(async move {
                let actor = factory();
                ctx.into_future(actor).await
            });
            StartedChild {
                shutdown: addr.clone().recipient(),
                addr: Arc::new(addr),
                task,
            }
        };
        ChildSpec {
            name,
            restart,
            start: Box::new(start),
        }
    }

    /// The child's name in the registry, logs and metrics.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Why a supervisor gave up. At the root this ends the process with a non-zero code so
/// systemd, Docker or Kubernetes restart it from scratch.
#[derive(Debug, Clone)]
pub struct Escalation {
    /// The child whose crash exceeded the intensity (or `supervisor` if the supervisor died).
    pub child: &'static str,
    /// Its last exit reason.
    pub reason: String,
    /// Restarts allowed per period.
    pub intensity: Intensity,
}

/// What to do on escalation.
pub type EscalationHandler = Arc<dyn Fn(Escalation) + Send + Sync>;

/// Tuning of a supervisor.
#[derive(Debug, Clone, Copy, Default)]
pub struct SupervisorConfig {
    pub intensity: Intensity,
    pub backoff: Backoff,
}

struct RunningChild {
    generation: u64,
    started_at: Instant,
    shutdown: Recipient<Shutdown>,
    abort: tokio::task::AbortHandle,
    exited: watch::Receiver<bool>,
}

struct ChildSlot {
    spec: ChildSpec,
    running: Option<RunningChild>,
    generation: u64,
    consecutive_crashes: u32,
}

/// The supervisor actor. Start it with [`start_supervisor`].
pub struct Supervisor {
    slots: Vec<ChildSlot>,
    config: SupervisorConfig,
    restart_log: RestartLog,
    registry: Registry,
    on_escalate: EscalationHandler,
    shutting_down: bool,
}

#[derive(Message)]
#[rtype(result = "()")]
struct ChildExited {
    index: usize,
    generation: u64,
    panic: Option<String>,
}

#[derive(Message)]
#[rtype(result = "()")]
struct RestartChild {
    index: usize,
    generation: u64,
}

/// Stops every child in reverse start order, waiting up to `deadline` in total, then stops
/// the supervisor. Children still running at the deadline are aborted.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct ShutdownTree {
    pub deadline: Duration,
}

/// A running supervisor and the task that runs it.
pub struct SupervisorHandle {
    pub addr: Addr<Supervisor>,
    /// Finishes when the supervisor stops; watch it to exit the process.
    pub done: watch::Receiver<bool>,
}

/// Starts a supervisor over `specs` (started in order). Must be called inside an actix
/// system. If the supervisor itself dies abnormally, `on_escalate` is called.
pub fn start_supervisor(
    specs: Vec<ChildSpec>,
    config: SupervisorConfig,
    registry: Registry,
    on_escalate: EscalationHandler,
) -> SupervisorHandle {
    for spec in &specs {
        registry.declare(spec.name);
    }
    let supervisor = Supervisor {
        slots: specs
            .into_iter()
            .map(|spec| ChildSlot {
                spec,
                running: None,
                generation: 0,
                consecutive_crashes: 0,
            })
            .collect(),
        config,
        restart_log: RestartLog::default(),
        registry,
        on_escalate: on_escalate.clone(),
        shutting_down: false,
    };
    let ctx: Context<Supervisor> = Context::new();
    let addr = ctx.address();
    let task = actix::spawn(ctx.into_future(supervisor));
    let (tx, rx) = watch::channel(false);
    actix::spawn(async move {
        if let Err(e) = task.await
            && e.is_panic()
        {
            let reason = panic_message(e.into_panic());
            log::error!(target: APP, "the supervisor itself panicked: {reason}");
            on_escalate(Escalation {
                child: "supervisor",
                reason,
                intensity: config.intensity,
            });
        }
        let _ = tx.send(true);
    });
    SupervisorHandle { addr, done: rx }
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

impl Supervisor {
    fn start_child(&mut self, index: usize, ctx: &mut Context<Self>) {
        let me = ctx.address();
        let slot = &mut self.slots[index];
        slot.generation += 1;
        let generation = slot.generation;
        let started = (slot.spec.start)();
        let (tx, rx) = watch::channel(false);
        let abort = started.task.abort_handle();
        let task = started.task;
        actix::spawn(async move {
            let panic = match task.await {
                Ok(()) => None,
                Err(e) if e.is_panic() => Some(panic_message(e.into_panic())),
                Err(_) => Some("aborted".to_string()),
            };
            let _ = tx.send(true);
            me.do_send(ChildExited {
                index,
                generation,
                panic,
            });
        });
        slot.running = Some(RunningChild {
            generation,
            started_at: Instant::now(),
            shutdown: started.shutdown,
            abort,
            exited: rx,
        });
        self.registry.set_running(slot.spec.name, started.addr);
        log::info!(target: APP, "actor {} started", slot.spec.name);
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        for index in 0..self.slots.len() {
            self.start_child(index, ctx);
        }
    }
}

impl Handler<ChildExited> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ChildExited, ctx: &mut Self::Context) {
        let intensity = self.config.intensity;
        let backoff = self.config.backoff;
        let slot = &mut self.slots[msg.index];
        let name = slot.spec.name;
        let Some(running) = slot.running.take_if(|r| r.generation == msg.generation) else {
            return; // a stale notice about an instance already replaced
        };
        let reason = match &msg.panic {
            Some(p) => format!("panicked: {p}"),
            None => "stopped".to_string(),
        };
        if self.shutting_down {
            self.registry.set_exited(name, ChildStatus::Stopped, reason);
            return;
        }
        let restart = match slot.spec.restart {
            Restart::Permanent => true,
            Restart::Transient => msg.panic.is_some(),
            Restart::Temporary => false,
        };
        if !restart {
            log::info!(target: APP, "actor {name} {reason}; not restarted");
            self.registry.set_exited(name, ChildStatus::Stopped, reason);
            return;
        }
        if !self.restart_log.allow(&intensity, Instant::now()) {
            log::error!(
                target: APP,
                "actor {name} {reason}; more than {} restarts in {:?}: escalating",
                intensity.max_restarts,
                intensity.period
            );
            self.registry
                .set_exited(name, ChildStatus::Failed, reason.clone());
            (self.on_escalate)(Escalation {
                child: name,
                reason,
                intensity,
            });
            return;
        }
        if running.started_at.elapsed() >= backoff.healthy_after {
            slot.consecutive_crashes = 0;
        }
        slot.consecutive_crashes += 1;
        let delay = backoff.delay(slot.consecutive_crashes);
        log::warn!(target: APP, "actor {name} {reason}; restarting in {delay:?}");
        self.registry
            .set_exited(name, ChildStatus::Restarting, reason);
        self.registry.count_restart(name);
        let generation = slot.generation;
        ctx.notify_later(
            RestartChild {
                index: msg.index,
                generation,
            },
            delay,
        );
    }
}

impl Handler<RestartChild> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: RestartChild, ctx: &mut Self::Context) {
        let slot = &self.slots[msg.index];
        if self.shutting_down || slot.running.is_some() || slot.generation != msg.generation {
            return;
        }
        self.start_child(msg.index, ctx);
    }
}

impl Handler<ShutdownTree> for Supervisor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, msg: ShutdownTree, _ctx: &mut Self::Context) -> Self::Result {
        self.shutting_down = true;
        let registry = self.registry.clone();
        let children: Vec<(&'static str, Option<RunningChild>)> = self
            .slots
            .iter_mut()
            .rev()
            .map(|s| (s.spec.name, s.running.take()))
            .collect();
        let deadline = tokio::time::Instant::now() + msg.deadline;
        let stop_all = async move {
            for (name, child) in children {
                let Some(mut child) = child else {
                    registry.set_exited(name, ChildStatus::Stopped, "shutdown".into());
                    continue;
                };
                log::info!(target: APP, "stopping actor {name}");
                let _ = tokio::time::timeout_at(deadline, child.shutdown.send(Shutdown)).await;
                let exited =
                    tokio::time::timeout_at(deadline, child.exited.wait_for(|done| *done)).await;
                if !matches!(exited, Ok(Ok(_))) {
                    log::warn!(target: APP, "actor {name} did not stop before the deadline; aborting it");
                    child.abort.abort();
                }
                registry.set_exited(name, ChildStatus::Stopped, "shutdown".into());
            }
        };
        Box::pin(stop_all.into_actor(self).map(|(), _act, ctx| ctx.stop()))
    }
}
