//! BackupActor: scheduled, encrypted, verified backups. It starts and reports its state now;
//! the backup issue gives it its work.

use actix::prelude::*;

use crate::log_targets::BACKUP;
use crate::services::Services;
use crate::supervisor::Shutdown;

/// Registry name.
pub const NAME: &str = "backup";

/// See the module docs.
pub struct BackupActor {
    #[allow(dead_code)]
    services: Services,
}

impl BackupActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> BackupActor {
        BackupActor { services }
    }
}

impl Actor for BackupActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        log::info!(target: BACKUP, "backup actor ready");
    }
}

impl Handler<Shutdown> for BackupActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
