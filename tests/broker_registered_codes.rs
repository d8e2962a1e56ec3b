//! Every request code a Java 4.9.7 broker registers (BrokerController.registerProcessor and
//! the AdminBrokerProcessor switch) is served: a bare request of each code gets an answer other
//! than REQUEST_CODE_NOT_SUPPORTED (usually Java's error for the missing header), except the two
//! ACL reads, which Java with ACL off never answers.

mod broker_pull_common;
mod support;

use broker_pull_common::*;
use ferrocket::remoting::{request_code as c, response_code, RemotingCommand};
use std::time::Duration;

#[rustfmt::skip]
const REGISTERED: [i32; 56] = [
    // SendMessageProcessor, PullMessageProcessor, ReplyMessageProcessor, QueryMessageProcessor.
    c::SEND_MESSAGE, c::SEND_MESSAGE_V2, c::SEND_BATCH_MESSAGE, c::CONSUMER_SEND_MSG_BACK,
    c::PULL_MESSAGE, c::SEND_REPLY_MESSAGE, c::SEND_REPLY_MESSAGE_V2, c::QUERY_MESSAGE,
    c::VIEW_MESSAGE_BY_ID,
    // ClientManageProcessor, ConsumerManageProcessor, EndTransactionProcessor.
    c::HEART_BEAT, c::UNREGISTER_CLIENT, c::CHECK_CLIENT_CONFIG, c::GET_CONSUMER_LIST_BY_GROUP,
    c::UPDATE_CONSUMER_OFFSET, c::QUERY_CONSUMER_OFFSET, c::END_TRANSACTION,
    // AdminBrokerProcessor.
    c::UPDATE_AND_CREATE_TOPIC, c::DELETE_TOPIC_IN_BROKER, c::GET_ALL_TOPIC_CONFIG,
    c::UPDATE_BROKER_CONFIG, c::GET_BROKER_CONFIG, c::SEARCH_OFFSET_BY_TIMESTAMP,
    c::GET_MAX_OFFSET, c::GET_MIN_OFFSET, c::GET_EARLIEST_MSG_STORETIME,
    c::GET_BROKER_RUNTIME_INFO, c::LOCK_BATCH_MQ, c::UNLOCK_BATCH_MQ,
    c::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, c::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
    c::DELETE_SUBSCRIPTIONGROUP, c::GET_TOPIC_STATS_INFO, c::GET_CONSUMER_CONNECTION_LIST,
    c::GET_PRODUCER_CONNECTION_LIST, c::GET_ALL_PRODUCER_INFO, c::GET_CONSUME_STATS,
    c::GET_ALL_CONSUMER_OFFSET, c::GET_ALL_DELAY_OFFSET, c::INVOKE_BROKER_TO_RESET_OFFSET,
    c::INVOKE_BROKER_TO_GET_CONSUMER_STATUS, c::QUERY_TOPIC_CONSUME_BY_WHO,
    c::QUERY_CONSUME_TIME_SPAN, c::GET_SYSTEM_TOPIC_LIST_FROM_BROKER,
    c::CLEAN_EXPIRED_CONSUMEQUEUE, c::DELETE_EXPIRED_COMMITLOG, c::CLEAN_UNUSED_TOPIC,
    c::GET_CONSUMER_RUNNING_INFO, c::QUERY_CORRECTION_OFFSET, c::CONSUME_MESSAGE_DIRECTLY,
    c::CLONE_GROUP_OFFSET, c::VIEW_BROKER_STATS_DATA, c::GET_BROKER_CONSUME_STATS,
    c::QUERY_CONSUME_QUEUE, c::UPDATE_AND_CREATE_ACL_CONFIG, c::DELETE_ACL_CONFIG,
    c::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
];

/// Registered, but Java (ACL off) sends no response.
const SILENT: [i32; 2] = [
    c::GET_BROKER_CLUSTER_ACL_INFO,
    c::GET_BROKER_CLUSTER_ACL_CONFIG,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_code_java_registers_is_served() {
    let b = TestBroker::start("registered-codes", |_| {}).await;
    let mut unserved = Vec::new();
    for code in REGISTERED {
        let resp = b.invoke(RemotingCommand::request(code, None)).await;
        if resp.code == response_code::REQUEST_CODE_NOT_SUPPORTED {
            unserved.push(code);
        }
    }
    assert!(unserved.is_empty(), "not served: {unserved:?}");
    for code in SILENT {
        let r = b
            .client
            .invoke(
                &b.addr,
                RemotingCommand::request(code, None),
                Duration::from_millis(300),
            )
            .await;
        assert!(r.is_err(), "{code} answered");
    }
    // RESUME_CHECK_HALF_MESSAGE is registered too; without a msgId it answers Java's header
    // error like the others.
    let resp = b
        .invoke(RemotingCommand::request(c::RESUME_CHECK_HALF_MESSAGE, None))
        .await;
    assert_ne!(resp.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
    // A code Java does not register: Java's answer.
    let resp = b.invoke(RemotingCommand::request(13, None)).await;
    assert_eq!(resp.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
    assert_eq!(
        resp.remark.as_deref(),
        Some(" request type 13 not supported")
    );
    b.shutdown().await;
}
