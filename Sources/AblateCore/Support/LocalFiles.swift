import Foundation

/// Read-only access to the local files a spec names: the one place where loading and planning
/// touch the disk, so that tests can see exactly what is read.
public protocol LocalFiles: Sendable {
    /// The text of a spec file, or nil when it cannot be read.
    func text(at path: String) -> String?
    /// Whether a path exists, and whether it is a directory.
    func kind(of path: String) -> LocalFileKind?
    /// A SHA-256 digest of a file's or directory's content.
    func contentDigest(of path: String) throws -> String
}

/// What a local path is.
public enum LocalFileKind: Sendable {
    case file
    case directory
}

/// The real file system, with digests remembered for the life of the value.
public final class DiskFiles: LocalFiles, @unchecked Sendable {
    private let lock = NSLock()
    private var digests: [String: String] = [:]

    public init() {}

    public func text(at path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    public func kind(of path: String) -> LocalFileKind? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        return isDirectory.boolValue ? .directory : .file
    }

    public func contentDigest(of path: String) throws -> String {
        if let known = lock.withLock({ digests[path] }) { return known }
        let digest = try Digest.contentDigest(ofPath: path)
        lock.withLock { digests[path] = digest }
        return digest
    }
}

/// Resolves a path written in a spec against the directory of the file that wrote it.
enum SpecPath {
    static func resolve(_ written: String, relativeTo file: String) -> String {
        let expanded = (written as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
        let directory = (file as NSString).deletingLastPathComponent
        let base = directory.isEmpty ? FileManager.default.currentDirectoryPath : directory
        let absoluteBase = base.hasPrefix("/") ? base : FileManager.default.currentDirectoryPath + "/" + base
        return ((absoluteBase as NSString).appendingPathComponent(expanded) as NSString).standardizingPath
    }
}
