//! Helpers shared by unit tests, integration tests and benches. Not part of the server.

use std::path::PathBuf;

/// The golden corpus of bytes written by Java RocketMQ 4.9.7: `$FERROCKET_GOLDEN`, or
/// `../shared/golden/rocketmq-4.9.7` beside the checkout. `None` when absent; callers print a
/// line starting with `SKIP:` saying so, so a skipped check is never mistaken for a passed one.
pub fn golden_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FERROCKET_GOLDEN").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/golden")),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|p| {
            if p.join("rocketmq-4.9.7").is_dir() {
                p.join("rocketmq-4.9.7")
            } else {
                p
            }
        })
        .find(|p| p.join("README.md").is_file() && p.join("frames").is_dir())
}

/// `golden_dir()`, or a printed `SKIP:` line naming the test and `None`.
pub fn golden_or_skip(test: &str) -> Option<PathBuf> {
    let dir = golden_dir();
    if dir.is_none() {
        println!(
            "SKIP: {test}: golden corpus not found (set FERROCKET_GOLDEN or put shared/golden beside the checkout)"
        );
    }
    dir
}
