import Glibc
import Posix

/// Threads that run bcrypt checks off the event loop and off the handler pool, so that a flood
/// of wrong passwords takes neither the loop nor the handler slots. At most `queueLimit` checks
/// wait; one more is refused at once (503) instead of queueing behind the flood, and a login
/// found in ``AuthCache`` never comes here. No lock is held during a check.
final class AuthPool: @unchecked Sendable {
    typealias Job = @Sendable (Bcrypt.Scratch) -> Void
    // Every mutable property below is guarded by `lock`.
    private let lock = ConditionLock()
    private var jobs: [Job] = []
    private var shuttingDown = false
    private var started = false
    let threadCount: Int
    let queueLimit: Int

    /// One thread per core (at least 2): bcrypt is pure CPU.
    init() {
        threadCount = max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        queueLimit = threadCount
    }

    /// Queues `job`, or returns false when `queueLimit` checks already wait.
    func trySubmit(_ job: @escaping Job) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !shuttingDown, jobs.count < queueLimit else { return false }
        if !started {
            started = true
            for _ in 0..<threadCount {
                _ = try? Thread(name: "http-auth", detached: true) { [self] in work() }
            }
        }
        jobs.append(job)
        lock.signal()
        return true
    }

    func shutdown() {
        lock.lock()
        shuttingDown = true
        lock.broadcast()
        lock.unlock()
    }

    private func work() {
        let scratch = Bcrypt.Scratch()
        lock.lock()
        while true {
            while jobs.isEmpty && !shuttingDown { lock.wait() }
            if jobs.isEmpty {
                lock.unlock()
                return
            }
            let job = jobs.removeFirst()
            lock.unlock()
            job(scratch)
            lock.lock()
        }
    }
}
