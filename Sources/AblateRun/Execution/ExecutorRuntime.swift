import AblateCore
import AblateStore

/// What an executor is made of while a run goes: the launcher that starts its attempts and
/// the limits the scheduler keeps. The one place that maps `Executor` onto its implementation.
struct ExecutorRuntime {
    let launcher: any ProcessLauncher
    let limits: ResourcePool.Limits
    /// The warm interpreters of local built-in stages, where the options ask for them.
    let warm: WarmInterpreters?

    /// `warmDirectory` receives the warm interpreters' logs.
    init(_ executor: Executor, options: RunOptions, warmDirectory: String? = nil) {
        let warm = executor == .local && options.warmStart ? warmDirectory.map { WarmInterpreters(directory: $0) } : nil
        self.warm = warm
        launcher = Self.launcher(for: executor, killGrace: options.scheduler.killGrace, supervisor: options.supervisor, warm: warm)
        switch executor {
        case .local: limits = options.limits
        // CPUs, memory and GPUs are the cluster's business; only the queue is capped.
        case .slurm: limits = .cluster(jobs: options.clusterJobs)
        }
    }

    /// The launcher of an executor; without a supervisor it cannot start local tasks, only
    /// follow, stop and recover them.
    static func launcher(
        for executor: Executor, killGrace: Double, supervisor: SupervisorProgram? = nil, warm: WarmInterpreters? = nil
    ) -> any ProcessLauncher {
        let local = SubprocessLauncher(killGrace: killGrace, supervisor: supervisor, warm: warm)
        switch executor {
        case .local: return local
        // Tasks that need the network stay here: compute nodes often have none.
        case .slurm(let options): return SubmittingMachineLauncher(cluster: SlurmLauncher(options: options), local: local)
        }
    }

    /// The launcher that owns a handle an earlier session recorded: this run's own, or one of
    /// the executor the handle came from (a run first started locally, resumed on Slurm).
    static func owner(of handle: LaunchHandle, current: (any ProcessLauncher)?, killGrace: Double) -> any ProcessLauncher {
        if let current, current.executor == handle.executor { return current }
        return launcher(for: handle.executor == .slurm ? .slurm(SlurmOptions()) : .local, killGrace: killGrace)
    }
}
