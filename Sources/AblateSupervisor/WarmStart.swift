#if canImport(Glibc)
    import Glibc
#endif

/// Asks a warm interpreter (`python -m ablate_runners.warm`) to fork the task instead of
/// starting a fresh interpreter: one JSON line with the command, the working directory and the
/// environment, and the supervisor's standard input, output and error passed along. The
/// interpreter answers `started PID` (the child leads a group of its own), then `exited CODE`
/// or `signaled SIGNAL`; or `refused REASON`, and the task starts cold.
enum WarmStart {
    /// How long to keep trying to connect while the interpreter is still starting.
    static let connectPatienceMicroseconds = 3_000_000

    /// The connection to the interpreter and the child it started; nil when the task must start cold.
    static func start(socketName: String, command: [String]) -> (connection: Int32, pid: pid_t)? {
        guard let connection = connect(socketName) else { return nil }
        guard send(request(command), descriptors: [0, 1, 2], on: connection), let answer = readLine(connection),
            answer.hasPrefix("started "), let pid = pid_t(answer.dropFirst("started ".count)), pid > 1
        else {
            close(connection)
            return nil
        }
        return (connection, pid)
    }

    /// How the child ended, as the interpreter reports it; when the interpreter goes away first,
    /// the child is waited for until it is gone and counts as failed (its status is lost).
    static func wait(connection: Int32, pid: pid_t) -> ChildStatus {
        defer { close(connection) }
        if let answer = readLine(connection) {
            if answer.hasPrefix("exited "), let code = Int32(answer.dropFirst("exited ".count)) { return .exited(code) }
            if answer.hasPrefix("signaled "), let signal = Int32(answer.dropFirst("signaled ".count)) { return .signaled(signal) }
        }
        while kill(pid, 0) == 0 { usleep(100_000) }
        let message = "ablate-supervisor: the warm interpreter that started the task ended before it; its exit status is lost\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        return .exited(125)
    }

    /// A connected socket, trying again while nobody listens yet (the interpreter binds its
    /// socket first thing, moments after ablate starts it).
    private static func connect(_ name: String) -> Int32? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path[0] = 0  // an abstract name: no file, nothing to clean up
            for (index, byte) in bytes.enumerated() { path[index + 1] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        var waited = 0
        while true {
            let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { return nil }
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, length) }
            }
            if result == 0 { return descriptor }
            let failure = errno
            close(descriptor)
            guard failure == ECONNREFUSED || failure == EINTR, waited < connectPatienceMicroseconds else { return nil }
            usleep(20_000)
            waited += 20_000
        }
    }

    /// `{"argv": […], "cwd": …, "env": {…}}` and a newline.
    private static func request(_ command: [String]) -> [UInt8] {
        var environment: [(String, String)] = []
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") { environment.append((String(text[..<equals]), String(text[text.index(after: equals)...]))) }
            entry += 1
        }
        var directory = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let found = directory.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress?.withMemoryRebound(to: CChar.self, capacity: buffer.count) { getcwd($0, buffer.count) != nil } ?? false
        }
        let cwd = found ? String(decoding: directory.prefix { $0 != 0 }, as: UTF8.self) : "/"
        var json = "{\"argv\":[" + command.map(quoted).joined(separator: ",") + "],\"cwd\":" + quoted(cwd) + ",\"env\":{"
        json += environment.map { quoted($0.0) + ":" + quoted($0.1) }.joined(separator: ",") + "}}\n"
        return Array(json.utf8)
    }

    /// A JSON string.
    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Sends `bytes` with `descriptors` attached to the first part (SCM_RIGHTS).
    private static func send(_ bytes: [UInt8], descriptors: [Int32], on connection: Int32) -> Bool {
        // A control message: the header (length, level, type) and the descriptors, padded to 8 bytes.
        let header = MemoryLayout<cmsghdr>.size
        let payload = descriptors.count * MemoryLayout<Int32>.size
        var control = [UInt8](repeating: 0, count: header + (payload + 7) / 8 * 8)
        control.withUnsafeMutableBytes { buffer in
            var message = cmsghdr()
            message.cmsg_len = header + payload
            message.cmsg_level = SOL_SOCKET
            message.cmsg_type = Int32(SCM_RIGHTS)
            buffer.storeBytes(of: message, as: cmsghdr.self)
            for (index, descriptor) in descriptors.enumerated() {
                buffer.storeBytes(of: descriptor, toByteOffset: header + index * MemoryLayout<Int32>.size, as: Int32.self)
            }
        }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { data -> Int in
                guard let base = data.baseAddress else { return -1 }
                var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: base + offset), iov_len: bytes.count - offset)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    guard offset == 0 else { return sendmsg(connection, &message, Int32(MSG_NOSIGNAL)) }
                    return control.withUnsafeMutableBytes { controlBuffer in
                        message.msg_control = controlBuffer.baseAddress
                        message.msg_controllen = controlBuffer.count
                        return sendmsg(connection, &message, Int32(MSG_NOSIGNAL))
                    }
                }
            }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    /// One line from the interpreter, without its newline; nil at the end of the connection.
    private static func readLine(_ connection: Int32) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(connection, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
            if line.count > 4096 { return nil }
        }
    }
}
