import Foundation

/// The Slurm cluster the Slurm executor's tests run against: the one `SLURM_CONF` points at
/// (`Scripts/slurm-cluster.sh start STATE` starts one on this machine). Without one those
/// tests are skipped, unless `ABLATE_SLURM_TESTS=required` (as in CI) makes that a failure.
public enum LocalSlurm {
    public static let isRequired = ProcessInfo.processInfo.environment["ABLATE_SLURM_TESTS"] == "required"

    /// Whether a cluster answers `squeue`.
    public static let isAvailable: Bool = {
        guard ProcessInfo.processInfo.environment["SLURM_CONF"] != nil else { return false }
        return (try? command("squeue", ["-h"]))?.status == 0
    }()

    /// Runs a Slurm client command and returns its exit status and output.
    public static func command(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try capturedOutput(of: ["/usr/bin/env", program] + arguments)
    }

    /// Runs `body` while no other test of this process needs the cluster's node to itself. The
    /// node has two GPUs and this machine's CPUs (two here): a test whose jobs need both GPUs,
    /// or two jobs running at the same time, would wait for or be squeezed by another test's job
    /// instead of showing what it tests.
    public static func withTheNode<Value: Sendable>(_ body: () async throws -> Value) async throws -> Value {
        await node.acquire()
        do {
            let value = try await body()
            await node.release()
            return value
        } catch {
            await node.release()
            throw error
        }
    }

    private static let node = TestLock()

    /// A job's state as `squeue` shows it (finished jobs stay listed for a while).
    public static func state(ofJob job: String) -> String? {
        guard let answer = try? command("squeue", ["--json", "--me"]),
            let document = try? JSONSerialization.jsonObject(with: Data(answer.output.utf8)) as? [String: Any],
            let jobs = document["jobs"] as? [[String: Any]]
        else { return nil }
        let match = jobs.first { ($0["job_id"] as? NSNumber)?.stringValue == job }
        return match?["job_state"] as? String ?? (match?["job_state"] as? [String])?.first
    }
}

/// A lock that tests await without holding a thread: the next waiter gets it as it is released.
actor TestLock {
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { held = false } else { waiting.removeFirst().resume() }
    }
}
