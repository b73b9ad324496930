import AblateReport
import AblateRun
import AblateStore
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a session in the foreground: progress on the terminal, Ctrl-C and SIGTERM stop it
/// cleanly (a second Ctrl-C kills at once), and the exit code says how it ended.
enum SessionRunner {
    static func observer(json: Bool) -> any RunObserver {
        if json { return JSONProgress() }
        return isatty(STDERR_FILENO) == 1 ? LiveProgress() : LineProgress()
    }

    static func execute(
        options: ExecutionOptions, observer: any RunObserver, open: (RunOptions) async throws -> RunSession
    ) async throws {
        let (runOptions, gpuMemory) = try await options.runOptions()
        let session = try await open(runOptions)
        // The memory of this machine's GPUs says nothing of a cluster's.
        if let gpuMemory, !gpuMemory.measuredHere || session.runRecord.executor.kind == .local {
            let planner = MemoryPlanner(plan: session.plan, cacheDirectory: session.layout.cacheDirectory, hub: runOptions.hub)
            for warning in planner.warnings(gpuMemory: gpuMemory.bytes) { observer.warning(warning) }
        }
        if let live = observer as? LiveProgress {
            let layout = session.layout
            live.standardOutput = { layout.stdout($0) }
        }
        let signals = watchSignals { [weak observer] in
            observer?.warning("stopping: signalling every running task (press Ctrl-C again to kill them at once)")
            session.registry.interrupt(grace: options.killGrace)
        }
        defer { signals.forEach { $0.cancel() } }
        let state = try await session.execute()
        RunResults.prepareCache(runDirectory: session.layout.runDirectory)
        FileHandle.standardError.write(Data("run directory: \(session.layout.runDirectory)\n".utf8))
        switch state {
        case .completed: return
        case .interrupted: throw ExitCode(130)
        case .failed, .running: throw ExitCode.failure
        }
    }

    private static func watchSignals(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}
