//! Defaults Java computes from the machine: environment, host name and address, CPU count.

use std::net::{IpAddr, ToSocketAddrs};

/// A default taken from an environment variable (Java reads the system property first; here
/// the property name is only documented, as there are no JVM system properties).
pub fn env_default(env: &str, _java_property: &str) -> String {
    std::env::var(env).unwrap_or_default()
}

/// `System.getProperty("user.home")`.
pub fn user_home() -> String {
    std::env::var("HOME").unwrap_or_else(|_| "/root".to_string())
}

/// `Runtime.getRuntime().availableProcessors()`.
pub fn cpus() -> i32 {
    std::thread::available_parallelism()
        .map(|n| n.get() as i32)
        .unwrap_or(1)
}

/// The host name, as `InetAddress.getLocalHost().getHostName()`; `DEFAULT_BROKER` if unknown.
pub fn local_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "DEFAULT_BROKER".to_string())
}

/// The address a broker advertises by default (Java `RemotingUtil.getLocalAddress`: a
/// non-loopback IPv4 address of this host, else loopback). Found by resolving the host name, so
/// nothing is sent anywhere.
pub fn local_address() -> String {
    let candidates: Vec<IpAddr> = (local_host_name().as_str(), 0)
        .to_socket_addrs()
        .map(|addrs| addrs.map(|a| a.ip()).collect())
        .unwrap_or_default();
    candidates
        .iter()
        .find(|ip| ip.is_ipv4() && !ip.is_loopback())
        .or_else(|| candidates.iter().find(|ip| !ip.is_loopback()))
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "127.0.0.1".to_string())
}
