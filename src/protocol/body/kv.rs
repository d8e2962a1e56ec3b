//! Small bodies of the NameServer's KV store and topic lists: `KVTable`, `TopicList`, and the KV
//! store's file (`KVConfigSerializeWrapper`).

use std::collections::BTreeMap;

crate::json_bean! {
    /// Java `KVTable`: `{"table":{key:value,...}}`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct KvTable {
        pub table: BTreeMap<String, String> = "table",
    }
}

crate::json_bean! {
    /// Java `TopicList`: `{"brokerAddr":...,"topicList":[...]}` (`brokerAddr` omitted when null).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TopicList {
        /// A `HashSet` in Java: no order, no duplicates.
        pub topic_list: Vec<String> = "topicList",
        pub broker_addr: Option<String> = "brokerAddr",
    }
}

crate::json_bean! {
    /// Java `KVConfigSerializeWrapper`, the content of `kvConfig.json`:
    /// `{"configTable":{namespace:{key:value}}}`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct KvConfigSerializeWrapper {
        pub config_table: BTreeMap<String, BTreeMap<String, String>> = "configTable",
    }
}
