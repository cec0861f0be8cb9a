//! Boot and shutdown of `autoorder run`: logging, storage, the actor tree and the HTTP
//! server, in that order; on SIGTERM the reverse.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::mpsc;

use autoorder_actors::log_targets::{APP, MAINTENANCE};
use autoorder_actors::metrics::Metrics;
use autoorder_actors::services::{
    ActorSettings, IntakeMode, PakasirSettings, RuntimeState, Services, ShopSettings,
    TelegramSettings,
};
use autoorder_actors::supervisor::{Escalation, Registry, ShutdownTree, SupervisorConfig};
use autoorder_schema::{DbTarget, Pool, PoolOptions};

use crate::config::{
    Config, DatabaseUrl, Secret, TelegramMode, ensure_data_keys, ensure_webhook_secret,
};
use crate::http::{self, AppState};
use crate::logging;

/// Exit code after the supervisor escalated (the orchestrator restarts us).
pub const EXIT_ESCALATED: i32 = 70;
/// How long the whole graceful shutdown may take.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(25);

/// Sets up logging for a long-running command: console plus daily files.
pub fn init_logging(config: &Config, log_config: Option<&Path>) -> anyhow::Result<()> {
    let config_file = log_config
        .map(Path::to_path_buf)
        .or_else(|| Some(PathBuf::from("conf/log4rs.yaml")).filter(|p| p.exists()));
    let settings = logging::LogSettings {
        log_dir: config.log_dir.clone(),
        timezone: config.timezone,
        config_file,
        console: true,
        level: log::LevelFilter::Info,
    };
    logging::init(&settings)?;
    logging::register_secrets(secrets_of(config));
    Ok(())
}

/// Logging for short CLI commands: warnings and errors on the console only, so their output
/// stays readable and they never write into the running bot's log files.
pub fn init_logging_console(config: &Config) -> anyhow::Result<()> {
    use log4rs::append::console::{ConsoleAppender, Target};
    use log4rs::config::{Appender, Root};
    let console = ConsoleAppender::builder()
        .target(Target::Stderr)
        .encoder(Box::new(logging::LineEncoder::new(config.timezone)))
        .build();
    let cfg = log4rs::Config::builder()
        .appender(Appender::builder().build("console", Box::new(console)))
        .build(
            Root::builder()
                .appender("console")
                .build(log::LevelFilter::Warn),
        )?;
    log4rs::init_config(cfg)?;
    logging::register_secrets(secrets_of(config));
    Ok(())
}

/// Creates `path` and its missing parents readable by the owner only (0700): the data
/// directory holds keys and the database, the log and backup directories what customers did.
/// An existing directory is left as it is.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Creates `DATA_DIR`, `LOG_DIR` and the local backup directory when they do not exist yet
/// (a first start with every secret in the environment has nothing else that would).
pub fn prepare_dirs(config: &Config) -> anyhow::Result<()> {
    for (name, dir) in [
        ("DATA_DIR", &config.data_dir),
        ("LOG_DIR", &config.log_dir),
        ("BACKUP_LOCAL_DIR", &config.backup.local_dir),
    ] {
        create_private_dir(dir)
            .with_context(|| format!("{name}: cannot create {}", dir.display()))?;
    }
    Ok(())
}

/// Every secret value in the configuration, so the log encoder can redact them.
pub fn secrets_of(config: &Config) -> Vec<String> {
    let mut out = vec![config.telegram.bot_token.expose().clone()];
    let opt = |s: &Option<Secret<String>>| s.as_ref().map(|s| s.expose().clone());
    out.extend(opt(&config.telegram.owner_bot_token));
    out.extend(opt(&config.telegram.webhook_secret));
    out.extend(opt(&config.pakasir.api_key));
    out.extend(opt(&config.pakasir.webhook_secret));
    out.extend(opt(&config.backup.encryption_password));
    if let Some(s3) = &config.backup.s3 {
        out.push(s3.secret_access_key.expose().clone());
        out.push(s3.access_key_id.expose().clone());
    }
    if let DatabaseUrl::Postgres(url) = &config.database
        && let Some(password) = password_of(url.expose())
    {
        out.push(password);
    }
    out
}

fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    Some(userinfo.split_once(':')?.1.to_string()).filter(|p| !p.is_empty())
}

/// The storage target of a configuration.
pub fn db_target(config: &Config) -> DbTarget {
    match &config.database {
        DatabaseUrl::Sqlite(path) => DbTarget::Sqlite(path.clone()),
        DatabaseUrl::Postgres(url) => DbTarget::Postgres(url.expose().clone()),
    }
}

/// Opens the pool and applies pending migrations, retrying while the database is not
/// reachable yet (a PostgreSQL pod may start after us).
pub fn open_and_migrate(config: &Config, patience: Duration) -> anyhow::Result<(DbTarget, Pool)> {
    let target = db_target(config);
    let options = PoolOptions {
        // Every chat being handled may hold a connection for its commit, plus the queue, the
        // outbox sender, the HTTP intake and the probes.
        max_size: config.update_concurrency.clamp(4, 96) + 8,
        ..PoolOptions::default()
    };
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        let attempt = autoorder_schema::open_pool(&target, &options).and_then(|pool| {
            snapshot_before_migrations(config, &pool)?;
            let applied = autoorder_schema::migrations::run_migrations(&pool, &target)?;
            Ok((pool, applied))
        });
        match attempt {
            Ok((pool, applied)) => {
                for version in &applied {
                    log::info!(target: APP, "applied migration {version}");
                }
                if !applied.is_empty() {
                    crate::maintenance_log::record(
                        config,
                        log::Level::Info,
                        &format!("migration: applied {}", applied.join(", ")),
                    );
                }
                return Ok((target, pool));
            }
            Err(e) if e.is_unavailable() && started.elapsed() < patience => {
                log::warn!(target: APP, "database not reachable yet ({e}); retrying in {delay:?}");
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e).context("opening the database"),
        }
    }
}

/// Backs up an existing database before migrations change it. Skipped (with a warning) when
/// no backup key is configured; a failed snapshot stops the migration.
fn snapshot_before_migrations(
    config: &Config,
    pool: &Pool,
) -> Result<(), autoorder_schema::StoreError> {
    let pending = {
        let mut conn = autoorder_schema::checkout(pool)?;
        autoorder_schema::migrations::pending_migrations(&mut conn)?
    };
    let fresh = pending.len() >= autoorder_schema::migrations::POSTGRES_COUNT;
    if pending.is_empty() || fresh {
        return Ok(());
    }
    let settings = crate::backup_cli::backup_settings(config, None);
    if settings.key.is_none() {
        log::warn!(target: APP, "{} migration(s) pending and no backup key configured: migrating without a snapshot", pending.len());
        return Ok(());
    }
    log::info!(target: APP, "snapshot before {} migration(s)", pending.len());
    let options = autoorder_actors::backup::CreateOptions {
        reason: format!("before migrations {}", pending.join(", ")),
        ..Default::default()
    };
    match autoorder_actors::backup::engine::create(
        &settings,
        &options,
        &autoorder_actors::backup::engine::NoProgress,
    ) {
        Ok(report) => {
            log::info!(target: APP, "pre-migration backup {} written", report.meta.id);
            Ok(())
        }
        Err(e) => Err(autoorder_schema::StoreError::Migration(format!(
            "the backup before migrating failed, so nothing was migrated: {e}"
        ))),
    }
}

