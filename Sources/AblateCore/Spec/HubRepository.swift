/// A repository on the Hugging Face Hub that a study reads, at the revision its spec names.
public struct HubRepository: Hashable, Sendable, Codable {
    /// The hub's two kinds of repository a study reads.
    public enum Kind: String, Hashable, Sendable, Codable {
        case model, dataset
    }

    public var kind: Kind
    /// `ORG/NAME`.
    public var id: String
    /// The branch, tag or commit the spec names (`main` when it names none).
    public var revision: String

    public init(kind: Kind, id: String, revision: String?) {
        self.kind = kind
        self.id = id
        self.revision = revision ?? "main"
    }

    /// A full commit hash: a revision that can never move.
    public var isPinned: Bool { Self.isCommit(revision) }

    /// `model meta-llama/Llama-2-7b-hf@main`.
    public var description: String { "\(kind.rawValue) \(id)@\(revision)" }

    /// Whether a revision is a full commit hash (40 lowercase hexadecimal digits).
    public static func isCommit(_ revision: String) -> Bool {
        revision.utf8.count == 40 && revision.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// The commit each hub repository's revision resolved to when the run was planned; a
/// repository missing here could not be resolved, and its fetch task says why.
public typealias HubCommits = [HubRepository: String]

extension ArtifactSource {
    /// The hub repository of a hub source, as a model or a dataset.
    func hubRepository(_ kind: HubRepository.Kind) -> HubRepository? {
        guard case .hub(let id, let revision) = self else { return nil }
        return HubRepository(kind: kind, id: id, revision: revision)
    }
}

extension ModelEntry {
    public var hubRepository: HubRepository? { source.hubRepository(.model) }
}

extension DatasetEntry {
    public var hubRepository: HubRepository? { source.hubRepository(.dataset) }
}

extension Spec {
    /// Every hub repository the registries name, each once, in spec order.
    public var hubRepositories: [HubRepository] {
        var seen: Set<HubRepository> = []
        return (models.compactMap(\.hubRepository) + datasets.compactMap(\.hubRepository)).filter { seen.insert($0).inserted }
    }
}
