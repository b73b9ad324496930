import AblateCore
import Foundation
import Testing

/// The spec's `tracking:` section: the trackers the trainers report to, checked where written,
/// and kept out of every fingerprint.
@Suite struct TrackingSpecTests {
    private func compile(_ section: String) -> StudyCompiler.Outcome {
        let text = "ablate: 1\nname: s\n\(section)\nstages:\n  hello: {kind: command, run: \"echo hello\"}\n"
        return StudyCompiler().compile(text: text, file: "/tmp/study.yaml")
    }

    private func tracking(_ section: String) -> TrackingSpec? {
        let outcome = compile(section)
        #expect(!outcome.diagnostics.hasErrors, "\(outcome.diagnostics.sorted.map(\.description))")
        return outcome.spec?.tracking
    }

    @Test func eachTrackerTakesItsSettingsOrItsDefaults() {
        #expect(tracking("")?.isEmpty == true)
        #expect(
            tracking(
                "tracking: {wandb: {project: rlhf, entity: lab, mode: online}, mlflow: {tracking_uri: 'http://mlflow:5000', experiment: e}, tensorboard: true}")
                == TrackingSpec(
                    wandb: .init(project: "rlhf", entity: "lab", mode: .online), mlflow: .init(trackingURI: "http://mlflow:5000", experiment: "e"),
                    tensorboard: true))
        // Offline first: runs are uploaded from the submitting machine when a task ends.
        #expect(tracking("tracking: {wandb: true, mlflow: true}") == TrackingSpec(wandb: .init(mode: .offline), mlflow: .init()))
        #expect(tracking("tracking: {wandb: false, tensorboard: false}")?.isEmpty == true)
    }

    @Test func mistakesAreErrorsWhereTheyAreWritten() {
        let messages = [
            (
                "tracking: {wandb: {mode: offlin}}",
                "study.yaml:3:26: error: 'tracking.wandb.mode' must be 'online' or 'offline', not 'offlin'; did you mean 'offline'?"
            ),
            ("tracking: {mlfow: true}", "study.yaml:3:12: error: unknown key 'mlfow' in 'tracking'; did you mean 'mlflow'?"),
            ("tracking: {wandb: {projet: p}}", "study.yaml:3:20: error: unknown key 'projet' in 'tracking.wandb'; did you mean 'project'?"),
            ("tracking: {tensorboard: yes please}", "study.yaml:3:25: error: 'tracking.tensorboard' must be true or false, not 'yes please'"),
            ("tracking: {wandb: 3}", "study.yaml:3:19: error: 'tracking.wandb' must be true, false or a mapping of 'project', 'entity' or 'mode', not '3'"),
        ]
        for (section, message) in messages {
            let described = compile(section).diagnostics.sorted.map(\.description)
            #expect(described.contains { $0.hasSuffix(message) }, "\(section): \(described)")
        }
    }

    @Test func theCommandLineKeepsOnlyTheTrackersItNames() {
        let spec = TrackingSpec(wandb: .init(project: "p", mode: .online), tensorboard: true)
        #expect(spec.keeping(only: [.wandb]) == TrackingSpec(wandb: .init(project: "p", mode: .online)))
        #expect(spec.keeping(only: [.mlflow]) == TrackingSpec(mlflow: .init()))
        #expect(spec.keeping(only: []).isEmpty)
    }

    @Test func trackingStaysOutOfTaskFingerprints() throws {
        let base = "ablate: 1\nname: s\nstages:\n  hello: {kind: command, run: \"echo hello\"}\n"
        let plain = try #require(StudyCompiler().compile(text: base, file: "/tmp/study.yaml").plan)
        let tracked = try #require(StudyCompiler().compile(text: base + "tracking: {wandb: true, tensorboard: true}\n", file: "/tmp/study.yaml").plan)
        #expect(plain.tasks.map(\.fingerprint) == tracked.tasks.map(\.fingerprint))
    }
}
