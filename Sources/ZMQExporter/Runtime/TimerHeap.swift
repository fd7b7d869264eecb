/// The timers of one socket loop: a binary min-heap of deadlines. A cancelled timer stays in the
/// heap until it reaches the top and is dropped there (lazy deletion keeps cancel O(1)).
struct TimerHeap {
    /// Names a scheduled timer for ``cancel(_:)``; never reused within a heap.
    struct ID: Hashable { fileprivate let value: UInt64 }

    private struct Entry {
        let deadline: ContinuousClock.Instant
        let id: UInt64
    }

    private var heap: [Entry] = []
    private var actions: [UInt64: () -> Void] = [:]
    private var lastID: UInt64 = 0

    /// Timers scheduled and not yet fired or cancelled.
    var count: Int { actions.count }

    mutating func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> ID {
        lastID += 1
        actions[lastID] = action
        heap.append(Entry(deadline: deadline, id: lastID))
        siftUp(heap.count - 1)
        return ID(value: lastID)
    }

    /// Cancels the timer; harmless when it fired or was cancelled already.
    mutating func cancel(_ id: ID) {
        actions[id.value] = nil
    }

    /// The earliest deadline of a live timer.
    mutating func nextDeadline() -> ContinuousClock.Instant? {
        dropCancelled()
        return heap.first?.deadline
    }

    /// Removes and returns the action of the earliest timer due at `now`, if any.
    mutating func popDue(now: ContinuousClock.Instant) -> (() -> Void)? {
        dropCancelled()
        guard let top = heap.first, top.deadline <= now else { return nil }
        removeTop()
        return actions.removeValue(forKey: top.id)
    }

    private mutating func dropCancelled() {
        while let top = heap.first, actions[top.id] == nil { removeTop() }
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private static func earlier(_ a: Entry, _ b: Entry) -> Bool {
        // Equal deadlines fire in the order they were scheduled.
        a.deadline < b.deadline || (a.deadline == b.deadline && a.id < b.id)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.earlier(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var first = left
            if left + 1 < heap.count, Self.earlier(heap[left + 1], heap[left]) { first = left + 1 }
            guard Self.earlier(heap[first], heap[parent]) else { return }
            heap.swapAt(first, parent)
            parent = first
        }
    }
}
