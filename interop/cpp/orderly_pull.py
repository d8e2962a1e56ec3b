#!/usr/bin/env python3
"""Orderly push consumption and the pull consumer of the official Apache RocketMQ C++ client
(PyPI `rocketmq` 0.4.4, which bundles librocketmq) against ferrocket. Prints one JSON summary
as its last stdout line; tests/interop_cpp_orderly.rs asserts on it.

Orderly part: a producer sends --messages messages with `send_orderly(msg, key)` over --keys
sharding keys (key k goes to queue k % queue count), each carrying its key and a per-key sequence
number as properties. Two orderly push consumers (the binding's `orderly=True`, i.e. librocketmq's
MessageListenerOrderly, which locks its queues on the broker with LOCK_BATCH_MQ) in one group,
with different instance names (two independent clients): c1 starts before the producer, c2 once
a third of the messages are sent, so the group rebalances mid-stream and queues move from c1 to
c2 (c1 UNLOCK_BATCH_MQs them, c2 can lock them only then). Every listener call is logged with its
start/end time (one monotonic clock, both clients live in this process). Checked:
  - per consumer and key: sequence numbers strictly increasing (`order_violations`; a duplicate
    redelivered inside one consumer would count here too);
  - per key, over both consumers: every sequence number seen (`missing`), and in the merged log
    (ordered by call start) the first delivery of n+1 never comes before the first delivery of n
    (`merged_order_violations`);
  - per queue: no listener call of c1 overlaps in time a call of c2 on the same queue
    (`concurrent_queue_violations`: the broker's queue lock is what guarantees it);
  - duplicates (a message seen more than once, allowed after the rebalance: c2 starts a queue at
    the offset c1 last committed) are counted, not failed.
--stall S (not used by the test): c1's first call on a queue c2 is about to take sleeps S
seconds. Measured with S=3: c2 consumes that queue while c1's call is still running (~90
concurrent calls), with ferrocket's lock working as Java's: librocketmq 2.0 (rocketmq 0.4.4)
sends UNLOCK_BATCH_MQ for a queue the rebalance took away at once, without waiting for the
listener call in flight (Java's client waits for the queue's consume lock and otherwise keeps the
broker lock), and c2's LOCK_BATCH_MQ, arriving after that unlock, rightly succeeds (client log:
"unlock success ... queueId=3" 0.7 ms before "lock success ... queueId=3"). A client property.
`first_call_ms`: per queue, the wall-clock time (ms) of the first listener call on it (the test
holds one queue's lock itself for a while and checks nobody consumed it before its unlock).
Pull part: the binding's PullConsumer fetches the topic's queues (FetchSubscriptionMessageQueues)
and pulls each from offset 0 until NO_NEW_MSG; every message must come back once, in queue
offset order, with its body intact and per key in sequence order.
"""
import argparse
import ctypes
import json
import sys
import threading
import time

from rocketmq.client import Message, Producer, PullConsumer, PushConsumer, RecvMessage
from rocketmq.exceptions import ffi_check
from sending import send_with_retries
from rocketmq.ffi import _CConsumeStatus, _CMessageQueue, _CPullStatus, dll


def text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v


def expected_body(key, seq):
    return "orderly-%d-%d-%s" % (key, seq, "y" * ((key * 7 + seq) % 53))


class Log:
    """Every listener call of one consumer: (start, end, queue_id, queue_offset, key, seq, ok)."""

    def __init__(self, name, delay):
        self.name = name
        self.delay = delay
        self.lock = threading.Lock()
        self.calls = []
        self.first_call_ms = {}  # queue id -> wall-clock ms of the first call on it
        self.warmups = 0
        self.stall_after = None  # monotonic time after which the next call stalls
        self.stall = 0.0
        self.stall_queue = None
        self.stalled = None  # (queue_id, start) of the stalled call

    def __call__(self, msg):
        start = time.monotonic()
        wall_ms = int(time.time() * 1000)
        key = text(msg.get_property("okey"))
        seq = text(msg.get_property("oseq"))
        if key is None or seq is None or not key.isdigit() or not seq.isdigit():
            with self.lock:
                self.warmups += 1
            return
        key, seq = int(key), int(seq)
        ok = text(msg.body) == expected_body(key, seq)
        stall = False
        with self.lock:
            if (
                self.stall > 0
                and self.stall_after is not None
                and start > self.stall_after
                and self.stalled is None
                and msg.queue_id == self.stall_queue
            ):
                self.stalled = (msg.queue_id, start)
                stall = True
        if stall:
            time.sleep(self.stall)
        elif self.delay:
            time.sleep(self.delay)  # widen the calls so a concurrent call would overlap
        end = time.monotonic()
        with self.lock:
            self.calls.append((start, end, msg.queue_id, msg.queue_offset, key, seq, ok))
            self.first_call_ms.setdefault(msg.queue_id, wall_ms)

    def snapshot(self):
        with self.lock:
            return list(self.calls)


