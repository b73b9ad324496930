/// Values a command's last step leaves for the process's exit to free, as compilers do with
/// their syntax trees (clang's `-disable-free`): the exit returns all of the memory at once,
/// where releasing a 100,000-task plan object by object took a fifth of a second.
enum LeftToExit {
    private final class Kept {
        let values: [Any]

        init(_ values: [Any]) {
            self.values = values
        }
    }

    /// Keeps `values` alive until the process exits. Only for what a command holds when it
    /// returns: nothing frees them before the exit.
    static func keep(_ values: Any...) {
        _ = Unmanaged.passRetained(Kept(values))
    }
}
