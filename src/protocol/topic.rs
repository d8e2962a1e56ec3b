//! Topic and group naming rules shared by the NameServer, the Broker and the admin tool:
//! Java's `TopicValidator`, `MixAll` topic helpers, `PermName` and `TopicSysFlag`.

/// Topic auto-created topics copy their queue settings from (`TBW102`).
pub const AUTO_CREATE_TOPIC_KEY_TOPIC: &str = "TBW102";
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
pub const BENCHMARK_TOPIC: &str = "BenchmarkTest";
pub const TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
pub const TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";
pub const TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
pub const TRANS_CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
pub const SELF_TEST_TOPIC: &str = "SELF_TEST_TOPIC";
pub const OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
pub const SYSTEM_TOPIC_PREFIX: &str = "rmq_sys_";
/// Prefix of a consumer group's retry topic (`%RETRY%group`).
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
/// Prefix of a consumer group's dead-letter topic (`%DLQ%group`).
pub const DLQ_GROUP_TOPIC_PREFIX: &str = "%DLQ%";
/// Suffix of the per-cluster request-reply topic (`<cluster>_REPLY_TOPIC`).
pub const REPLY_TOPIC_POSTFIX: &str = "REPLY_TOPIC";
pub const TOPIC_MAX_LENGTH: usize = 127;

const SYSTEM_TOPICS: [&str; 9] = [
    AUTO_CREATE_TOPIC_KEY_TOPIC,
    SCHEDULE_TOPIC,
    BENCHMARK_TOPIC,
    TRANS_HALF_TOPIC,
    TRACE_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT,
];

const NOT_ALLOWED_SEND_TOPICS: [&str; 6] = [
    SCHEDULE_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT,
];

/// Why a topic name was refused. `Display` is Java's response remark, word for word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("The specified topic is blank.")]
    Blank,
    #[error("The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$")]
    IllegalCharacters,
    #[error("The specified topic is longer than topic max length.")]
    TooLong,
}

/// `TopicValidator.isTopicOrGroupIllegal`: anything outside `^[%|a-zA-Z0-9_-]+$`.
pub fn is_topic_or_group_illegal(name: &str) -> bool {
    !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '%' | '|' | '_' | '-'))
}

/// `TopicValidator.validateTopic`; Java answers SYSTEM_ERROR with the error's text.
pub fn validate_topic(topic: &str) -> Result<(), TopicError> {
    if topic.trim().is_empty() {
        return Err(TopicError::Blank);
    }
    if is_topic_or_group_illegal(topic) {
        return Err(TopicError::IllegalCharacters);
    }
    // Java compares String.length(), i.e. UTF-16 units; legal names are ASCII so bytes agree.
    if topic.len() > TOPIC_MAX_LENGTH {
        return Err(TopicError::TooLong);
    }
    Ok(())
}

/// The fixed system topics of `TopicValidator`'s static set, in the order Java adds them.
pub fn system_topics() -> &'static [&'static str] {
    &SYSTEM_TOPICS
}

pub fn is_system_topic(topic: &str) -> bool {
    SYSTEM_TOPICS.contains(&topic) || topic.starts_with(SYSTEM_TOPIC_PREFIX)
}

/// Java's remark for a system-topic conflict (SYSTEM_ERROR).
pub fn system_topic_conflict_remark(topic: &str) -> String {
    format!("The topic[{topic}] is conflict with system topic.")
}

pub fn is_not_allowed_send_topic(topic: &str) -> bool {
    NOT_ALLOWED_SEND_TOPICS.contains(&topic)
}

/// Java's remark for a send to a forbidden topic (NO_PERMISSION).
pub fn send_forbidden_remark(topic: &str) -> String {
    format!("Sending message to topic[{topic}] is forbidden.")
}

pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_GROUP_TOPIC_PREFIX}{group}")
}

pub fn is_retry_topic(topic: &str) -> bool {
    topic.starts_with(RETRY_GROUP_TOPIC_PREFIX)
}

pub fn is_dlq_topic(topic: &str) -> bool {
    topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
}

pub fn reply_topic(cluster: &str) -> String {
    format!("{cluster}_{REPLY_TOPIC_POSTFIX}")
}

/// Java's `PermName`: queue permissions of a topic or broker.
pub mod perm {
    pub const PRIORITY: i32 = 0x1 << 3;
    pub const READ: i32 = 0x1 << 2;
    pub const WRITE: i32 = 0x1 << 1;
    pub const INHERIT: i32 = 0x1;

    pub fn is_readable(perm: i32) -> bool {
        perm & READ == READ
    }

    pub fn is_writeable(perm: i32) -> bool {
        perm & WRITE == WRITE
    }

    pub fn is_inherited(perm: i32) -> bool {
        perm & INHERIT == INHERIT
    }

    /// `PermName.perm2String`: e.g. `RW-` for 6.
    pub fn to_string(perm: i32) -> String {
        let mut s = String::with_capacity(3);
        s.push(if is_readable(perm) { 'R' } else { '-' });
        s.push(if is_writeable(perm) { 'W' } else { '-' });
        s.push(if is_inherited(perm) { 'X' } else { '-' });
        s
    }
}

/// Java's `TopicSysFlag`: unit-mode bits carried in `topicSysFlag`.
pub mod sys_flag {
    pub const UNIT: i32 = 0x1;
    pub const UNIT_SUB: i32 = 0x1 << 1;

    pub fn build(unit: bool, has_unit_sub: bool) -> i32 {
        (if unit { UNIT } else { 0 }) | (if has_unit_sub { UNIT_SUB } else { 0 })
    }

    pub fn has_unit(flag: i32) -> bool {
        flag & UNIT == UNIT
    }

    pub fn has_unit_sub(flag: i32) -> bool {
        flag & UNIT_SUB == UNIT_SUB
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_matches_java_rules_and_remarks() {
        assert_eq!(validate_topic("Golden_Json-1%|x"), Ok(()));
        assert_eq!(validate_topic("  "), Err(TopicError::Blank));
        assert_eq!(validate_topic("a.b"), Err(TopicError::IllegalCharacters));
        assert_eq!(validate_topic("tópico"), Err(TopicError::IllegalCharacters));
        assert_eq!(validate_topic(&"a".repeat(127)), Ok(()));
        assert_eq!(validate_topic(&"a".repeat(128)), Err(TopicError::TooLong));
        assert_eq!(
            TopicError::IllegalCharacters.to_string(),
            "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
        );
    }

    #[test]
    fn system_topics_and_names() {
        assert!(is_system_topic("TBW102"));
        assert!(is_system_topic("rmq_sys_anything"));
        assert!(!is_system_topic("GoldenJson"));
        assert!(is_not_allowed_send_topic("SCHEDULE_TOPIC_XXXX"));
        assert!(!is_not_allowed_send_topic("TBW102"));
        assert_eq!(retry_topic("g"), "%RETRY%g");
        assert_eq!(dlq_topic("g"), "%DLQ%g");
        assert_eq!(reply_topic("DefaultCluster"), "DefaultCluster_REPLY_TOPIC");
        assert_eq!(perm::to_string(6), "RW-");
        assert_eq!(perm::to_string(7), "RWX");
        assert_eq!(sys_flag::build(true, true), 3);
    }
}
