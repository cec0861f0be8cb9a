//! Part 2 of the admin menu (Order, User, Broadcast, Laporan): the dispatch of its presses.

use crate::bot::context::{CallbackApply, Ctx};
use crate::bot::pipeline::HandleError;

/// `Some` when `data` is one of part 2's presses.
pub async fn prepare_callback(
    ctx: &Ctx<'_>,
    data: &str,
) -> Result<Option<CallbackApply>, HandleError> {
    let _ = (ctx, data);
    Ok(None)
}
