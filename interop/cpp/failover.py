#!/usr/bin/env python3
"""Consumer failover from a master to its slave with the official Apache RocketMQ C++ client
(PyPI `rocketmq`). Driven by tests/ha_ops_failover.rs, which owns the brokers and kills the
master; the two talk over stdin/stdout, one JSON object per stdout line:

  1. produce --messages sync messages to --topic (through the NameServer: they go to the master),
     print {"event": "produced", ...};
  2. wait for "consume" on stdin (the test has checked the slave caught up), start a clustering
     push consumer; once it has seen --pause-after distinct messages its callbacks hold (they do
     not return, so those messages are neither acknowledged nor committed), print
     {"event": "paused", ...};
  3. wait for "resume" on stdin (the test has killed the master with SIGKILL), let the callbacks
     go and consume until every message was seen or --timeout passes;
  4. keep running --linger seconds so the client commits its offsets (every 5 s), shut the
     consumer down (a last commit) and print {"event": "summary", ...}: distinct messages seen,
     deliveries (duplicates = deliveries - distinct), the first missing indexes, bad bodies.
"""
import argparse
import json
import sys
import threading
import time

from rocketmq.client import Message, Producer, PushConsumer
from sending import send_with_retries


def emit(obj):
    print(json.dumps(obj))
    sys.stdout.flush()


def text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v


def body_of(i):
    return "failover-%d-%s" % (i, "y" * (i % 29))


class Collector:
    def __init__(self, pause_after):
        self.lock = threading.Lock()
        self.seen = {}
        self.bad = []
        self.pause_after = pause_after
        self.resumed = threading.Event()
        self.paused_reported = False

    def __call__(self, msg):
        idx = text(msg.get_property("idx"))
        body = text(msg.body)
        with self.lock:
            if idx is None or not idx.isdigit() or body != body_of(int(idx)):
                if len(self.bad) < 20:
                    self.bad.append({"idx": idx, "body": (body or "")[:40]})
            else:
                self.seen[int(idx)] = self.seen.get(int(idx), 0) + 1
            hold = len(self.seen) >= self.pause_after and not self.resumed.is_set()
            if hold and not self.paused_reported:
                self.paused_reported = True
                emit({"event": "paused", "unique": len(self.seen)})
        if hold:
            # Not acknowledged until the master is gone: these come back from the slave's side.
            self.resumed.wait(300)

    def unique(self):
        with self.lock:
            return len(self.seen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namesrv", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", default=None)
    ap.add_argument("--messages", type=int, default=8000)
    ap.add_argument("--pause-after", type=int, default=400)
    ap.add_argument("--timeout", type=float, default=180.0)
    ap.add_argument("--linger", type=float, default=7.0)
    args = ap.parse_args()
    topic = args.topic
    group = args.group or ("failover_" + topic)

    producer = Producer("failover_producer_" + topic)
    producer.set_namesrv_addr(args.namesrv)
    producer.set_timeout(10000)
    producer.start()
    sent = 0
    errors = []
    started = time.time()
    for i in range(args.messages):
        m = Message(topic)
        m.set_keys("failover-%d" % i)
        m.set_property("idx", str(i))
        m.set_body(body_of(i))
        last = send_with_retries(lambda: producer.send_sync(m))
        if last is None:
            sent += 1
        elif len(errors) < 20:
            errors.append("send %d: %s" % (i, last))
    producer.shutdown()
    emit({"event": "produced", "sent": sent, "errors": errors, "seconds": round(time.time() - started, 3)})

    if sys.stdin.readline().strip() != "consume":
        return
    collector = Collector(args.pause_after)
    consumer = PushConsumer(group)
    consumer.set_namesrv_addr(args.namesrv)
    consumer.set_thread_count(4)
    consumer.subscribe(topic, collector, "*")
    consumer.start()

    def wait_resume():
        for line in sys.stdin:
            if line.strip() == "resume":
                collector.resumed.set()
                return
        collector.resumed.set()

    threading.Thread(target=wait_resume, daemon=True).start()
    collector.resumed.wait(args.timeout)
    resumed_at = time.time()
    deadline = resumed_at + args.timeout
    while time.time() < deadline and collector.unique() < sent:
        time.sleep(0.5)
    all_seen_after = round(time.time() - resumed_at, 3)
    time.sleep(args.linger)
    consumer.shutdown()
    with collector.lock:
        seen = dict(collector.seen)
        bad = list(collector.bad)
    missing = [i for i in range(sent) if i not in seen]
    emit({
        "event": "summary",
        "sent": sent,
        "unique": len(seen),
        "deliveries": sum(seen.values()),
        "duplicates": sum(seen.values()) - len(seen),
        "missing_count": len(missing),
        "missing": missing[:20],
        "bad": bad,
        "seconds_to_all_after_resume": all_seen_after,
    })


if __name__ == "__main__":
    main()
