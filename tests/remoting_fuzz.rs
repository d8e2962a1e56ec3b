//! The frame decoder never panics and never allocates what a peer merely claims: random bytes,
//! random frames with random headers, and mutations of real Java frames (every truncation,
//! bit flips, absurd lengths) only ever give `Ok` or `Err`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use bytes::{BufMut, BytesMut};
use ferrocket::remoting::{RemotingCodec, RemotingError};
use tokio_util::codec::Decoder;

/// Records the largest single allocation made by the current thread while measuring.
struct Measuring;

thread_local! {
    static MEASURE: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Measuring {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

fn note(size: usize) {
    let _ = MEASURE.try_with(|m| {
        if m.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }
    });
}

#[global_allocator]
static ALLOC: Measuring = Measuring;

/// Runs `f` and returns the largest single allocation it made on this thread.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.with(|l| l.set(0));
    MEASURE.with(|m| m.set(true));
    f();
    MEASURE.with(|m| m.set(false));
    LARGEST.with(|l| l.get())
}

/// xorshift64*: deterministic, dependency-free pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Feeds `input` to a fresh decoder in chunks, decoding until it wants more bytes or fails.
/// Returns how many frames decoded and whether it stopped on an error.
fn feed(input: &[u8], chunk: usize) -> (usize, Option<RemotingError>) {
    let mut codec = RemotingCodec::default();
    let mut src = BytesMut::new();
    let mut frames = 0;
    for piece in input.chunks(chunk.max(1)) {
        src.extend_from_slice(piece);
        loop {
            match codec.decode(&mut src) {
                Ok(Some(_)) => frames += 1,
                Ok(None) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    (frames, None)
}

fn golden_frames(golden: &Path, scenario: &str, n: usize) -> Vec<Vec<u8>> {
    let text =
        std::fs::read_to_string(golden.join("frames").join(format!("{scenario}.jsonl"))).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["frame_len"].as_u64().unwrap() < 4096)
        .take(n)
        .map(|v| {
            let hex = v["frame_hex"].as_str().unwrap().as_bytes();
            hex.chunks(2)
                .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut errors = 0;
    let largest = largest_allocation(|| {
        for _ in 0..5000 {
            let len = rng.below(300);
            let input = rng.bytes(len);
            let (_, err) = feed(&input, 1 + rng.below(64));
            errors += err.is_some() as usize;
        }
    });
    assert!(
        errors > 1000,
        "random bytes mostly fail to decode ({errors} errors)"
    );
    assert!(largest < 1 << 20, "largest allocation {largest} bytes");
}

#[test]
fn random_well_framed_headers_never_panic() {
    let mut rng = Rng(42);
    let (mut ok, mut bad) = (0, 0);
    let largest = largest_allocation(|| {
        for case in 0..20_000 {
            let header_len = rng.below(200);
            let body_len = rng.below(50);
            // Mostly the two real serialize types, sometimes anything.
            let serialize = if case % 10 == 0 {
                rng.next() as u8
            } else {
                (case % 2) as u8
            };
            let mut header = rng.bytes(header_len);
            if serialize == 0 && case % 4 == 0 {
                // Random mutations of a valid JSON header exercise the JSON reader further in.
                let valid = br#"{"code":10,"extFields":{"a":"1","b":"x"},"flag":0,"language":"JAVA","opaque":1,"serializeTypeCurrentRPC":"JSON","version":407}"#;
                header = valid.to_vec();
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(header.len());
                    header[i] = rng.next() as u8;
                }
            }
            if serialize == 1 && case % 4 == 1 && header.len() >= 21 {
                // Plausible small lengths in the binary layout's length fields.
                header[13..17].copy_from_slice(&(rng.below(8) as i32).to_be_bytes());
                header[17..21].copy_from_slice(&(rng.below(40) as i32 - 4).to_be_bytes());
            }
            let mut frame = BytesMut::new();
            frame.put_i32((4 + header.len() + body_len) as i32);
            frame.put_u32(u32::from(serialize) << 24 | header.len() as u32);
            frame.put_slice(&header);
            frame.put_slice(&rng.bytes(body_len));
            match feed(&frame, frame.len()) {
                (1, None) => ok += 1,
                (0, Some(_)) => bad += 1,
                other => panic!("one frame gave {other:?}"),
            }
        }
    });
    assert!(
        ok > 0 && bad > 0,
        "both outcomes exercised: {ok} ok, {bad} errors"
    );
    assert!(largest < 1 << 20, "largest allocation {largest} bytes");
}

#[test]
fn golden_frames_truncated_at_every_length_wait_for_more() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_frames_truncated_at_every_length_wait_for_more")
    else {
        return;
    };
    let mut frames = golden_frames(&golden, "produce-rocketmq-binary", 6);
    frames.extend(golden_frames(&golden, "produce-json", 6));
    assert_eq!(frames.len(), 12);
    for frame in &frames {
        for cut in 0..frame.len() {
            let mut src = BytesMut::from(&frame[..cut]);
            let got = RemotingCodec::default().decode(&mut src);
            assert!(
                matches!(got, Ok(None)),
                "cut at {cut} of {}: {got:?}",
                frame.len()
            );
        }
        assert_eq!(feed(frame, frame.len()).0, 1);
        // Two frames back to back, delivered in odd-sized pieces, give two commands.
        let twice = [&frame[..], &frame[..]].concat();
        assert!(matches!(feed(&twice, 13), (2, None)));
    }
}

#[test]
fn golden_frames_with_flipped_bits_never_panic() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_frames_with_flipped_bits_never_panic")
    else {
        return;
    };
    let mut frames = golden_frames(&golden, "produce-rocketmq-binary", 4);
    frames.extend(golden_frames(&golden, "consume-pull", 4));
    let mut rng = Rng(7);
    let mut outcomes = [0usize; 2];
    let largest = largest_allocation(|| {
        for frame in &frames {
            // Every bit of the first 64 bytes (lengths, fixed header fields), then random bits.
            let positions: Vec<usize> = (0..frame.len().min(64) * 8)
                .chain((0..2000).map(|_| rng.below(frame.len() * 8)))
                .collect();
            for bit in positions {
                let mut mutated = frame.clone();
                mutated[bit / 8] ^= 1 << (bit % 8);
                let (n, err) = feed(&mutated, mutated.len());
                outcomes[err.is_some() as usize] += 1;
                assert!(n <= 2, "at most the frame and a remainder decode");
            }
        }
    });
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
    assert!(largest < 1 << 20, "largest allocation {largest} bytes");
}

#[test]
fn the_allocation_probe_sees_large_allocations() {
    let largest = largest_allocation(|| {
        let v = std::hint::black_box(vec![1u8; 3 << 20]);
        assert_eq!(v.len(), 3 << 20);
    });
    assert!(largest >= 3 << 20, "{largest}");
}

#[test]
fn absurd_lengths_fail_fast_without_allocating_them() {
    let largest = largest_allocation(|| {
        for total in [i32::MAX, 0x7FFF_FFF0, 1 << 30, 16 * 1024 * 1024 - 3] {
            let mut src = BytesMut::from(&total.to_be_bytes()[..]);
            let got = RemotingCodec::default().decode(&mut src);
            assert!(
                matches!(got, Err(RemotingError::FrameTooLong { .. })),
                "{total}: {got:?}"
            );
        }
        for total in [i32::MIN, -1, 0, 3] {
            let mut src = BytesMut::from(&[&total.to_be_bytes()[..], &[0u8; 8][..]].concat()[..]);
            let got = RemotingCodec::default().decode(&mut src);
            assert!(
                matches!(got, Err(RemotingError::BadFrameLength(_))),
                "{total}: {got:?}"
            );
        }
        // Header length claims 16 MiB - 1 inside a 12-byte frame.
        let mut src = BytesMut::from(&[0u8, 0, 0, 8, 1, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0][..]);
        let got = RemotingCodec::default().decode(&mut src);
        assert!(
            matches!(got, Err(RemotingError::HeaderLengthOutOfFrame { .. })),
            "{got:?}"
        );
        // A binary header whose remark and ext lengths claim 2 GiB.
        for (at, claim) in [(13usize, i32::MAX), (17, i32::MAX), (17, i32::MIN)] {
            let mut header = vec![0u8; 21];
            header[at..at + 4].copy_from_slice(&claim.to_be_bytes());
            let mut frame = BytesMut::new();
            frame.put_i32(4 + 21);
            frame.put_u32(1 << 24 | 21);
            frame.put_slice(&header);
            let got = RemotingCodec::default().decode(&mut frame);
            assert!(got.is_err() || claim < 0, "{at}/{claim}: {got:?}");
        }
        // With no frame limit at all, a 2 GiB claim still only reserves a read-ahead.
        let mut unlimited = RemotingCodec::new(usize::MAX);
        let mut src = BytesMut::from(&i32::MAX.to_be_bytes()[..]);
        assert!(matches!(unlimited.decode(&mut src), Ok(None)));
    });
    assert!(largest < 1 << 20, "largest allocation {largest} bytes");
}
