import ArgumentParser
import Foundation

/// A condition at run time that the user can fix: printed as `error: …`, exit 1. (A
/// `ValidationError` is for command lines that do not parse, and prints the usage.)
struct UserError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The one way the CLI ends: help and version on standard output with exit 0; a command line
/// that does not parse as `error: …` with the usage, exit 2; anything a command throws as
/// `error: …`, exit 1; an interrupted run exits 130 (commands throw `ExitCode` once they
/// have said why).
enum CommandFailure {
    /// Usage errors, as shells and most tools number them.
    static let usage: Int32 = 2

    /// Prints what the user needs to know about a parsing error and returns the exit code.
    static func reportParsingError(_ error: any Error) -> Int32 {
        let code = AblateCommand.exitCode(for: error).rawValue
        let message = AblateCommand.fullMessage(for: error)
        if code == ExitCode.success.rawValue {
            if !message.isEmpty { print(message) }
            return 0
        }
        write("error: " + strippingPrefix(message))
        return usage
    }

    /// Prints a command's error and returns the exit code.
    static func reportCommandError(_ error: any Error) -> Int32 {
        if let exit = error as? ExitCode { return exit.rawValue }
        // ArgumentParser's own outcomes reach `run()` too: `--help` and `help COMMAND` are
        // answered by a command whose run throws the help request, and a command that finds its
        // arguments wrong after parsing throws a ValidationError, a usage error like any other.
        if AblateCommand.exitCode(for: error) != .failure { return reportParsingError(error) }
        write("error: " + message(for: error))
        return ExitCode.failure.rawValue
    }

    /// What follows `error: `. Foundation's file errors would print as `Error Domain=
    /// NSCocoaErrorDomain Code=512 "(null)" UserInfo={…}`: they say what could not be done to
    /// which file, and the system's reason.
    static func message(for error: any Error) -> String {
        guard let failure = error as? CocoaError, failure.isFileError else { return "\(error)" }
        let code = (failure.underlying as? POSIXError)?.code.rawValue
        let reason = code.map { String(cString: strerror($0)) } ?? failure.localizedDescription
        guard let path = failure.filePath ?? failure.url?.path else { return reason }
        // CocoaError's file codes: 256 to 511 are reads, 512 to 1023 writes.
        let action: String
        switch failure.code.rawValue {
        case 256...511: action = "cannot read "
        case 512...1023: action = "cannot write "
        default: action = ""
        }
        let advice = code == ENOSPC ? "; free some space there (for one, 'ablate gc' frees the cached outputs that no kept run needs)" : ""
        return action + path + ": " + reason + advice
    }

    private static func strippingPrefix(_ message: String) -> String {
        message.hasPrefix("Error: ") ? String(message.dropFirst("Error: ".count)) : message
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
