//! The backup state other components read (settings keys) and owner notices.

use super::*;

/// Settings keys other components read.
pub mod keys {
    pub const LAST_SUCCESS_AT: &str = "backup.last_success_at";
    pub const LAST_SIZE_BYTES: &str = "backup.last_size_bytes";
    pub const LAST_ID: &str = "backup.last_id";
    pub const LAST_DRILL_AT: &str = "backup.last_drill_at";
    pub const LAST_DRILL_OK: &str = "backup.last_drill_ok";
    pub const LAST_ERROR: &str = "backup.last_error";
    pub const LAST_AUTO_DAY: &str = "backup.last_auto_day";
}

/// Records a successful backup.
pub fn record_success(
    conn: &mut DbConnection,
    meta: &Metadata,
) -> Result<(), autoorder_schema::StoreError> {
    use autoorder_schema::queries::settings::set_setting;
    set_setting(conn, keys::LAST_SUCCESS_AT, &meta.created_at_ms.to_string())?;
    set_setting(conn, keys::LAST_SIZE_BYTES, &meta.archive_size.to_string())?;
    set_setting(conn, keys::LAST_ID, &meta.id)?;
    set_setting(conn, keys::LAST_ERROR, "")
}

/// Records a failed backup.
pub fn record_failure(
    conn: &mut DbConnection,
    error: &str,
) -> Result<(), autoorder_schema::StoreError> {
    autoorder_schema::queries::settings::set_setting(conn, keys::LAST_ERROR, error)
}

/// Records a drill.
pub fn record_drill(conn: &mut DbConnection, ok: bool) -> Result<(), autoorder_schema::StoreError> {
    use autoorder_schema::queries::settings::set_setting;
    set_setting(
        conn,
        keys::LAST_DRILL_AT,
        &autoorder_schema::now_ms().to_string(),
    )?;
    set_setting(conn, keys::LAST_DRILL_OK, if ok { "1" } else { "0" })
}

/// Queues a notice to the owners through the running bot.
pub fn alert_owner(
    conn: &mut DbConnection,
    notice_id: &str,
    text: &str,
) -> Result<(), autoorder_schema::StoreError> {
    use autoorder_schema::job_kinds::JobPayload;
    use autoorder_schema::queries::jobs::{NewJob, enqueue};
    enqueue(
        conn,
        &NewJob::keyed(
            JobPayload::OwnerNotice {
                notice_id: notice_id.to_string(),
                text: text.to_string(),
            },
            format!("owner_notice:{notice_id}"),
        ),
    )
    .map(drop)
}
