//! Java-style configuration: `.properties` files with the same keys and defaults as the Java
//! NameServer and Broker. A config struct is declared once with [`java_config!`]; loading applies
//! each property to every config struct that knows its key (Java applies one file to
//! BrokerConfig, NettyServerConfig, NettyClientConfig and MessageStoreConfig alike), and a key
//! nobody knows is a warning, never a start-up failure.

mod env;
pub mod netty;
pub mod properties;

pub use env::{cpus, env_default, local_address, local_host_name, user_home};
pub use netty::{NettyClientConfig, NettyServerConfig};

use std::path::Path;

/// Why one property could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config key {key}: cannot use value {value:?}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub value: String,
    pub reason: String,
}

/// A value type a config field can have: parsed the way Java's `MixAll.properties2Object` does.
pub trait ConfigValue: Sized {
    fn parse_value(s: &str) -> Result<Self, String>;
    /// The text Java's `properties2String` would print for it.
    fn render_value(&self) -> String;
}

impl ConfigValue for String {
    fn parse_value(s: &str) -> Result<Self, String> {
        Ok(s.to_string())
    }
    fn render_value(&self) -> String {
        self.clone()
    }
}

impl ConfigValue for bool {
    /// `Boolean.parseBoolean`: "true" in any case is true, anything else false.
    fn parse_value(s: &str) -> Result<Self, String> {
        Ok(s.trim().eq_ignore_ascii_case("true"))
    }
    fn render_value(&self) -> String {
        self.to_string()
    }
}

