//! `autoorder backup …`: create, list, verify, restore, drill, prune and keygen, on top of the
//! engine in `autoorder_actors::backup`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context as _, anyhow, bail};
use log::Level;

use autoorder_actors::backup::engine::{self, Progress};
use autoorder_actors::backup::{
    BackupSettings, CreateOptions, ExtraFile, KeyMode, Keys, RetentionPolicy, S3Settings, crypto,
};

use crate::cli::BackupCommand;
use crate::config::Config;

/// Prefixes of the environment variables saved (inside the encrypted archive only).
const ENV_PREFIXES: &[&str] = &[
    "TELEGRAM_",
    "OWNER_",
    "PAKASIR_",
    "PAYMENT_",
    "DATABASE_URL",
    "DATA_",
    "LOG_",
    "HTTP_ADDR",
    "BOT_",
    "SNK_",
    "LOW_STOCK",
    "DEPOSIT_",
    "SPAM_",
    "CREDENTIAL_",
    "HEALTH",
    "ENABLE_",
    "ALERT_",
    "BACKUP_",
];

/// The configuration as files for the archive: the environment's settings and the TOML file.
pub fn config_files(config_file: Option<&Path>) -> Vec<ExtraFile> {
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| ENV_PREFIXES.iter().any(|p| k.starts_with(p)))
        .collect();
    vars.sort();
    let mut env = String::from("# autoorder settings from the environment at backup time\n");
    for (k, v) in vars {
        env.push_str(&format!("{k}={v}\n"));
    }
    let mut out = vec![ExtraFile {
        path: "config/environment.env".into(),
        contents: env.into_bytes(),
    }];
    let mut add = |path: &Path| {
        if let Ok(bytes) = std::fs::read(path) {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            out.push(ExtraFile {
                path: format!("config/{name}"),
                contents: bytes,
            });
        }
    };
    if let Some(p) = config_file {
        add(p);
    }
    if Path::new("bot.env").is_file() {
        add(Path::new("bot.env"));
    }
    out
}

/// Maps the validated configuration to the engine's settings.
pub fn backup_settings(config: &Config, config_file: Option<&Path>) -> BackupSettings {
    let b = &config.backup;
    let key = if !b.recipients.is_empty() {
        Some(KeyMode::Recipients(b.recipients.clone()))
    } else {
        b.encryption_password.clone().map(KeyMode::Passphrase)
    };
    BackupSettings {
        db: crate::boot::db_target(config),
        store_name: config.store_name.clone(),
        timezone: config.timezone,
        local_dir: b.local_dir.clone(),
        offsite_dir: b.offsite_dir.clone(),
        s3: b.s3.as_ref().map(|s| S3Settings {
            endpoint: s.endpoint.clone(),
            bucket: s.bucket.clone(),
            prefix: match s.prefix.trim_matches('/') {
                "" => String::new(),
                p => format!("{p}/"),
            },
            region: if s.region.is_empty() {
                "us-east-1".into()
            } else {
                s.region.clone()
            },
            access_key_id: s.access_key_id.clone(),
            secret_access_key: s.secret_access_key.clone(),
            timeout: s.timeout,
        }),
        key,
        passphrase: b.encryption_password.clone(),
        data_dir: config.data_dir.clone(),
        log_dir: config.log_dir.clone(),
        extra_files: config_files(config_file),
        retention: RetentionPolicy {
            keep_last: b.keep.last,
            keep_daily: b.keep.daily,
            keep_weekly: b.keep.weekly,
            keep_monthly: b.keep.monthly,
            keep_min: b.keep.min,
        },
        auto: b.enabled,
        time: b.time,
        automatic_offsite: b.automatic_offsite,
        zstd_level: 3,
        drill_days: b.drill_days,
    }
}

/// Progress on stderr: a bar when attached to a terminal, plain lines otherwise.
pub struct TermProgress {
    tty: bool,
    started: Instant,
    last: Mutex<(Instant, bool)>,
}

impl Default for TermProgress {
    fn default() -> Self {
        TermProgress {
            tty: std::io::stderr().is_terminal(),
            started: Instant::now(),
            last: Mutex::new((Instant::now(), false)),
        }
    }
}

