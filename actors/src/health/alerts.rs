//! Owner alerts: one state machine per check, persisted in `settings` so a restart or a change
//! of leader neither repeats an alert nor forgets a failure.
//!
//! ok → failing: alert. Still failing `alert_reminder` after the last message: reminder.
//! failing → anything else: recovery. Everything one run has to say is one message.
//! "Now" is a parameter, so tests drive time without sleeping.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use autoorder_schema::StoreError;
use autoorder_schema::db::{DbConnection, write_tx};
use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::jobs::{NewJob, enqueue};
use autoorder_schema::queries::settings::{get_setting, set_setting};

use super::checks::{Check, Status, human_duration};

/// The `settings` key holding every failing check's state (one JSON map, written atomically).
pub const STATE_KEY: &str = "health.alerts";

/// A check that is failing (checks that pass have no entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    /// When it started failing (epoch ms).
    pub since: i64,
    /// When the owners last heard about it.
    pub last_sent: i64,
    pub detail: String,
}

/// Failing checks by name.
pub type AlertStates = BTreeMap<String, AlertState>;

/// What one run decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The states to store.
    pub states: AlertStates,
    /// Checks that just started failing.
    pub started: Vec<Check>,
    /// Checks still failing whose reminder is due.
    pub reminded: Vec<(Check, i64)>,
    /// Checks that failed before and pass now.
    pub recovered: Vec<(String, i64)>,
}

impl Plan {
    /// True when the owners must be told something.
    pub fn has_news(&self) -> bool {
        !(self.started.is_empty() && self.reminded.is_empty() && self.recovered.is_empty())
    }

    /// The one message for this run (the queue adds the `[store]` prefix), if any.
    pub fn message(&self, now: i64) -> Option<String> {
        if !self.has_news() {
            return None;
        }
        let mut parts = Vec::new();
        if !self.started.is_empty() {
            let mut s = String::from("🔴 Pemeriksaan kesehatan GAGAL:");
            for c in &self.started {
                s.push_str(&format!("\n• {}: {}", c.name, c.detail));
            }
            parts.push(s);
        }
        if !self.reminded.is_empty() {
            let mut s = String::from("⏰ Pengingat — masih gagal:");
            for (c, since) in &self.reminded {
                s.push_str(&format!(
                    "\n• {} (sejak {} lalu): {}",
                    c.name,
                    human_duration(now - since),
                    c.detail
                ));
            }
            parts.push(s);
        }
        if !self.recovered.is_empty() {
            let mut s = String::from("✅ Pulih:");
            for (name, since) in &self.recovered {
                s.push_str(&format!(
                    "\n• {name} normal lagi (gagal selama {})",
                    human_duration(now - since)
                ));
            }
            parts.push(s);
        }
        Some(parts.join("\n\n"))
    }
}

/// The pure transition. Checks missing from `checks` (not probed this run) keep their state.
pub fn plan(previous: &AlertStates, checks: &[Check], now: i64, reminder_ms: i64) -> Plan {
    let mut out = Plan {
        states: previous.clone(),
        ..Plan::default()
    };
    for check in checks {
        let failing = check.status == Status::Failing;
        match (previous.get(&check.name), failing) {
            (None, true) => {
                out.states.insert(
                    check.name.clone(),
                    AlertState {
                        since: now,
                        last_sent: now,
                        detail: check.detail.clone(),
                    },
                );
                out.started.push(check.clone());
            }
            (Some(state), true) => {
                let mut next = state.clone();
                next.detail = check.detail.clone();
                if now - state.last_sent >= reminder_ms {
                    next.last_sent = now;
                    out.reminded.push((check.clone(), state.since));
                }
                out.states.insert(check.name.clone(), next);
            }
            (Some(state), false) => {
                out.states.remove(&check.name);
                out.recovered.push((check.name.clone(), state.since));
            }
            (None, false) => {}
        }
    }
    out
}

