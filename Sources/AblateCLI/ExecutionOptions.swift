import AblateCore
import AblateRun
import ArgumentParser
import Foundation
import Subprocess

/// How a run uses the machine: shared by `run` and `resume`.
struct ExecutionOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Tasks to run at once (default: the number of CPUs; with Slurm, jobs in the queue at once, default 1000).")
    var jobs: Int?

    @Option(help: "GPU devices to hand out, e.g. 0,1 (default: those nvidia-smi lists, or none).")
    var gpus: String?

    @Option(help: "CPU cores tasks may use together (default: all).")
    var cpus: Int?

    @Option(help: "Memory tasks may use together, e.g. 64G (default: all of it).")
    var memory: String?

    @Flag(help: "After a failure, keep running the tasks that do not depend on it.")
    var keepGoing = false

    @Option(help: "Seconds before the first retry of a failed task; doubles each time.")
    var retryDelay: Double = 2

    @Option(help: "Seconds between SIGTERM and SIGKILL when a task is stopped.")
    var killGrace: Double = 10

    @Option(
        help: ArgumentHelp(
            "Report the training stages to this tracker (wandb, mlflow, tensorboard; repeat for more), with the spec's 'tracking:' settings where it has them; 'none' reports to none. Default: the spec's 'tracking:'.",
            valueName: "tracker"))
    var tracking: [TrackerChoice] = []

    @Flag(
        inversion: .prefixedNo,
        help: "Start built-in stages on this machine from a warm interpreter of their environment that has imported their libraries already.")
    var warmStart = true

    @Option(help: ArgumentHelp("Memory of each GPU, e.g. 80G, to warn of tasks that will not fit (default: what nvidia-smi says, locally).", valueName: "size"))
    var gpuMemory: String?

    @Flag(help: "Print events as JSON lines instead of progress.")
    var json = false

    @OptionGroup(title: "Executor") var executor: ExecutorOptions

    @OptionGroup var location: RunsLocation

    @OptionGroup(title: "Hugging Face Hub") var hub: HubOptions

    func validate() throws {
        guard retryDelay.isFinite, retryDelay >= 0, retryDelay <= 86_400 else {
            throw ValidationError("--retry-delay must be a number of seconds from 0 to 86400, not \(retryDelay)")
        }
        guard killGrace.isFinite, killGrace >= 0, killGrace <= 86_400 else {
            throw ValidationError("--kill-grace must be a number of seconds from 0 to 86400, not \(killGrace)")
        }
        if let gpuMemory { _ = try LocalGPUs.memory(flag: gpuMemory) }
        if tracking.contains(.none) && tracking.count > 1 { throw ValidationError("--tracking none cannot be combined with a tracker") }
    }

    /// The memory of each GPU tasks get, for the memory warnings: `--gpu-memory`, which holds
    /// for any executor, or what this machine's nvidia-smi says, which holds for local runs only.
    struct GPUMemory {
        var bytes: Int64
        var measuredHere: Bool
    }

    /// The run's options, and the GPUs' memory when it is known; nvidia-smi is asked at most once.
    func runOptions() async throws -> (RunOptions, GPUMemory?) {
        let cpus = cpus ?? ProcessInfo.processInfo.activeProcessorCount
        var memoryMB = Int(ProcessInfo.processInfo.physicalMemory / 1_048_576)
        if let memory {
            guard case .success(.int(let megabytes)) = SettingType.memory.check(.string(memory)) else {
                throw ValidationError("--memory must be an amount such as 64G or 512M, not '\(memory)'")
            }
            memoryMB = megabytes
        }
        guard (jobs ?? 1) >= 1, cpus >= 1 else { throw ValidationError("--jobs and --cpus must be at least 1") }
        let local = gpus == nil || gpuMemory == nil ? await LocalGPUs.query() : LocalGPUs()
        let devices = try gpus.map(Self.devices) ?? local.devices
        let memory =
            try gpuMemory.map { GPUMemory(bytes: try LocalGPUs.memory(flag: $0), measuredHere: false) }
            ?? local.memory.map { GPUMemory(bytes: $0, measuredHere: true) }
        var options = RunOptions(
            runsDirectory: location.runsDirectory, cacheDirectory: location.cacheDirectory,
            limits: .init(jobs: jobs ?? cpus, cpus: cpus, memoryMB: memoryMB, gpus: devices), clusterJobs: jobs ?? RunOptions.defaultClusterJobs,
            scheduler: SchedulerOptions(keepGoing: keepGoing, retryDelay: retryDelay, killGrace: killGrace), executor: try executor.overrides(),
            hub: hub.settings, supervisor: .beside(executable: Bundle.main.executablePath ?? CommandLine.arguments[0]))
        options.warmStart = warmStart
        if !tracking.isEmpty { options.trackers = Set(tracking.compactMap(\.tracker)) }
        return (options, memory)
    }

    /// The devices `--gpus 0,1` names.
    private static func devices(_ gpus: String) throws -> [String] {
        let devices = gpus.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard Set(devices).count == devices.count else { throw ValidationError("--gpus names a device twice: \(gpus)") }
        return devices
    }
}

/// Where tasks run: the command line's changes to the spec's `executor:` section.
struct ExecutorOptions: ParsableArguments {
    @Option(help: "Where tasks run: local (this machine) or slurm (one sbatch job each). Default: the spec's executor, else local.")
    var executor: Executor.Kind?

    @Option(help: "Slurm partition for the jobs.")
    var partition: String?

    @Option(help: "Slurm account to charge the jobs to.")
    var account: String?

    @Option(help: "Slurm quality of service for the jobs.")
    var qos: String?

    @Option(
        name: .customLong("sbatch-flag"), parsing: .unconditionalSingleValue,
        help: ArgumentHelp("A further sbatch option for every job, e.g. --sbatch-flag=--constraint=a100 (repeatable).", valueName: "flag"))
    var sbatchFlags: [String] = []

    @Option(help: "Seconds between looks at the Slurm queue (default: the spec's, else 5).")
    var pollInterval: Double?

    func validate() throws {
        if let pollInterval, !SlurmOptions.isValidPollInterval(pollInterval) {
            throw ValidationError("--poll-interval must be a number of seconds above 0 and at most 86400, not \(pollInterval)")
        }
    }

    func overrides() throws -> ExecutorOverrides {
        ExecutorOverrides(
            kind: executor, partition: partition, account: account, qos: qos, sbatchFlags: sbatchFlags, pollInterval: pollInterval)
    }
}

extension Executor.Kind: ExpressibleByArgument {}

/// Where runs and the cache live.
struct RunsLocation: ParsableArguments {
    @Option(help: "Directory of run directories (default: $ABLATE_RUNS_DIR or Runs).")
    var runsDir: String?

    @Option(help: "Cache of completed task outputs shared by runs (default: <runs-dir>/.cache).")
    var cacheDir: String?

    var runsDirectory: String { RunOptions.runsDirectory(flag: runsDir) }
    var cacheDirectory: String? { cacheDir.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
}

/// What `--tracking` takes: a tracker, or none.
enum TrackerChoice: String, ExpressibleByArgument, CaseIterable {
    case wandb, mlflow, tensorboard, none

    var tracker: TrackingSpec.Tracker? { TrackingSpec.Tracker(rawValue: rawValue) }
}
