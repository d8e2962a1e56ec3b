//! The `ferrocket namesrv` binary as `mqnamesrv` users run it: `-c` file, `-p`, the boot line on
//! stdout, answering on the configured port, clean exit on SIGTERM.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::TempDir;

use ferrocket::remoting::{
    request_code, response_code, ClientConfig, ExtFields, RemotingClient, RemotingCommand,
};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn print_config_items_applies_the_config_file() {
    let dir = TempDir::new("ns-cli-p");
    let conf = dir.path().join("ns.properties");
    std::fs::write(
        &conf,
        "listenPort=19999\norderMessageEnable=true\nnoSuchKey=1\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(["namesrv", "-c"])
        .arg(&conf)
        .arg("-p")
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!(
            "load config properties file OK, {}\n",
            conf.display()
        )),
        "{stdout}"
    );
    for line in [
        "listenPort=19999",
        "orderMessageEnable=true",
        "serverWorkerThreads=8",
        "productEnvName=center",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line} missing in {stdout}"
        );
    }
    assert!(stdout.contains(&format!("configStorePath={}", conf.display())));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("noSuchKey"),
        "unknown keys are warned about"
    );
}

#[test]
fn boots_answers_and_stops_on_sigterm() {
    let dir = TempDir::new("ns-cli-run");
    // The port is picked free, but another process may take it before the server binds: retry
    // with a new one when the bind is what failed.
    let mut attempt = 0;
    let (mut child, port) = loop {
        attempt += 1;
        let port = free_port();
        let conf = dir.path().join("ns.properties");
        std::fs::write(
            &conf,
            format!(
                "listenPort={port}\nkvConfigPath={}\n",
                dir.path().join("kv.json").display()
            ),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
            .args(["namesrv", "-c"])
            .arg(&conf)
            .env("HOME", dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        assert!(
            first.starts_with("load config properties file OK"),
            "{first}"
        );
        match lines.next().and_then(Result::ok) {
            Some(boot) => {
                assert_eq!(boot, "The Name Server boot success. serializeType=JSON");
                break (child, port);
            }
            None => {
                let out = child.wait_with_output().unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                assert!(
                    stderr.contains("cannot listen") && attempt < 5,
                    "no boot line; stderr: {stderr}"
                );
            }
        }
    };

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let resp = rt.block_on(async {
        let client = RemotingClient::new(ClientConfig::default());
        let mut ext = ExtFields::new();
        ext.insert("topic", "NoSuchTopic");
        let req = RemotingCommand::request(request_code::GET_ROUTEINFO_BY_TOPIC, Some(ext));
        client
            .invoke(&format!("127.0.0.1:{port}"), req, Duration::from_secs(5))
            .await
            .unwrap()
    });
    assert_eq!(resp.code, response_code::TOPIC_NOT_EXIST);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "clean shutdown on SIGTERM: {status:?}");
}

#[test]
fn the_mqnamesrv_script_passes_javas_flags_through() {
    let dir = TempDir::new("ns-cli-script");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mqnamesrv");
    let conf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/namesrv.properties");
    let out = Command::new("sh")
        .arg(&script)
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .env("FERROCKET_BIN", env!("CARGO_BIN_EXE_ferrocket"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.lines().any(|l| l == "listenPort=9876"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l
            == format!(
                "kvConfigPath={}/namesrv/kvConfig.json",
                dir.path().display()
            )),
        "{stdout}"
    );
}
