//! `/metrics` of the real binary: exact metric names (the `autoorder_` prefix once), HTTP
//! request counters by route and status.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use autoorder_doubles::TelegramDouble;
use autoorder_schema::db::Backend;
use support::{Bot, Store, WEBHOOK_SECRET, eventually, post_update, runtime};

/// Every metric family a freshly started store exports once its first health run is done,
/// with its type. A name added to the code must be added here (and to the monitoring assets
/// when they should watch it).
const EXPECTED: &[(&str, &str)] = &[
    ("autoorder_actor_restarts", "counter"),
    ("autoorder_actor_state", "gauge"),
    ("autoorder_cpu_busy_ratio", "gauge"),
    ("autoorder_db_pool_connections", "gauge"),
    ("autoorder_db_pool_idle", "gauge"),
    ("autoorder_db_pool_max", "gauge"),
    ("autoorder_disk_used_ratio", "gauge"),
    ("autoorder_health_check", "gauge"),
    ("autoorder_health_last_run_timestamp_seconds", "gauge"),
    ("autoorder_health_leader", "gauge"),
    ("autoorder_health_status", "gauge"),
    ("autoorder_http_requests", "counter"),
    ("autoorder_jobs", "gauge"),
    ("autoorder_jobs_dead", "gauge"),
    ("autoorder_jobs_finished", "counter"),
    ("autoorder_memory_used_ratio", "gauge"),
    ("autoorder_outbox_depth", "gauge"),
    ("autoorder_outbox_dropped", "counter"),
    ("autoorder_queue_lag_seconds", "gauge"),
    ("autoorder_telegram_send_paused_seconds", "counter"),
    ("autoorder_telegram_sends", "counter"),
    ("autoorder_update_handler_seconds", "histogram"),
    ("autoorder_updates_duplicate", "counter"),
    ("autoorder_updates_in_flight", "gauge"),
    ("autoorder_updates_processed", "counter"),
    ("autoorder_updates_received", "counter"),
    ("autoorder_updates_unreadable", "counter"),
];

/// One scrape, parsed: the families (`# TYPE` lines) and the sample names.
pub struct Scrape {
    pub text: String,
    pub families: BTreeSet<(String, String)>,
    pub samples: Vec<String>,
}

