import AblateCore
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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
            switch resolution(of: repository) {
            case .success(let commit): commits[repository] = commit
            case .failure(let note): notes.append(note.message)
            }
        }
        lock.withLock {
            notesFound += notes
            commitsFound.merge(commits) { $1 }
        }
        return commits
    }

    /// Why a revision could not be resolved.
    struct Note: Error {
        var message: String
    }

    private func resolution(of repository: HubRepository) -> Result<String, Note> {
        if repository.isPinned { return .success(repository.revision) }
        if settings.offline {
            guard let commit = settings.cachedCommit(of: repository) else {
                return .failure(
                    Note(message: "offline: \(repository.description) is not in the cache (\(settings.hubCache)); run once without --offline to fetch it"))
            }
            return .success(commit)
        }
        switch ask(repository) {
        case .success(let commit): return .success(commit)
        case .failure(.unreachable(let reason)):
            if let commit = settings.cachedCommit(of: repository) {
                notesLater("cannot reach \(settings.endpoint) (\(reason)): \(repository.description) uses the commit the cache holds, \(commit.prefix(12))")
                return .success(commit)
            }
            return .failure(Note(message: "cannot reach \(settings.endpoint) (\(reason)) to resolve \(repository.description), and the cache does not hold it"))
        case .failure(.refused(let status, let code)):
            return .failure(
                Note(message: "\(repository.description): the hub answered \(status)\(code.map { " (\($0))" } ?? ""); its fetch task will say how to fix it"))
        }
    }

    private func notesLater(_ note: String) {
        lock.withLock { notesFound.append(note) }
    }

    /// How asking the hub failed.
    enum Failure: Error {
        case unreachable(String)
        /// An HTTP error, with the hub's `X-Error-Code` (`GatedRepo`, `RepoNotFound`, `RevisionNotFound`).
        case refused(status: Int, code: String?)
    }

    private func ask(_ repository: HubRepository) -> Result<String, Failure> {
        let revision =
            repository.revision.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? repository.revision
        guard let url = URL(string: "\(settings.endpoint)/api/\(repository.kind.rawValue)s/\(repository.id)/revision/\(revision)") else {
            return .failure(.refused(status: 400, code: "invalid id"))
        }
        var request = URLRequest(url: url, timeoutInterval: 10)
        if let token = settings.token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            answer.set(data: data, response: response as? HTTPURLResponse, error: error)
            done.signal()
        }.resume()
        done.wait()
        let (data, response, error) = answer.get()
        guard let response else { return .failure(.unreachable(error?.localizedDescription ?? "no answer")) }
        guard response.statusCode == 200 else {
            return .failure(.refused(status: response.statusCode, code: response.value(forHTTPHeaderField: "X-Error-Code")))
        }
        struct Info: Decodable { var sha: String }
        guard let data, let info = try? JSONDecoder().decode(Info.self, from: data), HubRepository.isCommit(info.sha) else {
            return .failure(.refused(status: response.statusCode, code: "no commit in the answer"))
        }
        return .success(info.sha)
    }

    /// The answer of one request, handed from URLSession's queue to the waiting caller.
    private final class Answer: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (Data?, HTTPURLResponse?, (any Error)?) = (nil, nil, nil)
        func set(data: Data?, response: HTTPURLResponse?, error: (any Error)?) { lock.withLock { value = (data, response, error) } }
        func get() -> (Data?, HTTPURLResponse?, (any Error)?) { lock.withLock { value } }
    }
}
