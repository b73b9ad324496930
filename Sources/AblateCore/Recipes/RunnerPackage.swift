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

    /// The folders of the runners that decide what a stage computes: the package and its
    /// environments' requirements. Its tests, its `pyproject.toml` and anything else beside
    /// them change no result, so editing them invalidates nothing in the cache.
    static let contentFolders = ["ablate_runners", "environments"]

    /// The digest that stands for the runners folder in every fingerprint that reads it.
    static func contentDigest(files: any LocalFiles) throws -> String {
        var text = ""
        for folder in contentFolders {
            text += folder + "\0" + (try files.contentDigest(of: directory + "/" + folder)) + "\0"
        }
        return Digest.sha256Hex(of: text.utf8)
    }

    /// The requirements file of a runner environment.
    public static func requirements(of environment: String) -> String {
        directory + "/environments/" + environment + ".txt"
    }

    /// `PYTHONPATH`, pointing at the runners.
    static var pythonPath: EnvironmentVariable {
        EnvironmentVariable(name: "PYTHONPATH", value: CommandArgument([.localPath(directory)]))
    }
}
