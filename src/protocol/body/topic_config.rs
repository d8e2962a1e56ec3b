//! `TopicConfig`: one topic as a broker declares it (queue counts, permission, flags).

use super::BodyError;

use crate::protocol::topic::perm;

crate::json_enum! {
    /// Java `TopicFilterType`; JSON carries the enum name.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum TopicFilterType {
        #[default]
        SingleTag = "SINGLE_TAG",
        MultiTag = "MULTI_TAG",
    }
}

crate::json_bean! {
    /// Java `org.apache.rocketmq.common.TopicConfig`, with Java's defaults (16/16 queues, RW).
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub struct TopicConfig {
        /// `null` in Java when never set; fastjson then omits it.
        pub topic_name: Option<String> = "topicName",
        pub read_queue_nums: i32 = "readQueueNums" => 16,
        pub write_queue_nums: i32 = "writeQueueNums" => 16,
        pub perm: i32 = "perm" => perm::READ | perm::WRITE,
        pub topic_filter_type: TopicFilterType = "topicFilterType",
        pub topic_sys_flag: i32 = "topicSysFlag",
        pub order: bool = "order",
    }
}

impl TopicConfig {
    pub fn new(topic: impl Into<String>, read: i32, write: i32, perm: i32) -> TopicConfig {
        TopicConfig {
            topic_name: Some(topic.into()),
            read_queue_nums: read,
            write_queue_nums: write,
            perm,
            ..TopicConfig::default()
        }
    }

    /// The name, or "" for a config that never had one (Java would use `null` as a map key).
    pub fn name(&self) -> &str {
        self.topic_name.as_deref().unwrap_or("")
    }

    /// Java `TopicConfig.encode()`: `"<topic> <read> <write> <perm> <filterType>"`, the line
    /// format of the compressed REGISTER_BROKER body. `order` and `topicSysFlag` are not in it.
    pub fn encode_line(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.topic_name.as_deref().unwrap_or("null"),
            self.read_queue_nums,
            self.write_queue_nums,
            self.perm,
            self.topic_filter_type.java_name()
        )
    }

    /// Java `TopicConfig.decode(String)`: exactly five space-separated fields. Java silently
    /// keeps a default-constructed config when the count is wrong and throws on a bad number;
    /// both are an error here so the caller can answer with a clear message.
    pub fn decode_line(line: &str) -> Result<TopicConfig, BodyError> {
        let mut fields: Vec<&str> = line.split(' ').collect();
        // Java's String.split drops trailing empty strings.
        while fields.last() == Some(&"") {
            fields.pop();
        }
        let [name, read, write, perm, filter] = fields.as_slice() else {
            return Err(BodyError::new(format!("bad topic config line: {line:?}")));
        };
        let int = |s: &str| {
            s.parse::<i32>().map_err(|_| {
                BodyError::new(format!("bad number {s:?} in topic config line {line:?}"))
            })
        };
        Ok(TopicConfig {
            topic_name: Some((*name).to_string()),
            read_queue_nums: int(read)?,
            write_queue_nums: int(write)?,
            perm: int(perm)?,
            topic_filter_type: TopicFilterType::from_java_name(filter)
                .ok_or_else(|| BodyError::new(format!("bad topicFilterType {filter:?}")))?,
            topic_sys_flag: 0,
            order: false,
        })
    }
}
