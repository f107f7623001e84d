using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Pretrained;

/// <summary>
/// A BERT-layout text encoder in TorchSharp (word + learned position + token-type embeddings, LayerNorm, then
/// post-LayerNorm layers), loadable with pretrained weights in the Hugging Face layout (<see cref="BertWeights"/>).
/// </summary>
public sealed class BertEncoder : nn.Module
{
    /// <summary>What padded positions add to attention scores (the value the Hugging Face export uses).</summary>
    private const double MaskedScore = -10000.0;

    /// <summary>Embedding tables.</summary>
    public Embedding word_embeddings, position_embeddings, token_type_embeddings;

    /// <summary>LayerNorm after the embeddings.</summary>
    public LayerNorm embedding_norm;

    /// <summary>The encoder layers.</summary>
    public ModuleList<BertLayer> layers;

    /// <summary>Creates the encoder with random weights (load pretrained ones with <see cref="Load"/>).</summary>
    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        word_embeddings = nn.Embedding(config.Vocabulary, config.Hidden);
        position_embeddings = nn.Embedding(config.MaxPositions, config.Hidden);
        token_type_embeddings = nn.Embedding(2, config.Hidden);
        embedding_norm = nn.LayerNorm(config.Hidden, config.LayerNormEps);
        layers = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>The encoder's shape.</summary>
    public BertConfig Config { get; }

    /// <summary>
    /// Token ids [B, T] (int64) and attention mask [B, T] (1 for tokens, 0 for padding) → hidden states [B, T, d]
    /// (the ONNX model's <c>last_hidden_state</c>); token type 0 throughout.
    /// </summary>
    public Tensor Forward(Tensor ids, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        long t = ids.shape[1];
        if (t > Config.MaxPositions)
        {
            throw new ArgumentException($"{t} tokens; the encoder has {Config.MaxPositions} positions", nameof(ids));
        }

        var positions = arange(t, dtype: ScalarType.Int64, device: ids.device).unsqueeze(0);
        var x = embedding_norm.forward(word_embeddings.forward(ids) + position_embeddings.forward(positions)
                                       + token_type_embeddings.forward(zeros_like(ids)));
        var bias = ((1.0 - mask.to_type(ScalarType.Float32)) * MaskedScore).unsqueeze(1).unsqueeze(1);
        foreach (var layer in layers)
        {
            x = layer.Forward(x, bias);
        }

        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Copies pretrained weights in; throws naming any missing or mis-shaped tensor.</summary>
    public void Load(IReadOnlyDictionary<string, WeightTensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        using var noGrad = no_grad();
        Copy(weights, "embeddings.word_embeddings.weight", word_embeddings.weight!);
        Copy(weights, "embeddings.position_embeddings.weight", position_embeddings.weight!);
        Copy(weights, "embeddings.token_type_embeddings.weight", token_type_embeddings.weight!);
        CopyNorm(weights, "embeddings.LayerNorm", embedding_norm);
        for (int i = 0; i < layers.Count; i++)
        {
            string p = $"encoder.layer.{i}.";
            var layer = layers[i];
            CopyLinear(weights, p + "attention.self.query", layer.query);
            CopyLinear(weights, p + "attention.self.key", layer.key);
            CopyLinear(weights, p + "attention.self.value", layer.value);
            CopyLinear(weights, p + "attention.output.dense", layer.attention_output);
            CopyNorm(weights, p + "attention.output.LayerNorm", layer.attention_norm);
            CopyLinear(weights, p + "intermediate.dense", layer.intermediate);
            CopyLinear(weights, p + "output.dense", layer.output);
            CopyNorm(weights, p + "output.LayerNorm", layer.output_norm);
        }
    }

    private static void CopyLinear(IReadOnlyDictionary<string, WeightTensor> weights, string name, Linear linear)
    {
        Copy(weights, name + ".weight", linear.weight!);
        Copy(weights, name + ".bias", linear.bias!);
    }

    private static void CopyNorm(IReadOnlyDictionary<string, WeightTensor> weights, string name, LayerNorm norm)
    {
        Copy(weights, name + ".weight", norm.weight!);
        Copy(weights, name + ".bias", norm.bias!);
    }

    private static void Copy(IReadOnlyDictionary<string, WeightTensor> weights, string name, Tensor target)
    {
        if (!weights.TryGetValue(name, out var w))
        {
            throw new InvalidDataException($"pretrained weight {name} is missing");
        }

        if (!w.Shape.SequenceEqual(target.shape))
        {
            throw new InvalidDataException($"pretrained weight {name} is [{string.Join(", ", w.Shape)}]; the encoder expects [{string.Join(", ", target.shape)}]");
        }

        using var source = tensor(w.Values, w.Shape);
        target.copy_(source);
    }
}
