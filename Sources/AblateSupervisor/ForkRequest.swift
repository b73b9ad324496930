#if canImport(Glibc)
    import Glibc
#endif

/// One task ablate asks the fork server to supervise: a little-endian 32-bit length, then that
/// many bytes of NUL-terminated strings: an id, the working directory, the standard output and
/// error files, the number N of supervisor arguments, those N arguments (as
/// `ablate-supervisor` takes them on its command line), then the task's environment as
/// `NAME=VALUE` (what ablate's `SupervisorForkServer` writes).
struct ForkRequest {
    var id: String
    var workingDirectory: String
    var standardOutput: String
    var standardError: String
    var arguments: [String]
    var environment: [String]

    /// The largest request taken (a task's environment and command are far smaller).
    static let maximumLength = 16 << 20

    /// Parses a request's bytes (without the length); nil when they are not as above.
    init?(_ payload: ArraySlice<UInt8>) {
        var fields = payload.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        // The last string's NUL leaves an empty field after it.
        guard payload.last == 0, fields.removeLast().isEmpty, fields.count >= 5, let count = Int(fields[4]), count >= 0, fields.count >= 5 + count else {
            return nil
        }
        (id, workingDirectory, standardOutput, standardError) = (fields[0], fields[1], fields[2], fields[3])
        arguments = Array(fields[5..<(5 + count)])
        environment = Array(fields[(5 + count)...])
    }
}
