/// What a stage does; each kind has a recipe that turns it into a real command line.
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
    case merge
    case tinyModel = "tiny-model"
    case command

    /// The outputs other stages can reference as `${stages.NAME.OUTPUT}`.
    public var outputs: [String] {
        switch self {
        case .sft, .reward, .dpo, .ppo, .merge: return ["model"]
        case .tinyModel: return ["model", "reward_model"]
        case .bon, .generate: return ["samples"]
        case .lmEval: return ["results"]
        case .diversity, .judge, .linguistic: return ["metrics"]
        case .command: return ["output"]
        }
    }

    /// The outputs that are models, which `model:`-like inputs may name.
    public var modelOutputs: [String] {
        self == .tinyModel ? ["model", "reward_model"] : outputs.filter { $0 == "model" }
    }

    /// Kinds that train a model, and so take the training settings (LoRA, learning rate, …).
    public var trains: Bool { [.sft, .reward, .dpo, .ppo].contains(self) }

    /// Kinds that sample text from a model, and so take the generation settings.
    public var generates: Bool { [.ppo, .bon, .generate].contains(self) }

    /// The named inputs this kind reads, in the order the recipe passes them.
    public var inputRoles: [InputRole] {
        switch self {
        case .sft: return [.model, .data]
        case .reward: return [.model, .data]
        case .dpo: return [.model, .data, .referenceModel]
        case .ppo: return [.model, .rewardModel, .prompts]
        case .bon: return [.model, .rewardModel, .prompts]
        case .generate: return [.model, .prompts]
        case .lmEval, .merge: return [.model]
        case .diversity: return [.samples]
        case .judge: return [.samples, .baseline, .judgeModel]
        case .linguistic: return [.data, .samples]
        case .tinyModel, .command: return []
        }
    }

    /// Which of `inputRoles` a stage of this kind must name.
    public var requiredRoles: [InputRole] {
        switch self {
        case .sft, .reward, .dpo: return [.model, .data]
        case .ppo, .bon: return [.model, .rewardModel, .prompts]
        case .generate: return [.model, .prompts]
        case .lmEval, .merge: return [.model]
        case .diversity: return [.samples]
        case .judge: return [.samples, .baseline]
        case .linguistic, .tinyModel, .command: return []
        }
    }
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
        case .data, .prompts, .samples, .baseline: return .data
        }
    }

    /// Dataset formats this role accepts (any, when nil).
    public func acceptedFormats(for kind: StageKind) -> [DatasetFormat]? {
        switch (kind, self) {
        case (.sft, .data): return [.messages, .promptCompletion]
        case (.reward, .data), (.dpo, .data): return [.preference]
        case (_, .prompts): return [.promptOnly, .messages, .promptCompletion, .preference]
        default: return nil
        }
    }
}

/// How a dataset's records are laid out; each trainer accepts some of these.
public enum DatasetFormat: String, CaseIterable, Codable, Sendable {
    case messages
    case promptCompletion = "prompt-completion"
    case preference
    case promptOnly = "prompt-only"
    case multipleChoice = "multiple-choice"
}
