/// The exact program and arguments a task runs, with paths kept symbolic.
///
/// Paths to a task's own output directory and to its inputs' outputs are not known until a run
/// directory exists, and they must not enter the fingerprint (the cache is shared by all runs),
/// so they stay as parts that the executor fills in.
public struct TaskCommand: Codable, Hashable, Sendable {
    public var arguments: [CommandArgument]
    public var environment: [EnvironmentVariable]

    public init(arguments: [CommandArgument], environment: [EnvironmentVariable] = []) {
        self.arguments = arguments
        self.environment = environment
    }

    /// The command line as a person reads it, with paths shown symbolically.
    public var displayText: String {
        var text = ""
        for argument in arguments {
            if !text.isEmpty { text.append(" ") }
            text.append(argument.display.shellQuotedForDisplay)
        }
        return text
    }

    /// The local paths the arguments, then the environment variables, name, in order.
    var localPaths: [String] {
        var paths: [String] = []
        for argument in arguments + environment.map(\.value) {
            for case .localPath(let path) in argument.parts { paths.append(path) }
        }
        return paths
    }

    /// The hub repositories whose snapshots the arguments, then the environment variables, read,
    /// in order.
    var hubRepositories: [HubRepository] {
        var repositories: [HubRepository] = []
        for argument in arguments + environment.map(\.value) {
            for case .hubSnapshot(let repository) in argument.parts { repositories.append(repository) }
        }
        return repositories
    }
}

/// One `NAME=value` the task's process receives.
public struct EnvironmentVariable: Codable, Hashable, Sendable {
    public var name: String
    public var value: CommandArgument
}

/// One argument: literal text and symbolic paths, joined.
public struct CommandArgument: Codable, Hashable, Sendable, ExpressibleByStringLiteral {
    /// A piece of an argument.
    public enum Part: Codable, Hashable, Sendable {
        case literal(String)
        /// The task's own output directory.
        case outputDirectory
        /// An output of another task (by task id): `<its output directory>/<output>`.
        case taskOutput(task: String, output: String)
        /// A local file or directory named by the spec, as an absolute path.
        case localPath(String)
        /// The local snapshot of a hub repository: the compiler replaces it with the output of
        /// the repository's fetch task, so a plan never holds it.
        case hubSnapshot(HubRepository)

        private enum CodingKeys: String, CodingKey {
            case task, output, path, hub
        }

        public init(from decoder: Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                self = .literal(text)
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let path = try container.decodeIfPresent(String.self, forKey: .path) {
                self = .localPath(path)
            } else if let repository = try container.decodeIfPresent(HubRepository.self, forKey: .hub) {
                self = .hubSnapshot(repository)
            } else if let task = try container.decodeIfPresent(String.self, forKey: .task) {
                self = .taskOutput(task: task, output: try container.decode(String.self, forKey: .output))
            } else {
                self = .outputDirectory
            }
        }

        public func encode(to encoder: Encoder) throws {
            switch self {
            case .literal(let text):
                var container = encoder.singleValueContainer()
                try container.encode(text)
            case .outputDirectory:
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode("{out}", forKey: .output)
            case .taskOutput(let task, let output):
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(task, forKey: .task)
                try container.encode(output, forKey: .output)
            case .localPath(let path):
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(path, forKey: .path)
            case .hubSnapshot(let repository):
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(repository, forKey: .hub)
            }
        }
    }

    public var parts: [Part]

    public init(_ parts: [Part]) {
        self.parts = Self.coalesced(parts)
    }

    public init(stringLiteral value: String) {
        parts = [.literal(value)]
    }

    public static func literal(_ text: String) -> CommandArgument { CommandArgument([.literal(text)]) }

    /// `{out}/model`-style paths below the task's own output directory.
    public static func output(_ relative: String) -> CommandArgument {
        CommandArgument([.outputDirectory, .literal("/" + relative)])
    }

    public static func + (lhs: CommandArgument, rhs: CommandArgument) -> CommandArgument {
        CommandArgument(lhs.parts + rhs.parts)
    }

    /// The argument with paths shown as `{out}` and `{task/output}`.
    public var display: String {
        if parts.count == 1, case .literal(let text) = parts[0] { return text }
        var text = ""
        for part in parts {
            switch part {
            case .literal(let literal): text.append(literal)
            case .outputDirectory: text.append("{out}")
            case .taskOutput(let task, let output): text.append("{\(task)/\(output)}")
            case .localPath(let path): text.append(path)
            case .hubSnapshot(let repository): text.append(repository.id)
            }
        }
        return text
    }

    /// An argument of literal text alone is written as a JSON string; others as a list of
    /// parts, each a string or a `{"output": …}` / `{"task": …, "output": …}` / `{"path": …}` object.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            parts = [.literal(text)]
        } else {
            parts = try container.decode([Part].self)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if parts.count == 1, case .literal(let text) = parts[0] {
            try container.encode(text)
        } else {
            try container.encode(parts)
        }
    }

    private static func coalesced(_ parts: [Part]) -> [Part] {
        var result: [Part] = []
        for part in parts {
            if case .literal(let text) = part, text.isEmpty { continue }
            if case .literal(let next) = part, case .literal(let previous)? = result.last {
                result[result.count - 1] = .literal(previous + next)
            } else {
                result.append(part)
            }
        }
        return result
    }
}

extension String {
    private static let displaySafeBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%{}[]".utf8)

    /// Quotes an argument for display when it holds characters a shell would interpret; the
    /// command itself is never run through a shell.
    var shellQuotedForDisplay: String {
        if !isEmpty, utf8.allSatisfy({ Self.displaySafeBytes.contains($0) }) { return self }
        return "'" + replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
