//! Retention: which backups each target keeps.

use super::*;

/// What a prune did (or would do) on one target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PruneOutcome {
    pub target: String,
    pub kept: Vec<String>,
    pub deleted: Vec<String>,
    pub error: Option<String>,
}

/// Applies the retention policy on every target, each on its own.
pub fn prune(settings: &BackupSettings, dry_run: bool) -> Result<Vec<PruneOutcome>, String> {
    if settings.retention.is_empty() {
        return Err(select_kept(&[], &settings.retention, settings.timezone).unwrap_err());
    }
    let mut out = Vec::new();
    for t in targets(settings, true) {
        let t = match t {
            Ok(t) => t,
            Err(e) => {
                out.push(PruneOutcome {
                    target: "s3".into(),
                    kept: vec![],
                    deleted: vec![],
                    error: Some(e),
                });
                continue;
            }
        };
        let mut outcome = PruneOutcome {
            target: t.describe(),
            kept: vec![],
            deleted: vec![],
            error: None,
        };
        let listed = if matches!(&t, Target::Dir { name: "local", path } if !path.exists()) {
            Ok(Vec::new())
        } else {
            t.list()
        };
        match listed {
            Err(e) => outcome.error = Some(e),
            Ok(listed) => {
                let candidates: Vec<Candidate> = listed
                    .iter()
                    .filter_map(|l| match &l.meta {
                        Some(Ok(m)) => Some(Candidate {
                            id: l.id.clone(),
                            created_at: chrono::DateTime::from_timestamp_millis(m.created_at_ms)
                                .unwrap_or_default(),
                            verified: l.is_complete(),
                        }),
                        _ => None,
                    })
                    .collect();
                let keep = select_kept(&candidates, &settings.retention, settings.timezone)?;
                for c in &candidates {
                    if keep.contains(&c.id) {
                        outcome.kept.push(c.id.clone());
                    } else if dry_run {
                        outcome.deleted.push(c.id.clone());
                    } else {
                        match t.delete(&c.id) {
                            Ok(()) => outcome.deleted.push(c.id.clone()),
                            Err(e) => {
                                outcome.error = Some(e);
                                break;
                            }
                        }
                    }
                }
            }
        }
        out.push(outcome);
    }
    Ok(out)
}