fn actor_settings(
    config: &Config,
    webhook_secret: Secret<String>,
    data_keys: &autoorder_schema::crypto::DataKeys,
) -> ActorSettings {
    ActorSettings {
        store_name: config.store_name.clone(),
        timezone: config.timezone,
        admin_ids: config.telegram.admin_ids.clone(),
        owner_ids: config.telegram.owner_ids.clone(),
        telegram: TelegramSettings {
            api_url: config.telegram.api_url.clone(),
            bot_token: config.telegram.bot_token.clone(),
            owner_bot_token: config.telegram.owner_bot_token.clone(),
            mode: match config.telegram.mode {
                TelegramMode::Webhook => IntakeMode::Webhook,
                TelegramMode::Polling => IntakeMode::Polling,
                TelegramMode::Auto => IntakeMode::Auto,
            },
            webhook_url: config.telegram.webhook_url.clone(),
            webhook_secret,
        },
        db_probe_interval: Duration::from_secs(15),
        data_dir: config.data_dir.clone(),
        log_dir: config.log_dir.clone(),
        send_rate: config.telegram.send_rate,
        update_concurrency: config.update_concurrency as usize,
        reply_ttl: Duration::from_secs(u64::from(config.reply_ttl_seconds)),
        snk_retention_days: config.snk_retention_days,
        pakasir: match (&config.pakasir.project_slug, &config.pakasir.api_key) {
            (Some(project), Some(api_key)) => Some(PakasirSettings {
                base_url: config.pakasir.base_url.clone(),
                project: project.clone(),
                api_key: api_key.clone(),
                failure_alert_threshold: config.pakasir.failure_alert_threshold,
                reconcile_interval: Duration::from_secs(u64::from(
                    config.payment_reconcile_seconds,
                )),
                recheck_window: Duration::from_secs(u64::from(config.pakasir.recheck_hours) * 3600),
            }),
            _ => None,
        },
        shop: ShopSettings {
            low_stock_threshold: i64::from(config.low_stock_threshold),
            deposit_minimum: i64::from(config.deposit_minimum),
            spam_max_actions: config.spam_max_actions as i32,
            spam_window: Duration::from_secs(u64::from(config.spam_window_seconds)),
        },
        health: health_settings(config, data_keys),
        backup: Some(crate::backup_cli::backup_settings(config, None)),
    }
}

/// Health thresholds and owner-alert settings for HealthActor.
fn health_settings(
    config: &Config,
    keys: &autoorder_schema::crypto::DataKeys,
) -> autoorder_actors::health::HealthSettings {
    use autoorder_actors::health::checks::Thresholds;
    let fingerprint =
        |secret: &str| autoorder_actors::health::credentials::fingerprint(keys, secret);
    let h = &config.health;
    let mut credentials = vec![(
        "TELEGRAM_BOT_TOKEN".to_string(),
        fingerprint(config.telegram.bot_token.expose()),
    )];
    let mut watch = |label: &str, secret: Option<&Secret<String>>| {
        if let Some(secret) = secret {
            credentials.push((label.to_string(), fingerprint(secret.expose())));
        }
    };
    watch("OWNER_BOT_TOKEN", config.telegram.owner_bot_token.as_ref());
    watch("PAKASIR_API_KEY", config.pakasir.api_key.as_ref());
    watch(
        "BACKUP_ENCRYPTION_PASSWORD",
        config.backup.encryption_password.as_ref(),
    );
    if let Some(key) = config.data_keys.first() {
        let hex: String = key
            .key
            .expose()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        credentials.push((
            format!("DATA_ENCRYPTION_KEY ({})", key.id),
            fingerprint(&hex),
        ));
    }
    autoorder_actors::health::HealthSettings {
        enabled: h.enabled,
        interval: h.interval,
        thresholds: Thresholds {
            cpu_percent: h.cpu_threshold,
            memory_percent: h.memory_threshold,
            disk_percent: h.disk_threshold,
            log_mb: h.log_usage_threshold_mb,
            backup_enabled: config.backup.enabled,
            payment_streak: config.pakasir.failure_alert_threshold,
            ..Thresholds::default()
        },
        alert_reminder: h.alert_reminder,
        forward_errors: h.owner_alerts,
        summary_time: h.owner_summary_time,
        credential_rotation_days: h.credential_rotation_days,
        credentials,
        ..Default::default()
    }
}

fn instance_id() -> String {
    use rand::Rng;
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".to_string());
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::rng().random::<u16>()
    )
}

