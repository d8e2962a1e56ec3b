//! Headers of the NameServer's requests (`common/protocol/header/namesrv/` in Java, plus
//! `GetTopicsByClusterRequestHeader`, which only the NameServer reads).

command_header! {
    /// PUT_KV_CONFIG (100).
    pub struct PutKVConfigRequestHeader {
        pub namespace: String = "namespace" (required),
        pub key: String = "key" (required),
        pub value: String = "value" (required),
    }
}

command_header! {
    /// GET_KV_CONFIG (101) request.
    pub struct GetKVConfigRequestHeader {
        pub namespace: String = "namespace" (required),
        pub key: String = "key" (required),
    }
}

command_header! {
    /// GET_KV_CONFIG (101) response; `value` is null when the key is unknown (code QUERY_NOT_FOUND).
    pub struct GetKVConfigResponseHeader {
        pub value: Option<String> = "value" (optional),
    }
}

command_header! {
    /// DELETE_KV_CONFIG (102).
    pub struct DeleteKVConfigRequestHeader {
        pub namespace: String = "namespace" (required),
        pub key: String = "key" (required),
    }
}

command_header! {
    /// REGISTER_BROKER (103) request; the body is a `RegisterBrokerBody` (JSON, or RocketMQ's zlib
    /// format when `compressed`). `bodyCrc32` is CRC32(body) & 0x7FFFFFFF, 0 meaning "not checked".
    pub struct RegisterBrokerRequestHeader {
        pub broker_name: String = "brokerName" (required),
        pub broker_addr: String = "brokerAddr" (required),
        pub cluster_name: String = "clusterName" (required),
        pub ha_server_addr: String = "haServerAddr" (required),
        pub broker_id: i64 = "brokerId" (required),
        pub compressed: bool = "compressed" (optional),
        pub body_crc32: Option<i32> = "bodyCrc32" (default Some(0)),
    }
}

command_header! {
    /// REGISTER_BROKER (103) response: the master's HA and broker address for a slave, null for a
    /// master (which then gets `{}` as extFields).
    pub struct RegisterBrokerResponseHeader {
        pub ha_server_addr: Option<String> = "haServerAddr" (optional),
        pub master_addr: Option<String> = "masterAddr" (optional),
    }
}

command_header! {
    /// UNREGISTER_BROKER (104).
    pub struct UnRegisterBrokerRequestHeader {
        pub broker_name: String = "brokerName" (required),
        pub broker_addr: String = "brokerAddr" (required),
        pub cluster_name: String = "clusterName" (required),
        pub broker_id: i64 = "brokerId" (required),
    }
}

command_header! {
    /// GET_ROUTEINFO_BY_TOPIC (105). `acceptStandardJsonOnly` is sent by no 4.9.7 client; the
    /// NameServer switches to standard JSON by the request's `version` instead.
    pub struct GetRouteInfoRequestHeader {
        pub topic: String = "topic" (required),
        pub accept_standard_json_only: Option<bool> = "acceptStandardJsonOnly" (optional),
    }
}

command_header! {
    /// WIPE_WRITE_PERM_OF_BROKER (205) request.
    pub struct WipeWritePermOfBrokerRequestHeader {
        pub broker_name: String = "brokerName" (required),
    }
}

command_header! {
    /// WIPE_WRITE_PERM_OF_BROKER (205) response.
    pub struct WipeWritePermOfBrokerResponseHeader {
        pub wipe_topic_count: i32 = "wipeTopicCount" (required),
    }
}

command_header! {
    /// ADD_WRITE_PERM_OF_BROKER (327) request.
    pub struct AddWritePermOfBrokerRequestHeader {
        pub broker_name: String = "brokerName" (required),
    }
}

command_header! {
    /// ADD_WRITE_PERM_OF_BROKER (327) response.
    pub struct AddWritePermOfBrokerResponseHeader {
        pub add_topic_count: i32 = "addTopicCount" (required),
    }
}

command_header! {
    /// DELETE_TOPIC_IN_NAMESRV (216). `clusterName` null means every cluster.
    pub struct DeleteTopicFromNamesrvRequestHeader {
        pub topic: String = "topic" (required),
        pub cluster_name: Option<String> = "clusterName" (optional),
    }
}

command_header! {
    /// GET_KVLIST_BY_NAMESPACE (219).
    pub struct GetKVListByNamespaceRequestHeader {
        pub namespace: String = "namespace" (required),
    }
}

command_header! {
    /// GET_TOPICS_BY_CLUSTER (224).
    pub struct GetTopicsByClusterRequestHeader {
        pub cluster: String = "cluster" (required),
    }
}

command_header! {
    /// QUERY_DATA_VERSION (322) request; the body is the broker's `DataVersion` JSON.
    pub struct QueryDataVersionRequestHeader {
        pub broker_name: String = "brokerName" (required),
        pub broker_addr: String = "brokerAddr" (required),
        pub cluster_name: String = "clusterName" (required),
        pub broker_id: i64 = "brokerId" (required),
    }
}

command_header! {
    /// QUERY_DATA_VERSION (322) response.
    pub struct QueryDataVersionResponseHeader {
        pub changed: bool = "changed" (required),
    }
}

