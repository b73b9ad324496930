import Foundation

/// The sizes of a decoder-only transformer, read from its `config.json` (the Llama family's
/// field names, and GPT-2's where they differ): enough to count its parameters and size its
/// activations and KV cache.
public struct ModelShape: Hashable, Sendable {
    public var hidden: Int
    public var layers: Int
    public var intermediate: Int
    public var heads: Int
    public var keyValueHeads: Int
    public var vocabulary: Int
    public var tiedEmbeddings: Bool
    /// Gated MLPs (Llama, Mistral, Qwen, Gemma) have three matrices, GPT-style ones two.
    public var gatedMLP: Bool
    /// GPT-2 style: learned positions, biases and LayerNorms with a bias.
    public var positions: Int?

    /// Reads a config's JSON; nil when it lacks the sizes (an encoder, or a format not known).
    public init?(configJSON data: Data) {
        guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        func int(_ names: String...) -> Int? { names.lazy.compactMap { config[$0] as? Int }.first }
        guard let hidden = int("hidden_size", "n_embd", "d_model"), let layers = int("num_hidden_layers", "n_layer"),
            let heads = int("num_attention_heads", "n_head"), let vocabulary = int("vocab_size"), hidden > 0, layers > 0, heads > 0
        else { return nil }
        let modelType = config["model_type"] as? String ?? ""
        let gpt2 = modelType == "gpt2"
        self.hidden = hidden
        self.layers = layers
        self.heads = heads
        self.vocabulary = vocabulary
        intermediate = int("intermediate_size", "n_inner") ?? 4 * hidden
        keyValueHeads = int("num_key_value_heads") ?? heads
        tiedEmbeddings = config["tie_word_embeddings"] as? Bool ?? gpt2
        gatedMLP = !gpt2 && (config["hidden_act"] as? String).map { ["silu", "swish", "gelu_pytorch_tanh"].contains($0) } ?? true
        positions = gpt2 ? int("n_positions", "max_position_embeddings") : nil
    }

    /// Width of the keys (and of the values) of one layer: grouped-query attention shares them.
    public var keyValueWidth: Int { hidden / heads * keyValueHeads }

    /// The model's parameters: embeddings (and an untied output layer), per layer the attention's
    /// four projections and the MLP's matrices with their norms, and the final norm.
    public var parameters: Int64 {
        let h = Int64(hidden)
        let attention = h * h * 2 + 2 * h * Int64(keyValueWidth)
        let mlp = Int64(gatedMLP ? 3 : 2) * h * Int64(intermediate)
        var perLayer = attention + mlp + 2 * h
        var total = Int64(vocabulary) * h * (tiedEmbeddings ? 1 : 2) + h
        if let positions {
            // GPT-2: biases on every projection and on both norms, learned positions.
            perLayer += 3 * h + h + Int64(intermediate) + h + 2 * h
            total += Int64(positions) * h + h
        }
        return total + Int64(layers) * perLayer
    }
}
