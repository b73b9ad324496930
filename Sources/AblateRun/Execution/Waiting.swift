import AblateStore

extension Duration {
    /// The longest wait ablate schedules: a year, far beyond any time limit or poll interval.
    static let longestWait = Duration.seconds(365 * 24 * 3600)

    /// `seconds` as a duration that never traps: NaN and negative values are no wait at all,
    /// and anything beyond `longestWait` is cut to it. Options are checked where they are read;
    /// this keeps a wait computed from them (a doubled retry delay) safe as well.
    static func clampedSeconds(_ seconds: Double) -> Duration {
        guard seconds > 0 else { return .zero }
        guard seconds < 365 * 24 * 3600 else { return longestWait }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