/// A SQLite store serves exactly one process. The lock file makes a second `autoorder run`
/// on the same file refuse to start, and proves that claims left in the database at boot
/// belong to a process that died, so they can be released at once instead of timing out.
fn lock_single_instance(target: &DbTarget) -> anyhow::Result<Option<std::fs::File>> {
    let DbTarget::Sqlite(path) = target else {
        return Ok(None);
    };
    let lock_path = path.with_extension("instance.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another autoorder process is already running on {} (SQLite allows one instance; use PostgreSQL for several replicas)",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", lock_path.display()))
        }
    }
}

/// The first start after `autoorder backup restore` tells the owners which backup was
/// restored and what (the restore leaves the text in the restored database); once.
fn announce_restore(pool: &Pool) {
    use autoorder_actors::backup::engine::RESTORE_NOTICE;
    use autoorder_schema::queries::settings::{get_setting, set_setting};
    let result = autoorder_schema::checkout(pool).and_then(|mut conn| {
        autoorder_schema::write_tx(&mut conn, |c| {
            let Some(text) = get_setting(c, RESTORE_NOTICE)?.filter(|t| !t.is_empty()) else {
                return Ok(None);
            };
            // Keyed by the text, so replicas starting together queue it once.
            let key = {
                use std::hash::{Hash, Hasher};
                let mut h = std::hash::DefaultHasher::new();
                text.hash(&mut h);
                format!("restore:{:016x}", h.finish())
            };
            autoorder_actors::health::alerts::enqueue_owner_notice(c, &key, &text)?;
            set_setting(c, RESTORE_NOTICE, "")?;
            Ok::<_, autoorder_schema::StoreError>(Some(text))
        })
    });
    match result {
        Ok(Some(text)) => {
            log::info!(target: APP, "first start after a restore: owners told ({text})");
            log::info!(target: MAINTENANCE, "first start after a restore: {text}");
        }
        Ok(None) => {}
        Err(e) => log::warn!(target: APP, "cannot read the restore notice: {e}"),
    }
}

/// `autoorder run`. Returns the process exit code.
pub fn run(config: Config) -> anyhow::Result<i32> {
    prepare_dirs(&config)?;
    let webhook_secret =
        ensure_webhook_secret(&config).context("preparing TELEGRAM_WEBHOOK_SECRET")?;
    logging::register_secrets([webhook_secret.expose().clone()]);
    let _instance_lock = lock_single_instance(&db_target(&config))?;
    let data_keys = Arc::new(ensure_data_keys(&config)?);
    let (target, pool) = open_and_migrate(&config, Duration::from_secs(60))?;
    if target.backend() == autoorder_schema::Backend::Sqlite {
        let mut conn = autoorder_schema::checkout(&pool)?;
        let released = autoorder_schema::queries::updates::release_all_update_claims(&mut conn)?;
        if released > 0 {
            log::info!(target: APP, "released {released} update claim(s) left by a previous process");
        }
    }
    announce_restore(&pool);
    let listener = TcpListener::bind(config.http_addr)
        .with_context(|| format!("HTTP_ADDR: cannot listen on {}", config.http_addr))?;
    let local_addr = listener.local_addr()?;
    let config = Arc::new(config);
    let system = actix::System::new();
    system.block_on(serve(
        config,
        pool,
        webhook_secret,
        data_keys,
        listener,
        local_addr,
    ))
}

