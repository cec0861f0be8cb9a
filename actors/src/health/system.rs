//! Host readings: disk (statvfs), memory (cgroup v2 limit when the container has one, else
//! `/proc/meminfo`), CPU (cgroup v2 `cpu.stat` against `cpu.max`, else `/proc/stat`) and the
//! size of `LOG_DIR`. Behind [`SystemProbe`] so tests inject readings; [`HostProbe`] reads
//! from configurable roots so the cgroup parsing is tested on fake files.

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

/// The real host. `proc_root` is normally `/proc`, `cgroup_root` `/sys/fs/cgroup`.
pub struct HostProbe {
    proc_root: PathBuf,
    cgroup_root: PathBuf,
    last_cpu: Mutex<Option<CpuSample>>,
}

#[derive(Debug, Clone, Copy)]
struct CpuSample {
    at: Instant,
    /// Busy and total jiffies (`/proc/stat`), or busy µs and capacity µs/s (cgroup).
    busy: u64,
    total: u64,
    cgroup_cpus: Option<f64>,
}

impl Default for HostProbe {
    fn default() -> Self {
        HostProbe::with_roots("/proc", "/sys/fs/cgroup")
    }
}

impl HostProbe {
    /// A probe reading from other roots (tests).
    pub fn with_roots(proc_root: impl Into<PathBuf>, cgroup_root: impl Into<PathBuf>) -> Self {
        HostProbe {
            proc_root: proc_root.into(),
            cgroup_root: cgroup_root.into(),
            last_cpu: Mutex::new(None),
        }
    }

