import Foundation

/// Runs `body` on a thread of its own and returns what it returns.
///
/// The test runner has one cooperative thread per core. A test that waits for a process or sleeps
/// on one of them stops every other test from running meanwhile, and a test that times what it
/// runs then measures the stall. Whatever blocks goes through here instead.
public func onOwnThread<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

extension Process {
    /// Waits for the process to end on a thread of its own (see `onOwnThread`).
    public func waitForExit() async {
        _ = try? await onOwnThread { self.waitUntilExit() }
    }
}
