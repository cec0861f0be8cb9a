//! The supervisor's promises: fresh state after a panic, escalation beyond the intensity,
//! ordered shutdown, a registry that always points at the live instance.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::prelude::*;
use autoorder_actors::supervisor::{
    Backoff, ChildSpec, ChildStatus, Escalation, Intensity, Registry, Restart, Shutdown,
    ShutdownTree, SupervisorConfig, start_supervisor,
};
use tokio::sync::mpsc;

/// Counts messages; its count starts at zero on every (re)start.
struct Counter {
    name: &'static str,
    count: u32,
    events: mpsc::UnboundedSender<String>,
}

impl Actor for Counter {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Self::Context) {
        let _ = self.events.send(format!("{} started", self.name));
    }
}

#[derive(Message)]
#[rtype(result = "u32")]
struct Inc;

#[derive(Message)]
#[rtype(result = "()")]
struct Boom;

impl Handler<Inc> for Counter {
    type Result = u32;
    fn handle(&mut self, _: Inc, _: &mut Self::Context) -> u32 {
        self.count += 1;
        self.count
    }
}

impl Handler<Boom> for Counter {
    type Result = ();
    fn handle(&mut self, _: Boom, _: &mut Self::Context) {
        panic!("boom in {}", self.name);
    }
}

impl Handler<Shutdown> for Counter {
    type Result = ();
    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        let _ = self.events.send(format!("{} stopping", self.name));
        ctx.stop();
    }
}

fn spec(name: &'static str, restart: Restart, events: &mpsc::UnboundedSender<String>) -> ChildSpec {
    let events = events.clone();
    ChildSpec::new(name, restart, move || Counter {
        name,
        count: 0,
        events: events.clone(),
    })
}

fn fast_config(max_restarts: u32) -> SupervisorConfig {
    SupervisorConfig {
        intensity: Intensity {
            max_restarts,
            period: Duration::from_secs(60),
        },
        backoff: Backoff {
            base: Duration::from_millis(1),
            max: Duration::from_millis(20),
            healthy_after: Duration::from_secs(60),
        },
    }
}

async fn next_event(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("event within 10 s")
        .expect("channel open")
}

fn no_escalation() -> Arc<dyn Fn(Escalation) + Send + Sync> {
    Arc::new(|e| panic!("unexpected escalation: {e:?}"))
}

#[actix::test]
async fn a_panicking_handler_is_restarted_with_fresh_state_and_the_next_message_succeeds() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registry = Registry::default();
    let _sup = start_supervisor(
        vec![spec("a", Restart::Permanent, &tx)],
        fast_config(5),
        registry.clone(),
        no_escalation(),
    );
    assert_eq!(next_event(&mut rx).await, "a started");

    let first = registry.get::<Counter>("a").expect("registered");
    assert_eq!(first.send(Inc).await.unwrap(), 1);
    assert_eq!(first.send(Inc).await.unwrap(), 2);
    // The panic kills the instance: the reply never comes.
    assert!(first.send(Boom).await.is_err());

    assert_eq!(next_event(&mut rx).await, "a started");
    let second = registry
        .get::<Counter>("a")
        .expect("the registry points at the new instance");
    assert_eq!(
        second.send(Inc).await.unwrap(),
        1,
        "state is fresh after a restart"
    );
    let info = registry
        .snapshot()
        .into_iter()
        .find(|c| c.name == "a")
        .unwrap();
    assert_eq!(info.restarts, 1);
    assert_eq!(info.status, ChildStatus::Running);
    assert!(info.last_exit.unwrap().contains("boom in a"));
}

