//! The spool (`ingress.spool_dir`, reliability promise 8): when the broker
//! cannot confirm a message, ingress appends it to a local file, fsyncs,
//! and answers 2xx; a drainer publishes the spooled messages, in order, as
//! soon as the broker is back, and deletes what was confirmed. While the
//! spool holds anything, new messages go through it too, so a sender's
//! messages keep their order. It survives an ingress restart: the files are
//! read again at start.
//!
//! Layout: segment files `<number>.spool`, appended by requests and drained
//! oldest first; the drainer seals the segment being appended before it
//! drains it. A record is `[length u32 LE][check u32][protobuf RawWebhook]`,
//! the check being the first four bytes of the bytes' SHA-256; a torn record
//! at the end of a segment (a crash mid-append, never answered 2xx) ends it.
//! A crash after a publish but before the deletion publishes those messages
//! again at start: delivery keeps message ids, so nothing is posted twice.

use inlet_bus::{Hop, Publisher};
use inlet_proto::Message;
use inlet_proto::v1::RawWebhook;
use prometheus::{IntCounter, IntGauge};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const EXTENSION: &str = "spool";
/// Largest record accepted when reading back (a corrupt length ends a segment).
const MAX_RECORD: usize = 64 * 1024 * 1024;

pub struct Spool {
    dir: PathBuf,
    appending: Mutex<Appending>,
    /// Records appended and not yet confirmed by the broker.
    held: AtomicU64,
    wake: tokio::sync::Notify,
    pub gauge: IntGauge,
    pub spooled: IntCounter,
}

struct Appending {
    /// The segment requests append to, opened on first use.
    open: Option<(u64, File)>,
    next_segment: u64,
}

fn check(bytes: &[u8]) -> u32 {
    let digest = Sha256::digest(bytes);
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn segment_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:020}.{EXTENSION}"))
}

/// The segment files of `dir`, oldest first.
fn segments(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) {
            continue;
        }
        if let Some(number) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok())
        {
            found.push((number, path));
        }
    }
    found.sort();
    Ok(found)
}