async fn serve(
    config: Arc<Config>,
    pool: Pool,
    webhook_secret: Secret<String>,
    data_keys: Arc<autoorder_schema::crypto::DataKeys>,
    listener: TcpListener,
    local_addr: std::net::SocketAddr,
) -> anyhow::Result<i32> {
    let metrics = Arc::new(Metrics::default());
    if config.health.owner_alerts {
        autoorder_actors::health::forward::enable(config.health.owner_alert_threshold);
    }
    let registry = Registry::default();
    let state = Arc::new(RuntimeState::default());
    let maintenance = {
        let (log_dir, tz, keep) = (
            config.log_dir.clone(),
            config.timezone,
            config.log_retention_days,
        );
        Arc::new(
            move || match logging::run_maintenance(&log_dir, logging::local_today(tz), keep) {
                Ok(r) => log::info!(
                    target: MAINTENANCE,
                    "logs: {} compressed, {} deleted, {} bytes freed",
                    r.compressed,
                    r.deleted,
                    r.bytes_freed
                ),
                Err(e) => log::error!(target: MAINTENANCE, "log maintenance failed: {e}"),
            },
        )
    };
    let settings = Arc::new(actor_settings(&config, webhook_secret.clone(), &data_keys));
    let sends =
        autoorder_actors::send::Sends::new(&settings.telegram, settings.send_rate, metrics.clone())
            .map_err(|e| anyhow::anyhow!("the Bot API client cannot be built: {e}"))?;
    let services = Services {
        pool: pool.clone(),
        settings,
        registry: registry.clone(),
        metrics: metrics.clone(),
        state: state.clone(),
        instance_id: instance_id().into(),
        maintenance,
        queue_wake: Arc::new(tokio::sync::Notify::new()),
        outbox_wake: Arc::new(tokio::sync::Notify::new()),
        sends,
        data_keys,
    };
    autoorder_actors::wakeup::spawn_listener(services.clone());

    let (escalated_tx, mut escalated_rx) = mpsc::unbounded_channel::<Escalation>();
    let on_escalate = Arc::new(move |e: Escalation| {
        let _ = escalated_tx.send(e);
    });
    let tree =
        autoorder_actors::tree::start_tree(&services, SupervisorConfig::default(), on_escalate);

    let app = Arc::new(AppState {
        pool: pool.clone(),
        state: state.clone(),
        registry: registry.clone(),
        prometheus: Arc::new(metrics.registry(registry.clone(), pool.clone())),
        metrics,
        webhook_secret,
        pakasir_webhook_secret: config.pakasir.webhook_secret.clone(),
        pakasir_limiter: http::pakasir::callback_limiter(),
    });
    let webhook_path = config.telegram.webhook_path();
    let server = http::server(app, webhook_path.clone(), listener)?;
    let server_handle = server.handle();
    let server_task = actix::spawn(server);
    log::info!(target: APP, "autoorder {} listening on {local_addr} (webhook path {webhook_path})", env!("CARGO_PKG_VERSION"));

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut tree_done = tree.done.clone();
    let exit_code = tokio::select! {
        _ = sigterm.recv() => { log::info!(target: APP, "SIGTERM: shutting down"); 0 }
        _ = tokio::signal::ctrl_c() => { log::info!(target: APP, "interrupt: shutting down"); 0 }
        Some(e) = escalated_rx.recv() => {
            let text = format!("⚠️ {} gagal berulang kali dan proses dimulai ulang: {}", e.child, e.reason);
            log::error!(target: APP, "escalation: actor {} failed beyond its restart intensity: {}", e.child, e.reason);
            let reached = crate::owner_alert::send_direct(&config, &text, Duration::from_secs(5)).await;
            log::error!(target: APP, "owner alert sent to {reached} owner(s); exiting with code {EXIT_ESCALATED}");
            EXIT_ESCALATED
        }
        _ = tree_done.wait_for(|d| *d) => {
            log::error!(target: APP, "the actor tree stopped unexpectedly");
            EXIT_ESCALATED
        }
    };

    // Ordered shutdown: refuse new work, let in-flight requests finish, stop actors in
    // reverse start order, all within the deadline.
    state.begin_shutdown();
    let shutdown = async {
        server_handle.stop(true).await;
        let _ = tree
            .addr
            .send(ShutdownTree {
                deadline: SHUTDOWN_DEADLINE - Duration::from_secs(5),
            })
            .await;
        let _ = server_task.await;
    };
    if tokio::time::timeout(SHUTDOWN_DEADLINE, shutdown)
        .await
        .is_err()
    {
        log::warn!(target: APP, "shutdown deadline passed; exiting anyway");
    }
    log::info!(target: APP, "stopped");
    log::logger().flush();
    Ok(exit_code)
}
