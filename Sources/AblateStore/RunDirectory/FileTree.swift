import Foundation

/// The regular files under a directory, walked by descriptor (one `fstatat` per entry, no
/// paths built but those asked for), links not followed: every task's outputs are walked when
/// it completes, for its metrics and for their size.
public enum FileTree {
    /// Calls `visit` with the folder (relative to `root`, "" for `root` itself, else ending in
    /// "/"), the name and the size of each regular file under `root`; nothing when `root` is not
    /// a directory.
    public static func forEachRegularFile(under root: String, _ visit: (_ folder: String, _ name: String, _ bytes: Int64) -> Void) {
        let directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return }
        walk(directory, folder: "", visit)
    }

    /// Walks an open directory, which it closes.
    private static func walk(_ descriptor: Int32, folder: String, _ visit: (String, String, Int64) -> Void) {
        guard let stream = fdopendir(descriptor) else {
            close(descriptor)
            return
        }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            var status = stat()
            guard fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFREG: visit(folder, name, Int64(status.st_size))
            case S_IFDIR:
                let child = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
                if child >= 0 { walk(child, folder: folder + name + "/", visit) }
            default: continue
            }
        }
    }
}
