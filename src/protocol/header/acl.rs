//! ACL administration headers (UPDATE_AND_CREATE_ACL_CONFIG, ...). `GetBrokerClusterAclConfigResponseHeader`
//! is not here: its only field is a `List<PlainAccessConfig>`, which Java's header codec cannot
//! carry (it would send the list's `toString()` and fail to read it back).

command_header! {
    /// UPDATE_AND_CREATE_ACL_CONFIG (50).
    pub struct CreateAccessConfigRequestHeader {
        pub access_key: String = "accessKey" (required),
        pub secret_key: Option<String> = "secretKey" (optional),
        pub white_remote_address: Option<String> = "whiteRemoteAddress" (optional),
        pub admin: bool = "admin" (optional),
        pub default_topic_perm: Option<String> = "defaultTopicPerm" (optional),
        pub default_group_perm: Option<String> = "defaultGroupPerm" (optional),
        pub topic_perms: Option<String> = "topicPerms" (optional),
        pub group_perms: Option<String> = "groupPerms" (optional),
    }
}

command_header! {
    /// DELETE_ACL_CONFIG (51).
    pub struct DeleteAccessConfigRequestHeader {
        pub access_key: String = "accessKey" (required),
    }
}

command_header! {
    /// GET_BROKER_CLUSTER_ACL_INFO (52) response.
    pub struct GetBrokerAclConfigResponseHeader {
        pub version: String = "version" (required),
        pub all_acl_file_version: Option<String> = "allAclFileVersion" (optional),
        pub broker_name: String = "brokerName" (required),
        pub broker_addr: String = "brokerAddr" (required),
        pub cluster_name: String = "clusterName" (required),
    }
}

command_header! {
    /// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53).
    pub struct UpdateGlobalWhiteAddrsConfigRequestHeader {
        pub global_white_addrs: String = "globalWhiteAddrs" (required),
        pub acl_file_full_path: String = "aclFileFullPath" (required),
    }
}
