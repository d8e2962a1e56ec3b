//! A broker's configuration as Java's `BrokerStartup` builds it: one properties file applied to
//! BrokerConfig, NettyServerConfig, NettyClientConfig and MessageStoreConfig; the remoting port
//! defaults to 10911 and the HA port is always listenPort + 1; a master's brokerId is forced
//! to 0 and a slave's must be positive.

use super::config::BrokerConfig;
use crate::config::{self, JavaConfig, NettyClientConfig, NettyServerConfig};
use crate::java::chm_replay::ChmReplay;
use crate::store::config::{BrokerRole, MessageStoreConfig};
use std::collections::HashMap;
use std::path::Path;

/// String keys whose Java default is `null` (ours: empty). `namesrvAddr` is also null in Java
/// when neither `-n` nor the environment sets it, but only a test broker runs so; we write it.
const NULL_UNLESS_SET: &[&str] = &[
    "storePathDLedgerCommitLog",
    "readOnlyCommitLogStorePaths",
    "haMasterAddress",
    "dLegerGroup",
    "dLegerPeers",
    "dLegerSelfId",
    "preferredLeaderId",
];

#[derive(Debug, Clone)]
pub struct BrokerSettings {
    pub broker: BrokerConfig,
    pub server: NettyServerConfig,
    pub client: NettyClientConfig,
    pub store: MessageStoreConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read config file {0}: {1}")]
    Read(String, std::io::Error),
    #[error("The Name Server Address[{0}] illegal, please set it as follows, \"127.0.0.1:9876;192.168.0.1:9876\"")]
    BadNamesrvAddr(String),
    #[error("Slave's brokerId must be > 0")]
    SlaveId,
}

impl Default for BrokerSettings {
    fn default() -> Self {
        BrokerSettings {
            broker: BrokerConfig::default(),
            server: NettyServerConfig {
                listen_port: 10911,
                ..Default::default()
            },
            client: NettyClientConfig::default(),
            store: MessageStoreConfig::default(),
        }
    }
}

impl BrokerSettings {
    /// Applies `props` (file order), then the command line's overrides, then Java's fix-ups.
    pub fn from_properties(
        props: &[(String, String)],
        overrides: &[(String, String)],
    ) -> Result<BrokerSettings, SettingsError> {
        let mut s = BrokerSettings::default();
        for warning in config::apply(props, &mut s.configs_mut()) {
            tracing::warn!("{warning}");
        }
        for warning in config::apply(overrides, &mut [&mut s.broker]) {
            tracing::warn!("{warning}");
        }
        s.finish()
    }

    /// Reads a broker.conf file (Java properties) and applies it.
    pub fn load(
        file: Option<&Path>,
        overrides: &[(String, String)],
    ) -> Result<BrokerSettings, SettingsError> {
        let props = match file {
            Some(path) => {
                let bytes = std::fs::read(path)
                    .map_err(|e| SettingsError::Read(path.display().to_string(), e))?;
                config::properties::parse(&String::from_utf8_lossy(&bytes))
            }
            None => Vec::new(),
        };
        Self::from_properties(&props, overrides)
    }

    fn configs_mut(&mut self) -> [&mut dyn JavaConfig; 4] {
        [
            &mut self.broker,
            &mut self.server,
            &mut self.client,
            &mut self.store,
        ]
    }

    /// The four configs, for GET_BROKER_CONFIG and `-p`.
    pub fn configs(&self) -> [&dyn JavaConfig; 4] {
        [&self.broker, &self.server, &self.client, &self.store]
    }

    /// Every key as Java's `Configuration` writes it (GET_BROKER_CONFIG's body and the
    /// properties file UPDATE_BROKER_CONFIG persists): one `key=value` line each, in the
    /// iteration order of its `Properties`, a `ConcurrentHashMap(8)` on Java 9+. Keys Java
    /// leaves `null` while unset are left out, as Java's `object2Properties` skips nulls.
    pub fn render_like_configuration(&self) -> String {
        // Java: each config object becomes a Properties (its fields in declaration order),
        // merged in turn into the Configuration's Properties; a key in two configs keeps its
        // first place and takes the later value.
        let mut order = ChmReplay::new(8);
        let mut values: HashMap<&str, String> = HashMap::new();
        for config in self.configs() {
            let mut own = ChmReplay::new(8);
            let mut own_values = HashMap::new();
            for (key, value) in config.entries() {
                if value.is_empty() && NULL_UNLESS_SET.contains(&key) {
                    continue;
                }
                own.put(key);
                own_values.insert(key, value);
            }
            for key in own.keys() {
                if let Some((key, value)) = own_values.remove_entry(key) {
                    order.put(key);
                    values.insert(key, value);
                }
            }
        }
        let mut out = String::new();
        for key in order.keys() {
            out.push_str(key);
            out.push('=');
            out.push_str(values.get(key).map_or("", String::as_str));
            out.push('\n');
        }
        out
    }

