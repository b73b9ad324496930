import Foundation

/// How much space files take: the sizes of the regular files under a path, links not followed
/// (a run's outputs link into the cache, which is counted once, where it is).
public enum DiskUsage {
    /// Bytes under `path` (0 when it does not exist); a regular file counts itself.
    public static func bytes(at path: String) -> Int64 {
        var status = stat()
        guard lstat(path, &status) == 0 else { return 0 }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return Int64(status.st_size)
        case S_IFDIR:
            let directory = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            return directory < 0 ? 0 : bytes(inDirectory: directory)
        default: return 0
        }
    }

    /// The regular files' bytes under an open directory, which it closes; walked by descriptor
    /// (one `fstatat` per entry, no paths built), since every task's outputs are measured.
    private static func bytes(inDirectory descriptor: Int32) -> Int64 {
        guard let stream = fdopendir(descriptor) else {
            close(descriptor)
            return 0
        }
        defer { closedir(stream) }
        var total: Int64 = 0
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            var status = stat()
            guard fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFREG: total += Int64(status.st_size)
            case S_IFDIR:
                let child = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
                if child >= 0 { total += bytes(inDirectory: child) }
            default: continue
            }
        }
        return total
    }

    /// `13.2 GB`, `512 KB`, `0 B` (powers of 1,000, as `df -H` and the hub show sizes).
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }
}