#[actix::test]
async fn a_crash_loop_beyond_the_intensity_escalates() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registry = Registry::default();
    let escalations = Arc::new(Mutex::new(Vec::new()));
    let (esc_tx, mut esc_rx) = mpsc::unbounded_channel();
    let recorded = escalations.clone();
    let on_escalate = Arc::new(move |e: Escalation| {
        recorded.lock().unwrap().push(e.child);
        let _ = esc_tx.send(());
    });
    let _sup = start_supervisor(
        vec![spec("loop", Restart::Permanent, &tx)],
        fast_config(3),
        registry.clone(),
        on_escalate,
    );
    assert_eq!(next_event(&mut rx).await, "loop started");
    for _ in 0..3 {
        let addr = registry.get::<Counter>("loop").unwrap();
        let _ = addr.send(Boom).await;
        assert_eq!(next_event(&mut rx).await, "loop started");
    }
    // The fourth crash within the period is one too many.
    let _ = registry.get::<Counter>("loop").unwrap().send(Boom).await;
    tokio::time::timeout(Duration::from_secs(10), esc_rx.recv())
        .await
        .expect("escalated")
        .unwrap();
    assert_eq!(*escalations.lock().unwrap(), vec!["loop"]);
    assert!(registry.any_failed());
    assert!(registry.get::<Counter>("loop").is_none());
}

#[actix::test]
async fn temporary_children_are_not_restarted_and_transient_ones_only_after_a_crash() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registry = Registry::default();
    let specs = vec![
        spec("temp", Restart::Temporary, &tx),
        spec("trans", Restart::Transient, &tx),
    ];
    let _sup = start_supervisor(specs, fast_config(5), registry.clone(), no_escalation());
    assert_eq!(next_event(&mut rx).await, "temp started");
    assert_eq!(next_event(&mut rx).await, "trans started");

    let _ = registry.get::<Counter>("trans").unwrap().send(Boom).await;
    assert_eq!(
        next_event(&mut rx).await,
        "trans started",
        "transient restarts after a panic"
    );
    registry
        .get::<Counter>("trans")
        .unwrap()
        .send(Shutdown)
        .await
        .unwrap();
    assert_eq!(next_event(&mut rx).await, "trans stopping");
    let _ = registry.get::<Counter>("temp").unwrap().send(Boom).await;

    // Both end up stopped; a restart would have produced a "started" event first.
    let wait_stopped = async {
        loop {
            let s = registry.snapshot();
            if s.iter().all(|c| c.status == ChildStatus::Stopped) {
                return s;
            }
            tokio::task::yield_now().await;
        }
    };
    let snapshot = tokio::time::timeout(Duration::from_secs(10), wait_stopped)
        .await
        .expect("both stop");
    assert!(snapshot.iter().all(|c| c.restarts <= 1));
    assert!(rx.try_recv().is_err(), "no restart happened");
}

#[actix::test]
async fn shutdown_stops_children_in_reverse_start_order() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registry = Registry::default();
    let specs = vec![
        spec("first", Restart::Permanent, &tx),
        spec("second", Restart::Permanent, &tx),
        spec("third", Restart::Permanent, &tx),
    ];
    let sup = start_supervisor(specs, fast_config(5), registry.clone(), no_escalation());
    for name in ["first", "second", "third"] {
        assert_eq!(next_event(&mut rx).await, format!("{name} started"));
    }
    sup.addr
        .send(ShutdownTree {
            deadline: Duration::from_secs(5),
        })
        .await
        .unwrap();
    let order: Vec<String> = (0..3).map(|_| rx.try_recv().unwrap()).collect();
    assert_eq!(
        order,
        ["third stopping", "second stopping", "first stopping"]
    );
    assert!(
        registry
            .snapshot()
            .iter()
            .all(|c| c.status == ChildStatus::Stopped)
    );
    let mut done = sup.done.clone();
    tokio::time::timeout(Duration::from_secs(5), done.wait_for(|d| *d))
        .await
        .expect("supervisor stopped")
        .unwrap();
}

/// An actor whose work is asynchronous: the future runs in the actor's context, so a panic
/// in it is the actor's crash (as PaymentActor's and BotActor's handlers are).
struct Async {
    events: mpsc::UnboundedSender<String>,
    pool: Option<autoorder_schema::Pool>,
}

impl Actor for Async {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Self::Context) {
        let _ = self.events.send("async started".into());
    }
}

impl Handler<Shutdown> for Async {
    type Result = ();
    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

/// Panics after an await, inside a future spawned in the actor's context.
#[derive(Message)]
#[rtype(result = "()")]
struct BoomLater;

impl Handler<BoomLater> for Async {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, _: BoomLater, _: &mut Self::Context) -> Self::Result {
        Box::pin(
            async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                panic!("boom after an await");
            }
            .into_actor(self),
        )
    }
}

