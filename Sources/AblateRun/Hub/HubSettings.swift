import AblateCore
import Foundation

/// Where the Hugging Face Hub and its cache are, as `huggingface_hub` finds them: the endpoint
/// (`HF_ENDPOINT`), the Hugging Face home (`HF_HOME`, else `~/.cache/huggingface`, following
/// `XDG_CACHE_HOME`), its hub cache (`HF_HUB_CACHE`, else `HOME/hub`) and the token (`HF_TOKEN`,
/// else the file of `hf auth login`). The cache is shared by every run and every study; the
/// token is read to resolve revisions and is never written anywhere.
public struct HubSettings: Sendable {
    public var endpoint: String
    public var home: String
    public var hubCache: String
    /// The `datasets` library's cache (`HF_DATASETS_CACHE`, else `HOME/datasets`), where fetch tasks
    /// leave the datasets of lm-eval tasks for the evaluations to read offline.
    public var datasetsCache: String
    /// Whether the run uses the cache alone (`--offline`, or `HF_HUB_OFFLINE=1`).
    public var offline: Bool
    let token: String?

    public init(endpoint: String, home: String, hubCache: String, datasetsCache: String, offline: Bool, token: String?) {
        self.endpoint = endpoint
        self.home = home
        self.hubCache = hubCache
        self.datasetsCache = datasetsCache
        self.offline = offline
        self.token = token
    }

    /// The settings this process's environment gives, `--offline` or not.
    public static func current(offline: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) -> HubSettings {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let cacheBase = value("XDG_CACHE_HOME") ?? NSHomeDirectory() + "/.cache"
        let home = value("HF_HOME") ?? cacheBase + "/huggingface"
        let tokenFile = value("HF_TOKEN_PATH") ?? home + "/token"
        let storedToken = (try? String(contentsOfFile: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let offlineValues: Set<String> = ["1", "ON", "YES", "TRUE"]
        return HubSettings(
            endpoint: String((value("HF_ENDPOINT") ?? "https://huggingface.co").reversed().drop { $0 == "/" }.reversed()),
            home: home, hubCache: value("HF_HUB_CACHE") ?? home + "/hub", datasetsCache: value("HF_DATASETS_CACHE") ?? home + "/datasets",
            offline: offline || offlineValues.contains(value("HF_HUB_OFFLINE")?.uppercased() ?? ""),
            token: value("HF_TOKEN") ?? storedToken.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The folder of a repository in the hub cache (`models--ORG--NAME`).
    func storageFolder(of repository: HubRepository) -> String {
        hubCache + "/" + repository.kind.rawValue + "s--" + repository.id.replacingOccurrences(of: "/", with: "--")
    }

    /// The commit the cache last saw a revision at: `refs/REVISION`, or a snapshot of the commit.
    func cachedCommit(of repository: HubRepository) -> String? {
        let folder = storageFolder(of: repository)
        if repository.isPinned {
            return FileManager.default.fileExists(atPath: folder + "/snapshots/" + repository.revision) ? repository.revision : nil
        }
        guard let text = try? String(contentsOfFile: folder + "/refs/" + repository.revision, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return HubRepository.isCommit(commit) && FileManager.default.fileExists(atPath: folder + "/snapshots/" + commit) ? commit : nil
    }

    /// The variables a task that fetches from the hub runs with: the shared caches (the user's
    /// stored token is found there), online unless the run is offline. Stages run offline, with a
    /// home of the run's own and the shared datasets cache (lm-eval reads its fetched datasets there).
    func environment(for access: HubAccess?, runHome: String) -> [String: String] {
        guard access == .online else {
            return [
                "HF_HOME": runHome, "HF_DATASETS_CACHE": datasetsCache, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
            ]
        }
        var environment = ["HF_HOME": home, "HF_HUB_CACHE": hubCache, "HF_DATASETS_CACHE": datasetsCache, "HF_ENDPOINT": endpoint]
        if offline { environment["HF_HUB_OFFLINE"] = "1" }
        return environment
    }
}