def orderly_consumer(group, topic, namesrv, log, instance):
    c = PushConsumer(group, orderly=True)
    c.set_namesrv_addr(namesrv)
    c.set_instance_name(instance)
    c.set_thread_count(4)

    # The binding's own callback re-raises a listener exception from `finally` (see scenario.py);
    # this one always answers with a value.
    def on_message(_consumer, msg):
        try:
            log(RecvMessage(msg))
        except Exception:  # noqa: BLE001 - ask for the message again
            return _CConsumeStatus.RECONSUME_LATER.value
        return _CConsumeStatus.CONSUME_SUCCESS.value

    ffi_check(dll.Subscribe(c._handle, topic.encode(), b"*"))
    c._register_callback(on_message)
    c.start()
    return c


def analyse(logs, keys, per_key):
    out = {}
    seen = {}  # (key, seq) -> deliveries over both consumers
    first = {}  # (key, seq) -> earliest call start
    bad = []
    for log in logs:
        calls = log.snapshot()
        last = {}
        violations = []
        queues = set()
        for (start, _end, qid, qoff, key, seq, ok) in sorted(calls, key=lambda c: c[0]):
            queues.add(qid)
            if key in last and seq <= last[key]:
                violations.append({"key": key, "after": last[key], "got": seq, "queue": qid, "offset": qoff})
            last[key] = seq
            seen[(key, seq)] = seen.get((key, seq), 0) + 1
            if (key, seq) not in first or start < first[(key, seq)]:
                first[(key, seq)] = start
            if not ok and len(bad) < 20:
                bad.append({"consumer": log.name, "key": key, "seq": seq})
        out[log.name] = {
            "deliveries": len(calls),
            "queues": sorted(queues),
            "order_violations": len(violations),
            "order_violation_samples": violations[:10],
            "warmups": log.warmups,
        }
    missing = [(k, s) for k in range(keys) for s in range(per_key) if (k, s) not in seen]
    merged = 0
    for k in range(keys):
        for s in range(1, per_key):
            if (k, s) in first and (k, s - 1) in first and first[(k, s)] < first[(k, s - 1)]:
                merged += 1
    # Two consumers' calls on one queue must never overlap in time.
    by_queue = {}
    for i, log in enumerate(logs):
        for (start, end, qid, _o, _k, _s, _ok) in log.snapshot():
            by_queue.setdefault(qid, []).append((start, end, i))
    concurrent = 0
    concurrent_samples = []
    shared_queues = 0
    for qid, calls in by_queue.items():
        calls.sort()
        if len({c[2] for c in calls}) > 1:
            shared_queues += 1
        latest_end = {}  # consumer -> latest end so far
        for (start, end, who) in calls:
            for other, other_end in latest_end.items():
                if other != who and other_end > start:
                    concurrent += 1
                    if len(concurrent_samples) < 10:
                        concurrent_samples.append({"queue": qid, "start": start, "other_end": other_end})
            latest_end[who] = max(latest_end.get(who, 0.0), end)
    first_call_ms = {}
    for log in logs:
        with log.lock:
            for qid, ms in log.first_call_ms.items():
                first_call_ms[qid] = min(ms, first_call_ms.get(qid, ms))
    return {
        "first_call_ms": {str(q): ms for q, ms in sorted(first_call_ms.items())},
        "consumers": out,
        "unique": len(seen),
        "deliveries": sum(seen.values()),
        "duplicates": sum(n - 1 for n in seen.values()),
        "missing": len(missing),
        "missing_samples": missing[:20],
        "bad_bodies": bad,
        "merged_order_violations": merged,
        "concurrent_queue_violations": concurrent,
        "concurrent_samples": concurrent_samples,
        "queues_consumed_by_both": shared_queues,
    }