command_header! {
    /// REGISTER_ORDER_TOPIC: a class without a request code in 4.9.7 (no processor reads it);
    /// kept for completeness.
    pub struct RegisterOrderTopicRequestHeader {
        pub topic: String = "topic" (required),
        pub order_topic_string: String = "orderTopicString" (required),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CommandHeader, HeaderError};
    use crate::remoting::ExtFields;

    fn ext(pairs: &[(&str, &str)]) -> ExtFields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn register_broker_reads_a_real_header_and_writes_it_back_in_declaration_order() {
        // extFields of a REGISTER_BROKER sent by the Java 4.9.7 broker (HashMap order).
        let wire = ext(&[
            ("brokerId", "0"),
            ("bodyCrc32", "208606654"),
            ("clusterName", "DefaultCluster"),
            ("brokerAddr", "127.0.0.1:10911"),
            ("haServerAddr", "127.0.0.1:10912"),
            ("compressed", "false"),
            ("brokerName", "broker-a"),
        ]);
        let h = RegisterBrokerRequestHeader::from_ext_fields(&wire).unwrap();
        assert_eq!(h.broker_id, 0);
        assert_eq!(h.body_crc32, Some(208606654));
        assert!(!h.compressed);
        assert_eq!(h.broker_addr, "127.0.0.1:10911");
        let out = h.to_ext_fields();
        let keys: Vec<&str> = out.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, RegisterBrokerRequestHeader::JAVA_FIELDS);
        assert_eq!(
            keys,
            [
                "brokerName",
                "brokerAddr",
                "clusterName",
                "haServerAddr",
                "brokerId",
                "compressed",
                "bodyCrc32"
            ]
        );
    }

    #[test]
    fn missing_required_field_is_javas_message() {
        let wire = ext(&[
            ("brokerName", "b"),
            ("brokerAddr", "a"),
            ("clusterName", "c"),
            ("haServerAddr", "h"),
        ]);
        let err = RegisterBrokerRequestHeader::from_ext_fields(&wire).unwrap_err();
        assert_eq!(err, HeaderError::Missing("brokerId"));
        assert_eq!(err.to_string(), "the custom field <brokerId> is null");
    }

    #[test]
    fn missing_optional_fields_take_javas_initial_values() {
        let wire = ext(&[
            ("brokerName", "b"),
            ("brokerAddr", "a"),
            ("clusterName", "c"),
            ("haServerAddr", "h"),
            ("brokerId", "1"),
            ("unknownKey", "ignored"),
        ]);
        let h = RegisterBrokerRequestHeader::from_ext_fields(&wire).unwrap();
        assert!(!h.compressed);
        assert_eq!(h.body_crc32, Some(0), "Integer bodyCrc32 = 0");
        // Encoding writes the initial values, as Java does (primitives and initialised boxes are non-null).
        let out = h.to_ext_fields();
        assert_eq!(out.get("compressed"), Some("false"));
        assert_eq!(out.get("bodyCrc32"), Some("0"));
        assert_eq!(out.get("unknownKey"), None);
        assert_eq!(RegisterBrokerRequestHeader::default().body_crc32, Some(0));
    }

    #[test]
    fn unparsable_number_keeps_field_and_value() {
        let wire = ext(&[
            ("brokerName", "b"),
            ("brokerAddr", "a"),
            ("clusterName", "c"),
            ("brokerId", "x1"),
        ]);
        assert_eq!(
            UnRegisterBrokerRequestHeader::from_ext_fields(&wire),
            Err(HeaderError::Invalid {
                field: "brokerId",
                value: "x1".into()
            })
        );
    }

    #[test]
    fn values_are_not_trimmed_and_booleans_parse_like_java() {
        let h = GetRouteInfoRequestHeader::from_ext_fields(&ext(&[
            ("topic", " T "),
            ("acceptStandardJsonOnly", "TRUE"),
        ]))
        .unwrap();
        assert_eq!(h.topic, " T ");
        assert_eq!(h.accept_standard_json_only, Some(true));
        let h = GetRouteInfoRequestHeader::from_ext_fields(&ext(&[
            ("topic", "T"),
            ("acceptStandardJsonOnly", "yes"),
        ]))
        .unwrap();
        assert_eq!(h.accept_standard_json_only, Some(false));
        let h = GetRouteInfoRequestHeader::from_ext_fields(&ext(&[("topic", "T")])).unwrap();
        assert_eq!(h.accept_standard_json_only, None);
        assert_eq!(
            h.to_ext_fields(),
            ext(&[("topic", "T")]),
            "null fields are not written"
        );
    }

    #[test]
    fn register_broker_response_of_a_master_is_empty() {
        let h = RegisterBrokerResponseHeader::from_ext_fields(&ExtFields::new()).unwrap();
        assert_eq!(h, RegisterBrokerResponseHeader::default());
        assert!(h.to_ext_fields().is_empty());
        let slave = RegisterBrokerResponseHeader {
            ha_server_addr: Some("127.0.0.1:10912".into()),
            master_addr: Some("127.0.0.1:10911".into()),
        };
        assert_eq!(
            slave.to_ext_fields(),
            ext(&[
                ("haServerAddr", "127.0.0.1:10912"),
                ("masterAddr", "127.0.0.1:10911")
            ])
        );
    }
}
