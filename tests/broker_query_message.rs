//! QUERY_MESSAGE and VIEW_MESSAGE_BY_ID over TCP against messages stored with known keys:
//! which records a key finds, within which time range, how maxNum and the unique-key flag cap
//! the answer, and that a view by offset returns the stored bytes.

mod broker_pull_common;
mod support;

use broker_pull_common::*;
use ferrocket::protocol::header::{QueryMessageRequestHeader, QueryMessageResponseHeader};
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{request_code, response_code, ExtFields, RemotingCommand};
use ferrocket::store::message::{MessageExtBrokerInner, StoredRecord};
use std::collections::BTreeSet;

/// Stores a message with KEYS `keys` and UNIQ_KEY `uniq`; returns its CommitLog offset.
fn put_keyed(b: &TestBroker, topic: &str, keys: &str, uniq: &str) -> i64 {
    let mut msg = MessageExtBrokerInner::new(topic, 0, format!("body of {keys}").into_bytes());
    msg.properties_string = format!("KEYS\u{1}{keys}\u{2}UNIQ_KEY\u{1}{uniq}\u{2}");
    msg.born_timestamp = 1_700_000_000_000;
    let store = &b.running.broker.store;
    let offset = store.put_message(msg).append.expect("stored").wrote_offset;
    assert!(store.wait_dispatched(TIMEOUT));
    offset
}

fn query(
    topic: &str,
    key: &str,
    max_num: i32,
    begin: i64,
    end: i64,
    unique: bool,
) -> RemotingCommand {
    let mut ext: ExtFields = QueryMessageRequestHeader {
        topic: topic.into(),
        key: key.into(),
        max_num,
        begin_timestamp: begin,
        end_timestamp: end,
    }
    .to_ext_fields();
    ext.insert("_UNIQUE_KEY_QUERY", unique.to_string());
    RemotingCommand::request(request_code::QUERY_MESSAGE, Some(ext))
}

/// The CommitLog offsets of the records in a QUERY_MESSAGE body.
fn record_offsets(body: &[u8]) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    let mut rest = body;
    while !rest.is_empty() {
        let r = StoredRecord::decode(rest).expect("whole records");
        out.insert(r.physical_offset);
        rest = &rest[r.total_size as usize..];
    }
    out
}

#[tokio::test]
async fn query_by_key_unique_key_and_view_by_offset() {
    let b = TestBroker::start("query-message", |_| {}).await;
    b.create_topic("QT", 1);
    b.create_topic("Other", 1);
    let m1 = put_keyed(&b, "QT", "k1 k2", "U1");
    let m2 = put_keyed(&b, "QT", "k1", "U2");
    let _m3 = put_keyed(&b, "QT", "k3", "U3");
    let _other = put_keyed(&b, "Other", "k1", "U4");
    // The same unique key stored three times (a resent message).
    let u: Vec<i64> = (0..3)
        .map(|_| put_keyed(&b, "QT", "resent", "UX"))
        .collect();
    let last = u[2];

    // By key: exactly the records of this topic carrying it.
    let resp = b.invoke(query("QT", "k1", 32, 0, i64::MAX, false)).await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (response_code::SUCCESS, None)
    );
    assert_eq!(
        record_offsets(resp.body.as_deref().unwrap()),
        BTreeSet::from([m1, m2])
    );
    let h: QueryMessageResponseHeader = read_header(&resp).unwrap();
    assert_eq!(h.index_last_update_phyoffset, last);
    assert!(h.index_last_update_timestamp > 0);
    let resp = b.invoke(query("QT", "k2", 32, 0, i64::MAX, false)).await;
    assert_eq!(
        record_offsets(resp.body.as_deref().unwrap()),
        BTreeSet::from([m1])
    );
    // The record bytes are the stored ones.
    let resp = b.invoke(query("QT", "k3", 32, 0, i64::MAX, false)).await;
    let body = resp.body.unwrap();
    let r = StoredRecord::decode(&body).unwrap();
    assert_eq!(&body[..], &b.record(r.physical_offset)[..]);

    // maxNum caps a key query.
    let resp = b.invoke(query("QT", "k1", 1, 0, i64::MAX, false)).await;
    assert_eq!(record_offsets(resp.body.as_deref().unwrap()).len(), 1);

    // A unique-key query ignores maxNum for defaultQueryMaxNum (32): all three copies.
    let resp = b.invoke(query("QT", "UX", 1, 0, i64::MAX, true)).await;
    assert_eq!(
        record_offsets(resp.body.as_deref().unwrap()),
        u.iter().copied().collect::<BTreeSet<_>>()
    );
    let resp = b.invoke(query("QT", "UX", 1, 0, i64::MAX, false)).await;
    assert_eq!(record_offsets(resp.body.as_deref().unwrap()).len(), 1);

    // Outside the time range, an unknown key, or the wrong topic: QUERY_NOT_FOUND with the
    // index position still in the header.
    for req in [
        query("QT", "k1", 32, 0, 1_000, false),
        query("QT", "nope", 32, 0, i64::MAX, false),
        query("Nope", "k1", 32, 0, i64::MAX, false),
    ] {
        let resp = b.invoke(req).await;
        assert_eq!(resp.code, response_code::QUERY_NOT_FOUND);
        assert_eq!(
            resp.remark.as_deref(),
            Some("can not find message, maybe time range not correct")
        );
        assert!(resp.body.is_none());
        let h: QueryMessageResponseHeader = read_header(&resp).unwrap();
        assert_eq!(h.index_last_update_phyoffset, last);
    }

    // VIEW_MESSAGE_BY_ID: the record at the offset, byte for byte.
    let mut ext = ExtFields::new();
    ext.insert("offset", m2.to_string());
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::VIEW_MESSAGE_BY_ID,
            Some(ext),
        ))
        .await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (response_code::SUCCESS, None)
    );
    assert_eq!(resp.body.as_deref().unwrap(), &b.record(m2)[..]);
    assert!(resp.ext_fields.as_ref().is_none_or(|e| e.is_empty()));
    for bad in [i64::MAX, -5, 123_456_789] {
        let mut ext = ExtFields::new();
        ext.insert("offset", bad.to_string());
        let resp = b
            .invoke(RemotingCommand::request(
                request_code::VIEW_MESSAGE_BY_ID,
                Some(ext),
            ))
            .await;
        assert_eq!(resp.code, response_code::SYSTEM_ERROR);
        assert_eq!(
            resp.remark,
            Some(format!("can not find message by the offset, {bad}"))
        );
    }
    // A missing header field: Java's SYSTEM_ERROR for the header.
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::VIEW_MESSAGE_BY_ID,
            None,
        ))
        .await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    b.shutdown().await;
}
