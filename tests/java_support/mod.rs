//! The official Java RocketMQ 4.9.7 distribution as a test peer: its scripts (`mqadmin`,
//! `mqbroker`, `mqnamesrv`, `tools.sh`) run from a local bin-release (`$ROCKETMQ_HOME`) or, when a
//! Docker engine answers, from the `apache/rocketmq` image (`$FERROCKET_JAVA_IMAGE`, default
//! `apache/rocketmq:4.9.7`) with host networking, so either way they reach ferrocket on loopback.
//! No Java RocketMQ and no Docker engine: [`JavaDist::detect`] says why, and the tests print SKIP.

#![allow(dead_code)]

use super::support::Proc;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// Where the Java scripts come from.
pub enum JavaDist {
    /// A bin-release directory (`bin/mqadmin`, `lib/*.jar`) and the JDK to run it with.
    Home { home: PathBuf, java_home: PathBuf },
    /// A container image with the distribution under `$ROCKETMQ_HOME`.
    Docker { image: String },
}

/// Heap sizes small enough for a CI machine (Java's scripts ask for 4–8 GiB); later options win.
const SERVER_HEAP: &str = "-Xms512m -Xmx512m -Xmn256m";

impl JavaDist {
    pub fn detect() -> Result<JavaDist, String> {
        if let Ok(home) = std::env::var("ROCKETMQ_HOME") {
            let home = PathBuf::from(home);
            if !home.join("bin/mqadmin").is_file() {
                return Err(format!(
                    "$ROCKETMQ_HOME={} has no bin/mqadmin (expected a 4.9.7 bin-release)",
                    home.display()
                ));
            }
            let java_home = java_home()?;
            return Ok(JavaDist::Home { home, java_home });
        }
        let docker_up = Command::new("docker")
            .args(["info", "--format", "{{.ServerVersion}}"])
            .output()
            .is_ok_and(|o| o.status.success());
        if docker_up {
            let image = std::env::var("FERROCKET_JAVA_IMAGE")
                .unwrap_or_else(|_| "apache/rocketmq:4.9.7".to_string());
            return Ok(JavaDist::Docker { image });
        }
        Err(
            "neither $ROCKETMQ_HOME (a RocketMQ 4.9.7 bin-release) nor a Docker engine for \
             the apache/rocketmq:4.9.7 image is available"
                .into(),
        )
    }

