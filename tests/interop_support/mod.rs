//! Shared by the client interop tests (`tests/interop_*.rs`): install a client through
//! `scripts/interop-setup.sh <client>`, start `ferrocket quickstart` on free loopback ports, and
//! read the one-line JSON summary a scenario prints last.

#![allow(dead_code)]

use crate::support::{free_broker_port, free_port, Proc, TempDir};
use std::process::{Command, Output};
use std::time::Duration;

/// Runs `scripts/interop-setup.sh <client>`; its last stdout line is the path (relative to the
/// crate root, or absolute) of the installed client. Err says why it could not be installed.
pub fn setup(client: &str) -> Result<String, String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(format!("{root}/scripts/interop-setup.sh"))
        .arg(client)
        .output()
        .map_err(|e| format!("cannot run scripts/interop-setup.sh: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "scripts/interop-setup.sh {client} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let path = stdout.lines().last().unwrap_or("").trim().to_string();
    Ok(if path.starts_with('/') {
        path
    } else {
        format!("{root}/{path}")
    })
}

/// A NameServer and a broker (`ferrocket quickstart`) on free loopback ports, store in a temp dir.
pub struct Quickstart {
    pub server: Proc,
    pub namesrv: String,
    pub store: TempDir,
}

pub fn start_quickstart(tag: &str) -> Quickstart {
    let store = TempDir::new(tag);
    let ns_port = free_port("127.0.0.1");
    let broker_port = free_broker_port("127.0.0.1");
    let server = Proc::start(
        "quickstart",
        &[
            "quickstart",
            "--store",
            store.path().to_str().expect("utf-8 temp dir"),
            "--namesrv-port",
            &ns_port.to_string(),
            "--broker-port",
            &broker_port.to_string(),
        ],
        &[("RUST_LOG", "warn")],
        "The broker[",
        Duration::from_secs(30),
    );
    Quickstart {
        server,
        namesrv: format!("127.0.0.1:{ns_port}"),
        store,
    }
}

impl Quickstart {
    /// The scenario's last stdout line as JSON; panics with every output seen when there is none.
    pub fn summary(&mut self, out: &Output) -> serde_json::Value {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or("");
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) if v.get("fatal").is_none() => {
                // Shown with a failing assertion: what the server warned about meanwhile.
                let warnings: Vec<&String> = self
                    .server
                    .drain_output()
                    .iter()
                    .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                    .collect();
                println!("server warnings and errors ({}):", warnings.len());
                for line in warnings.iter().rev().take(40).rev() {
                    println!("  {line}");
                }
                v
            }
            res => panic!(
                "scenario printed no summary ({res:?}); exit {:?}\nstdout:\n{stdout}\nstderr:\n{}\nserver:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr),
                self.server.drain_output().join("\n")
            ),
        }
    }

    pub fn stop(mut self) {
        assert!(
            self.server.terminate(Duration::from_secs(20)),
            "quickstart exits cleanly on SIGTERM"
        );
    }
}