/// Every whole record of a segment, in order.
pub fn read_segment(path: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    let mut records = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let length =
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let expected =
            u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        let start = at + 8;
        if length > MAX_RECORD || start + length > bytes.len() {
            break; // torn at the end
        }
        let record = &bytes[start..start + length];
        if check(record) != expected {
            break;
        }
        records.push(record.to_vec());
        at = start + length;
    }
    Ok(records)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Spool {
    /// Opens (creating if needed) the spool directory and counts what an
    /// earlier run left in it.
    pub fn open(dir: &Path, gauge: IntGauge, spooled: IntCounter) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let existing = segments(dir)?;
        let mut held = 0u64;
        for (_, path) in &existing {
            held += read_segment(path)?.len() as u64;
        }
        let next_segment = existing.last().map_or(1, |(n, _)| n + 1);
        if held > 0 {
            tracing::warn!(
                messages = held,
                "the spool holds messages from an earlier run; draining them first"
            );
        }
        gauge.set(held as i64);
        Ok(Self {
            dir: dir.to_path_buf(),
            appending: Mutex::new(Appending {
                open: None,
                next_segment,
            }),
            held: AtomicU64::new(held),
            wake: tokio::sync::Notify::new(),
            gauge,
            spooled,
        })
    }

    /// Whether anything waits to be published (new messages then queue behind it).
    pub fn holds_anything(&self) -> bool {
        self.held.load(Ordering::Acquire) > 0
    }

    pub fn held(&self) -> u64 {
        self.held.load(Ordering::Acquire)
    }

    /// Whether a message could be spooled now (readiness).
    pub fn writable(&self) -> bool {
        let probe = self.dir.join(".probe");
        let ok = std::fs::write(&probe, b"ok").is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    }

    /// Appends a record and makes it durable (blocking: call from a
    /// blocking thread).
    fn append_blocking(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut appending = self
            .appending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if appending.open.is_none() {
            let number = appending.next_segment;
            appending.next_segment += 1;
            let file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(segment_path(&self.dir, number))?;
            sync_dir(&self.dir)?;
            appending.open = Some((number, file));
        }
        let Some((_, file)) = appending.open.as_mut() else {
            return Err(std::io::Error::other("no open segment"));
        };
        let mut record = Vec::with_capacity(bytes.len() + 8);
        record.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        record.extend_from_slice(&check(bytes).to_le_bytes());
        record.extend_from_slice(bytes);
        file.write_all(&record)?;
        file.sync_data()?;
        // Counted under the lock: the drainer seals under it too.
        let held = self.held.fetch_add(1, Ordering::AcqRel) + 1;
        self.gauge.set(held as i64);
        self.spooled.inc();
        Ok(())
    }

    /// Appends `raw` durably; `Ok` means it may be answered 2xx.
    pub async fn append(self: &std::sync::Arc<Self>, raw: Vec<u8>) -> std::io::Result<()> {
        let spool = self.clone();
        let result = tokio::task::spawn_blocking(move || spool.append_blocking(&raw))
            .await
            .map_err(std::io::Error::other)?;
        self.wake.notify_one();
        result
    }

    /// Seals the segment being appended (the next append opens a new one)
    /// and returns the sealed segments, oldest first.
    fn seal(&self) -> std::io::Result<Vec<(u64, PathBuf)>> {
        let mut appending = self
            .appending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        appending.open = None;
        segments(&self.dir)
    }

    /// Publishes what the spool holds whenever the broker is connected,
    /// until `cancel`.
    pub async fn drain(
        self: std::sync::Arc<Self>,
        publisher: std::sync::Arc<Publisher>,
        shards: u16,
        cancel: CancellationToken,
    ) {
        loop {
            if cancel.is_cancelled() {
                return;
            }
            if !self.holds_anything() {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
            if !publisher.is_connected() {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
                continue;
            }
            if let Err(error) = self.drain_once(&publisher, shards, &cancel).await {
                tracing::warn!(%error, held = self.held(), "spool drain interrupted; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    }

    /// Drains every sealed segment, oldest first, one confirmed publish at
    /// a time (order is the point).
    async fn drain_once(
        self: &std::sync::Arc<Self>,
        publisher: &Publisher,
        shards: u16,
        cancel: &CancellationToken,
    ) -> anyhow::Result<()> {
        let dir = self.dir.clone();
        let spool = self.clone();
        let sealed = tokio::task::spawn_blocking(move || spool.seal()).await??;
        for (_, path) in sealed {
            let reading = path.clone();
            let records = tokio::task::spawn_blocking(move || read_segment(&reading)).await??;
            for record in &records {
                if cancel.is_cancelled() {
                    anyhow::bail!("shutting down");
                }
                let raw = RawWebhook::decode(record.as_slice())?;
                let shard = inlet_core::shard_of(&raw.ordering_key, shards);
                let properties = inlet_bus::properties(Some(&raw.message_id))
                    .with_timestamp((raw.received_at_micros / 1_000_000) as u64);
                publisher
                    .publish(Hop::Raw, shard, record, properties)
                    .await
                    .map_err(|e| anyhow::anyhow!("publishing a spooled message: {e}"))?;
            }
            let removing = dir.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::remove_file(&path)?;
                sync_dir(&removing)
            })
            .await??;
            let held = self
                .held
                .fetch_sub(records.len() as u64, Ordering::AcqRel)
                .saturating_sub(records.len() as u64);
            self.gauge.set(held as i64);
            tracing::info!(drained = records.len(), held, "spooled messages published");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spool(dir: &Path) -> Spool {
        Spool::open(
            dir,
            IntGauge::new("g", "g").unwrap(),
            IntCounter::new("c", "c").unwrap(),
        )
        .unwrap()
    }

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("inlet-spool-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn records_come_back_in_order_after_a_reopen() {
        let dir = temp_dir();
        let first = spool(&dir);
        for i in 0..5u8 {
            first.append_blocking(&[i; 10]).unwrap();
        }
        assert_eq!(first.held(), 5);
        drop(first);
        let again = spool(&dir);
        assert_eq!(again.held(), 5, "counted again at start");
        let sealed = again.seal().unwrap();
        assert_eq!(sealed.len(), 1);
        let records = read_segment(&sealed[0].1).unwrap();
        assert_eq!(records, (0..5u8).map(|i| vec![i; 10]).collect::<Vec<_>>());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_torn_or_corrupt_tail_ends_the_segment() {
        let dir = temp_dir();
        let s = spool(&dir);
        s.append_blocking(b"whole").unwrap();
        s.append_blocking(b"also whole").unwrap();
        let path = s.seal().unwrap()[0].1.clone();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        // A record header promising more bytes than were written.
        file.write_all(&100u32.to_le_bytes()).unwrap();
        file.write_all(&[1, 2, 3, 4, 5, 6]).unwrap();
        drop(file);
        assert_eq!(
            read_segment(&path).unwrap(),
            vec![b"whole".to_vec(), b"also whole".to_vec()]
        );
        // A flipped byte inside the second record: only the first survives.
        let mut bytes = std::fs::read(&path).unwrap();
        let second = 8 + 5 + 8;
        bytes[second] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(read_segment(&path).unwrap(), vec![b"whole".to_vec()]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn appends_after_a_seal_go_to_a_new_segment() {
        let dir = temp_dir();
        let s = spool(&dir);
        s.append_blocking(b"a").unwrap();
        assert_eq!(s.seal().unwrap().len(), 1);
        s.append_blocking(b"b").unwrap();
        let sealed = s.seal().unwrap();
        assert_eq!(sealed.len(), 2);
        assert!(sealed[0].0 < sealed[1].0);
        assert_eq!(read_segment(&sealed[1].1).unwrap(), vec![b"b".to_vec()]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
