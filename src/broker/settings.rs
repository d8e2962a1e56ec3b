//! A broker's configuration as Java's `BrokerStartup` builds it: one properties file applied to
//! BrokerConfig, NettyServerConfig, NettyClientConfig and MessageStoreConfig; the remoting port
//! defaults to 10911 and the HA port is always listenPort + 1; a master's brokerId is forced
//! to 0 and a slave's must be positive.

use super::config::BrokerConfig;
use crate::config::{self, JavaConfig, NettyClientConfig, NettyServerConfig};
use crate::store::config::{BrokerRole, MessageStoreConfig};
use std::path::Path;

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
