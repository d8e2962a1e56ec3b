"""Sending as an application must with librocketmq: it fails a request at once while its
transport-table lock is contended ("GetTransport ... get timed_mutex timeout",
apache/rocketmq-client-cpp#455/#456), for up to ~3.5 s at a time on a loaded machine (seen with
two busy loops on 2 cores), and its own retries all go within the same millisecond. So a failed
send is tried again after growing pauses, 5 attempts over 7.5 s, instead of at once."""
import time

PAUSES = (0.5, 1.0, 2.0, 4.0)


def send_with_retries(send, on_retry=None):
    """Calls `send()` until it returns a result with status 0 (SEND_OK), or None (a oneway
    send). `on_retry(attempt, error)` is told of each failed attempt. Returns None once sent,
    else the last attempt's error."""
    last = None
    for attempt, pause in enumerate(PAUSES + (None,), start=1):
        try:
            r = send()
            if r is None or r.status == 0:
                return None
            last = "status %s" % r.status
        except Exception as e:  # noqa: BLE001 - report, do not stop
            last = str(e)
        if on_retry is not None:
            on_retry(attempt, last)
        if pause is not None:
            time.sleep(pause)
    return last
