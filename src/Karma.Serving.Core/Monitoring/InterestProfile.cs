using System.Numerics.Tensors;
using Karma.Core.Package;
using Karma.Search.Hybrid;

namespace Karma.Serving.Core.Monitoring;

/// <summary>
/// What a stream of interest embeddings is about, in the model's own terms: the mean over requests of each embedding's
/// reading as leaf categories (softmax of its cosine to each leaf's centroid, <see cref="LeafCentroids"/>), and the
/// mean of the unit embeddings (its direction, and its length — the concentration: 1 when every request points the
/// same way, near 0 when they spread over the sphere). The exporter stores one for held-out requests in the package;
/// the service keeps a running one of what it serves and compares the two (<see cref="InterestDriftMonitor"/>).
/// </summary>
/// <param name="Leaves">Mean leaf distribution, by leaf id of the package's catalog (sums to 1).</param>
/// <param name="Mean">Mean of the unit interest embeddings.</param>
/// <param name="Requests">Embeddings it summarises.</param>
public sealed record InterestProfile(float[] Leaves, float[] Mean, long Requests)
{
    /// <summary>Length of <see cref="Mean"/>.</summary>
    public double Concentration => TensorPrimitives.Norm(Mean);

    /// <summary>The profile of a set of interest embeddings.</summary>
    public static InterestProfile Of(IEnumerable<float[]> interests, LeafCentroids centroids)
    {
        ArgumentNullException.ThrowIfNull(interests);
        ArgumentNullException.ThrowIfNull(centroids);
        var leaves = new float[centroids.Count];
        var mean = new float[centroids.Dimensions];
        var unit = new float[centroids.Dimensions];
        long n = 0;
        foreach (float[] interest in interests)
        {
            TensorPrimitives.Add(leaves, centroids.Distribution(interest), leaves);
            Normalize(interest, unit);
            TensorPrimitives.Add(mean, unit, mean);
            n++;
        }

        if (n > 0)
        {
            TensorPrimitives.Divide(leaves, n, leaves);
            TensorPrimitives.Divide(mean, n, mean);
        }

        return new InterestProfile(leaves, mean, n);
    }

    /// <summary>The manifest's form: leaf probabilities by category path.</summary>
    public ManifestInterestReference ToManifest(string split, IReadOnlyList<string> leafNames, double testDivergence, int halfLife)
    {
        ArgumentNullException.ThrowIfNull(leafNames);
        return new ManifestInterestReference(split, Requests,
            Enumerable.Range(0, Leaves.Length).ToDictionary(l => leafNames[l], l => (double)Leaves[l], StringComparer.Ordinal), Mean, testDivergence, halfLife);
    }

    /// <summary>A manifest reference over this package's leaf ids (categories it does not name get 0).</summary>
    public static InterestProfile FromManifest(ManifestInterestReference reference, IReadOnlyList<string> leafNames)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(leafNames);
        var leaves = leafNames.Select(name => (float)reference.Categories.GetValueOrDefault(name)).ToArray();
        return new InterestProfile(leaves, [.. reference.Mean], reference.Requests);
    }

    /// <summary>The category path of each leaf id of <paramref name="attributes"/>, built from <paramref name="categories"/> (by row).</summary>
    public static string[] LeafNames(ItemAttributes attributes, IReadOnlyList<string> categories)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(categories);
        return attributes.ByLeafPopularity.Select(rows => categories[rows[0]]).ToArray();
    }

    /// <summary>
    /// Jensen–Shannon divergence between two leaf distributions, base 2: 0 for equal distributions, 1 for disjoint
    /// ones. Symmetric and finite even where one of them is 0, unlike the Kullback–Leibler divergence.
    /// </summary>
    public static double JensenShannon(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        if (p.Length != q.Length)
        {
            throw new ArgumentException($"distributions of {p.Length} and {q.Length} categories", nameof(q));
        }

        double divergence = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double m = 0.5 * (p[i] + q[i]);
            if (p[i] > 0)
            {
                divergence += 0.5 * p[i] * Math.Log2(p[i] / m);
            }

            if (q[i] > 0)
            {
                divergence += 0.5 * q[i] * Math.Log2(q[i] / m);
            }
        }

        return Math.Clamp(divergence, 0, 1);
    }

    /// <summary>Cosine of two vectors (0 when either is all zero).</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double na = TensorPrimitives.Norm(a), nb = TensorPrimitives.Norm(b);
        return na > 0 && nb > 0 ? TensorPrimitives.Dot(a, b) / (na * nb) : 0;
    }

    /// <summary>Writes <paramref name="x"/> scaled to unit length (zeros stay zeros).</summary>
    internal static void Normalize(ReadOnlySpan<float> x, Span<float> destination)
    {
        float norm = TensorPrimitives.Norm(x);
        if (norm > 0 && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(x, norm, destination);
        }
        else
        {
            destination.Clear();
        }
    }
}
