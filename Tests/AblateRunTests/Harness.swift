import AblateCore
import AblateRun
import AblateStore
import AblateTestSupport
import Foundation

/// A study in a temporary directory, run in-process with real processes.
struct Harness {
    let directory: String
    let specPath: String

    /// Writes `spec` (with `$DIR` replaced by the study's directory) to a fresh directory.
    init(_ spec: String) throws {
        directory = Scratch.path("run")
        try FileManager.default.createDirectory(atPath: directory + "/scratch", withIntermediateDirectories: true)
        specPath = directory + "/study.yaml"
        try spec.replacingOccurrences(of: "$DIR", with: directory).write(toFile: specPath, atomically: true, encoding: .utf8)
    }

    var runsDirectory: String { directory + "/Runs" }
    var scratch: String { directory + "/scratch" }

    func options(
        jobs: Int = 2, cpus: Int = 2, gpus: [String] = [], retryDelay: Double = 0.05, killGrace: Double = 1,
        executor: ExecutorOverrides = ExecutorOverrides()
    ) -> RunOptions {
        RunOptions(
            runsDirectory: runsDirectory, limits: .init(jobs: jobs, cpus: cpus, memoryMB: 8192, gpus: gpus),
            scheduler: SchedulerOptions(keepGoing: false, retryDelay: retryDelay, killGrace: killGrace), executor: executor,
            supervisor: .beside(executable: CommandLine.arguments[0]))
    }

    /// Starts a new run and waits for it.
    func run(_ options: RunOptions? = nil) async throws -> (RunSession, RunRecord.State) {
        let session = try await RunSession.start(specPath: specPath, options: options ?? self.options(), observer: nil)
        return (session, try await session.execute())
    }

    func resume(_ runDirectory: String, _ options: RunOptions? = nil) async throws -> (RunSession, RunRecord.State) {
        let session = try await RunSession.resume(
            ResumeTarget(runDirectory: runDirectory, specOverride: nil, cacheDirectory: nil), options: options ?? self.options(), observer: nil)
        return (session, try await session.execute())
    }

    func lines(of file: String) -> [String] {
        ((try? String(contentsOfFile: scratch + "/" + file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

extension RunSession {
    func state(_ task: String) -> TaskRecord.State? { record(of: task)?.state }
}

/// Intervals recorded by tasks (`name start end [extra]` lines, times in nanoseconds), for
/// checks of what ran at the same time.
struct Interval {
    var name: String
    var start: Double
    var end: Double
    var extra: String

    static func parse(_ lines: [String]) -> [Interval] {
        lines.compactMap { line in
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count >= 3, let start = Double(parts[1]), let end = Double(parts[2]) else { return nil }
            return Interval(name: parts[0], start: start, end: end, extra: parts.count > 3 ? parts[3] : "")
        }
    }

    func overlaps(_ other: Interval) -> Bool { start < other.end && other.start < end }

    /// The most intervals open at one moment.
    static func maximumOverlap(_ intervals: [Interval]) -> Int {
        var events: [(time: Double, change: Int)] = []
        for interval in intervals {
            events.append((interval.start, 1))
            events.append((interval.end, -1))
        }
        // At equal times, an end comes before a start: touching intervals do not overlap.
        events.sort { $0.time != $1.time ? $0.time < $1.time : $0.change < $1.change }
        var open = 0
        var most = 0
        for (_, change) in events {
            open += change
            most = max(most, open)
        }
        return most
    }
}
