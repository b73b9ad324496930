/// A study as written in its YAML spec, checked for shape and types but not yet expanded.
public struct Spec: Sendable {
    /// The spec language version this file is written in (`ablate: 1`).
    public static let currentVersion = 1

    public var version: Int
    public var name: String
    public var description: String?
    /// The spec file that was loaded (before `extends:`).
    public var file: String
    /// Every file the spec was assembled from (through `extends:`), the main one first.
    public var sourceFiles: [String]
    public var models: [ModelEntry]
    public var datasets: [DatasetEntry]
    /// Local files and directories stages use (scripts, configs): `${files.NAME}`.
    public var files: [FileEntry]
    /// Settings applied to every stage whose kind reads them, unless the stage sets its own.
    public var defaults: [String: SpecNode]
    public var sweep: SweepSpec
    public var stages: [StageSpec]
    /// How `ablate report` presents the study's results.
    public var report: ReportSpec
    /// Where the tasks run (this machine unless the spec says otherwise).
    public var executor: Executor
    /// The experiment trackers the training stages report to.
    public var tracking = TrackingSpec()

    public func model(named name: String) -> ModelEntry? { models.first { $0.name == name } }
    public func dataset(named name: String) -> DatasetEntry? { datasets.first { $0.name == name } }
    public func file(named name: String) -> FileEntry? { files.first { $0.name == name } }
    public func stage(named name: String) -> StageSpec? { stages.first { $0.name == name } }
}

/// Where a model or dataset comes from: a hub repository or a local path.
public enum ArtifactSource: Hashable, Sendable {
    case hub(id: String, revision: String?)
    /// A local file or directory: the absolute path, and the path as written in the spec.
    case local(path: String, written: String)
}

/// A base model in the spec's `models:` registry.
public struct ModelEntry: Sendable {
    public var name: String
    public var location: SourceLocation
    public var source: ArtifactSource
}

/// A dataset in the spec's `datasets:` registry.
public struct DatasetEntry: Sendable {
    public var name: String
    public var location: SourceLocation
    public var source: ArtifactSource
    public var format: DatasetFormat
    public var split: String
    /// Records sampled from the dataset (all when nil).
    public var sample: Int?
    /// The hub configuration (subset) name, if the dataset has several.
    public var subset: String?
    /// The dataset's own column for each normalised one, where it differs.
    public var columns: [DatasetColumn: String] = [:]
    /// A prompt assembled from several fields of a record (`{instruction}\n\n{input}`).
    public var template: String?
}

/// A local file or directory in the spec's `files:` registry, content-hashed like a dataset.
public struct FileEntry: Sendable {
    public var name: String
    public var location: SourceLocation
    /// The absolute path.
    public var path: String
}

/// `when:` / `unless:` entries: an axis and the values that match.
public struct Condition: Sendable {
    public var axis: String
    public var values: [SettingValue]
    public var location: SourceLocation
}

/// One stage of the study, before the sweep is applied.
public struct StageSpec: Sendable {
    public var name: String
    public var location: SourceLocation
    public var kind: StageKind
    /// The stage's named inputs (`model:`, `data:` …), as templates that may reference others.
    public var inputs: [InputRole: Template]
    /// A `command` stage's own inputs (`inputs: {name: ${stages.x.model}}`), in spec order.
    public var commandInputs: [(name: String, template: Template)]
    /// The stage's settings as written; defaults are merged in at compile time.
    public var settings: [String: SpecNode]
    /// Arguments passed through to the underlying tool, after the recipe's own.
    public var args: [Template]
    /// Environment variables set for the task.
    public var environment: [(name: String, template: Template)]
    /// A `command` stage's shell line (the only place a shell is used).
    public var run: Template?
    /// A `command` stage's program and arguments, run without a shell.
    public var command: [Template]?
    /// A `command` stage's declared output names (default `output`).
    public var outputs: [String]
    /// A `command` stage's metric files, relative to its output directory.
    public var metricFiles: [String]
    public var when: [Condition]
    public var unless: [Condition]
    /// Axes a `command` stage gathers across: one task per combination of the other axes,
    /// whose references to other stages stand for all of their tasks.
    public var gather: [String]
    var gatherLocation: SourceLocation?

    /// The outputs other stages may reference.
    public var outputNames: [String] { kind == .command ? outputs : kind.outputs }

    /// Every template in the stage, settings included, for reference checks.
    var allTemplates: [Template] {
        InputRole.allCases.compactMap { inputs[$0] } + commandInputs.map(\.template) + args
            + environment.map(\.template) + (run.map { [$0] } ?? []) + (command ?? []) + settingTemplates
    }

    /// The templates inside setting values (`learning_rate: ${sweep.lr}`); their syntax errors
    /// were reported when the stage was parsed.
    var settingTemplates: [Template] {
        settings.keys.sorted().flatMap { key in
            (settings[key]?.stringScalars ?? []).filter { $0.text.contains("${") }.map { text, location in
                var alreadyReported = DiagnosticLog()
                return Template.parse(text, at: location, diagnostics: &alreadyReported)
            }
        }
    }
}
