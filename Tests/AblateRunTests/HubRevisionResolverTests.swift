import AblateCore
import AblateRun
import AblateTestSupport
import Foundation
import Testing

/// Resolving revisions without a hub: a pinned commit needs none, offline the cache's refs answer,
/// and an unreachable hub falls back to them with a note (the hub itself is tested in
/// `HubFetchTests`, against the fake hub).
@Suite struct HubRevisionResolverTests {
    let cache = Scratch.path("hub-cache")
    let commit = String(repeating: "ab", count: 20)
    let model = HubRepository(kind: .model, id: "org/model", revision: nil)
    let dataset = HubRepository(kind: .dataset, id: "org/data", revision: "v2")

    init() throws {
        // What snapshot_download leaves: refs/main naming a snapshot folder.
        let folder = cache + "/models--org--model"
        try FileManager.default.createDirectory(atPath: folder + "/snapshots/" + commit, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/refs", withIntermediateDirectories: true)
        try commit.write(toFile: folder + "/refs/main", atomically: true, encoding: .utf8)
    }

    private func settings(offline: Bool) -> HubSettings {
        HubSettings(endpoint: "http://127.0.0.1:9", home: cache, hubCache: cache, datasetsCache: cache + "/datasets", offline: offline, token: nil)
    }

    @Test func aPinnedCommitIsItsOwnResolution() {
        let pinned = HubRepository(kind: .model, id: "org/model", revision: String(repeating: "c", count: 40))
        let resolver = HubRevisionResolver(settings: settings(offline: false))
        #expect(resolver.resolve([pinned]) == [pinned: String(repeating: "c", count: 40)])
        #expect(resolver.notes.isEmpty, "no request was made, so nothing could fail")
    }

    @Test func offlineTheCacheAnswersAndWhatItLacksIsNamed() {
        let resolver = HubRevisionResolver(settings: settings(offline: true))
        #expect(resolver.resolve([model, dataset]) == [model: commit])
        #expect(resolver.notes == ["offline: dataset org/data@v2 is not in the cache (\(cache)); run once without --offline to fetch it"])
    }

    @Test func anUnreachableHubFallsBackToTheCacheAndSaysSo() {
        let resolver = HubRevisionResolver(settings: settings(offline: false))
        #expect(resolver.resolve([model, dataset]) == [model: commit])
        #expect(resolver.notes.count == 2)
        #expect(resolver.notes.allSatisfy { $0.hasPrefix("cannot reach http://127.0.0.1:9 (") })
        #expect(resolver.notes.contains { $0.hasSuffix("model org/model@main uses the commit the cache holds, \(commit.prefix(12))") })
        #expect(resolver.notes.contains { $0.hasSuffix("to resolve dataset org/data@v2, and the cache does not hold it") })
    }

    @Test func theSettingsFollowHuggingFaceHubsVariables() {
        let home = cache + "/home"
        let fromHome = HubSettings.current(offline: false, environment: ["HF_HOME": home, "HF_ENDPOINT": "http://mirror.test/"])
        #expect(fromHome.hubCache == home + "/hub" && fromHome.datasetsCache == home + "/datasets" && fromHome.endpoint == "http://mirror.test")
        #expect(!fromHome.offline)
        let overridden = HubSettings.current(offline: false, environment: ["HF_HOME": home, "HF_HUB_CACHE": "/elsewhere", "HF_HUB_OFFLINE": "1"])
        #expect(overridden.hubCache == "/elsewhere" && overridden.offline)
    }
}
