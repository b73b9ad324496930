import AblateCore
import AblateStore
import Foundation

/// Turns a task's symbolic command into the real one for this run: `{out}` becomes the
/// task's output directory, another task's output its path in the cache.
struct CommandResolver {
    let layout: RunLayout
    let cache: TaskCache
    let fingerprints: [String: Fingerprint]
    let hub: HubSettings
    /// What training tasks are told about the trackers.
    var tracking: TrackingEnvironment?

    func resolve(_ argument: CommandArgument, for task: String) -> String {
        var text = ""
        for part in argument.parts {
            switch part {
            case .literal(let literal): text += literal
            case .outputDirectory: text += layout.outputs(task)
            case .taskOutput(let producer, let output):
                let base = fingerprints[producer].map { cache.outputs($0) } ?? layout.outputs(producer)
                text += base + "/" + output
            case .localPath(let path): text += path
            case .hubSnapshot(let repository): text += repository.id
            }
        }
        return text
    }

    /// The variables ablate sets for every task; the task's own `env:` comes after and wins.
    /// Stages run offline with a Hugging Face home of the run's own; fetch tasks online with
    /// the shared cache (`HubSettings.environment`).
    /// Thread pools (OpenMP, MKL, OpenBLAS, and so PyTorch's) are sized to the task's CPUs, so
    /// that tasks running side by side do not oversubscribe the machine. Devices are named
    /// unless the executor assigns them (Slurm sets `CUDA_VISIBLE_DEVICES` for a job's gres).
    func standardEnvironment(for task: String, hubAccess: HubAccess?, gpus: [String]?, cpus: Int) -> [String: String] {
        var environment = [
            "ABLATE_TASK": task,
            "OMP_NUM_THREADS": String(cpus),
            "MKL_NUM_THREADS": String(cpus),
            "OPENBLAS_NUM_THREADS": String(cpus),
            "ABLATE_RUN_DIR": layout.runDirectory,
            "TOKENIZERS_PARALLELISM": "false",
        ]
        environment.merge(hub.environment(for: hubAccess, runHome: layout.huggingFaceHome)) { $1 }
        if let gpus { environment["CUDA_VISIBLE_DEVICES"] = gpus.joined(separator: ",") }
        return environment
    }

    /// The launch of `task`'s attempt number `attempt` (numbered across the run's sessions).
    func request(for task: PlannedTask, attempt: Int, gpus: [String]?) -> LaunchRequest {
        var environment = standardEnvironment(for: task.id, hubAccess: task.hubAccess, gpus: gpus, cpus: task.resources.cpus)
        if task.kind.descriptor.keepsProgressAcrossAttempts { environment["ABLATE_CHECKPOINT_DIR"] = layout.checkpoints(task.id) }
        if let checkpoint = task.checkpoint {
            environment["ABLATE_CHECKPOINT_EVERY"] = checkpoint.everyValue
            environment["ABLATE_CHECKPOINT_KEEP"] = String(checkpoint.keep)
        }
        if let value = tracking?.value(for: task) { environment[TrackingEnvironment.variable] = value }
        for variable in task.command.environment {
            environment[variable.name] = resolve(variable.value, for: task.id)
        }
        return LaunchRequest(
            name: task.id, arguments: task.command.arguments.map { resolve($0, for: task.id) }, environment: environment,
            workingDirectory: layout.taskDirectory(task.id), standardOutput: layout.stdout(task.id),
            standardError: layout.stderr(task.id), exitRecord: layout.exitRecord(task.id, attempt: attempt), batchScript: layout.batchScript(task.id),
            placement: task.placement,
            resources: task.resources, checkpointsOnSignal: task.checkpoint != nil)
    }
}

/// `command.json`: the exact command a task ran, with secrets in its environment hidden, and
/// the fingerprint of the task it ran for (which tells a resuming ablate whether an attempt no
/// record names is of the task as it is now).
struct CommandRecord: Codable {
    var arguments: [String]
    var environment: [String: String]
    /// Absent from the records of older versions.
    var fingerprint: String?
    var workingDirectory: String

    init(_ request: LaunchRequest, fingerprint: String) {
        arguments = request.arguments
        self.fingerprint = fingerprint
        workingDirectory = request.workingDirectory
        environment = request.environment.reduce(into: [:]) { result, entry in
            result[entry.key] = Self.isSecret(entry.key) ? "<redacted>" : entry.value
        }
    }

    /// The GPUs the recorded command was given (`CUDA_VISIBLE_DEVICES`), if it was.
    static func devices(at path: String) -> [String]? {
        guard let record = try? AtomicFile.readJSON(CommandRecord.self, from: path), let devices = record.environment["CUDA_VISIBLE_DEVICES"] else {
            return nil
        }
        return devices.split(separator: ",").map(String.init)
    }

    /// `OPENAI_API_KEY`, `HF_TOKEN`, `DB_PASSWORD`: a name with such a word is a secret
    /// (`TOKENIZERS_PARALLELISM` is not).
    /// Compared byte by byte, in any case, with no string made: every task's command record
    /// asks this of every variable it sets.
    static func isSecret(_ name: String) -> Bool {
        name.utf8.split(separator: UInt8(ascii: "_")).contains { word in
            secretWords.contains { $0.elementsEqual(word.lazy.map(uppercased)) }
        }
    }

    private static let secretWords = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIALS", "AUTH"].map { Array($0.utf8) }

    private static func uppercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte
    }
}

extension CommandRecord: JSONTextWritable {
    /// What its `Encodable` conformance writes through `JSONCoding.lineEncoder`, byte for byte.
    package func write(to json: inout JSONText) {
        json.beginObject()
        json.key("arguments")
        json.array(arguments)
        json.key("environment")
        json.object(environment) { json, value in json.string(value) }
        if let fingerprint {
            json.key("fingerprint")
            json.string(fingerprint)
        }
        json.key("workingDirectory")
        json.string(workingDirectory)
        json.endObject()
    }
}
