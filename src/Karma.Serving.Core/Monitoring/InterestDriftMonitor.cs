using System.Numerics.Tensors;
using Karma.Search.Hybrid;

namespace Karma.Serving.Core.Monitoring;

/// <summary>The drift monitor's figures at one moment.</summary>
/// <param name="Divergence">Jensen–Shannon divergence (base 2, 0..1) of the served leaf distribution from the reference.</param>
/// <param name="MeanCosine">Cosine between the served and the reference mean interest directions.</param>
/// <param name="Concentration">Length of the served mean unit interest (the reference's is in the manifest).</param>
/// <param name="Observed">Interests observed since the model was loaded.</param>
/// <param name="Threshold">The divergence above which the monitor alerts.</param>
/// <param name="Alerting">Divergence above the threshold with at least one window of observations.</param>
public sealed record DriftFigures(double Divergence, double MeanCosine, double Concentration, long Observed, double Threshold, bool Alerting);

/// <summary>
/// A running <see cref="InterestProfile"/> of the interests a model version serves, compared with the reference its
/// package carries. The running profile is an exponentially weighted mean with a half-life of
/// <see cref="HalfLife"/> requests (a plain mean until that many were seen), so it follows the traffic of the last few
/// thousand requests and forgets older traffic. Observing costs one pass over the leaf centroids (116 × 64
/// multiply-adds on the realistic model) and a short lock. Thread-safe.
/// </summary>
public sealed class InterestDriftMonitor
{
    private readonly LeafCentroids _centroids;
    private readonly InterestProfile _reference;
    private readonly float[] _leaves;
    private readonly float[] _mean;
    private readonly float _alpha;
    private readonly Lock _gate = new();
    private long _observed;

    /// <summary>Creates a monitor against <paramref name="reference"/>.</summary>
    /// <param name="centroids">The package's leaf centroids (the reference's leaf ids are theirs).</param>
    /// <param name="reference">The exporter's profile of held-out requests.</param>
    /// <param name="halfLife">Requests after which an observation weighs half.</param>
    /// <param name="threshold">Divergence above which <see cref="DriftFigures.Alerting"/> is set.</param>
    public InterestDriftMonitor(LeafCentroids centroids, InterestProfile reference, int halfLife, double threshold)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(halfLife, 1);
        if (reference.Leaves.Length != centroids.Count || reference.Mean.Length != centroids.Dimensions)
        {
            throw new ArgumentException($"the reference has {reference.Leaves.Length} categories and {reference.Mean.Length} dimensions; " +
                $"the package {centroids.Count} and {centroids.Dimensions}", nameof(reference));
        }

        _centroids = centroids;
        _reference = reference;
        _leaves = new float[centroids.Count];
        _mean = new float[centroids.Dimensions];
        _alpha = (float)(1 - Math.Pow(0.5, 1.0 / halfLife));
        HalfLife = halfLife;
        Threshold = threshold;
    }

    /// <summary>Requests after which an observation weighs half.</summary>
    public int HalfLife { get; }

    /// <summary>The package's reference profile the served interests are compared with.</summary>
    public InterestProfile Reference => _reference;

    /// <summary>Divergence above which the monitor alerts.</summary>
    public double Threshold { get; }

    /// <summary>Adds one served interest embedding.</summary>
    public void Observe(ReadOnlySpan<float> interest)
    {
        float[] leaves = _centroids.Distribution(interest);
        Span<float> unit = stackalloc float[_mean.Length];
        InterestProfile.Normalize(interest, unit);
        lock (_gate)
        {
            _observed++;
            // A plain mean while fewer than 1/alpha were seen, then the exponential weighting.
            float w = Math.Max(_alpha, 1f / _observed);
            Blend(_leaves, leaves, w);
            Blend(_mean, unit, w);
        }
    }

    /// <summary>The figures now.</summary>
    public DriftFigures Current()
    {
        float[] leaves, mean;
        long observed;
        lock (_gate)
        {
            leaves = (float[])_leaves.Clone();
            mean = (float[])_mean.Clone();
            observed = _observed;
        }

        if (observed == 0)
        {
            return new DriftFigures(0, 1, _reference.Concentration, 0, Threshold, Alerting: false);
        }

        double divergence = InterestProfile.JensenShannon(leaves, _reference.Leaves);
        return new DriftFigures(divergence, InterestProfile.Cosine(mean, _reference.Mean), TensorPrimitives.Norm(mean), observed, Threshold,
            Alerting: observed >= HalfLife && divergence > Threshold);
    }

    /// <summary>x ← (1 − w)·x + w·y.</summary>
    private static void Blend(Span<float> x, ReadOnlySpan<float> y, float w)
    {
        TensorPrimitives.Multiply(x, 1 - w, x);
        TensorPrimitives.MultiplyAdd(y, w, x, x);
    }
}
