import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate gc`: frees the cache entries no kept run needs, and the checkpoints of runs not kept.
struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Free the cached outputs that no kept run needs.",
        discussion: """
            Kept are the latest --keep-last runs of each study (1), runs pinned with 'ablate pin', runs \
            created since --keep-since, and any run an ablate drives now; each of them still resumes as \
            fully cached. gc removes every cache entry none of their plans needs, and the checkpoints of \
            the runs not kept. The runs' own records (spec, logs, metrics, index) stay, so reports still \
            show them; 'ablate rm RUN' removes a run whole. gc also removes what an ablate killed while it \
            created a run left (a hidden .creating-ID directory in the study's folder). --dry-run lists \
            what would go. gc refuses \
            while another ablate uses the cache, or waits for it with --wait.
            """
    )

    @Option(help: "Runs of each study kept, the newest first.")
    var keepLast = 1

    @Option(help: ArgumentHelp("Keep runs created on or after this date (YYYY-MM-DD, UTC).", valueName: "date"), transform: GcCommand.date)
    var keepSince: Date?

    @Flag(help: "Say what would be freed, and free nothing.")
    var dryRun = false

    @Flag(help: "Wait for the runs using the cache to end, instead of refusing.")
    var wait = false

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var location: RunsLocation

    func validate() throws {
        guard keepLast >= 0 else { throw ValidationError("--keep-last must be 0 or more, not \(keepLast)") }
    }

    static func date(_ text: String) throws -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text) else { throw ValidationError("--keep-since takes a date such as 2026-11-30, not '\(text)'") }
        return date
    }

    func run() throws {
        let collection = CacheCollector.plan(
            runsDirectory: location.runsDirectory, cacheDirectory: location.cacheDirectory, policy: KeepPolicy(latest: keepLast, since: keepSince))
        var freed: Int64?
        if !dryRun {
            do {
                freed = try CacheCollector.collect(collection, runsDirectory: location.runsDirectory, cacheDirectory: location.cacheDirectory, wait: wait)
            } catch let error as DiskCommandError {
                throw UserError(error.description)
            }
        }
        if json {
            let object: [String: Any] = [
                "kept": collection.kept.map { ["run": "\($0.run.record.study)/\($0.run.record.id)", "why": $0.reasons] },
                "notKept": collection.notKept.map { "\($0.record.study)/\($0.record.id)" },
                "entries": collection.entries.map { entry -> [String: Any] in
                    var row: [String: Any] = ["fingerprint": entry.fingerprint, "bytes": entry.bytes]
                    if let origin = entry.origin { row["producedBy"] = "\(origin.study)/\(origin.run) \(origin.task)" }
                    return row
                },
                "checkpoints": collection.checkpoints.map { ["run": "\($0.run.record.study)/\($0.run.record.id)", "task": $0.task, "bytes": $0.bytes] },
                "interruptedCreations": collection.interruptedCreations.map { ["path": $0.path, "bytes": $0.bytes] },
                "bytes": collection.bytes, "freedBytes": freed.map { $0 as Any } ?? NSNull(), "dryRun": dryRun,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            return
        }
        for kept in collection.kept { print("keep   \(kept.run.record.study)/\(kept.run.record.id)  (\(kept.reasons.joined(separator: ", ")))") }
        for entry in collection.entries {
            let origin = entry.origin.map { "\($0.task) of \($0.study)/\($0.run)" } ?? "an incomplete entry"
            print("free   \(DiskUsage.format(entry.bytes).leftPadded(to: 8, with: " "))  cache \(entry.fingerprint.prefix(12))  \(origin)")
        }
        for checkpoints in collection.checkpoints {
            print(
                "free   \(DiskUsage.format(checkpoints.bytes).leftPadded(to: 8, with: " "))  checkpoints of \(checkpoints.task) in \(checkpoints.run.record.study)/\(checkpoints.run.record.id)"
            )
        }
        for creation in collection.interruptedCreations {
            print("free   \(DiskUsage.format(creation.bytes).leftPadded(to: 8, with: " "))  \(creation.path) (its ablate was killed while it created the run)")
        }
        var parts = [
            "\(collection.entries.count) cache entr\(collection.entries.count == 1 ? "y" : "ies")",
            "\(collection.checkpoints.count) checkpoint folder\(collection.checkpoints.count == 1 ? "" : "s")",
        ]
        let interrupted = collection.interruptedCreations.count
        if interrupted > 0 { parts.append("\(interrupted) unfinished run director\(interrupted == 1 ? "y" : "ies")") }
        let what = parts.dropLast().joined(separator: ", ") + " and " + (parts.last ?? "")
        if let freed {
            print("freed \(DiskUsage.format(freed)) (\(what)); kept \(collection.kept.count) run\(collection.kept.count == 1 ? "" : "s")")
        } else {
            print("would free \(DiskUsage.format(collection.bytes)) (\(what)); keeps \(collection.kept.count) run\(collection.kept.count == 1 ? "" : "s")")
        }
    }
}
