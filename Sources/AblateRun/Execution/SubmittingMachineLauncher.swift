import AblateCore
import AblateStore

/// A cluster executor's launcher with the tasks that must stay on the submitting machine
/// (they need the network) run as local processes: each request goes to the launcher its
/// placement asks for, and each handle back to the launcher that made it.
struct SubmittingMachineLauncher: ProcessLauncher {
    let cluster: any ProcessLauncher
    let local: SubprocessLauncher

    var executor: Executor.Kind { cluster.executor }

    private func owner(of handle: LaunchHandle) -> any ProcessLauncher {
        handle.executor == local.executor ? local : cluster
    }

    func launch(_ request: LaunchRequest, started: @escaping @Sendable (LaunchHandle) -> Void) async throws -> LaunchOutcome {
        let launcher: any ProcessLauncher = request.placement == .submittingMachine ? local : cluster
        return try await launcher.launch(request, started: started)
    }

    func canFollow(_ handle: LaunchHandle) -> Bool { owner(of: handle).canFollow(handle) }

    func follow(_ handle: LaunchHandle, resources: TaskResources) async throws -> LaunchOutcome {
        try await owner(of: handle).follow(handle, resources: resources)
    }

    func stop(_ handles: [LaunchHandle], force: Bool) {
        local.stop(handles.filter { $0.executor == local.executor }, force: force)
        cluster.stop(handles.filter { $0.executor != local.executor }, force: force)
    }

    func recover(_ handle: LaunchHandle) async throws { try await owner(of: handle).recover(handle) }

    func cancelAbandoned(_ handles: [LaunchHandle]) async throws -> [LaunchHandle] {
        try await local.cancelAbandoned(handles.filter { $0.executor == local.executor })
            + cluster.cancelAbandoned(handles.filter { $0.executor != local.executor })
    }
}
