//! Frame codec throughput: frames encoded + decoded per second for typical commands.
//! Run with `cargo bench --bench codec`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrocket::remoting::{
    request_code, response_code, ExtFields, RemotingCodec, RemotingCommand, SerializeType,
};
use tokio_util::codec::{Decoder, Encoder};

/// A SEND_MESSAGE_V2 request as a Java producer sends it: 14 single-letter fields, 128 B body.
fn send_message_v2(serialize_type: SerializeType) -> RemotingCommand {
    let fields = [
        ("a", "golden_produce_json"),
        ("b", "GoldenJson"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "2"),
        ("f", "0"),
        ("g", "1795422897956"),
        ("h", "0"),
        ("i", "a\u{1}7\u{2}KEYS\u{1}key-sync-1 key-sync-2\u{2}UNIQ_KEY\u{1}FD0000000000000000000000000000024C2630946E0973235F230000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA"),
        ("j", "0"),
        ("k", "false"),
        ("l", "16"),
        ("m", "false"),
        ("n", "broker-a"),
    ];
    let ext: ExtFields = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut cmd = RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(ext))
        .with_body(Bytes::from(vec![b'x'; 128]));
    cmd.opaque = 1234;
    cmd.serialize_type = serialize_type;
    cmd
}

/// A PULL_MESSAGE response: FOUND, four offset fields, 32 messages of ~250 bytes.
fn pull_response(serialize_type: SerializeType) -> RemotingCommand {
    let mut ext = ExtFields::new();
    ext.insert("suggestWhichBrokerId", "0");
    ext.insert("nextBeginOffset", "32");
    ext.insert("maxOffset", "5000");
    ext.insert("minOffset", "0");
    let mut cmd = RemotingCommand {
        code: response_code::SUCCESS,
        flag: 1,
        opaque: 77,
        version: 407,
        remark: Some("FOUND".into()),
        ext_fields: Some(ext),
        serialize_type,
        ..Default::default()
    };
    cmd.body = Some(Bytes::from(vec![7u8; 32 * 250]));
    cmd
}

fn measure(name: &str, cmd: &RemotingCommand) {
    // `cargo bench --bench codec -- <text>` runs only the cases whose name contains <text>.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| !name.contains(f.as_str())) {
        return;
    }
    let mut codec = RemotingCodec::default();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut frame_len = 0;
    let mut round = |n: u64| {
        for _ in 0..n {
            codec.encode(black_box(cmd), &mut buf).expect("encodes");
            frame_len = buf.len();
            let back = codec
                .decode(&mut buf)
                .expect("decodes")
                .expect("whole frame");
            black_box(back);
        }
    };
    round(10_000); // warm-up
    let mut iterations = 0u64;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        round(10_000);
        iterations += 10_000;
    }
    let secs = started.elapsed().as_secs_f64();
    let rate = iterations as f64 / secs;
    println!(
        "{name:<34} frame {frame_len:>5} B  {:>9.0} frames/s encoded+decoded  ({:>5.0} ns/frame, {:>6.0} MB/s)",
        rate,
        1e9 / rate,
        rate * frame_len as f64 / 1e6
    );
}

fn main() {
    println!("remoting frame codec, encode + decode round trips (one thread)");
    measure(
        "SEND_MESSAGE_V2 request, JSON",
        &send_message_v2(SerializeType::Json),
    );
    measure(
        "SEND_MESSAGE_V2 request, ROCKETMQ",
        &send_message_v2(SerializeType::RocketMq),
    );
    measure(
        "PULL_MESSAGE response, JSON",
        &pull_response(SerializeType::Json),
    );
    measure(
        "PULL_MESSAGE response, ROCKETMQ",
        &pull_response(SerializeType::RocketMq),
    );
}
