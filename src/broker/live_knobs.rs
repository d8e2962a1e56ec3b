//! The configuration keys UPDATE_BROKER_CONFIG changes without a restart.
//!
//! Java sets the config objects' fields by reflection and its handlers call the getters at
//! each use, so most keys take effect at once. Here the start-up copies (`Broker::config`,
//! `Broker::store_config`) stay fixed, and the keys an operator changes at runtime live in
//! [`LiveKnobs`]: one atomic each, so the send and pull paths pay a relaxed load and no lock.
//! `Broker::apply_live_settings` refreshes them (and the copies the topic table, the
//! subscription groups and the store keep) after each UPDATE_BROKER_CONFIG.
//!
//! Live here: brokerPermission, autoCreateTopicEnable, autoCreateSubscriptionGroup,
//! slaveReadEnable, rejectTransactionMessage, longPollingEnable,
//! notifyConsumerIdsChangedEnable, shortPollingTimeMills, transactionTimeOut,
//! transactionCheckMax, transactionCheckInterval, maxMessageSize, defaultQueryMaxNum,
//! fileReservedTime; in the store's pull path accessMessageInMemoryMaxRatio and the four
//! maxTransfer{Bytes,Count}OnMessageIn{Memory,Disk} limits; in its retention pass deleteWhen,
//! diskMaxUsedSpaceRatio, cleanFileForciblyEnable, deleteCommitLogFilesInterval and
//! cleanResourceInterval.
//!
//! Every other key is stored, reported by GET_BROKER_CONFIG and written to the properties
//! file, but takes effect at the next start: thread pool sizes and queue capacities, ports,
//! addresses and names, paths, file sizes, flush type and intervals, broker role and id, HA
//! settings (Java reads most of these once, at start-up, too).

use super::settings::BrokerSettings;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering::Relaxed};

/// The runtime-changeable switches and limits, read with a relaxed atomic load: they order no
/// other memory, and a request that sees the old value a moment after the update behaves as
/// one that arrived a moment earlier.
#[derive(Debug)]
pub struct LiveKnobs {
    broker_permission: AtomicI32,
    auto_create_topic_enable: AtomicBool,
    auto_create_subscription_group: AtomicBool,
    slave_read_enable: AtomicBool,
    reject_transaction_message: AtomicBool,
    long_polling_enable: AtomicBool,
    notify_consumer_ids_changed_enable: AtomicBool,
    short_polling_time_mills: AtomicI64,
    transaction_time_out: AtomicI64,
    transaction_check_max: AtomicI32,
    transaction_check_interval: AtomicI64,
    max_message_size: AtomicI32,
    default_query_max_num: AtomicI32,
    file_reserved_time: AtomicI32,
}

impl LiveKnobs {
    pub fn new(settings: &BrokerSettings) -> LiveKnobs {
        let knobs = LiveKnobs {
            broker_permission: AtomicI32::new(0),
            auto_create_topic_enable: AtomicBool::new(false),
            auto_create_subscription_group: AtomicBool::new(false),
            slave_read_enable: AtomicBool::new(false),
            reject_transaction_message: AtomicBool::new(false),
            long_polling_enable: AtomicBool::new(false),
            notify_consumer_ids_changed_enable: AtomicBool::new(false),
            short_polling_time_mills: AtomicI64::new(0),
            transaction_time_out: AtomicI64::new(0),
            transaction_check_max: AtomicI32::new(0),
            transaction_check_interval: AtomicI64::new(0),
            max_message_size: AtomicI32::new(0),
            default_query_max_num: AtomicI32::new(0),
            file_reserved_time: AtomicI32::new(0),
        };
        knobs.refresh(settings);
        knobs
    }

    /// Takes the values of `settings` (the live configuration after an update).
    pub fn refresh(&self, settings: &BrokerSettings) {
        let (b, s) = (&settings.broker, &settings.store);
        self.broker_permission.store(b.broker_permission, Relaxed);
        self.auto_create_topic_enable
            .store(b.auto_create_topic_enable, Relaxed);
        self.auto_create_subscription_group
            .store(b.auto_create_subscription_group, Relaxed);
        self.slave_read_enable.store(b.slave_read_enable, Relaxed);
        self.reject_transaction_message
            .store(b.reject_transaction_message, Relaxed);
        self.long_polling_enable
            .store(b.long_polling_enable, Relaxed);
        self.notify_consumer_ids_changed_enable
            .store(b.notify_consumer_ids_changed_enable, Relaxed);
        self.short_polling_time_mills
            .store(b.short_polling_time_mills, Relaxed);
        self.transaction_time_out
            .store(b.transaction_time_out, Relaxed);
        self.transaction_check_max
            .store(b.transaction_check_max, Relaxed);
        self.transaction_check_interval
            .store(b.transaction_check_interval, Relaxed);
        self.max_message_size.store(s.max_message_size, Relaxed);
        self.default_query_max_num
            .store(s.default_query_max_num, Relaxed);
        self.file_reserved_time.store(s.file_reserved_time, Relaxed);
    }

