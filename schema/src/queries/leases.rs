//! Named leases: singleton work (scheduled backups, bulk sends, alerts, reconciliation) runs on
//! the one replica holding the lease row. A holder renews before expiry; when it dies the
//! lease runs out and another replica takes over.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::tables::leases as l;

/// Takes or renews lease `name` for `holder` for `ttl_ms`. Returns true when `holder` holds it
/// afterwards: the lease was free, expired, or already ours.
pub fn try_acquire_lease(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    ttl_ms: i64,
) -> Result<bool, StoreError> {
    write_tx(conn, |conn| {
        let now = now_ms();
        let current: Option<(String, i64)> = l::table
            .find(name)
            .select((l::holder, l::expires_at))
            .first(conn)
            .optional()?;
        match current {
            None => {
                diesel::insert_into(l::table)
                    .values((
                        l::name.eq(name),
                        l::holder.eq(holder),
                        l::acquired_at.eq(now),
                        l::expires_at.eq(now + ttl_ms),
                    ))
                    .execute(conn)?;
                Ok(true)
            }
            Some((h, _)) if h == holder => {
                diesel::update(l::table.find(name))
                    .set(l::expires_at.eq(now + ttl_ms))
                    .execute(conn)?;
                Ok(true)
            }
            Some((_, expires)) if expires < now => {
                // Guard on the old expiry so two replicas racing for an expired lease cannot both win.
                let n = diesel::update(
                    l::table
                        .filter(l::name.eq(name))
                        .filter(l::expires_at.eq(expires)),
                )
                .set((
                    l::holder.eq(holder),
                    l::acquired_at.eq(now),
                    l::expires_at.eq(now + ttl_ms),
                ))
                .execute(conn)?;
                Ok(n == 1)
            }
            Some(_) => Ok(false),
        }
    })
    .or_else(|e: StoreError| match e {
        // Two replicas inserting the first row at once: the loser simply does not hold it.
        StoreError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        other => Err(other),
    })
}

/// Gives a lease up (graceful shutdown), so another replica takes over without waiting.
pub fn release_lease(conn: &mut DbConnection, name: &str, holder: &str) -> Result<(), StoreError> {
    diesel::delete(
        l::table
            .filter(l::name.eq(name))
            .filter(l::holder.eq(holder)),
    )
    .execute(conn)?;
    Ok(())
}

/// The current holder of a lease that has not expired.
pub fn lease_holder(conn: &mut DbConnection, name: &str) -> Result<Option<String>, StoreError> {
    Ok(l::table
        .find(name)
        .filter(l::expires_at.ge(now_ms()))
        .select(l::holder)
        .first(conn)
        .optional()?)
}
