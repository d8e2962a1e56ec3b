//! Topic routes: `TopicRouteData`, `QueueData`, `BrokerData` (GET_ROUTEINFO_BY_TOPIC) and
//! `ClusterInfo` (GET_BROKER_CLUSTER_INFO).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::JsonStyle;
use crate::fastjson;

/// `MixAll.MASTER_ID`.
pub const MASTER_ID: i64 = 0;

crate::json_bean! {
    /// Java `QueueData`: one broker's queues of a topic.
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub struct QueueData {
        pub broker_name: String = "brokerName",
        pub read_queue_nums: i32 = "readQueueNums",
        pub write_queue_nums: i32 = "writeQueueNums",
        pub perm: i32 = "perm",
        pub topic_sys_flag: i32 = "topicSysFlag",
    }
}

crate::json_bean! {
    /// Java `BrokerData`: a broker group (one name, a master and its slaves).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct BrokerData {
        pub cluster: String = "cluster",
        pub broker_name: String = "brokerName",
        /// brokerId -> address. Java's `HashMap<Long, String>` iterates small ids in ascending
        /// order, which a `BTreeMap` reproduces. fastjson writes the keys bare: `{0:"..."}`.
        pub broker_addrs: BTreeMap<i64, String> = "brokerAddrs",
    }
}

impl BrokerData {
    pub fn new(cluster: impl Into<String>, broker_name: impl Into<String>) -> BrokerData {
        BrokerData {
            cluster: cluster.into(),
            broker_name: broker_name.into(),
            broker_addrs: BTreeMap::new(),
        }
    }

    /// The master's address, else the first slave's (Java picks a random slave).
    pub fn select_broker_addr(&self) -> Option<&str> {
        self.broker_addrs
            .get(&MASTER_ID)
            .or_else(|| self.broker_addrs.values().next())
            .map(String::as_str)
    }
}

crate::json_bean! {
    /// Java `TopicRouteData`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TopicRouteData {
        pub order_topic_conf: Option<String> = "orderTopicConf",
        pub queue_datas: Vec<QueueData> = "queueDatas",
        pub broker_datas: Vec<BrokerData> = "brokerDatas",
        /// broker address -> filter server addresses.
        pub filter_server_table: BTreeMap<String, Vec<String>> = "filterServerTable",
    }
}

crate::json_bean! {
    /// Java `ClusterInfo`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ClusterInfo {
        /// brokerName -> broker group.
        pub broker_addr_table: BTreeMap<String, BrokerData> = "brokerAddrTable",
        /// clusterName -> broker names.
        pub cluster_addr_table: BTreeMap<String, BTreeSet<String>> = "clusterAddrTable",
    }
}

impl ClusterInfo {
    /// Every address of every broker of `cluster` (Java `retrieveAllAddrByCluster`).
    pub fn all_addrs_of_cluster(&self, cluster: &str) -> Vec<String> {
        let Some(names) = self.cluster_addr_table.get(cluster) else {
            return Vec::new();
        };
        names
            .iter()
            .filter_map(|name| self.broker_addr_table.get(name))
            .flat_map(|bd| bd.broker_addrs.values().cloned())
            .collect()
    }
}

/// Appends `s` as a JSON string in the given dialect. Plain ASCII (the usual topic, broker and
/// address) is copied straight; anything else goes through fastjson's escaping.
fn push_str(out: &mut String, s: &str, style: JsonStyle) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    match style {
        JsonStyle::Fastjson => fastjson::escape_into(out, s),
        JsonStyle::Standard => out.push_str(&fastjson::to_browser_compatible(
            &fastjson::Value::String(s.to_string()),
        )),
    }
}

fn push_int(out: &mut String, key: &str, value: i64) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
    let _ = write!(out, "{value}");
}

/// The parts of a route answer, borrowed: the route table writes its answer straight from its
/// own maps, without building a `TopicRouteData` first.
#[derive(Debug, Clone, Copy)]
pub struct RouteParts<'a, B, F, Q> {
    pub broker_datas: B,
    /// Sorted by broker address (Java's `MapSortField` in the standard dialect; the table is
    /// empty in practice).
    pub filter_server_table: F,
    pub order_topic_conf: Option<&'a str>,
    pub queue_datas: Q,
}

