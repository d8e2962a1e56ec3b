//! What clients tell the broker about themselves (Java package `common.protocol.heartbeat`):
//! the HEART_BEAT body, subscriptions, and the tag filter the broker applies to ConsumeQueue
//! units before it reads a message.

use crate::java::java_string_hash;

/// `SubscriptionData.SUB_ALL`.
pub const SUB_ALL: &str = "*";

crate::json_enum! {
    /// `ConsumeType`: pull (actively) or push (passively).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum ConsumeType {
        ConsumeActively = "CONSUME_ACTIVELY",
        #[default]
        ConsumePassively = "CONSUME_PASSIVELY",
    }
}

crate::json_enum! {
    /// `MessageModel`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum MessageModel {
        Broadcasting = "BROADCASTING",
        #[default]
        Clustering = "CLUSTERING",
    }
}

crate::json_enum! {
    /// `ConsumeFromWhere`: where a group without a stored offset starts.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum ConsumeFromWhere {
        #[default]
        LastOffset = "CONSUME_FROM_LAST_OFFSET",
        LastOffsetAndFromMinWhenBootFirst = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        MinOffset = "CONSUME_FROM_MIN_OFFSET",
        MaxOffset = "CONSUME_FROM_MAX_OFFSET",
        FirstOffset = "CONSUME_FROM_FIRST_OFFSET",
        Timestamp = "CONSUME_FROM_TIMESTAMP",
    }
}

/// `ExpressionType.TAG`.
pub const EXPRESSION_TAG: &str = "TAG";
/// `ExpressionType.SQL92`.
pub const EXPRESSION_SQL92: &str = "SQL92";

crate::json_bean! {
    /// One topic subscription of a consumer group (`SubscriptionData`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct SubscriptionData {
        pub class_filter_mode: bool = "classFilterMode",
        pub topic: String = "topic",
        pub sub_string: String = "subString",
        pub tags_set: Vec<String> = "tagsSet",
        /// Java `String.hashCode` of each tag; what ConsumeQueue tags codes are compared with.
        pub code_set: Vec<i32> = "codeSet",
        pub sub_version: i64 = "subVersion",
        pub expression_type: String = "expressionType" => EXPRESSION_TAG.to_string(),
    }
}

impl SubscriptionData {
    /// `FilterAPI.buildSubscriptionData`: a tag expression such as `"TagA || TagB"` or `"*"`.
    pub fn from_tag_expression(
        topic: &str,
        expression: &str,
        sub_version: i64,
    ) -> SubscriptionData {
        let mut sub = SubscriptionData {
            topic: topic.to_string(),
            sub_string: expression.to_string(),
            sub_version,
            ..Default::default()
        };
        if expression.is_empty() || expression == SUB_ALL {
            sub.sub_string = SUB_ALL.to_string();
            return sub;
        }
        for tag in expression
            .split("||")
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if !sub.tags_set.iter().any(|t| t == tag) {
                sub.tags_set.push(tag.to_string());
                sub.code_set.push(java_string_hash(tag));
            }
        }
        sub
    }

    pub fn is_tag_type(&self) -> bool {
        self.expression_type.is_empty() || self.expression_type == EXPRESSION_TAG
    }

    /// The broker's first filter (Java `ExpressionMessageFilter.isMatchedByConsumeQueue` for
    /// TAG subscriptions): a ConsumeQueue unit matches when the subscription takes everything or
    /// its tags code is one of the subscribed tags' hash codes. Hash collisions are resolved by the
    /// client, which compares tag strings, as in Java.
    pub fn matches_tags_code(&self, tags_code: i64) -> bool {
        if self.class_filter_mode || !self.is_tag_type() || self.sub_string == SUB_ALL {
            return true;
        }
        // Java compares `tagsCode.intValue()`: the low 32 bits.
        self.code_set.contains(&(tags_code as i32))
    }
}

crate::json_bean! {
    /// A consumer group as one client sees it (`ConsumerData`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct ConsumerData {
        pub group_name: String = "groupName",
        pub consume_type: ConsumeType = "consumeType",
        pub message_model: MessageModel = "messageModel",
        pub consume_from_where: ConsumeFromWhere = "consumeFromWhere",
        pub subscription_data_set: Vec<SubscriptionData> = "subscriptionDataSet",
        pub unit_mode: bool = "unitMode",
    }
}

