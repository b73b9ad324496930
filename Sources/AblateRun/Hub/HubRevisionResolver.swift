import AblateCore
import Foundation

/// Resolves the revisions a spec names (`main`, a tag) to commits when a run is planned, so
/// that the commit enters the fingerprint of every task that reads the repository: a branch
/// that moved re-runs exactly its dependants. It asks the hub (`GET /api/models/ID/revision/REV`);
/// offline, or when the hub cannot be reached, it reads the commit the cache last saw. A
/// revision it cannot resolve is left to the fetch task, which fails with the reason.
public final class HubRevisionResolver: @unchecked Sendable {
    let settings: HubSettings
    private let lock = NSLock()
    private var notesFound: [String] = []
    private var commitsFound: HubCommits = [:]
    private var unreachable: String?

    public init(settings: HubSettings) {
        self.settings = settings
    }

    /// What resolving said that the user should know: a repository missing from the cache
    /// offline, a hub that could not be reached, an error the fetch task will report.
    public var notes: [String] { lock.withLock { notesFound } }

    /// The commits found, for the run's provenance.
    public var commits: HubCommits { lock.withLock { commitsFound } }

    /// The commit of each repository that could be resolved.
    public func resolve(_ repositories: [HubRepository]) -> HubCommits {
        var commits: HubCommits = [:]
        var notes: [String] = []
        for repository in repositories {
            let (commit, note) = resolution(of: repository)
            if let commit { commits[repository] = commit }
            if let note { notes.append(note) }
        }
        lock.withLock {
            notesFound += notes
            commitsFound.merge(commits) { $1 }
        }
        return commits
    }

    /// The commit a repository's revision is at, and what the user should know about it.
    private func resolution(of repository: HubRepository) -> (commit: String?, note: String?) {
        if repository.isPinned { return (repository.revision, nil) }
        let cached = settings.cachedCommit(of: repository)
        if settings.offline {
            return (
                cached,
                cached == nil ? "offline: \(repository.description) is not in the cache (\(settings.hubCache)); run once without --offline to fetch it" : nil
            )
        }
        switch ask(repository) {
        case .success(let commit): return (commit, nil)
        case .failure(.unreachable(let reason)):
            guard let cached else {
                return (nil, "cannot reach \(settings.endpoint) (\(reason)) to resolve \(repository.description), and the cache does not hold it")
            }
            return (cached, "cannot reach \(settings.endpoint) (\(reason)): \(repository.description) uses the commit the cache holds, \(cached.prefix(12))")
        case .failure(.refused(let status, let code)):
            return (nil, "\(repository.description): the hub answered \(status)\(code.map { " (\($0))" } ?? ""); its fetch task will say how to fix it")
        }
    }

    /// How asking the hub failed.
    enum Failure: Error {
        case unreachable(String)
        /// An HTTP error, with the hub's `X-Error-Code` (`GatedRepo`, `RepoNotFound`, `RevisionNotFound`).
        case refused(status: Int, code: String?)
    }

    private func ask(_ repository: HubRepository) -> Result<String, Failure> {
        // A hub that could not be reached is not asked again for the next repository.
        if let reason = lock.withLock({ unreachable }) { return .failure(.unreachable(reason)) }
        let answer = request(repository)
        if case .failure(.unreachable(let reason)) = answer { lock.withLock { unreachable = reason } }
        return answer
    }

    private func request(_ repository: HubRepository) -> Result<String, Failure> {
        let revision =
            repository.revision.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? repository.revision
        guard let url = URL(string: "\(settings.endpoint)/api/\(repository.kind.rawValue)s/\(repository.id)/revision/\(revision)") else {
            return .failure(.refused(status: 400, code: "invalid id"))
        }
        let response: HTTPGet.Response
        switch HTTPGet(url: url.absoluteString, headers: settings.token.map { ["Authorization: Bearer \($0)"] } ?? []).send() {
        case .success(let answer): response = answer
        case .failure(let failure): return .failure(.unreachable(failure.reason))
        }
        guard response.status == 200 else { return .failure(.refused(status: response.status, code: response.errorCode)) }
        struct Info: Decodable { var sha: String }
        guard let info = try? JSONDecoder().decode(Info.self, from: response.body), HubRepository.isCommit(info.sha) else {
            return .failure(.refused(status: response.status, code: "no commit in the answer"))
        }
        return .success(info.sha)
    }
}