impl<'a, B, F, Q> RouteParts<'a, B, F, Q>
where
    B: ExactSizeIterator<Item = &'a BrokerData>,
    F: Iterator<Item = (&'a String, &'a Vec<String>)>,
    Q: ExactSizeIterator<Item = &'a QueueData>,
{
    /// The GET_ROUTEINFO_BY_TOPIC body, written directly (the NameServer's most frequent
    /// answer). Byte-identical to [`encode_body_as`](super::encode_body_as) of the same
    /// `TopicRouteData`.
    pub fn encode_json(self, style: JsonStyle) -> Vec<u8> {
        let mut out =
            String::with_capacity(256 + 160 * (self.broker_datas.len() + self.queue_datas.len()));
        out.push_str("{\"brokerDatas\":[");
        for (i, bd) in self.broker_datas.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"brokerAddrs\":{");
            for (j, (id, addr)) in bd.broker_addrs.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                match style {
                    JsonStyle::Fastjson => {
                        let _ = write!(out, "{id}:");
                    }
                    JsonStyle::Standard => {
                        let _ = write!(out, "\"{id}\":");
                    }
                }
                push_str(&mut out, addr, style);
            }
            out.push_str("},\"brokerName\":");
            push_str(&mut out, &bd.broker_name, style);
            out.push_str(",\"cluster\":");
            push_str(&mut out, &bd.cluster, style);
            out.push('}');
        }
        out.push_str("],\"filterServerTable\":{");
        for (i, (addr, servers)) in self.filter_server_table.enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(&mut out, addr, style);
            out.push_str(":[");
            for (j, s) in servers.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                push_str(&mut out, s, style);
            }
            out.push(']');
        }
        out.push('}');
        if let Some(conf) = self.order_topic_conf {
            out.push_str(",\"orderTopicConf\":");
            push_str(&mut out, conf, style);
        }
        out.push_str(",\"queueDatas\":[");
        for (i, qd) in self.queue_datas.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"brokerName\":");
            push_str(&mut out, &qd.broker_name, style);
            out.push(',');
            push_int(&mut out, "perm", qd.perm.into());
            out.push(',');
            push_int(&mut out, "readQueueNums", qd.read_queue_nums.into());
            out.push(',');
            push_int(&mut out, "topicSysFlag", qd.topic_sys_flag.into());
            out.push(',');
            push_int(&mut out, "writeQueueNums", qd.write_queue_nums.into());
            out.push('}');
        }
        out.push_str("]}");
        out.into_bytes()
    }
}

impl TopicRouteData {
    /// The GET_ROUTEINFO_BY_TOPIC body of this route (see [`RouteParts::encode_json`]).
    pub fn encode_json(&self, style: JsonStyle) -> Vec<u8> {
        RouteParts {
            broker_datas: self.broker_datas.iter(),
            filter_server_table: self.filter_server_table.iter(),
            order_topic_conf: self.order_topic_conf.as_deref(),
            queue_datas: self.queue_datas.iter(),
        }
        .encode_json(style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::body::encode_body_as;

    fn sample() -> TopicRouteData {
        let mut bd = BrokerData::new("Cluster \"x\"", "brøker-ä");
        for id in [0, 1, 2, 10, 11] {
            bd.broker_addrs.insert(id, format!("10.0.0.{id}:10911"));
        }
        let mut route = TopicRouteData {
            order_topic_conf: Some("broker-a:4;b\\c:\u{2028}".into()),
            queue_datas: vec![
                QueueData {
                    broker_name: "brøker-ä".into(),
                    read_queue_nums: 8,
                    write_queue_nums: 4,
                    perm: 6,
                    topic_sys_flag: 3,
                },
                QueueData {
                    broker_name: "b2".into(),
                    read_queue_nums: -1,
                    write_queue_nums: 0,
                    perm: 0,
                    topic_sys_flag: 0,
                },
            ],
            broker_datas: vec![bd, BrokerData::new("c", "b2")],
            filter_server_table: BTreeMap::new(),
        };
        route
            .filter_server_table
            .insert("10.0.0.0:10911".into(), vec!["f:1".into(), "\t".into()]);
        route
            .filter_server_table
            .insert("10.0.0.1:10911".into(), vec![]);
        route
    }

    #[test]
    fn direct_route_encoding_equals_the_generic_writer_in_both_dialects() {
        for route in [sample(), TopicRouteData::default()] {
            for style in [JsonStyle::Fastjson, JsonStyle::Standard] {
                assert_eq!(
                    String::from_utf8(route.encode_json(style)).unwrap(),
                    String::from_utf8(encode_body_as(&route, style)).unwrap(),
                    "{style:?}"
                );
            }
        }
    }
}
