/// What a stage does; `StageKinds.table` describes each kind (its inputs, outputs, settings and
/// runner).
public enum StageKind: String, CaseIterable, Codable, Sendable {
    case sft
    case reward
    case dpo
    case ppo
    case bon
    case generate
    case lmEval = "lm-eval"
    case diversity
    case judge
    case linguistic
    case safety
    case score
    case relate
    case merge
    case tinyModel = "tiny-model"
    case command
}

/// A named input of a stage (`model:`, `data:`, `reward_model:` …) and what it must point at.
public enum InputRole: String, CaseIterable, Codable, Sendable {
    case model
    case data
    case referenceModel = "ref_model"
    case rewardModel = "reward_model"
    case prompts
    case samples
    case baseline
    case judgeModel = "judge_model"
    /// A `score` stage's scores of each sample.
    case scores
    /// Held-out data a trainer is scored on (the reward model's accuracy on unseen pairs).
    case evalData = "eval_data"

    /// What a value of this role is.
    public enum Target: Sendable {
        /// A model: a registry model or a stage's `model` output.
        case model
        /// Data: a registry dataset or a stage's `samples` output.
        case data
    }

    public var target: Target {
        switch self {
        case .model, .referenceModel, .rewardModel, .judgeModel: return .model
        case .data, .prompts, .samples, .baseline, .scores, .evalData: return .data
        }
    }

    /// Whether the runner reads the input as a dataset, with its format, split and columns:
    /// samples and scores are read in ablate's own layout, whatever they come from.
    public var readsDataset: Bool { target == .data && self != .samples && self != .scores }

    /// The output of another stage that a data role takes: a score stage's `scores` for
    /// `scores:`, generated `samples` for the others.
    public var stageOutput: String { self == .scores ? "scores" : "samples" }
}

/// How a dataset's records are laid out; each trainer accepts some of these.
public enum DatasetFormat: String, CaseIterable, Codable, Sendable {
    case messages
    case promptCompletion = "prompt-completion"
    case preference
    case promptOnly = "prompt-only"
    case multipleChoice = "multiple-choice"
    /// Statements about groups with a toxicity rating (ToxiGen's annotated layout: `text`,
    /// `target_group`, `toxicity_human`).
    case statements
}
