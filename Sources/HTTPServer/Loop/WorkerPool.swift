import Posix
/// Threads that run route handlers off the event loop. Threads start on demand up to
/// `maxThreads` and then stay; the loop bounds how many jobs are queued or running.
final class WorkerPool: @unchecked Sendable {
    // Every mutable property below is guarded by `lock`.
    private let lock = ConditionLock()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var idle = 0
    private var threads = 0
    private var shuttingDown = false
    private let maxThreads: Int

    /// Starts one thread now so that a failure to create threads surfaces at start-up.
    init(maxThreads: Int) throws(SystemError) {
        self.maxThreads = max(1, maxThreads)
        lock.lock()
        defer { lock.unlock() }
        try spawnLocked()
    }

    /// Queues `job`; it runs on a worker thread as soon as one is free.
    func submit(_ job: @escaping @Sendable () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        jobs.append(job)
        let waiting = jobs.count - head
        if idle >= waiting || threads >= maxThreads {
            lock.signal()
        } else if (try? spawnLocked()) == nil {
            lock.signal()  // no new thread: an existing one will get to it
        }
    }

    /// Lets the threads exit once the queue is empty; does not wait for running handlers.
    func shutdown() {
        lock.lock()
        shuttingDown = true
        lock.broadcast()
        lock.unlock()
    }

    private func spawnLocked() throws(SystemError) {
        _ = try Thread(name: "http-worker", detached: true) { [self] in work() }
        threads += 1
    }

    private func work() {
        lock.lock()
        while true {
            while head == jobs.count && !shuttingDown {
                idle += 1
                lock.wait()
                idle -= 1
            }
            if head == jobs.count {
                threads -= 1
                lock.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            lock.unlock()
            job()
            lock.lock()
        }
    }
}
