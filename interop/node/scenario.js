#!/usr/bin/env node
// Produce and consume through ferrocket with ali-ons (the Node.js RocketMQ/ONS client), pointed at
// a plain NameServer (`nameSrv`) instead of an ONS address server. ali-ons signs every request
// (extFields AccessKey, Signature, OnsChannel) with the dummy keys given here: the broker and
// the NameServer must ignore them. Prints one JSON summary line on stdout; tests/interop_node.rs
// asserts on it.
//
// Sends, to one topic: sync messages (round robin), sharded messages (`shardingKey`: one queue
// per key, order kept per key) and delayed messages (delay level 1 = 1 s), each with a tag
// (TagA/TagB), keys and user properties. Consumers, started before the producer sends:
//   all   - clustering, "*": must see every message, body and properties intact;
//   tagA  - clustering, "TagA": must see exactly the TagA messages;
//   bc1/bc2 - broadcasting, one group, two instances: each must see every message;
//   retry - clustering: throws on the first delivery of every 20th message, which ali-ons sends
//           back (CONSUMER_SEND_MSG_BACK); it must come back through %RETRY%<group>.
'use strict';

const { Producer, Consumer, Message } = require('ali-ons');

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const nameSrv = arg('namesrv');
const topic = arg('topic', 'InteropNode');
const counts = {
  sync: Number(arg('sync', 200)),
  sharded: Number(arg('sharded', 100)),
  delayed: Number(arg('delayed', 20)),
};
const timeoutMs = Number(arg('timeout', 120)) * 1000;
const FAIL_EVERY = 20;

// Quiet logger: ali-ons logs every consume; errors are collected into the summary instead.
const errors = [];
let retryRouteMisses = 0;
function noteError(text) {
  if (/reconsume later, please/.test(text)) return; // the retry listener's own throw
  // Until its first heartbeat makes the broker create %RETRY%<group>, ali-ons' route poll for
  // that topic fails (as against a Java broker): counted apart, not an error.
  if (/No topic route info in name server for the topic: %RETRY%/.test(text)) {
    retryRouteMisses++;
    return;
  }
  if (errors.length < 20) errors.push(text.slice(0, 300));
}
const verbose = !!process.env.INTEROP_VERBOSE;
const say = (lvl, a) => { if (verbose) process.stderr.write(`[${lvl}] ${a.map(x => (x && x.stack) || String(x)).join(' ')}\n`); };
const logger = {
  debug(...a) { say('debug', a); },
  info(...a) { say('info', a); },
  warn(...a) { say('warn', a); },
  error(...a) {
    say('error', a);
    noteError(a.map(String).join(' '));
  },
};
const common = {
  nameSrv,
  // Required by the constructor, used only to ask an ONS address server: never with nameSrv.
  httpclient: { request: async () => { throw new Error('no ONS address server in this test'); } },
  accessKeyId: 'interop-dummy-access-key',
  accessKeySecret: 'interop-dummy-secret-key',
  logger,
  // Keep the run short: heartbeats, route polls and rebalances more often than ali-ons' 30 s.
  pollNameServerInteval: 5000,
  heartbeatBrokerInterval: 5000,
  rebalanceInterval: 2000,
  persistConsumerOffsetInterval: 1000,
};

const expectedBody = (kind, i) => `${kind}-body-${i}-` + 'n'.repeat(i % 41) + '-ü';
const expectedTag = i => (i % 2 === 0 ? 'TagA' : 'TagB');
const expectedKeys = (kind, i) => `key-${kind}-${i} alt-${i}`;
// ali-ons picks a sharding key's queue as md5(key) % queues, but a key whose index is queue 0
// falls through its `if (queueId && ...)` test and goes to any queue (client quirk): use keys
// that map to queues 1..3 (of the 4 created below) so "one queue per key" can be asserted.
const SHARDS = [];
for (let n = 0; SHARDS.length < 5; n++) {
  const k = `shard-${n}`;
  if (require('crypto').createHash('md5').update(k).digest().readUInt32BE() % 4 !== 0) SHARDS.push(k);
}
const shardOf = i => SHARDS[i % SHARDS.length];

