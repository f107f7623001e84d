using Karma.Core.Package;
using Karma.Search.Hybrid;
using Karma.Serving.Core.Monitoring;

namespace Karma.Serving.Core.Tests.Monitoring;

/// <summary>The drift monitor over a hand-made catalog: four leaves along four axes of a 4-d space.</summary>
public sealed class InterestDriftMonitorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-drift-").FullName;
    private readonly LeafCentroids _centroids;
    private readonly string[] _categories = ["a/one", "a/two", "b/three", "b/four"];

    public InterestDriftMonitorTests()
    {
        // Two items per leaf, each exactly on its leaf's axis.
        var rows = new float[8 * 4];
        for (int r = 0; r < 8; r++)
        {
            rows[(r * 4) + (r / 2)] = 1;
        }

        string path = Path.Combine(_dir, "e.bin");
        VectorTableWriter.Write(path, rows, 8, 4, VectorElementType.Float32);
        using var table = VectorTable.Open(path);
        _centroids = new LeafCentroids(table, Attributes());
    }

    private ItemAttributes Attributes()
        => new(Enumerable.Range(0, 8).Select(r => _categories[r / 2]).ToList(), new float[8 * ItemStatistics.Count]);

    private static float[] Axis(int leaf, float noise, Random rng)
    {
        var v = new float[4];
        v[leaf] = 1;
        for (int i = 0; i < 4; i++)
        {
            v[i] += noise * (float)(rng.NextDouble() - 0.5);
        }

        return v;
    }

    /// <summary>A stream spread evenly over the four leaves.</summary>
    private static IEnumerable<float[]> Own(int n, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < n; i++)
        {
            yield return Axis(rng.Next(4), 0.3f, rng);
        }
    }

    [Fact]
    public void OwnTraffic_StaysUnderTheThreshold_ForeignTrafficCrossesIt()
    {
        var reference = InterestProfile.Of(Own(2000, seed: 1), _centroids);
        var monitor = new InterestDriftMonitor(_centroids, reference, halfLife: 100, threshold: 0.05);
        foreach (float[] x in Own(1000, seed: 2))
        {
            monitor.Observe(x);
        }

        var own = monitor.Current();
        Assert.Equal(1000, own.Observed);
        Assert.InRange(own.Divergence, 0, 0.02);
        Assert.False(own.Alerting);
        Assert.True(own.MeanCosine > 0.8, $"{own.MeanCosine}");

        var rng = new Random(3);
        for (int i = 0; i < 500; i++)
        {
            monitor.Observe(Axis(3, 0.3f, rng)); // every request now about one leaf
        }

        var foreign = monitor.Current();
        Assert.True(foreign.Divergence > 0.2, $"{foreign.Divergence}");
        Assert.True(foreign.Alerting);
        Assert.True(foreign.Concentration > own.Concentration);
    }

    [Fact]
    public void BeforeAHalfLife_ItDoesNotAlert_AndEmptyIsNeutral()
    {
        var reference = InterestProfile.Of(Own(400, seed: 1), _centroids);
        var monitor = new InterestDriftMonitor(_centroids, reference, halfLife: 100, threshold: 0.05);
        Assert.Equal(0, monitor.Current().Divergence);
        var rng = new Random(4);
        for (int i = 0; i < 99; i++)
        {
            monitor.Observe(Axis(0, 0.1f, rng));
        }

        Assert.True(monitor.Current().Divergence > 0.05);
        Assert.False(monitor.Current().Alerting); // one observation short of a half-life
        monitor.Observe(Axis(0, 0.1f, rng));
        Assert.True(monitor.Current().Alerting);
    }

    [Fact]
    public void JensenShannon_IsZeroForEqual_OneForDisjoint_Symmetric_AndMatchesTheDefinition()
    {
        Assert.Equal(0, InterestProfile.JensenShannon([0.25f, 0.25f, 0.5f], [0.25f, 0.25f, 0.5f]), 9);
        Assert.Equal(1, InterestProfile.JensenShannon([1f, 0f], [0f, 1f]), 9);
        float[] p = [0.7f, 0.2f, 0.1f, 0f], q = [0.1f, 0.3f, 0.3f, 0.3f];
        Assert.Equal(InterestProfile.JensenShannon(p, q), InterestProfile.JensenShannon(q, p), 12);
        double[] m = p.Zip(q, (a, b) => (a + b) / 2.0).ToArray();
        double kl(float[] x) => x.Select((v, i) => v > 0 ? v * Math.Log2(v / m[i]) : 0).Sum();
        Assert.Equal((kl(p) + kl(q)) / 2, InterestProfile.JensenShannon(p, q), 6);
        Assert.Throws<ArgumentException>(() => InterestProfile.JensenShannon([1f], [0.5f, 0.5f]));
    }

    [Fact]
    public void TheManifestForm_RoundTripsByCategoryName()
    {
        var profile = InterestProfile.Of(Own(100, seed: 5), _centroids);
        string[] names = InterestProfile.LeafNames(Attributes(), Enumerable.Range(0, 8).Select(r => _categories[r / 2]).ToList());
        Assert.Equal(_categories, names);
        var manifest = profile.ToManifest("validation", names, testDivergence: 0.01, halfLife: 100);
        Assert.Equal(profile.Leaves[2], manifest.Categories["b/three"], 6);
        var back = InterestProfile.FromManifest(manifest, names.Reverse().ToList()); // another catalog order
        Assert.Equal(profile.Leaves[2], back.Leaves[1], 6);
        Assert.Equal(profile.Mean, back.Mean);
    }

    [Fact]
    public void AReferenceOfAnotherShape_IsRefused()
    {
        var wrong = new InterestProfile(new float[3], new float[4], 10);
        var e = Assert.Throws<ArgumentException>(() => new InterestDriftMonitor(_centroids, wrong, 100, 0.05));
        Assert.Contains("3 categories", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
