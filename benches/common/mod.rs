//! Shared by the broker benches: the send request they time.

#![allow(dead_code)]

use ferrocket::protocol::header::SendMessageRequestHeaderV2;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, RemotingCommand};

/// A SEND_MESSAGE_V2 of `body` bytes to queue 0 of `topic`, waiting for the store (`WAIT=true`),
/// tag `T`, a fixed unique key.
pub fn send_v2_request(topic: &str, body: usize) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        producer_group: "bench".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some(
            "UNIQ_KEY\u{1}0123456789ABCDEF0123456789ABCDEF\u{2}WAIT\u{1}true\u{2}TAGS\u{1}T".into(),
        ),
        reconsume_times: Some(0),
        unit_mode: false,
        consume_retry_times: None,
        batch: false,
        broker_name: None,
    };
    RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(h.to_ext_fields()))
        .with_body(vec![b'x'; body])
}

/// Keeps `in_flight` requests made by `request` in flight against `addr` until `deadline`;
/// returns the latencies of the successful ones, sorted, and the count of the others.
pub async fn send_load(
    client: &ferrocket::remoting::RemotingClient,
    addr: &str,
    in_flight: usize,
    request: fn() -> RemotingCommand,
    deadline: std::time::Instant,
) -> (Vec<std::time::Duration>, u64) {
    use std::time::{Duration, Instant};
    let mut workers = Vec::new();
    for _ in 0..in_flight {
        let (client, addr) = (client.clone(), addr.to_string());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failed = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match client
                    .invoke(&addr, request(), Duration::from_secs(5))
                    .await
                {
                    Ok(r) if r.code == ferrocket::remoting::response_code::SUCCESS => {
                        lat.push(t.elapsed())
                    }
                    _ => failed += 1,
                }
            }
            (lat, failed)
        }));
    }
    let mut all = Vec::new();
    let mut failed = 0;
    for w in workers {
        let (lat, f) = w.await.expect("bench worker");
        all.extend(lat);
        failed += f;
    }
    all.sort();
    (all, failed)
}

/// The `p` quantile (0..=1) of `sorted` samples; the type's default when there are none.
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// Seconds per run: `BENCH_SECS`, default 3.
pub fn bench_secs() -> u64 {
    std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}
