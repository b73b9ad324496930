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
