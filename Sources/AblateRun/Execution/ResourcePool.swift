import AblateCore

/// The machine's capacity for tasks: job slots, CPUs, memory and GPU devices. A device is
/// handed to one task at a time.
public struct ResourcePool: Sendable {
    /// What may run at once.
    public struct Limits: Sendable, Hashable {
        public var jobs: Int
        public var cpus: Int
        public var memoryMB: Int
        /// Device ids as `CUDA_VISIBLE_DEVICES` names them.
        public var gpus: [String]
        /// The executor hands out CPUs, memory and devices itself (a cluster's scheduler):
        /// only job slots are counted here.
        public var assignedByExecutor = false

        public init(jobs: Int, cpus: Int, memoryMB: Int, gpus: [String]) {
            self.jobs = jobs
            self.cpus = cpus
            self.memoryMB = memoryMB
            self.gpus = gpus
        }

        /// Limits for a cluster: at most `jobs` attempts submitted at once, the rest is the
        /// cluster scheduler's business.
        public static func cluster(jobs: Int) -> Limits {
            var limits = Limits(jobs: jobs, cpus: 0, memoryMB: 0, gpus: [])
            limits.assignedByExecutor = true
            return limits
        }
    }

    /// What one running task holds.
    public struct Allocation: Sendable, Hashable {
        public var cpus: Int
        public var memoryMB: Int
        public var gpus: [String]
    }

    public let limits: Limits
    private var freeJobs: Int
    private var freeCPUs: Int
    private var freeMemoryMB: Int
    private var freeGPUs: [String]

    public init(limits: Limits) {
        self.limits = limits
        freeJobs = limits.jobs
        freeCPUs = limits.cpus
        freeMemoryMB = limits.memoryMB
        freeGPUs = limits.gpus
    }

    /// Why a task can never run within these limits, or nil when it can.
    public func impossibility(of resources: TaskResources) -> String? {
        if limits.assignedByExecutor { return nil }
        if resources.nodes > 1 {
            return
                "spans \(resources.nodes) nodes, and the local executor runs tasks on this machine alone; run it with --executor slurm, or set resources.nodes: 1"
        }
        if resources.gpus > limits.gpus.count {
            return
                "needs \(resources.gpus) GPU\(resources.gpus == 1 ? "" : "s") but \(limits.gpus.count) \(limits.gpus.count == 1 ? "is" : "are") available (use --gpus to name devices)"
        }
        if let memory = resources.memoryMB, memory > limits.memoryMB {
            return "needs \(memory) MB of memory but the limit is \(limits.memoryMB) MB (use --memory)"
        }
        return nil
    }

    /// Whether another task may start at all (a job slot is free).
    public var hasFreeSlot: Bool { freeJobs > 0 }

    /// Takes what a task needs if it is free now. A task asking for more CPUs than the
    /// machine has runs alone rather than never. `devices` are the GPUs an adopted attempt
    /// already runs on: those, and no others, are taken for it.
    public mutating func acquire(_ resources: TaskResources, devices: [String]? = nil) -> Allocation? {
        if limits.assignedByExecutor {
            guard freeJobs >= 1 else { return nil }
            freeJobs -= 1
            return Allocation(cpus: 0, memoryMB: 0, gpus: [])
        }
        let cpus = min(resources.cpus, limits.cpus)
        let memory = min(resources.memoryMB ?? 0, limits.memoryMB)
        guard freeJobs >= 1, freeCPUs >= cpus, freeMemoryMB >= memory, freeGPUs.count >= resources.gpus else { return nil }
        freeJobs -= 1
        freeCPUs -= cpus
        freeMemoryMB -= memory
        let gpus: [String]
        if let devices, !devices.isEmpty {
            guard devices.allSatisfy(freeGPUs.contains) else { return nil }
            gpus = devices
            freeGPUs.removeAll(where: devices.contains)
        } else {
            gpus = Array(freeGPUs.prefix(resources.gpus))
            freeGPUs.removeFirst(resources.gpus)
        }
        return Allocation(cpus: cpus, memoryMB: memory, gpus: gpus)
    }

    public mutating func release(_ allocation: Allocation) {
        freeJobs += 1
        freeCPUs += allocation.cpus
        freeMemoryMB += allocation.memoryMB
        freeGPUs.append(contentsOf: allocation.gpus)
        freeGPUs.sort()
    }
}
