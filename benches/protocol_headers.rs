//! Cost of the typed headers on the hot paths: reading a SEND_MESSAGE_V2 header (and converting it
//! to V1, as the broker does), writing the send response header, reading a PULL_MESSAGE header.
//! Prints ns per operation; run with `cargo bench --bench protocol_headers`.

use std::hint::black_box;
use std::time::Instant;

use ferrocket::protocol::header::{
    PullMessageRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use ferrocket::protocol::{write_header, CommandHeader};
use ferrocket::remoting::{ExtFields, RemotingCommand};

fn ext(pairs: &[(&str, &str)]) -> ExtFields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn measure(name: &str, iterations: u32, mut op: impl FnMut()) {
    for _ in 0..iterations / 10 {
        op();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        op();
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(iterations);
    println!("{name:<48} {ns:>8.0} ns/op");
}

fn main() {
    // A real SEND_MESSAGE_V2 header from the golden corpus (JSON producer, HashMap order).
    let send = ext(&[
        ("a", "golden_produce_json"),
        ("b", "GoldenJson"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "3"),
        ("f", "0"),
        ("g", "1795422903491"),
        ("h", "0"),
        ("i", "a\u{1}7\u{2}color\u{1}red\u{2}KEYS\u{1}key-sync-1 key-sync-2\u{2}UNIQ_KEY\u{1}FD0000000000000000000000000000024D3830946E09732374C20000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA"),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
        ("n", "broker-a"),
    ]);
    let pull = ext(&[
        ("consumerGroup", "golden_pull_consumer"),
        ("topic", "GoldenPull"),
        ("queueId", "0"),
        ("queueOffset", "2"),
        ("maxMsgNums", "2"),
        ("sysFlag", "2"),
        ("commitOffset", "0"),
        ("suspendTimeoutMillis", "20000"),
        ("subscription", "*"),
        ("subVersion", "1795422960000"),
        ("expressionType", "TAG"),
        ("bname", "broker-a"),
    ]);
    let response = SendMessageResponseHeader {
        msg_id: "7F00000100002A9F0000000000033A13".into(),
        queue_id: 3,
        queue_offset: 17,
        transaction_id: None,
    };
    let request = RemotingCommand::request(310, Some(send.clone()));

    let n = 1_000_000;
    measure("SEND_MESSAGE_V2 from_ext_fields + to V1", n, || {
        let v2 = SendMessageRequestHeaderV2::from_ext_fields(black_box(&send)).expect("valid");
        black_box(SendMessageRequestHeader::from(v2));
    });
    measure("PULL_MESSAGE from_ext_fields", n, || {
        black_box(PullMessageRequestHeader::from_ext_fields(black_box(&pull)).expect("valid"));
    });
    measure("SendMessageResponseHeader to_ext_fields", n, || {
        black_box(black_box(&response).to_ext_fields());
    });
    measure(
        "send response write_header (+MSG_REGION, TRACE_ON)",
        n,
        || {
            let mut cmd = RemotingCommand::response_to(&request, 0, None);
            let mut extras = ExtFields::with_capacity(6);
            extras.insert("MSG_REGION", "DefaultRegion");
            extras.insert("TRACE_ON", "true");
            cmd.ext_fields = Some(extras);
            write_header(&mut cmd, black_box(&response));
            black_box(cmd);
        },
    );
}
