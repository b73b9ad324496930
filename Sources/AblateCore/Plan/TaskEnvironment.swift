/// The software a task runs in, as its fingerprint and `plan.json` name it.
public enum TaskEnvironment: Hashable, Sendable {
    /// The machine's own programs: a `command` stage, or the task that builds an environment.
    case system
    /// One of ablate's managed runner environments (`Runners/environments/NAME.txt`).
    case runner(String)
    /// An existing interpreter a stage names with `python:`.
    case python(String)

    /// `system`, the environment's name, or `python:PATH`: the text fingerprints digest.
    public var identity: String {
        switch self {
        case .system: return "system"
        case .runner(let name): return name
        case .python(let path): return "python:" + path
        }
    }

    public init(identity: String) {
        if identity == "system" {
            self = .system
        } else if identity.hasPrefix("python:") {
            self = .python(String(identity.dropFirst("python:".count)))
        } else {
            self = .runner(identity)
        }
    }
}

extension TaskEnvironment: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(identity: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(identity)
    }
}
