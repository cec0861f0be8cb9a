//! The two runtimes: each an actix system on its own thread with its own pool, PaymentActor
//! and QueueActor, supervised like the real tree.

use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use autoorder_actors::health::HealthSettings;
use autoorder_actors::metrics::Metrics;
use autoorder_actors::payment::{self, PaymentActor};
use autoorder_actors::queue::{self, QueueActor};
use autoorder_actors::services::{
    ActorSettings, IntakeMode, PakasirSettings, RuntimeState, Services, ShopSettings,
    TelegramSettings,
};
use autoorder_actors::supervisor::{
    ChildSpec, Registry, Restart, ShutdownTree, SupervisorConfig, start_supervisor,
};
use autoorder_doubles::{PakasirDouble, TelegramDouble};
use autoorder_schema::Pool;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::secret::Secret;

const TOKEN: &str = "123456789:AAsim-token-SECRET_value_0123456789abcdef";

pub(super) struct Runtime {
    pub(super) registry: Registry,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Runtime {
    pub(super) fn start(name: &str, services: Services) -> Runtime {
        let registry = services.registry.clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("sim-{name}"))
            .spawn(move || {
                actix::System::new().block_on(async move {
                    let s = services.clone();
                    let queue = ChildSpec::new(queue::NAME, Restart::Permanent, move || {
                        QueueActor::new(s.clone())
                    });
                    let s = services.clone();
                    let payment = ChildSpec::new(payment::NAME, Restart::Permanent, move || {
                        PaymentActor::new(s.clone())
                    });
                    let handle = start_supervisor(
                        vec![queue, payment],
                        SupervisorConfig::default(),
                        services.registry.clone(),
                        Arc::new(|e| panic!("escalation in the simulation: {e:?}")),
                    );
                    let _ = ready_tx.send(());
                    let _ = stop_rx.await;
                    services.state.begin_shutdown();
                    let _ = handle
                        .addr
                        .send(ShutdownTree {
                            deadline: Duration::from_secs(10),
                        })
                        .await;
                });
            })
            .expect("spawn a runtime thread");
        ready_rx.recv().expect("runtime started");
        Runtime {
            registry,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub(super) fn payment(&self) -> Addr<PaymentActor> {
        // The live instance, whatever restarts happened.
        loop {
            if let Some(addr) = self.registry.get::<PaymentActor>(payment::NAME) {
                return addr;
            }
            std::thread::yield_now();
        }
    }

    pub(super) fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("runtime thread");
        }
    }
}

pub(super) fn services(
    pool: Pool,
    telegram: &TelegramDouble,
    pakasir: &PakasirDouble,
    keys: Arc<DataKeys>,
    name: &str,
) -> Services {
    let settings = ActorSettings {
        store_name: "Toko Simulasi".into(),
        timezone: chrono_tz::Asia::Jakarta,
        admin_ids: Vec::new(),
        owner_ids: vec![9001],
        telegram: TelegramSettings {
            api_url: telegram.base_url(),
            bot_token: Secret::new(TOKEN.to_string()),
            owner_bot_token: None,
            mode: IntakeMode::Polling,
            webhook_url: None,
            webhook_secret: Secret::new("sim-webhook-secret".to_string()),
        },
        db_probe_interval: Duration::from_secs(3600),
        data_dir: std::env::temp_dir(),
        log_dir: std::env::temp_dir(),
        send_rate: 1_000,
        update_concurrency: 16,
        reply_ttl: Duration::from_secs(3600),
        snk_retention_days: 30,
        pakasir: Some(PakasirSettings {
            base_url: pakasir.base_url(),
            project: pakasir.project(),
            api_key: Secret::new(pakasir.api_key()),
            failure_alert_threshold: 1_000_000,
            reconcile_interval: Duration::from_secs(1),
            recheck_window: Duration::from_secs(24 * 3600),
        }),
        shop: ShopSettings {
            low_stock_threshold: 0,
            ..ShopSettings::default()
        },
        health: HealthSettings::default(),
        backup: None,
    };
    let metrics = Arc::new(Metrics::default());
    let sends =
        autoorder_actors::send::Sends::new(&settings.telegram, settings.send_rate, metrics.clone())
            .expect("Bot API client");
    Services {
        pool,
        settings: Arc::new(settings),
        registry: Registry::default(),
        metrics,
        state: Arc::new(RuntimeState::default()),
        instance_id: format!("sim-{name}").into(),
        maintenance: Arc::new(|| {}),
        queue_wake: Arc::new(tokio::sync::Notify::new()),
        outbox_wake: Arc::new(tokio::sync::Notify::new()),
        sends,
        data_keys: keys,
    }
}
