import AblateHTTP
import Foundation

/// One HTTP `GET` through libcurl, which is loaded on the first request: a program linked with
/// it (as URLSession is) loads it and the libraries it needs at every start, for the one command
/// in a hundred that asks a hub. Blocks until the answer came or `timeoutSeconds` passed.
struct HTTPGet {
    /// A response, whatever its status.
    struct Response {
        var status: Int
        var body: Data
        /// The `X-Error-Code` header: the hub's reason for a refusal (`GatedRepo`, `RepoNotFound`).
        var errorCode: String?
    }

    /// Why no response came: the host could not be reached, or libcurl could not be loaded.
    struct Unreachable: Error {
        var reason: String
    }

    var url: String
    /// Header lines, `Name: value`.
    var headers: [String] = []
    var timeoutSeconds = 10

    func send() -> Result<Response, Unreachable> {
        let lines = headers.map { strdup($0) }
        defer { lines.forEach { free($0) } }
        var answer = ablate_http_answer()
        defer { ablate_http_answer_release(&answer) }
        let sent = lines.map { UnsafePointer($0) }.withUnsafeBufferPointer { lines in
            ablate_http_get(url, lines.baseAddress, lines.count, timeoutSeconds, &answer)
        }
        guard sent == 0 else { return .failure(Unreachable(reason: Self.string(&answer.failure))) }
        let body = answer.body.map { Data(bytes: $0, count: answer.body_length) } ?? Data()
        let code = Self.string(&answer.error_code)
        return .success(Response(status: answer.status, body: body, errorCode: code.isEmpty ? nil : code))
    }

    /// A NUL-terminated C array field as a string.
    private static func string<Field>(_ field: inout Field) -> String {
        withUnsafeBytes(of: &field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
