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
        skip(&format!(
            "{test}: golden corpus not found (set FERROCKET_GOLDEN or put shared/golden beside the checkout)"
        ));
    }
    dir
}

/// Reports a check that could not run here: a `SKIP:` line on stdout and, when the test command
/// sets `FERROCKET_SKIP_LOG` (scripts/test.sh does), the same line appended to that file, so the
/// run ends with the list of what was skipped rather than counting it among the passes.
pub fn skip(why: &str) {
    let line = format!("SKIP: {why}");
    println!("{line}");
    if let Some(log) = std::env::var_os("FERROCKET_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(f, "{line}");
        }
    }
}

/// A broker for tests: its store in `store_root`, listening on an ephemeral 127.0.0.1 port,
/// no NameServer unless `tweak` sets one, 1 MiB CommitLog files so roll-over is cheap. The
/// remoting address is `running.local_addrs[0]` (= `broker.broker_addr`).
pub async fn start_test_broker(
    store_root: &std::path::Path,
    tweak: impl FnOnce(&mut crate::broker::settings::BrokerSettings),
) -> crate::broker::runtime::RunningBroker {
    let mut settings = crate::broker::settings::BrokerSettings::default();
    settings.broker.broker_name = "broker-test".into();
    settings.broker.broker_ip1 = "127.0.0.1".into();
    settings.broker.broker_ip2 = "127.0.0.1".into();
    settings.broker.namesrv_addr = String::new();
    settings.store = crate::store::config::MessageStoreConfig::with_root(store_root);
    settings.store.mapped_file_size_commit_log = 1024 * 1024;
    tweak(&mut settings);
    // A free port picked up front, so the advertised address (and offset message ids) carry it.
    // Its VIP neighbour (port - 2) may be taken by a parallel test: the broker binds before it
    // opens the store, so a conflict costs nothing and another port is tried.
    let mut last_error = None;
    for _ in 0..20 {
        let mut attempt = settings.clone();
        attempt.server.listen_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port() as i32)
            .expect("a free port");
        // Java's BrokerStartup: the HA port is always listenPort + 1.
        attempt.store.ha_listen_port = attempt.server.listen_port + 1;
        match crate::broker::runtime::start(attempt).await {
            Ok(running) => return running,
            Err(crate::broker::StartError::Bind(addr, e)) => {
                last_error = Some(format!("{addr}: {e}"))
            }
            Err(e) => panic!("test broker starts: {e}"),
        }
    }
    panic!("test broker starts: no free port pair: {last_error:?}")
}