    fn finish(mut self) -> Result<BrokerSettings, SettingsError> {
        for addr in self.broker.namesrv_addrs() {
            if addr
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok())
                .is_none()
            {
                return Err(SettingsError::BadNamesrvAddr(
                    self.broker.namesrv_addr.clone(),
                ));
            }
        }
        match self.store.broker_role {
            BrokerRole::Slave if self.broker.broker_id <= 0 => return Err(SettingsError::SlaveId),
            BrokerRole::Slave => {}
            _ => self.broker.broker_id = 0,
        }
        self.store.ha_listen_port = self.server.listen_port + 1;
        Ok(self)
    }

    /// The address the remoting servers listen on: all interfaces, as Java (netty binds
    /// 0.0.0.0), unless brokerIP1 is a loopback address, which keeps a test broker on its own
    /// 127.0.0.x address.
    pub fn server_bind_ip(&self) -> String {
        match self.broker.broker_ip1.parse::<std::net::IpAddr>() {
            Ok(ip) if ip.is_loopback() => ip.to_string(),
            _ => "0.0.0.0".to_string(),
        }
    }

    /// `brokerIP1:listenPort`.
    pub fn broker_addr(&self) -> String {
        format!("{}:{}", self.broker.broker_ip1, self.server.listen_port)
    }

    /// `brokerIP2:haListenPort`.
    pub fn ha_server_addr(&self) -> String {
        format!("{}:{}", self.broker.broker_ip2, self.store.ha_listen_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::properties::parse;

    #[test]
    fn java_startup_rules() {
        let s = BrokerSettings::from_properties(&parse("brokerRole=ASYNC_MASTER\nbrokerId=3\nlistenPort=20911\nflushDiskType=SYNC_FLUSH\nbrokerIP1=127.0.0.2\n"), &[]).unwrap();
        assert_eq!(s.broker.broker_id, 0, "a master is always id 0");
        assert_eq!(s.store.ha_listen_port, 20912);
        assert_eq!(s.broker_addr(), "127.0.0.2:20911");
        let err = BrokerSettings::from_properties(&parse("brokerRole=SLAVE\nbrokerId=0\n"), &[])
            .unwrap_err();
        assert_eq!(err.to_string(), "Slave's brokerId must be > 0");
        let err = BrokerSettings::from_properties(&[], &[("namesrvAddr".into(), "nohost".into())])
            .unwrap_err();
        assert!(matches!(err, SettingsError::BadNamesrvAddr(_)));
        let s = BrokerSettings::from_properties(&[], &[]).unwrap();
        assert_eq!(
            (s.server.listen_port, s.store.ha_listen_port),
            (10911, 10912)
        );
    }

    /// The body of the golden GET_BROKER_CONFIG response of the master broker.
    fn golden_get_broker_config(golden: &Path) -> String {
        let text = std::fs::read_to_string(golden.join("frames/admin.jsonl")).unwrap();
        let lines: Vec<crate::fastjson::Value> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| crate::fastjson::parse(l).unwrap())
            .filter(|v| v.get("server").and_then(|s| s.as_str()) == Some("broker-master"))
            .collect();
        let at = lines
            .iter()
            .position(|v| {
                v.get("dir").and_then(|d| d.as_str()) == Some("request")
                    && v.get("code").and_then(|c| c.as_i64()) == Some(26)
            })
            .expect("a GET_BROKER_CONFIG request");
        let response = lines[at..]
            .iter()
            .find(|v| v.get("dir").and_then(|d| d.as_str()) == Some("response"))
            .expect("its response");
        let hex = response.get("frame_hex").and_then(|h| h.as_str()).unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let header_len = u32::from_be_bytes(bytes[4..8].try_into().unwrap()) & 0xff_ffff;
        String::from_utf8(bytes[8 + header_len as usize..].to_vec()).unwrap()
    }

    #[test]
    fn configuration_text_is_byte_identical_to_java() {
        let Some(golden) = crate::testkit::golden_or_skip("broker settings: GET_BROKER_CONFIG")
        else {
            return;
        };
        let java = golden_get_broker_config(&golden);
        let mut s = BrokerSettings::default();
        let warnings = config::apply(&parse(&java), &mut s.configs_mut());
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(s.render_like_configuration(), java);
        // Unset null-default keys are left out, as Java's; set, they are written.
        assert!(!java.contains("haMasterAddress"));
        s.store.ha_master_address = "10.0.0.1:10912".into();
        assert!(s
            .render_like_configuration()
            .contains("\nhaMasterAddress=10.0.0.1:10912\n"));
    }

    #[test]
    fn golden_broker_configs_apply_without_unknown_keys() {
        let Some(golden) = crate::testkit::golden_or_skip("broker settings: golden properties")
        else {
            return;
        };
        for name in [
            "broker-main",
            "broker-ha-m",
            "broker-ha-s",
            "broker-register-c",
            "broker-crash",
        ] {
            let text =
                std::fs::read_to_string(golden.join(format!("conf/{name}.properties"))).unwrap();
            let props = parse(&text);
            let mut s = BrokerSettings::default();
            let warnings = config::apply(&props, &mut s.configs_mut());
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
            let s = BrokerSettings::from_properties(&props, &[]).unwrap();
            assert_eq!(s.broker.broker_name, "broker-a");
        }
    }
}
