//! The store keys that bound one pull's batch, changeable at runtime (Java's `getMessage`
//! reads them from the config object at each call, so `mqadmin updateBrokerConfig` applies
//! them at once): one relaxed atomic each, so the pull path takes no lock for them.

use super::config::MessageStoreConfig;
use std::sync::atomic::{AtomicI32, Ordering::Relaxed};

#[derive(Debug)]
pub struct PullLimits {
    /// `accessMessageInMemoryMaxRatio`: the share of physical memory (percent) behind the
    /// CommitLog's end that counts as "in memory" (hot) rather than "in disk" (cold).
    access_message_in_memory_max_ratio: AtomicI32,
    max_transfer_bytes_on_message_in_memory: AtomicI32,
    max_transfer_count_on_message_in_memory: AtomicI32,
    max_transfer_bytes_on_message_in_disk: AtomicI32,
    max_transfer_count_on_message_in_disk: AtomicI32,
}

impl PullLimits {
    pub fn new(config: &MessageStoreConfig) -> PullLimits {
        let limits = PullLimits {
            access_message_in_memory_max_ratio: AtomicI32::new(0),
            max_transfer_bytes_on_message_in_memory: AtomicI32::new(0),
            max_transfer_count_on_message_in_memory: AtomicI32::new(0),
            max_transfer_bytes_on_message_in_disk: AtomicI32::new(0),
            max_transfer_count_on_message_in_disk: AtomicI32::new(0),
        };
        limits.refresh(config);
        limits
    }

    pub fn refresh(&self, c: &MessageStoreConfig) {
        self.access_message_in_memory_max_ratio
            .store(c.access_message_in_memory_max_ratio, Relaxed);
        self.max_transfer_bytes_on_message_in_memory
            .store(c.max_transfer_bytes_on_message_in_memory, Relaxed);
        self.max_transfer_count_on_message_in_memory
            .store(c.max_transfer_count_on_message_in_memory, Relaxed);
        self.max_transfer_bytes_on_message_in_disk
            .store(c.max_transfer_bytes_on_message_in_disk, Relaxed);
        self.max_transfer_count_on_message_in_disk
            .store(c.max_transfer_count_on_message_in_disk, Relaxed);
    }

    /// The bytes behind the CommitLog's end still taken as in memory, for a machine with
    /// `total_physical_memory` bytes.
    pub fn memory_window(&self, total_physical_memory: u64) -> f64 {
        total_physical_memory as f64
            * (self.access_message_in_memory_max_ratio.load(Relaxed) as f64 / 100.0)
    }

    /// (max bytes, max messages) of one batch read from memory or from disk.
    pub fn batch_bounds(&self, in_disk: bool) -> (i32, i32) {
        if in_disk {
            (
                self.max_transfer_bytes_on_message_in_disk.load(Relaxed),
                self.max_transfer_count_on_message_in_disk.load(Relaxed),
            )
        } else {
            (
                self.max_transfer_bytes_on_message_in_memory.load(Relaxed),
                self.max_transfer_count_on_message_in_memory.load(Relaxed),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_takes_every_limit() {
        let mut c = MessageStoreConfig::default();
        let limits = PullLimits::new(&c);
        assert_eq!(limits.batch_bounds(false), (256 * 1024, 32));
        assert_eq!(limits.batch_bounds(true), (64 * 1024, 8));
        assert_eq!(limits.memory_window(1000), 400.0);
        c.access_message_in_memory_max_ratio = 10;
        c.max_transfer_bytes_on_message_in_memory = 1000;
        c.max_transfer_count_on_message_in_memory = 3;
        c.max_transfer_bytes_on_message_in_disk = 500;
        c.max_transfer_count_on_message_in_disk = 2;
        limits.refresh(&c);
        assert_eq!(limits.batch_bounds(false), (1000, 3));
        assert_eq!(limits.batch_bounds(true), (500, 2));
        assert_eq!(limits.memory_window(1000), 100.0);
    }
}
