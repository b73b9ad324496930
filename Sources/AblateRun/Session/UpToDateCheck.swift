import AblateCore
import AblateStore
import Foundation

/// The quick answer to "does resuming this run have anything to do?", read from the index:
/// a finished run whose every task is done with the same fingerprint, and whose outputs are
/// still in the cache, is up to date — `ablate resume` then touches nothing, the way a build
/// system says "nothing to be done". Any doubt sends the caller down the full path.
public enum UpToDateCheck {
    /// The number of tasks when the run is up to date, nil otherwise.
    public static func tasks(_ target: ResumeTarget) -> Int? {
        let layout = target.layout
        let plan = target.study.plan
        // Any doubt (a damaged index included) sends the caller down the full path, which says what is wrong.
        guard target.run.state == .completed, !RunLock.isHeld(path: layout.lockFile), FileManager.default.fileExists(atPath: layout.index),
            let index = try? layout.openIndexForReading(), let done = try? index.doneFingerprints()
        else { return nil }
        let cache = TaskCache(directory: layout.cacheDirectory)
        for task in plan.tasks {
            // `access` rather than FileManager, whose check was a twentieth of this command's time.
            guard done[task.id] == task.fingerprint.value, access(cache.outputs(task.fingerprint), F_OK) == 0 else {
                return nil
            }
        }
        return plan.tasks.count
    }
}
