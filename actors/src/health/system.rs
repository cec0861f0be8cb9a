//! Host readings: disk (`statvfs` through rustix), memory and CPU of the host (sysinfo), the
//! container's own limits (cgroup v2, or v1 on older hosts) where they are lower, and the
//! size of `LOG_DIR`. Behind [`SystemProbe`] so tests inject readings; [`Cgroup`] reads from a
//! configurable root so the cgroup parsing is tested on fake files.
//!
//! Why cgroups are read here and not through sysinfo: sysinfo knows no CPU quota at all, and
//! its memory limit counts the kernel's reclaimable page cache as used — a container that just
//! wrote a backup would look full. Both are this product's judgement of "headroom", so they
//! are kept (for v2 and v1) beside the host numbers sysinfo gives.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use super::checks::{DiskUsage, MemoryUsage};

/// Where host readings come from.
pub trait SystemProbe: Send + Sync {
    /// Usage of the filesystem holding `path`.
    fn disk(&self, path: &Path) -> Result<DiskUsage, String>;
    /// Memory against the limit that applies to this process.
    fn memory(&self) -> Result<MemoryUsage, String>;
    /// Percent busy of the CPU available to the process since the previous call (the first
    /// call samples for a short moment).
    fn cpu(&self) -> Result<f64, String>;
    /// Bytes under `dir`.
    fn dir_size(&self, dir: &Path) -> Result<u64, String>;
}

/// Fixed readings (tests, and the drills that simulate a full disk or low memory).
#[derive(Debug, Clone)]
pub struct FixedProbe {
    pub disk: Result<DiskUsage, String>,
    pub memory: Result<MemoryUsage, String>,
    pub cpu: Result<f64, String>,
    pub dir_size: Result<u64, String>,
}

impl SystemProbe for FixedProbe {
    fn disk(&self, _: &Path) -> Result<DiskUsage, String> {
        self.disk.clone()
    }
    fn memory(&self) -> Result<MemoryUsage, String> {
        self.memory.clone()
    }
    fn cpu(&self) -> Result<f64, String> {
        self.cpu.clone()
    }
    fn dir_size(&self, _: &Path) -> Result<u64, String> {
        self.dir_size.clone()
    }
}

/// The real host: sysinfo for the host's CPU and memory, [`Cgroup`] for the container's.
pub struct HostProbe {
    cgroup: Cgroup,
    host: Mutex<HostCpu>,
}

/// sysinfo's view of the host CPU and when it was last refreshed (usage is a difference of
/// two refreshes).
struct HostCpu {
    /// `None` when sysinfo cannot read this platform.
    system: Option<sysinfo::System>,
    refreshed: Option<Instant>,
}

/// One reading of the cgroup CPU accounting.
#[derive(Debug, Clone, Copy)]
struct CpuSample {
    at: Instant,
    /// CPU time used by the cgroup, µs.
    used_us: u64,
    /// CPUs the cgroup may use.
    cpus: f64,
}

impl Default for HostProbe {
    fn default() -> Self {
        HostProbe::with_cgroup_root("/sys/fs/cgroup")
    }
}

impl HostProbe {
    /// A probe reading the container's limits under another cgroup root (tests).
    pub fn with_cgroup_root(root: impl Into<PathBuf>) -> Self {
        HostProbe {
            cgroup: Cgroup::new(root),
            host: Mutex::new(HostCpu {
                system: sysinfo::System::new().ok(),
                refreshed: None,
            }),
        }
    }

