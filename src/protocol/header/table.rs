//! Which typed header goes with each request code of 4.9.7, for the request and for its response,
//! plus the extFields keys Java adds beside a header. Drives the golden tests and the compat
//! matrix; servers use the concrete types directly.

use std::sync::OnceLock;

use super::*;
use crate::protocol::{CommandHeader, HeaderError};
use crate::remoting::{ExtFields, RemotingCommand};

macro_rules! header_kinds {
    ($($ty:ident),* $(,)?) => {
        /// Every typed header, named after its Java class.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum HeaderKind { $($ty),* }

        impl HeaderKind {
            pub const ALL: &'static [HeaderKind] = &[$(HeaderKind::$ty),*];

            /// The Java class's simple name.
            pub fn java_class(self) -> &'static str {
                match self { $(HeaderKind::$ty => $ty::JAVA_CLASS),* }
            }

            /// The extFields keys of the header, in Java declaration order.
            pub fn java_fields(self) -> &'static [&'static str] {
                match self { $(HeaderKind::$ty => $ty::JAVA_FIELDS),* }
            }

            /// Reads `ext` into this header type and writes it back: the extFields Java would send
            /// after decoding them (unknown keys dropped, defaults filled in).
            pub fn reencode(self, ext: &ExtFields) -> Result<ExtFields, HeaderError> {
                match self { $(HeaderKind::$ty => $ty::from_ext_fields(ext).map(|h| h.to_ext_fields())),* }
            }

            /// Reads `ext` into this header type and [`write_header`](crate::protocol::write_header)s
            /// it into `cmd`, beside the keys `cmd` already holds.
            pub fn write_from(self, ext: &ExtFields, cmd: &mut RemotingCommand) -> Result<(), HeaderError> {
                match self {
                    $(HeaderKind::$ty => {
                        let header = $ty::from_ext_fields(ext)?;
                        crate::protocol::write_header(cmd, &header);
                        Ok(())
                    })*
                }
            }
        }
    };
}

header_kinds! {
    CreateAccessConfigRequestHeader,
    DeleteAccessConfigRequestHeader,
    GetBrokerAclConfigResponseHeader,
    UpdateGlobalWhiteAddrsConfigRequestHeader,
    CreateTopicRequestHeader,
    GetAllTopicConfigResponseHeader,
    GetBrokerConfigResponseHeader,
    DeleteTopicRequestHeader,
    DeleteSubscriptionGroupRequestHeader,
    GetTopicStatsInfoRequestHeader,
    GetConsumerConnectionListRequestHeader,
    GetProducerConnectionListRequestHeader,
    GetConsumeStatsRequestHeader,
    GetAllProducerInfoRequestHeader,
    CloneGroupOffsetRequestHeader,
    ViewBrokerStatsDataRequestHeader,
    GetConsumeStatsInBrokerHeader,
    UnregisterClientRequestHeader,
    UnregisterClientResponseHeader,
    ConsumerSendMsgBackRequestHeader,
    GetConsumerListByGroupRequestHeader,
    GetConsumerListByGroupResponseHeader,
    NotifyConsumerIdsChangedRequestHeader,
    ResetOffsetRequestHeader,
    GetConsumerStatusRequestHeader,
    GetConsumerRunningInfoRequestHeader,
    ConsumeMessageDirectlyResultRequestHeader,
    RegisterFilterServerRequestHeader,
    RegisterFilterServerResponseHeader,
    RegisterMessageFilterClassRequestHeader,
    RegisterBrokerRequestHeader,
    PutKVConfigRequestHeader,
    GetKVConfigRequestHeader,
    GetKVConfigResponseHeader,
    DeleteKVConfigRequestHeader,
    RegisterBrokerResponseHeader,
    UnRegisterBrokerRequestHeader,
    GetRouteInfoRequestHeader,
    WipeWritePermOfBrokerRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
    AddWritePermOfBrokerRequestHeader,
    AddWritePermOfBrokerResponseHeader,
    DeleteTopicFromNamesrvRequestHeader,
    GetKVListByNamespaceRequestHeader,
    GetTopicsByClusterRequestHeader,
    QueryDataVersionRequestHeader,
    QueryDataVersionResponseHeader,
    RegisterOrderTopicRequestHeader,
    QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
    UpdateConsumerOffsetResponseHeader,
    SearchOffsetRequestHeader,
    SearchOffsetResponseHeader,
    GetMaxOffsetRequestHeader,
    GetMaxOffsetResponseHeader,
    GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader,
    GetEarliestMsgStoretimeRequestHeader,
    GetEarliestMsgStoretimeResponseHeader,
    PullMessageRequestHeader,
    PullMessageResponseHeader,
    QueryMessageRequestHeader,
    QueryMessageResponseHeader,
    ViewMessageRequestHeader,
    ViewMessageResponseHeader,
    QueryTopicConsumeByWhoRequestHeader,
    QueryConsumeTimeSpanRequestHeader,
    QueryCorrectionOffsetHeader,
    QueryConsumeQueueRequestHeader,
    SendMessageRequestHeader,
    SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
    ReplyMessageRequestHeader,
    EndTransactionRequestHeader,
    EndTransactionResponseHeader,
    CheckTransactionStateRequestHeader,
    CheckTransactionStateResponseHeader,
    ResumeCheckHalfMessageRequestHeader,
}

