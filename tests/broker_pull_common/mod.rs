//! Shared helpers of the `broker_pull_*` tests: a test broker with topics, messages put straight
//! into its store, and typed PULL_MESSAGE / offset requests over TCP.
#![allow(dead_code)]

use ferrocket::broker::runtime::RunningBroker;
use ferrocket::broker::settings::BrokerSettings;
use ferrocket::protocol::body::TopicConfig;
use ferrocket::protocol::header::PullMessageRequestHeader;
use ferrocket::protocol::topic::perm;
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{request_code, ClientConfig, RemotingClient, RemotingCommand};
use ferrocket::store::message::MessageExtBrokerInner;
use std::path::PathBuf;
use std::time::Duration;

// The including test binary declares `mod support;` too (one copy per binary).
use crate::support::TempDir;

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// `PullSysFlag` bits.
pub const FLAG_COMMIT_OFFSET: i32 = 1;
pub const FLAG_SUSPEND: i32 = 2;
pub const FLAG_SUBSCRIPTION: i32 = 4;

pub struct TestBroker {
    pub running: RunningBroker,
    pub client: RemotingClient,
    pub addr: String,
    pub dir: PathBuf,
    /// The temp dir `dir` lives in when this broker made it ([`TestBroker::start`]): removed
    /// when the broker is dropped, pass or fail. Last field, so it goes after the broker.
    scratch: Option<TempDir>,
}

/// A stopped broker's store, kept to reopen with [`TestBroker::reopen`]; its temp dir (if the
/// broker made one) is removed when this is dropped.
pub struct KeptStore {
    pub dir: PathBuf,
    scratch: Option<TempDir>,
}

impl TestBroker {
    /// A broker on a fresh store in a temp dir named after `name`, removed when it is dropped.
    pub async fn start(name: &str, tweak: impl FnOnce(&mut BrokerSettings)) -> TestBroker {
        let scratch = TempDir::new(name);
        let mut b = Self::start_in(scratch.path().to_path_buf(), tweak).await;
        b.scratch = Some(scratch);
        b
    }

    /// A broker on the store in `dir`, which the caller owns (and removes).
    pub async fn start_in(dir: PathBuf, tweak: impl FnOnce(&mut BrokerSettings)) -> TestBroker {
        let running = ferrocket::testkit::start_test_broker(&dir, tweak).await;
        let addr = running.local_addrs[0].to_string();
        TestBroker {
            running,
            client: RemotingClient::new(ClientConfig::default()),
            addr,
            dir,
            scratch: None,
        }
    }

    /// A broker on a store an earlier one left with [`TestBroker::stop_keeping_store`].
    pub async fn reopen(store: KeptStore, tweak: impl FnOnce(&mut BrokerSettings)) -> TestBroker {
        let mut b = Self::start_in(store.dir, tweak).await;
        b.scratch = store.scratch;
        b
    }

    pub fn create_topic(&self, topic: &str, queues: i32) {
        self.running
            .broker
            .topics
            .update(TopicConfig::new(
                topic,
                queues,
                queues,
                perm::READ | perm::WRITE,
            ))
            .expect("topic created");
    }

    /// Stores a message (tags optional) and waits until pulls can see it; returns its
    /// CommitLog offset.
    pub fn put(&self, topic: &str, queue_id: i32, body: &[u8], tags: Option<&str>) -> i64 {
        let mut msg = MessageExtBrokerInner::new(topic, queue_id, body.to_vec());
        if let Some(t) = tags {
            msg.properties_string = format!("TAGS\u{1}{t}");
        }
        msg.born_timestamp = 1_700_000_000_000;
        let store = &self.running.broker.store;
        let r = store.put_message(msg);
        let append = r.append.expect("message stored");
        assert!(store.wait_dispatched(TIMEOUT));
        append.wrote_offset
    }

    /// The stored record at a CommitLog offset, as bytes.
    pub fn record(&self, phy_offset: i64) -> Vec<u8> {
        self.running
            .broker
            .store
            .look_message_by_offset(phy_offset)
            .expect("record exists")
            .to_vec()
    }

    pub async fn invoke(&self, request: RemotingCommand) -> RemotingCommand {
        self.client
            .invoke(&self.addr, request, TIMEOUT)
            .await
            .expect("response")
    }

    pub async fn pull(&self, header: &PullMessageRequestHeader) -> RemotingCommand {
        self.invoke(pull_request(header)).await
    }

    /// Stops the broker; its temp dir, if it made one, goes with it.
    pub async fn shutdown(self) {
        drop(self.stop_keeping_store().await);
    }

    /// Stops the broker and returns its store, left in place to reopen.
    pub async fn stop_keeping_store(self) -> KeptStore {
        self.client.shutdown();
        self.running.shutdown().await;
        KeptStore {
            dir: self.dir,
            scratch: self.scratch,
        }
    }
}

pub fn pull_request(header: &PullMessageRequestHeader) -> RemotingCommand {
    RemotingCommand::request(request_code::PULL_MESSAGE, Some(header.to_ext_fields()))
}

/// A pull of `group` on `topic`/`queue_id` from `offset` carrying its subscription (as pull
/// consumers send it), no suspend.
pub fn pull_header(
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    sub: &str,
) -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: FLAG_SUBSCRIPTION,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some(sub.into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        bname: None,
    }
}

/// `(nextBeginOffset, minOffset, maxOffset, suggestWhichBrokerId)` of a pull response.
pub fn offsets(resp: &RemotingCommand) -> (i64, i64, i64, i64) {
    let h: ferrocket::protocol::header::PullMessageResponseHeader =
        read_header(resp).expect("pull response header");
    (
        h.next_begin_offset,
        h.min_offset,
        h.max_offset,
        h.suggest_which_broker_id,
    )
}