/// Panics inside a database closure on the blocking pool.
#[derive(Message)]
#[rtype(result = "()")]
struct BoomInDb;

impl Handler<BoomInDb> for Async {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, _: BoomInDb, _: &mut Self::Context) -> Self::Result {
        let pool = self.pool.clone().expect("a pool");
        Box::pin(
            async move {
                let result: Result<(), _> =
                    autoorder_actors::blocking::with_conn(&pool, |_| panic!("boom in a query"))
                        .await;
                // Reached only if the panic became an error ("database unavailable").
                let _ = result;
            }
            .into_actor(self),
        )
    }
}

#[actix::test]
async fn a_panic_in_an_async_handler_or_a_database_closure_restarts_the_actor() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registry = Registry::default();
    let db = autoorder_schema::testing::TestDatabase::empty(autoorder_schema::db::Backend::Sqlite);
    let pool = db.pool();
    let events = tx.clone();
    let spec = ChildSpec::new("async", Restart::Permanent, move || Async {
        events: events.clone(),
        pool: Some(pool.clone()),
    });
    let _sup = start_supervisor(
        vec![spec],
        fast_config(5),
        registry.clone(),
        no_escalation(),
    );
    assert_eq!(next_event(&mut rx).await, "async started");
    registry.get::<Async>("async").unwrap().do_send(BoomLater);
    assert_eq!(
        next_event(&mut rx).await,
        "async started",
        "restarted after the async panic"
    );
    registry.get::<Async>("async").unwrap().do_send(BoomInDb);
    assert_eq!(
        next_event(&mut rx).await,
        "async started",
        "restarted after the panic in the query"
    );
    let info = registry
        .snapshot()
        .into_iter()
        .find(|c| c.name == "async")
        .unwrap();
    assert_eq!(info.restarts, 2);
    assert!(info.last_exit.unwrap().contains("boom in a query"));
}

#[actix::test]
async fn a_failing_constructor_is_a_crash_with_backoff_not_a_dead_supervisor() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registry = Registry::default();
    let attempts = Arc::new(AtomicU32::new(0));
    let (a, events) = (attempts.clone(), tx.clone());
    let flaky = ChildSpec::new("flaky", Restart::Permanent, move || {
        if a.fetch_add(1, Ordering::SeqCst) < 2 {
            panic!("cannot build the client");
        }
        Counter {
            name: "flaky",
            count: 0,
            events: events.clone(),
        }
    });
    let sup = start_supervisor(
        vec![spec("steady", Restart::Permanent, &tx), flaky],
        fast_config(5),
        registry.clone(),
        no_escalation(),
    );
    let mut started = vec![next_event(&mut rx).await, next_event(&mut rx).await];
    started.sort();
    assert_eq!(started, ["flaky started", "steady started"]);
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "two failed constructions, then one that worked"
    );
    let info = registry
        .snapshot()
        .into_iter()
        .find(|c| c.name == "flaky")
        .unwrap();
    assert_eq!(info.restarts, 2);
    assert!(info.last_exit.unwrap().contains("cannot build the client"));
    // The supervisor is alive and still serves its children.
    assert_eq!(
        registry
            .get::<Counter>("steady")
            .unwrap()
            .send(Inc)
            .await
            .unwrap(),
        1
    );
    assert!(!*sup.done.borrow());

    // A constructor that never works escalates like any crash loop.
    let (esc_tx, mut esc_rx) = mpsc::unbounded_channel();
    let broken = ChildSpec::new("broken", Restart::Permanent, || -> Counter {
        panic!("never builds")
    });
    let _sup2 = start_supervisor(
        vec![broken],
        fast_config(3),
        Registry::default(),
        Arc::new(move |e: Escalation| {
            let _ = esc_tx.send(e.child);
        }),
    );
    let child = tokio::time::timeout(Duration::from_secs(10), esc_rx.recv())
        .await
        .expect("escalated")
        .unwrap();
    assert_eq!(child, "broken");
}

/// An actor whose handlers are async: `in_context` (as PaymentActor's are) or actix's
/// detached `ResponseFuture`, to show the difference.
struct Gateway {
    events: mpsc::UnboundedSender<String>,
}

