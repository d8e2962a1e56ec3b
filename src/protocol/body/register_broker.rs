//! The REGISTER_BROKER body (`RegisterBrokerBody`, `TopicConfigSerializeWrapper`) in both of its
//! encodings, and the NameServer's answer (`RegisterBrokerResult`).

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::{BodyError, DataVersion, KvTable, TopicConfig};
use crate::fastjson;

/// The topic table as `TopicConfigManager` holds it: `new ConcurrentHashMap<>(1024)`.
pub type TopicConfigMap = crate::java::JavaMap<String, TopicConfig, 1024>;

crate::json_bean! {
    /// Java `TopicConfigSerializeWrapper`: a broker's topic configs and their data version.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TopicConfigSerializeWrapper {
        /// topic name -> config, written in the order of Java's `ConcurrentHashMap<>(1024)`.
        pub topic_config_table: TopicConfigMap = "topicConfigTable",
        pub data_version: DataVersion = "dataVersion",
    }
}

crate::json_bean! {
    /// Java `RegisterBrokerBody`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RegisterBrokerBody {
        pub topic_config_serialize_wrapper: TopicConfigSerializeWrapper = "topicConfigSerializeWrapper",
        pub filter_server_list: Vec<String> = "filterServerList",
    }
}

/// Upper bound for one length-prefixed item of the compressed format. Java would try to allocate
/// whatever the int says; a broker never sends anything close to this.
const MAX_COMPRESSED_ITEM: usize = 64 * 1024 * 1024;

/// Upper bound for the whole inflated body, so a small "zip bomb" frame cannot make the
/// NameServer inflate gigabytes. A registration of 10 000 topics inflates to ~0.5 MB.
const MAX_INFLATED: u64 = 32 * 1024 * 1024;

impl RegisterBrokerBody {
    /// The compressed format of `RegisterBrokerBody.encode(true)`: a zlib stream (best
    /// compression) of `i32 len + DataVersion JSON`, `i32 count`, count × (`i32 len` + topic config
    /// line), `i32 len + filterServerList JSON`; all integers big-endian.
    pub fn encode_compressed(&self) -> Vec<u8> {
        let mut plain = Vec::new();
        let dv = fastjson::encode_compact(&self.topic_config_serialize_wrapper.data_version);
        put_chunk(&mut plain, dv.as_bytes());
        let table = &self.topic_config_serialize_wrapper.topic_config_table;
        plain.extend_from_slice(&(table.len() as i32).to_be_bytes());
        // Java iterates its ConcurrentHashMap: the same order the JSON form is written in.
        for (_, config) in table.iter_java_order() {
            put_chunk(&mut plain, config.encode_line().as_bytes());
        }
        let filters = fastjson::encode_compact(&self.filter_server_list);
        put_chunk(&mut plain, filters.as_bytes());

        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        // Writing into a Vec cannot fail.
        let _ = encoder.write_all(&plain);
        encoder.finish().unwrap_or_default()
    }

    /// Reads the compressed format (Java `RegisterBrokerBody.decode(data, true)`). Like Java, bytes
    /// after the last item are ignored, and a filter server list that is not a JSON array of
    /// strings becomes an empty list.
    pub fn decode_compressed(data: &[u8]) -> Result<RegisterBrokerBody, BodyError> {
        let mut input = ZlibDecoder::new(data).take(MAX_INFLATED);
        let dv_text = read_chunk(&mut input, "dataVersion")?;
        let data_version: DataVersion =
            fastjson::decode(&dv_text).map_err(|e| BodyError::new(format!("dataVersion: {e}")))?;
        let count = read_i32(&mut input, "topic config count")?;
        if count < 0 {
            return Err(BodyError::new(format!(
                "negative topic config count {count}"
            )));
        }
        let mut topic_config_table = TopicConfigMap::new();
        for _ in 0..count {
            let line = read_chunk(&mut input, "topic config")?;
            let config = TopicConfig::decode_line(&line)?;
            topic_config_table.insert(config.name().to_string(), config);
        }
        let filters_text = read_chunk(&mut input, "filterServerList")?;
        let filter_server_list: Vec<String> =
            fastjson::decode::<Option<Vec<String>>>(&filters_text)
                .ok()
                .flatten()
                .unwrap_or_default();
        Ok(RegisterBrokerBody {
            topic_config_serialize_wrapper: TopicConfigSerializeWrapper {
                topic_config_table,
                data_version,
            },
            filter_server_list,
        })
    }

    /// Either encoding, as the `compressed` header field says.
    pub fn decode(data: &[u8], compressed: bool) -> Result<RegisterBrokerBody, BodyError> {
        if compressed {
            Self::decode_compressed(data)
        } else {
            super::decode_body(data)
        }
    }
}

fn put_chunk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn read_i32(input: &mut impl Read, what: &str) -> Result<i32, BodyError> {
    let mut word = [0u8; 4];
    input
        .read_exact(&mut word)
        .map_err(|e| BodyError::new(format!("compressed body ends before {what}: {e}")))?;
    Ok(i32::from_be_bytes(word))
}

fn read_chunk(input: &mut impl Read, what: &str) -> Result<String, BodyError> {
    let len = read_i32(input, what)?;
    let len = usize::try_from(len)
        .ok()
        .filter(|l| *l <= MAX_COMPRESSED_ITEM)
        .ok_or_else(|| BodyError::new(format!("bad length {len} for {what}")))?;
    let mut bytes = Vec::new();
    let got = input
        .take(len as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| BodyError::new(format!("cannot inflate {what}: {e}")))?;
    if got != len {
        return Err(BodyError::new(
            "End of compressed data has reached".to_string(),
        ));
    }
    String::from_utf8(bytes).map_err(|_| BodyError::new(format!("{what} is not UTF-8")))
}

/// Java `RegisterBrokerResult`: what `registerBroker` tells a slave about its master.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegisterBrokerResult {
    pub ha_server_addr: Option<String>,
    pub master_addr: Option<String>,
    pub kv_table: Option<KvTable>,
}
