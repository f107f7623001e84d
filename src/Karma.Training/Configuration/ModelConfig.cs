using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Karma.Training.Configuration;

/// <summary>
/// Sizes of the backbone, the item encoder and the heads. Saved as <c>config.json</c> beside every
/// checkpoint; names follow common LLM layouts (d_model, n_layers, n_heads, ffn_hidden, rope_theta).
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Tokenizer vocabulary size (set from the tokenizer at stage 1).</summary>
    [Range(8, 1 << 20)] public int VocabSize { get; init; }

    /// <summary>Token width d of the backbone.</summary>
    [Range(8, 4096)] public int DModel { get; init; } = 64;

    /// <summary>Transformer blocks.</summary>
    [Range(1, 64)] public int NLayers { get; init; } = 2;

    /// <summary>Attention heads; must divide <see cref="DModel"/> into an even head width.</summary>
    [Range(1, 64)] public int NHeads { get; init; } = 4;

    /// <summary>Hidden width of the SwiGLU feed-forward block.</summary>
    [Range(8, 16384)] public int FfnHidden { get; init; } = 172;

    /// <summary>Longest sequence the rotary tables cover.</summary>
    [Range(16, 8192)] public int MaxSeqLen { get; init; } = 128;

    /// <summary>Rotary position base.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>RMSNorm epsilon.</summary>
    public double NormEps { get; init; } = 1e-5;

    /// <summary>Retrieval embedding width D (interest and item embeddings).</summary>
    [Range(4, 4096)] public int EmbedDim { get; init; } = 64;

    /// <summary>Image-feature length of the catalog (0 when items have none).</summary>
    [Range(0, 65536)] public int ImageDim { get; init; }

    /// <summary>Hashed item-id embedding buckets; 0 disables id embeddings (text and image only).</summary>
    [Range(0, 1 << 24)] public int IdBuckets { get; init; }

    /// <summary>History items kept per sequence (most recent).</summary>
    [Range(0, 512)] public int MaxHistory { get; init; } = 20;

    /// <summary>Query tokens kept per sequence.</summary>
    [Range(1, 256)] public int MaxQueryTokens { get; init; } = 8;

    /// <summary>Item-text tokens kept per item (title and category words).</summary>
    [Range(1, 256)] public int MaxItemTokens { get; init; } = 16;

    /// <summary>
    /// Frozen pretrained text encoder whose sentence embeddings feed the item tower (each item's text) and the interest
    /// slot (the query): <c>none</c> (text only through this model's own token embeddings) or <c>all-MiniLM-L6-v2</c>.
    /// </summary>
    public string TextEncoder { get; init; } = NoTextEncoder;

    /// <summary>Width of the text encoder's embeddings (0 without one; 384 for all-MiniLM-L6-v2).</summary>
    [JsonIgnore]
    public int TextDim => TextEncoder == MiniLmTextEncoder ? 384 : 0;

    /// <summary>The <see cref="TextEncoder"/> value meaning "no pretrained text encoder".</summary>
    public const string NoTextEncoder = "none";

    /// <summary>The one pretrained text encoder supported: all-MiniLM-L6-v2 (384 wide).</summary>
    public const string MiniLmTextEncoder = "all-MiniLM-L6-v2";

    /// <summary>True when a pretrained text encoder feeds the model.</summary>
    [JsonIgnore]
    public bool HasTextEncoder => TextDim > 0;

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="name"/> unless it is a supported text encoder.</summary>
    public static void CheckTextEncoder(string name)
    {
        if (name is not (NoTextEncoder or MiniLmTextEncoder))
        {
            throw new InvalidDataException($"model config: unknown text_encoder '{name}' (expected {NoTextEncoder} or {MiniLmTextEncoder})");
        }
    }

    /// <summary>Checks relations between sizes that attributes cannot express.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new InvalidDataException("model config: " + string.Join("; ", results.Select(r => r.ErrorMessage)));
        }

        if (DModel % NHeads != 0 || (DModel / NHeads) % 2 != 0)
        {
            throw new InvalidDataException($"model config: d_model {DModel} must split into {NHeads} heads of even width");
        }

        CheckTextEncoder(TextEncoder);

        int longest = 2 + MaxHistory + MaxQueryTokens + MaxItemTokens + 2;
        if (longest > MaxSeqLen)
        {
            throw new InvalidDataException(
                $"model config: max_seq_len {MaxSeqLen} is shorter than the longest align sequence ({longest})");
        }
    }
}