    /// Host CPU busy percent since the previous call (sysinfo needs two refreshes at least
    /// [`sysinfo::MINIMUM_CPU_UPDATE_INTERVAL`] apart; the first call waits that long).
    fn host_cpu(&self) -> Result<f64, String> {
        let mut guard = self.host.lock().map_err(|e| e.to_string())?;
        let host = &mut *guard;
        let system = host
            .system
            .as_mut()
            .ok_or("sysinfo cannot read this host")?;
        let fresh = host
            .refreshed
            .is_some_and(|at| at.elapsed() >= sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        if !fresh {
            system.refresh_cpu_usage();
            std::thread::sleep(
                sysinfo::MINIMUM_CPU_UPDATE_INTERVAL.max(std::time::Duration::from_millis(300)),
            );
        }
        system.refresh_cpu_usage();
        host.refreshed = Some(Instant::now());
        if system.cpus().is_empty() {
            return Err("no CPU readings".into());
        }
        Ok(f64::from(system.global_cpu_usage()).clamp(0.0, 100.0))
    }

    /// Host memory: (used, total), where used is what is not available to new work.
    fn host_memory(&self) -> Result<(u64, u64), String> {
        let mut host = self.host.lock().map_err(|e| e.to_string())?;
        let system = host
            .system
            .as_mut()
            .ok_or("sysinfo cannot read this host")?;
        system.refresh_memory();
        let total = system.total_memory();
        if total == 0 {
            return Err("no memory readings".into());
        }
        Ok((total.saturating_sub(system.available_memory()), total))
    }
}

/// The memory that applies: the container's when it has a limit below the host's memory
/// (a limit above it is no limit at all), else the host's.
fn effective_memory(
    host: Result<(u64, u64), String>,
    container: Option<(u64, u64)>,
) -> Result<MemoryUsage, String> {
    if let Some((used, limit)) = container
        && host.as_ref().map_or(true, |(_, total)| limit < *total)
    {
        return Ok(MemoryUsage {
            used_bytes: used,
            limit_bytes: limit,
            container: true,
        });
    }
    let (used, total) = host?;
    Ok(MemoryUsage {
        used_bytes: used,
        limit_bytes: total,
        container: false,
    })
}

/// The cgroup this process runs in, as mounted at `root` (normally `/sys/fs/cgroup`): the
/// unified v2 hierarchy, or the v1 controllers `memory/`, `cpu/` and `cpuacct/` beneath it.
#[derive(Debug)]
pub struct Cgroup {
    root: PathBuf,
    last_cpu: Mutex<Option<CpuSample>>,
}

impl Cgroup {
    /// The cgroup mounted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Cgroup {
            root: root.into(),
            last_cpu: Mutex::new(None),
        }
    }

    fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(rel)).ok()
    }

    fn number(&self, rel: &str) -> Option<u64> {
        self.read(rel)?.trim().parse().ok()
    }

    /// (used, limit) bytes when a memory limit is set; reclaimable page cache
    /// (`inactive_file`) is not counted as used.
    pub fn memory(&self) -> Option<(u64, u64)> {
        // v2: "max" does not parse → no limit.
        if let Some(limit) = self.number("memory.max") {
            let current = self.number("memory.current")?;
            let cache = self
                .read("memory.stat")
                .and_then(|s| field(&s, "inactive_file"))
                .unwrap_or(0);
            return Some((current.saturating_sub(cache), limit));
        }
        // v1: an unlimited group reports a huge limit, which the host comparison drops.
        let limit = self.number("memory/memory.limit_in_bytes")?;
        let usage = self.number("memory/memory.usage_in_bytes")?;
        let cache = self
            .read("memory/memory.stat")
            .and_then(|s| field(&s, "total_inactive_file"))
            .unwrap_or(0);
        Some((usage.saturating_sub(cache), limit))
    }

    /// CPUs the cgroup may use (v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`),
    /// when limited.
    pub fn cpus(&self) -> Option<f64> {
        let (quota, period) = if let Some(text) = self.read("cpu.max") {
            let mut parts = text.split_whitespace();
            // "max" → unlimited.
            let quota: f64 = parts.next()?.parse().ok()?;
            (quota, parts.next()?.parse::<f64>().ok()?)
        } else {
            // -1 → unlimited.
            let quota: f64 = self.read("cpu/cpu.cfs_quota_us")?.trim().parse().ok()?;
            (
                quota,
                self.read("cpu/cpu.cfs_period_us")?.trim().parse().ok()?,
            )
        };
        (period > 0.0 && quota > 0.0).then_some(quota / period)
    }

    /// CPU time the cgroup used so far, µs (v2 `cpu.stat` `usage_usec`, v1 `cpuacct.usage` ns).
    fn used_us(&self) -> Option<u64> {
        if let Some(stat) = self.read("cpu.stat") {
            return field(&stat, "usage_usec");
        }
        self.number("cpuacct/cpuacct.usage").map(|ns| ns / 1000)
    }

    fn sample(&self) -> Option<CpuSample> {
        Some(CpuSample {
            at: Instant::now(),
            cpus: self.cpus()?,
            used_us: self.used_us()?,
        })
    }

    /// Percent of the cgroup's CPU quota used since the previous call, when it has a quota
    /// (the first call samples for a short moment).
    pub fn cpu_percent(&self) -> Option<f64> {
        let previous = *self.last_cpu.lock().ok()?;
        let before = match previous {
            Some(p) if p.at.elapsed().as_millis() >= 200 => p,
            _ => {
                let first = self.sample()?;
                std::thread::sleep(std::time::Duration::from_millis(300));
                first
            }
        };
        let after = self.sample()?;
        if let Ok(mut last) = self.last_cpu.lock() {
            *last = Some(after);
        }
        quota_percent(&before, &after)
    }
}

