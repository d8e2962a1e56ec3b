#!/usr/bin/env python3
"""Produce and consume through ferrocket with the official Apache RocketMQ C++ client
(PyPI package `rocketmq`, which bundles librocketmq). Prints one JSON summary on stdout;
tests/interop_cpp.rs asserts on it.

Sends, to one topic: sync, oneway, orderly (sharded by key) and batch messages, each with tags
(TagA/TagB), keys and user properties. Consumers, started before the producer:
  all   - push, clustering, "*": must see every message, body and properties intact;
  tagA  - push, clustering, "TagA": must see exactly the TagA messages;
  bc1/bc2 - push, broadcasting, same group: each must see every message;
  retry - push, clustering: fails the first delivery of every 50th message (RECONSUME_LATER),
          which must come back through the group's retry topic.
"""
import argparse
import json
import sys
import threading
import time

from rocketmq.client import Message, Producer, PushConsumer
from rocketmq.ffi import MessageModel


class Collector:
    def __init__(self, name, fail_first_of=None):
        self.name = name
        self.lock = threading.Lock()
        self.seen = {}  # (kind, idx) -> deliveries
        self.bad = []
        self.fail_first_of = fail_first_of
        self.failed_once = set()

    def __call__(self, msg):
        kind = msg.get_property("kind")
        idx = msg.get_property("idx")
        body = msg.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        key = (kind, idx)
        ok = (
            idx is not None
            and body == expected_body(kind, int(idx))
            and msg.tags == expected_tag(int(idx))
            and msg.keys == "key-%s-%s" % (kind, idx)
        )
        with self.lock:
            if not ok and len(self.bad) < 20:
                self.bad.append({"kind": kind, "idx": idx, "tags": msg.tags, "keys": msg.keys, "body": body[:40]})
            self.seen[key] = self.seen.get(key, 0) + 1
            fail = (
                self.fail_first_of is not None
                and idx is not None
                and int(idx) % self.fail_first_of == 0
                and key not in self.failed_once
            )
            if fail:
                self.failed_once.add(key)
        if fail:
            raise RuntimeError("reconsume later, please")

    def summary(self):
        with self.lock:
            return {
                "unique": len(self.seen),
                "deliveries": sum(self.seen.values()),
                "bad": self.bad,
                "failed_once": len(self.failed_once),
                "redelivered": sum(1 for k in self.failed_once if self.seen.get(k, 0) >= 2),
                "tagA_unique": sum(1 for (kind, idx) in self.seen if idx is not None and expected_tag(int(idx)) == "TagA"),
            }


def expected_body(kind, i):
    return "%s-body-%d-%s" % (kind, i, "x" * (i % 37))


def expected_tag(i):
    return "TagA" if i % 2 == 0 else "TagB"


def make_message(topic, kind, i):
    m = Message(topic)
    m.set_tags(expected_tag(i))
    m.set_keys("key-%s-%d" % (kind, i))
    m.set_property("kind", kind)
    m.set_property("idx", str(i))
    m.set_body(expected_body(kind, i))
    return m


def consumer(group, topic, namesrv, collector, expression="*", model=MessageModel.CLUSTERING, instance=None):
    c = PushConsumer(group, message_model=model)
    c.set_namesrv_addr(namesrv)
    if instance:
        c.set_instance_name(instance)
    c.set_thread_count(4)
    c.subscribe(topic, collector, expression)
    c.start()
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namesrv", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--sync", type=int, default=1000)
    ap.add_argument("--oneway", type=int, default=200)
    ap.add_argument("--orderly", type=int, default=200)
    ap.add_argument("--batch", type=int, default=200, help="messages sent in batches of 10")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--skip-retry", action="store_true")
    args = ap.parse_args()
    topic = args.topic

    # The producer creates the topic (auto-create from TBW102) before consumers subscribe.
    producer = Producer("interop_producer_" + topic)
    producer.set_namesrv_addr(args.namesrv)
    producer.set_timeout(10000)
    producer.start()
    warm = make_message(topic, "warmup", 0)
    producer.send_sync(warm)

    collectors = {
        "all": Collector("all"),
        "tagA": Collector("tagA"),
        "bc1": Collector("bc1"),
        "bc2": Collector("bc2"),
    }
    if not args.skip_retry:
        collectors["retry"] = Collector("retry", fail_first_of=50)
    consumers = [
        consumer("interop_all_" + topic, topic, args.namesrv, collectors["all"]),
        consumer("interop_taga_" + topic, topic, args.namesrv, collectors["tagA"], expression="TagA"),
        consumer("interop_bc_" + topic, topic, args.namesrv, collectors["bc1"], model=MessageModel.BROADCASTING, instance="bc1"),
        consumer("interop_bc_" + topic, topic, args.namesrv, collectors["bc2"], model=MessageModel.BROADCASTING, instance="bc2"),
    ]
    if not args.skip_retry:
        consumers.append(consumer("interop_retry_" + topic, topic, args.namesrv, collectors["retry"]))
    time.sleep(3)  # rebalance

    sent = {"sync": 0, "oneway": 0, "orderly": 0, "batch": 0}
    errors = []
    started = time.time()
    for i in range(args.sync):
        try:
            r = producer.send_sync(make_message(topic, "sync", i))
            if r.status == 0:
                sent["sync"] += 1
            else:
                errors.append("sync %d status %s" % (i, r.status))
        except Exception as e:  # noqa: BLE001 - report, do not stop
            errors.append("sync %d: %s" % (i, e))
    for i in range(args.oneway):
        try:
            producer.send_oneway(make_message(topic, "oneway", i))
            sent["oneway"] += 1
        except Exception as e:  # noqa: BLE001
            errors.append("oneway %d: %s" % (i, e))
    for i in range(args.orderly):
        try:
            r = producer.send_orderly(make_message(topic, "orderly", i), i % 4)
            if r.status == 0:
                sent["orderly"] += 1
        except Exception as e:  # noqa: BLE001
            errors.append("orderly %d: %s" % (i, e))
    for start in range(0, args.batch, 10):
        batch = [make_message(topic, "batch", i) for i in range(start, min(start + 10, args.batch))]
        try:
            r = producer.send_batch(batch)
            if r.status == 0:
                sent["batch"] += len(batch)
        except Exception as e:  # noqa: BLE001
            errors.append("batch %d: %s" % (start, e))
    send_seconds = time.time() - started
    total = sum(sent.values()) + 1  # + warmup
    tag_a_total = 1 + sum(
        1 for kind, n in (("sync", args.sync), ("oneway", args.oneway), ("orderly", args.orderly), ("batch", args.batch)) for i in range(n) if i % 2 == 0
    )

    deadline = time.time() + args.timeout
    def done():
        s = {k: c.summary() for k, c in collectors.items()}
        ok = all(s[k]["unique"] >= total for k in ("all", "bc1", "bc2")) and s["tagA"]["unique"] >= tag_a_total
        if "retry" in s:
            ok = ok and s["retry"]["unique"] >= total and s["retry"]["redelivered"] >= s["retry"]["failed_once"]
        return ok
    while time.time() < deadline and not done():
        time.sleep(0.5)
    time.sleep(1)  # let stragglers (duplicates) show

    summary = {
        "sent": sent,
        "total_expected": total,
        "tagA_expected": tag_a_total,
        "send_seconds": round(send_seconds, 3),
        "errors": errors[:20],
        "error_count": len(errors),
        "consumers": {k: c.summary() for k, c in collectors.items()},
    }
    for c in consumers:
        c.shutdown()
    producer.shutdown()
    print(json.dumps(summary))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
