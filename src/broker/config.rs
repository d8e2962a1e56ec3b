//! Java's `BrokerConfig`: every key of 4.9.7 with its default. Keys the broker does not act on
//! yet are still accepted and reported by GET_BROKER_CONFIG, so an operator's existing
//! broker.conf works unchanged.

use crate::config::{cpus, env_default, local_address, local_host_name};

crate::java_config! {
    /// Broker identity, features and limits (`BrokerConfig`).
    pub struct BrokerConfig {
        rocketmq_home: String = "rocketmqHome" => env_default("ROCKETMQ_HOME", "rocketmq.home.dir"),
        /// NameServer addresses, `;`-separated.
        namesrv_addr: String = "namesrvAddr" => env_default("NAMESRV_ADDR", "rocketmq.namesrv.addr"),
        /// The address advertised to clients.
        broker_ip1: String = "brokerIP1" => local_address(),
        /// The address advertised for HA (haServerAddr).
        broker_ip2: String = "brokerIP2" => local_address(),
        broker_name: String = "brokerName" => local_host_name(),
        broker_cluster_name: String = "brokerClusterName" => "DefaultCluster".to_string(),
        /// 0 is the master; slaves use 1, 2, ...
        broker_id: i64 = "brokerId" => 0,
        /// PERM_READ | PERM_WRITE (6).
        broker_permission: i32 = "brokerPermission" => 6,
        default_topic_queue_nums: i32 = "defaultTopicQueueNums" => 8,
        auto_create_topic_enable: bool = "autoCreateTopicEnable" => true,
        cluster_topic_enable: bool = "clusterTopicEnable" => true,
        broker_topic_enable: bool = "brokerTopicEnable" => true,
        auto_create_subscription_group: bool = "autoCreateSubscriptionGroup" => true,
        message_store_plug_in: String = "messageStorePlugIn" => String::new(),
        msg_trace_topic_name: String = "msgTraceTopicName" => "RMQ_SYS_TRACE_TOPIC".to_string(),
        trace_topic_enable: bool = "traceTopicEnable" => false,
        send_message_thread_pool_nums: i32 = "sendMessageThreadPoolNums" => cpus().min(4),
        put_message_future_thread_pool_nums: i32 = "putMessageFutureThreadPoolNums" => cpus().min(4),
        pull_message_thread_pool_nums: i32 = "pullMessageThreadPoolNums" => 16 + cpus() * 2,
        process_reply_message_thread_pool_nums: i32 = "processReplyMessageThreadPoolNums" => 16 + cpus() * 2,
        query_message_thread_pool_nums: i32 = "queryMessageThreadPoolNums" => 8 + cpus(),
        admin_broker_thread_pool_nums: i32 = "adminBrokerThreadPoolNums" => 16,
        client_manage_thread_pool_nums: i32 = "clientManageThreadPoolNums" => 32,
        consumer_manage_thread_pool_nums: i32 = "consumerManageThreadPoolNums" => 32,
        heartbeat_thread_pool_nums: i32 = "heartbeatThreadPoolNums" => cpus().min(32),
        end_transaction_thread_pool_nums: i32 = "endTransactionThreadPoolNums" => (8 + cpus() * 2).max(cpus().min(4) * 4),
        flush_consumer_offset_interval: i32 = "flushConsumerOffsetInterval" => 1000 * 5,
        flush_consumer_offset_history_interval: i32 = "flushConsumerOffsetHistoryInterval" => 1000 * 60,
        reject_transaction_message: bool = "rejectTransactionMessage" => false,
        fetch_namesrv_addr_by_address_server: bool = "fetchNamesrvAddrByAddressServer" => false,
        send_thread_pool_queue_capacity: i32 = "sendThreadPoolQueueCapacity" => 10000,
        put_thread_pool_queue_capacity: i32 = "putThreadPoolQueueCapacity" => 10000,
        pull_thread_pool_queue_capacity: i32 = "pullThreadPoolQueueCapacity" => 100000,
        reply_thread_pool_queue_capacity: i32 = "replyThreadPoolQueueCapacity" => 10000,
        query_thread_pool_queue_capacity: i32 = "queryThreadPoolQueueCapacity" => 20000,
        client_manager_thread_pool_queue_capacity: i32 = "clientManagerThreadPoolQueueCapacity" => 1000000,
        consumer_manager_thread_pool_queue_capacity: i32 = "consumerManagerThreadPoolQueueCapacity" => 1000000,
        heartbeat_thread_pool_queue_capacity: i32 = "heartbeatThreadPoolQueueCapacity" => 50000,
        end_transaction_pool_queue_capacity: i32 = "endTransactionPoolQueueCapacity" => 100000,
        filter_server_nums: i32 = "filterServerNums" => 0,
        long_polling_enable: bool = "longPollingEnable" => true,
        short_polling_time_mills: i64 = "shortPollingTimeMills" => 1000,
        notify_consumer_ids_changed_enable: bool = "notifyConsumerIdsChangedEnable" => true,
        high_speed_mode: bool = "highSpeedMode" => false,
        commercial_enable: bool = "commercialEnable" => true,
        commercial_timer_count: i32 = "commercialTimerCount" => 1,
        commercial_trans_count: i32 = "commercialTransCount" => 1,
        commercial_big_count: i32 = "commercialBigCount" => 1,
        commercial_base_count: i32 = "commercialBaseCount" => 1,
        transfer_msg_by_heap: bool = "transferMsgByHeap" => true,
        max_delay_time: i32 = "maxDelayTime" => 40,
        region_id: String = "regionId" => "DefaultRegion".to_string(),
        register_broker_timeout_mills: i32 = "registerBrokerTimeoutMills" => 6000,
        slave_read_enable: bool = "slaveReadEnable" => false,
        disable_consume_if_consumer_read_slowly: bool = "disableConsumeIfConsumerReadSlowly" => false,
        consumer_fallbehind_threshold: i64 = "consumerFallbehindThreshold" => 16 * 1024 * 1024 * 1024,
        broker_fast_failure_enable: bool = "brokerFastFailureEnable" => true,
        wait_time_mills_in_send_queue: i64 = "waitTimeMillsInSendQueue" => 200,
        wait_time_mills_in_pull_queue: i64 = "waitTimeMillsInPullQueue" => 5 * 1000,
        wait_time_mills_in_heartbeat_queue: i64 = "waitTimeMillsInHeartbeatQueue" => 31 * 1000,
        wait_time_mills_in_transaction_queue: i64 = "waitTimeMillsInTransactionQueue" => 3 * 1000,
        start_accept_send_request_time_stamp: i64 = "startAcceptSendRequestTimeStamp" => 0,
        trace_on: bool = "traceOn" => true,
        enable_calc_filter_bit_map: bool = "enableCalcFilterBitMap" => false,
        expect_consumer_num_use_filter: i32 = "expectConsumerNumUseFilter" => 32,
        max_error_rate_of_bloom_filter: i32 = "maxErrorRateOfBloomFilter" => 20,
        filter_data_clean_time_span: i64 = "filterDataCleanTimeSpan" => 24 * 3600 * 1000,
        filter_support_retry: bool = "filterSupportRetry" => false,
        enable_property_filter: bool = "enablePropertyFilter" => false,
        compressed_register: bool = "compressedRegister" => false,
        force_register: bool = "forceRegister" => true,
        register_name_server_period: i32 = "registerNameServerPeriod" => 1000 * 30,
        transaction_time_out: i64 = "transactionTimeOut" => 6 * 1000,
        transaction_check_max: i32 = "transactionCheckMax" => 15,
        transaction_check_interval: i64 = "transactionCheckInterval" => 60 * 1000,
        acl_enable: bool = "aclEnable" => false,
        store_reply_message_enable: bool = "storeReplyMessageEnable" => true,
        enable_detail_stat: bool = "enableDetailStat" => true,
        auto_delete_unused_stats: bool = "autoDeleteUnusedStats" => false,
        isolate_log_enable: bool = "isolateLogEnable" => false,
    }
}