impl Scrape {
    pub fn parse(text: String) -> Scrape {
        let mut families = BTreeSet::new();
        let mut samples = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut parts = rest.split_whitespace();
                let name = parts.next().unwrap_or_default().to_string();
                let kind = parts.next().unwrap_or_default().to_string();
                families.insert((name, kind));
            } else if !line.starts_with('#') && !line.is_empty() {
                let name = line
                    .split(['{', ' '])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                samples.push(name);
            }
        }
        Scrape {
            text,
            families,
            samples,
        }
    }

    pub fn names(&self) -> BTreeSet<&str> {
        self.families.iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// `GET /metrics` of a running bot.
pub fn scrape(bot: &Bot) -> Scrape {
    let text = runtime().block_on(async {
        reqwest::get(bot.url("/metrics"))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("body")
    });
    Scrape::parse(text)
}

/// A store whose health runs every second (so the health gauges exist soon).
fn store(backend: Backend, telegram: &TelegramDouble) -> Store {
    let mut store = Store::new(backend, telegram);
    store.set("HEALTHCHECK_INTERVAL_SECONDS", "1");
    store
}

#[test]
fn metric_names_carry_the_prefix_once_and_are_exactly_the_documented_ones() {
    let telegram = TelegramDouble::start();
    let store = store(Backend::Sqlite, &telegram);
    let bot = store.start();
    let mut last = None;
    assert!(
        eventually(Duration::from_secs(30), || {
            let s = scrape(&bot);
            let done = s.text.contains("autoorder_health_status ");
            last = Some(s);
            done
        }),
        "no health run in /metrics"
    );
    let s = last.expect("scraped");
    let expected: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(s.families, expected, "exported families:\n{}", s.text);
    for sample in &s.samples {
        assert!(
            sample.starts_with("autoorder_") && !sample.starts_with("autoorder_autoorder_"),
            "{sample}"
        );
        let family = s
            .families
            .iter()
            .find(|(n, t)| {
                let suffixes: &[&str] = match t.as_str() {
                    "counter" => &["_total"],
                    "histogram" => &["_bucket", "_sum", "_count"],
                    "summary" => &["_sum", "_count"],
                    _ => &[],
                };
                sample == n
                    || suffixes
                        .iter()
                        .any(|suffix| sample.strip_suffix(suffix) == Some(n.as_str()))
            })
            .map(|(n, _)| n);
        assert!(family.is_some(), "sample {sample} of no declared family");
    }
}

#[test]
fn http_requests_are_counted_by_route_pattern_and_status() {
    let telegram = TelegramDouble::start();
    let mut store = store(Backend::Sqlite, &telegram);
    store.set("PAKASIR_WEBHOOK_SECRET", "pakasir-path-secret-123");
    let bot = store.start();
    runtime().block_on(async {
        let client = reqwest::Client::new();
        for _ in 0..2 {
            client.get(bot.url("/health/live")).send().await.unwrap();
        }
        assert_eq!(
            post_update(&client, &bot, "/telegram", Some("wrong"), "{}").await,
            401
        );
        assert_eq!(
            post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), "{oops").await,
            400
        );
        let wrong = client
            .post(bot.url("/webhooks/pakasir/not-the-secret"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 404);
        let missing = client.get(bot.url("/no/such/route")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
    });
    let s = scrape(&bot);
    for needle in [
        r#"autoorder_http_requests_total{route="/health/live",status="200"} 2"#,
        r#"autoorder_http_requests_total{route="/telegram",status="401"} 1"#,
        r#"autoorder_http_requests_total{route="/telegram",status="400"} 1"#,
        r#"autoorder_http_requests_total{route="/webhooks/pakasir/{secret}",status="404"} 1"#,
        r#"autoorder_http_requests_total{route="unmatched",status="404"} 1"#,
    ] {
        assert!(s.text.contains(needle), "missing {needle} in\n{}", s.text);
    }
    // The raw path (it may carry a secret) is never a label.
    assert!(!s.text.contains("not-the-secret"), "{}", s.text);
    assert!(!s.text.contains("/no/such/route"), "{}", s.text);
}

/// Every `autoorder_…` name in a monitoring asset.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("autoorder_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.insert(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

#[test]
fn every_metric_the_monitoring_assets_use_is_exported() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("k8s/monitoring");
    let rules = std::fs::read_to_string(dir.join("prometheus-rules.yaml")).unwrap();
    let dashboard = std::fs::read_to_string(dir.join("grafana-dashboard.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&dashboard).expect("the dashboard is JSON");
    let used: BTreeSet<String> = names_in(&rules)
        .into_iter()
        .chain(names_in(&dashboard))
        .collect();
    for alert in [
        "AutoorderNotReady",
        "AutoorderActorRestarts",
        "AutoorderDeadJobs",
        "AutoorderQueueLag",
        "AutoorderTelegram429",
        "AutoorderPaymentFailureStreak",
        "AutoorderBackupStale",
        "AutoorderDiskFull",
    ] {
        assert!(
            rules.contains(&format!("alert: {alert}")),
            "{alert} missing"
        );
    }

    // A store with a backup, so the backup timestamp is exported too.
    let telegram = TelegramDouble::start();
    let mut store = store(Backend::Sqlite, &telegram);
    store.set("BACKUP_ENCRYPTION_PASSWORD", "correct horse battery staple");
    assert!(store.cli(&["migrate"]).status.success());
    let out = store.cli(&["backup", "create"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bot = store.start();
    let mut last = None;
    assert!(
        eventually(Duration::from_secs(30), || {
            let s = scrape(&bot);
            let done = s
                .text
                .contains("autoorder_backup_last_success_timestamp_seconds ");
            last = Some(s);
            done
        }),
        "no backup timestamp in /metrics"
    );
    let s = last.expect("scraped");
    let exported: BTreeSet<String> = s
        .families
        .iter()
        .flat_map(|(name, kind)| {
            let total = (kind == "counter").then(|| format!("{name}_total"));
            std::iter::once(name.clone()).chain(total)
        })
        .collect();
    let missing: Vec<&String> = used.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "the monitoring assets use {missing:?}, which /metrics does not export:\n{}",
        s.text
    );
    assert!(used.len() >= 15, "{used:?}");
}