def pull_all(namesrv, group, topic, keys, per_key):
    """Pulls every queue of `topic` from offset 0 to its end with the binding's PullConsumer
    (its `pull()` generator hides the queue and loops on OFFSET_ILLEGAL, so the queue loop is
    written here over the same librocketmq calls)."""
    pc = PullConsumer(group)
    pc.set_namesrv_addr(namesrv)
    pc.start()
    result = {"queues": 0, "messages": 0, "bad": [], "offset_gaps": 0, "order_violations": 0, "statuses": {}}
    seen = {}
    try:
        mqs = ctypes.POINTER(_CMessageQueue)()
        size = ctypes.c_int()
        ffi_check(dll.FetchSubscriptionMessageQueues(pc._handle, topic.encode(), ctypes.pointer(mqs), ctypes.pointer(size)))
        result["queues"] = size.value
        max_offsets = {}
        for i in range(size.value):
            mq = mqs[i]
            offset = 0
            expected_offset = 0
            last_seq = {}
            rounds = 0
            while rounds < 10000:
                rounds += 1
                res = dll.Pull(pc._handle, ctypes.pointer(mq), b"*", ctypes.c_longlong(offset), 32)
                status = _CPullStatus(res.pullStatus).name
                result["statuses"][status] = result["statuses"].get(status, 0) + 1
                max_offsets[mq.queueId] = res.maxOffset
                if res.pullStatus == _CPullStatus.FOUND:
                    for j in range(res.size):
                        m = RecvMessage(res.msgFoundList[j])
                        if m.queue_offset != expected_offset:
                            result["offset_gaps"] += 1
                        expected_offset = m.queue_offset + 1
                        result["messages"] += 1
                        key, seq = text(m.get_property("okey")), text(m.get_property("oseq"))
                        if not (key and seq and key.isdigit() and seq.isdigit()):
                            continue  # the warm-up message
                        key, seq = int(key), int(seq)
                        seen[(key, seq)] = seen.get((key, seq), 0) + 1
                        if key in last_seq and seq != last_seq[key] + 1:
                            result["order_violations"] += 1
                        last_seq[key] = seq
                        if text(m.body) != expected_body(key, seq) and len(result["bad"]) < 20:
                            result["bad"].append({"queue": mq.queueId, "offset": m.queue_offset, "key": key, "seq": seq})
                    offset = res.nextBeginOffset
                    dll.ReleasePullResult(res)
                elif res.pullStatus == _CPullStatus.BROKER_TIMEOUT:
                    dll.ReleasePullResult(res)
                    time.sleep(0.2)
                else:
                    dll.ReleasePullResult(res)
                    break
        ffi_check(dll.ReleaseSubscriptionMessageQueue(mqs))
        result["max_offset_sum"] = sum(max_offsets.values())
    finally:
        pc.shutdown()
    result["unique"] = len(seen)
    result["duplicates"] = sum(n - 1 for n in seen.values())
    result["missing"] = sum(1 for k in range(keys) for s in range(per_key) if (k, s) not in seen)
    return result