crate::json_bean! {
    /// A producer group of a client (`ProducerData`).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ProducerData {
        pub group_name: String = "groupName",
    }
}

crate::json_bean! {
    /// The HEART_BEAT request body (`HeartbeatData`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct HeartbeatData {
        pub client_id: String = "clientID",
        pub producer_data_set: Vec<ProducerData> = "producerDataSet",
        pub consumer_data_set: Vec<ConsumerData> = "consumerDataSet",
    }
}

crate::json_bean! {
    /// The CHECK_CLIENT_CONFIG request body (`CheckClientRequestBody`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct CheckClientRequestBody {
        pub client_id: String = "clientId",
        pub group: String = "group",
        pub subscription_data: Option<SubscriptionData> = "subscriptionData",
    }
}

crate::json_bean! {
    /// The GET_CONSUMER_LIST_BY_GROUP response body.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct GetConsumerListByGroupResponseBody {
        pub consumer_id_list: Vec<String> = "consumerIdList",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::{decode, encode_compact};

    #[test]
    fn tag_expressions_build_like_filter_api() {
        let s = SubscriptionData::from_tag_expression("T", "TagA || TagB ||  || TagA", 1);
        assert_eq!(s.tags_set, vec!["TagA", "TagB"]);
        // Hash codes as in the golden heartbeat: [2598919, 2598920].
        assert_eq!(s.code_set, vec![2598919, 2598920]);
        assert!(s.matches_tags_code(2598920));
        assert!(!s.matches_tags_code(99));
        let all = SubscriptionData::from_tag_expression("T", "", 1);
        assert_eq!(all.sub_string, "*");
        assert!(all.matches_tags_code(12345));
        let sql = SubscriptionData {
            expression_type: EXPRESSION_SQL92.into(),
            ..s
        };
        assert!(
            sql.matches_tags_code(99),
            "SQL92 is filtered later, not by tag code"
        );
    }

    /// The C++ client (librocketmq) writes enums as ordinals and subVersion as a string.
    #[test]
    fn cpp_client_heartbeat_decodes() {
        let body = r#"{"clientID":"7218-127.0.0.1@DEFAULT","consumerDataSet":[{"consumeFromWhere":0,"consumeType":1,"groupName":"g","messageModel":1,"subscriptionDataSet":[{"codeSet":[0],"subString":"TagA","subVersion":"1795430781018","tagsSet":["TagA"],"topic":"T2"}]}],"producerDataSet":[{"groupName":"p"}]}"#;
        let hb: HeartbeatData = decode(body).unwrap();
        let c = &hb.consumer_data_set[0];
        assert_eq!(c.consume_type, ConsumeType::ConsumePassively);
        assert_eq!(c.message_model, MessageModel::Clustering);
        assert_eq!(c.consume_from_where, ConsumeFromWhere::LastOffset);
        assert_eq!(c.subscription_data_set[0].sub_version, 1795430781018);
        assert_eq!(hb.producer_data_set[0].group_name, "p");
    }

    /// The golden HEART_BEAT bodies decode, and re-encode to Java's bytes.
    #[test]
    fn golden_heartbeats_round_trip() {
        let Some(golden) = crate::testkit::golden_or_skip("heartbeat bodies") else {
            return;
        };
        let mut seen = 0;
        for scenario in [
            "consume-push",
            "consume-orderly",
            "consume-broadcast",
            "consume-pull",
            "sql-filter",
            "transaction",
            "admin",
        ] {
            let text =
                std::fs::read_to_string(golden.join(format!("frames/{scenario}.jsonl"))).unwrap();
            for line in text.lines() {
                let frame = crate::fastjson::parse(line).unwrap();
                let is_heartbeat = frame.get("dir").and_then(|v| v.as_str()) == Some("request")
                    && frame.get("code").and_then(|v| v.as_i64()) == Some(34);
                let Some(body) = frame.get("body_text").and_then(|v| v.as_str()) else {
                    continue;
                };
                if !is_heartbeat {
                    continue;
                }
                let hb: HeartbeatData = decode(body).unwrap();
                assert!(hb.client_id.contains('@'), "{}", hb.client_id);
                assert_eq!(encode_compact(&hb), body);
                seen += 1;
            }
        }
        assert!(seen >= 10, "only {seen} heartbeats");
    }
}
