//! Where the bench sends and pulls: the queues of a topic, from the NameServer's route data
//! (GET_ROUTEINFO_BY_TOPIC) or given directly (`--broker` + `--queues`).

use std::sync::Arc;
use std::time::Duration;

use crate::protocol::body::{decode_body, TopicRouteData, MASTER_ID};
use crate::protocol::header::GetRouteInfoRequestHeader;
use crate::protocol::topic::perm::{READ as PERM_READ, WRITE as PERM_WRITE};
use crate::protocol::CommandHeader;
use crate::remoting::{
    request_code, response_code, RemotingClient, RemotingCommand, SerializeType,
};

use super::BenchError;

/// The topic a Java producer falls back to when its topic has no route yet (`TBW102`), and the
/// queue count it then asks the broker to create (`defaultTopicQueueNums`).
pub const AUTO_CREATE_TOPIC: &str = "TBW102";
pub const DEFAULT_TOPIC_QUEUE_NUMS: i32 = 4;

/// One queue of the topic on one broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTarget {
    /// The broker's name (header `n` / `bname`); unknown when the broker was given by address.
    pub broker_name: Option<Arc<str>>,
    /// The broker's address ("ip:port"): its master's for routes from the NameServer.
    pub addr: Arc<str>,
    pub queue_id: i32,
}

/// One broker's part of a topic route: the `queueDatas` entry joined with its `brokerDatas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRoute {
    pub broker_name: String,
    /// Address of brokerId 0, if the broker has a master online.
    pub master_addr: Option<String>,
    pub read_queue_nums: i32,
    pub write_queue_nums: i32,
    pub perm: i32,
}

/// Reads the brokers out of a `TopicRouteData` body (fastjson's dialect: `brokerAddrs` keys
/// quoted or bare), joining each `queueDatas` entry with its `brokerDatas` master. Sorted by
/// broker name, as Java sorts `QueueData`.
pub fn parse_route(body: &[u8]) -> Result<Vec<BrokerRoute>, String> {
    let route: TopicRouteData =
        decode_body(body).map_err(|e| format!("unreadable route body: {e}"))?;
    let mut brokers: Vec<BrokerRoute> = route
        .queue_datas
        .iter()
        .map(|qd| BrokerRoute {
            broker_name: qd.broker_name.clone(),
            master_addr: route
                .broker_datas
                .iter()
                .find(|bd| bd.broker_name == qd.broker_name)
                .and_then(|bd| bd.broker_addrs.get(&MASTER_ID).cloned()),
            read_queue_nums: qd.read_queue_nums.max(0),
            write_queue_nums: qd.write_queue_nums.max(0),
            perm: qd.perm,
        })
        .collect();
    brokers.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    Ok(brokers)
}

fn queues_of(
    brokers: &[BrokerRoute],
    perm: i32,
    count: impl Fn(&BrokerRoute) -> i32,
) -> Vec<QueueTarget> {
    let mut queues = Vec::new();
    for broker in brokers.iter().filter(|b| b.perm & perm != 0) {
        let Some(addr) = &broker.master_addr else {
            continue;
        };
        let name: Arc<str> = broker.broker_name.as_str().into();
        let addr: Arc<str> = addr.as_str().into();
        for queue_id in 0..count(broker) {
            queues.push(QueueTarget {
                broker_name: Some(name.clone()),
                addr: addr.clone(),
                queue_id,
            });
        }
    }
    queues
}

/// The queues a Java producer sends to (`topicRouteData2TopicPublishInfo`): writable brokers
/// with a master, `writeQueueNums` queues each, brokers in name order.
pub fn publish_queues(brokers: &[BrokerRoute]) -> Vec<QueueTarget> {
    queues_of(brokers, PERM_WRITE, |b| b.write_queue_nums)
}

/// The queues a consumer pulls from (`topicRouteData2TopicSubscribeInfo`): readable brokers,
/// `readQueueNums` queues each, pulled from the master.
pub fn subscribe_queues(brokers: &[BrokerRoute]) -> Vec<QueueTarget> {
    queues_of(brokers, PERM_READ, |b| b.read_queue_nums)
}