impl HeaderKind {
    /// The 4.9.7 `FastCodesHeader` classes: on a ROCKETMQ-serialized frame their fields go on the
    /// wire in declaration order, before any other extFields entries; every other header's
    /// entries follow Java HashMap order.
    pub fn is_fast_codec(self) -> bool {
        matches!(
            self,
            HeaderKind::SendMessageRequestHeaderV2
                | HeaderKind::SendMessageResponseHeader
                | HeaderKind::PullMessageRequestHeader
                | HeaderKind::PullMessageResponseHeader
        )
    }
}

/// The headers of one request code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeHeaders {
    pub code: i32,
    /// `RequestCode` constant name.
    pub name: &'static str,
    /// The header class the server decodes the request with (`None`: no custom header).
    pub request: Option<HeaderKind>,
    /// The header class of the response (`None`: Java answers with `createResponseCommand(null)`
    /// or the request is oneway).
    pub response: Option<HeaderKind>,
}

/// Every `RequestCode` of 4.9.7, in code order.
pub const CODE_HEADERS: &[CodeHeaders] = &[
    CodeHeaders {
        code: 10,
        name: "SEND_MESSAGE",
        request: Some(HeaderKind::SendMessageRequestHeader),
        response: Some(HeaderKind::SendMessageResponseHeader),
    },
    CodeHeaders {
        code: 11,
        name: "PULL_MESSAGE",
        request: Some(HeaderKind::PullMessageRequestHeader),
        response: Some(HeaderKind::PullMessageResponseHeader),
    },
    CodeHeaders {
        code: 12,
        name: "QUERY_MESSAGE",
        request: Some(HeaderKind::QueryMessageRequestHeader),
        response: Some(HeaderKind::QueryMessageResponseHeader),
    },
    CodeHeaders {
        code: 13,
        name: "QUERY_BROKER_OFFSET",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 14,
        name: "QUERY_CONSUMER_OFFSET",
        request: Some(HeaderKind::QueryConsumerOffsetRequestHeader),
        response: Some(HeaderKind::QueryConsumerOffsetResponseHeader),
    },
    CodeHeaders {
        code: 15,
        name: "UPDATE_CONSUMER_OFFSET",
        request: Some(HeaderKind::UpdateConsumerOffsetRequestHeader),
        response: Some(HeaderKind::UpdateConsumerOffsetResponseHeader),
    },
    CodeHeaders {
        code: 17,
        name: "UPDATE_AND_CREATE_TOPIC",
        request: Some(HeaderKind::CreateTopicRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 21,
        name: "GET_ALL_TOPIC_CONFIG",
        request: None,
        response: Some(HeaderKind::GetAllTopicConfigResponseHeader),
    },
    CodeHeaders {
        code: 22,
        name: "GET_TOPIC_CONFIG_LIST",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 23,
        name: "GET_TOPIC_NAME_LIST",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 25,
        name: "UPDATE_BROKER_CONFIG",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 26,
        name: "GET_BROKER_CONFIG",
        request: None,
        response: Some(HeaderKind::GetBrokerConfigResponseHeader),
    },
    CodeHeaders {
        code: 27,
        name: "TRIGGER_DELETE_FILES",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 28,
        name: "GET_BROKER_RUNTIME_INFO",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 29,
        name: "SEARCH_OFFSET_BY_TIMESTAMP",
        request: Some(HeaderKind::SearchOffsetRequestHeader),
        response: Some(HeaderKind::SearchOffsetResponseHeader),
    },
    CodeHeaders {
        code: 30,
        name: "GET_MAX_OFFSET",
        request: Some(HeaderKind::GetMaxOffsetRequestHeader),
        response: Some(HeaderKind::GetMaxOffsetResponseHeader),
    },
    CodeHeaders {
        code: 31,
        name: "GET_MIN_OFFSET",
        request: Some(HeaderKind::GetMinOffsetRequestHeader),
        response: Some(HeaderKind::GetMinOffsetResponseHeader),
    },
    CodeHeaders {
        code: 32,
        name: "GET_EARLIEST_MSG_STORETIME",
        request: Some(HeaderKind::GetEarliestMsgStoretimeRequestHeader),
        response: Some(HeaderKind::GetEarliestMsgStoretimeResponseHeader),
    },
    CodeHeaders {
        code: 33,
        name: "VIEW_MESSAGE_BY_ID",
        request: Some(HeaderKind::ViewMessageRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 34,
        name: "HEART_BEAT",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 35,
        name: "UNREGISTER_CLIENT",
        request: Some(HeaderKind::UnregisterClientRequestHeader),
        response: Some(HeaderKind::UnregisterClientResponseHeader),
    },
    CodeHeaders {
        code: 36,
        name: "CONSUMER_SEND_MSG_BACK",
        request: Some(HeaderKind::ConsumerSendMsgBackRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 37,
        name: "END_TRANSACTION",
        request: Some(HeaderKind::EndTransactionRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 38,
        name: "GET_CONSUMER_LIST_BY_GROUP",
        request: Some(HeaderKind::GetConsumerListByGroupRequestHeader),
        response: Some(HeaderKind::GetConsumerListByGroupResponseHeader),
    },
    CodeHeaders {
        code: 39,
        name: "CHECK_TRANSACTION_STATE",
        request: Some(HeaderKind::CheckTransactionStateRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 40,
        name: "NOTIFY_CONSUMER_IDS_CHANGED",
        request: Some(HeaderKind::NotifyConsumerIdsChangedRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 41,
        name: "LOCK_BATCH_MQ",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 42,
        name: "UNLOCK_BATCH_MQ",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 43,
        name: "GET_ALL_CONSUMER_OFFSET",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 45,
        name: "GET_ALL_DELAY_OFFSET",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 46,
        name: "CHECK_CLIENT_CONFIG",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 50,
        name: "UPDATE_AND_CREATE_ACL_CONFIG",
        request: Some(HeaderKind::CreateAccessConfigRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 51,
        name: "DELETE_ACL_CONFIG",
        request: Some(HeaderKind::DeleteAccessConfigRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 52,
        name: "GET_BROKER_CLUSTER_ACL_INFO",
        request: None,
        response: Some(HeaderKind::GetBrokerAclConfigResponseHeader),
    },
    CodeHeaders {
        code: 53,
        name: "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG",
        request: Some(HeaderKind::UpdateGlobalWhiteAddrsConfigRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 54,
        name: "GET_BROKER_CLUSTER_ACL_CONFIG",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 100,
        name: "PUT_KV_CONFIG",
        request: Some(HeaderKind::PutKVConfigRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 101,
        name: "GET_KV_CONFIG",
        request: Some(HeaderKind::GetKVConfigRequestHeader),
        response: Some(HeaderKind::GetKVConfigResponseHeader),
    },
    CodeHeaders {
        code: 102,
        name: "DELETE_KV_CONFIG",
        request: Some(HeaderKind::DeleteKVConfigRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 103,
        name: "REGISTER_BROKER",
        request: Some(HeaderKind::RegisterBrokerRequestHeader),
        response: Some(HeaderKind::RegisterBrokerResponseHeader),
    },
    CodeHeaders {
        code: 104,
        name: "UNREGISTER_BROKER",
        request: Some(HeaderKind::UnRegisterBrokerRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 105,
        name: "GET_ROUTEINFO_BY_TOPIC",
        request: Some(HeaderKind::GetRouteInfoRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 106,
        name: "GET_BROKER_CLUSTER_INFO",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 200,
        name: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 201,
        name: "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 202,
        name: "GET_TOPIC_STATS_INFO",
        request: Some(HeaderKind::GetTopicStatsInfoRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 203,
        name: "GET_CONSUMER_CONNECTION_LIST",
        request: Some(HeaderKind::GetConsumerConnectionListRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 204,
        name: "GET_PRODUCER_CONNECTION_LIST",
        request: Some(HeaderKind::GetProducerConnectionListRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 205,
        name: "WIPE_WRITE_PERM_OF_BROKER",
        request: Some(HeaderKind::WipeWritePermOfBrokerRequestHeader),
        response: Some(HeaderKind::WipeWritePermOfBrokerResponseHeader),
    },
    CodeHeaders {
        code: 206,
        name: "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 207,
        name: "DELETE_SUBSCRIPTIONGROUP",
        request: Some(HeaderKind::DeleteSubscriptionGroupRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 208,
        name: "GET_CONSUME_STATS",
        request: Some(HeaderKind::GetConsumeStatsRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 209,
        name: "SUSPEND_CONSUMER",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 210,
        name: "RESUME_CONSUMER",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 211,
        name: "RESET_CONSUMER_OFFSET_IN_CONSUMER",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 212,
        name: "RESET_CONSUMER_OFFSET_IN_BROKER",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 213,
        name: "ADJUST_CONSUMER_THREAD_POOL",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 214,
        name: "WHO_CONSUME_THE_MESSAGE",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 215,
        name: "DELETE_TOPIC_IN_BROKER",
        request: Some(HeaderKind::DeleteTopicRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 216,
        name: "DELETE_TOPIC_IN_NAMESRV",
        request: Some(HeaderKind::DeleteTopicFromNamesrvRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 219,
        name: "GET_KVLIST_BY_NAMESPACE",
        request: Some(HeaderKind::GetKVListByNamespaceRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 220,
        name: "RESET_CONSUMER_CLIENT_OFFSET",
        request: Some(HeaderKind::ResetOffsetRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 221,
        name: "GET_CONSUMER_STATUS_FROM_CLIENT",
        request: Some(HeaderKind::GetConsumerStatusRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 222,
        name: "INVOKE_BROKER_TO_RESET_OFFSET",
        request: Some(HeaderKind::ResetOffsetRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 223,
        name: "INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
        request: Some(HeaderKind::GetConsumerStatusRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 224,
        name: "GET_TOPICS_BY_CLUSTER",
        request: Some(HeaderKind::GetTopicsByClusterRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 300,
        name: "QUERY_TOPIC_CONSUME_BY_WHO",
        request: Some(HeaderKind::QueryTopicConsumeByWhoRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 301,
        name: "REGISTER_FILTER_SERVER",
        request: Some(HeaderKind::RegisterFilterServerRequestHeader),
        response: Some(HeaderKind::RegisterFilterServerResponseHeader),
    },
    CodeHeaders {
        code: 302,
        name: "REGISTER_MESSAGE_FILTER_CLASS",
        request: Some(HeaderKind::RegisterMessageFilterClassRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 303,
        name: "QUERY_CONSUME_TIME_SPAN",
        request: Some(HeaderKind::QueryConsumeTimeSpanRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 304,
        name: "GET_SYSTEM_TOPIC_LIST_FROM_NS",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 305,
        name: "GET_SYSTEM_TOPIC_LIST_FROM_BROKER",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 306,
        name: "CLEAN_EXPIRED_CONSUMEQUEUE",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 307,
        name: "GET_CONSUMER_RUNNING_INFO",
        request: Some(HeaderKind::GetConsumerRunningInfoRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 308,
        name: "QUERY_CORRECTION_OFFSET",
        request: Some(HeaderKind::QueryCorrectionOffsetHeader),
        response: None,
    },
    CodeHeaders {
        code: 309,
        name: "CONSUME_MESSAGE_DIRECTLY",
        request: Some(HeaderKind::ConsumeMessageDirectlyResultRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 310,
        name: "SEND_MESSAGE_V2",
        request: Some(HeaderKind::SendMessageRequestHeaderV2),
        response: Some(HeaderKind::SendMessageResponseHeader),
    },
    CodeHeaders {
        code: 311,
        name: "GET_UNIT_TOPIC_LIST",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 312,
        name: "GET_HAS_UNIT_SUB_TOPIC_LIST",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 313,
        name: "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 314,
        name: "CLONE_GROUP_OFFSET",
        request: Some(HeaderKind::CloneGroupOffsetRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 315,
        name: "VIEW_BROKER_STATS_DATA",
        request: Some(HeaderKind::ViewBrokerStatsDataRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 316,
        name: "CLEAN_UNUSED_TOPIC",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 317,
        name: "GET_BROKER_CONSUME_STATS",
        request: Some(HeaderKind::GetConsumeStatsInBrokerHeader),
        response: None,
    },
    CodeHeaders {
        code: 318,
        name: "UPDATE_NAMESRV_CONFIG",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 319,
        name: "GET_NAMESRV_CONFIG",
        request: None,
        response: None,
    },
    CodeHeaders {
        code: 320,
        name: "SEND_BATCH_MESSAGE",
        request: Some(HeaderKind::SendMessageRequestHeaderV2),
        response: Some(HeaderKind::SendMessageResponseHeader),
    },
    CodeHeaders {
        code: 321,
        name: "QUERY_CONSUME_QUEUE",
        request: Some(HeaderKind::QueryConsumeQueueRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 322,
        name: "QUERY_DATA_VERSION",
        request: Some(HeaderKind::QueryDataVersionRequestHeader),
        response: Some(HeaderKind::QueryDataVersionResponseHeader),
    },
    CodeHeaders {
        code: 323,
        name: "RESUME_CHECK_HALF_MESSAGE",
        request: Some(HeaderKind::ResumeCheckHalfMessageRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 324,
        name: "SEND_REPLY_MESSAGE",
        request: Some(HeaderKind::SendMessageRequestHeader),
        response: Some(HeaderKind::SendMessageResponseHeader),
    },
    CodeHeaders {
        code: 325,
        name: "SEND_REPLY_MESSAGE_V2",
        request: Some(HeaderKind::SendMessageRequestHeaderV2),
        response: Some(HeaderKind::SendMessageResponseHeader),
    },
    CodeHeaders {
        code: 326,
        name: "PUSH_REPLY_MESSAGE_TO_CLIENT",
        request: Some(HeaderKind::ReplyMessageRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 327,
        name: "ADD_WRITE_PERM_OF_BROKER",
        request: Some(HeaderKind::AddWritePermOfBrokerRequestHeader),
        response: Some(HeaderKind::AddWritePermOfBrokerResponseHeader),
    },
    CodeHeaders {
        code: 328,
        name: "GET_ALL_PRODUCER_INFO",
        request: Some(HeaderKind::GetAllProducerInfoRequestHeader),
        response: None,
    },
    CodeHeaders {
        code: 329,
        name: "DELETE_EXPIRED_COMMITLOG",
        request: None,
        response: None,
    },
];

/// The row of `code`, if it is a 4.9.7 request code.
pub fn code_headers(code: i32) -> Option<&'static CodeHeaders> {
    CODE_HEADERS.iter().find(|row| row.code == code)
}

/// The header type of a request with this code.
pub fn request_header_kind(code: i32) -> Option<HeaderKind> {
    code_headers(code).and_then(|row| row.request)
}

/// The header type of the response to a request with this code.
pub fn response_header_kind(request_code: i32) -> Option<HeaderKind> {
    code_headers(request_code).and_then(|row| row.response)
}

/// extFields keys Java puts beside a request's header, on any request: the ACL client hook
/// (`AclClientRPCHook`: AccessKey, Signature, SecurityToken; mqadmin always signs) and
/// `StreamTypeRPCHook` (ReqT).
pub const RPC_HOOK_KEYS: &[&str] = &["AccessKey", "Signature", "SecurityToken", "ReqT"];

/// extFields keys Java adds beside the header, by request code: `_UNIQUE_KEY_QUERY`
/// (`MixAll.UNIQUE_MSG_QUERY_FLAG`) on QUERY_MESSAGE requests.
pub fn extra_request_keys(code: i32) -> &'static [&'static str] {
    match code {
        12 => &["_UNIQUE_KEY_QUERY"],
        _ => &[],
    }
}

/// extFields keys Java adds beside a response header, by request code: the send processors add
/// `MSG_REGION` (the broker's regionId) and `TRACE_ON` to every send/reply response.
pub fn extra_response_keys(request_code: i32) -> &'static [&'static str] {
    match request_code {
        10 | 310 | 320 | 324 | 325 => &["MSG_REGION", "TRACE_ON"],
        _ => &[],
    }
}

/// Package of the header classes, and of their `namesrv`/`filtersrv` subpackages.
const HEADER_PACKAGE: &str = "org.apache.rocketmq.common.protocol.header";
/// The superclass that gives a dozen request headers their `bname` field.
const RPC_REQUEST_HEADER: &str = "org.apache.rocketmq.common.rpc.RpcRequestHeader";

impl HeaderKind {
    /// The Java class's binary name (`Class.getName()`).
    pub fn java_binary_name(self) -> String {
        let sub = if namesrv_kind(self) {
            ".namesrv"
        } else if filtersrv_kind(self) {
            ".filtersrv"
        } else {
            ""
        };
        format!("{HEADER_PACKAGE}{sub}.{}", self.java_class())
    }

    /// Whether the Java class extends `RpcRequestHeader` (and so has a `bname` field).
    pub fn extends_rpc_request_header(self) -> bool {
        use HeaderKind::*;
        matches!(
            self,
            CheckTransactionStateRequestHeader
                | ConsumerSendMsgBackRequestHeader
                | EndTransactionRequestHeader
                | GetEarliestMsgStoretimeRequestHeader
                | GetMaxOffsetRequestHeader
                | GetMinOffsetRequestHeader
                | PullMessageRequestHeader
                | QueryConsumerOffsetRequestHeader
                | SearchOffsetRequestHeader
                | SendMessageRequestHeader
                | SendMessageRequestHeaderV2
                | UpdateConsumerOffsetRequestHeader
        )
    }

    /// Every instance field Java reflection sees on the class, as (declaring class, name): the
    /// class's own in declaration order, then `RpcRequestHeader.bname`. (V2's `bname` is not a
    /// field of our struct, as its fast decoder never reads it, but it still takes a slot here.)
    fn java_reflected_fields(self) -> Vec<(String, &'static str)> {
        let own = self.java_binary_name();
        let mut fields: Vec<(String, &'static str)> = self
            .java_fields()
            .iter()
            .filter(|f| **f != "bname")
            .map(|f| (own.clone(), *f))
            .collect();
        if self.extends_rpc_request_header() {
            fields.push((RPC_REQUEST_HEADER.to_string(), "bname"));
        }
        fields
    }
}

fn namesrv_kind(kind: HeaderKind) -> bool {
    use HeaderKind::*;
    matches!(
        kind,
        AddWritePermOfBrokerRequestHeader
            | AddWritePermOfBrokerResponseHeader
            | DeleteKVConfigRequestHeader
            | DeleteTopicFromNamesrvRequestHeader
            | GetKVConfigRequestHeader
            | GetKVConfigResponseHeader
            | GetKVListByNamespaceRequestHeader
            | GetRouteInfoRequestHeader
            | PutKVConfigRequestHeader
            | QueryDataVersionRequestHeader
            | QueryDataVersionResponseHeader
            | RegisterBrokerRequestHeader
            | RegisterBrokerResponseHeader
            | RegisterOrderTopicRequestHeader
            | UnRegisterBrokerRequestHeader
            | WipeWritePermOfBrokerRequestHeader
            | WipeWritePermOfBrokerResponseHeader
    )
}

fn filtersrv_kind(kind: HeaderKind) -> bool {
    use HeaderKind::*;
    matches!(
        kind,
        RegisterFilterServerRequestHeader
            | RegisterFilterServerResponseHeader
            | RegisterMessageFilterClassRequestHeader
    )
}

impl HeaderKind {
    /// The order `makeCustomHeaderToNet` visits this header's fields in (computed once per type).
    fn field_visit_order(self) -> &'static [&'static str] {
        static ORDERS: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
        let orders = ORDERS.get_or_init(|| {
            HeaderKind::ALL
                .iter()
                .map(|kind| {
                    let fields = kind.java_reflected_fields();
                    let refs: Vec<(&str, &str)> =
                        fields.iter().map(|(c, f)| (c.as_str(), *f)).collect();
                    java_order::java_field_set_order(&refs)
                        .into_iter()
                        .filter_map(|i| refs.get(i))
                        .map(|(_, f)| *f)
                        .collect()
                })
                .collect()
        });
        // ALL lists the variants in declaration order, so the discriminant indexes it.
        orders.get(self as usize).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Reorders `ext` (the fields of a `header` plus any keys added beside it) into the iteration
/// order of the `HashMap` Java would have built, which is the order Java writes in a JSON header
/// and in a binary header of a non-fast-codec class. See [`java_key_order`].
pub fn java_ext_fields_order(header: Option<HeaderKind>, ext: &ExtFields) -> ExtFields {
    let entries: Vec<(&str, &str)> = ext.iter().collect();
    let keys: Vec<&str> = entries.iter().map(|(k, _)| *k).collect();
    java_key_order(header, &keys)
        .into_iter()
        .filter_map(|i| entries.get(i))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The positions of distinct `keys` (a header's fields plus keys added beside it) in the order
/// Java's extFields `HashMap` iterates them. Insertion order modelled: keys added with
/// `addExtField` before encoding (AccessKey, ReqT, MSG_REGION, ...) in the order given, then the
/// header fields as `makeCustomHeaderToNet` visits them, then the ACL hook's `Signature` (it signs
/// the fields, so it comes last).
pub fn java_key_order(header: Option<HeaderKind>, keys: &[&str]) -> Vec<usize> {
    let visit: &[&str] = header.map(HeaderKind::field_visit_order).unwrap_or(&[]);
    let position = |name: &str| keys.iter().position(|k| *k == name);
    let mut inserted: Vec<usize> = Vec::with_capacity(keys.len());
    inserted
        .extend((0..keys.len()).filter(|&i| !visit.contains(&keys[i]) && keys[i] != "Signature"));
    inserted.extend(visit.iter().filter_map(|name| position(name)));
    inserted.extend(position("Signature"));
    let hashes: Vec<i32> = inserted
        .iter()
        .map(|&i| java_order::java_string_hash(keys[i]))
        .collect();
    java_order::java_hash_map_order(&hashes)
        .into_iter()
        .map(|j| inserted[j])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discriminants_index_all() {
        for (i, kind) in HeaderKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i);
            assert!(!kind.field_visit_order().is_empty() || kind.java_fields().is_empty());
        }
    }

    #[test]
    fn binary_names_and_superclass_fields() {
        assert_eq!(
            HeaderKind::RegisterBrokerRequestHeader.java_binary_name(),
            "org.apache.rocketmq.common.protocol.header.namesrv.RegisterBrokerRequestHeader"
        );
        // V2 has no `bname` field of its own but Java's reflection still sees the inherited one.
        let v2 = HeaderKind::SendMessageRequestHeaderV2.field_visit_order();
        assert_eq!(v2.len(), 15);
        assert!(v2.contains(&"bname"));
        assert_eq!(
            HeaderKind::PullMessageRequestHeader
                .field_visit_order()
                .len(),
            12
        );
    }
}
