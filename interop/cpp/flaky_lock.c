/*
 * Fault injection for the C++ client scenarios (a developer tool; no test builds it).
 *
 * The librocketmq bundled with the PyPI `rocketmq` package was built with a gcc whose
 * std::timed_mutex::try_lock_for returns at once (gcc bug 54562; apache/rocketmq-client-cpp#456),
 * so a request fails whenever another thread holds the client's transport-table lock: sends,
 * send-backs and pulls fail, and a oneway send is dropped with only a warning in the client's
 * log. On a busy CI machine this happens a few times per run. This preload makes a contended
 * pthread_mutex_timedlock fail with probability FLAKY_LOCK_PERMILLE/1000, which reproduces
 * those failures at will:
 *
 *   gcc -shared -fPIC -O2 -o /tmp/flaky_lock.so interop/cpp/flaky_lock.c -ldl
 *   LD_PRELOAD=/tmp/flaky_lock.so FLAKY_LOCK_PERMILLE=500 cargo test --test interop_cpp
 *
 * (500 per mille: in a 20k-message run a few dozen client requests fail, now and then a
 * oneway send among them.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static int (*real_timedlock)(pthread_mutex_t *, const struct timespec *);
static int permille = -1;

int pthread_mutex_timedlock(pthread_mutex_t *mutex, const struct timespec *deadline) {
    static __thread unsigned seed;
    if (!real_timedlock) {
        real_timedlock = dlsym(RTLD_NEXT, "pthread_mutex_timedlock");
    }
    if (permille < 0) {
        const char *env = getenv("FLAKY_LOCK_PERMILLE");
        permille = env ? atoi(env) : 0;
    }
    if (!seed) {
        seed = (unsigned)(uintptr_t)&seed ^ (unsigned)time(NULL);
    }
    if ((int)(rand_r(&seed) % 1000) < permille) {
        return ETIMEDOUT;
    }
    return real_timedlock(mutex, deadline);
}
