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
            var total: Int64 = 0
            FileTree.forEachRegularFile(under: path) { _, _, bytes in total += bytes }
            return total
        default: return 0
        }
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