def wait_for_route(namesrv, topic, timeout=15.0):
    """Waits until the NameServer routes the topic the warm-up send just auto-created.

    ferrocket registers a new topic with the NameServer in the background after the send that
    created it has been answered (Java sends that REGISTER_BROKER, oneway, before answering), so a
    consumer started right away can find no route: librocketmq then neither rebalances nor sends
    heartbeats to the broker until its 20 s / 30 s timers (seen: c1 consumed nothing and c2 took
    every queue)."""
    probe = PullConsumer("route_probe_" + topic)
    probe.set_namesrv_addr(namesrv)
    probe.start()
    try:
        deadline = time.time() + timeout
        while True:
            mqs = ctypes.POINTER(_CMessageQueue)()
            size = ctypes.c_int()
            try:
                ffi_check(dll.FetchSubscriptionMessageQueues(probe._handle, topic.encode(), ctypes.pointer(mqs), ctypes.pointer(size)))
                dll.ReleaseSubscriptionMessageQueue(mqs)
                if size.value > 0:
                    return
            except Exception:  # noqa: BLE001 - no route yet
                pass
            if time.time() > deadline:
                raise RuntimeError("no route for %s after %.0f s" % (topic, timeout))
            time.sleep(0.1)
    finally:
        probe.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namesrv", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--keys", type=int, default=8)
    ap.add_argument("--send-seconds", type=float, default=12.0, help="spread the sends over this long")
    ap.add_argument("--delay", type=float, default=0.002, help="seconds each listener call takes")
    ap.add_argument("--timeout", type=float, default=90.0)
    ap.add_argument("--stall", type=float, default=0.0,
                    help="c1's first call on --stall-queue just before c2 starts takes this long (see the module doc)")
    ap.add_argument("--stall-queue", type=int, default=3, help="the queue whose call stalls (one c2 takes over)")
    ap.add_argument("--keep-c1", action="store_true", help="do not shut c1 down at two thirds")
    args = ap.parse_args()
    topic, keys = args.topic, args.keys
    per_key = args.messages // keys
    total = per_key * keys

    producer = Producer("orderly_producer_" + topic)
    producer.set_namesrv_addr(args.namesrv)
    producer.set_timeout(10000)
    producer.start()
    # Creates the topic (auto-create from TBW102) before the consumers subscribe.
    warm = Message(topic)
    warm.set_body("warmup")
    producer.send_sync(warm)
    wait_for_route(args.namesrv, topic)

    group = "orderly_group_" + topic
    logs = [Log("c1", args.delay), Log("c2", args.delay)]
    logs[0].stall = args.stall
    logs[0].stall_queue = args.stall_queue
    consumers = [orderly_consumer(group, topic, args.namesrv, logs[0], "c1")]
    time.sleep(2)

    started = time.time()
    errors = []
    c2_started_at = None
    c1_first_wait = None
    c1_stopped_at = None
    c1_stopped_mono = None
    pause = args.send_seconds / max(total, 1)
    for i in range(total):
        if i == total // 3 - 2 * keys:
            # c1 is inside a (long) call on a queue c2 is about to be given.
            logs[0].stall_after = time.monotonic()
        if i == total // 3:
            # The rebalance under test needs c1 consuming first. librocketmq locks its queues
            # at start and, when that lock request is late (a loaded machine), again only at
            # its next rebalance 20 s later: wait for c1's first delivery (bounded).
            waited_from = time.monotonic()
            while not logs[0].snapshot() and time.monotonic() - waited_from < 45:
                time.sleep(0.1)
            c1_first_wait = round(time.monotonic() - waited_from, 3)
            consumers.append(orderly_consumer(group, topic, args.namesrv, logs[1], "c2"))
            c2_started_at = i
        if i == 2 * total // 3 and not args.keep_c1:
            consumers[0].shutdown()
            c1_stopped_at = i
            c1_stopped_mono = time.monotonic()
        key, seq = i % keys, i // keys
        m = Message(topic)
        m.set_keys("ok-%d-%d" % (key, seq))
        m.set_property("okey", str(key))
        m.set_property("oseq", str(seq))
        m.set_body(expected_body(key, seq))
        last = send_with_retries(lambda: producer.send_orderly(m, key))
        if last is not None:
            errors.append("key %d seq %d: %s" % (key, seq, last))
        time.sleep(pause)
    send_seconds = time.time() - started

    deadline = time.time() + args.timeout
    while time.time() < deadline:
        got = set()
        for log in logs:
            got.update((c[4], c[5]) for c in log.snapshot())
        if len(got) >= total - len(errors):
            break
        time.sleep(0.5)
    consume_seconds = time.time() - started
    time.sleep(2)  # let late duplicates show
    orderly = analyse(logs, keys, per_key)
    for c in consumers[1:] if c1_stopped_at is not None else consumers:
        c.shutdown()
    if c1_stopped_mono is not None:
        late = [c for c in logs[0].snapshot() if c[0] > c1_stopped_mono]
        orderly["c1_calls_after_shutdown"] = len(late)

    pull = pull_all(args.namesrv, "pull_group_" + topic, topic, keys, per_key)
    producer.shutdown()

    summary = {
        "messages": total,
        "keys": keys,
        "send_errors": errors[:20],
        "send_error_count": len(errors),
        "c2_started_after": c2_started_at,
        "c1_first_delivery_wait_seconds": c1_first_wait,
        "c1_stopped_after": c1_stopped_at,
        "c1_stalled_queue": logs[0].stalled[0] if logs[0].stalled else None,
        "send_seconds": round(send_seconds, 3),
        "consume_seconds": round(consume_seconds, 3),
        "orderly": orderly,
        "pull": pull,
    }
    print(json.dumps(summary))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
