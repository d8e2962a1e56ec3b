//! Shared by the multi-process tests: start `ferrocket` processes on loopback, wait for their
//! boot line, and make sure every process a test started is gone when the test ends, pass or
//! fail (a guard kills it on drop).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A free TCP port on `ip` (bound and released; the race with another process grabbing it in
/// between is accepted for tests).
pub fn free_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free port")
}

/// A port for a broker on `ip`: free, and so are its neighbours the broker also binds (the VIP
/// port `port - 2` and the HA port `port + 1`).
pub fn free_broker_port(ip: &str) -> u16 {
    loop {
        let p = free_port(ip);
        if p > 1024
            && p < 65000
            && [p - 2, p + 1]
                .iter()
                .all(|q| TcpListener::bind((ip, *q)).is_ok())
        {
            return p;
        }
    }
}

/// A fresh directory under the system temp dir, removed on drop: when the test ends, pass or
/// fail (drop runs on unwind too). Every test and bench that writes files works in one; keep it
/// bound for as long as anything uses the directory.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ferrocket-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `ferrocket` process. Killed (SIGKILL) on drop unless stopped before.
pub struct Proc {
    pub name: String,
    child: Option<Child>,
    /// The child leads its own process group (scripts that fork the real server, as Java's
    /// `mqbroker` does): signals go to the whole group.
    group: bool,
    lines: mpsc::Receiver<String>,
    pub output: Vec<String>,
}

impl Proc {
    /// Starts `ferrocket <args>` and waits up to `timeout` for a stdout or stderr line containing
    /// `ready` (e.g. Java's "boot success" line). Panics with the output seen if it never comes.
    pub fn start(
        name: &str,
        args: &[&str],
        envs: &[(&str, &str)],
        ready: &str,
        timeout: Duration,
    ) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferrocket"));
        cmd.args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        Proc::spawn(name, cmd, false, ready, timeout)
    }

    /// Starts any command as [`Proc::start`] does; with `group`, in a process group of its own
    /// so that signals reach whatever it forks.
    pub fn spawn(
        name: &str,
        mut cmd: Command,
        group: bool,
        ready: &str,
        timeout: Duration,
    ) -> Proc {
        use std::os::unix::process::CommandExt;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if group {
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let (tx, rx) = mpsc::channel();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut p = Proc {
            name: name.to_string(),
            child: Some(child),
            group,
            lines: rx,
            output: Vec::new(),
        };
        if !p.wait_for_line(ready, timeout) {
            let out = p.output.join("\n");
            panic!("{name} did not print {ready:?} within {timeout:?}; output:\n{out}");
        }
        p
    }

    /// Waits for a line containing `needle`; true if seen.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> bool {
        if self.output.iter().any(|l| l.contains(needle)) {
            return true;
        }
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.output.push(line);
                    if hit {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// SIGKILL, as `kill -9`: no shutdown code runs.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            if self.group {
                signal_group(c.id(), "-KILL");
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for exit (up to `timeout`, then SIGKILL). Returns true on a clean exit.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        let Some(mut c) = self.child.take() else {
            return false;
        };
        if self.group {
            signal_group(c.id(), "-TERM");
        } else {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
        }
        let deadline = Instant::now() + timeout;
        loop {
            match c.try_wait() {
                Ok(Some(status)) => {
                    // A script's children (the JVM) may outlive it: wait for the whole group.
                    while self.group && group_alive(c.id()) && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    if self.group && group_alive(c.id()) {
                        signal_group(c.id(), "-KILL");
                        return false;
                    }
                    // A script killed by the signal exits non-zero; what counts is that
                    // the whole group went away on its own.
                    return self.group || status.success();
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    if self.group {
                        signal_group(c.id(), "-KILL");
                    }
                    let _ = c.kill();
                    let _ = c.wait();
                    return false;
                }
            }
        }
    }

    /// Everything printed so far (drains pending lines).
    pub fn drain_output(&mut self) -> &[String] {
        while let Ok(line) = self.lines.try_recv() {
            self.output.push(line);
        }
        &self.output
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Sends `signal` (`-TERM`, `-KILL`) to the process group led by `pid`.
fn signal_group(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pid}")])
        .status();
}

/// Whether any process of the group led by `pid` is still there.
fn group_alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `ip:port` as a `SocketAddr`.
pub fn addr(ip: &str, port: u16) -> SocketAddr {
    format!("{ip}:{port}").parse().expect("valid address")
}
