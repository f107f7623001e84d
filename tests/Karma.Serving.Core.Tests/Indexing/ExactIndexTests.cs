using Karma.Core.Package;
using Karma.Serving.Core.Indexing;

namespace Karma.Serving.Core.Tests.Indexing;

public sealed class ExactIndexTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-exact-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly IRowFilter?[] Filters = [null, TestVectors.EvenRows, TestVectors.NoRows];

    /// <summary>
    /// Random shapes: rows 1..5000 and dims 1..130, always including the edges and widths around the SIMD width.
    /// </summary>
    private static IEnumerable<(int Rows, int Dims)> Shapes(int seed, int count)
    {
        yield return (1, 1);
        yield return (5000, 130);
        yield return (2, 7);
        yield return (3, 8);
        yield return (257, 9);
        yield return (1000, 17);
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            yield return (rng.Next(1, 5001), rng.Next(1, 131));
        }
    }

    private static ExactIndex Index(VectorTable table, bool parallel) =>
        parallel
            ? new ExactIndex(table, parallelThreshold: 0, maxDegreeOfParallelism: 3)
            : new ExactIndex(table, parallelThreshold: long.MaxValue);

    [Theory]
    [InlineData(VectorElementType.Float32, false)]
    [InlineData(VectorElementType.Float32, true)]
    [InlineData(VectorElementType.Float16, false)]
    [InlineData(VectorElementType.Float16, true)]
    public void Search_IntegerData_EqualsBruteForceExactly(VectorElementType type, bool parallel)
    {
        int seed = ((int)type * 10) + (parallel ? 1 : 0);
        var rng = new Random(seed);
        int n = 0;
        foreach (var (rows, dims) in Shapes(seed, count: 14))
        {
            float[] data = TestVectors.Integers(rows * dims, rng);
            using var table = TestVectors.Table(_dir, $"int-{n++}.vec", data, rows, dims, type);
            using var index = Index(table, parallel);
            Assert.Equal(rows, index.Count);
            Assert.Equal(dims, index.Dimensions);
            for (int q = 0; q < 2; q++)
            {
                float[] query = TestVectors.Integers(dims, rng);
                foreach (int k in new[] { 1, 10, 100, rows + 3 })
                {
                    foreach (var filter in Filters)
                    {
                        var expected = ExactIndex.BruteForce(data, dims, query, k, filter);
                        var actual = index.Search(query, k, filter);
                        // Exact arithmetic: same rows in the same order (ties by lower row), same scores.
                        Assert.Equal(expected, actual);
                        Assert.Equal(Math.Min(k, filter is null ? rows : filter == TestVectors.NoRows ? 0 : (rows + 1) / 2),
                            actual.Count);
                        Assert.All(actual, h => Assert.True(filter is null || filter.Accepts(h.Row)));
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(VectorElementType.Float32, false)]
    [InlineData(VectorElementType.Float32, true)]
    [InlineData(VectorElementType.Float16, false)]
    [InlineData(VectorElementType.Float16, true)]
    public void Search_UnitGaussianData_MatchesBruteForceWithin1e5(VectorElementType type, bool parallel)
    {
        int seed = 100 + ((int)type * 10) + (parallel ? 1 : 0);
        var rng = new Random(seed);
        int n = 0;
        foreach (var (rows, dims) in Shapes(seed, count: 10))
        {
            float[] data = TestVectors.UnitGaussian(rows, dims, rng);
            float[] stored = TestVectors.Stored(data, type);
            using var table = TestVectors.Table(_dir, $"gauss-{n++}.vec", data, rows, dims, type);
            using var index = Index(table, parallel);
            float[] query = TestVectors.UnitGaussian(1, dims, rng);
            foreach (int k in new[] { 1, 10, 100, rows + 3 })
            {
                foreach (var filter in Filters)
                {
                    var expected = ExactIndex.BruteForce(stored, dims, query, k, filter);
                    var actual = index.Search(query, k, filter);
                    Assert.Equal(expected.Count, actual.Count);
                    for (int i = 0; i < actual.Count; i++)
                    {
                        // Scores may differ in the last bits (SIMD vs double accumulation), so two rows whose scores
                        // are that close may swap; what must hold is that the row at each place scores what the
                        // reference's row at that place scores, and that the list is in order.
                        Assert.Equal(expected[i].Score, actual[i].Score, 1e-5f);
                        var row = ExactIndex.BruteForce(stored.AsSpan(actual[i].Row * dims, dims), dims, query, 1, null);
                        Assert.Equal(expected[i].Score, row[0].Score, 1e-5f);
                        Assert.True(filter is null || filter.Accepts(actual[i].Row));
                        if (i > 0)
                        {
                            Assert.True(actual[i - 1].Score > actual[i].Score
                                || (actual[i - 1].Score == actual[i].Score && actual[i - 1].Row < actual[i].Row));
                        }
                    }

                    Assert.Equal(actual.Count, actual.Select(h => h.Row).Distinct().Count());
                }
            }
        }
    }

    [Fact]
    public void Search_LargeTable_DefaultThresholdGoesParallelAndAgreesWithSingleThread()
    {
        const int rows = 40_000, dims = 64; // 2.56M numbers > DefaultParallelThreshold
        var rng = new Random(7);
        float[] data = TestVectors.Integers(rows * dims, rng);
        using var table = TestVectors.Table(_dir, "large.vec", data, rows, dims, VectorElementType.Float32);
        using var parallel = new ExactIndex(table);
        using var single = new ExactIndex(table, parallelThreshold: long.MaxValue);
        for (int q = 0; q < 3; q++)
        {
            float[] query = TestVectors.Integers(dims, rng);
            foreach (var filter in Filters)
            {
                var expected = ExactIndex.BruteForce(data, dims, query, 100, filter);
                Assert.Equal(expected, parallel.Search(query, 100, filter));
                Assert.Equal(expected, single.Search(query, 100, filter));
            }
        }
    }

    [Fact]
    public void Search_BadArguments_Throw()
    {
        using var table = TestVectors.Table(_dir, "small.vec", TestVectors.Integers(40, new Random(1)), 10, 4,
            VectorElementType.Float32);
        using var index = new ExactIndex(table);
        Assert.Throws<ArgumentException>(() => index.Search(new float[3], 1));
        Assert.Throws<ArgumentException>(() => index.Search([1, float.NaN, 0, 0], 1));
        Assert.Throws<ArgumentException>(() => index.Search([1, float.PositiveInfinity, 0, 0], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[4], -1));
        Assert.Empty(index.Search(new float[4], 0));
        Assert.Equal("exact", index.Kind);
    }

    [Fact]
    public void Search_EmptyTable_ReturnsNothing()
    {
        using var table = TestVectors.Table(_dir, "empty.vec", [], 0, 5, VectorElementType.Float16);
        using var index = new ExactIndex(table, parallelThreshold: 0);
        Assert.Empty(index.Search(new float[5], 10));
    }

    [Fact]
    public void Search_FilterThrows_ExceptionSurfacesFromBothPaths()
    {
        using var table = TestVectors.Table(_dir, "throw.vec", TestVectors.Integers(400, new Random(2)), 100, 4,
            VectorElementType.Float32);
        var filter = new PredicateFilter(row => row < 50 ? true : throw new InvalidOperationException("boom"));
        using var single = new ExactIndex(table, parallelThreshold: long.MaxValue);
        using var parallel = new ExactIndex(table, parallelThreshold: 0);
        Assert.Equal("boom", Assert.Throws<InvalidOperationException>(() => single.Search(new float[4], 5, filter)).Message);
        Assert.Equal("boom", Assert.Throws<InvalidOperationException>(() => parallel.Search(new float[4], 5, filter)).Message);
    }

    [Fact]
    public void Dispose_Twice_IsSafe_AndSearchAfterwardsThrows()
    {
        using var table = TestVectors.Table(_dir, "dispose.vec", TestVectors.Integers(12, new Random(3)), 3, 4,
            VectorElementType.Float32);
        var index = new ExactIndex(table);
        index.Dispose();
        index.Dispose();
        Assert.Throws<ObjectDisposedException>(() => index.Search(new float[4], 1));
    }

    [Fact]
    public void BruteForce_TiesGoToLowerRows()
    {
        float[] table = [1, 0, 0, 1, 1, 0, 2, 0];
        var hits = ExactIndex.BruteForce(table, 2, [1, 0], 3, null);
        Assert.Equal([new Hit(3, 2f), new Hit(0, 1f), new Hit(2, 1f)], hits);
    }
}