/// Reads the stored states (a corrupt value counts as "nothing failing").
pub fn load_states(conn: &mut DbConnection) -> Result<AlertStates, StoreError> {
    Ok(get_setting(conn, STATE_KEY)?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// Runs the transition on the stored state and, in the same transaction, stores the new state
/// and enqueues the owners' message. Returns the message when one was enqueued.
pub fn apply(
    conn: &mut DbConnection,
    checks: &[Check],
    now: i64,
    reminder_ms: i64,
) -> Result<Option<String>, StoreError> {
    write_tx(conn, |conn| {
        let previous = load_states(conn)?;
        let plan = plan(&previous, checks, now, reminder_ms);
        if plan.states != previous {
            let json = serde_json::to_string(&plan.states)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            set_setting(conn, STATE_KEY, &json)?;
        }
        let Some(text) = plan.message(now) else {
            return Ok(None);
        };
        enqueue_owner_notice(conn, &format!("health-alert:{now}"), &text)?;
        Ok(Some(text))
    })
}

/// Enqueues `text` for every owner; the queue prefixes `[BOT_STORE_NAME]` and sends it through
/// the owner bot. `key` makes it idempotent.
pub fn enqueue_owner_notice(
    conn: &mut DbConnection,
    key: &str,
    text: &str,
) -> Result<Option<i64>, StoreError> {
    let job = JobPayload::OwnerNotice {
        notice_id: key.to_string(),
        text: text.to_string(),
    };
    enqueue(conn, &NewJob::keyed(job, key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::db::Backend;
    use autoorder_schema::queries::jobs::jobs_of_kind;
    use autoorder_schema::testing::TestDatabase;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_700_000_000_000;

    fn check(name: &str, status: Status) -> Check {
        Check {
            name: name.into(),
            status,
            detail: format!("{name} is {}", status.as_str()),
        }
    }

    #[test]
    fn alert_once_then_reminder_then_recovery() {
        let failing = [check("disk", Status::Failing)];
        let p1 = plan(&AlertStates::new(), &failing, T0, 60 * MIN);
        assert_eq!(p1.started.len(), 1);
        let text = p1.message(T0).unwrap();
        assert!(text.contains("disk: disk is failing"), "{text}");
        // Still failing before the reminder interval: quiet.
        let p2 = plan(&p1.states, &failing, T0 + 59 * MIN, 60 * MIN);
        assert!(!p2.has_news(), "{p2:?}");
        // After the interval: one reminder.
        let p3 = plan(&p2.states, &failing, T0 + 60 * MIN, 60 * MIN);
        assert_eq!(p3.reminded.len(), 1);
        assert!(p3.message(T0 + 60 * MIN).unwrap().contains("Pengingat"));
        // The reminder clock restarts from the reminder.
        let p4 = plan(&p3.states, &failing, T0 + 100 * MIN, 60 * MIN);
        assert!(!p4.has_news());
        // Passing again: recovery, once.
        let ok = [check("disk", Status::Ok)];
        let p5 = plan(&p4.states, &ok, T0 + 130 * MIN, 60 * MIN);
        assert_eq!(p5.recovered.len(), 1);
        assert!(
            p5.message(T0 + 130 * MIN)
                .unwrap()
                .contains("disk normal lagi")
        );
        assert!(p5.states.is_empty());
        let p6 = plan(&p5.states, &ok, T0 + 131 * MIN, 60 * MIN);
        assert!(!p6.has_news());
    }

    #[test]
    fn degraded_is_not_an_alert_and_unprobed_checks_keep_their_state() {
        let p = plan(
            &AlertStates::new(),
            &[check("backup", Status::Degraded)],
            T0,
            MIN,
        );
        assert!(!p.has_news());
        let p = plan(
            &AlertStates::new(),
            &[check("telegram", Status::Failing)],
            T0,
            MIN,
        );
        // A run that did not probe telegram neither recovers nor reminds it.
        let p2 = plan(&p.states, &[check("disk", Status::Ok)], T0 + 10 * MIN, MIN);
        assert!(!p2.has_news());
        assert!(p2.states.contains_key("telegram"));
    }

    #[test]
    fn several_failures_in_one_run_make_one_message() {
        let checks = [
            check("disk", Status::Failing),
            check("memory", Status::Failing),
            check("cpu", Status::Ok),
            check("telegram", Status::Failing),
        ];
        let p = plan(&AlertStates::new(), &checks, T0, MIN);
        let text = p.message(T0).unwrap();
        for name in ["disk", "memory", "telegram"] {
            assert!(text.contains(&format!("• {name}:")), "{text}");
        }
        assert!(!text.contains("cpu"));
        assert_eq!(text.matches("GAGAL").count(), 1);
    }

    #[test]
    fn persisted_state_alerts_once_reminds_and_recovers() {
        let (_db, pool) = TestDatabase::migrated(Backend::Sqlite);
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        let failing = [
            check("disk", Status::Failing),
            check("memory", Status::Failing),
        ];
        let sent = |conn: &mut DbConnection| jobs_of_kind(conn, "owner_notice").unwrap().len();
        assert!(apply(&mut conn, &failing, T0, 60 * MIN).unwrap().is_some());
        assert_eq!(sent(&mut conn), 1, "two failures, one message");
        assert!(
            apply(&mut conn, &failing, T0 + MIN, 60 * MIN)
                .unwrap()
                .is_none()
        );
        assert!(
            apply(&mut conn, &failing, T0 + 30 * MIN, 60 * MIN)
                .unwrap()
                .is_none()
        );
        assert_eq!(sent(&mut conn), 1);
        let reminder = apply(&mut conn, &failing, T0 + 61 * MIN, 60 * MIN).unwrap();
        assert!(reminder.unwrap().contains("masih gagal"));
        assert_eq!(sent(&mut conn), 2);
        let ok = [check("disk", Status::Ok), check("memory", Status::Ok)];
        let recovery = apply(&mut conn, &ok, T0 + 70 * MIN, 60 * MIN).unwrap();
        assert!(recovery.unwrap().contains("Pulih"));
        assert!(
            apply(&mut conn, &ok, T0 + 71 * MIN, 60 * MIN)
                .unwrap()
                .is_none()
        );
        assert_eq!(sent(&mut conn), 3);
        assert!(load_states(&mut conn).unwrap().is_empty());
    }
}