impl Progress for TermProgress {
    fn stage(&self, stage: &str) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.1 {
            eprintln!();
            last.1 = false;
        }
        eprintln!("[{:>6.1}s] {stage}", self.started.elapsed().as_secs_f64());
    }

    fn bytes(&self, done: u64, total: Option<u64>) {
        if !self.tty {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.0.elapsed().as_millis() < 100 && Some(done) != total {
            return;
        }
        last.0 = Instant::now();
        last.1 = true;
        let total = total.unwrap_or(done).max(1);
        let frac = (done as f64 / total as f64).min(1.0);
        let filled = (frac * 30.0) as usize;
        eprint!(
            "\r  [{}{}] {:>3.0}% {:.1}/{:.1} MB",
            "#".repeat(filled),
            "-".repeat(30 - filled),
            frac * 100.0,
            done as f64 / 1e6,
            total as f64 / 1e6
        );
        let _ = std::io::stderr().flush();
    }

    fn done(&self) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.1 {
            eprintln!();
            last.1 = false;
        }
    }
}

fn keys(settings: &BackupSettings, identities: &[PathBuf]) -> anyhow::Result<Keys> {
    let mut keys = Keys {
        passphrase: settings.passphrase.clone(),
        identities: Vec::new(),
    };
    for path in identities {
        keys.add_identity_file(path).map_err(|e| anyhow!(e))?;
    }
    Ok(keys)
}

