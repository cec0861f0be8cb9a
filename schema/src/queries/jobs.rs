//! The durable job queue (transactional outbox).
//!
//! Every side effect that must not be lost is a row here, enqueued with [`enqueue`] on the
//! caller's open transaction so a state change and the jobs it implies commit together or not
//! at all. Workers claim due jobs with a lease ([`claim_due_jobs`]); a crashed worker's leases
//! run out and [`rescue_expired_leases`] returns its jobs to the queue. Unique keys make
//! enqueueing idempotent.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text};

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::job_kinds::JobPayload;
use crate::tables::jobs as j;

/// PostgreSQL channel a commit that enqueued jobs notifies (LISTEN/NOTIFY wake-up).
pub const NOTIFY_CHANNEL: &str = "autoorder_jobs";
/// Default attempts before a job is `dead`.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub payload: JobPayload,
    /// Enqueueing the same key twice yields one job.
    pub unique_key: Option<String>,
    /// When it becomes due (epoch ms); now when `None`.
    pub run_at: Option<i64>,
    pub max_attempts: i32,
}

impl NewJob {
    /// A job due now with the default attempts and an idempotency key.
    pub fn keyed(payload: JobPayload, unique_key: impl Into<String>) -> NewJob {
        NewJob {
            payload,
            unique_key: Some(unique_key.into()),
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// Enqueues a job on `conn`, inside whatever transaction the caller has open. Returns the new
/// id, or `None` when a job with the same unique key already exists.
pub fn enqueue(conn: &mut DbConnection, job: &NewJob) -> Result<Option<i64>, StoreError> {
    let now = now_ms();
    let payload =
        serde_json::to_string(&job.payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let row = (
        j::kind.eq(job.payload.kind()),
        j::payload.eq(&payload),
        j::unique_key.eq(job.unique_key.as_deref()),
        j::state.eq("available"),
        j::attempts.eq(0),
        j::max_attempts.eq(job.max_attempts),
        j::run_at.eq(job.run_at.unwrap_or(now)),
        j::created_at.eq(now),
        j::updated_at.eq(now),
    );
    let id: Option<i64> = crate::on_backend!(conn, c => diesel::insert_into(j::table)
        .values(row)
        .on_conflict(j::unique_key)
        .do_nothing()
        .returning(j::id)
        .get_result(c)
        .optional()?);
    if id.is_some()
        && let DbConnection::Pg(c) = conn
    {
        // Delivered at commit, and only if the transaction commits.
        diesel::sql_query(format!("NOTIFY {NOTIFY_CHANNEL}")).execute(c)?;
    }
    Ok(id)
}

/// A job claimed by a worker.
#[derive(Debug, Clone, QueryableByName, Queryable)]
pub struct ClaimedJob {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub payload: String,
    /// Attempts including this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Integer)]
    pub max_attempts: i32,
}

impl ClaimedJob {
    /// The typed payload.
    pub fn payload(&self) -> Result<JobPayload, StoreError> {
        serde_json::from_str(&self.payload)
            .map_err(|e| StoreError::Corrupt(format!("job {}: {e}", self.id)))
    }
}

/// Which kinds a worker takes.
#[derive(Debug, Clone, Copy)]
pub enum KindFilter<'a> {
    All,
    Only(&'a [&'a str]),
    Except(&'a [&'a str]),
}

/// Claims up to `limit` due jobs, oldest first, leasing them to `worker` for `lease_ms`.
/// Each claim counts as an attempt. PostgreSQL: `FOR UPDATE SKIP LOCKED` in a CTE, so replicas
/// claim disjoint sets without waiting; SQLite: one IMMEDIATE write transaction.
pub fn claim_due_jobs(
    conn: &mut DbConnection,
    worker: &str,
    limit: i64,
    lease_ms: i64,
    kinds: KindFilter<'_>,
) -> Result<Vec<ClaimedJob>, StoreError> {
    let now = now_ms();
    match conn {
        DbConnection::Pg(c) => {
            let (filter, names): (&str, Vec<String>) = match kinds {
                KindFilter::All => ("", Vec::new()),
                KindFilter::Only(k) => (
                    " AND kind = ANY($5)",
                    k.iter().map(|s| s.to_string()).collect(),
                ),
                KindFilter::Except(k) => (
                    " AND NOT (kind = ANY($5))",
                    k.iter().map(|s| s.to_string()).collect(),
                ),
            };
            let sql = format!(
                "WITH due AS (
                    SELECT id FROM jobs
                    WHERE state = 'available' AND run_at <= $1{filter}
                    ORDER BY run_at, id
                    LIMIT $2
                    FOR UPDATE SKIP LOCKED
                 )
                 UPDATE jobs SET state = 'running', lease_owner = $3, lease_expires_at = $1 + $4,
                                 attempts = jobs.attempts + 1, updated_at = $1
                 FROM due WHERE jobs.id = due.id
                 RETURNING jobs.id, jobs.kind, jobs.payload, jobs.attempts, jobs.max_attempts"
            );
            let q = diesel::sql_query(sql)
                .bind::<BigInt, _>(now)
                .bind::<BigInt, _>(limit)
                .bind::<Text, _>(worker)
                .bind::<BigInt, _>(lease_ms);
            let mut rows: Vec<ClaimedJob> = if names.is_empty() {
                q.load(c)?
            } else {
                q.bind::<Array<Text>, _>(names).load(c)?
            };
            rows.sort_by_key(|r| r.id);
            Ok(rows)
        }
        DbConnection::Sqlite(_) => write_tx(conn, |conn| {
            let mut due = j::table
                .select(j::id)
                .filter(j::state.eq("available"))
                .filter(j::run_at.le(now))
                .order((j::run_at.asc(), j::id.asc()))
                .limit(limit)
                .into_boxed();
            due = match kinds {
                KindFilter::All => due,
                KindFilter::Only(k) => due.filter(j::kind.eq_any(k)),
                KindFilter::Except(k) => due.filter(j::kind.ne_all(k)),
            };
            let ids: Vec<i64> = due.load(conn)?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            diesel::update(j::table.filter(j::id.eq_any(&ids)))
                .set((
                    j::state.eq("running"),
                    j::lease_owner.eq(worker),
                    j::lease_expires_at.eq(now + lease_ms),
                    j::attempts.eq(j::attempts + 1),
                    j::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(j::table
                .filter(j::id.eq_any(&ids))
                .order(j::id.asc())
                .select((j::id, j::kind, j::payload, j::attempts, j::max_attempts))
                .load(conn)?)
        }),
    }
}

/// Marks a job done. Returns false when this worker no longer holds its lease (it expired and
/// another worker took the job), in which case nothing changes.
pub fn complete_job(conn: &mut DbConnection, id: i64, worker: &str) -> Result<bool, StoreError> {
    let n = diesel::update(
        j::table
            .find(id)
            .filter(j::lease_owner.eq(worker))
            .filter(j::state.eq("running")),
    )
    .set((
        j::state.eq("done"),
        j::lease_owner.eq(None::<String>),
        j::lease_expires_at.eq(None::<i64>),
        j::updated_at.eq(now_ms()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// What became of a job after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Scheduled again.
    Retrying,
    /// Out of attempts.
    Dead,
    /// The lease was lost; another worker owns the job now.
    LeaseLost,
}

/// Reschedules a job after `delay_ms`. With `consume_attempt = false` (Telegram's 429: our
/// fault for going too fast, not the job's) the attempt is given back. Out of attempts → `dead`.
pub fn retry_job(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    error: &str,
    delay_ms: i64,
    consume_attempt: bool,
) -> Result<RetryOutcome, StoreError> {
    write_tx(conn, |conn| {
        let row: Option<(i32, i32)> = j::table
            .find(id)
            .filter(j::lease_owner.eq(worker))
            .filter(j::state.eq("running"))
            .select((j::attempts, j::max_attempts))
            .first(conn)
            .optional()?;
        let Some((attempts, max_attempts)) = row else {
            return Ok(RetryOutcome::LeaseLost);
        };
        let now = now_ms();
        let error: String = error.chars().take(2000).collect();
        let (state, attempts, outcome) = if !consume_attempt {
            ("available", (attempts - 1).max(0), RetryOutcome::Retrying)
        } else if attempts >= max_attempts {
            ("dead", attempts, RetryOutcome::Dead)
        } else {
            ("available", attempts, RetryOutcome::Retrying)
        };
        diesel::update(j::table.find(id))
            .set((
                j::state.eq(state),
                j::attempts.eq(attempts),
                j::run_at.eq(now + delay_ms),
                j::last_error.eq(error),
                j::lease_owner.eq(None::<String>),
                j::lease_expires_at.eq(None::<i64>),
                j::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(outcome)
    })
}

/// Ends a job that must never be retried (the recipient blocked the bot, the broadcast was
/// cancelled), keeping the reason.
pub fn cancel_job(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    finish_job(conn, id, worker, "cancelled", reason)
}

/// Moves a job this worker holds to a final state with a reason. Returns false when the
/// lease was lost (another worker owns the job now), in which case nothing changes.
fn finish_job(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    state: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    let reason: String = reason.chars().take(2000).collect();
    let n = diesel::update(
        j::table
            .find(id)
            .filter(j::lease_owner.eq(worker))
            .filter(j::state.eq("running")),
    )
    .set((
        j::state.eq(state),
        j::last_error.eq(reason),
        j::lease_owner.eq(None::<String>),
        j::lease_expires_at.eq(None::<i64>),
        j::updated_at.eq(now_ms()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Extends the leases `worker` holds on `ids` (a long batch must not be rescued from under it).
pub fn extend_job_leases(
    conn: &mut DbConnection,
    worker: &str,
    ids: &[i64],
    lease_ms: i64,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        j::table
            .filter(j::id.eq_any(ids))
            .filter(j::lease_owner.eq(worker))
            .filter(j::state.eq("running")),
    )
    .set(j::lease_expires_at.eq(now_ms() + lease_ms))
    .execute(conn)?)
}

/// Returns jobs whose lease ran out (their worker crashed) to the queue. The attempt the dead
/// worker used stays counted, so a job that crashes its worker every time still ends `dead`.
pub fn rescue_expired_leases(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let now = now_ms();
    Ok(diesel::update(
        j::table
            .filter(j::state.eq("running"))
            .filter(j::lease_expires_at.lt(now)),
    )
    .set((
        j::state.eq("available"),
        j::lease_owner.eq(None::<String>),
        j::lease_expires_at.eq(None::<i64>),
        j::run_at.eq(now),
        j::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// Job counts by (kind, state), for metrics and health.
pub fn job_counts(conn: &mut DbConnection) -> Result<Vec<(String, String, i64)>, StoreError> {
    Ok(j::table
        .group_by((j::kind, j::state))
        .select((j::kind, j::state, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Age in ms of the oldest job that is due and waiting (queue lag); 0 when none waits.
pub fn oldest_due_age_ms(conn: &mut DbConnection) -> Result<i64, StoreError> {
    let now = now_ms();
    let oldest: Option<i64> = j::table
        .filter(j::state.eq("available"))
        .filter(j::run_at.le(now))
        .select(diesel::dsl::min(j::run_at))
        .first(conn)?;
    Ok(oldest.map(|t| now - t).unwrap_or(0))
}

/// A job as stored (tests and diagnostics).
#[derive(Debug, Clone, Queryable)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub run_at: i64,
}

/// Looks a job up by its unique key.
pub fn find_job_by_key(conn: &mut DbConnection, key: &str) -> Result<Option<JobRow>, StoreError> {
    Ok(j::table
        .filter(j::unique_key.eq(key))
        .select((
            j::id,
            j::kind,
            j::state,
            j::attempts,
            j::last_error,
            j::run_at,
        ))
        .first(conn)
        .optional()?)
}

/// Every job of a kind (tests and diagnostics).
pub fn jobs_of_kind(conn: &mut DbConnection, kind: &str) -> Result<Vec<JobRow>, StoreError> {
    Ok(j::table
        .filter(j::kind.eq(kind))
        .order(j::id.asc())
        .select((
            j::id,
            j::kind,
            j::state,
            j::attempts,
            j::last_error,
            j::run_at,
        ))
        .load(conn)?)
}

/// Gives a job up at once (retrying cannot help: Telegram rejected the request itself).
pub fn bury_job(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    error: &str,
) -> Result<bool, StoreError> {
    finish_job(conn, id, worker, "dead", error)
}

/// Jobs due now or being worked on (zero when the queue has caught up).
pub fn busy_jobs(conn: &mut DbConnection) -> Result<i64, StoreError> {
    let now = now_ms();
    Ok(j::table
        .filter(
            j::state
                .eq("running")
                .or(j::state.eq("available").and(j::run_at.le(now))),
        )
        .count()
        .get_result(conn)?)
}
