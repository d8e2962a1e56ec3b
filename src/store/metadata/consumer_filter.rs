//! `config/consumerFilter.json` (Java `ConsumerFilterManager`): the SQL92/bloom-filter data of
//! consumers that filter by expression. Read and written back as Java does; the filtering itself
//! lives in the broker.

use crate::fastjson::{FromJson, JsonError, ToJson, Value};
use crate::java::JavaMap;

crate::json_bean! {
    /// Java `BloomFilterData`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct BloomFilterData {
        pub bit_pos: Vec<i32> = "bitPos",
        pub bit_num: i32 = "bitNum",
    }
}

/// Java `ConsumerFilterData`. fastjson also writes the derived `dead` (`isDead()`:
/// `deadTime >= bornTime`), which is ignored when reading.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerFilterData {
    pub consumer_group: Option<String>,
    pub topic: Option<String>,
    pub expression: Option<String>,
    pub expression_type: Option<String>,
    pub born_time: i64,
    pub dead_time: i64,
    pub bloom_filter_data: Option<BloomFilterData>,
    pub client_version: i64,
}

impl ConsumerFilterData {
    pub fn is_dead(&self) -> bool {
        self.dead_time >= self.born_time
    }
}

impl ToJson for ConsumerFilterData {
    fn to_json(&self) -> Value {
        crate::fastjson::__bean_value(vec![
            ("bloomFilterData", self.bloom_filter_data.to_json()),
            ("bornTime", self.born_time.to_json()),
            ("clientVersion", self.client_version.to_json()),
            ("consumerGroup", self.consumer_group.to_json()),
            ("dead", self.is_dead().to_json()),
            ("deadTime", self.dead_time.to_json()),
            ("expression", self.expression.to_json()),
            ("expressionType", self.expression_type.to_json()),
            ("topic", self.topic.to_json()),
        ])
    }
}

impl FromJson for ConsumerFilterData {
    fn from_json(v: &Value) -> Result<Self, JsonError> {
        let members = crate::fastjson::__bean_members(v)?;
        let field = |name: &str| crate::fastjson::__bean_member(members, name);
        fn read<T: FromJson + Default>(m: Option<&Value>, name: &str) -> Result<T, JsonError> {
            m.map(T::from_json)
                .transpose()
                .map_err(|e| e.at(name))
                .map(Option::unwrap_or_default)
        }
        Ok(ConsumerFilterData {
            consumer_group: read(field("consumerGroup"), "consumerGroup")?,
            topic: read(field("topic"), "topic")?,
            expression: read(field("expression"), "expression")?,
            expression_type: read(field("expressionType"), "expressionType")?,
            born_time: read(field("bornTime"), "bornTime")?,
            dead_time: read(field("deadTime"), "deadTime")?,
            bloom_filter_data: read(field("bloomFilterData"), "bloomFilterData")?,
            client_version: read(field("clientVersion"), "clientVersion")?,
        })
    }
}

crate::json_bean! {
    /// Java `ConsumerFilterManager.FilterDataMapByTopic`: group -> filter data of one topic.
    #[derive(Debug, Clone, PartialEq)]
    pub struct FilterDataMapByTopic {
        /// `new ConcurrentHashMap<>()` (16 buckets: capacity 0 stands for the default constructor).
        pub group_filter_data: JavaMap<String, ConsumerFilterData, 0> = "groupFilterData",
        pub topic: Option<String> = "topic",
    }
}

crate::json_bean! {
    /// `config/consumerFilter.json`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ConsumerFilterTable {
        /// `new ConcurrentHashMap<>(256)`.
        pub filter_data_by_topic: JavaMap<String, FilterDataMapByTopic, 256> = "filterDataByTopic",
    }
}

/// The file name under `<storePathRootDir>/config/`.
pub const CONSUMER_FILTER_FILE: &str = "consumerFilter.json";
