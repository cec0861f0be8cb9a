//! `autoorder healthcheck`: probe once and exit 0 ok, 1 degraded, 2 failing.

use std::time::Duration;

use serde::Serialize;
use teloxide_core::prelude::*;

use crate::config::Config;

/// Severity of a failed check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Degraded,
    Failing,
}

impl Status {
    /// The process exit code for this status.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Degraded => 1,
            Status::Failing => 2,
        }
    }
}

/// One probe's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
}

/// All probes' outcomes; the overall status is the worst one.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: Status,
    pub checks: Vec<Check>,
}

/// Runs every probe once.
pub async fn probe(config: &Config) -> Report {
    let mut checks = Vec::new();
    let target = crate::boot::db_target(config);
    let db = tokio::task::spawn_blocking(
        move || -> Result<Vec<String>, autoorder_schema::StoreError> {
            let options = autoorder_schema::PoolOptions {
                max_size: 1,
                connection_timeout: Duration::from_secs(3),
            };
            let pool = autoorder_schema::open_pool(&target, &options)?;
            let mut conn = autoorder_schema::checkout(&pool)?;
            autoorder_schema::db::ping(&mut conn)?;
            autoorder_schema::migrations::pending_migrations(&mut conn)
        },
    )
    .await;
    match db {
        Ok(Ok(pending)) => {
            checks.push(Check {
                name: "database",
                status: Status::Ok,
                detail: "reachable".into(),
            });
            let (status, detail) = if pending.is_empty() {
                (Status::Ok, "up to date".to_string())
            } else {
                (
                    Status::Degraded,
                    format!("{} pending: run `autoorder migrate`", pending.len()),
                )
            };
            checks.push(Check {
                name: "migrations",
                status,
                detail,
            });
        }
        Ok(Err(e)) => checks.push(Check {
            name: "database",
            status: Status::Failing,
            detail: e.to_string(),
        }),
        Err(e) => checks.push(Check {
            name: "database",
            status: Status::Failing,
            detail: e.to_string(),
        }),
    }
    let token = config.telegram.bot_token.expose();
    let telegram = match autoorder_actors::telegram::bot(&config.telegram.api_url, token) {
        Ok(bot) => {
            match tokio::time::timeout(Duration::from_secs(10), bot.get_me().into_future()).await {
                Ok(Ok(me)) => Check {
                    name: "telegram",
                    status: Status::Ok,
                    detail: format!("@{}", me.username.clone().unwrap_or_default()),
                },
                Ok(Err(e)) => Check {
                    name: "telegram",
                    status: Status::Degraded,
                    detail: autoorder_actors::telegram::redact(&e.to_string(), token),
                },
                Err(_) => Check {
                    name: "telegram",
                    status: Status::Degraded,
                    detail: "getMe timed out after 10 s".into(),
                },
            }
        }
        Err(e) => Check {
            name: "telegram",
            status: Status::Failing,
            detail: e,
        },
    };
    checks.push(telegram);
    let status = checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok);
    Report { status, checks }
}

/// Renders a report for a terminal.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    for c in &report.checks {
        out.push_str(&format!(
            "{:<12} {:<9} {}\n",
            c.name,
            format!("{:?}", c.status).to_lowercase(),
            c.detail
        ));
    }
    out.push_str(&format!("overall: {:?}\n", report.status).to_lowercase());
    out
}
