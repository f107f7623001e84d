using System.Numerics.Tensors;
using Karma.Core.Package;

namespace Karma.Search.Hybrid;

/// <summary>
/// The normalised mean item embedding of every leaf category. With them an interest embedding becomes a
/// distribution over categories — softmax(h_t · c / τ) — the embedding model's own reading of what a request is
/// for, learned from clicks (synonyms, misspellings, the history's influence), which complements the lexical
/// reading of the query. Built once per model version; immutable.
/// </summary>
public sealed class LeafCentroids
{
    /// <summary>Softmax temperature: the default temperature of the KARMA action loss (<c>align.temperature</c>), on whose scale cosines were trained.</summary>
    public const float Temperature = 0.1f;

    private readonly float[] _centroids;

    /// <summary>Computes the centroids of <paramref name="items"/>' leaves over <paramref name="embeddings"/>.</summary>
    public LeafCentroids(VectorTable embeddings, ItemAttributes items)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(items);
        int d = embeddings.Cols;
        Dimensions = d;
        Count = items.LeafCount;
        _centroids = new float[Count * d];
        var row = new float[d];
        for (int r = 0; r < embeddings.Rows; r++)
        {
            embeddings.CopyRow(r, row);
            var c = _centroids.AsSpan(items.Leaf[r] * d, d);
            TensorPrimitives.Add(c, row, c);
        }

        for (int l = 0; l < Count; l++)
        {
            var c = _centroids.AsSpan(l * d, d);
            float norm = TensorPrimitives.Norm(c);
            if (norm > 0)
            {
                TensorPrimitives.Divide(c, norm, c);
            }
        }
    }

    /// <summary>Number of leaf categories.</summary>
    public int Count { get; }

    /// <summary>Embedding width.</summary>
    public int Dimensions { get; }

    /// <summary>
    /// softmax over the leaves of cos(interest, centroid) / <see cref="Temperature"/>. The interest is normalised first:
    /// h_t already has unit length, and a caller's embedding of any finite scale cannot overflow the softmax.
    /// </summary>
    public float[] Distribution(ReadOnlySpan<float> interest)
    {
        if (interest.Length != Dimensions)
        {
            throw new ArgumentException($"interest has {interest.Length} values, the centroids {Dimensions}", nameof(interest));
        }

        var logits = new float[Count];
        // Norm in double: a finite vector of huge values would overflow a float sum of squares.
        double norm = 0;
        foreach (float x in interest)
        {
            norm += (double)x * x;
        }

        float scale = norm > 0 && double.IsFinite(norm) ? (float)(1 / Math.Sqrt(norm)) : 0f;
        for (int l = 0; l < Count; l++)
        {
            logits[l] = TensorPrimitives.Dot(interest, _centroids.AsSpan(l * Dimensions, Dimensions)) * scale / Temperature;
        }

        var probabilities = new float[Count];
        TensorPrimitives.SoftMax(logits, probabilities);
        return probabilities;
    }
}
