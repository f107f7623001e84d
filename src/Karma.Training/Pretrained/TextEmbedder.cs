using Karma.Core.Text;
using static TorchSharp.torch;

namespace Karma.Training.Pretrained;

/// <summary>
/// Sentence embeddings from the frozen pretrained encoder: mean of the last hidden states over the text's tokens
/// ([CLS] and [SEP] included, as sentence-transformers pools), scaled to unit length. Texts are batched in order of
/// length, so a batch pads little (items' titles vary from 3 to 20 pieces), and returned in the caller's order.
/// </summary>
public sealed class TextEmbedder : IDisposable
{
    private readonly BertEncoder _encoder;
    private readonly PretrainedTokenizer _tokenizer;
    private readonly int _maxTokens;
    private readonly int _batch;

    /// <summary>
    /// Wraps a loaded encoder and its tokenizer; texts are cut to <paramref name="maxTokens"/> tokens.
    /// <paramref name="modelId"/> names the weights (e.g. their SHA-256) for caches of the embeddings.
    /// </summary>
    public TextEmbedder(BertEncoder encoder, PretrainedTokenizer tokenizer, int maxTokens = 32, int batch = 64, string modelId = "unnamed")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTokens, encoder.Config.MaxPositions);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        _encoder = encoder;
        _tokenizer = tokenizer;
        _maxTokens = maxTokens;
        _batch = batch;
        Identity = IdentityOf(modelId, maxTokens);
    }

    /// <summary>The <see cref="Identity"/> of an embedder over the weights <paramref name="modelId"/> cutting texts to <paramref name="maxTokens"/>.</summary>
    public static string IdentityOf(string modelId, int maxTokens) => $"{modelId}/max-tokens-{maxTokens}";

    /// <summary>What determines the embeddings besides the text: the weights and the token limit.</summary>
    public string Identity { get; }

    /// <summary>Width of the embeddings.</summary>
    public int Dimensions => _encoder.Config.Hidden;

    /// <summary>One unit-length embedding per text, in order; <paramref name="progress"/> hears about every 10th batch.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var ids = texts.Select(t => _tokenizer.Encode(t ?? string.Empty, _maxTokens)).ToArray();
        int[] order = Enumerable.Range(0, ids.Length).OrderBy(i => ids[i].Length).ThenBy(i => i).ToArray();
        var result = new float[ids.Length][];
        _encoder.eval();
        int batches = (order.Length + _batch - 1) / _batch;
        for (int b = 0; b < batches; b++)
        {
            var members = order.AsSpan(b * _batch, Math.Min(_batch, order.Length - (b * _batch))).ToArray();
            var embeddings = EmbedBatch(members.Select(i => ids[i]).ToArray());
            for (int j = 0; j < members.Length; j++)
            {
                result[members[j]] = embeddings[j];
            }

            if ((b + 1) % 10 == 0 || b == batches - 1)
            {
                progress?.Report($"embedded {Math.Min((b + 1) * _batch, order.Length)}/{order.Length} texts");
            }
        }

        return result;
    }

    private float[][] EmbedBatch(int[][] ids)
    {
        int n = ids.Length, width = ids.Max(i => i.Length), d = Dimensions;
        var flatIds = new long[n * width];
        var flatMask = new long[n * width];
        for (int b = 0; b < n; b++)
        {
            for (int t = 0; t < ids[b].Length; t++)
            {
                flatIds[(b * width) + t] = ids[b][t];
                flatMask[(b * width) + t] = 1;
            }

            for (int t = ids[b].Length; t < width; t++)
            {
                flatIds[(b * width) + t] = _tokenizer.PadId;
            }
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var mask = tensor(flatMask, [n, width]);
        var hidden = _encoder.Forward(tensor(flatIds, [n, width]), mask);
        var weights = mask.unsqueeze(-1).to_type(ScalarType.Float32);
        var pooled = nn.functional.normalize((hidden * weights).sum([1]) / weights.sum([1]), p: 2, dim: -1);
        float[] flat = pooled.data<float>().ToArray();
        return Enumerable.Range(0, n).Select(b => flat.AsSpan(b * d, d).ToArray()).ToArray();
    }

    /// <summary>Frees the encoder's native weights (22.7M parameters) now instead of at finalization.</summary>
    public void Dispose() => _encoder.Dispose();
}