function makeMessage(kind, i) {
  const m = new Message(topic, expectedTag(i), expectedBody(kind, i));
  m.keys = [`key-${kind}-${i}`, `alt-${i}`];
  m.properties.kind = kind;
  m.properties.idx = String(i);
  m.properties.note = 'a=b;c:d';
  return m;
}

class Collector {
  constructor(name, failEvery) {
    this.name = name;
    this.seen = new Map(); // "kind/idx" -> deliveries
    this.bad = [];
    this.failEvery = failEvery;
    this.failedOnce = new Set();
    this.fromRetryTopic = new Set();
    this.order = new Map(); // shard -> last sharded idx seen (first deliveries only)
    this.orderViolations = 0;
    this.delayedEarly = 0;
  }

  handle(msg) {
    const p = msg.properties || {};
    const kind = p.kind;
    const idx = p.idx;
    const i = Number(idx);
    const body = msg.body ? msg.body.toString('utf8') : null;
    const ok =
      /^\d+$/.test(idx || '') &&
      body === expectedBody(kind, i) &&
      msg.tags === expectedTag(i) &&
      msg.keys === expectedKeys(kind, i) &&
      p.note === 'a=b;c:d';
    const key = `${kind}/${idx}`;
    if (!ok && this.bad.length < 20) {
      this.bad.push({ kind, idx, tags: msg.tags, keys: msg.keys, note: p.note, body: (body || '').slice(0, 40) });
    }
    const before = this.seen.get(key) || 0;
    this.seen.set(key, before + 1);
    if (msg.retryTopic || (msg.topic || '').startsWith('%RETRY%')) this.fromRetryTopic.add(key);
    if (kind === 'sharded' && before === 0 && this.name === 'all') {
      const last = this.order.get(shardOf(i));
      if (last !== undefined && last > i) this.orderViolations++;
      this.order.set(shardOf(i), i);
    }
    if (kind === 'delayed' && before === 0 && Number(msg.storeTimestamp) - Number(msg.bornTimestamp) < 900) {
      this.delayedEarly++;
    }
    if (this.failEvery && i % this.failEvery === 0 && !this.failedOnce.has(key)) {
      this.failedOnce.add(key);
      throw new Error('reconsume later, please');
    }
  }

  summary() {
    const tagA = [...this.seen.keys()].filter(k => Number(k.split('/')[1]) % 2 === 0).length;
    return {
      unique: this.seen.size,
      deliveries: [...this.seen.values()].reduce((a, b) => a + b, 0),
      bad: this.bad,
      tagA_unique: tagA,
      failed_once: this.failedOnce.size,
      redelivered: [...this.failedOnce].filter(k => this.seen.get(k) >= 2).length,
      redelivered_via_retry_topic: [...this.failedOnce].filter(k => this.fromRetryTopic.has(k)).length,
      order_violations: this.orderViolations,
      delayed_early: this.delayedEarly,
    };
  }
}