/// GET_ROUTEINFO_BY_TOPIC to the NameServer. `Ok(None)` when the topic has no route
/// (TOPIC_NOT_EXIST).
pub async fn fetch_route(
    client: &RemotingClient,
    namesrv: &str,
    topic: &str,
    serialize: SerializeType,
    timeout: Duration,
) -> Result<Option<Vec<BrokerRoute>>, BenchError> {
    let header = GetRouteInfoRequestHeader {
        topic: topic.to_string(),
        accept_standard_json_only: None,
    };
    let mut request = RemotingCommand::request(
        request_code::GET_ROUTEINFO_BY_TOPIC,
        Some(header.to_ext_fields()),
    );
    request.serialize_type = serialize;
    let response = client.invoke(namesrv, request, timeout).await?;
    match response.code {
        response_code::SUCCESS => {
            let body = response.body.as_deref().unwrap_or_default();
            parse_route(body)
                .map(Some)
                .map_err(|reason| BenchError::Route {
                    topic: topic.to_string(),
                    reason,
                })
        }
        response_code::TOPIC_NOT_EXIST => Ok(None),
        code => Err(BenchError::Route {
            topic: topic.to_string(),
            reason: format!(
                "name server answered code {code}: {}",
                response.remark.unwrap_or_default()
            ),
        }),
    }
}

/// The queues to produce to, found as a Java producer finds them: the topic's route, or, when
/// the topic has none yet, the route of `TBW102` with at most 4 queues per broker (the broker
/// then creates the topic on first send).
pub async fn producer_queues(
    client: &RemotingClient,
    namesrv: &str,
    topic: &str,
    serialize: SerializeType,
    timeout: Duration,
) -> Result<Vec<QueueTarget>, BenchError> {
    let queues = match fetch_route(client, namesrv, topic, serialize, timeout).await? {
        Some(brokers) => publish_queues(&brokers),
        None => {
            let brokers = fetch_route(client, namesrv, AUTO_CREATE_TOPIC, serialize, timeout)
                .await?
                .unwrap_or_default();
            let capped: Vec<_> = brokers
                .into_iter()
                .map(|mut b| {
                    b.write_queue_nums = b.write_queue_nums.min(DEFAULT_TOPIC_QUEUE_NUMS);
                    b
                })
                .collect();
            publish_queues(&capped)
        }
    };
    if queues.is_empty() {
        return Err(BenchError::Route {
            topic: topic.to_string(),
            reason: "no writable queue with a master broker".to_string(),
        });
    }
    Ok(queues)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_route_body() {
        let body = br#"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}"#;
        let brokers = parse_route(body).unwrap();
        assert_eq!(
            brokers,
            vec![BrokerRoute {
                broker_name: "broker-a".into(),
                master_addr: Some("127.0.0.1:10911".into()),
                read_queue_nums: 8,
                write_queue_nums: 8,
                perm: 6,
            }]
        );
        assert_eq!(publish_queues(&brokers).len(), 8);
        assert_eq!(subscribe_queues(&brokers).len(), 8);
    }

    #[test]
    fn masters_and_permissions_decide_the_queues() {
        // Bare integer keys (older fastjson output), a broker without master, a read-only one.
        let body = br#"{"brokerDatas":[
            {"brokerAddrs":{0:"a:1",1:"a:2"},"brokerName":"b-a"},
            {"brokerAddrs":{1:"c:2"},"brokerName":"b-c"},
            {"brokerAddrs":{0:"b:1"},"brokerName":"b-b"}],
          "queueDatas":[
            {"brokerName":"b-c","perm":6,"readQueueNums":2,"writeQueueNums":2},
            {"brokerName":"b-b","perm":4,"readQueueNums":3,"writeQueueNums":3},
            {"brokerName":"b-a","perm":6,"readQueueNums":1,"writeQueueNums":2}]}"#;
        let brokers = parse_route(body).unwrap();
        let names: Vec<_> = brokers.iter().map(|b| b.broker_name.as_str()).collect();
        assert_eq!(names, ["b-a", "b-b", "b-c"]);
        let publish: Vec<_> = publish_queues(&brokers)
            .into_iter()
            .map(|q| (q.addr.to_string(), q.queue_id))
            .collect();
        assert_eq!(publish, [("a:1".to_string(), 0), ("a:1".to_string(), 1)]);
        let subscribe: Vec<_> = subscribe_queues(&brokers)
            .into_iter()
            .map(|q| (q.addr.to_string(), q.queue_id))
            .collect();
        assert_eq!(
            subscribe,
            [
                ("a:1".to_string(), 0),
                ("b:1".to_string(), 0),
                ("b:1".to_string(), 1),
                ("b:1".to_string(), 2)
            ]
        );
        assert_eq!(parse_route(b"{}").unwrap(), vec![]);
        assert!(parse_route(b"\xff").is_err());
    }
}