    /// A command running `bin/<script> <args>` of the distribution, with `env`, allowed to
    /// read and write under `work` (logs go there too: `user.home` is pointed at it).
    pub fn command(
        &self,
        script: &str,
        args: &[&str],
        env: &[(&str, &str)],
        work: &Path,
    ) -> Command {
        let home_opt = format!("-Duser.home={}", work.display());
        match self {
            JavaDist::Home { home, java_home } => {
                let mut cmd = Command::new("sh");
                cmd.arg(home.join("bin").join(script))
                    .args(args)
                    .env("ROCKETMQ_HOME", home)
                    .env("JAVA_HOME", java_home)
                    .env("JAVA_OPT", &home_opt)
                    .env("JAVA_OPT_EXT", format!("{SERVER_HEAP} {home_opt}"));
                for (k, v) in env {
                    cmd.env(k, v);
                }
                cmd
            }
            JavaDist::Docker { image } => {
                let mut cmd = Command::new("docker");
                let work = work.display().to_string();
                cmd.args(["run", "--rm", "--network", "host", "--init"])
                    .args(["--name", &container_name(script)])
                    .args(["-v", &format!("{work}:{work}")])
                    .args(["-e", &format!("JAVA_OPT={home_opt}")])
                    .args(["-e", &format!("JAVA_OPT_EXT={SERVER_HEAP} {home_opt}")])
                    .args(["-l", "ferrocket-test=1"]);
                if let Some(user) = current_user() {
                    cmd.args(["--user", &user]);
                }
                for (k, v) in env {
                    cmd.args(["-e", &format!("{k}={v}")]);
                }
                cmd.args(["--entrypoint", "sh", image, "-c"])
                    .arg(r#"exec sh "$ROCKETMQ_HOME/bin/$0" "$@""#)
                    .arg(script)
                    .args(args);
                cmd
            }
        }
    }

    /// Runs a tool to completion (mqadmin, the quickstart producer) and returns its output.
    pub fn run(&self, script: &str, args: &[&str], env: &[(&str, &str)], work: &Path) -> Output {
        let mut cmd = self.command(script, args, env, work);
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("run {script} {args:?}: {e}"));
        if !out.status.success() {
            panic!(
                "{script} {args:?} exited with {:?}\nstdout:\n{}\nstderr:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }

    /// `mqadmin <args>`'s standard output.
    pub fn mqadmin(&self, args: &[&str], work: &Path) -> String {
        let out = self.run("mqadmin", args, &[], work);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts a long-running script (mqnamesrv, mqbroker, the quickstart consumer) and waits
    /// for `ready` in its output. Stopped, with everything it forked, when dropped.
    pub fn spawn(
        &self,
        name: &str,
        script: &str,
        args: &[&str],
        env: &[(&str, &str)],
        work: &Path,
        ready: &str,
    ) -> JavaProc {
        let cmd = self.command(script, args, env, work);
        let container = match self {
            JavaDist::Docker { .. } => cmd
                .get_args()
                .skip_while(|a| *a != "--name")
                .nth(1)
                .map(|a| a.to_string_lossy().into_owned()),
            JavaDist::Home { .. } => None,
        };
        let proc = Proc::spawn(name, cmd, true, ready, Duration::from_secs(180));
        JavaProc { proc, container }
    }
}

/// A Java server or client started by a test.
pub struct JavaProc {
    pub proc: Proc,
    container: Option<String>,
}

impl JavaProc {
    /// SIGTERM (Java runs its shutdown hooks: a broker flushes and unregisters) and waits.
    pub fn stop(&mut self) -> bool {
        if let Some(name) = &self.container {
            let ok = Command::new("docker")
                .args(["stop", "-t", "60", name])
                .output()
                .is_ok_and(|o| o.status.success());
            self.proc.terminate(Duration::from_secs(10));
            return ok;
        }
        self.proc.terminate(Duration::from_secs(60))
    }
}

impl Drop for JavaProc {
    fn drop(&mut self) {
        if let Some(name) = &self.container {
            let _ = Command::new("docker").args(["rm", "-f", name]).output();
        }
        self.proc.kill9();
    }
}

/// The JDK: `$JAVA_HOME`, else the one `java` on the PATH belongs to.
fn java_home() -> Result<PathBuf, String> {
    if let Ok(home) = std::env::var("JAVA_HOME") {
        return Ok(PathBuf::from(home));
    }
    let out = Command::new("sh")
        .args(["-c", "readlink -f \"$(command -v java)\""])
        .output()
        .map_err(|e| format!("no java: {e}"))?;
    let java = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    java.parent()
        .and_then(Path::parent)
        .filter(|home| home.join("bin/java").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| "$ROCKETMQ_HOME is set but no JDK was found (set JAVA_HOME)".into())
}

fn current_user() -> Option<String> {
    let id = |flag: &str| {
        Command::new("id")
            .arg(flag)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    Some(format!("{}:{}", id("-u")?, id("-g")?))
}

fn container_name(script: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("ferrocket-java-{}-{script}-{n}", std::process::id())
}

/// The bodies of the messages a quickstart `Consumer` printed: Java prints each `MessageExt`
/// with `body=[72, 101, ...]` (`Arrays.toString`).
pub fn printed_bodies(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.contains("Receive New Messages"))
        .filter_map(|l| {
            let start = l.find("body=[")? + "body=[".len();
            let end = start + l[start..].find(']')?;
            let bytes: Option<Vec<u8>> = l[start..end]
                .split(',')
                .map(|b| b.trim().parse::<i8>().ok().map(|b| b as u8))
                .collect();
            Some(String::from_utf8_lossy(&bytes?).into_owned())
        })
        .collect()
}

/// The sum of the `#Max Offset` column of `mqadmin topicStatus` for one broker name.
pub fn topic_status_max_sum(output: &str, broker_name: &str) -> i64 {
    output
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(broker_name))
        .filter_map(|l| l.split_whitespace().nth(3)?.parse::<i64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_java_prints() {
        let line = "ConsumeMessageThread_1 Receive New Messages: [MessageExt [brokerName=b, \
                    queueId=0, ..., toString()=Message{topic='TopicTest', flag=0, \
                    properties={TAGS=TagA}, body=[72, 105, -61, -87], transactionId='null'}]] "
            .to_string();
        assert_eq!(printed_bodies(&[line]), vec!["Hié".to_string()]);
        let status = "#Broker Name                      #QID  #Min Offset           #Max Offset             #Last Updated\n\
                      broker-a                          0     0                     250                     2026-11-23 12:00:00,000\n\
                      broker-a                          1     0                     251                     \n\
                      broker-b                          0     0                     7                       \n";
        assert_eq!(topic_status_max_sum(status, "broker-a"), 501);
    }
}
