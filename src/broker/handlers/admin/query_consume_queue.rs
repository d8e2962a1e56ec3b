//! QUERY_CONSUME_QUEUE (321): up to `count` ConsumeQueue units of a queue from `index`, with
//! the queue's min/max index and, when a group is named, its subscription
//! (`QueryConsumeQueueResponseBody`; `mqadmin queryCq`).
//!
//! ferrocket writes no ConsumeQueue extension files, so units never carry extension data,
//! bit maps or an evaluation; `filterData` is `"null"` for an online group, as Java writes
//! for a TAG subscription (no ConsumerFilterData).

use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::{ConsumeQueueData, QueryConsumeQueueResponseBody};
use crate::protocol::decode_header;
use crate::protocol::header::QueryConsumeQueueRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: QueryConsumeQueueRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let topic = header.topic.clone().unwrap_or_default();
    let queue_id = header.queue_id;
    let Some(cq) = broker.store.consume_queues().find(&topic, queue_id) else {
        return Some(RemotingCommand::system_error(
            &request,
            format!("{queue_id}@{topic} is not exist!"),
        ));
    };
    let mut body = QueryConsumeQueueResponseBody {
        max_queue_index: cq.max_offset_in_queue(),
        min_queue_index: cq.min_offset_in_queue(),
        ..Default::default()
    };
    if let Some(group) = &header.consumer_group {
        body.subscription_data = broker.clients.subscription(group, &topic);
        body.filter_data = Some(match body.subscription_data {
            None => format!("{group}@{topic} is not online!"),
            Some(_) => "null".to_string(),
        });
    }
    let (index, count) = (header.index, header.count.max(0) as usize);
    // Reads ConsumeQueue pages: off the reactor.
    let units = tokio::task::spawn_blocking(move || {
        cq.units_from(index).map(|units| {
            units
                .truncated(count)
                .iter()
                .map(|u| ConsumeQueueData {
                    physic_offset: u.commit_log_offset,
                    physic_size: u.size,
                    tags_code: u.tags_code,
                    ..Default::default()
                })
                .collect::<Vec<_>>()
        })
    })
    .await
    .ok()
    .flatten();
    let Some(units) = units else {
        // Java: SUCCESS, this remark, and no body.
        return Some(RemotingCommand::response_to(
            &request,
            response_code::SUCCESS,
            Some(format!("Index {index} of {queue_id}@{topic} is not exist!")),
        ));
    };
    body.queue_data = Some(units);
    Some(
        RemotingCommand::response_to(&request, response_code::SUCCESS, None)
            .with_body(fastjson::encode_compact(&body).into_bytes()),
    )
}