macro_rules! numeric_config_value {
    ($($t:ty),*) => {$(
        impl ConfigValue for $t {
            fn parse_value(s: &str) -> Result<Self, String> {
                s.trim().parse::<$t>().map_err(|e| e.to_string())
            }
            fn render_value(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
numeric_config_value!(i32, i64, u16, u32, u64, usize, f64);

/// A configuration struct with Java property names.
pub trait JavaConfig {
    /// Applies one property. `Ok(false)`: this struct has no such key.
    fn set(&mut self, key: &str, value: &str) -> Result<bool, ConfigError>;
    /// Every (Java key, current value), in declaration order.
    fn entries(&self) -> Vec<(&'static str, String)>;
}

/// Old spellings still found in configuration files, with the key 4.9.7 uses. Before 4.5 the
/// store's file sizes were `maped...` (one `p`); 4.9.7 silently ignores those, we accept them.
const LEGACY_KEYS: &[(&str, &str)] = &[
    ("mapedFileSizeCommitLog", "mappedFileSizeCommitLog"),
    ("mapedFileSizeConsumeQueue", "mappedFileSizeConsumeQueue"),
];

/// The key a property is known by: its 4.9.7 spelling when it is an old one.
pub fn canonical_key(key: &str) -> &str {
    LEGACY_KEYS
        .iter()
        .find(|(old, _)| *old == key)
        .map_or(key, |(_, new)| new)
}

/// Applies `props` to `configs` (old key spellings included, see [`canonical_key`]). Returns
/// the warnings: unknown keys and values that could not be parsed (those keep their default, as
/// Java's `properties2Object` ignores a failing setter).
pub fn apply(props: &[(String, String)], configs: &mut [&mut dyn JavaConfig]) -> Vec<String> {
    let mut warnings = Vec::new();
    for (key, value) in props {
        let key = canonical_key(key);
        let mut known = false;
        for config in configs.iter_mut() {
            match config.set(key, value) {
                Ok(true) => known = true,
                Ok(false) => {}
                Err(e) => {
                    known = true;
                    warnings.push(e.to_string());
                }
            }
        }
        if !known {
            warnings.push(format!("unknown config key {key} (ignored)"));
        }
    }
    warnings
}

/// Reads a properties file and applies it, logging each warning.
pub fn load_file(
    path: &Path,
    configs: &mut [&mut dyn JavaConfig],
) -> std::io::Result<Vec<(String, String)>> {
    let bytes = std::fs::read(path)?;
    let props = properties::parse(&String::from_utf8_lossy(&bytes));
    for warning in apply(&props, configs) {
        tracing::warn!("{}: {warning}", path.display());
    }
    Ok(props)
}

/// All entries as Java's `MixAll.properties2String` prints them: `key=value` lines.
pub fn render(configs: &[&dyn JavaConfig]) -> String {
    let mut out = String::new();
    for config in configs {
        for (key, value) in config.entries() {
            out.push_str(key);
            out.push('=');
            out.push_str(&value);
            out.push('\n');
        }
    }
    out
}

/// Declares a configuration struct whose fields carry their Java property name and default.
///
/// ```
/// ferrocket::java_config! {
///     /// Example.
///     pub struct ExampleConfig {
///         /// The port.
///         listen_port: i32 = "listenPort" => 9876,
///         cluster_test: bool = "clusterTest" => false,
///     }
/// }
/// use ferrocket::config::JavaConfig;
/// let mut c = ExampleConfig::default();
/// assert_eq!(c.set("listenPort", " 10911 "), Ok(true));
/// assert_eq!(c.listen_port, 10911);
/// assert_eq!(c.set("nope", "1"), Ok(false));
/// ```
#[macro_export]
macro_rules! java_config {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty = $java:literal => $default:expr
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        $vis struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
        }

        impl ::core::default::Default for $name {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl $name {
            /// The Java property names this struct understands.
            #[allow(dead_code)]
            pub const KEYS: &'static [&'static str] = &[$($java),*];
        }

        impl $crate::config::JavaConfig for $name {
            fn set(&mut self, key: &str, value: &str) -> ::core::result::Result<bool, $crate::config::ConfigError> {
                match key {
                    $(
                        $java => {
                            self.$field = <$ty as $crate::config::ConfigValue>::parse_value(value).map_err(|reason| {
                                $crate::config::ConfigError { key: key.to_string(), value: value.to_string(), reason }
                            })?;
                            Ok(true)
                        }
                    )*
                    _ => Ok(false),
                }
            }

            fn entries(&self) -> ::std::vec::Vec<(&'static str, ::std::string::String)> {
                vec![$( ($java, $crate::config::ConfigValue::render_value(&self.$field)), )*]
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::java_config! {
        struct A {
            port: i32 = "listenPort" => 9876,
            name: String = "brokerName" => "b".to_string(),
        }
    }

    crate::java_config! {
        struct B {
            port: i32 = "listenPort" => 1,
            enabled: bool = "enabled" => false,
        }
    }

    #[test]
    fn applies_to_every_struct_and_warns_on_unknown_or_bad() {
        let mut a = A::default();
        let mut b = B::default();
        let props = properties::parse("listenPort=10911\nenabled=TRUE\nbogusKey=1\nbrokerName=x\n");
        let warnings = apply(&props, &mut [&mut a, &mut b]);
        assert_eq!(
            (a.port, b.port, b.enabled, a.name.as_str()),
            (10911, 10911, true, "x")
        );
        assert_eq!(
            warnings,
            vec!["unknown config key bogusKey (ignored)".to_string()]
        );

        let warnings = apply(&properties::parse("listenPort=abc"), &mut [&mut a]);
        assert_eq!(a.port, 10911, "a bad value keeps the previous one");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("listenPort"), "{warnings:?}");

        assert_eq!(render(&[&a]), "listenPort=10911\nbrokerName=x\n");
    }

    #[test]
    fn pre_4_5_maped_spellings_set_the_mapped_fields() {
        let mut store = crate::store::config::MessageStoreConfig::default();
        let props = properties::parse(
            "mapedFileSizeCommitLog=65536\nmapedFileSizeConsumeQueue=6000\nmapedFileSizeBogus=1\n",
        );
        let warnings = apply(&props, &mut [&mut store]);
        assert_eq!(store.mapped_file_size_commit_log, 65536);
        assert_eq!(store.mapped_file_size_consume_queue, 6000);
        assert_eq!(
            warnings,
            vec!["unknown config key mapedFileSizeBogus (ignored)".to_string()]
        );
        // Rendered (GET_BROKER_CONFIG) under the 4.9.7 names only.
        let rendered = render(&[&store]);
        assert!(rendered.contains("mappedFileSizeCommitLog=65536\n"));
        assert!(!rendered.contains("mapedFileSize"));
        // The 4.9.7 spelling still works, and a bad value under the old one is reported.
        let warnings = apply(
            &properties::parse("mappedFileSizeCommitLog=4096\nmapedFileSizeConsumeQueue=x"),
            &mut [&mut store],
        );
        assert_eq!(store.mapped_file_size_commit_log, 4096);
        assert_eq!(store.mapped_file_size_consume_queue, 6000);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("mappedFileSizeConsumeQueue"),
            "{warnings:?}"
        );
    }
}
