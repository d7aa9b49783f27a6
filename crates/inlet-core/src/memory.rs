//! Giving freed memory back to the operating system.
//!
//! glibc's allocator returns freed memory to the system only from the top
//! of its heaps. A burst of large messages (a backlog of attachments, say)
//! leaves the heaps full of free chunks below live ones, and the process
//! keeps that memory as its resident size long after the burst: delivery
//! stayed at 55–75 MiB, of which 25–30 MiB were free chunks, when it needs
//! 30. `malloc_trim(0)` hands the free pages anywhere in every heap back
//! (`madvise`), so a thread calls it every few seconds.

use std::time::Duration;

/// How often the free pages are given back. A call costs well under a
/// millisecond; pages reused after it cost a page fault each.
pub const TRIM_INTERVAL: Duration = Duration::from_secs(5);

/// Starts the thread that trims the heaps every [`TRIM_INTERVAL`] (only
/// with glibc; elsewhere it does nothing). Call it once, from `main`.
pub fn spawn_trimmer() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let started = std::thread::Builder::new()
            .name("malloc-trim".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(TRIM_INTERVAL);
                    trim();
                }
            });
        if let Err(error) = started {
            tracing::warn!(%error, "cannot start the memory trimmer");
        }
    }
}

/// Returns the free pages of every heap to the system; true when some were.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn trim() -> bool {
    // SAFETY: malloc_trim takes no pointer and only works on the
    // allocator's own free lists, under the allocator's own locks; it is
    // safe to call from any thread at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

#[cfg(test)]
mod tests {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_memory_goes_back_to_the_system() {
        fn resident_kib() -> u64 {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
                .unwrap()
        }
        // 80 MB in small blocks (below the mmap threshold, so they live in
        // a heap), one in ten kept: the heap cannot shrink from its top, so
        // the free runs between the kept blocks stay resident until a trim.
        let blocks: Vec<Vec<u8>> = (0..40_000).map(|i| vec![i as u8; 2000]).collect();
        let kept: Vec<Vec<u8>> = blocks
            .into_iter()
            .enumerate()
            .filter_map(|(i, b)| (i % 10 == 0).then_some(b))
            .collect();
        let before = resident_kib();
        super::trim();
        let after = resident_kib();
        assert!(
            before.saturating_sub(after) > 30_000,
            "a trim gave back only {} KiB ({before} → {after})",
            before.saturating_sub(after)
        );
        assert_eq!(kept.len(), 4_000);
        assert!(kept.iter().enumerate().all(|(i, b)| b[0] == (i * 10) as u8));
    }
}
