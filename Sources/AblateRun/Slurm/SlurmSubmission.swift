import AblateCore
import AblateStore
import Foundation

/// One sbatch call for one attempt: the task's resources and the executor's options as sbatch
/// flags, a fixed batch script, and the task's command as that script's arguments, so that no
/// shell ever reads a value from the spec.
///
/// A task on several nodes is one job of that many nodes with one task on each
/// (`--nodes N --ntasks-per-node 1`, `--gres=gpu:G` per node); its script starts the command on
/// every node with `srun`, where the command (ablate's launcher) meets the others at the job's
/// first node.
struct SlurmSubmission {
    /// The batch script: it runs its arguments as they are. Slurm sends the script's text
    /// with the job, so any copy will do.
    static let batchScript = """
        #!/bin/sh
        # Written by ablate: runs the task's command, given as this script's arguments, as it is.
        exec "$@"

        """

    /// The batch script of a task on several nodes: the command once on each node, as one job
    /// step with the node's CPUs and GPUs that fails as a whole when one node's part fails. srun
    /// passes the job's signals (Slurm's warning before the time limit) on to every node. Only
    /// numbers ablate checked enter the text.
    static func multiNodeBatchScript(_ resources: TaskResources) -> String {
        let gres = resources.gpus > 0 ? " --gres=gpu:\(resources.gpus)" : ""
        return """
            #!/bin/sh
            # Written by ablate: runs the task's command, given as this script's arguments, once on each of the job's nodes.
            exec srun --nodes=\(resources.nodes) --ntasks-per-node=1 --cpus-per-task=\(resources.cpus)\(gres) --kill-on-bad-exit=1 "$@"

            """
    }

    /// The script this submission's job runs.
    var script: String { request.resources.nodes > 1 ? Self.multiNodeBatchScript(request.resources) : Self.batchScript }

    var request: LaunchRequest
    var options: SlurmOptions
    /// Where the batch script lies.
    var scriptPath: String

    /// The arguments after `sbatch`.
    var arguments: [String] {
        let resources = request.resources
        var flags = [
            "--parsable", "--job-name=\(request.name)", "--chdir=\(request.workingDirectory)",
            "--output=\(Self.escapingPattern(request.standardOutput))", "--error=\(Self.escapingPattern(request.standardError))",
            "--export=ALL", "--cpus-per-task=\(resources.cpus)",
        ]
        if resources.nodes > 1 { flags += ["--nodes=\(resources.nodes)", "--ntasks-per-node=1"] }
        if let memory = resources.memoryMB { flags.append("--mem=\(memory)M") }
        if resources.gpus > 0 { flags.append("--gres=gpu:\(resources.gpus)") }
        // Slurm counts time limits in whole minutes; ablate itself cancels at the exact second.
        if let seconds = resources.timeLimitSeconds {
            flags.append("--time=\((seconds + 59) / 60)")
            // A trainer is warned before the limit, saves a checkpoint and asks to run again.
            if request.checkpointsOnSignal { flags.append("--signal=B:USR2@\(CheckpointPolicy.warningBeforeTimeLimit)") }
        }
        if let partition = options.partition { flags.append("--partition=\(partition)") }
        if let account = options.account { flags.append("--account=\(account)") }
        if let qos = options.qos { flags.append("--qos=\(qos)") }
        return flags + options.sbatchFlags + [scriptPath] + request.arguments
    }

    /// The job's environment: the task's variables on top of ablate's, exported with the job
    /// (`--export=ALL`).
    var environment: [String: String] { request.environment }

    /// sbatch reads `%j` and the like in log paths as patterns: a literal `%` is written `%%`.
    static func escapingPattern(_ path: String) -> String {
        path.replacingOccurrences(of: "%", with: "%%")
    }
}
