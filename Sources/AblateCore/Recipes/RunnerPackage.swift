import Foundation

/// Where ablate's Python stage runners live: the `Runners/` folder of the checkout ablate was
/// built from, or `$ABLATE_RUNNERS`. Stages run them with that folder on `PYTHONPATH`, so a
/// change to a runner changes the fingerprint of every task that runs it.
public enum RunnerPackage {
    public static let directory: String = {
        if let override = ProcessInfo.processInfo.environment["ABLATE_RUNNERS"], !override.isEmpty {
            return (override as NSString).standardizingPath
        }
        // Sources/AblateCore/Recipes/RunnerPackage.swift → the checkout's root.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        return root.appendingPathComponent("Runners").path
    }()

    /// The requirements file of a runner environment.
    public static func requirements(of environment: String) -> String {
        directory + "/environments/" + environment + ".txt"
    }

    /// `PYTHONPATH`, pointing at the runners.
    static var pythonPath: EnvironmentVariable {
        EnvironmentVariable(name: "PYTHONPATH", value: CommandArgument([.localPath(directory)]))
    }
}