/// Busy percent of a CPU quota between two samples.
fn quota_percent(before: &CpuSample, after: &CpuSample) -> Option<f64> {
    let elapsed_us = after.at.duration_since(before.at).as_micros() as f64;
    if elapsed_us <= 0.0 {
        return None;
    }
    let used = after.used_us.saturating_sub(before.used_us) as f64;
    Some((used / (elapsed_us * after.cpus) * 100.0).clamp(0.0, 100.0))
}

/// The number after `name` on its line (`name value [kB]`).
fn field(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut parts = l.split_whitespace();
        (parts.next()? == name).then(|| parts.next()?.parse().ok())?
    })
}

impl SystemProbe for HostProbe {
    fn disk(&self, path: &Path) -> Result<DiskUsage, String> {
        statvfs(path)
    }

    fn memory(&self) -> Result<MemoryUsage, String> {
        effective_memory(self.host_memory(), self.cgroup.memory())
    }

    fn cpu(&self) -> Result<f64, String> {
        match self.cgroup.cpu_percent() {
            Some(percent) => Ok(percent),
            None => self.host_cpu(),
        }
    }

    fn dir_size(&self, dir: &Path) -> Result<u64, String> {
        fn walk(dir: &Path) -> std::io::Result<u64> {
            let mut total = 0;
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let meta = entry.metadata()?;
                if meta.is_dir() {
                    total += walk(&entry.path())?;
                } else {
                    total += meta.len();
                }
            }
            Ok(total)
        }
        match walk(dir) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// `statvfs(2)` of the filesystem holding `path` (the nearest existing ancestor), through
/// rustix's safe wrapper.
pub fn statvfs(path: &Path) -> Result<DiskUsage, String> {
    let existing = path
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    let stat = rustix::fs::statvfs(existing).map_err(|e| format!("{}: {e}", existing.display()))?;
    Ok(DiskUsage {
        total_bytes: stat.f_blocks.saturating_mul(stat.f_frsize),
        available_bytes: stat.f_bavail.saturating_mul(stat.f_frsize),
        used_bytes: stat
            .f_blocks
            .saturating_sub(stat.f_bfree)
            .saturating_mul(stat.f_frsize),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    const HOST: (u64, u64) = (8_000_000 * 1024, 16_000_000 * 1024);

    #[test]
    fn container_memory_limit_wins_over_the_host_on_cgroup_v2() {
        let cg = tempfile::tempdir().unwrap();
        let cgroup = Cgroup::new(cg.path());
        // No cgroup files: the host's numbers.
        assert_eq!(cgroup.memory(), None);
        let host = effective_memory(Ok(HOST), cgroup.memory()).unwrap();
        assert!(!host.container);
        assert_eq!(host.limit_bytes, 16_000_000 * 1024);
        assert!((host.used_ratio() - 0.5).abs() < 1e-9);
        // A 1 GiB container limit with 900 MiB in use, 100 MiB of it reclaimable cache.
        write(cg.path(), "memory.max", "1073741824\n");
        write(cg.path(), "memory.current", &(900u64 << 20).to_string());
        write(
            cg.path(),
            "memory.stat",
            &format!("anon 1\ninactive_file {}\n", 100u64 << 20),
        );
        let container = effective_memory(Ok(HOST), cgroup.memory()).unwrap();
        assert!(container.container);
        assert_eq!(container.limit_bytes, 1 << 30);
        assert_eq!(container.used_bytes, 800 << 20);
        // Without a host reading the container's numbers still count.
        assert!(
            effective_memory(Err("x".into()), cgroup.memory())
                .unwrap()
                .container
        );
        // "max": unlimited container → the host.
        write(cg.path(), "memory.max", "max\n");
        assert!(
            !effective_memory(Ok(HOST), cgroup.memory())
                .unwrap()
                .container
        );
    }

    #[test]
    fn container_memory_limit_on_cgroup_v1() {
        let cg = tempfile::tempdir().unwrap();
        let cgroup = Cgroup::new(cg.path());
        write(cg.path(), "memory/memory.limit_in_bytes", "536870912\n");
        write(
            cg.path(),
            "memory/memory.usage_in_bytes",
            &(300u64 << 20).to_string(),
        );
        write(
            cg.path(),
            "memory/memory.stat",
            &format!("cache 5\ntotal_inactive_file {}\n", 50u64 << 20),
        );
        let m = effective_memory(Ok(HOST), cgroup.memory()).unwrap();
        assert!(m.container);
        assert_eq!((m.used_bytes, m.limit_bytes), (250 << 20, 512 << 20));
        // v1 writes "no limit" as a huge number: the host applies.
        write(
            cg.path(),
            "memory/memory.limit_in_bytes",
            "9223372036854771712\n",
        );
        assert!(
            !effective_memory(Ok(HOST), cgroup.memory())
                .unwrap()
                .container
        );
    }

    #[test]
    fn cpu_quota_from_cgroup_v2_and_v1() {
        let v2 = tempfile::tempdir().unwrap();
        let cgroup = Cgroup::new(v2.path());
        assert_eq!(cgroup.cpus(), None);
        write(v2.path(), "cpu.max", "max 100000\n");
        assert_eq!(cgroup.cpus(), None, "unlimited");
        // Half a CPU quota, fully used for 1 s: 100 %.
        write(v2.path(), "cpu.max", "50000 100000\n");
        write(v2.path(), "cpu.stat", "usage_usec 1000\nuser_usec 1\n");
        let s = cgroup.sample().unwrap();
        assert_eq!((s.cpus, s.used_us), (0.5, 1000));
        let later = CpuSample {
            at: s.at + std::time::Duration::from_secs(1),
            used_us: 1000 + 250_000,
            ..s
        };
        assert_eq!(quota_percent(&s, &later), Some(50.0));

        let v1 = tempfile::tempdir().unwrap();
        let cgroup = Cgroup::new(v1.path());
        write(v1.path(), "cpu/cpu.cfs_quota_us", "-1\n");
        write(v1.path(), "cpu/cpu.cfs_period_us", "100000\n");
        write(v1.path(), "cpuacct/cpuacct.usage", "5000000\n");
        assert_eq!(cgroup.cpus(), None, "-1 is unlimited");
        write(v1.path(), "cpu/cpu.cfs_quota_us", "200000\n");
        let s = cgroup.sample().unwrap();
        assert_eq!((s.cpus, s.used_us), (2.0, 5000));
    }

    #[test]
    fn host_readings_through_sysinfo() {
        let probe = HostProbe::with_cgroup_root(tempfile::tempdir().unwrap().path());
        let m = probe.memory().unwrap();
        assert!(!m.container && m.limit_bytes > 0 && m.used_bytes <= m.limit_bytes);
        let cpu = probe.cpu().unwrap();
        assert!((0.0..=100.0).contains(&cpu), "{cpu}");
    }

    #[test]
    fn disk_of_a_real_path_and_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let usage = statvfs(dir.path()).unwrap();
        assert!(usage.total_bytes > 0 && usage.available_bytes <= usage.total_bytes);
        // A DATA_DIR that does not exist yet is measured on its parent's filesystem.
        assert!(statvfs(&dir.path().join("not/yet")).is_ok());
        let probe = HostProbe::default();
        std::fs::write(dir.path().join("a.log"), vec![0u8; 2048]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.log"), vec![0u8; 1024]).unwrap();
        assert_eq!(probe.dir_size(dir.path()).unwrap(), 3072);
        assert_eq!(probe.dir_size(&dir.path().join("none")).unwrap(), 0);
    }
}