    fn read(&self, path: PathBuf) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }

    /// cgroup v2 memory: (current, limit) when a limit is set.
    fn cgroup_memory(&self) -> Option<(u64, u64)> {
        let max = self.read(self.cgroup_root.join("memory.max"))?;
        let limit: u64 = max.trim().parse().ok()?; // "max" → no limit
        let current: u64 = self
            .read(self.cgroup_root.join("memory.current"))?
            .trim()
            .parse()
            .ok()?;
        // Page cache the kernel reclaims under pressure is not memory pressure.
        let inactive_file = self
            .read(self.cgroup_root.join("memory.stat"))
            .and_then(|s| field(&s, "inactive_file"))
            .unwrap_or(0);
        Some((current.saturating_sub(inactive_file), limit))
    }

    fn meminfo(&self) -> Result<(u64, u64), String> {
        let text = self
            .read(self.proc_root.join("meminfo"))
            .ok_or("cannot read meminfo")?;
        let kb = |name: &str| field(&text, &format!("{name}:"));
        let total = kb("MemTotal").ok_or("MemTotal missing")? * 1024;
        let available = kb("MemAvailable").ok_or("MemAvailable missing")? * 1024;
        Ok((total.saturating_sub(available), total))
    }

    /// CPUs the cgroup may use (`cpu.max` quota / period), when limited.
    fn cgroup_cpus(&self) -> Option<f64> {
        let text = self.read(self.cgroup_root.join("cpu.max"))?;
        let mut parts = text.split_whitespace();
        let quota: f64 = parts.next()?.parse().ok()?; // "max" → unlimited
        let period: f64 = parts.next()?.parse().ok()?;
        (period > 0.0 && quota > 0.0).then_some(quota / period)
    }

    fn sample(&self) -> Result<CpuSample, String> {
        let at = Instant::now();
        if let Some(cpus) = self.cgroup_cpus()
            && let Some(usage) = self
                .read(self.cgroup_root.join("cpu.stat"))
                .and_then(|s| field(&s, "usage_usec"))
        {
            return Ok(CpuSample {
                at,
                busy: usage,
                total: 0,
                cgroup_cpus: Some(cpus),
            });
        }
        let text = self
            .read(self.proc_root.join("stat"))
            .ok_or("cannot read /proc/stat")?;
        let line = text
            .lines()
            .find(|l| l.starts_with("cpu "))
            .ok_or("no cpu line")?;
        let values: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        if values.len() < 4 {
            return Err("short cpu line".into());
        }
        // user nice system idle iowait irq softirq steal …
        let idle = values[3] + values.get(4).copied().unwrap_or(0);
        let total: u64 = values.iter().take(8).sum();
        Ok(CpuSample {
            at,
            busy: total - idle,
            total,
            cgroup_cpus: None,
        })
    }

    fn percent(before: &CpuSample, after: &CpuSample) -> Option<f64> {
        match (before.cgroup_cpus, after.cgroup_cpus) {
            (Some(_), Some(cpus)) => {
                let elapsed_us = after.at.duration_since(before.at).as_micros() as f64;
                if elapsed_us <= 0.0 {
                    return None;
                }
                let used = after.busy.saturating_sub(before.busy) as f64;
                Some((used / (elapsed_us * cpus) * 100.0).clamp(0.0, 100.0))
            }
            (None, None) => {
                let total = after.total.saturating_sub(before.total);
                (total > 0)
                    .then(|| after.busy.saturating_sub(before.busy) as f64 / total as f64 * 100.0)
            }
            _ => None,
        }
    }
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
        let host = self.meminfo();
        if let Some((used, limit)) = self.cgroup_memory() {
            // A limit above the host's memory is no limit at all.
            if host.as_ref().is_ok_and(|(_, total)| limit < *total) || host.is_err() {
                return Ok(MemoryUsage {
                    used_bytes: used,
                    limit_bytes: limit,
                    container: true,
                });
            }
        }
        let (used, total) = host?;
        Ok(MemoryUsage {
            used_bytes: used,
            limit_bytes: total,
            container: false,
        })
    }

    fn cpu(&self) -> Result<f64, String> {
        let previous = *self.last_cpu.lock().map_err(|e| e.to_string())?;
        let before = match previous {
            Some(p) if p.at.elapsed().as_millis() >= 200 => p,
            _ => {
                let first = self.sample()?;
                std::thread::sleep(std::time::Duration::from_millis(500));
                first
            }
        };
        let after = self.sample()?;
        if let Ok(mut last) = self.last_cpu.lock() {
            *last = Some(after);
        }
        Self::percent(&before, &after).ok_or_else(|| "no CPU time elapsed".to_string())
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

/// `statvfs(2)` of the filesystem holding `path` (the nearest existing ancestor).
pub fn statvfs(path: &Path) -> Result<DiskUsage, String> {
    use std::os::unix::ffi::OsStrExt;
    let existing = path
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    let c_path = std::ffi::CString::new(existing.as_os_str().as_bytes())
        .map_err(|_| "path holds a NUL byte".to_string())?;
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` a writable, zeroed struct
    // that statvfs fills in; neither outlives the call.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    let block = stat.f_frsize as u64;
    Ok(DiskUsage {
        total_bytes: stat.f_blocks as u64 * block,
        available_bytes: stat.f_bavail as u64 * block,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn container_memory_limit_wins_over_the_host() {
        let proc_dir = tempfile::tempdir().unwrap();
        let cg = tempfile::tempdir().unwrap();
        write(
            proc_dir.path(),
            "meminfo",
            "MemTotal:       16000000 kB\nMemFree: 1 kB\nMemAvailable:   8000000 kB\n",
        );
        let probe = HostProbe::with_roots(proc_dir.path(), cg.path());
        // No cgroup files: the host's numbers.
        let host = probe.memory().unwrap();
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
        let container = probe.memory().unwrap();
        assert!(container.container);
        assert_eq!(container.limit_bytes, 1 << 30);
        assert_eq!(container.used_bytes, 800 << 20);
        // "max": unlimited container → the host.
        write(cg.path(), "memory.max", "max\n");
        assert!(!probe.memory().unwrap().container);
    }

    #[test]
    fn cpu_from_proc_stat_and_from_the_cgroup() {
        let proc_dir = tempfile::tempdir().unwrap();
        let cg = tempfile::tempdir().unwrap();
        let before = CpuSample {
            at: Instant::now(),
            busy: 100,
            total: 1000,
            cgroup_cpus: None,
        };
        let after = CpuSample {
            busy: 400,
            total: 1400,
            ..before
        };
        assert_eq!(HostProbe::percent(&before, &after), Some(75.0));
        write(
            proc_dir.path(),
            "stat",
            "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 1 1 1 1\n",
        );
        let probe = HostProbe::with_roots(proc_dir.path(), cg.path());
        let s = probe.sample().unwrap();
        assert_eq!((s.busy, s.total), (20, 100));
        // Half a CPU quota, fully used for 1 s: 100 %.
        write(cg.path(), "cpu.max", "50000 100000\n");
        write(cg.path(), "cpu.stat", "usage_usec 1000\nuser_usec 1\n");
        let s = probe.sample().unwrap();
        assert_eq!(s.cgroup_cpus, Some(0.5));
        let later = CpuSample {
            at: s.at + std::time::Duration::from_secs(1),
            busy: 1000 + 500_000,
            ..s
        };
        assert_eq!(HostProbe::percent(&s, &later), Some(100.0));
    }

    #[test]
    fn disk_of_a_real_path_and_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let usage = statvfs(dir.path()).unwrap();
        assert!(usage.total_bytes > 0);
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
