using Karma.Training.Configuration;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>
/// The backbone: a decoder-only transformer language model (token embeddings, RMSNorm pre-norm blocks with
/// rotary causal attention and SwiGLU, final norm, next-token head). Parameter names follow Meta's LLaMA
/// layout (<c>tok_embeddings</c>, <c>layers.N.attention.wq</c>, <c>norm</c>, <c>output</c>) so real
/// pretrained weights can be mapped in later.
/// </summary>
public sealed class DecoderLM : nn.Module
{
    private readonly ModelConfig _config;

    /// <summary>Token embeddings [V, d]; the item encoder reads titles through them too.</summary>
    public Embedding tok_embeddings;

    /// <summary>Transformer blocks.</summary>
    public ModuleList<TransformerBlock> layers;

    /// <summary>Final norm.</summary>
    public RmsNorm norm;

    /// <summary>Next-token head [d → V].</summary>
    public Linear output;

    /// <summary>Creates the backbone with small normal initialisation (std 0.02), as GPT-style models do.</summary>
    public DecoderLM(ModelConfig config) : base(nameof(DecoderLM))
    {
        _config = config;
        tok_embeddings = nn.Embedding(config.VocabSize, config.DModel);
        layers = new ModuleList<TransformerBlock>();
        for (int i = 0; i < config.NLayers; i++)
        {
            layers.Add(new TransformerBlock(config.DModel, config.NHeads, config.FfnHidden, config.NormEps));
        }

        norm = new RmsNorm(config.DModel, config.NormEps);
        output = nn.Linear(config.DModel, config.VocabSize, hasBias: false);
        RegisterComponents();
        using (no_grad())
        {
            foreach (var (name, p) in named_parameters())
            {
                if (!name.EndsWith("norm.weight", StringComparison.Ordinal))
                {
                    nn.init.normal_(p, 0, 0.02);
                }
            }
        }
    }

    /// <summary>The configuration the backbone was built with.</summary>
    public ModelConfig Config => _config;

    /// <summary>Embeds token ids [B, T] → [B, T, d].</summary>
    public Tensor Embed(Tensor tokens) => tok_embeddings.forward(tokens);

    /// <summary>
    /// Runs the blocks over input embeddings [B, T, d] with causal masking; right padding needs no extra mask
    /// because a valid position never sees a later one. Returns final-normed hidden states [B, T, d]. When
    /// <paramref name="probabilities"/> is given, each layer appends its attention probabilities.
    /// </summary>
    public Tensor Forward(Tensor inputEmbeddings, List<Tensor>? probabilities = null)
    {
        using var scope = NewDisposeScope();
        long t = inputEmbeddings.shape[1];
        if (t > _config.MaxSeqLen)
        {
            throw new ArgumentException($"sequence length {t} exceeds max_seq_len {_config.MaxSeqLen}", nameof(inputEmbeddings));
        }

        var device = inputEmbeddings.device;
        var (cos, sin) = RotaryEmbedding.Tables(t, _config.DModel / _config.NHeads, _config.RopeTheta, device);
        var bias = full(t, t, float.NegativeInfinity, device: device).triu(1).view(1, 1, t, t);
        var h = inputEmbeddings;
        foreach (var layer in layers)
        {
            h = layer.Forward(h, cos, sin, bias, probabilities);
        }

        return norm.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>Next-token logits of hidden states: [.., d] → [.., V].</summary>
    public Tensor Logits(Tensor hidden) => output.forward(hidden);
}