impl Actor for Gateway {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Self::Context) {
        let _ = self.events.send("gateway started".into());
    }
}

impl Handler<Shutdown> for Gateway {
    type Result = ();
    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

/// Panics after an await, inside the actor's context.
#[derive(Message)]
#[rtype(result = "()")]
struct PanicInContext;

impl Handler<PanicInContext> for Gateway {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, _: PanicInContext, _: &mut Self::Context) -> Self::Result {
        autoorder_actors::supervisor::in_context(async {
            tokio::task::yield_now().await;
            panic!("the gateway answered nonsense");
        })
    }
}

/// Panics after an await, in a detached `ResponseFuture` (what PaymentActor used to do).
#[derive(Message)]
#[rtype(result = "()")]
struct PanicDetached;

impl Handler<PanicDetached> for Gateway {
    type Result = ResponseFuture<()>;
    fn handle(&mut self, _: PanicDetached, _: &mut Self::Context) -> Self::Result {
        Box::pin(async {
            tokio::task::yield_now().await;
            panic!("lost in a detached task");
        })
    }
}

/// Waits for a signal that only another message can give.
#[derive(Message)]
#[rtype(result = "&'static str")]
struct WaitFor(Arc<tokio::sync::Notify>);

impl Handler<WaitFor> for Gateway {
    type Result = ResponseActFuture<Self, &'static str>;
    fn handle(&mut self, msg: WaitFor, _: &mut Self::Context) -> Self::Result {
        autoorder_actors::supervisor::in_context(async move {
            msg.0.notified().await;
            "released"
        })
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Release(Arc<tokio::sync::Notify>);

impl Handler<Release> for Gateway {
    type Result = ();
    fn handle(&mut self, msg: Release, _: &mut Self::Context) {
        msg.0.notify_one();
    }
}

fn gateway_spec(events: &mpsc::UnboundedSender<String>) -> ChildSpec {
    let events = events.clone();
    ChildSpec::new("gateway", Restart::Permanent, move || Gateway {
        events: events.clone(),
    })
}

#[actix::test]
async fn a_panic_in_an_async_handler_run_in_context_restarts_the_actor() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registry = Registry::default();
    let _sup = start_supervisor(
        vec![gateway_spec(&tx)],
        fast_config(5),
        registry.clone(),
        no_escalation(),
    );
    assert_eq!(next_event(&mut rx).await, "gateway started");
    let first = registry.get::<Gateway>("gateway").unwrap();

    // The detached style: the panic dies with its task, nobody restarts anything, and the
    // actor goes on as if nothing happened. This is why PaymentActor no longer uses it.
    assert!(first.send(PanicDetached).await.is_err(), "no answer");
    let notify = Arc::new(tokio::sync::Notify::new());
    notify.notify_one();
    assert_eq!(first.send(WaitFor(notify)).await.unwrap(), "released");
    assert!(rx.try_recv().is_err(), "not restarted");
    assert_eq!(registry.snapshot()[0].restarts, 0);

    // In the actor's context, the panic reaches the supervisor: a fresh actor.
    assert!(first.send(PanicInContext).await.is_err());
    assert_eq!(next_event(&mut rx).await, "gateway started");
    let info = registry.snapshot().into_iter().next().unwrap();
    assert_eq!(info.restarts, 1);
    assert!(info.last_exit.unwrap().contains("nonsense"));
}

#[actix::test]
async fn async_handlers_in_context_still_run_concurrently() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registry = Registry::default();
    let _sup = start_supervisor(
        vec![gateway_spec(&tx)],
        fast_config(5),
        registry.clone(),
        no_escalation(),
    );
    assert_eq!(next_event(&mut rx).await, "gateway started");
    let addr = registry.get::<Gateway>("gateway").unwrap();
    // The first handler waits for what only the second message gives: if handlers were
    // serialized (a slow gateway call holding the mailbox) this would never finish.
    let notify = Arc::new(tokio::sync::Notify::new());
    let waiting = addr.send(WaitFor(notify.clone()));
    let released = addr.send(Release(notify));
    let (answer, _) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(waiting, released)
    })
    .await
    .expect("the second message was handled while the first one waited");
    assert_eq!(answer.unwrap(), "released");
}
