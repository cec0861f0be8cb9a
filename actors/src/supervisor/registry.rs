//! The registry: where the HTTP server and other actors find the live instance of a child,
//! and where health and metrics read every child's state and restart count.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime};

use actix::{Actor, Addr};

/// Life-cycle state of a supervised child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildStatus {
    /// Being started.
    Starting,
    /// Up and taking messages.
    Running,
    /// Crashed; a restart is scheduled after backoff.
    Restarting,
    /// Stopped on purpose (shutdown, or a temporary child that finished).
    Stopped,
    /// Gave up: restart intensity exceeded.
    Failed,
}

impl ChildStatus {
    /// Every state, for exporting one gauge per state.
    pub const ALL: [ChildStatus; 5] = [
        ChildStatus::Starting,
        ChildStatus::Running,
        ChildStatus::Restarting,
        ChildStatus::Stopped,
        ChildStatus::Failed,
    ];

    /// The label used in metrics and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ChildStatus::Starting => "starting",
            ChildStatus::Running => "running",
            ChildStatus::Restarting => "restarting",
            ChildStatus::Stopped => "stopped",
            ChildStatus::Failed => "failed",
        }
    }
}

/// A read-only view of one child, for health checks and metrics.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChildInfo {
    pub name: &'static str,
    pub status: ChildStatus,
    pub restarts: u64,
    /// Why it last exited, if it ever did.
    pub last_exit: Option<String>,
    #[serde(skip)]
    pub since: Instant,
    /// Wall-clock time of the last restart (for humans).
    #[serde(skip)]
    pub last_restart_at: Option<SystemTime>,
}

struct Entry {
    addr: Option<Arc<dyn Any + Send + Sync>>,
    info: ChildInfo,
}

/// Shared, cheap to clone.
#[derive(Clone, Default)]
pub struct Registry {
    inner: Arc<RwLock<BTreeMap<&'static str, Entry>>>,
    order: Arc<RwLock<Vec<&'static str>>>,
}

impl Registry {
    /// The live address of child `name`, if it is running and is an `A`.
    pub fn get<A: Actor>(&self, name: &str) -> Option<Addr<A>> {
        let map = self.inner.read().ok()?;
        let entry = map.get(name)?;
        let addr = entry.addr.as_ref()?;
        addr.downcast_ref::<Addr<A>>().cloned()
    }

    /// Every child in start order.
    pub fn snapshot(&self) -> Vec<ChildInfo> {
        let order = self.order.read().map(|o| o.clone()).unwrap_or_default();
        let Ok(map) = self.inner.read() else {
            return Vec::new();
        };
        order
            .iter()
            .filter_map(|n| map.get(n).map(|e| e.info.clone()))
            .collect()
    }

    /// True when every child is running (readiness of the tree itself).
    pub fn all_running(&self) -> bool {
        let snapshot = self.snapshot();
        !snapshot.is_empty() && snapshot.iter().all(|c| c.status == ChildStatus::Running)
    }

    /// True when any child gave up for good.
    pub fn any_failed(&self) -> bool {
        self.snapshot()
            .iter()
            .any(|c| c.status == ChildStatus::Failed)
    }

    pub(crate) fn declare(&self, name: &'static str) {
        if let Ok(mut order) = self.order.write()
            && !order.contains(&name)
        {
            order.push(name);
        }
        if let Ok(mut map) = self.inner.write() {
            map.entry(name).or_insert_with(|| Entry {
                addr: None,
                info: ChildInfo {
                    name,
                    status: ChildStatus::Starting,
                    restarts: 0,
                    last_exit: None,
                    since: Instant::now(),
                    last_restart_at: None,
                },
            });
        }
    }

    pub(crate) fn set_running(&self, name: &'static str, addr: Arc<dyn Any + Send + Sync>) {
        self.update(name, |e| {
            e.addr = Some(addr);
            e.info.status = ChildStatus::Running;
            e.info.since = Instant::now();
        });
    }

    pub(crate) fn set_exited(&self, name: &'static str, status: ChildStatus, reason: String) {
        self.update(name, |e| {
            e.addr = None;
            e.info.status = status;
            e.info.last_exit = Some(reason);
            e.info.since = Instant::now();
        });
    }

    pub(crate) fn count_restart(&self, name: &'static str) {
        self.update(name, |e| {
            e.info.restarts += 1;
            e.info.last_restart_at = Some(SystemTime::now());
        });
    }

    fn update(&self, name: &'static str, f: impl FnOnce(&mut Entry)) {
        if let Ok(mut map) = self.inner.write()
            && let Some(entry) = map.get_mut(name)
        {
            f(entry);
        }
    }
}
