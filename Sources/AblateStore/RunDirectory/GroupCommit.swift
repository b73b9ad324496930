import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Durability for a batch of writes at once. While a run goes, its state files (task records,
/// cache entries, their directories) are renamed into place without waiting for the disk and
/// noted here; one `syncfs` per file system then makes every write before it durable. The run
/// asks for that before a task whose inputs are other tasks' outputs starts (so that a task
/// never runs on inputs a power loss could take back), on its heartbeat, and at its end, and
/// flushes in the background while its tasks run (`flushingInBackground`), so that what is
/// left to flush at those points is little. Renames are atomic whether or not they reach the
/// disk, so an ablate that is killed leaves whole files either way; only a machine's crash can
/// lose the writes since the last flush, and those tasks run again.
public final class GroupCommit: @unchecked Sendable {
    private let descriptors: [Int32]
    private let lock = NSLock()
    private let flushing = NSLock()
    private var written = 0
    private var flushed = 0

    /// `directories`: one on each file system the writes go to (the run's, the cache's).
    public init(directories: [String]) {
        var devices: Set<UInt64> = []
        var opened: [Int32] = []
        for directory in directories {
            var info = stat()
            guard stat(directory, &info) == 0, devices.insert(UInt64(info.st_dev)).inserted else { continue }
            let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if descriptor >= 0 { opened.append(descriptor) }
        }
        descriptors = opened
    }

    deinit {
        for descriptor in descriptors { close(descriptor) }
    }

    /// glibc's `syncfs`, which Swift's Glibc module leaves out (a GNU extension); `fsync` of the
    /// directory where a libc lacks it.
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    private static func syncFileSystem(_ descriptor: Int32) {
        if let syncfs { _ = syncfs(descriptor) } else { fsync(descriptor) }
    }

    /// Whether a noted write has not been flushed yet.
    public var hasUnflushedWrites: Bool {
        lock.withLock { flushed < written }
    }

    /// A write was left to the kernel: the next flush covers it.
    public func note() {
        lock.withLock { written += 1 }
    }

    /// Makes every noted write durable; concurrent callers share one flush, and a flush with
    /// nothing new to flush returns at once.
    public func flush() {
        let target = lock.withLock { written }
        guard lock.withLock({ flushed < target }) else { return }
        flushing.withLock {
            guard lock.withLock({ flushed < target }) else { return }
            for descriptor in descriptors { Self.syncFileSystem(descriptor) }
            lock.withLock { flushed = max(flushed, target) }
        }
    }

    /// Flushes what was noted, from a thread of its own, every `interval` until the returned
    /// flusher is stopped. The flushes a run waits for (before a task that reads other tasks'
    /// outputs, at its end) then only cover what was written since the last one: one syncfs after
    /// a thousand short tasks took 65 to 145 ms, as long as about a hundred of them took to run.
    /// A flush with nothing new noted costs nothing, so a run of long tasks is left alone.
    public func flushingInBackground(every interval: Duration) -> BackgroundFlusher {
        BackgroundFlusher(commits: self, interval: interval)
    }
}

/// The thread of `GroupCommit.flushingInBackground`, until `stop` (or until the flusher goes).
public final class BackgroundFlusher: Sendable {
    private let stopped = Mutex(false)
    /// Signalled once, to stop the thread.
    private let wakeUp = DispatchSemaphore(value: 0)
    /// Signalled by the thread as it ends.
    private let done = DispatchSemaphore(value: 0)

    fileprivate init(commits: GroupCommit, interval: Duration) {
        let seconds = interval / .seconds(1)
        let (wakeUp, done) = (wakeUp, done)
        Thread.detachNewThread {
            while wakeUp.wait(timeout: .now() + seconds) == .timedOut {
                commits.flush()
            }
            done.signal()
        }
    }

    /// Stops the thread, after the flush it may be in; a second call returns at once.
    public func stop() {
        let wasStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !wasStopped else { return }
        wakeUp.signal()
        done.wait()
    }

    deinit {
        stop()
    }
}