    /// `brokerPermission` as UPDATE_BROKER_CONFIG last set it (an admin can make a broker
    /// read-only at runtime, as `mqadmin updateBrokerConfig -k brokerPermission -v 4`).
    pub fn broker_permission(&self) -> i32 {
        self.broker_permission.load(Relaxed)
    }

    pub fn auto_create_topic_enable(&self) -> bool {
        self.auto_create_topic_enable.load(Relaxed)
    }

    pub fn auto_create_subscription_group(&self) -> bool {
        self.auto_create_subscription_group.load(Relaxed)
    }

    pub fn slave_read_enable(&self) -> bool {
        self.slave_read_enable.load(Relaxed)
    }

    pub fn reject_transaction_message(&self) -> bool {
        self.reject_transaction_message.load(Relaxed)
    }

    pub fn long_polling_enable(&self) -> bool {
        self.long_polling_enable.load(Relaxed)
    }

    pub fn notify_consumer_ids_changed_enable(&self) -> bool {
        self.notify_consumer_ids_changed_enable.load(Relaxed)
    }

    /// `shortPollingTimeMills`: how long a pull is held when long polling is off.
    pub fn short_polling_time_mills(&self) -> i64 {
        self.short_polling_time_mills.load(Relaxed)
    }

    /// `transactionTimeOut`: how old a half message must be before it is checked back.
    pub fn transaction_time_out(&self) -> i64 {
        self.transaction_time_out.load(Relaxed)
    }

    /// `transactionCheckMax`: check-backs before a half message is discarded.
    pub fn transaction_check_max(&self) -> i32 {
        self.transaction_check_max.load(Relaxed)
    }

    /// `transactionCheckInterval`: the pause between two check passes.
    pub fn transaction_check_interval(&self) -> i64 {
        self.transaction_check_interval.load(Relaxed)
    }

    /// `maxMessageSize` (a store key): the body limit the store enforces and the send
    /// path's MESSAGE_ILLEGAL remark reports.
    pub fn max_message_size(&self) -> i32 {
        self.max_message_size.load(Relaxed)
    }

    pub fn default_query_max_num(&self) -> i32 {
        self.default_query_max_num.load(Relaxed)
    }

    /// `fileReservedTime` in hours (retention, and the transaction check's discard age).
    pub fn file_reserved_time(&self) -> i32 {
        self.file_reserved_time.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_takes_every_knob() {
        let mut s = BrokerSettings::default();
        let knobs = LiveKnobs::new(&s);
        assert_eq!(knobs.broker_permission(), 6);
        assert!(knobs.auto_create_topic_enable() && knobs.long_polling_enable());
        assert_eq!(knobs.max_message_size(), 4 * 1024 * 1024);
        s.broker.broker_permission = 4;
        s.broker.auto_create_topic_enable = false;
        s.broker.auto_create_subscription_group = false;
        s.broker.slave_read_enable = true;
        s.broker.reject_transaction_message = true;
        s.broker.long_polling_enable = false;
        s.broker.notify_consumer_ids_changed_enable = false;
        s.broker.short_polling_time_mills = 250;
        s.broker.transaction_time_out = 1_000;
        s.broker.transaction_check_max = 3;
        s.broker.transaction_check_interval = 2_000;
        s.store.max_message_size = 1024;
        s.store.default_query_max_num = 7;
        s.store.file_reserved_time = 1;
        knobs.refresh(&s);
        assert_eq!(knobs.broker_permission(), 4);
        assert!(!knobs.auto_create_topic_enable());
        assert!(!knobs.auto_create_subscription_group());
        assert!(knobs.slave_read_enable());
        assert!(knobs.reject_transaction_message());
        assert!(!knobs.long_polling_enable());
        assert!(!knobs.notify_consumer_ids_changed_enable());
        assert_eq!(knobs.short_polling_time_mills(), 250);
        assert_eq!(knobs.transaction_time_out(), 1_000);
        assert_eq!(knobs.transaction_check_max(), 3);
        assert_eq!(knobs.transaction_check_interval(), 2_000);
        assert_eq!(knobs.max_message_size(), 1024);
        assert_eq!(knobs.default_query_max_num(), 7);
        assert_eq!(knobs.file_reserved_time(), 1);
    }
}
