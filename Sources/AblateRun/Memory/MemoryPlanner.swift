import AblateCore
import AblateStore
import Foundation

/// The GPU memory each training or sampling task of a plan that asks for GPUs needs
/// (`MemoryEstimate`), for the tasks whose models' configs can be read before they run, and the warnings for those that
/// will not fit the GPUs they get.
public struct MemoryPlanner: Sendable {
    /// Estimates by task id.
    public let estimates: [String: MemoryEstimate]
    private let plan: Plan

    public init(plan: Plan, cacheDirectory: String, hub: HubSettings) {
        self.plan = plan
        var locator = ModelConfigLocator(plan: plan, cache: TaskCache(directory: cacheDirectory), hub: hub)
        var estimates: [String: MemoryEstimate] = [:]
        for task in plan.tasks where task.resources.gpus > 0 {
            if let estimate = MemoryEstimate.estimate(for: task, models: locator.shapes(of: task)) { estimates[task.id] = estimate }
        }
        self.estimates = estimates
    }

    /// `dpo[…]: about 96.0 GiB needed per GPU, 80.0 GiB per GPU: use LoRA, bf16, gradient
    /// checkpointing, 4-bit quantization or a larger GPU` (for a trainer: or several GPUs with
    /// fsdp), for every task with GPUs whose estimate exceeds `gpuMemory` bytes.
    public func warnings(gpuMemory: Int64) -> [String] {
        plan.tasks.compactMap { task in
            guard task.resources.gpus > 0, let estimate = estimates[task.id], estimate.bytes > gpuMemory else { return nil }
            return "\(task.id): about \(MemoryEstimate.format(estimate.bytes)) needed per GPU, \(MemoryEstimate.format(gpuMemory)) per GPU: "
                + "use LoRA, bf16, gradient checkpointing, 4-bit quantization, "
                + (task.kind.descriptor.trainsOnSeveralProcesses ? "several GPUs with distributed: {strategy: fsdp} " : "")
                + "or a larger GPU (\(estimate.summary))"
        }
    }
}