function startConsumer(group, collector, expression, extra) {
  const c = new Consumer(Object.assign({}, common, {
    consumerGroup: group,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    maxReconsumeTimes: 3,
  }, extra));
  c.on('error', err => noteError(err.message));
  c.subscribe(topic, expression, async msg => collector.handle(msg));
  return c;
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

async function main() {
  const producer = new Producer(Object.assign({}, common, { producerGroup: 'interop_node_producer' }));
  await producer.ready();
  // ali-ons cannot send to a topic the NameServer does not know (unlike Java's producer it does not
  // fall back to TBW102's route): create the topic first, as an ONS console would, through
  // ali-ons' own UPDATE_AND_CREATE_TOPIC on the broker found in TBW102's route.
  const client = producer._mqClient;
  const tbw = await client.getDefaultTopicRouteInfoFromNameServer('TBW102', 3000);
  const brokerAddr = tbw.brokerDatas[0].brokerAddrs['0'];
  await client.createTopic(brokerAddr, 'TBW102', {
    topicName: topic, readQueueNums: 4, writeQueueNums: 4, perm: 6,
    topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
  }, 3000);
  for (let n = 0; ; n++) { // the broker registers the new topic with the NameServer at once
    try {
      await client.getTopicRouteInfoFromNameServer(topic, 3000);
      break;
    } catch (e) {
      if (n > 50) throw e;
      await sleep(200);
    }
  }
  const warm = makeMessage('warmup', 0);
  const warmResult = await producer.send(warm);

  const collectors = {
    all: new Collector('all'),
    tagA: new Collector('tagA'),
    bc1: new Collector('bc1'),
    bc2: new Collector('bc2'),
    retry: new Collector('retry', FAIL_EVERY),
  };
  const consumers = [
    startConsumer(`interop_node_all_${topic}`, collectors.all, '*'),
    startConsumer(`interop_node_taga_${topic}`, collectors.tagA, 'TagA'),
    startConsumer(`interop_node_bc_${topic}`, collectors.bc1, '*', { isBroadcast: true, instanceName: 'bc1' }),
    startConsumer(`interop_node_bc_${topic}`, collectors.bc2, '*', { isBroadcast: true, instanceName: 'bc2' }),
    startConsumer(`interop_node_retry_${topic}`, collectors.retry, '*'),
  ];
  await Promise.all(consumers.map(c => c.ready()));
  await sleep(3000); // rebalance

  const sent = { sync: 0, sharded: 0, delayed: 0 };
  const sendErrors = [];
  const queuesByShard = new Map();
  let shardQueueMismatch = 0;
  const started = Date.now();
  async function attempt(kind, i, decorate) {
    const m = makeMessage(kind, i);
    if (decorate) decorate(m);
    try {
      const r = await producer.send(m);
      if (r.sendStatus !== 'SEND_OK') throw new Error('status ' + r.sendStatus);
      sent[kind]++;
      return r;
    } catch (e) {
      sendErrors.push(`${kind} ${i}: ${e.message}`.slice(0, 300));
      return null;
    }
  }
  for (let i = 0; i < counts.sync; i++) await attempt('sync', i);
  for (let i = 0; i < counts.sharded; i++) {
    const r = await attempt('sharded', i, m => { m.shardingKey = shardOf(i); });
    if (r) {
      const q = r.messageQueue.queueId;
      const prev = queuesByShard.get(shardOf(i));
      if (prev !== undefined && prev !== q) shardQueueMismatch++;
      queuesByShard.set(shardOf(i), q);
    }
  }
  for (let i = 0; i < counts.delayed; i++) await attempt('delayed', i, m => { m.delayTimeLevel = 1; });
  const sendSeconds = (Date.now() - started) / 1000;
  const total = sent.sync + sent.sharded + sent.delayed + 1;
  let tagATotal = 1;
  for (const n of [counts.sync, counts.sharded, counts.delayed]) tagATotal += Math.ceil(n / 2);

  const deadline = Date.now() + timeoutMs;
  const done = () => {
    const s = Object.fromEntries(Object.entries(collectors).map(([k, c]) => [k, c.summary()]));
    return ['all', 'bc1', 'bc2', 'retry'].every(k => s[k].unique >= total) &&
      s.tagA.unique >= tagATotal &&
      s.retry.redelivered >= s.retry.failed_once;
  };
  while (Date.now() < deadline && !done()) await sleep(250);
  await sleep(1500); // let stragglers (duplicates) show

  const summary = {
    warmup_status: warmResult.sendStatus,
    sent,
    total_expected: total,
    tagA_expected: tagATotal,
    send_seconds: sendSeconds,
    send_errors: sendErrors.slice(0, 20),
    send_error_count: sendErrors.length,
    shard_queue_mismatch: shardQueueMismatch,
    // A copy: what the clients report while they close (below) is not part of the run.
    client_errors: errors.slice(),
    retry_route_misses_at_start: retryRouteMisses,
    consumers: Object.fromEntries(Object.entries(collectors).map(([k, c]) => [k, c.summary()])),
  };
  // Closing rejects the pulls still suspended on the broker (SocketCloseError): expected here.
  await Promise.race([
    Promise.allSettled(consumers.map(c => c.close()).concat([producer.close()])),
    sleep(5000),
  ]);
  // Closing one consumer's client fails its requests in flight (a rebalance's offset read, a
  // suspended pull) with SocketCloseError: reported apart, never counted against the broker.
  summary.shutdown_errors = errors.slice(summary.client_errors.length);
  process.stdout.write(JSON.stringify(summary) + '\n');
  process.exit(0);
}

main().catch(err => {
  process.stdout.write(JSON.stringify({ fatal: String(err && err.stack || err), client_errors: errors }) + '\n');
  process.exit(1);
});