/// Best effort: records state in the settings table and queues an owner notice.
fn with_db(config: &Config, f: impl FnOnce(&mut autoorder_schema::DbConnection)) {
    let target = crate::boot::db_target(config);
    let opened = autoorder_schema::open_pool(
        &target,
        &autoorder_schema::PoolOptions {
            max_size: 1,
            ..Default::default()
        },
    )
    .and_then(|pool| autoorder_schema::checkout(&pool));
    match opened {
        Ok(mut conn) => f(&mut conn),
        Err(e) => log::warn!(target: "backup", "cannot record the backup state: {e}"),
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
    } else if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// One line in the maintenance log.
fn maintenance(config: &Config, level: Level, line: &str) {
    crate::maintenance_log::record(config, level, line);
}

/// Runs one `autoorder backup` command; returns the exit code.
pub fn run(
    config: &Config,
    config_file: Option<&Path>,
    command: BackupCommand,
) -> anyhow::Result<i32> {
    let settings = backup_settings(config, config_file);
    let progress = TermProgress::default();
    match command {
        BackupCommand::Create { reason, offsite } => {
            let options = CreateOptions {
                reason: reason.unwrap_or_else(|| "manual".into()),
                offsite,
                fail_after_bytes: None,
            };
            match engine::create(&settings, &options, &progress) {
                Ok(report) => {
                    with_db(config, |c| {
                        let _ = engine::record_success(c, &report.meta);
                    });
                    println!(
                        "backup {} created: {} ({} tables, {:.1}s)",
                        report.meta.id,
                        size(report.meta.archive_size),
                        report.meta.row_counts.len(),
                        report.elapsed.as_secs_f64()
                    );
                    for t in &report.targets {
                        println!(
                            "  {} {}: {}",
                            if t.ok { "ok  " } else { "FAIL" },
                            t.target,
                            t.detail
                        );
                    }
                    let failed: Vec<&str> = report
                        .targets
                        .iter()
                        .filter(|t| !t.ok)
                        .map(|t| t.target.as_str())
                        .collect();
                    maintenance(
                        config,
                        if failed.is_empty() {
                            Level::Info
                        } else {
                            Level::Error
                        },
                        &format!(
                            "backup: {} created ({}, {} target(s), failed: {}) reason {:?}",
                            report.meta.id,
                            size(report.meta.archive_size),
                            report.targets.len(),
                            if failed.is_empty() {
                                "none".to_string()
                            } else {
                                failed.join(", ")
                            },
                            report.meta.reason
                        ),
                    );
                    if let Some(bad) = report.targets.iter().find(|t| !t.ok) {
                        bail!("target {} failed: {}", bad.target, bad.detail);
                    }
                    Ok(0)
                }
                Err(e) => {
                    maintenance(config, Level::Error, &format!("backup failed: {e}"));
                    with_db(config, |c| {
                        let _ = engine::record_failure(c, &e);
                        let _ = engine::alert_owner(
                            c,
                            &format!("backup-failed:{}", autoorder_schema::now_ms()),
                            &format!("❌ Backup gagal: {e}"),
                        );
                    });
                    bail!("backup failed: {e}")
                }
            }
        }
        BackupCommand::List { json } => {
            let listing = engine::list(&settings);
            let mut rows: std::collections::BTreeMap<String, serde_json::Value> =
                Default::default();
            let mut failures = Vec::new();
            for (target, result) in &listing {
                match result {
                    Err(e) => failures.push(format!("{target}: {e}")),
                    Ok(items) => {
                        for l in items {
                            let row = rows.entry(l.id.clone()).or_insert_with(
                                || serde_json::json!({ "id": l.id, "targets": [] }),
                            );
                            if let Some(Ok(m)) = &l.meta {
                                row["created_at"] = m.created_at.clone().into();
                                row["reason"] = m.reason.clone().into();
                                row["size_bytes"] = m.archive_size.into();
                                row["backend"] = m.backend.clone().into();
                                row["encryption"] = m.encryption.clone().into();
                            }
                            row["targets"]
                                .as_array_mut()
                                .expect("array")
                                .push(serde_json::json!({ "target": target, "state": l.state() }));
                        }
                    }
                }
            }
            let newest_first: Vec<serde_json::Value> = rows.into_values().rev().collect();
            if json {
                let out = serde_json::json!({ "backups": newest_first, "errors": failures });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                if newest_first.is_empty() {
                    println!("no backups");
                }
                for r in &newest_first {
                    println!(
                        "{}  {}  {:>10}  {}",
                        r["id"].as_str().unwrap_or(""),
                        r["created_at"].as_str().unwrap_or("?"),
                        r["size_bytes"].as_u64().map(size).unwrap_or_default(),
                        r["reason"].as_str().unwrap_or("")
                    );
                    for t in r["targets"].as_array().into_iter().flatten() {
                        println!(
                            "    {}: {}",
                            t["target"].as_str().unwrap_or(""),
                            t["state"].as_str().unwrap_or("")
                        );
                    }
                }
                for f in &failures {
                    eprintln!("target unavailable: {f}");
                }
            }
            Ok(if failures.is_empty() { 0 } else { 1 })
        }
        BackupCommand::Verify { id, deep, identity } => {
            let keys = if deep {
                Some(keys(&settings, &identity)?)
            } else {
                None
            };
            let outcomes = engine::verify(&settings, id.as_deref(), keys.as_ref(), &progress)
                .map_err(|e| anyhow!(e))?;
            if outcomes.is_empty() {
                println!("no backups to verify");
            }
            for o in &outcomes {
                println!(
                    "{} {}  {}: {}",
                    if o.ok { "ok  " } else { "FAIL" },
                    o.id,
                    o.target,
                    o.detail
                );
            }
            let bad = outcomes.iter().filter(|o| !o.ok).count();
            maintenance(
                config,
                if bad == 0 { Level::Info } else { Level::Error },
                &format!(
                    "verify{}: {} checked, {bad} bad",
                    if deep { " --deep" } else { "" },
                    outcomes.len()
                ),
            );
            if let Some(bad) = outcomes.iter().find(|o| !o.ok) {
                bail!("backup {} on {}: {}", bad.id, bad.target, bad.detail);
            }
            Ok(0)
        }
        BackupCommand::Restore {
            id,
            yes,
            target_url,
            identity,
            force,
            files_to,
            overwrite_files,
        } => {
            if !yes {
                bail!(
                    "restoring replaces the database with backup {id}: run again with --yes to confirm"
                );
            }
            let keys = keys(&settings, &identity)?;
            let target = target_url.as_deref().map(engine::parse_target_url);
            let options = engine::RestoreOptions {
                force,
                files: files_to.map(|dir| engine::FilesOut {
                    dir,
                    overwrite: overwrite_files,
                }),
            };
            let report = engine::restore(&settings, &keys, &id, target, &options, &progress)
                .map_err(|e| {
                    maintenance(
                        config,
                        Level::Error,
                        &format!("restore of {id} failed: {e}"),
                    );
                    anyhow!(e)
                })?;
            maintenance(
                config,
                Level::Info,
                &format!(
                    "restore: backup {id} restored in {:.1}s (safety snapshot {}, row counts {}{})",
                    report.elapsed.as_secs_f64(),
                    report.safety_snapshot.as_deref().unwrap_or("none"),
                    if report.row_counts_match {
                        "match"
                    } else {
                        "DIFFER"
                    },
                    if options.files.is_some() {
                        ", configuration and logs extracted"
                    } else {
                        ""
                    }
                ),
            );
            println!(
                "backup {id} restored in {:.1}s",
                report.elapsed.as_secs_f64()
            );
            if let Some(s) = &report.safety_snapshot {
                println!("  safety snapshot of the previous database: {s}");
            }
            if let Some(p) = &report.kept_old_file {
                println!("  previous database file kept as {}", p.display());
            }
            if !report.row_counts_match {
                bail!("restored row counts differ from the backup's metadata");
            }
            println!("  row counts match the backup");
            Ok(0)
        }
        BackupCommand::Drill { id, identity } => {
            let keys = keys(&settings, &identity)?;
            let result = engine::drill(&settings, &keys, &id, &progress);
            let ok = matches!(&result, Ok(r) if r.ok);
            with_db(config, |c| {
                let _ = engine::record_drill(c, ok);
            });
            maintenance(
                config,
                if ok { Level::Info } else { Level::Error },
                &match &result {
                    Ok(r) if r.ok => format!("drill: {id} passed ({} ms)", r.elapsed_ms),
                    Ok(r) => format!("drill: {id} FAILED: {}", r.mismatches.join(", ")),
                    Err(e) => format!("drill: {id} failed: {e}"),
                },
            );
            let report = result.map_err(|e| anyhow!("drill of {id} failed: {e}"))?;
            if !report.ok {
                bail!(
                    "drill of {id} FAILED: restored data does not match the metadata: {}",
                    report.mismatches.join(", ")
                );
            }
            println!(
                "drill of {id} passed: every table's row count matches ({:.1}s)",
                report.elapsed_ms as f64 / 1000.0
            );
            Ok(0)
        }
        BackupCommand::Prune { dry_run } => {
            let outcomes = engine::prune(&settings, dry_run).map_err(|e| anyhow!(e))?;
            if !dry_run {
                let deleted: usize = outcomes.iter().map(|o| o.deleted.len()).sum();
                let errors: Vec<String> = outcomes.iter().filter_map(|o| o.error.clone()).collect();
                maintenance(
                    config,
                    if errors.is_empty() {
                        Level::Info
                    } else {
                        Level::Error
                    },
                    &format!(
                        "prune: {deleted} backup(s) deleted on {} target(s){}",
                        outcomes.len(),
                        if errors.is_empty() {
                            String::new()
                        } else {
                            format!(", errors: {}", errors.join("; "))
                        }
                    ),
                );
            }
            let mut failed = None;
            for o in &outcomes {
                println!(
                    "{}: keep {}, {} {}",
                    o.target,
                    o.kept.len(),
                    if dry_run { "would delete" } else { "deleted" },
                    o.deleted.len()
                );
                for id in &o.deleted {
                    println!(
                        "  {} {id}",
                        if dry_run { "would delete" } else { "deleted" }
                    );
                }
                if let Some(e) = &o.error {
                    eprintln!("  error: {e}");
                    failed = Some(format!("{}: {e}", o.target));
                }
            }
            match failed {
                Some(e) => bail!("prune failed on {e}"),
                None => Ok(0),
            }
        }
        BackupCommand::Keygen { output } => {
            let (secret, public) = crypto::keygen();
            let text = format!(
                "# created: {}\n# public key: {public}\n{}\n",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                crypto::expose(&secret)
            );
            match output {
                Some(path) => {
                    use std::os::unix::fs::OpenOptionsExt;
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(&path)
                        .with_context(|| {
                            format!("creating {} (it must not exist)", path.display())
                        })?;
                    f.write_all(text.as_bytes())?;
                    eprintln!("Public key: {public}");
                    println!("{public}");
                }
                None => {
                    print!("{text}");
                    eprintln!("Public key: {public}");
                }
            }
            Ok(0)
        }
    }
}
