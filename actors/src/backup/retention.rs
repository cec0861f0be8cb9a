//! Retention: which backups a prune keeps (keep-last / daily / weekly / monthly, a minimum,
//! and never the newest verified backup). A pure function so tests can state exact cases.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Utc};

/// How many backups of each kind to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// The newest N backups (`BACKUP_KEEP_LAST`).
    pub keep_last: u32,
    /// The newest backup of each of the last N days that have one (`BACKUP_KEEP_DAILY`).
    pub keep_daily: u32,
    /// The newest backup of each of the last N ISO weeks that have one (`BACKUP_KEEP_WEEKLY`).
    pub keep_weekly: u32,
    /// The newest backup of each of the last N months that have one (`BACKUP_KEEP_MONTHLY`).
    pub keep_monthly: u32,
    /// Never fewer than this many backups remain (`BACKUP_KEEP_MIN`).
    pub keep_min: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            keep_last: 7,
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 6,
            keep_min: 3,
        }
    }
}

impl RetentionPolicy {
    /// A policy that keeps nothing by rule would delete everything but the minimum: refused.
    pub fn is_empty(&self) -> bool {
        self.keep_last == 0
            && self.keep_daily == 0
            && self.keep_weekly == 0
            && self.keep_monthly == 0
    }
}

/// One backup as retention sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// Complete and checked (metadata present, archive matches it).
    pub verified: bool,
}

/// The ids to keep. Calendar buckets are taken in `tz`.
pub fn select_kept(
    candidates: &[Candidate],
    policy: &RetentionPolicy,
    tz: chrono_tz::Tz,
) -> Result<BTreeSet<String>, String> {
    if policy.is_empty() {
        return Err(
            "empty retention policy: BACKUP_KEEP_LAST, BACKUP_KEEP_DAILY, BACKUP_KEEP_WEEKLY and \
             BACKUP_KEEP_MONTHLY are all 0, which would delete every backup; refusing"
                .into(),
        );
    }
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let mut keep = BTreeSet::new();
    for c in sorted.iter().take(policy.keep_last as usize) {
        keep.insert(c.id.clone());
    }
    let mut bucket = |n: u32, key: &dyn Fn(&Candidate) -> (i32, u32)| {
        let mut seen = BTreeSet::new();
        for c in &sorted {
            if seen.len() >= n as usize {
                break;
            }
            if seen.insert(key(c)) {
                keep.insert(c.id.clone());
            }
        }
    };
    bucket(policy.keep_daily, &|c| {
        let d = c.created_at.with_timezone(&tz).date_naive();
        (d.year(), d.ordinal())
    });
    bucket(policy.keep_weekly, &|c| {
        let w = c.created_at.with_timezone(&tz).date_naive().iso_week();
        (w.year(), w.week())
    });
    bucket(policy.keep_monthly, &|c| {
        let d = c.created_at.with_timezone(&tz).date_naive();
        (d.year(), d.month())
    });
    for c in sorted.iter().take(policy.keep_min as usize) {
        keep.insert(c.id.clone());
    }
    if let Some(newest_verified) = sorted.iter().find(|c| c.verified) {
        keep.insert(newest_verified.id.clone());
    }
    Ok(keep)
}