impl BrokerConfig {
    /// The NameServer addresses of `namesrvAddr`, in order, blanks dropped.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrv_addr
            .split(';')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{apply, properties, JavaConfig};

    #[test]
    fn defaults_and_keys_match_java() {
        let c = BrokerConfig::default();
        assert_eq!(c.broker_cluster_name, "DefaultCluster");
        assert_eq!(c.default_topic_queue_nums, 8);
        assert_eq!(c.register_name_server_period, 30_000);
        assert_eq!(c.consumer_fallbehind_threshold, 17_179_869_184);
        assert_eq!(c.transaction_check_max, 15);
        assert_eq!(
            BrokerConfig::KEYS.len(),
            80,
            "BrokerConfig 4.9.7 has 80 fields"
        );
        assert!(c
            .entries()
            .iter()
            .any(|(k, v)| *k == "brokerPermission" && v == "6"));
    }

    #[test]
    fn reads_the_golden_broker_configs() {
        let Some(golden) = crate::testkit::golden_or_skip("broker config: golden properties")
        else {
            return;
        };
        let text = std::fs::read_to_string(golden.join("conf/broker-main.properties")).unwrap();
        let mut c = BrokerConfig::default();
        let warnings = apply(&properties::parse(&text), &mut [&mut c]);
        assert!(c.enable_property_filter);
        assert_eq!(c.transaction_check_interval, 5000);
        assert_eq!(c.namesrv_addrs(), vec!["127.0.0.1:9876".to_string()]);
        // The file also has store and transport keys, which BrokerConfig alone does not know.
        assert!(
            warnings.iter().all(|w| w.starts_with("unknown config key")),
            "{warnings:?}"
        );
    }
}
