//! `DataVersion`: the (timestamp, counter) pair a broker bumps whenever its topic or subscription
//! configuration changes. The NameServer compares it to decide whether a registration carries
//! new topic configs.

crate::json_bean! {
    /// Java `org.apache.rocketmq.common.DataVersion`. `counter` is an `AtomicLong` in Java;
    /// fastjson writes it as a plain number: `{"counter":17,"timestamp":1795422984918}`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct DataVersion {
        /// Java's constructor takes the current time.
        pub timestamp: i64 = "timestamp" => now_millis(),
        pub counter: i64 = "counter",
    }
}

impl DataVersion {
    /// The (0, 0) version Java puts in a registration that came without a body.
    pub const ZERO: DataVersion = DataVersion {
        timestamp: 0,
        counter: 0,
    };

    /// Java `nextVersion()`: now, counter + 1.
    pub fn next_version(&mut self) {
        self.timestamp = now_millis();
        self.counter += 1;
    }
}

/// Milliseconds since the Unix epoch (Java `System.currentTimeMillis()`).
pub fn now_millis() -> i64 {
    crate::java::current_time_millis()
}
