//! NameServer configuration: Java `NamesrvConfig` and the server half (`NettyServerConfig`), with
//! Java's property names and defaults. GET_NAMESRV_CONFIG lists both; UPDATE_NAMESRV_CONFIG and
//! `-c file.properties` set them by name.

use std::path::PathBuf;

use crate::config::{ConfigError, ConfigValue, JavaConfig, NettyServerConfig};

/// Java `NamesrvConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamesrvConfig {
    /// `rocketmqHome`: `-Drocketmq.home.dir` / `$ROCKETMQ_HOME` in Java. `None` is omitted from
    /// GET_NAMESRV_CONFIG, as Java omits null fields.
    pub rocketmq_home: Option<String>,
    /// `kvConfigPath`: `${user.home}/namesrv/kvConfig.json`.
    pub kv_config_path: String,
    /// `configStorePath`: `${user.home}/namesrv/namesrv.properties`; set to the `-c` file.
    pub config_store_path: String,
    /// `productEnvName`: "center".
    pub product_env_name: String,
    /// `clusterTest`: false.
    pub cluster_test: bool,
    /// `orderMessageEnable`: false. When true, route answers carry `orderTopicConf` from the
    /// ORDER_TOPIC_CONFIG namespace.
    pub order_message_enable: bool,
}

fn user_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        let base = user_home().join("namesrv");
        NamesrvConfig {
            rocketmq_home: std::env::var("ROCKETMQ_HOME").ok(),
            kv_config_path: base.join("kvConfig.json").to_string_lossy().into_owned(),
            config_store_path: base
                .join("namesrv.properties")
                .to_string_lossy()
                .into_owned(),
            product_env_name: "center".to_string(),
            cluster_test: false,
            order_message_enable: false,
        }
    }
}

impl NamesrvConfig {
    /// The Java property names this struct understands.
    pub const KEYS: &'static [&'static str] = &[
        "rocketmqHome",
        "kvConfigPath",
        "configStorePath",
        "productEnvName",
        "clusterTest",
        "orderMessageEnable",
    ];
}

impl JavaConfig for NamesrvConfig {
    fn set(&mut self, key: &str, value: &str) -> Result<bool, ConfigError> {
        match key {
            "rocketmqHome" => self.rocketmq_home = Some(value.to_string()),
            "kvConfigPath" => self.kv_config_path = value.to_string(),
            "configStorePath" => self.config_store_path = value.to_string(),
            "productEnvName" => self.product_env_name = value.to_string(),
            "clusterTest" => {
                self.cluster_test = <bool as ConfigValue>::parse_value(value).unwrap_or(false)
            }
            "orderMessageEnable" => {
                self.order_message_enable =
                    <bool as ConfigValue>::parse_value(value).unwrap_or(false)
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Every non-null property, as Java's `MixAll.object2Properties` lists them.
    fn entries(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(6);
        if let Some(home) = &self.rocketmq_home {
            out.push(("rocketmqHome", home.clone()));
        }
        out.push(("kvConfigPath", self.kv_config_path.clone()));
        out.push(("configStorePath", self.config_store_path.clone()));
        out.push(("productEnvName", self.product_env_name.clone()));
        out.push(("clusterTest", self.cluster_test.to_string()));
        out.push(("orderMessageEnable", self.order_message_enable.to_string()));
        out
    }
}

/// Both configs plus the properties of the `-c` file that neither knows (Java keeps those in
/// `Configuration.allConfigs` and lists them in GET_NAMESRV_CONFIG).
#[derive(Debug, Clone, PartialEq)]
pub struct NamesrvSettings {
    pub namesrv: NamesrvConfig,
    pub server: NettyServerConfig,
    pub extra: Vec<(String, String)>,
}

impl Default for NamesrvSettings {
    /// Java's `NamesrvStartup` sets the listen port to 9876 before reading the file.
    fn default() -> Self {
        NamesrvSettings {
            namesrv: NamesrvConfig::default(),
            server: NettyServerConfig {
                listen_port: 9876,
                ..Default::default()
            },
            extra: Vec::new(),
        }
    }
}

impl NamesrvSettings {
    /// Applies the properties of a `-c` file: known keys set their field, unknown keys are kept
    /// as extras; every problem is a logged warning, never a failure.
    pub fn apply_file_properties(&mut self, props: &[(String, String)]) {
        for warning in crate::config::apply(props, &mut [&mut self.namesrv, &mut self.server]) {
            tracing::warn!("{warning}");
        }
        for (key, value) in props {
            if !Self::is_known(key) {
                self.put_extra(key, value);
            }
        }
    }

    fn is_known(key: &str) -> bool {
        NettyServerConfig::KEYS.contains(&key) || NamesrvConfig::KEYS.contains(&key)
    }

    fn put_extra(&mut self, key: &str, value: &str) {
        match self.extra.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.extra.push((key.to_string(), value.to_string())),
        }
    }

    /// Java `Configuration.update` (UPDATE_NAMESRV_CONFIG): known keys set their field, extras
    /// already present are replaced, other unknown keys are dropped.
    pub fn update(&mut self, props: &[(String, String)]) {
        for warning in crate::config::apply(props, &mut [&mut self.namesrv, &mut self.server]) {
            tracing::warn!("{warning}");
        }
        for (key, value) in props {
            if let Some(slot) = self.extra.iter_mut().find(|(k, _)| k == key) {
                slot.1 = value.clone();
            }
        }
    }

    /// Every property, one `key=value\n` line each: the GET_NAMESRV_CONFIG body and what is
    /// persisted to `configStorePath` (Java `getAllConfigsFormatString`; Java's order is a
    /// `Hashtable`'s, ours is server keys, NameServer keys, extras).
    pub fn format_all(&self) -> String {
        let mut out = crate::config::render(&[&self.server, &self.namesrv]);
        for (k, v) in &self.extra {
            out.push_str(k);
            out.push('=');
            out.push_str(v);
            out.push('\n');
        }
        out
    }
}
